//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the write API
//! (`/api/v1/events/…`, bearer tokens), the push endpoints and the public
//! JSON documents. Request bodies are the handlers' own input types (their
//! `ToSchema` derives); the routes are declared here, one stub per route,
//! and a test checks that each one is really routed.

use std::sync::LazyLock;

use app::catchup_input::{CatchUpInput, CatchUpRulesInput, GoalChoice};
use app::change_input::{ChangeInput, ChangeVerb};
use app::error::{ErrorBody, ErrorDetail};
use app::shift_input::{PinnedChoice, ShiftInput};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::email_api::EmailSubscribeInput;
use super::proposal_api::PublishInput;
use super::push_api::{
    AnswerInput, AuthOnly, BrowserSubscription, EndpointAndAuth, SubscribeInput, SubscriptionKeys,
    UnsubscribeInput,
};
use super::shift_api::RevertInput;
use super::status_api::ComponentInput;
use super::webhook_doc::WebhookPaths;
use crate::services::status::{
    CancelInput, ComponentPatchInput, ComponentRef, IncidentInput, UpdateInput,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Marquee",
        description = "Live status, schedules and countdowns for events. Write routes take \
                       `Authorization: Bearer <token>` (`marquee token create`); a token limited \
                       to another event or role gets 403. Every error is \
                       `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    paths(
        stubs::import,
        stubs::post_incident,
        stubs::post_update,
        stubs::post_cancel,
        stubs::post_component,
        stubs::patch_component,
        stubs::post_shift,
        stubs::list_shifts,
        stubs::post_revert,
        stubs::post_change,
        stubs::post_catch_up,
        stubs::get_catch_up_rules,
        stubs::patch_catch_up_rules,
        stubs::list_proposals,
        stubs::audit,
        stubs::publish_proposal,
        stubs::discard_proposal,
        stubs::remind_proposal,
        stubs::remind_change,
        stubs::push_key,
        stubs::subscribe,
        stubs::unsubscribe,
        stubs::email_subscribe,
        stubs::time,
        stubs::screen_json,
        stubs::summary,
        stubs::status,
        stubs::components,
        stubs::incidents,
        stubs::incidents_unresolved,
        stubs::maintenances,
        stubs::maintenances_upcoming,
        stubs::maintenances_active,
        super::monitor_api::doc::list_monitors,
        super::monitor_api::doc::post_monitor,
        super::monitor_api::doc::show_monitor,
        super::monitor_api::doc::patch_monitor,
        super::monitor_api::doc::delete_monitor,
        super::monitor_api::doc::list_drafts,
        super::monitor_api::doc::publish_draft,
        super::monitor_api::doc::discard_draft,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        IncidentInput,
        UpdateInput,
        CancelInput,
        ComponentInput,
        ComponentPatchInput,
        ComponentRef,
        ShiftInput,
        PinnedChoice,
        RevertInput,
        ChangeInput,
        ChangeVerb,
        CatchUpInput,
        CatchUpRulesInput,
        GoalChoice,
        SubscribeInput,
        BrowserSubscription,
        SubscriptionKeys,
        UnsubscribeInput,
        EndpointAndAuth,
        AuthOnly,
        AnswerInput,
        PublishInput,
        crate::services::monitor::MonitorInput,
        EmailSubscribeInput,
    )),
    modifiers(&BearerToken, &WebhookPaths, &DatabaseUnavailable),
    tags(
        (name = "write", description = "Organisers' writes (bearer token)"),
        (name = "push", description = "Web Push subscriptions (no login)"),
        (name = "public", description = "Public, cacheable JSON documents"),
        (name = "email", description = "E-mail subscriptions (no login; double opt-in)"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a token from `marquee token create`"))
                    .build(),
            ),
        );
    }
}

/// Every organiser route, and every push write, needs the database: while
/// it refuses this instance (down, restarting, the role refused, no free
/// connection) they answer 503 `unavailable` and change nothing. Declared
/// once here rather than on each route.
struct DatabaseUnavailable;

impl Modify for DatabaseUnavailable {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        const WHY: &str = "the database is unavailable; nothing was changed";
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                (false, &mut item.get),
                (true, &mut item.post),
                (true, &mut item.put),
                (true, &mut item.patch),
                (true, &mut item.delete),
            ];
            for (writes, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let tagged = |tag: &str| op.tags.iter().flatten().any(|t| t == tag);
                if !(tagged("write") || (writes && tagged("push"))) {
                    continue;
                }
                match op.responses.responses.get_mut("503") {
                    // Already there (busy): it says both.
                    Some(RefOr::T(r)) => r.description = format!("{}; or {WHY}", r.description),
                    Some(RefOr::Ref(_)) => {}
                    None => {
                        let r = ResponseBuilder::new()
                            .description(WHY)
                            .content(
                                "application/json",
                                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                            )
                            .build();
                        op.responses.responses.insert("503".into(), RefOr::T(r));
                    }
                }
            }
        }
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
});

/// `GET /api/openapi.json`.
pub async fn document() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The routes. Stubs: utoipa reads their attributes, nothing calls them.
mod stubs {
    #![expect(dead_code, reason = "declarations for the OpenAPI document only")]

