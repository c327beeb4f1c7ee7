//! Organiser sign-in with a server-side session: the cookie holds a random
//! token, the database only its SHA-256. Forms are CSRF-safe: sign-in
//! checks the browser's own word that the form came from this site
//! (`Sec-Fetch-Site`, else `Origin` against the public URL), every
//! signed-in form carries the session's CSRF token, and the cookie is
//! HttpOnly + SameSite=Lax (+ Secure and `__Host-` behind TLS). Sign-in is
//! throttled per client address and per account, and passwords are checked
//! off the async runtime (see [`crate::limits`]).

use std::sync::Arc;

use app::auth::{constant_time_eq, hash_token, new_token};
use app::error::AppError;
use app::pages::request::CurrentUser;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::client_ip::ClientIp;
use crate::limits::{Limits, account_label};

const COOKIE: &str = "marquee_session";
/// The same cookie when served over TLS: browsers take a `__Host-` cookie
/// only with Secure, Path=/ and no Domain, so a sibling subdomain cannot
/// plant (toss) one.
const HOST_COOKIE: &str = "__Host-marquee_session";
const SESSION_HOURS: i64 = 12;

/// What sign-in needs besides the app state.
#[derive(Clone)]
pub struct LoginContext {
    pub limits: Arc<Limits>,
    /// Cookies get Secure and the `__Host-` name.
    pub secure: bool,
    /// `scheme://host[:port]` of the public URL: what a same-site form's
    /// `Origin` says.
    pub public_origin: Arc<str>,
    /// Unknown users are checked against this, so timing does not tell
    /// which emails have accounts.
    dummy_hash: Arc<str>,
}

impl LoginContext {
    pub fn new(limits: Arc<Limits>, public_url: &str, secure: bool) -> LoginContext {
        let public_origin = url::Url::parse(public_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| public_url.trim_end_matches('/').to_owned());
        LoginContext {
            limits,
            secure,
            public_origin: public_origin.into(),
            dummy_hash: app::auth::hash_password("not-a-real-password")
                .unwrap_or_default()
                .into(),
        }
    }

    pub fn cookie_name(&self) -> &'static str {
        if self.secure { HOST_COOKIE } else { COOKIE }
    }

    fn session_cookie(&self, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build((self.cookie_name(), value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(max_age.num_seconds()))
            .build()
    }

    fn idle(&self) -> Duration {
        Duration::minutes(self.limits.settings.session_idle_minutes.max(1))
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// Whether a sign-in post comes from our own form. Browsers say where a
/// request comes from in `Sec-Fetch-Site`, which no page can forge; where
/// they do not (older browsers, scripts), `Origin` must be the public URL's.
/// Neither header: refused, since nothing shows it is not cross-site.
pub(crate) fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let get = |h| headers.get(h).and_then(|v: &HeaderValue| v.to_str().ok());
    match (get("sec-fetch-site"), get(header::ORIGIN.as_str())) {
        (Some("same-origin"), _) => true,
        (Some(_), _) => false,
        (None, Some(origin)) => origin == public_origin,
        (None, None) => false,
    }
}

pub async fn login(
    State(state): State<AppState>,
    Extension(ctx): Extension<LoginContext>,
    ip: ClientIp,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers, &ctx.public_origin) {
        return AppError::Forbidden("cross-site sign-in refused".into()).into_response();
    }
    let email = form.email.trim().to_lowercase();
    let account = account_label(&email);
    if let Err(e) = ctx.limits.login_attempt(ip, &email) {
        if let Some(unlogged) = ctx.limits.log_throttled(ip) {
            tracing::warn!(%ip, %account, unlogged, "sign-in throttled (more from this address in the next minute are counted, not logged)");
        }
        return refused_page(e, &headers);
    }
    let user = {
        let _db = match ctx.limits.anon_db().await {
            Ok(p) => p,
            Err(e) => return refused_page(e, &headers),
        };
        match state.store.find_user(&email).await {
            Ok(u) => u,
            Err(e) => return e.into_response(),
        }
    };
    let phc = user
        .as_ref()
        .map_or_else(|| ctx.dummy_hash.to_string(), |u| u.password_hash.clone());
    let ok = match ctx.limits.verify_password(form.password, phc).await {
        Ok(ok) => ok,
        Err(e) => return refused_page(e, &headers),
    };
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(%ip, %account, "sign-in refused");
        return Redirect::to("/login?error=1").into_response();
    };
    // A new session for every sign-in; the one this browser held before
    // (if any) ends, so a planted or stolen cookie does not live on.
    if let Some(old) = jar.get(ctx.cookie_name()) {
        let _ = state
            .store
            .delete_login_session(&hash_token(old.value()))
            .await;
    }
    let (token, token_hash) = new_token("ms");
    let (csrf, _) = new_token("csrf");
    let expires = Utc::now() + Duration::hours(SESSION_HOURS);
    if let Err(e) = state
        .store
        .create_login_session(user.user_id, &token_hash, &csrf, expires)
        .await
    {
        return e.into_response();
    }
    tracing::info!(%ip, user_id = user.user_id, "organiser signed in");
    let jar = jar.add(ctx.session_cookie(token, Duration::hours(SESSION_HOURS)));
    (jar, Redirect::to("/admin")).into_response()
}

