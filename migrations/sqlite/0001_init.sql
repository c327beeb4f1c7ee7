-- Marquee schema, SQLite flavour. Keep it in step with ../postgres/0001_init.sql:
-- same tables, columns and constraints; only key and integer types differ.
-- Instants are UTC unix seconds (bigint), dates are TEXT 'YYYY-MM-DD'.

create table event (
    event_id integer primary key,
    slug text not null unique,
    name text not null,
    time_zone text not null,
    start_date text not null,
    end_date text not null,
    schedule_version bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);

create table track (
    track_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    slug text not null,
    name text not null,
    color text not null,
    stream_url text,
    position bigint not null default 0,
    unique (event_id, slug)
);

create table speaker (
    speaker_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    key text not null,
    name text not null,
    email text,
    unique (event_id, key)
);

create table session (
    session_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    guid text not null,
    title text not null,
    abstract_md text not null default '',
    kind text not null check (kind in ('talk', 'keynote', 'break', 'other')),
    start_at bigint not null,
    duration_min bigint not null,
    track_id bigint not null references track (track_id) on delete cascade,
    language text,
    pinned boolean not null default false,
    created_at bigint not null,
    updated_at bigint not null,
    unique (event_id, guid)
);
create index session_event_start_idx on session (event_id, start_at);
create index session_track_idx on session (track_id);

create table session_speaker (
    session_id bigint not null references session (session_id) on delete cascade,
    speaker_id bigint not null references speaker (speaker_id) on delete cascade,
    position bigint not null,
    primary key (session_id, speaker_id)
);
create index session_speaker_speaker_idx on session_speaker (speaker_id);

create table schedule_version (
    schedule_version_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    version bigint not null,
    kind text not null check (kind in ('import', 'shift', 'revert')),
    actor text not null,
    reason text not null,
    summary text not null,
    changes_json text not null,
    created_at bigint not null,
    unique (event_id, version)
);

create table change_log (
    change_log_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    seq bigint not null,
    kind text not null,
    payload_json text not null,
    created_at bigint not null,
    unique (event_id, seq)
);

create table app_user (
    app_user_id integer primary key,
    email text not null unique,
    password_hash text not null,
    created_at bigint not null
);

create table login_session (
    login_session_id integer primary key,
    token_hash text not null unique,
    app_user_id bigint not null references app_user (app_user_id) on delete cascade,
    csrf_token text not null,
    created_at bigint not null,
    expires_at bigint not null
);
create index login_session_user_idx on login_session (app_user_id);
create index login_session_expires_idx on login_session (expires_at);

create table api_token (
    api_token_id integer primary key,
    name text not null,
    token_hash text not null unique,
    created_at bigint not null,
    last_used_at bigint
);
