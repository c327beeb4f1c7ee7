//! The webhooks page's form posts: add, and test / enable / remove one.
//! Each checks the session's CSRF token and the `webhooks` right, uses
//! the API's write path, and redirects back to the page (303), with the
//! refusal kept for the organiser when there is one.

use app::domain::access::Action;
use app::domain::webhook::WebhookInput;
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::admin_forms::{allowed, back_to};
use crate::services::webhook;

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    preset: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    chat_id: String,
    #[serde(default)]
    bot_token: String,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

fn page(event: &str) -> String {
    format!("/admin/e/{event}/webhooks")
}

pub async fn add(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    Form(f): Form<AddForm>,
) -> Response {
    let result = async {
        allowed(&user, &f.csrf, Action::Webhooks, &event)?;
        let input = WebhookInput {
            name: f.name,
            url: f.url,
            preset: f.preset,
            kinds: f.kinds,
            lang: f.lang,
            chat_id: f.chat_id,
            bot_token: f.bot_token,
        };
        let made = webhook::add(&state, &event, &input).await?;
        if let Some(secret) = made.signing_secret {
            // Shown once, on the page this redirects to.
            let mut m = state
                .webhooks
                .issued
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            m.insert(user.csrf_token.clone(), (made.webhook.id, secret));
        }
        Ok::<(), AppError>(())
    }
    .await;
    back_to(&state, &user, &page(&event), result)
}

pub async fn act(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((event, id, action)): Path<(String, i64, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let result = async {
        allowed(&user, &f.csrf, Action::Webhooks, &event)?;
        match action.as_str() {
            "test" => webhook::send_test(&state, &event, id).await,
            "enable" => webhook::enable(&state, &event, id).await.map(|_| ()),
            "remove" => state.store.remove_webhook(&event, id).await,
            other => Err(AppError::not_found(format!("webhook action {other:?}"))),
        }
    }
    .await;
    back_to(&state, &user, &page(&event), result)
}
