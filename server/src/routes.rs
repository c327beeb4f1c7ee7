//! The HTTP surface: Leptos pages, exports, login, the write API, health,
//! static assets; compression and request tracing around all of it.

mod admin_forms;
mod afterwards;
mod api;
mod atom;
mod calendar;
mod change_api;
pub mod conditional;
pub mod email_api;
mod email_board;
mod email_pages;
mod export;
mod invite;
mod live;
pub mod login;
pub mod monitor_api;
mod monitor_forms;
pub mod openapi;
mod proposal_api;
pub mod push_api;
mod reach;
mod redact;
mod screen;
pub(crate) mod security_headers;
mod shift_api;
mod speaker_email;
mod status_api;
pub mod statuspage;
mod team_forms;
mod team_pages;
mod webhook_api;
mod webhook_doc;
mod webhook_forms;
mod webhook_page;

use std::sync::Arc;
use std::time::Duration;

use app::domain::address::OutboundPolicy;
use app::error::AppError;
use app::state::AppState;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router, middleware};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::config::GuardArgs;
use crate::limits::Limits;

/// Largest schedule file the import endpoint accepts.
pub const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

/// The router with default limits and the strict outbound policy (tests).
pub fn build(state: AppState) -> Router {
    build_with(
        state,
        Arc::new(Limits::new(GuardArgs::default())),
        OutboundPolicy::default(),
    )
}

/// The router. Layers, outermost first: the render cache's fast path
/// (current public documents from memory, nothing else); tracing; the client's address; the
/// cap on requests in flight; security headers; compression; the render
/// cache (public documents rendered and compressed once); the body
/// timeout; ETag and 304 (`conditional`), language, sign-in; the request
/// timeout. The live stream is outside all of them but the client's
/// address, its limits and the security headers.
pub fn build_with(state: AppState, limits: Arc<Limits>, outbound: OutboundPolicy) -> Router {
    build_with_extras(state, limits, outbound, |r| r).0
}

