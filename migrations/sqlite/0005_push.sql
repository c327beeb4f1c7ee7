-- Web Push, SQLite flavour. Keep it in step with ../postgres/0005_push.sql.

-- The server's VAPID key pairs. The newest unretired one is what browsers
-- subscribe with; older ones keep signing for the subscriptions made with
-- them until those re-subscribe. The private half never leaves this table.
create table vapid_key (
    vapid_key_id integer primary key,
    private_key text not null,
    public_key text not null,
    created_at bigint not null,
    retired_at bigint
);

-- One browser subscription and what it wants to hear about. `speaker_key`
-- is set when a speaker subscribed from their own page.
create table push_subscription (
    push_subscription_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    endpoint text not null unique,
    p256dh text not null,
    auth text not null,
    vapid_key_id bigint not null references vapid_key (vapid_key_id),
    -- 0 or 1 (the Any driver reads no SQLite booleans).
    all_tracks bigint not null,
    tracks_json text not null,
    sessions_json text not null,
    -- The tracks of the starred sessions: an incident on one concerns them.
    session_tracks_json text not null default '[]',
    speaker_key text,
    lang text not null,
    time_zone text not null,
    created_at bigint not null,
    updated_at bigint not null,
    -- Set when the push service answered 404/410: never sent to again.
    gone_at bigint
);
create index push_subscription_event on push_subscription (event_id, push_subscription_id);

-- The outbox: one row per thing to tell, written in the transaction of the
-- incident or shift that causes it, so its size does not depend on how many
-- subscribe. The worker fans it out into deliveries, `fanout_cursor` being
-- the last subscription it has covered.
create table push_notice (
    push_notice_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    kind text not null,
    scope_json text not null,
    payload_json text not null,
    topic text not null,
    urgency text not null,
    expires_at bigint not null,
    -- Keeps a reminder from being queued twice.
    dedupe_key text unique,
    created_at bigint not null,
    fanout_cursor bigint not null default 0,
    fanned_out_at bigint
);
create index push_notice_fanout on push_notice (fanned_out_at, push_notice_id);

-- One notice for one subscription. `next_at` is when it is due; a worker
-- that takes it pushes `next_at` ahead (a lease), so after a crash it is
-- due again once the lease runs out.
create table push_delivery (
    push_delivery_id integer primary key,
    push_notice_id bigint not null references push_notice (push_notice_id) on delete cascade,
    push_subscription_id bigint not null references push_subscription (push_subscription_id) on delete cascade,
    state text not null check (state in ('pending', 'sent', 'failed', 'gone', 'expired')),
    attempts bigint not null default 0,
    next_at bigint not null,
    last_status bigint,
    updated_at bigint not null,
    unique (push_notice_id, push_subscription_id)
);
create index push_delivery_due on push_delivery (state, next_at, push_delivery_id);

-- Every attempt: the push service's status (none when it was unreachable).
create table push_attempt (
    push_attempt_id integer primary key,
    push_delivery_id bigint not null references push_delivery (push_delivery_id) on delete cascade,
    at bigint not null,
    status bigint,
    detail text not null
);
create index push_attempt_delivery on push_attempt (push_delivery_id);

-- A speaker's answer to a shift that moved their session.
create table speaker_answer (
    shift_id bigint not null references shift (shift_id) on delete cascade,
    speaker_key text not null,
    answer text not null check (answer in ('confirmed', 'declined')),
    answered_at bigint not null,
    primary key (shift_id, speaker_key)
);
