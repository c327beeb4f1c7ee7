//! The one place organiser writes are recorded: a layer around every route
//! that writes down each write under `/admin/` and `/api/v1/events/` made
//! by a known principal — method, route pattern, target, status, who, from
//! where — after the handler answered. Routes added later are covered
//! without being listed; handlers may add a short summary by putting an
//! [`AuditNote`] on their response. No request body is ever read here, so
//! no password or token can reach the log.
//!
//! The entry is written before the handler runs, as attempted (status 0,
//! [`ATTEMPTED`]), and given its answer after: a crash, or a client that
//! leaves and drops the handler, between the change and the answer leaves
//! an entry saying who tried what, with the outcome unknown — not nothing.
//! It is not in the change's transaction (the services own theirs), so a
//! change is never refused for want of an entry: if the first write fails
//! (the database is away, and the change will fail too) the entry is
//! written once at the end, as before, and a failure is logged.

use std::sync::{Arc, Mutex};

use app::domain::audit::{ATTEMPTED, Actor, ActorKind, is_organiser_write, succeeded, target_of};
use app::pages::request::CurrentUser;
use app::state::AppState;
use app::store::NewAuditEntry;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::client_ip::ClientIp;

/// A handler's word on what it did, for the log (put it on the response's
/// extensions). One short line; never a secret.
#[derive(Debug, Clone)]
pub struct AuditNote(pub String);

/// The event a write concerned, from a handler whose route does not name
/// it (an invitation link): put it on the response's extensions.
#[derive(Debug, Clone)]
pub struct AuditEvent(pub String);

/// Where the bearer-token extractor says which token acted: the layer puts
/// an empty slot on the request and `ApiCaller` fills it, so the token is
/// looked up once.
#[derive(Debug, Clone, Default)]
pub struct AuditActorSlot(Arc<Mutex<Option<Actor>>>);

impl AuditActorSlot {
    /// Names who acted (a token, or someone joining by invitation).
    pub fn set(&self, actor: Actor) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(actor);
        }
    }

    fn take(&self) -> Option<Actor> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Reads pass straight through: nothing is read or allocated for them.
    if !is_organiser_write(req.method().as_str(), req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, &state).await;
    let mut req = Request::from_parts(parts, body);
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |m| m.as_str().to_owned());
    let params: Vec<(String, String)> = params
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let event = params
        .iter()
        .find(|(k, _)| k == "event")
        .map(|(_, v)| v.clone());
    let target = target_of(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let user = req.extensions().get::<CurrentUser>().map(|u| Actor {
        kind: ActorKind::User,
        name: u.email.clone(),
    });
    let client_ip = req.extensions().get::<ClientIp>().map(|ip| ip.to_string());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let slot = AuditActorSlot::default();
    req.extensions_mut().insert(slot.clone());
    // Who is trying, as far as is known before the handler: a signed-in
    // organiser, or a bearer token not checked yet (named once it is).
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    let trying = user.clone().or_else(|| {
        bearer.then(|| Actor {
            kind: ActorKind::Token,
            name: "(not checked yet)".to_owned(),
        })
    });
    // With the database known to be away the write will fail anyway: no
    // second wait for it here.
    let attempted = match trying.filter(|_| state.db_available()) {
        Some(actor) => {
            let first = NewAuditEntry {
                event_slug: event.clone(),
                at: state.clock.now(),
                actor,
                method: method.clone(),
                route: route.clone(),
                target: target.clone(),
                status: ATTEMPTED,
                ok: false,
                summary: String::new(),
                client_ip: client_ip.clone(),
                user_agent: user_agent.clone(),
            };
            match state.store.begin_audit(&first).await {
                Ok(id) => Some(id),
                Err(e) => {
                    tracing::warn!(error = %e, route = %route, "audit entry not written before the write");
                    None
                }
            }
        }
        None => None,
    };
    let res = next.run(req).await;
    // No principal: a refused anonymous attempt (401), not a change.
    let Some(actor) = user.or_else(|| slot.take()) else {
        if let Some(id) = attempted
            && let Err(e) = state.store.forget_audit(id).await
        {
            tracing::warn!(error = %e, route = %route, "refused attempt not removed from the audit log");
        }
        return res;
    };
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let event = event.or_else(|| res.extensions().get::<AuditEvent>().map(|e| e.0.clone()));
    let entry = NewAuditEntry {
        event_slug: event,
        at: state.clock.now(),
        actor,
        method,
        route,
        target,
        status,
        ok: succeeded(status, location),
        summary: res
            .extensions()
            .get::<AuditNote>()
            .map(|n| n.0.clone())
            .unwrap_or_default(),
        client_ip,
        user_agent,
    };
    let written = match attempted {
        Some(id) => state.store.finish_audit(id, &entry).await,
        None => state.store.record_audit(&entry).await,
    };
    if let Err(e) = written {
        tracing::warn!(error = %e, route = entry.route, "audit entry not written");
    }
    res
}
