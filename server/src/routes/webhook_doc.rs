//! The webhook routes' part of the OpenAPI document, merged into it by a
//! modifier (see `openapi.rs`), so these declarations live beside the
//! routes they describe.

use app::error::ErrorBody;
use app::store::{WebhookLogEntry, WebhookRecord};
use utoipa::{Modify, OpenApi};

use super::webhook_api::WebhookCreateInput;

#[derive(OpenApi)]
#[openapi(
    paths(
        stubs::list_webhooks,
        stubs::create_webhook,
        stubs::remove_webhook,
        stubs::test_webhook,
        stubs::enable_webhook,
        stubs::webhook_log,
    ),
    components(schemas(WebhookCreateInput, WebhookRecord, WebhookLogEntry))
)]
struct WebhookApiDoc;

/// Adds the webhook routes to the document.
pub struct WebhookPaths;

impl Modify for WebhookPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(WebhookApiDoc::openapi());
    }
}

mod stubs {
    #![expect(dead_code, reason = "declarations for the OpenAPI document only")]

    use super::*;

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/webhooks", tag = "write",
        params(("event" = String, Path)),
        responses(
            (status = 200, description = "`{\"webhooks\": [WebhookRecord]}`; never a secret", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn list_webhooks() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/webhooks", tag = "write",
        params(("event" = String, Path)),
        request_body = WebhookCreateInput,
        responses(
            (status = 201, description = "`{\"webhook\", \"secret\"?}`: a `standard` webhook's signing \
                key (`whsec_…`), shown this once", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field (`url` not https or not public, \
                `preset`, `kinds`, `lang`, `chat_id`, `bot_token`); nothing stored", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn create_webhook() {}

    #[utoipa::path(
        delete, path = "/api/v1/events/{event}/webhooks/{id}", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 204, description = "removed, with its deliveries and log"),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn remove_webhook() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/webhooks/{id}/test", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 202, description = "a test message is queued (its attempts appear in the log)",
                body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn test_webhook() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/webhooks/{id}/enable", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 200, description = "`{\"webhook\"}`, enabled, its failure count reset", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn enable_webhook() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/webhooks/log", tag = "write",
        params(
            ("event" = String, Path),
            ("webhook" = Option<i64>, Query, description = "only this webhook"),
            ("limit" = Option<i64>, Query, description = "newest N attempts (1–1000, default 100)"),
        ),
        responses(
            (status = 200, description = "`{\"attempts\": [WebhookLogEntry]}`, newest first", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn webhook_log() {}
}
