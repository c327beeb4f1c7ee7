//! Rendered once, served many times. The public documents of an event
//! (pages in each language, Statuspage JSON, exports, calendars, feeds)
//! are rendered and compressed (brotli, gzip) once per change of what they
//! show, and served from memory with their ETag; a conditional GET is
//! answered 304 from memory. An entry holds while the event's view is the
//! one it was rendered from and the clock has not passed its next boundary
//! (`cache_policy`), so it is never older than a fresh render would be.
//!
//! It sits inside the security-header layer (so cached answers get them
//! too) and inside compression (which leaves responses that already carry
//! a `Content-Encoding` alone). Requests with a cookie (organisers, a
//! chosen language) and responses that set one are never cached, nor is
//! anything not marked public, nor the live stream.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};

use app::cache_policy::Freshness;
use app::read_model::EventView;
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;

use crate::routes::conditional::{Epoch, if_none_match, not_modified};

/// How many bytes (all encodings together) the cache may hold.
pub const DEFAULT_CAP_BYTES: usize = 64 * 1024 * 1024;

/// What a response is looked up by: the path with its query, and the
/// language the page would be rendered in (from `Accept-Language`; a
/// chosen language comes as a cookie, which bypasses the cache).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    uri: String,
    lang: &'static str,
}

/// One rendered document in every encoding.
struct Entry {
    /// The view it was rendered from. Weak, so an entry nobody asks for
    /// again does not keep an old schedule in memory; still, its allocation
    /// is not reused while this exists, so comparing pointers cannot
    /// mistake a newer view for it.
    view: Weak<EventView>,
    /// The view's clock boundary when it was rendered.
    boundary: i64,
    /// Whether the database was reachable (pages say when it is not).
    db_ok: bool,
    /// The response's own epoch (0: only writes change it), for its
    /// `Cache-Control` at the moment it is served.
    epoch: i64,
    etag: HeaderValue,
    headers: HeaderMap,
    identity: Bytes,
    gzip: Bytes,
    br: Bytes,
    last_used: AtomicU64,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.br.len() + 512
    }
}

/// The cache, shared by all requests.
pub struct RenderCache {
    state: AppState,
    entries: RwLock<HashMap<Key, Arc<Entry>>>,
    bytes: AtomicUsize,
    tick: AtomicU64,
    cap: usize,
}

impl RenderCache {
    pub fn new(state: &AppState, cap: usize) -> Self {
        Self {
            state: state.clone(),
            entries: RwLock::default(),
            bytes: AtomicUsize::new(0),
            tick: AtomicU64::new(0),
            cap,
        }
    }

    fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        let e = self.entries.read().ok()?.get(key).cloned()?;
        e.last_used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(e)
    }

    fn insert(&self, key: Key, entry: Arc<Entry>) {
        let size = entry.size();
        if size > self.cap / 4 {
            return;
        }
        let mut m = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = m.insert(key, entry) {
            self.bytes.fetch_sub(old.size(), Ordering::Relaxed);
        }
        let mut total = self.bytes.fetch_add(size, Ordering::Relaxed) + size;
        // Over the cap: the least recently used go first.
        while total > self.cap {
            let Some(k) = m
                .iter()
                .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = m.remove(&k) {
                total -= e.size();
                self.bytes.fetch_sub(e.size(), Ordering::Relaxed);
            }
        }
    }

    /// Number of documents held (for tests and the bench).
    pub fn len(&self) -> usize {
        self.entries.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which encoding to send, from `Accept-Encoding` (a `q=0` refuses one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

impl Encoding {
    fn accepted(headers: &HeaderMap) -> Self {
        let mut br = false;
        let mut gzip = false;
        for part in headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            match name.as_str() {
                "br" => br = !refused,
                "gzip" => gzip = !refused,
                _ => {}
            }
        }
        if br {
            Self::Br
        } else if gzip {
            Self::Gzip
        } else {
            Self::Identity
        }
    }
}

/// The event a request reads, when it is one the cache may answer: a GET
/// of `/e/{event}/…` (not the live stream) without a cookie.
fn event_of(req: &Request) -> Option<&str> {
    if req.method() != Method::GET || req.headers().contains_key(header::COOKIE) {
        return None;
    }
    let rest = req.uri().path().strip_prefix("/e/")?;
    let (slug, tail) = rest.split_once('/').unwrap_or((rest, ""));
    (!slug.is_empty() && tail != "live").then_some(slug)
}

/// The middleware.
pub async fn layer(State(cache): State<Arc<RenderCache>>, req: Request, next: Next) -> Response {
    let Some(view) = event_of(&req).and_then(|slug| cache.state.read_model.get(slug)) else {
        return next.run(req).await;
    };
    let now = cache.state.clock.now();
    let boundary = Freshness::for_view(&view, now).epoch();
    let db_ok = cache.state.db_available();
    let key = Key {
        uri: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned()),
        lang: app::i18n::negotiate(
            None,
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    };
    let encoding = Encoding::accepted(req.headers());
    let conditions = req.headers().clone();
    let held = cache.get(&key);
    if let Some(e) = &held
        && std::ptr::eq(e.view.as_ptr(), Arc::as_ptr(&view))
        && e.boundary == boundary
        && e.db_ok == db_ok
    {
        return respond(e, encoding, &conditions, now);
    }

    // Render it afresh, whole and uncompressed.
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(header::IF_NONE_MATCH);
    parts.headers.remove(header::IF_MODIFIED_SINCE);
    let res = next.run(Request::from_parts(parts, body)).await;
    if res.status().is_server_error()
        && let Some(stale) = &held
    {
        tracing::error!(status = %res.status(), uri = key.uri, "render failed; serving the last good copy");
        return respond(stale, encoding, &conditions, now);
    }
    if !storable(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let identity = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, uri = key.uri, "render failed");
            return match &held {
                Some(stale) => respond(stale, encoding, &conditions, now),
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
        }
    };
    let Some(etag) = parts.headers.get(header::ETAG).cloned() else {
        return Response::from_parts(parts, Body::from(identity));
    };
    let epoch = parts.extensions.get::<Epoch>().map_or(0, |e| e.0);
    let compressed = identity.clone();
    let (gzip, br) = tokio::task::spawn_blocking(move || compress(&compressed))
        .await
        .unwrap_or_default();
    let mut headers = parts.headers;
    for h in [header::CONTENT_LENGTH, header::ETAG, header::CACHE_CONTROL] {
        headers.remove(h);
    }
    let entry = Arc::new(Entry {
        view: Arc::downgrade(&view),
        boundary,
        db_ok,
        epoch,
        etag,
        headers,
        identity,
        gzip,
        br,
        last_used: AtomicU64::new(cache.tick.fetch_add(1, Ordering::Relaxed)),
    });
    cache.insert(key, entry.clone());
    respond(&entry, encoding, &conditions, now)
}

