//! Statuspage-compatible public API (`/api/v2/*.json`), from the read model
//! only, with Statuspage's field names and vocabularies so existing
//! widgets work by swapping the URL. Ids are strings, as Statuspage's are.

use app::cache_policy::Freshness;
use app::domain::status::{Impact, overall_indicator};
use app::error::AppError;
use app::read_model::EventView;
use app::state::AppState;
use app::store::{ComponentRecord, IncidentRecord};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::conditional::cacheable;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn page(v: &EventView, public_url: &str) -> Value {
    json!({
        "id": v.schedule.event.slug,
        "name": v.schedule.event.name,
        "url": format!("{public_url}/e/{}/status", v.schedule.event.slug),
        "time_zone": v.schedule.event.time_zone,
        "updated_at": ts(v.changed_at),
    })
}

fn component(v: &EventView, c: &ComponentRecord) -> Value {
    json!({
        "id": c.id.to_string(),
        "name": c.name,
        "status": c.status.as_str(),
        "created_at": ts(c.created_at),
        "updated_at": ts(c.updated_at),
        "position": c.position,
        "description": if c.description.is_empty() { Value::Null } else { c.description.clone().into() },
        "showcase": true,
        "start_date": c.created_at.date_naive().to_string(),
        "group_id": Value::Null,
        "page_id": v.schedule.event.slug,
        "group": false,
        "only_show_if_degraded": false,
    })
}

fn incident(v: &EventView, i: &IncidentRecord, public_url: &str) -> Value {
    let components: Vec<Value> = v
        .status
        .components
        .iter()
        .filter(|c| i.component_ids.contains(&c.id))
        .map(|c| component(v, c))
        .collect();
    let updates: Vec<Value> = i
        .updates
        .iter()
        .map(|u| {
            json!({
                "id": u.id.to_string(),
                "status": u.status.as_str(),
                "body": u.body_md,
                // Not Statuspage's: the organiser's public signature, or null.
                "signature": u.signature,
                "incident_id": i.id.to_string(),
                "created_at": ts(u.created_at),
                "updated_at": ts(u.created_at),
                "display_at": ts(u.created_at),
                "affected_components": u.affected.iter().map(|a| json!({
                    "code": a.component_id.to_string(),
                    "name": a.name,
                    "old_status": a.old_status.as_str(),
                    "new_status": a.new_status.as_str(),
                })).collect::<Vec<_>>(),
                "deliver_notifications": true,
                "custom_tweet": Value::Null,
                "tweet_id": Value::Null,
            })
        })
        .collect();
    let mut o = json!({
        "id": i.id.to_string(),
        "name": i.name,
        "status": i.status.as_str(),
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at),
        "monitoring_at": i.monitoring_at.map(ts),
        "resolved_at": i.resolved_at.map(ts),
        "impact": i.impact.as_str(),
        "shortlink": format!("{public_url}/e/{}/status#incident-{}", v.schedule.event.slug, i.id),
        "started_at": ts(i.started_at),
        "page_id": v.schedule.event.slug,
        "incident_updates": updates,
        "components": components,
        // Markdown, as Statuspage gives it; null until the team writes one.
        "postmortem_body": i.postmortem_md,
    });
    if i.is_maintenance {
        o["scheduled_for"] = i.scheduled_for.map(ts).into();
        o["scheduled_until"] = i.scheduled_until.map(ts).into();
    }
    o
}

fn status(v: &EventView) -> Value {
    let statuses: Vec<_> = v.status.components.iter().map(|c| c.status).collect();
    let impacts: Vec<Impact> = v
        .status
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed() && !i.is_maintenance)
        .map(|i| i.impact)
        .collect();
    let indicator = overall_indicator(&statuses, &impacts);
    json!({
        "indicator": indicator.as_str(),
        "description": app::i18n::tr(&format!("indicator.{}", indicator.as_str()), "en"),
    })
}

fn incidents<'a>(
    v: &'a EventView,
    f: impl Fn(&IncidentRecord) -> bool + 'a,
) -> impl Iterator<Item = &'a IncidentRecord> + 'a {
    v.status.incidents.iter().filter(move |i| f(i))
}

/// Builds one document of the v2 API; `None` for an unknown document name.
pub fn document(v: &EventView, name: &str, public_url: &str) -> Option<Value> {
    let p = page(v, public_url);
    let list = |f: &dyn Fn(&IncidentRecord) -> bool| -> Vec<Value> {
        incidents(v, |i| f(i))
            .map(|i| incident(v, i, public_url))
            .collect()
    };
    Some(match name {
        "summary" => json!({
            "page": p,
            "status": status(v),
            "components": v.status.components.iter().map(|c| component(v, c)).collect::<Vec<_>>(),
            "incidents": list(&|i| !i.is_maintenance && !i.status.is_closed()),
            "scheduled_maintenances": list(&|i| i.is_maintenance && !i.status.is_closed()),
        }),
        "status" => json!({ "page": p, "status": status(v) }),
        "components" => {
            json!({ "page": p, "components": v.status.components.iter().map(|c| component(v, c)).collect::<Vec<_>>() })
        }
        "incidents" => json!({ "page": p, "incidents": list(&|i| !i.is_maintenance) }),
        "incidents/unresolved" => {
            json!({ "page": p, "incidents": list(&|i| !i.is_maintenance && !i.status.is_closed()) })
        }
        "scheduled-maintenances" => {
            json!({ "page": p, "scheduled_maintenances": list(&|i| i.is_maintenance) })
        }
        "scheduled-maintenances/upcoming" => {
            json!({ "page": p, "scheduled_maintenances": list(&|i| i.is_maintenance && i.status.as_str() == "scheduled") })
        }
        "scheduled-maintenances/active" => {
            json!({ "page": p, "scheduled_maintenances": list(&|i| i.is_maintenance && matches!(i.status.as_str(), "in_progress" | "verifying")) })
        }
        _ => return None,
    })
}

fn respond(state: &AppState, slug: &str, doc: &str) -> Response {
    let Some(doc_name) = doc.strip_suffix(".json") else {
        return AppError::not_found("API document").into_response();
    };
    let Some(v) = state.read_model.get(slug) else {
        return AppError::not_found(format!("event {slug:?}")).into_response();
    };
    match document(&v, doc_name, &state.public_url) {
        Some(body) => {
            // Nothing in these documents depends on the clock.
            let mut res = cacheable(
                Freshness::timeless(state.clock.now()),
                "application/json",
                body.to_string(),
            );
            res.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            res
        }
        None => AppError::not_found("API document").into_response(),
    }
}

/// `/e/{event}/api/v2/{*doc}`
pub async fn for_event(
    State(state): State<AppState>,
    Path((event, doc)): Path<(String, String)>,
) -> Response {
    respond(&state, &event, &doc)
}

/// `/api/v2/{*doc}` for the default event: the one running now, else the
/// next, else the most recent.
pub async fn for_default(State(state): State<AppState>, Path(doc): Path<String>) -> Response {
    let today = state.clock.now().date_naive();
    let events = state.read_model.all();
    let pick = events
        .iter()
        .find(|v| v.schedule.event.start_date <= today && today <= v.schedule.event.end_date)
        .or_else(|| events.iter().find(|v| v.schedule.event.start_date > today))
        .or_else(|| events.last());
    match pick {
        Some(v) => respond(&state, &v.schedule.event.slug.clone(), &doc),
        None => AppError::not_found("event").into_response(),
    }
}
