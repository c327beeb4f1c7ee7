-- A scheduled maintenance called off before it started (issue 15): it is
-- stored as `completed` (Statuspage's vocabulary has no "cancelled", and a
-- previous version reads every row), with the time it was cancelled here.
-- Null: not cancelled. Keep it in step with ../postgres/0020_maintenance_cancel.sql.
alter table incident add column cancelled_at bigint;
