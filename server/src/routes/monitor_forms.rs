//! The monitor page's form posts (add, edit, pause or resume, remove) and
//! the dashboard's publish and discard of a drafted incident. Each checks
//! the CSRF token and the role, calls `services::monitor` as the API does,
//! and redirects back (303), with the refusal kept for the page.
//! Also the middleware that puts the monitors on those pages' requests.

use app::domain::access::Action;
use app::error::AppError;
use app::pages::monitors_admin::MonitorPageData;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::admin_forms::{allowed, back_to, non_empty};
use super::api::{ApiPath, EventAndId};
use super::monitor_api::MonitorPolicy;
use crate::services::monitor::{MonitorInput, add_monitor, edit_monitor, publish_draft};

/// The add and edit form: every field as text, blank meaning "default"
/// (adding) or "unchanged" (editing).
#[derive(Deserialize)]
pub struct MonitorForm {
    csrf: String,
    #[serde(default)]
    component_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    interval_secs: String,
    #[serde(default)]
    timeout_ms: String,
    #[serde(default)]
    failures: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    recoveries: String,
    #[serde(default)]
    down_status: String,
    #[serde(default)]
    expect_status: String,
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    max_latency_ms: String,
    #[serde(default)]
    stale_secs: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    draft_incident: Option<String>,
}

/// A number field; blank is absent, anything else must be a whole number.
fn number(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| AppError::invalid(field, "must be a whole number"))
}

impl MonitorForm {
    fn input(self, editing: bool) -> Result<MonitorInput, AppError> {
        Ok(MonitorInput {
            component_id: number("component_id", &self.component_id)?,
            name: non_empty(self.name),
            kind: non_empty(self.kind),
            target: non_empty(self.target),
            interval_secs: number("interval_secs", &self.interval_secs)?,
            timeout_ms: number("timeout_ms", &self.timeout_ms)?,
            failures: number("failures", &self.failures)?,
            window: number("window", &self.window)?,
            recoveries: number("recoveries", &self.recoveries)?,
            down_status: non_empty(self.down_status),
            expect_status: non_empty(self.expect_status),
            // On an edit form a blank field clears what was there.
            keyword: if editing {
                Some(self.keyword.trim().to_owned())
            } else {
                non_empty(self.keyword)
            },
            max_latency_ms: match number("max_latency_ms", &self.max_latency_ms)? {
                None if editing => Some(0),
                other => other,
            },
            stale_secs: number("stale_secs", &self.stale_secs)?,
            draft_incident: Some(self.draft_incident.is_some()),
            paused: None,
        })
    }
}

fn page(event: &str) -> String {
    format!("/admin/e/{event}/monitors")
}

fn policy_of(p: Option<Extension<MonitorPolicy>>) -> app::domain::address::OutboundPolicy {
    p.map(|Extension(MonitorPolicy(p))| p).unwrap_or_default()
}

pub async fn add(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    policy: Option<Extension<MonitorPolicy>>,
    Path(event): Path<String>,
    Form(f): Form<MonitorForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Components, &event) {
        return e.into_response();
    }
    let r = match f.input(false) {
        Ok(input) => add_monitor(&state, &event, input, policy_of(policy))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    tracing::info!(event, by = %user.email, ok = r.is_ok(), "monitor added from the dashboard");
    back_to(&state, &user, &page(&event), r)
}

pub async fn edit(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    policy: Option<Extension<MonitorPolicy>>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<MonitorForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Components, &event) {
        return e.into_response();
    }
    let r = match f.input(true) {
        Ok(input) => edit_monitor(&state, &event, id, input, policy_of(policy))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    back_to(&state, &user, &page(&event), r)
}

#[derive(Deserialize)]
pub struct PauseForm {
    csrf: String,
    paused: bool,
}

pub async fn pause(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    policy: Option<Extension<MonitorPolicy>>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<PauseForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Components, &event) {
        return e.into_response();
    }
    let input = MonitorInput {
        paused: Some(f.paused),
        ..MonitorInput::default()
    };
    let r = edit_monitor(&state, &event, id, input, policy_of(policy))
        .await
        .map(|_| ());
    back_to(&state, &user, &page(&event), r)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Components, &event) {
        return e.into_response();
    }
    let r = state.store.delete_monitor(&event, id).await;
    back_to(&state, &user, &page(&event), r)
}

pub async fn publish(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let r = publish_draft(&state, &event, id).await.map(|_| ());
    tracing::info!(event, by = %user.email, ok = r.is_ok(), "monitor draft published");
    back_to(&state, &user, &format!("/admin/e/{event}"), r)
}

pub async fn discard(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let r = state
        .store
        .discard_monitor_draft(&event, id, state.clock.now())
        .await;
    back_to(&state, &user, &format!("/admin/e/{event}"), r)
}

/// The event of a page that shows monitors or their drafts, and whether
/// it lists the monitors: `/admin/e/{event}` (drafts) and
/// `/admin/e/{event}/monitors` (both).
fn monitor_page(path: &str) -> Option<(&str, bool)> {
    let rest = path.strip_prefix("/admin/e/")?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let event = parts.next().filter(|e| !e.is_empty())?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((event, false)),
        (Some("monitors"), None) => Some((event, true)),
        _ => None,
    }
}

/// Puts [`MonitorPageData`] on a signed-in user's GET of those pages (pages
/// render synchronously and do not read the database). A page still
/// checks access before showing anything.
pub async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.method() == Method::GET
        && req.extensions().get::<CurrentUser>().is_some()
        && let Some((event, list)) = monitor_page(req.uri().path())
    {
        let event = event.to_owned();
        let loaded = async {
            let monitors = if list {
                state.store.list_monitors(&event).await?
            } else {
                Vec::new()
            };
            let drafts = state.store.list_monitor_drafts(&event).await?;
            Ok::<_, AppError>(MonitorPageData { monitors, drafts })
        }
        .await;
        match loaded {
            Ok(data) => {
                req.extensions_mut().insert(data);
            }
            Err(e) => tracing::warn!(event, error = %e, "monitors not loaded"),
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::monitor_page;

    #[test]
    fn only_the_dashboard_and_the_monitor_page_load_monitors() {
        assert_eq!(monitor_page("/admin/e/demo"), Some(("demo", false)));
        assert_eq!(monitor_page("/admin/e/demo/monitors"), Some(("demo", true)));
        assert_eq!(monitor_page("/admin/e/demo/monitors/3"), None);
        assert_eq!(monitor_page("/admin/e/demo/shift"), None);
        assert_eq!(monitor_page("/admin"), None);
    }
}
