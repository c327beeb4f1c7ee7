//! The organiser dashboard's form posts. Each checks the session's CSRF
//! token, reuses the API's write path, and redirects back (303) — with the
//! error in the query when the store refused, so nothing is half-done.

use app::auth::constant_time_eq;
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::api::{ApiPath, EventAndId};
use crate::services::status::{
    self, CancelInput, ComponentPatchInput, ComponentRef, IncidentInput, UpdateInput,
};
use crate::services::{catchup, change, proposal, shift};
use app::catchup_input::CatchUpForm;
use app::change_input::ChangeForm;
use app::domain::access::Action;
use app::shift_input::ShiftForm;

#[derive(Deserialize)]
pub struct IncidentForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    components: Vec<String>,
    #[serde(default)]
    component_status: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    status: String,
    /// A maintenance window, in the event's zone (`datetime-local`).
    #[serde(default)]
    scheduled_for: String,
    #[serde(default)]
    scheduled_until: String,
    /// The public signature the organiser chose (blank: unsigned).
    #[serde(default)]
    signature: String,
}

#[derive(Deserialize)]
pub struct UpdateForm {
    csrf: String,
    status: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    component_status: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    lang: String,
    /// A maintenance's window as the form shows it (event time); only a
    /// value that differs from the current one reschedules.
    #[serde(default)]
    scheduled_for: String,
    #[serde(default)]
    scheduled_until: String,
    /// The public signature the organiser chose (blank: unsigned).
    #[serde(default)]
    signature: String,
}

#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    lang: String,
    /// The public signature the organiser chose (blank: unsigned).
    #[serde(default)]
    signature: String,
}

#[derive(Deserialize)]
pub struct ComponentForm {
    csrf: String,
    status: String,
}

pub(super) fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

/// A `datetime-local` field (or `HH:MM`, or RFC 3339) in the event's zone;
/// blank is absent.
fn event_time(
    state: &AppState,
    event: &str,
    field: &str,
    raw: &str,
) -> app::error::Result<Option<chrono::DateTime<chrono::Utc>>> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let tz = crate::services::event_view(state, event)?.tz;
    let today = app::domain::time::local_date(tz, state.clock.now());
    app::domain::time::parse_when(raw, tz, today)
        .map(Some)
        .map_err(|e| AppError::invalid(field, e.to_string()))
}

/// Back to the dashboard; a refusal's message is kept for the organiser's
/// session and the URL only says there is one (`?error=1`), so no link can
/// put words into an organiser page.
fn back(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    result: Result<(), AppError>,
) -> Response {
    back_to(state, user, &format!("/admin/e/{slug}"), result)
}

pub(super) fn back_to(
    state: &AppState,
    user: &CurrentUser,
    page: &str,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(page).into_response(),
        Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => e.into_response(),
        Err(e) => {
            state.set_form_error(&user.csrf_token, e.to_string());
            Redirect::to(&format!("{page}?error=1")).into_response()
        }
    }
}

/// The session's CSRF token, then the authorisation rule for `action`.
pub(super) fn allowed(
    user: &CurrentUser,
    token: &str,
    action: Action,
    event: &str,
) -> Result<(), AppError> {
    if !constant_time_eq(&user.csrf_token, token) {
        return Err(AppError::Forbidden("invalid CSRF token".into()));
    }
    user.check(action, event)
}

pub async fn open_incident(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<IncidentForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let window = event_time(&state, &event, "scheduled_for", &f.scheduled_for).and_then(|from| {
        Ok((
            from,
            event_time(&state, &event, "scheduled_until", &f.scheduled_until)?,
        ))
    });
    let r = match window {
        Err(e) => Err(e),
        Ok((scheduled_for, scheduled_until)) => {
            // A maintenance starts scheduled, under maintenance, with no
            // incident impact: the incident-only choices do not apply.
            let maintenance = scheduled_for.is_some() || scheduled_until.is_some();
            let incident_only = |v: String| if maintenance { None } else { non_empty(v) };
            let input = IncidentInput {
                name: non_empty(f.name),
                status: incident_only(f.status),
                impact: incident_only(f.impact),
                body: non_empty(f.body),
                components: f.components.into_iter().map(ComponentRef::Name).collect(),
                component_status: incident_only(f.component_status),
                template: non_empty(f.template),
                lang: non_empty(f.lang),
                scheduled_for,
                scheduled_until,
                signature: non_empty(f.signature),
            };
            status::open_incident(&state, &event, input)
                .await
                .map(|_| ())
        }
    };
    tracing::info!(event, by = %user.email, ok = r.is_ok(), "incident opened from the dashboard");
    back(&state, &user, &event, r)
}

