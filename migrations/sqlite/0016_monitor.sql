-- Monitors, SQLite flavour. Keep it in step with ../postgres/0016_monitor.sql.
-- A monitor checks a target every interval and changes its component after N
-- failures among the last M checks (app/src/domain/monitor.rs decides).
-- Flags are 0/1 integers: the Any driver reads them the same on both engines.

create table monitor (
    monitor_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    component_id bigint not null references component (component_id) on delete cascade,
    name text not null,
    kind text not null check (kind in ('http', 'tcp', 'hls')),
    -- A URL (http, hls) or host:port (tcp).
    target text not null,
    interval_secs bigint not null,
    timeout_ms bigint not null,
    failures bigint not null,
    window_size bigint not null,
    recoveries bigint not null,
    down_status text not null check (down_status in ('degraded_performance',
        'partial_outage', 'major_outage')),
    expect_status text not null default '200-399',
    keyword text,
    max_latency_ms bigint,
    stale_secs bigint not null default 60,
    draft_incident bigint not null default 0,
    paused bigint not null default 0,
    -- When the next check is due; while a worker holds the monitor, the end
    -- of its lease (the claim moves it), as for push deliveries.
    next_at bigint not null,
    lease_token text,
    -- The last results, '1' success '0' failure, newest last.
    recent text not null default '',
    -- Whether N of M failed (until K successes in a row).
    down bigint not null default 0,
    -- The status this monitor put its component in, to give back on
    -- recovery; null when it changed nothing (an organiser's status stays).
    applied_status text,
    -- HLS: the last playlist position and when it was first seen.
    hls_position text,
    hls_since bigint,
    last_checked_at bigint,
    last_ok bigint,
    last_latency_ms bigint,
    last_detail text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    unique (event_id, name)
);
create index monitor_due on monitor (next_at) where paused = 0;
create index monitor_component on monitor (component_id);

-- Every check, kept two days (the dashboard's response times); older ones
-- live on as daily counts below.
create table monitor_result (
    monitor_result_id integer primary key,
    monitor_id bigint not null references monitor (monitor_id) on delete cascade,
    at bigint not null,
    ok bigint not null,
    latency_ms bigint,
    detail text not null default ''
);
create index monitor_result_monitor_at on monitor_result (monitor_id, at);
create index monitor_result_at on monitor_result (at);

-- Checks and failures per component and UTC day: the measured uptime of
-- the 90-day bars. Per component, not per monitor, so deleting a monitor
-- keeps the history the bars show.
create table monitor_day (
    component_id bigint not null references component (component_id) on delete cascade,
    day text not null,
    checks bigint not null,
    failures bigint not null,
    latency_ms_total bigint not null,
    primary key (component_id, day)
);

-- An incident a monitor drafted when it tripped: not public until a
-- communicator publishes it (then incident_id is set) or discards it.
create table monitor_draft (
    monitor_draft_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    monitor_id bigint references monitor (monitor_id) on delete set null,
    component_id bigint not null references component (component_id) on delete cascade,
    name text not null,
    body_md text not null,
    component_status text not null,
    created_at bigint not null,
    incident_id bigint references incident (incident_id) on delete set null,
    closed_at bigint
);
create index monitor_draft_event on monitor_draft (event_id, closed_at);
