-- An event's own catch-up rules (issue 12): how short a break may become
-- and how many Q&A minutes may be cut when a delay is absorbed. Null: the
-- defaults (10 and 5), so existing events keep what they had. Keep it in
-- step with ../postgres/0019_catch_up_rules.sql.
alter table event add column min_break_min bigint;
alter table event add column qa_cut_min bigint;