/// A response the cache may keep: a public 200 with an ETag that sets no
/// cookie and is not already encoded.
fn storable(res: &Response) -> bool {
    res.status() == StatusCode::OK
        && res.headers().contains_key(header::ETAG)
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res.headers().contains_key(header::CONTENT_ENCODING)
        && res
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("public"))
}

/// gzip and brotli of `bytes` (empty when a compressor fails: then the
/// identity bytes are served).
fn compress(bytes: &[u8]) -> (Bytes, Bytes) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let gzip = gz
        .write_all(bytes)
        .and_then(|()| gz.finish())
        .unwrap_or_default();
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        lgwin: 22,
        ..Default::default()
    };
    let br = match brotli::BrotliCompress(&mut &bytes[..], &mut br, &params) {
        Ok(_) => br,
        Err(_) => Vec::new(),
    };
    (gzip.into(), br.into())
}

/// The held document for this request: 304 when its tag matches, else the
/// bytes in the best encoding the client takes, with a `Cache-Control`
/// counted from now (the boundary does not move while it is held).
fn respond(
    e: &Entry,
    encoding: Encoding,
    conditions: &HeaderMap,
    now: DateTime<chrono::Utc>,
) -> Response {
    let until = (e.epoch != 0)
        .then(|| DateTime::from_timestamp(e.epoch, 0))
        .flatten();
    let cache_control = HeaderValue::from_str(&Freshness { until, now }.cache_control())
        .unwrap_or(HeaderValue::from_static("no-cache"));
    let mut headers = e.headers.clone();
    headers.insert(header::CACHE_CONTROL, cache_control);
    add_vary(&mut headers);
    if if_none_match(conditions, e.etag.to_str().unwrap_or_default()) {
        return not_modified(&e.etag, &headers);
    }
    let (body, coding) = match encoding {
        Encoding::Br if !e.br.is_empty() => (e.br.clone(), Some("br")),
        Encoding::Gzip | Encoding::Br if !e.gzip.is_empty() => (e.gzip.clone(), Some("gzip")),
        _ => (e.identity.clone(), None),
    };
    headers.insert(header::ETAG, e.etag.clone());
    if let Some(c) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = headers;
    res
}

/// Adds `Accept-Encoding` to `Vary`: the same URL has three bodies.
fn add_vary(headers: &mut HeaderMap) {
    let current = headers
        .get(header::VARY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if current.to_ascii_lowercase().contains("accept-encoding") {
        return;
    }
    let v = if current.is_empty() {
        "Accept-Encoding".to_owned()
    } else {
        format!("{current}, Accept-Encoding")
    };
    if let Ok(v) = HeaderValue::from_str(&v) {
        headers.insert(header::VARY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Encoding {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        Encoding::accepted(&h)
    }

    #[test]
    fn the_best_accepted_encoding_is_picked() {
        assert_eq!(accept("gzip, deflate, br"), Encoding::Br);
        assert_eq!(accept("gzip"), Encoding::Gzip);
        assert_eq!(accept("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(accept("identity"), Encoding::Identity);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn compressed_bodies_decompress_to_the_identity_bytes() {
        use std::io::Read;
        let page = "<html>".repeat(1000);
        let (gz, br) = compress(page.as_bytes());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, page);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, page.as_bytes());
        assert!(br.len() < page.len() / 10);
    }
}
