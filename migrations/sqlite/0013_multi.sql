-- Several instances on one database. Keep it in step with
-- ../postgres/0013_multi.sql. Expand only: the previous version ignores the new
-- column and table, so it keeps serving while this one rolls out (see
-- "Migrations: expand, then contract" in README.md).

-- Which claim holds a pending delivery's lease: the claiming worker renews
-- and releases only its own, so one whose lease ran out (and was taken by
-- another) cannot extend or free the other's. Null when not leased; a
-- finished delivery keeps the token of the worker that sent it.
alter table push_delivery add column lease_token text;
-- Renewing and releasing look up a worker's leases; finished deliveries
-- keep the token (who sent it) but are not in the index.
create index push_delivery_lease on push_delivery (lease_token)
    where lease_token is not null and state = 'pending';

-- Periodic jobs (reminders, pruning, session purge): each instance tries,
-- the one that moves next_at runs the job, so it runs once a period
-- however many instances there are.
create table job_run (
    name text primary key,
    next_at bigint not null
);
