-- E-mail subscribers and deliveries. Keep it in step with the other
-- engine's 0014_email.sql. Expand only: new tables, nothing the previous
-- version reads is changed.

-- Someone who asked for mail about an event. The address is only ever
-- read to send to it; logs and pages name the row's id. `confirm_hash` is
-- the SHA-256 of the double opt-in token (single use: cleared when used).
-- Nothing is sent before `confirmed_at`; an ended one keeps its row so a
-- forged or replayed link finds nothing to act on.
create table email_subscriber (
    email_subscriber_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    address text not null,
    -- 0 or 1 (the Any driver reads no SQLite booleans).
    all_tracks bigint not null,
    tracks_json text not null,
    lang text not null,
    time_zone text not null,
    confirm_hash text unique,
    confirm_expires_at bigint,
    confirmed_at bigint,
    ended_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    unique (event_id, address)
);
create index email_subscriber_event on email_subscriber (event_id, email_subscriber_id);

-- Links that open a subscriber's manage page and unsubscribe in one click:
-- one per message sent (and one after confirming), only hashes stored.
create table email_link (
    token_hash text primary key,
    email_subscriber_id bigint not null references email_subscriber (email_subscriber_id) on delete cascade,
    created_at bigint not null
);
create index email_link_subscriber on email_link (email_subscriber_id);

-- How far the mail fan-out has gone through each push_notice (the same
-- outbox as push, with a cursor of its own). `finished_at` set: done.
create table email_fanout (
    push_notice_id bigint primary key references push_notice (push_notice_id) on delete cascade,
    subscriber_cursor bigint not null default 0,
    -- Speakers are covered in one go, after the subscribers.
    speakers_done bigint not null default 0,
    finished_at bigint
);

-- One notice for one subscriber or one speaker (exactly one of the two).
-- Leased like push_delivery: a worker moves `next_at` ahead under its
-- `lease_token`, so after a crash it is due again once the lease ran out.
create table email_delivery (
    email_delivery_id integer primary key,
    push_notice_id bigint not null references push_notice (push_notice_id) on delete cascade,
    email_subscriber_id bigint references email_subscriber (email_subscriber_id) on delete cascade,
    speaker_id bigint references speaker (speaker_id) on delete cascade,
    state text not null check (state in ('pending', 'sent', 'failed', 'gone', 'expired')),
    attempts bigint not null default 0,
    next_at bigint not null,
    lease_token text,
    last_error text,
    updated_at bigint not null,
    check ((email_subscriber_id is null) <> (speaker_id is null)),
    unique (push_notice_id, email_subscriber_id),
    unique (push_notice_id, speaker_id)
);
create index email_delivery_due on email_delivery (state, next_at, email_delivery_id);
create index email_delivery_lease on email_delivery (lease_token)
    where lease_token is not null and state = 'pending';

-- A speaker's one-click answer link in a mail about a moved talk: opens a
-- confirm/decline form for that notice (never acts on GET).
create table email_answer_link (
    token_hash text primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    speaker_key text not null,
    push_notice_id bigint not null references push_notice (push_notice_id) on delete cascade,
    created_at bigint not null
);

-- The language a speaker's mail is written in (imports carry none).
alter table speaker add column lang text;
