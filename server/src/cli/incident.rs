//! `marquee incident …` and `marquee maintenance …`: the API's incident
//! writes from a terminal or a deploy script, through the same services
//! (so the same checks, change log and notices). A running server picks
//! the change up within its poll interval and tells open pages and
//! subscribers.

use app::domain::status::IncidentStatus;
use app::domain::time::{format_hhmm, local_date, parse_when};
use app::error::AppError;
use app::state::AppState;
use app::store::{IncidentRecord, Store};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use leptos::prelude::LeptosOptions;

use super::{CliError, CliResult};
use crate::config::{IncidentCommand, MaintenanceCommand};
use crate::services::status::{CancelInput, ComponentRef, IncidentInput, UpdateInput};
use crate::services::{self, status};

/// The services' state over `store`, with `event` loaded.
async fn state_for(store: Store, event: &str) -> CliResult<AppState> {
    let options = LeptosOptions::builder().output_name("marquee").build();
    let state = AppState::new(options, store, "");
    state.refresh_event(event).await?;
    services::event_view(&state, event)?;
    Ok(state)
}

fn zone(state: &AppState, event: &str) -> CliResult<Tz> {
    Ok(services::event_view(state, event)?.tz)
}

/// A time as typed, in the event's zone; `HH:MM` is on `day`.
fn when(s: &str, tz: Tz, day: chrono::NaiveDate, flag: &str) -> CliResult<DateTime<Utc>> {
    parse_when(s, tz, day).map_err(|e| {
        CliError::Input(format!(
            "{flag}: {e}; use HH:MM, YYYY-MM-DD HH:MM (event time) or RFC 3339"
        ))
    })
}

/// A refusal, named by the flag that was typed.
fn flag_error(e: AppError) -> CliError {
    match e {
        AppError::Invalid { field, message } => {
            // A weekly series names the window: `[2].scheduled_for`.
            let (week, field) = match field.strip_prefix('[').and_then(|f| f.split_once("].")) {
                Some((n, f)) => (
                    n.parse::<usize>()
                        .map(|n| format!(" (week {})", n + 1))
                        .unwrap_or_default(),
                    f.to_owned(),
                ),
                None => (String::new(), field),
            };
            let flag = match field.as_str() {
                "scheduled_for" => "--from".to_owned(),
                "scheduled_until" => "--until".to_owned(),
                f if f.starts_with("components") => "--component".to_owned(),
                f => format!("--{}", f.replace('_', "-")),
            };
            CliError::Input(format!("{flag}{week}: {message}"))
        }
        other => other.into(),
    }
}

/// One line about an incident: id, name, status, window in event time.
fn line(r: &IncidentRecord, tz: Tz) -> String {
    let kind = if r.is_maintenance {
        "maintenance"
    } else {
        "incident"
    };
    let window = match (r.scheduled_for, r.scheduled_until) {
        (Some(f), Some(u)) => format!(
            ", {} {}–{} ({tz})",
            local_date(tz, f),
            format_hhmm(tz, f),
            if local_date(tz, u) == local_date(tz, f) {
                format_hhmm(tz, u)
            } else {
                format!("{} {}", local_date(tz, u), format_hhmm(tz, u))
            }
        ),
        _ => String::new(),
    };
    format!(
        "{kind} {} {:?}: {} ({}){window}",
        r.id,
        r.name,
        r.status.as_str(),
        r.impact.as_str()
    )
}

fn update(status: &str, body: Option<String>, signature: &Option<String>) -> UpdateInput {
    UpdateInput {
        status: status.to_owned(),
        body,
        component_status: None,
        components: None,
        template: None,
        lang: None,
        scheduled_for: None,
        scheduled_until: None,
        signature: signature.clone(),
    }
}

pub async fn incident(
    store: Store,
    command: IncidentCommand,
    signature: Option<String>,
) -> CliResult {
    match command {
        IncidentCommand::Open {
            event,
            name,
            body,
            impact,
            status,
            components,
            component_status,
            template,
            lang,
        } => {
            let state = state_for(store, &event).await?;
            let input = IncidentInput {
                name,
                status,
                impact,
                body,
                components: components.into_iter().map(component_ref).collect(),
                component_status,
                template,
                lang,
                scheduled_for: None,
                scheduled_until: None,
                signature,
            };
            let r = status::open_incident(&state, &event, input)
                .await
                .map_err(flag_error)?;
            println!("opened {}", line(&r, zone(&state, &event)?));
        }
        IncidentCommand::Update {
            event,
            id,
            status: new_status,
            body,
            component_status,
        } => {
            let state = state_for(store, &event).await?;
            let input = UpdateInput {
                component_status,
                ..update(&new_status, body, &signature)
            };
            let r = status::update_incident(&state, &event, id, input)
                .await
                .map_err(flag_error)?;
            println!("updated {}", line(&r, zone(&state, &event)?));
        }
        IncidentCommand::Resolve { event, id, body } => {
            let state = state_for(store, &event).await?;
            let r =
                status::update_incident(&state, &event, id, update("resolved", body, &signature))
                    .await
                    .map_err(flag_error)?;
            println!("resolved {}", line(&r, zone(&state, &event)?));
        }
        IncidentCommand::List { event } => {
            let state = state_for(store, &event).await?;
            let view = services::event_view(&state, &event)?;
            let open: Vec<&IncidentRecord> = view
                .status
                .incidents
                .iter()
                .filter(|i| !i.status.is_closed())
                .collect();
            if open.is_empty() {
                println!("no open incident or maintenance on {event}");
            }
            for r in open {
                println!("{}", line(r, view.tz));
            }
        }
    }
    Ok(())
}

