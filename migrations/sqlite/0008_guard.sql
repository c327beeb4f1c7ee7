-- Sessions that end when idle, and push subscriptions that are pruned when
-- they keep failing. SQLite flavour; keep it in step with ../postgres/0008_guard.sql.

-- When the session was last used; null for sessions made before this
-- column (their creation time counts instead).
alter table login_session add column last_seen_at bigint;

-- Set at the first failed delivery after a success (or ever), cleared by
-- the next success: a subscription failing for days is pruned.
alter table push_subscription add column failing_since bigint;

-- Pruning finds old attempts and finished deliveries by age.
create index push_attempt_at on push_attempt (at);
create index push_delivery_updated on push_delivery (state, updated_at);