pub async fn update_incident(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<UpdateForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let r = async {
        // The form shows the current window; only a changed end reschedules.
        let current = crate::services::event_view(&state, &event)?
            .status
            .incidents
            .iter()
            .find(|i| i.id == id)
            .map(|i| (i.scheduled_for, i.scheduled_until));
        let changed =
            |now: Option<chrono::DateTime<chrono::Utc>>, was| now.filter(|t| Some(*t) != was);
        let (was_for, was_until) = current.unwrap_or_default();
        let input = UpdateInput {
            status: f.status,
            body: non_empty(f.body),
            component_status: non_empty(f.component_status),
            components: None,
            template: non_empty(f.template),
            lang: non_empty(f.lang),
            scheduled_for: changed(
                event_time(&state, &event, "scheduled_for", &f.scheduled_for)?,
                was_for,
            ),
            scheduled_until: changed(
                event_time(&state, &event, "scheduled_until", &f.scheduled_until)?,
                was_until,
            ),
            signature: non_empty(f.signature),
        };
        status::update_incident(&state, &event, id, input)
            .await
            .map(|_| ())
    }
    .await;
    back(&state, &user, &event, r)
}

/// Calls off a maintenance that has not started (the dashboard shows the
/// button only then; a late click gets the store's refusal back).
pub async fn cancel_maintenance(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CancelForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let input = CancelInput {
        body: non_empty(f.body),
        lang: non_empty(f.lang),
        signature: non_empty(f.signature),
    };
    let r = status::cancel_maintenance(&state, &event, id, input)
        .await
        .map(|_| ());
    back(&state, &user, &event, r)
}

