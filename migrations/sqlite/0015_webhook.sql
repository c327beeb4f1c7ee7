-- Outgoing webhooks, SQLite flavour. Keep it in step with
-- ../postgres/0015_webhook.sql. Expand only: earlier versions ignore the
-- new tables and the new column of push_notice.

-- One webhook of an event. `secret` is the Standard Webhooks signing key
-- (`whsec_…`) or the Telegram bot token; shown once, never logged, needed
-- in the clear to sign or to address the bot.
create table webhook (
    webhook_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    name text not null,
    url text not null,
    preset text not null,
    kinds_json text not null,
    lang text not null,
    chat_id text not null default '',
    secret text not null default '',
    -- 0 or 1 (the Any driver reads no SQLite booleans).
    enabled bigint not null default 1,
    consecutive_failures bigint not null default 0,
    disabled_at bigint,
    disabled_reason text,
    last_success_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index webhook_event on webhook (event_id, webhook_id);

-- One message to one webhook. The payload is copied here (not a reference
-- to push_notice) so the delivery log outlives the outbox's pruning.
-- `msg_id` is the Standard Webhooks `webhook-id`: the same on every retry,
-- so a receiver can drop a repeat.
create table webhook_delivery (
    webhook_delivery_id integer primary key,
    webhook_id bigint not null references webhook (webhook_id) on delete cascade,
    push_notice_id bigint,
    msg_id text not null unique,
    payload_json text not null,
    state text not null check (state in ('pending', 'sent', 'failed', 'dropped')),
    attempts bigint not null default 0,
    next_at bigint not null,
    lease_token text,
    last_status bigint,
    created_at bigint not null,
    updated_at bigint not null,
    unique (webhook_id, push_notice_id)
);
create index webhook_delivery_due on webhook_delivery (next_at, webhook_delivery_id)
    where state = 'pending';
create index webhook_delivery_lease on webhook_delivery (lease_token)
    where lease_token is not null and state = 'pending';

-- Every attempt, for the organiser's delivery log.
create table webhook_attempt (
    webhook_attempt_id integer primary key,
    webhook_delivery_id bigint not null
        references webhook_delivery (webhook_delivery_id) on delete cascade,
    webhook_id bigint not null references webhook (webhook_id) on delete cascade,
    at bigint not null,
    attempt bigint not null,
    status bigint,
    error text,
    latency_ms bigint not null
);
create index webhook_attempt_log on webhook_attempt (webhook_id, webhook_attempt_id);

-- How far the webhook fan-out has gone: a notice is looked at once. What
-- was queued before webhooks existed is marked done (no webhook predates it).
alter table push_notice add column webhook_fanned_out_at bigint;
update push_notice set webhook_fanned_out_at = created_at;
create index push_notice_webhook_todo on push_notice (push_notice_id)
    where webhook_fanned_out_at is null;
