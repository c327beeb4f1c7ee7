//! The speakers page's e-mail field: the address (and language) a speaker
//! gets move notices, answer links and reminders at. Organisers with the
//! speakers right only, with the session's CSRF token.

use app::domain::access::Action;
use app::domain::email::check_address;
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::admin_forms::{allowed, back_to};

#[derive(Deserialize)]
pub struct SpeakerEmailForm {
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    lang: String,
}

/// `POST /admin/e/{event}/speakers/{speaker}/email`: a blank address
/// stops the mail; an invalid one is refused, naming the field.
pub async fn set_speaker_email(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((event, speaker)): Path<(String, String)>,
    Form(f): Form<SpeakerEmailForm>,
) -> Response {
    if let Err(e) = allowed(&user, &f.csrf, Action::Speakers, &event) {
        return e.into_response();
    }
    let page = format!("/admin/e/{event}/speakers");
    let result: Result<(), AppError> = async {
        let address = match f.email.trim() {
            "" => None,
            raw => Some(check_address(raw).map_err(|why| AppError::invalid("email", why))?),
        };
        let lang = match f.lang.as_str() {
            "" => None,
            l => Some(app::i18n::supported(l).ok_or_else(|| {
                AppError::invalid("lang", format!("{l:?} is not one of en, ru, zh, fr"))
            })?),
        };
        let found = state
            .store
            .set_speaker_email(&event, &speaker, address.as_deref(), lang)
            .await?;
        if !found {
            return Err(AppError::not_found(format!("speaker {speaker}")));
        }
        tracing::info!(event, speaker, by = %user.email, "speaker e-mail set from the admin area");
        state.refresh_event(&event).await
    }
    .await;
    back_to(&state, &user, &page, result)
}
