-- Secret per-speaker links (/s/{token}); only the token's SHA-256 is kept.
create table speaker_link (
    speaker_link_id integer primary key,
    event_id integer not null references event (event_id) on delete cascade,
    speaker_key text not null,
    token_hash text not null unique,
    created_at bigint not null,
    revoked_at bigint
);
create index speaker_link_event on speaker_link (event_id, speaker_key);
