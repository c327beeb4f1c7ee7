//! Response headers that make the browser a second line of defence:
//! `nosniff` everywhere, a Referrer-Policy, a Content-Security-Policy on
//! every HTML page (scripts only from this origin plus the hash of Leptos's
//! inline islands loader; WebAssembly allowed to compile), framing refused
//! for the organiser area, sign-in and speakers' pages (countdown screens
//! stay embeddable for OBS and venue signage), and HSTS when the public URL
//! is https. The same bytes go to everyone: no per-request nonce.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub struct SecurityHeaders {
    csp: HeaderValue,
    csp_unframed: HeaderValue,
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    /// `script_hashes`: `'sha256-…'` sources of the inline scripts pages
    /// carry ([`app::shell::inline_script_hashes`]).
    pub fn new(script_hashes: &[String], public_url: &str) -> SecurityHeaders {
        // Inline `style` attributes carry track colours and grid sizes
        // (CSS variables), so styles need 'unsafe-inline'; scripts do not.
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
             font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'",
            script_hashes.join(" ")
        );
        let value = |s: String| {
            HeaderValue::from_str(&s).unwrap_or(HeaderValue::from_static("default-src 'self'"))
        };
        SecurityHeaders {
            csp_unframed: value(format!("{policy}; frame-ancestors 'none'")),
            csp: value(policy),
            hsts: public_url
                .starts_with("https://")
                .then_some(HeaderValue::from_static("max-age=31536000")),
        }
    }
}

/// Pages that must never be framed: a frame could trick an organiser or a
/// speaker into clicking (clickjacking).
fn unframed(path: &str) -> bool {
    path == "/admin"
        || path.starts_with("/admin/")
        || path == "/login"
        || path == "/logout"
        || path.starts_with("/s/")
}

impl SecurityHeaders {
    /// Adds the headers to a response for `path`: the one place that decides
    /// them, used around every response and by the render cache's fast path
    /// when it prebuilds a document's headers.
    pub fn apply(&self, path: &str, h: &mut HeaderMap) {
        self.apply_as(unframed(path), h);
    }

    fn apply_as(&self, unframed: bool, h: &mut HeaderMap) {
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // Pages that set their own (speakers' pages: no-referrer) keep it.
        if !h.contains_key(header::REFERRER_POLICY) {
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
        }
        let html = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if unframed {
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(header::CONTENT_SECURITY_POLICY, self.csp_unframed.clone());
        } else if html {
            h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        }
        if let Some(hsts) = &self.hsts {
            h.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
    }
}

pub async fn set(
    State(headers): State<Arc<SecurityHeaders>>,
    req: Request,
    next: Next,
) -> Response {
    let unframed = unframed(req.uri().path());
    let mut res = next.run(req).await;
    headers.apply_as(unframed, res.headers_mut());
    res
}
