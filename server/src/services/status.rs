//! Incidents and components, for the JSON API and the organiser's
//! dashboard forms alike: resolve component references and templates, let
//! the store validate and persist, then refresh the read model and tell
//! open pages.

use app::domain::status::{ComponentStatus, Impact, IncidentStatus};
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{
    ComponentPatch, ComponentRecord, IncidentRecord, NewIncident, NewIncidentUpdate, Reschedule,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A component named by id, by a track slug (its stream), by name, or
/// `"all-streams"`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ComponentRef {
    Id(i64),
    Name(String),
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    pub name: Option<String>,
    pub status: Option<String>,
    pub impact: Option<String>,
    pub body: Option<String>,
    #[serde(default)]
    pub components: Vec<ComponentRef>,
    pub component_status: Option<String>,
    /// `stream_down`, `delayed` or `resolved`: fills name and body when absent.
    pub template: Option<String>,
    pub lang: Option<String>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
    /// Signs the update on the public pages ("Ana, stream team"): plain
    /// text, one line, at most 80 characters. Absent or blank: unsigned
    /// (the audit log records who wrote it either way).
    pub signature: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    pub status: String,
    pub body: Option<String>,
    pub component_status: Option<String>,
    pub components: Option<Vec<ComponentRef>>,
    pub template: Option<String>,
    pub lang: Option<String>,
    /// A maintenance's new start (only before it starts), RFC 3339.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// A maintenance's new end: extended when it overruns, or cut short;
    /// everyone subscribed is told with the update.
    pub scheduled_until: Option<DateTime<Utc>>,
    /// Signs the update on the public pages ("Ana, stream team"): plain
    /// text, one line, at most 80 characters. Absent or blank: unsigned
    /// (the audit log records who wrote it either way).
    pub signature: Option<String>,
}

/// Calling off a maintenance that has not started.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// The last update's text; absent: "This scheduled maintenance has been
    /// cancelled." in `lang`.
    pub body: Option<String>,
    /// en, ru, zh or fr, for the default text.
    pub lang: Option<String>,
    /// Signs the update on the public pages ("Ana, stream team"): plain
    /// text, one line, at most 80 characters. Absent or blank: unsigned
    /// (the audit log records who wrote it either way).
    pub signature: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentPatchInput {
    pub status: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

const TEMPLATES: [&str; 3] = ["stream_down", "delayed", "resolved"];

fn template_text(template: Option<&str>, lang: Option<&str>, part: &str) -> Result<Option<String>> {
    let Some(t) = template.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if !TEMPLATES.contains(&t) {
        return Err(AppError::invalid(
            "template",
            format!(
                "unknown template {t:?}; use one of {}",
                TEMPLATES.join(", ")
            ),
        ));
    }
    let lang = app::i18n::negotiate(lang, None);
    Ok(Some(app::i18n::tr(&format!("template.{t}.{part}"), lang)))
}

fn parse_component_status(s: Option<&str>, field: &str) -> Result<Option<ComponentStatus>> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            ComponentStatus::parse(s).ok_or_else(|| {
                AppError::invalid(field, format!("unknown status {s:?}; use operational, degraded_performance, partial_outage, major_outage or under_maintenance"))
            })
        })
        .transpose()
}

fn parse_incident_status(s: &str) -> Result<IncidentStatus> {
    IncidentStatus::parse(s).ok_or_else(|| {
        AppError::invalid("status", format!("unknown status {s:?}; use investigating, identified, monitoring, resolved, postmortem (or scheduled, in_progress, verifying, completed for maintenance)"))
    })
}

fn resolve_components(
    state: &AppState,
    slug: &str,
    refs: &[ComponentRef],
    field: &str,
) -> Result<Vec<i64>> {
    let view = super::event_view(state, slug)?;
    let comps = &view.status.components;
    let mut ids = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let found: Vec<&ComponentRecord> = match r {
            ComponentRef::Id(id) => comps.iter().filter(|c| c.id == *id).collect(),
            ComponentRef::Name(n) if n == "all-streams" => {
                comps.iter().filter(|c| c.track.is_some()).collect()
            }
            ComponentRef::Name(n) => comps
                .iter()
                .filter(|c| {
                    n.parse::<i64>().ok() == Some(c.id)
                        || c.track.as_deref() == Some(n.as_str())
                        || c.name == *n
                })
                .collect(),
        };
        if found.is_empty() {
            return Err(AppError::invalid(
                format!("{field}[{i}]"),
                "no such component (use an id, a track slug, a component name or \"all-streams\")",
            ));
        }
        for c in found {
            if !ids.contains(&c.id) {
                ids.push(c.id);
            }
        }
    }
    Ok(ids)
}

