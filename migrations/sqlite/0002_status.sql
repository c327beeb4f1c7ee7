-- Status page, SQLite flavour. Keep it in step with ../postgres/0002_status.sql:
-- same tables, columns and constraints; only key and integer types differ.
-- Statuses use Statuspage's vocabulary (see app/src/domain/status.rs).

create table component (
    component_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    name text not null,
    description text not null default '',
    group_name text,
    position bigint not null default 0,
    status text not null check (status in ('operational', 'under_maintenance',
        'degraded_performance', 'partial_outage', 'major_outage')),
    -- Set on the automatic per-track stream components; cleared when the
    -- track is deleted, so the component and its history stay.
    track_slug text,
    created_at bigint not null,
    updated_at bigint not null,
    unique (event_id, name),
    -- NULLs are distinct here on both engines: many detached components.
    unique (event_id, track_slug)
);

create table component_status_change (
    component_status_change_id integer primary key,
    component_id bigint not null references component (component_id) on delete cascade,
    status text not null check (status in ('operational', 'under_maintenance',
        'degraded_performance', 'partial_outage', 'major_outage')),
    at bigint not null
);
create index component_status_change_component_at_idx
    on component_status_change (component_id, at);

create table incident (
    incident_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    name text not null,
    status text not null check (status in ('investigating', 'identified', 'monitoring',
        'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed')),
    impact text not null check (impact in ('none', 'minor', 'major', 'critical', 'maintenance')),
    is_maintenance boolean not null default false,
    scheduled_for bigint,
    scheduled_until bigint,
    created_at bigint not null,
    updated_at bigint not null,
    started_at bigint not null,
    monitoring_at bigint,
    resolved_at bigint
);
create index incident_event_idx on incident (event_id, created_at);

create table incident_update (
    incident_update_id integer primary key,
    incident_id bigint not null references incident (incident_id) on delete cascade,
    status text not null check (status in ('investigating', 'identified', 'monitoring',
        'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed')),
    body_md text not null,
    -- JSON list of {component_id, name, old_status, new_status}.
    affected_json text not null default '[]',
    created_at bigint not null
);
create index incident_update_incident_idx on incident_update (incident_id, created_at);

create table incident_component (
    incident_id bigint not null references incident (incident_id) on delete cascade,
    component_id bigint not null references component (component_id) on delete cascade,
    primary key (incident_id, component_id)
);
create index incident_component_component_idx on incident_component (component_id);
