//! The one conditional-GET helper. A public response says how long it may
//! be reused ([`cacheable`], or a page through `request::set_public_cache`)
//! and carries its epoch in an internal header; this layer gives it an ETag
//! made from the bytes served and that epoch, and answers 304 when the
//! request's `If-None-Match` holds it. Derived from the bytes, the ETag is
//! the same for the same content after a restart, on another instance and
//! on either database; with the epoch, a validator from before a talk's
//! start never matches after it.

use app::cache_policy::{EPOCH_HEADER, Freshness};
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The epoch a response was served under, left in its extensions for the
/// render cache (which counts its `Cache-Control` from it).
#[derive(Debug, Clone, Copy)]
pub struct Epoch(pub i64);

/// A public document with its reuse policy; the ETag comes from [`layer`].
pub fn cacheable(
    freshness: Freshness,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut res = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response();
    mark(res.headers_mut(), freshness);
    res
}

/// Sets `Cache-Control` and the epoch the ETag will include.
pub fn mark(headers: &mut HeaderMap, freshness: Freshness) {
    if let Ok(v) = HeaderValue::from_str(&freshness.cache_control()) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    headers.insert(
        HeaderName::from_static(EPOCH_HEADER),
        HeaderValue::from(freshness.epoch()),
    );
}

/// The ETag of `bytes` served under `epoch` (weak: compression on the way
/// out changes the bytes, not the content).
pub fn etag_of(bytes: &[u8], epoch: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(epoch);
    h.update(b"\n");
    h.update(bytes);
    format!("W/\"{}\"", hex::encode(&h.finalize()[..16]))
}

/// Whether an `If-None-Match` header matches `etag` (weak comparison).
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let etag = etag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// A 304 for `etag`, with the headers a cache needs to keep its copy.
pub fn not_modified(etag: &HeaderValue, from: &HeaderMap) -> Response {
    let mut out = Response::new(Body::empty());
    *out.status_mut() = StatusCode::NOT_MODIFIED;
    out.headers_mut().insert(header::ETAG, etag.clone());
    for k in [header::CACHE_CONTROL, header::VARY] {
        if let Some(v) = from.get(&k) {
            out.headers_mut().insert(k, v.clone());
        }
    }
    out
}

/// `html` without the per-request nonce leptos_axum always puts on its
/// scripts (and, by mistake, as the value of `crossorigin`, where an
/// unknown value means `anonymous`). Marquee's policy allows inline scripts
/// by hash, never by nonce, so the attribute does nothing but make every
/// response's bytes, and so its ETag, different.
pub fn without_nonce(html: Bytes) -> Bytes {
    let Some(nonce) = find_nonce(&html) else {
        return html;
    };
    let text = String::from_utf8_lossy(&html);
    text.replace(&format!(" nonce=\"{nonce}\""), "")
        .replace(&format!("\"{nonce}\""), "\"anonymous\"")
        .into()
}

fn find_nonce(html: &[u8]) -> Option<String> {
    const ATTR: &[u8] = b" nonce=\"";
    let start = html.windows(ATTR.len()).position(|w| w == ATTR)? + ATTR.len();
    let len = html[start..].iter().position(|b| *b == b'"')?;
    let nonce = std::str::from_utf8(&html[start..start + len]).ok()?;
    // A generated nonce: base64 of 16 random bytes, nothing else.
    (nonce.len() >= 16
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'=')))
    .then(|| nonce.to_owned())
}

/// The middleware: ETag and 304 for every response that carries an epoch.
pub async fn layer(req: Request, next: Next) -> Response {
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);
    // Only the validators are kept across the call, not every header of
    // every request (most have none).
    let mut conditions = HeaderMap::new();
    if is_get {
        for v in req.headers().get_all(header::IF_NONE_MATCH) {
            conditions.append(header::IF_NONE_MATCH, v.clone());
        }
    }
    let res = next.run(req).await;
    let (mut parts, body) = res.into_parts();
    let Some(epoch) = parts.headers.remove(EPOCH_HEADER) else {
        return Response::from_parts(parts, body);
    };
    if !is_get || parts.status != StatusCode::OK {
        return Response::from_parts(parts, body);
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "rendering a public response failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let bytes = if html { without_nonce(bytes) } else { bytes };
    let Ok(etag) = HeaderValue::from_str(&etag_of(&bytes, epoch.as_bytes())) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if if_none_match(&conditions, etag.to_str().unwrap_or_default()) {
        return not_modified(&etag, &parts.headers);
    }
    if let Some(e) = epoch.to_str().ok().and_then(|e| e.parse().ok()) {
        parts.extensions.insert(Epoch(e));
    }
    parts.headers.insert(header::ETAG, etag);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_follows_the_bytes_and_the_epoch() {
        assert_eq!(etag_of(b"page", b"0"), etag_of(b"page", b"0"));
        assert_ne!(etag_of(b"page", b"0"), etag_of(b"page!", b"0"));
        assert_ne!(etag_of(b"page", b"0"), etag_of(b"page", b"1700000000"));
    }

    #[test]
    fn the_render_nonce_is_taken_out_of_pages() {
        let page = |n: &str| {
            Bytes::from(format!(
                r#"<link rel="modulepreload" href="/pkg/marquee.js" crossorigin="{n}"><script type="module" nonce="{n}">a()</script><script nonce="{n}">b()</script>"#
            ))
        };
        let a = without_nonce(page("OPGHbV4MWw1p_ZHy1mEu2Q"));
        assert_eq!(a, without_nonce(page("EiAVPDv3L8bJNcZoDfwVFA")));
        assert_eq!(
            a,
            r#"<link rel="modulepreload" href="/pkg/marquee.js" crossorigin="anonymous"><script type="module">a()</script><script>b()</script>"#
        );
        assert_eq!(without_nonce(Bytes::from("<p>x</p>")), "<p>x</p>");
    }

    #[test]
    fn if_none_match_compares_weakly_and_in_lists() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(if_none_match(&h, "W/\"b\""));
        assert!(if_none_match(&h, "\"a\""));
        assert!(!if_none_match(&h, "\"c\""));
    }
}