pub async fn open_incident(
    state: &AppState,
    slug: &str,
    mut input: IncidentInput,
) -> Result<IncidentRecord> {
    let i = &mut input;
    super::templates::apply(state, slug, &mut i.template, Some(&mut i.name), &mut i.body).await?;
    let new = new_incident(state, slug, input)?;
    let rec = state
        .store
        .create_incident(slug, new, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(rec)
}

/// A maintenance window and the same window (event wall-clock time) on
/// each of the next `weeks - 1` weeks, all or none.
pub async fn schedule_weekly(
    state: &AppState,
    slug: &str,
    mut input: IncidentInput,
    weeks: usize,
) -> Result<Vec<IncidentRecord>> {
    let i = &mut input;
    super::templates::apply(state, slug, &mut i.template, Some(&mut i.name), &mut i.body).await?;
    let first = new_incident(state, slug, input)?;
    let (Some(from), Some(until)) = (first.scheduled_for, first.scheduled_until) else {
        return Err(AppError::invalid(
            "scheduled_for",
            "a weekly series needs a maintenance window",
        ));
    };
    let tz = super::event_view(state, slug)?.tz;
    let windows = app::domain::status::weekly_windows(tz, (from, until), weeks)
        .map_err(|e| AppError::invalid("weeks", e))?;
    let all = windows
        .into_iter()
        .map(|(f, u)| NewIncident {
            scheduled_for: Some(f),
            scheduled_until: Some(u),
            ..first.clone()
        })
        .collect();
    let made = state
        .store
        .create_incidents(slug, all, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(made)
}

/// What `input` asks to open, checked and with its components resolved.
fn new_incident(state: &AppState, slug: &str, input: IncidentInput) -> Result<NewIncident> {
    template_text(input.template.as_deref(), input.lang.as_deref(), "title")?;
    let name = match input.name.filter(|n| !n.trim().is_empty()) {
        Some(n) => n,
        None => template_text(input.template.as_deref(), input.lang.as_deref(), "title")?
            .ok_or_else(|| AppError::invalid("name", "required (or give a template)"))?,
    };
    let body = match input.body.filter(|b| !b.trim().is_empty()) {
        Some(b) => b,
        None => template_text(input.template.as_deref(), input.lang.as_deref(), "body")?
            .ok_or_else(|| AppError::invalid("body", "required (or give a template)"))?,
    };
    let maintenance = input.scheduled_for.is_some() || input.scheduled_until.is_some();
    let status = match input.status.as_deref() {
        Some(s) => parse_incident_status(s)?,
        None if maintenance => IncidentStatus::Scheduled,
        None => IncidentStatus::Investigating,
    };
    let impact = match input.impact.as_deref() {
        Some(s) => Impact::parse(s)
            .filter(|i| *i != Impact::Maintenance)
            .ok_or_else(|| {
                AppError::invalid(
                    "impact",
                    format!("unknown impact {s:?}; use none, minor, major or critical"),
                )
            })?,
        None if maintenance => Impact::Maintenance,
        None => Impact::Major,
    };
    let component_ids = resolve_components(state, slug, &input.components, "components")?;
    let new = NewIncident {
        name,
        status,
        impact,
        body_md: body,
        component_ids,
        component_status: parse_component_status(
            input.component_status.as_deref(),
            "component_status",
        )?,
        scheduled_for: input.scheduled_for,
        scheduled_until: input.scheduled_until,
        signature: input.signature,
    };
    Ok(new)
}

pub async fn update_incident(
    state: &AppState,
    slug: &str,
    id: i64,
    mut input: UpdateInput,
) -> Result<IncidentRecord> {
    super::templates::apply(state, slug, &mut input.template, None, &mut input.body).await?;
    let status = parse_incident_status(&input.status)?;
    template_text(input.template.as_deref(), input.lang.as_deref(), "body")?;
    let body = match input.body.filter(|b| !b.trim().is_empty()) {
        Some(b) => b,
        None => template_text(input.template.as_deref(), input.lang.as_deref(), "body")?
            .unwrap_or_default(),
    };
    let component_ids = input
        .components
        .as_deref()
        .map(|refs| resolve_components(state, slug, refs, "components"))
        .transpose()?;
    let u = NewIncidentUpdate {
        status,
        body_md: body,
        component_status: parse_component_status(
            input.component_status.as_deref(),
            "component_status",
        )?,
        component_ids,
        reschedule: (input.scheduled_for.is_some() || input.scheduled_until.is_some()).then_some(
            Reschedule {
                scheduled_for: input.scheduled_for,
                scheduled_until: input.scheduled_until,
            },
        ),
        signature: input.signature,
    };
    let rec = state
        .store
        .add_incident_update(slug, id, u, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(rec)
}

/// Cancels a maintenance that has not started (one window of a weekly
/// series: each window is its own maintenance); everyone subscribed is
/// told, and it leaves the upcoming lists. See `Store::cancel_maintenance`.
pub async fn cancel_maintenance(
    state: &AppState,
    slug: &str,
    id: i64,
    input: CancelInput,
) -> Result<IncidentRecord> {
    let body = match input.body.filter(|b| !b.trim().is_empty()) {
        Some(b) => b,
        None => {
            let lang = app::i18n::negotiate(input.lang.as_deref(), None);
            app::i18n::tr("maintenance.cancelled_body", lang)
        }
    };
    let rec = state
        .store
        .cancel_maintenance(
            slug,
            id,
            &body,
            input.signature.as_deref(),
            state.clock.now(),
        )
        .await?;
    state.after_write(slug).await?;
    Ok(rec)
}

pub async fn patch_component(
    state: &AppState,
    slug: &str,
    id: i64,
    input: ComponentPatchInput,
) -> Result<ComponentRecord> {
    let p = ComponentPatch {
        status: parse_component_status(input.status.as_deref(), "status")?,
        name: input.name,
        description: input.description,
    };
    let rec = state
        .store
        .update_component(slug, id, p, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(rec)
}