/// [`build_with`], with `extras` (the serve command's extensions: the
/// monitors' address policy, the mailer) applied to the stack inside the
/// fast path: outside it, each would be cloned into every request,
/// answered from memory or not. Also gives the render cache, which the
/// accept loop asks before the router (see `http_server::serve`).
pub fn build_with_extras(
    state: AppState,
    limits: Arc<Limits>,
    outbound: OutboundPolicy,
    extras: impl FnOnce(Router<AppState>) -> Router<AppState>,
) -> (Router, Arc<crate::render_cache::RenderCache>) {
    let settings = limits.settings.clone();
    let secure = settings
        .secure_cookies
        .unwrap_or(state.public_url.starts_with("https://"));
    let login_ctx = login::LoginContext::new(limits.clone(), &state.public_url, secure);
    let push_ctx = push_api::PushContext {
        limits: limits.clone(),
        keys: Arc::new(crate::push::vapid::KeyCache::default()),
        policy: outbound,
    };
    let headers = Arc::new(security_headers::SecurityHeaders::new(
        &app::shell::inline_script_hashes(&state.leptos_options),
        &state.public_url,
    ));
    let anonymous_writes =
        || middleware::from_fn_with_state(limits.clone(), crate::limits::anonymous_writes);
    let in_flight = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
            AppError::Busy.into_response()
        }))
        .load_shed()
        // Global: `Router::layer` wraps each route on its own, and a plain
        // concurrency limit would get a semaphore per route.
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            settings.max_in_flight.max(1),
        ));
    let trusted: Arc<[ipnet::IpNet]> = settings.trusted_proxies.clone().into();
    let render_cache = Arc::new(crate::render_cache::RenderCache::new(
        &state,
        crate::render_cache::DEFAULT_CAP_BYTES,
        headers.clone(),
    ));
    let routes = generate_route_list(app::pages::App);
    let context = {
        let s = state.clone();
        move || provide_context(s.clone())
    };
    let shell = {
        let o = state.leptos_options.clone();
        move || app::shell::shell(o.clone())
    };
    // The live stream has a router of its own with only what it needs:
    // each layer around a response stays allocated as long as the stream
    // is open (compression's body state, the trace span, the timeouts),
    // which is most of an idle stream's memory at 10,000 streams. No
    // request timeout (a stream may last) and no compression (events are
    // tiny and must not wait in an encoder's buffer).
    let live = Router::new()
        .route("/e/{event}/live", get(live::live))
        .layer(middleware::from_fn_with_state(
            headers.clone(),
            security_headers::set,
        ))
        .layer(middleware::from_fn_with_state(
            trusted.clone(),
            crate::client_ip::attach,
        ))
        .layer(Extension(limits.clone()))
        .with_state(state.clone());
    let stack = Router::new()
        .route("/healthz", get(health))
        .route("/e/{event}/schedule.json", get(export::schedule_json))
        .route("/e/{event}/schedule.xml", get(export::schedule_xml))
        .route("/login", post(login::login))
        .route("/logout", post(login::logout))
        .route(
            "/api/v1/events/{event}/import",
            post(api::import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/e/{event}/incidents.atom", get(atom::incidents))
        .route("/e/{event}/changes.atom", get(atom::changes))
        .route("/e/{event}/schedule.ics", get(calendar::event))
        .route("/e/{event}/tracks/{file}", get(calendar::track))
        .route("/e/{event}/speakers/{file}", get(calendar::speaker))
        .route("/e/{event}/api/v2/{*doc}", get(statuspage::for_event))
        .route("/api/v2/{*doc}", get(statuspage::for_default))
        .route(
            "/api/v1/events/{event}/incidents",
            post(status_api::post_incident),
        )
        .route(
            "/api/v1/events/{event}/incidents/{id}/updates",
            post(status_api::post_update),
        )
        .route(
            "/api/v1/events/{event}/incidents/{id}/cancel",
            post(status_api::post_cancel),
        )
        .route(
            "/api/v1/events/{event}/components",
            post(status_api::post_component),
        )
        .route(
            "/api/v1/events/{event}/components/{id}",
            patch(status_api::patch_component_api),
        )
        .route(
            "/admin/e/{event}/incidents",
            post(admin_forms::open_incident),
        )
        .route(
            "/admin/e/{event}/incidents/{id}/updates",
            post(admin_forms::update_incident),
        )
        .route(
            "/admin/e/{event}/incidents/{id}/cancel",
            post(admin_forms::cancel_maintenance),
        )
        .route(
            "/admin/e/{event}/components/{id}",
            post(admin_forms::set_component),
        )
        .route("/admin/e/{event}/shift", post(admin_forms::apply_shift))
        .route("/admin/e/{event}/change", post(admin_forms::apply_change))
        .route(
            "/admin/e/{event}/catch-up",
            post(admin_forms::apply_catch_up),
        )
        .route(
            "/admin/e/{event}/catch-up-rules",
            post(admin_forms::set_catch_up_rules),
        )
        .route("/admin/e/{event}/pin", post(admin_forms::set_pinned))
        .route(
            "/admin/e/{event}/speakers/{speaker}/link",
            post(admin_forms::issue_speaker_link),
        )
        .route(
            "/admin/e/{event}/shifts/{id}/revert",
            post(admin_forms::revert_shift),
        )
        .route(
            "/admin/e/{event}/proposals/{id}/publish",
            post(admin_forms::publish_proposal),
        )
        .route(
            "/admin/e/{event}/proposals/{id}/discard",
            post(admin_forms::discard_proposal),
        )
        .route(
            "/admin/e/{event}/proposals/{id}/remind",
            post(admin_forms::remind_proposal),
        )
        .route(
            "/admin/e/{event}/shifts/{id}/remind",
            post(admin_forms::remind_change),
        )
        .route(
            "/api/v1/events/{event}/shifts",
            post(shift_api::post_shift).get(shift_api::list),
        )
        .route(
            "/api/v1/events/{event}/shifts/{id}/revert",
            post(shift_api::post_revert),
        )
        .route(
            "/api/v1/events/{event}/changes",
            post(change_api::post_change),
        )
        .route(
            "/api/v1/events/{event}/catch-up",
            post(change_api::post_catch_up),
        )
        .route(
            "/api/v1/events/{event}/catch-up-rules",
            get(change_api::get_catch_up_rules).patch(change_api::patch_catch_up_rules),
        )
        .route("/api/v1/events/{event}/proposals", get(proposal_api::list))
        .route(
            "/api/v1/events/{event}/proposals/{id}/publish",
            post(proposal_api::publish),
        )
        .route(
            "/api/v1/events/{event}/proposals/{id}/discard",
            post(proposal_api::discard),
        )
        .route(
            "/api/v1/events/{event}/proposals/{id}/remind",
            post(proposal_api::remind),
        )
        .route(
            "/api/v1/events/{event}/shifts/{id}/remind",
            post(proposal_api::remind_change),
        )
        .route(
            "/api/v1/events/{event}/webhooks",
            get(webhook_api::list).post(webhook_api::create),
        )
        .route("/api/v1/events/{event}/webhooks/log", get(webhook_api::log))
        .route(
            "/api/v1/events/{event}/webhooks/{id}",
            axum::routing::delete(webhook_api::remove),
        )
        .route(
            "/api/v1/events/{event}/webhooks/{id}/test",
            post(webhook_api::test),
        )
        .route(
            "/api/v1/events/{event}/webhooks/{id}/enable",
            post(webhook_api::enable),
        )
        .route("/admin/e/{event}/webhooks", post(webhook_forms::add))
        .route(
            "/admin/e/{event}/webhooks/{id}/{action}",
            post(webhook_forms::act),
        )
        .route(
            "/api/v1/events/{event}/monitors",
            get(monitor_api::list).post(monitor_api::post),
        )
        .route(
            "/api/v1/events/{event}/monitors/{id}",
            get(monitor_api::show)
                .patch(monitor_api::patch)
                .delete(monitor_api::delete),
        )
        .route(
            "/api/v1/events/{event}/monitor-drafts",
            get(monitor_api::list_drafts),
        )
        .route(
            "/api/v1/events/{event}/monitor-drafts/{id}/publish",
            post(monitor_api::publish),
        )
        .route(
            "/api/v1/events/{event}/monitor-drafts/{id}/discard",
            post(monitor_api::discard),
        )
        .route("/admin/e/{event}/monitors", post(monitor_forms::add))
        .route("/admin/e/{event}/monitors/{id}", post(monitor_forms::edit))
        .route(
            "/admin/e/{event}/monitors/{id}/pause",
            post(monitor_forms::pause),
        )
        .route(
            "/admin/e/{event}/monitors/{id}/delete",
            post(monitor_forms::delete),
        )
        .route(
            "/admin/e/{event}/monitor-drafts/{id}/publish",
            post(monitor_forms::publish),
        )
        .route(
            "/admin/e/{event}/monitor-drafts/{id}/discard",
            post(monitor_forms::discard),
        )
        // --- team: members, invitations, audit log, postmortems, templates, report ---
        .route(
            "/admin/e/{event}/team/members/{id}",
            post(team_forms::set_member),
        )
        .route(
            "/admin/e/{event}/team/invitations",
            post(team_forms::invite),
        )
        .route(
            "/admin/e/{event}/team/invitations/{id}/withdraw",
            post(team_forms::withdraw_invitation),
        )
        .route(
            "/admin/e/{event}/incidents/{id}/postmortem",
            post(team_forms::set_postmortem),
        )
        .route(
            "/admin/e/{event}/templates",
            post(team_forms::save_template),
        )
        .route(
            "/admin/e/{event}/templates/{key}/delete",
            post(team_forms::delete_template),
        )
        .route(
            "/invite/{token}",
            post(invite::accept).route_layer(anonymous_writes()),
        )
        .route("/admin/e/{event}/audit.json", get(afterwards::audit_json))
        .route("/admin/e/{event}/report.html", get(afterwards::report_html))
        .route("/admin/e/{event}/report.md", get(afterwards::report_md))
        .route("/api/v1/events/{event}/audit", get(afterwards::audit_api))
        // --- end team ---
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/time", get(screen::time))
        .route("/api/v1/push/key", get(push_api::key))
        .route(
            "/api/v1/push/subscriptions",
            post(push_api::subscribe)
                .delete(push_api::unsubscribe)
                .route_layer(anonymous_writes()),
        )
        .route(
            "/s/{token}/answer",
            post(push_api::answer).route_layer(anonymous_writes()),
        )
        .route("/e/{event}/screen.json", get(screen::screen_json))
        // E-mail: subscribing (API and the panel's form), and the pages
        // a mail links to (the token in the path is the credential).
        .route(
            "/api/v1/events/{event}/email/subscriptions",
            post(email_api::subscribe).route_layer(anonymous_writes()),
        )
        .route(
            "/e/{event}/email",
            post(email_pages::subscribe_form).route_layer(anonymous_writes()),
        )
        .route(
            "/email/confirm/{token}",
            get(email_pages::confirm_page)
                .post(email_pages::confirm)
                .route_layer(anonymous_writes()),
        )
        .route(
            "/email/manage/{token}",
            get(email_pages::manage_page)
                .post(email_pages::manage_save)
                .route_layer(anonymous_writes()),
        )
        // No per-address limit on one-click unsubscribe: mail providers
        // POST it from their servers, many readers behind one address.
        .route(
            "/email/unsubscribe/{token}",
            get(email_pages::unsubscribe_page).post(email_api::unsubscribe),
        )
        .route(
            "/admin/e/{event}/speakers/{speaker}/email",
            post(speaker_email::set_speaker_email),
        )
        .route(
            "/email/answer/{token}",
            get(email_pages::answer_page)
                .post(email_pages::answer)
                .route_layer(anonymous_writes()),
        )
        .route("/api/v1/{*rest}", axum::routing::any(api::not_found))
        .leptos_routes_with_context(&state, routes, context.clone(), shell.clone())
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell::shell))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(settings.request_timeout_secs.max(1)),
        ))
        // Inside sign-in and the client's address (it reads both), around
        // every route: each organiser write is recorded here (see `audit`).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::audit::record,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), reach::attach))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            webhook_page::attach,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            email_board::attach,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            monitor_forms::attach,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            team_pages::attach,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            login::resolve_user,
        ))
        .layer(middleware::from_fn(login::remember_language))
        .layer(middleware::from_fn(conditional::layer))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            settings.body_timeout_secs.max(1),
        )))
        .layer(middleware::from_fn_with_state(
            render_cache.clone(),
            crate::render_cache::layer,
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            headers,
            security_headers::set,
        ))
        .layer(in_flight)
        .layer(middleware::from_fn_with_state(
            trusted,
            crate::client_ip::attach,
        ))
        .layer(Extension(login_ctx))
        .layer(Extension(push_ctx))
        .layer(Extension(limits))
        .layer(TraceLayer::new_for_http().make_span_with(redact::span));
    // Outermost: a current public document is answered from memory
    // before any of the above (it counts its hits instead of a span).
    let router = extras(stack)
        .layer(crate::render_cache::FastPathLayer(render_cache.clone()))
        .with_state(state)
        .merge(live);
    (router, render_cache)
}

/// Liveness and what state the server is in: 200 while it can serve the
/// public pages, even when the database is down (then `"database":
/// "unavailable"`), because the read model keeps them working. From memory
/// (the poller's last word on the database), so probing it costs nothing.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let db = if state.db_available() {
        "ok"
    } else {
        "unavailable"
    };
    Json(serde_json::json!({
        "status": "ok",
        "database": db,
        "events": state.read_model.all().len(),
    }))
}