/// A component named on the command line: an id when it is a number.
fn component_ref(s: String) -> ComponentRef {
    match s.parse::<i64>() {
        Ok(id) => ComponentRef::Id(id),
        Err(_) => ComponentRef::Name(s),
    }
}

pub async fn maintenance(
    store: Store,
    command: MaintenanceCommand,
    signature: Option<String>,
) -> CliResult {
    let event = match &command {
        MaintenanceCommand::Schedule { event, .. }
        | MaintenanceCommand::Update { event, .. }
        | MaintenanceCommand::Extend { event, .. }
        | MaintenanceCommand::Complete { event, .. }
        | MaintenanceCommand::Cancel { event, .. } => event.clone(),
    };
    let state = state_for(store, &event).await?;
    let tz = zone(&state, &event)?;
    let now = state.clock.now();
    let today = local_date(tz, now);
    let current = |id: i64| -> CliResult<IncidentRecord> {
        services::event_view(&state, &event)?
            .status
            .incidents
            .iter()
            .find(|i| i.id == id && i.is_maintenance)
            .cloned()
            .ok_or_else(|| CliError::Input(format!("{event} has no maintenance {id}")))
    };
    let r = match command {
        MaintenanceCommand::Schedule {
            name,
            body,
            from,
            until,
            components,
            weeks,
            ..
        } => {
            let from = when(&from, tz, today, "--from")?;
            let until = when(&until, tz, local_date(tz, from), "--until")?;
            let input = IncidentInput {
                name: Some(name),
                status: None,
                impact: None,
                body: Some(body),
                components: components.into_iter().map(component_ref).collect(),
                component_status: None,
                template: None,
                lang: None,
                scheduled_for: Some(from),
                scheduled_until: Some(until),
                signature,
            };
            let mut made = status::schedule_weekly(&state, &event, input, weeks)
                .await
                .map_err(flag_error)?;
            let last = made
                .pop()
                .ok_or_else(|| CliError::Failed("nothing scheduled".into()))?;
            for r in &made {
                println!("{}", line(r, tz));
            }
            last
        }
        MaintenanceCommand::Update {
            id,
            body,
            status: new_status,
            from,
            until,
            ..
        } => {
            let m = current(id)?;
            let day = m.scheduled_for.map_or(today, |f| local_date(tz, f));
            let input = UpdateInput {
                scheduled_for: from.map(|s| when(&s, tz, day, "--from")).transpose()?,
                scheduled_until: until.map(|s| when(&s, tz, day, "--until")).transpose()?,
                ..update(
                    new_status.as_deref().unwrap_or(m.status.as_str()),
                    Some(body),
                    &signature,
                )
            };
            status::update_incident(&state, &event, id, input)
                .await
                .map_err(flag_error)?
        }
        MaintenanceCommand::Extend {
            id, until, body, ..
        } => {
            let m = current(id)?;
            let day = m.scheduled_until.map_or(today, |u| local_date(tz, u));
            let until = when(&until, tz, day, "--until")?;
            let body = body
                .unwrap_or_else(|| format!("Extended until {} ({tz}).", format_hhmm(tz, until)));
            let input = UpdateInput {
                scheduled_until: Some(until),
                ..update(m.status.as_str(), Some(body), &signature)
            };
            status::update_incident(&state, &event, id, input)
                .await
                .map_err(flag_error)?
        }
        MaintenanceCommand::Complete { id, body, .. } => {
            current(id)?;
            status::update_incident(
                &state,
                &event,
                id,
                update(IncidentStatus::Completed.as_str(), body, &signature),
            )
            .await
            .map_err(flag_error)?
        }
        MaintenanceCommand::Cancel {
            id, id_flag, body, ..
        } => {
            let id = id
                .or(id_flag)
                .ok_or_else(|| CliError::Input("give the maintenance's id".into()))?;
            current(id)?;
            let input = CancelInput {
                body,
                lang: None,
                signature,
            };
            let r = status::cancel_maintenance(&state, &event, id, input)
                .await
                .map_err(flag_error)?;
            println!("cancelled {}", line(&r, tz));
            return Ok(());
        }
    };
    println!("{}", line(&r, tz));
    Ok(())
}
