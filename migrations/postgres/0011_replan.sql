-- Re-planning one talk (move, swap, cancel, restore) and shifts through the
-- re-planning core. Keep it in step with ../sqlite/0011_replan.sql.

-- A cancelled session stays in the schedule (struck through, STATUS:CANCELLED
-- in calendars) so attendees see it was cancelled rather than lose it.
alter table session add column cancelled boolean not null default false;

-- A change made by the re-planning core keeps its full preview (every
-- session's slot before and after) here, so revert restores start, length,
-- track and cancelled exactly. `preview_json` keeps the moves in the old
-- shape for history pages that read it; null for shifts made before.
alter table shift add column change_json text;