pub async fn set_component(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<ComponentForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Components, &event) {
        return e.into_response();
    }
    let input = ComponentPatchInput {
        status: Some(f.status),
        name: None,
        description: None,
    };
    back(
        &state,
        &user,
        &event,
        status::patch_component(&state, &event, id, input)
            .await
            .map(|_| ()),
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Where to send the organiser after a shift: the shift page (errors keep
/// the form's values in the query so nothing has to be typed again).
fn back_to_shift(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    result: Result<(), AppError>,
) -> Response {
    back_to(state, user, &format!("/admin/e/{slug}/shift"), result)
}

/// Applies what the shift page previewed. The form is read by the same
/// `ShiftForm` as the page's GET preview, so both refuse the same things.
pub async fn apply_shift(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<ShiftForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = match f.input(false) {
        Ok(input) if input.propose => {
            return to_proposal(
                &state,
                &user,
                &event,
                &format!("/admin/e/{event}/shift"),
                proposal::propose_shift(&state, &event, &input, &user.email).await,
            );
        }
        Ok(input) => shift::apply(&state, &event, &input, &user.email)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    back_to_shift(&state, &user, &event, r)
}

/// Applies what the re-plan page previewed (move, swap, cancel, restore),
/// read by the same `ChangeForm` as the page's GET preview, on the version
/// it was previewed on.
pub async fn apply_change(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = match f.input(false) {
        Ok(input) if input.propose => {
            return to_proposal(
                &state,
                &user,
                &event,
                &format!("/admin/e/{event}/talks"),
                proposal::propose_change(&state, &event, &input, &user.email).await,
            );
        }
        Ok(input) => change::apply(&state, &event, &input, &user.email)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    back_to(&state, &user, &format!("/admin/e/{event}/talks"), r)
}

/// Applies one alternative the shift page's "Catch up instead" listed, on
/// the version it was listed on; back to the shift page (its history).
pub async fn apply_catch_up(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<CatchUpForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = match f.input(false) {
        Ok(input) => catchup::apply(&state, &event, &input, &user.email)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    back_to(&state, &user, &format!("/admin/e/{event}/shift"), r)
}

/// The shift page's catch-up rules form (both fields, as numbers).
#[derive(Deserialize)]
pub struct CatchUpRulesForm {
    csrf: String,
    #[serde(default)]
    min_break_min: String,
    #[serde(default)]
    qa_cut_min: String,
}

/// Changes the event's catch-up rules; back to the shift page.
pub async fn set_catch_up_rules(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<CatchUpRulesForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let number = |v: &str, field: &str| {
        v.trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "expected a number of minutes"))
    };
    let r = async {
        let input = app::catchup_input::CatchUpRulesInput {
            min_break_min: number(&f.min_break_min, "min_break_min")?,
            qa_cut_min: number(&f.qa_cut_min, "qa_cut_min")?,
        };
        catchup::set_rules(&state, &event, &input, &user.email)
            .await
            .map(|_| ())
    }
    .await;
    back_to(&state, &user, &format!("/admin/e/{event}/shift"), r)
}

/// After "Propose to speakers": the new proposal's board, or back to the
/// form's page with the refusal.
fn to_proposal(
    state: &AppState,
    user: &CurrentUser,
    event: &str,
    from: &str,
    r: Result<app::store::ProposalRecord, AppError>,
) -> Response {
    match r {
        Ok(p) => {
            Redirect::to(&format!("/admin/e/{event}/proposals/{}", p.proposal_id)).into_response()
        }
        Err(e) => back_to(state, user, from, Err(e)),
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf: String,
    #[serde(default)]
    version: String,
}

/// Publishes a proposal from its board, on the version the board showed;
/// then the change's board (its answers carried over).
pub async fn publish_proposal(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<PublishForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let board = format!("/admin/e/{event}/proposals/{id}");
    let version = match f.version.trim().parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            let e = AppError::invalid("version", "not a version number");
            return back_to(&state, &user, &board, Err(e));
        }
    };
    match proposal::publish(&state, &event, id, version, &user.email).await {
        Ok(applied) => {
            Redirect::to(&format!("/admin/e/{event}/shifts/{}", applied.shift_id)).into_response()
        }
        Err(e) => back_to(&state, &user, &board, Err(e)),
    }
}

pub async fn discard_proposal(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = proposal::discard(&state, &event, id, &user.email)
        .await
        .map(|_| ());
    back_to(
        &state,
        &user,
        &format!("/admin/e/{event}/proposals/{id}"),
        r,
    )
}

pub async fn remind_proposal(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = proposal::remind(&state, &event, id).await.map(|_| ());
    back_to(
        &state,
        &user,
        &format!("/admin/e/{event}/proposals/{id}"),
        r,
    )
}

/// Reminds the speakers who have not answered an applied change, from
/// its board.
pub async fn remind_change(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = proposal::remind_change(&state, &event, id)
        .await
        .map(|_| ());
    back_to(&state, &user, &format!("/admin/e/{event}/shifts/{id}"), r)
}

#[derive(Deserialize)]
pub struct PinForm {
    csrf: String,
    guid: String,
    /// `1` to pin, anything else to unpin.
    #[serde(default)]
    pinned: String,
}

/// Pins or unpins a session from the re-plan page.
pub async fn set_pinned(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<PinForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = change::set_pinned(&state, &event, &f.guid, f.pinned == "1", &user.email).await;
    back_to(&state, &user, &format!("/admin/e/{event}/talks"), r)
}

pub async fn revert_shift(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Schedule, &event) {
        return e.into_response();
    }
    let r = shift::revert(
        &state,
        &event,
        id,
        &user.email,
        &format!("undo of shift {id}"),
    )
    .await
    .map(|_| ());
    back_to_shift(&state, &user, &event, r)
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
}

/// Issues a new secret link for a speaker (the old one stops working) and
/// goes back to the speakers page, which shows the URL once, to this
/// organiser only: only its hash is stored.
pub async fn issue_speaker_link(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((event, speaker)): Path<(String, String)>,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Speakers, &event) {
        return e.into_response();
    }
    let (plain, hash) = app::auth::new_token("sp");
    let result = state
        .store
        .issue_speaker_link(&event, &speaker, &hash)
        .await;
    if let Err(e) = result {
        return e.into_response();
    }
    let url = format!("{}/s/{plain}", state.public_url);
    state
        .issued_links
        .lock()
        .expect("issued links")
        .entry(user.csrf_token.clone())
        .or_default()
        .push((speaker.clone(), url));
    tracing::info!(event, speaker, by = %user.email, "speaker link issued from the admin area");
    if let Err(e) = state.refresh_event(&event).await {
        return e.into_response();
    }
    Redirect::to(&format!("/admin/e/{event}/speakers")).into_response()
}