/// A throttled or shed sign-in: 429/503 with `Retry-After`; a page for a
/// browser's form, the usual JSON error for anything else.
fn refused_page(e: AppError, headers: &HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html {
        return e.into_response();
    }
    let lang = app::i18n::negotiate(
        CookieJar::from_headers(headers)
            .get("lang")
            .map(|c| c.value()),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let message = match &e {
        AppError::TooManyRequests { retry_after } => rust_i18n_format(
            &app::i18n::tr("login.throttled", lang),
            &retry_after.to_string(),
        ),
        _ => app::i18n::tr("login.busy", lang),
    };
    let back = app::i18n::tr("login.back", lang);
    let mut res = e.into_response();
    let page = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{message}</title><link rel=\"stylesheet\" href=\"/pkg/marquee.css\"></head>\
         <body><main class=\"login\"><p class=\"error\" role=\"alert\" data-testid=\"login-throttled\">{message}</p>\
         <p><a href=\"/login\">{back}</a></p></main></body></html>"
    );
    let status = res.status();
    let retry = res.headers_mut().remove(header::RETRY_AFTER);
    res = (status, Html(page)).into_response();
    if let Some(v) = retry {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// `%{seconds}` in a translated sentence (rust-i18n's `t!` interpolates only
/// inside the crate that loads the locales).
fn rust_i18n_format(template: &str, seconds: &str) -> String {
    template.replace("%{seconds}", seconds)
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(ctx): Extension<LoginContext>,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(token) = jar.get(ctx.cookie_name()).map(|c| c.value().to_owned()) else {
        return Redirect::to("/").into_response();
    };
    let hash = hash_token(&token);
    match state.store.find_login_session(&hash, Utc::now()).await {
        Ok(Some(s)) if constant_time_eq(&s.csrf_token, &form.csrf) => {
            if let Err(e) = state.store.delete_login_session(&hash).await {
                return e.into_response();
            }
        }
        Ok(Some(_)) => return AppError::Forbidden("invalid CSRF token".into()).into_response(),
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let jar = jar.add(ctx.session_cookie(String::new(), Duration::zero()));
    (jar, Redirect::to("/")).into_response()
}

/// Resolves the session cookie into a `CurrentUser` for organiser pages
/// only, and a speaker link into its scope on `/s/` pages; other pages
/// never touch the database.
pub async fn resolve_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(ctx) = req.extensions().get::<LoginContext>().cloned() else {
        return AppError::Internal("no login context".into()).into_response();
    };
    let path = req.uri().path().to_owned();
    let path = path.as_str();
    let wants_user = path == "/admin"
        || path.starts_with("/admin/")
        || path == "/logout"
        || path == "/login"
        // An invitation is taken up by the organiser signed in, if any.
        || path.starts_with("/invite/");
    let admin_area = path == "/admin" || path.starts_with("/admin/");
    if let Some(token) = path.strip_prefix("/s/") {
        let _db = match ctx.limits.anon_db().await {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        };
        if let Ok(Some(link)) = state.store.find_speaker_link(&hash_token(token)).await {
            if link.is_live(Utc::now()) {
                req.extensions_mut()
                    .insert(app::pages::speaker::SpeakerScope {
                        event_slug: link.event_slug,
                        speaker_key: link.speaker_key,
                    });
            } else {
                req.extensions_mut()
                    .insert(app::pages::speaker::SpeakerLinkExpired);
            }
        }
    }
    if wants_user {
        let jar = CookieJar::from_headers(req.headers());
        if let Some(cookie) = jar.get(ctx.cookie_name())
            && let Ok(Some(s)) = state
                .store
                .find_active_session(&hash_token(cookie.value()), Utc::now(), ctx.idle())
                .await
        {
            req.extensions_mut().insert(CurrentUser {
                email: s.email,
                csrf_token: s.csrf_token,
                access: s.access,
            });
        }
        if admin_area && req.extensions().get::<CurrentUser>().is_none() {
            return Redirect::to("/login").into_response();
        }
    }
    next.run(req).await
}

/// `?lang=xx` on any page also sets a `lang` cookie, so the choice sticks.
pub async fn remember_language(req: Request, next: Next) -> Response {
    let chosen = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded_lang(q).and_then(|l| app::i18n::supported(&l)));
    let mut res = next.run(req).await;
    if let Some(l) = chosen {
        let cookie = Cookie::build(("lang", l))
            .path("/")
            .max_age(cookie::time::Duration::days(365))
            .same_site(SameSite::Lax)
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    if res.status() == StatusCode::OK && res.headers().get(header::CACHE_CONTROL).is_none() {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

fn form_urlencoded_lang(q: &str) -> Option<String> {
    q.split('&')
        .find_map(|kv| kv.strip_prefix("lang=").map(str::to_owned))
}
