-- Schedule shifts, SQLite flavour. Keep it in step with ../postgres/0003_shift.sql.

-- Raised each time a session's start changes, for iCalendar's SEQUENCE, so
-- subscribed calendars replace the old time instead of keeping both.
alter table session add column sequence bigint not null default 0;

-- One row per applied shift or revert; `schedule_version` is the version it
-- created, `preview_json` the moves it made (what a revert undoes).
create table shift (
    shift_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    schedule_version bigint not null,
    kind text not null check (kind in ('shift', 'revert')),
    -- Unique: a shift is reverted at most once.
    reverts_shift_id bigint unique references shift (shift_id) on delete cascade,
    actor text not null,
    reason text not null,
    preview_json text not null,
    created_at bigint not null,
    unique (event_id, schedule_version)
);