    use super::*;

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/import", tag = "write",
        params(
            ("event" = String, Path, description = "the event's slug (created by an admin's token when new)"),
            ("reason" = Option<String>, Query, description = "for the changelog"),
        ),
        request_body(content = Object, content_type = "application/json",
            description = "a C3VOC schedule.json (or schedule.xml as the body, any content type)"),
        responses(
            (status = 200, description = "imported: version, diff, skipped items", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn import() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/incidents", tag = "write",
        params(("event" = String, Path)),
        request_body = IncidentInput,
        responses(
            (status = 201, description = "the incident, as incidents.json lists it", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_incident() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/incidents/{id}/updates", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        request_body = UpdateInput,
        responses(
            (status = 201, description = "the incident with its new update", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_update() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/incidents/{id}/cancel", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        request_body(content = CancelInput, description = "optional"),
        responses(
            (status = 200, description = "the maintenance, now `completed` with its cancelling \
                update (Statuspage has no cancelled status); it leaves the upcoming lists", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, description = "no such incident", body = ErrorBody),
            (status = 409, description = "it has started (complete it instead), is over, or was \
                cancelled already (`status`)", body = ErrorBody),
            (status = 422, description = "an incident, not a maintenance (`id`), or a bad body", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_cancel() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/components", tag = "write",
        params(("event" = String, Path)),
        request_body = ComponentInput,
        responses(
            (status = 201, description = "the component", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_component() {}

    #[utoipa::path(
        patch, path = "/api/v1/events/{event}/components/{id}", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        request_body = ComponentPatchInput,
        responses(
            (status = 200, description = "the component", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn patch_component() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/shifts", tag = "write",
        params(("event" = String, Path)),
        request_body = ShiftInput,
        responses(
            (status = 200, description = "`dry_run`: the preview", body = Object),
            (status = 201, description = "applied: shift id, version, what moved; with `propose`: \
                `{\"proposal\", \"tally\"}`, the speakers asked, nothing public changed", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_shift() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/shifts", tag = "write",
        params(("event" = String, Path)),
        responses(
            (status = 200, description = "`{\"shifts\": [...]}`", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn list_shifts() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/shifts/{id}/revert", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        request_body(content = RevertInput, description = "optional"),
        responses(
            (status = 201, description = "the undoing shift", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_revert() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/changes", tag = "write",
        params(("event" = String, Path)),
        request_body(content = ChangeInput, description = "one talk: move, swap, cancel or restore; \
            or `op: \"catch_up\"` with a `CatchUpInput` (its `strategy`, `version` and `reason`) to apply \
            one alternative of `…/catch-up`"),
        responses(
            (status = 200, description = "`dry_run`: the preview (edits, conflicts, summary, version)", body = Object),
            (status = 201, description = "applied: shift id (for revert), version, the change; with \
                `propose`: `{\"proposal\", \"tally\"}`, the speakers asked, nothing public changed", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field (`version` when stale)", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_change() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/catch-up", tag = "write",
        params(("event" = String, Path)),
        request_body = CatchUpInput,
        responses(
            (status = 200, description = "the alternatives (everything later first), each with its cost \
                (per track: old and new end, break minutes lost, talk minutes cut; talks shortened; \
                speakers affected) and edits, and the version to apply one on: \
                `POST …/changes` with `op: \"catch_up\"`, the same fields, `strategy`, `version` and `reason`", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn post_catch_up() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/catch-up-rules", tag = "write",
        params(("event" = String, Path)),
        responses(
            (status = 200, description = "the event's catch-up rules: `{\"min_break_min\", \"qa_cut_min\"}` \
                (what a catch-up request leaves out)", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn get_catch_up_rules() {}

    #[utoipa::path(
        patch, path = "/api/v1/events/{event}/catch-up-rules", tag = "write",
        params(("event" = String, Path)),
        request_body = CatchUpRulesInput,
        responses(
            (status = 200, description = "the rules now in force (fields left out kept)", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn patch_catch_up_rules() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/proposals", tag = "write",
        params(("event" = String, Path)),
        responses(
            (status = 200, description = "`{\"proposals\": [{\"proposal\", \"tally\"}]}`, newest first: \
                state, the version it was made on, the change, and each speaker asked (when, reminded, \
                their answer with reason and availability)", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn list_proposals() {}

    #[utoipa::path(
        get, path = "/api/v1/events/{event}/audit", tag = "write",
        params(
            ("event" = String, Path),
            ("page" = Option<i64>, Query, description = "1-based page of 50, newest first"),
        ),
        responses(
            (status = 200, description = "`{\"event\", \"page\", \"per_page\", \"total\", \"entries\": [...]}`: \
                every organiser write (refused ones included), newest first: when, who (`actor_kind` user, \
                token or cli, and `actor`, an e-mail or a token's name), `method`, `route` pattern, `kind`, \
                `target`, `status`, `ok`, `summary`, `client_ip`, `user_agent`. Owners only; never a \
                request body or a credential", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn audit() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/proposals/{id}/publish", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        request_body = PublishInput,
        responses(
            (status = 201, description = "published: shift id (for revert), version, the change; the \
                speakers' answers carry over", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "stale (`version`: the schedule changed since) or no longer \
                open (`proposal_id`: published or discarded); nothing changed", body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn publish_proposal() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/proposals/{id}/discard", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 200, description = "`{\"proposal\", \"tally\"}`, discarded", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "no longer open (`proposal_id`)", body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn discard_proposal() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/proposals/{id}/remind", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 200, description = "`{\"proposal_id\", \"reminded\": [speaker keys]}`: those who \
                had not answered", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 409, description = "no longer open (`proposal_id`)", body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn remind_proposal() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/shifts/{id}/remind", tag = "write",
        params(("event" = String, Path), ("id" = i64, Path)),
        responses(
            (status = 200, description = "`{\"shift_id\", \"reminded\": [speaker keys]}`: those the change \
                asked who had not answered", body = Object),
            (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
            (status = 404, body = ErrorBody),
            (status = 422, description = "the change asks no speaker (`shift_id`: an undo)", body = ErrorBody),
        ),
        security(("bearer" = []))
    )]
    fn remind_change() {}

    #[utoipa::path(
        get, path = "/api/v1/push/key", tag = "push",
        responses((status = 200, description = "`{\"public_key\", \"key_id\"}`", body = Object))
    )]
    fn push_key() {}

    #[utoipa::path(
        post, path = "/api/v1/push/subscriptions", tag = "push",
        request_body = SubscribeInput,
        responses(
            (status = 201, description = "what the subscription will hear about", body = Object),
            (status = 400, description = "refused, naming the field", body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 429, description = "too many from this address; see `Retry-After`", body = ErrorBody),
            (status = 503, description = "busy; see `Retry-After`", body = ErrorBody),
        )
    )]
    fn subscribe() {}

    #[utoipa::path(
        delete, path = "/api/v1/push/subscriptions", tag = "push",
        request_body = UnsubscribeInput,
        responses(
            (status = 204, description = "forgotten"),
            (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, body = ErrorBody),
            (status = 429, description = "too many from this address; see `Retry-After`", body = ErrorBody),
            (status = 503, description = "busy; see `Retry-After`", body = ErrorBody),
        )
    )]
    fn unsubscribe() {}

    #[utoipa::path(
        post, path = "/api/v1/events/{event}/email/subscriptions", tag = "email",
        params(("event" = String, Path, description = "the event's slug")),
        request_body = EmailSubscribeInput,
        responses(
            (status = 202, description = "a confirmation link was mailed (the same answer \
             when the address is subscribed already); nothing is sent before it is used", body = Object),
            (status = 404, description = "no such event, or this server sends no e-mail", body = ErrorBody),
            (status = 413, body = ErrorBody),
            (status = 422, description = "refused, naming the field", body = ErrorBody),
            (status = 429, description = "too many from this address; see `Retry-After`", body = ErrorBody),
            (status = 503, description = "busy, or the mail server cannot be reached", body = ErrorBody),
        )
    )]
    fn email_subscribe() {}

    #[utoipa::path(
        get, path = "/api/v1/time", tag = "public",
        responses((status = 200, description = "`{\"now_ms\"}`: the server's clock", body = Object))
    )]
    fn time() {}

    #[utoipa::path(
        get, path = "/e/{event}/screen.json", tag = "public",
        params(
            ("event" = String, Path),
            ("track" = Option<String>, Query, description = "a track slug"),
            ("day" = Option<String>, Query, description = "YYYY-MM-DD"),
        ),
        responses(
            (status = 200, description = "what a countdown screen shows", body = Object),
            (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        )
    )]
    fn screen_json() {}

    /// The Statuspage-compatible documents of an event, one stub each.
    macro_rules! statuspage_docs {
        ($($name:ident => $path:literal),* $(,)?) => {$(
            #[utoipa::path(
                get, path = $path, tag = "public",
                params(("event" = String, Path)),
                responses(
                    (status = 200, description = "Statuspage public API shape", body = Object),
                    (status = 304, description = "not modified (If-None-Match)"),
                    (status = 404, body = ErrorBody),
                )
            )]
            fn $name() {}
        )*};
    }

    statuspage_docs! {
        summary => "/e/{event}/api/v2/summary.json",
        status => "/e/{event}/api/v2/status.json",
        components => "/e/{event}/api/v2/components.json",
        incidents => "/e/{event}/api/v2/incidents.json",
        incidents_unresolved => "/e/{event}/api/v2/incidents/unresolved.json",
        maintenances => "/e/{event}/api/v2/scheduled-maintenances.json",
        maintenances_upcoming => "/e/{event}/api/v2/scheduled-maintenances/upcoming.json",
        maintenances_active => "/e/{event}/api/v2/scheduled-maintenances/active.json",
    }
}

/// Every declared (method, path), for the test that each is routed.
pub fn declared_routes() -> Vec<(String, String)> {
    let doc = ApiDoc::openapi();
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if op.is_some() {
                out.push((method.to_owned(), path.clone()));
            }
        }
    }
    out
}
