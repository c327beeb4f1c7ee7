//! Outgoing webhooks, apart from HTTP: the API, the organiser's forms and
//! the CLI add, test and re-enable webhooks through these.

use app::domain::webhook::{Preset, WebhookInput, validate};
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{Store, WebhookRecord};

/// A webhook just made, with its secret: the Standard Webhooks signing
/// key, shown this once (a bot token is the organiser's own, not shown).
pub struct Created {
    pub webhook: WebhookRecord,
    pub signing_secret: Option<String>,
}

/// Checks `input` (its URL under `policy`, as the sending client parses
/// it) and stores it; nothing is stored when anything is refused.
pub async fn create(
    store: &Store,
    policy: app::domain::address::OutboundPolicy,
    slug: &str,
    input: &WebhookInput,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Created> {
    let hook = validate(input).map_err(|r| AppError::invalid(r.field, r.message))?;
    if hook.preset != Preset::Telegram {
        crate::outbound::check_url(&hook.url, policy).map_err(|r| AppError::invalid("url", r.0))?;
    }
    let (secret, shown) = match hook.preset {
        Preset::Standard => {
            let s = crate::webhook::sign::new_secret();
            (s.clone(), Some(s))
        }
        Preset::Telegram => (hook.bot_token.clone(), None),
        _ => (String::new(), None),
    };
    let webhook = store.create_webhook(slug, &hook, &secret, now).await?;
    Ok(Created {
        webhook,
        signing_secret: shown,
    })
}

/// Adds a webhook to an event the server serves.
pub async fn add(state: &AppState, slug: &str, input: &WebhookInput) -> Result<Created> {
    super::event_view(state, slug)?;
    create(
        &state.store,
        state.webhooks.policy,
        slug,
        input,
        state.clock.now(),
    )
    .await
}

/// Queues a test message and wakes the worker.
pub async fn send_test(state: &AppState, slug: &str, id: i64) -> Result<()> {
    state
        .store
        .queue_webhook_test(slug, id, &new_msg_id(), state.clock.now())
        .await?;
    state.webhooks.wake.notify_one();
    Ok(())
}

/// A Standard Webhooks message id.
pub fn new_msg_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

/// Turns a disabled webhook back on.
pub async fn enable(state: &AppState, slug: &str, id: i64) -> Result<WebhookRecord> {
    state
        .store
        .enable_webhook(slug, id, state.clock.now())
        .await
}
