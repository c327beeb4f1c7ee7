-- A subscription the push service answers 404/410 for is gone: its pending
-- deliveries are marked gone in the same transaction. Without this index
-- that update scans every delivery once per gone subscription.
create index push_delivery_subscription on push_delivery (push_subscription_id, state);
