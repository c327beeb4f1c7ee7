//! The team page's forms (owners: members' roles, invitations) and the
//! incident follow-ups (communicators: postmortems, the event's incident
//! templates). Like every dashboard form: CSRF token, the one access rule,
//! then back to the page with a refusal kept for the session.

use app::auth::new_token;
use app::domain::access::{Action, Role};
use app::domain::invitation::{NOTE_MAX, expiry};
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use app::store::{IncidentTemplate, NewInvitation};
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::admin_forms::{allowed, back_to};
use super::api::{ApiPath, EventAndId};
use crate::audit::AuditNote;

/// Where a freshly made invitation link waits to be shown once to the
/// owner who made it (beside speaker links, under its own key).
pub fn fresh_invite_key(csrf: &str) -> String {
    format!("invite:{csrf}")
}

fn with_note(res: Response, note: String) -> Response {
    let mut res = res;
    res.extensions_mut().insert(AuditNote(note));
    res
}

fn team_page(slug: &str) -> String {
    format!("/admin/e/{slug}/team")
}

fn templates_page(slug: &str) -> String {
    format!("/admin/e/{slug}/templates")
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw)
        .ok_or_else(|| AppError::invalid("role", "use owner, communicator, scheduler or viewer"))
}

#[derive(Deserialize)]
pub struct MemberForm {
    csrf: String,
    /// A role, or `remove`.
    role: String,
}

/// Changes a member's role or removes them from the event.
pub async fn set_member(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<MemberForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Members, &event) {
        return e.into_response();
    }
    let role = match f.role.as_str() {
        "remove" => Ok(None),
        r => parse_role(r).map(Some),
    };
    let r = match role {
        Ok(role) => state.store.set_member_role(&event, id, role).await,
        Err(e) => Err(e),
    };
    let note = format!("member {id}: {}", f.role);
    with_note(back_to(&state, &user, &team_page(&event), r), note)
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: String,
    role: String,
    #[serde(default)]
    note: String,
    /// Days the link lives; blank: the default.
    #[serde(default)]
    days: String,
}

/// Makes an invitation link; the team page shows it once, to this owner.
pub async fn invite(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<InviteForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Members, &event) {
        return e.into_response();
    }
    let now = state.clock.now();
    let (plain, hash) = new_token("inv");
    let r = match checked_invite(&f, now) {
        Ok((role, expires_at, note)) => {
            let new = NewInvitation {
                role,
                token_hash: &hash,
                note: &note,
                created_by: &user.email,
                created_at: now,
                expires_at,
            };
            state
                .store
                .create_invitation(&event, &new)
                .await
                .map(|id| (id, role))
        }
        Err(e) => Err(e),
    };
    let note = match &r {
        Ok((id, role)) => format!("invitation {id} as {role}"),
        Err(_) => format!("invitation as {}", f.role),
    };
    if r.is_ok() {
        state
            .issued_links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(fresh_invite_key(&user.csrf_token))
            .or_default()
            .push((
                "invite".to_owned(),
                format!("{}/invite/{plain}", state.public_url),
            ));
    }
    with_note(
        back_to(&state, &user, &team_page(&event), r.map(|_| ())),
        note,
    )
}

/// The invitation a form asks for: its role, expiry and note, or what is
/// wrong, naming the field.
fn checked_invite(
    f: &InviteForm,
    now: DateTime<Utc>,
) -> Result<(Role, DateTime<Utc>, String), AppError> {
    let role = parse_role(&f.role)?;
    let days = match f.days.trim() {
        "" => None,
        d => Some(
            d.parse::<i64>()
                .map_err(|_| AppError::invalid("days", "a whole number of days"))?,
        ),
    };
    let expires = expiry(now, days).map_err(|m| AppError::invalid("days", m))?;
    let note = f.note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(AppError::invalid(
            "note",
            format!("must be at most {NOTE_MAX} characters"),
        ));
    }
    Ok((role, expires, note.to_owned()))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Withdraws an invitation that was not used yet.
pub async fn withdraw_invitation(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Members, &event) {
        return e.into_response();
    }
    let r = state
        .store
        .withdraw_invitation(&event, id, state.clock.now())
        .await;
    back_to(&state, &user, &team_page(&event), r)
}

#[derive(Deserialize)]
pub struct PostmortemForm {
    csrf: String,
    #[serde(default)]
    body: String,
}

/// Sets an incident's postmortem (blank: removes it).
pub async fn set_postmortem(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    ApiPath(EventAndId { event, id }): ApiPath<EventAndId>,
    Form(f): Form<PostmortemForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let r = async {
        state
            .store
            .set_postmortem(&event, id, &f.body, state.clock.now())
            .await?;
        state.after_write(&event).await
    }
    .await;
    back_to(&state, &user, &format!("/admin/e/{event}"), r)
}

#[derive(Deserialize)]
pub struct TemplateForm {
    csrf: String,
    key: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// Adds or replaces one of the event's incident templates.
pub async fn save_template(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<TemplateForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let t = IncidentTemplate {
        key: f.key.trim().to_owned(),
        title: f.title,
        body_md: f.body,
    };
    let r = state
        .store
        .save_template(&event, &t, state.clock.now())
        .await;
    let note = format!("template {}", t.key);
    with_note(back_to(&state, &user, &templates_page(&event), r), note)
}

/// Deletes one of the event's incident templates.
pub async fn delete_template(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((event, key)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Incidents, &event) {
        return e.into_response();
    }
    let r = state.store.delete_template(&event, &key).await;
    back_to(&state, &user, &templates_page(&event), r)
}
