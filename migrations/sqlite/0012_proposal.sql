-- Proposals: a change saved to ask the speakers it moves before attendees
-- see anything. Keep it in step with ../postgres/0012_proposal.sql.

-- `op_json` is what was asked (re-planned on publish), `change_json` the
-- preview speakers were asked about, `base_version` the schedule version it
-- was made on: publishing on any other version is refused (stale).
-- Publishing writes an ordinary shift row (`shift_id`), so history, undo,
-- calendars and notices work as for a change applied at once.
create table proposal (
    proposal_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    base_version bigint not null,
    state text not null default 'proposed'
        check (state in ('proposed', 'published', 'discarded')),
    op_json text not null,
    change_json text not null,
    actor text not null,
    reason text not null,
    created_at bigint not null,
    decided_at bigint,
    decided_by text,
    shift_id bigint unique references shift (shift_id) on delete set null
);
create index proposal_event on proposal (event_id, proposal_id);

-- Who was asked about a proposal, when, when last reminded, and what they
-- said (`answer_json`: reply, reason, availability, the slots asked about).
create table proposal_ask (
    proposal_id bigint not null references proposal (proposal_id) on delete cascade,
    speaker_key text not null,
    asked_at bigint not null,
    reminded_at bigint,
    answer_json text,
    answered_at bigint,
    primary key (proposal_id, speaker_key)
);

-- Richer answers to an applied change too: why, and "I can from …" / "not
-- today" (the same JSON as `proposal_ask.answer_json`); null for plain
-- answers given before. `asked_at`/`reminded_at` of applied changes live
-- in `change_ask` (a speaker who has not answered has no answer row).
alter table speaker_answer add column answer_json text;

create table change_ask (
    shift_id bigint not null references shift (shift_id) on delete cascade,
    speaker_key text not null,
    asked_at bigint not null,
    reminded_at bigint,
    primary key (shift_id, speaker_key)
);

-- Amending: a change to talks the latest change moved a short time ago
-- (18:00, then 18:15) is one change to attendees. The earlier change's
-- shift row and version row point at what amended them; the changelog,
-- feeds and speakers' questions skip them, undo goes through the later one.
alter table shift add column amended_into bigint;
alter table schedule_version add column amended_into bigint;
