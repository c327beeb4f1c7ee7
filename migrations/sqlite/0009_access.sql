-- Who may do what. Keep it in step with ../postgres/0009_access.sql.

-- An admin may do everything on every event (and create events). Every
-- account that exists before this migration is one, so upgrades lose
-- nothing; later accounts are admins only when added with `--admin` (or
-- when they are the first), otherwise they act where they are members.
-- 0 or 1 (the Any driver reads no SQLite booleans).
alter table app_user add column is_admin bigint not null default 0;
update app_user set is_admin = 1;

-- An organiser's role on one event: owner, communicator, scheduler, viewer.
create table event_member (
    event_member_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    app_user_id bigint not null references app_user (app_user_id) on delete cascade,
    role text not null check (role in ('owner', 'communicator', 'scheduler', 'viewer')),
    created_at bigint not null,
    unique (event_id, app_user_id)
);
create index event_member_user on event_member (app_user_id);

-- A token may be limited to one event and/or one role, may expire, and
-- may be revoked (the row stays, so `token list` shows what it was).
alter table api_token add column event_id bigint references event (event_id) on delete cascade;
alter table api_token add column role text check (role in ('owner', 'communicator', 'scheduler', 'viewer'));
alter table api_token add column expires_at bigint;
alter table api_token add column revoked_at bigint;
