-- A team per event: invitations by link, the audit log of every organiser
-- write, postmortems and per-event incident templates. Keep it in step with
-- ../postgres/0017_team.sql.

-- An invitation to join an event with a role. Only the SHA-256 of the
-- link's token is kept; a link works once (used_at) and until expires_at.
create table invitation (
    invitation_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    role text not null check (role in ('owner', 'communicator', 'scheduler', 'viewer')),
    token_hash text not null unique,
    note text not null default '',
    created_by text not null,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint,
    used_by text
);
create index invitation_event on invitation (event_id, created_at);

-- One row per organiser write (API, dashboard form, CLI), refused ones
-- included. The event is kept by slug: an attempt on an unknown event is
-- recorded too, and entries outlive nothing they point at. Never a body.
create table audit_entry (
    audit_entry_id integer primary key,
    event_slug text,
    at bigint not null,
    actor_kind text not null check (actor_kind in ('user', 'token', 'cli')),
    actor text not null,
    method text not null,
    route text not null,
    target text,
    status bigint not null,
    ok bigint not null,
    summary text not null default '',
    client_ip text,
    user_agent text
);
create index audit_entry_event_at on audit_entry (event_slug, at);

-- The postmortem of an incident, markdown (sanitised when shown).
alter table incident add column postmortem_md text;

-- Incident templates the team edits per event; the built-in ones
-- (stream_down, delayed) remain the defaults when none is stored.
create table incident_template (
    incident_template_id integer primary key,
    event_id bigint not null references event (event_id) on delete cascade,
    template_key text not null,
    title text not null,
    body_md text not null,
    created_at bigint not null,
    updated_at bigint not null,
    unique (event_id, template_key)
);
