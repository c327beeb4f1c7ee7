//! Rendered once, served many times. The public documents of an event
//! (pages in each language, Statuspage JSON, exports, calendars, feeds)
//! are rendered and compressed (brotli, gzip) once per change of what they
//! show, and served from memory with their ETag; a conditional GET is
//! answered 304 from memory. An entry holds while the event's view is the
//! one it was rendered from and the clock has not passed its next boundary
//! (`cache_policy`), so it is never older than a fresh render would be.
//!
//! Two parts. [`layer`] sits inside the security-header layer and inside
//! compression (which leaves responses that already carry a
//! `Content-Encoding` alone); it renders what is missing or out of date and
//! stores it. The server's accept loop asks [`RenderCache::answer`] before
//! the router, and [`FastPath`] is the router's outermost step (for what
//! is served without that loop, the tests): a request
//! whose answer is held and current gets the stored bytes with headers
//! built once when the entry was stored (security headers included, by the
//! same function the security layer uses), before tracing, the in-flight
//! limit, compression and the rest of the stack; anything else goes on
//! through all of them. Requests with a cookie (organisers, a chosen
//! language) and responses that set one are never cached, nor is anything
//! not marked public, nor the live stream.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, RwLock, Weak};
use std::task::{Context, Poll};

use app::cache_policy::Freshness;
use app::read_model::EventView;
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::future::Either;
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt};

use crate::routes::conditional::{Epoch, if_none_match, not_modified};
use crate::routes::security_headers::SecurityHeaders;

/// How many bytes (all encodings together) the cache may hold.
pub const DEFAULT_CAP_BYTES: usize = 64 * 1024 * 1024;

/// One rendered document in every encoding, with the headers of each
/// answer built once.
struct Entry {
    /// The view it was rendered from. Weak, so an entry nobody asks for
    /// again does not keep an old schedule in memory; still, its allocation
    /// is not reused while this exists, so comparing pointers cannot
    /// mistake a newer view for it.
    view: Weak<EventView>,
    /// When it was rendered, and the view's next clock boundary then
    /// (`None`: none). `next_change` gives the same boundary at every
    /// instant in between, so the entry is what a fresh render would be
    /// exactly while the clock is in `[since, until)`.
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    /// Whether the database was reachable (pages say when it is not).
    db_ok: bool,
    /// The response's own epoch (0: only writes change it), for its
    /// `Cache-Control` at the moment it is served.
    epoch: i64,
    etag: HeaderValue,
    identity: Bytes,
    gzip: Bytes,
    br: Bytes,
    /// The headers of the 200 in each encoding (indexed by [`Coding`]) and
    /// of the 304, everything but `Cache-Control`, which follows the clock.
    wire: [HeaderMap; 3],
    not_modified: HeaderMap,
    last_used: AtomicU64,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.br.len() + 2048
    }

    /// Whether this is still what rendering `view` at `now` would give.
    fn current(&self, view: &Arc<EventView>, now: DateTime<Utc>, db_ok: bool) -> bool {
        std::ptr::eq(self.view.as_ptr(), Arc::as_ptr(view))
            && self.since <= now
            && self.until.is_none_or(|u| now < u)
            && self.db_ok == db_ok
    }

    /// The body and the coding actually sent for what the client takes
    /// (a compressor that failed left its body empty).
    fn body(&self, wanted: Encoding) -> (&Bytes, Coding) {
        match wanted {
            Encoding::Br if !self.br.is_empty() => (&self.br, Coding::Br),
            Encoding::Gzip | Encoding::Br if !self.gzip.is_empty() => (&self.gzip, Coding::Gzip),
            _ => (&self.identity, Coding::Identity),
        }
    }

    /// The answer to a request with these conditions at `now`: 304 when its
    /// tag matches, else the bytes in the best encoding the client takes.
    fn answer(&self, wanted: Encoding, conditions: &HeaderMap, now: DateTime<Utc>) -> Response {
        let cache_control = cache_control(self.epoch, now);
        if if_none_match(conditions, self.etag.to_str().unwrap_or_default()) {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::NOT_MODIFIED;
            *res.headers_mut() = self.not_modified.clone();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, cache_control);
            return res;
        }
        let (body, coding) = self.body(wanted);
        let mut res = Response::new(Body::from(body.clone()));
        *res.headers_mut() = self.wire[coding as usize].clone();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, cache_control);
        res
    }
}

/// What a stored answer was sent as; the index of its headers in
/// [`Entry::wire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity = 0,
    Gzip = 1,
    Br = 2,
}

impl Coding {
    fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }
}

/// Which request, and what answered it, for tests: responses from memory
/// carry this in their extensions (never on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServedFrom {
    /// The fast path, before the middleware stack.
    FastPath,
    /// The cache layer inside the stack (a render, or a copy held there).
    Layer,
}

/// Documents by path-and-query, then by language (from `Accept-Language`;
/// a chosen language comes as a cookie, which bypasses the cache). Two
/// levels so that a lookup borrows the request's URI instead of building
/// a key.
type Entries = HashMap<String, Vec<(&'static str, Arc<Entry>)>>;

/// How often the fast path logs its count (it opens no span per request).
const HITS_LOGGED_EVERY: u64 = 100_000;

/// The cache, shared by all requests.
pub struct RenderCache {
    state: AppState,
    security: Arc<SecurityHeaders>,
    entries: RwLock<Entries>,
    bytes: AtomicUsize,
    tick: AtomicU64,
    /// Requests answered by the fast path (tracing counts these instead of
    /// a span for each).
    hits: AtomicU64,
    cap: usize,
}

impl RenderCache {
    pub fn new(state: &AppState, cap: usize, security: Arc<SecurityHeaders>) -> Self {
        Self {
            state: state.clone(),
            security,
            entries: RwLock::default(),
            bytes: AtomicUsize::new(0),
            tick: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            cap,
        }
    }

    fn get(&self, uri: &str, lang: &str) -> Option<Arc<Entry>> {
        let m = self.entries.read().ok()?;
        let e = m.get(uri)?.iter().find(|(l, _)| *l == lang)?.1.clone();
        e.last_used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(e)
    }

    fn insert(&self, uri: String, lang: &'static str, entry: Arc<Entry>) {
        let size = entry.size();
        if size > self.cap / 4 {
            return;
        }
        let mut m = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let slots = m.entry(uri).or_default();
        match slots.iter_mut().find(|(l, _)| *l == lang) {
            Some((_, held)) => {
                self.bytes.fetch_sub(held.size(), Ordering::Relaxed);
                *held = entry;
            }
            None => slots.push((lang, entry)),
        }
        let mut total = self.bytes.fetch_add(size, Ordering::Relaxed) + size;
        // Over the cap: the least recently used go first.
        while total > self.cap {
            let Some((uri, lang)) = m
                .iter()
                .flat_map(|(u, s)| s.iter().map(move |(l, e)| (u, *l, e)))
                .min_by_key(|(_, _, e)| e.last_used.load(Ordering::Relaxed))
                .map(|(u, l, _)| (u.clone(), l))
            else {
                break;
            };
            let Some(slots) = m.get_mut(&uri) else { break };
            if let Some(i) = slots.iter().position(|(l, _)| *l == lang) {
                let (_, e) = slots.swap_remove(i);
                total -= e.size();
                self.bytes.fetch_sub(e.size(), Ordering::Relaxed);
            }
            if slots.is_empty() {
                m.remove(&uri);
            }
        }
    }

    /// Number of documents held (for tests and the bench).
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .map(|m| m.values().map(Vec::len).sum())
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests the fast path has answered since the start.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// The fast path: the stored answer to `req` if it is a cacheable GET
    /// whose document is held and current, and nothing the stack around
    /// the cache would do could change it; `None` sends it through the
    /// stack. Allocates only the response's header map and body handle.
    pub fn answer<B>(&self, req: &axum::http::Request<B>) -> Option<Response> {
        let slug = event_of(req)?;
        // An identity answer goes through compression, which would encode
        // it for a client that takes deflate or zstd: leave those to it.
        let (wanted, others) = Encoding::accepted(req.headers());
        let uri = req.uri().path_and_query()?.as_str();
        let lang = language(req.headers());
        let m = self.entries.read().ok()?;
        let e = &m.get(uri)?.iter().find(|(l, _)| *l == lang)?.1;
        let (_, coding) = e.body(wanted);
        if coding == Coding::Identity && others {
            return None;
        }
        let view = self.state.read_model.get(slug)?;
        let now = self.state.clock.now();
        if !e.current(&view, now, self.state.db_available()) {
            return None;
        }
        e.last_used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        let res = e.answer(wanted, req.headers(), now);
        drop(m);
        let hits = self.hits.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(
            uri,
            lang,
            status = res.status().as_u16(),
            "served from memory"
        );
        if hits == 1 || hits.is_multiple_of(HITS_LOGGED_EVERY) {
            tracing::info!(
                hits,
                "requests answered from memory by the fast path so far"
            );
        }
        Some(res)
    }
}

/// The `Cache-Control` of a response with `epoch` served at `now`: the
/// value of `Freshness::cache_control`, from a table built once (it only
/// depends on the whole seconds left to the boundary, and is the same for
/// every wait of [`FAR`] seconds or more).
fn cache_control(epoch: i64, now: DateTime<Utc>) -> HeaderValue {
    static TABLE: LazyLock<(HeaderValue, Vec<HeaderValue>)> = LazyLock::new(|| {
        let at = DateTime::UNIX_EPOCH;
        let value = |until: Option<DateTime<Utc>>| {
            // Built once and never freed: a static value is copied by
            // pointer, with no reference count for the cores to share.
            let s: &'static str = Box::leak(
                Freshness { until, now: at }
                    .cache_control()
                    .into_boxed_str(),
            );
            HeaderValue::from_static(s)
        };
        let near = (0..FAR)
            .map(|s| value(Some(at + chrono::Duration::seconds(s))))
            .collect();
        (value(None), near)
    });
    let (timeless, near) = &*TABLE;
    let Some(until) = (epoch != 0)
        .then(|| DateTime::from_timestamp(epoch, 0))
        .flatten()
    else {
        return timeless.clone();
    };
    let left = (until - now).num_seconds().max(0);
    usize::try_from(left)
        .ok()
        .and_then(|i| near.get(i))
        .unwrap_or(timeless)
        .clone()
}

/// Seconds to a boundary from which `Cache-Control` no longer changes
/// (`max-age` and `stale-while-revalidate` both at their caps).
const FAR: i64 = app::cache_policy::MAX_AGE_SECS + app::cache_policy::STALE_SECS + 1;

/// Which encoding to send, from `Accept-Encoding` (a `q=0` refuses one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best encoding the cache holds that the client takes, and
    /// whether it also takes one the cache does not hold (deflate, zstd,
    /// `*`). No allocation: this runs on every fast-path request.
    fn accepted(headers: &HeaderMap) -> (Self, bool) {
        let mut br = false;
        let mut gzip = false;
        let mut others = false;
        for part in headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim();
            let refused = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if name.eq_ignore_ascii_case("br") {
                br = !refused;
            } else if name.eq_ignore_ascii_case("gzip") {
                gzip = !refused;
            } else if !name.is_empty() && !name.eq_ignore_ascii_case("identity") && !refused {
                others = true;
            }
        }
        let best = if br {
            Self::Br
        } else if gzip {
            Self::Gzip
        } else {
            Self::Identity
        };
        (best, others)
    }
}

/// The language a page is rendered in for a request without a cookie.
fn language(headers: &HeaderMap) -> &'static str {
    app::i18n::negotiate(
        None,
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The event a request reads, when it is one the cache may answer: a GET
/// of `/e/{event}/…` (not the live stream) without a cookie.
fn event_of<B>(req: &axum::http::Request<B>) -> Option<&str> {
    if req.method() != Method::GET || req.headers().contains_key(header::COOKIE) {
        return None;
    }
    let rest = req.uri().path().strip_prefix("/e/")?;
    let (slug, tail) = rest.split_once('/').unwrap_or((rest, ""));
    (!slug.is_empty() && tail != "live").then_some(slug)
}

/// The fast path as a layer: outermost on the router (see [`FastPath`]).
#[derive(Clone)]
pub struct FastPathLayer(pub Arc<RenderCache>);

impl<S> Layer<S> for FastPathLayer {
    type Service = FastPath<S>;

    fn layer(&self, inner: S) -> FastPath<S> {
        FastPath {
            cache: self.0.clone(),
            inner: Arc::new(inner),
        }
    }
}

/// Answers from memory what [`RenderCache::answer`] can, and passes
/// everything else to `inner` (the whole middleware stack). The router
/// clones a route's service for every request; `inner` is behind an `Arc`
/// so that a hit does not clone the whole stack (every layer's state and
/// the handler's `AppState`), which took more time than the answer; a
/// miss clones it as before.
pub struct FastPath<S> {
    cache: Arc<RenderCache>,
    inner: Arc<S>,
}

impl<S> Clone for FastPath<S> {
    fn clone(&self) -> Self {
        FastPath {
            cache: self.cache.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S> Service<Request> for FastPath<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, Oneshot<S, Request>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The inner service is made ready on the clone that serves a miss.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.cache.answer(&req) {
            Some(mut res) => {
                res.extensions_mut().insert(ServedFrom::FastPath);
                Either::Left(ready(Ok(res)))
            }
            None => Either::Right(S::clone(&self.inner).oneshot(req)),
        }
    }
}

/// The middleware inside the stack: answers from memory when it can (a
/// request the fast path left, e.g. a deflate-only client), otherwise
/// renders, stores and answers.
pub async fn layer(State(cache): State<Arc<RenderCache>>, req: Request, next: Next) -> Response {
    let Some(view) = event_of(&req).and_then(|slug| cache.state.read_model.get(slug)) else {
        return next.run(req).await;
    };
    let now = cache.state.clock.now();
    let db_ok = cache.state.db_available();
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let lang = language(req.headers());
    let (wanted, _) = Encoding::accepted(req.headers());
    let conditions = req.headers().clone();
    let held = cache.get(&uri, lang);
    if let Some(e) = &held
        && e.current(&view, now, db_ok)
    {
        return from_layer(e.answer(wanted, &conditions, now));
    }

    // Render it afresh, whole and uncompressed.
    let until = Freshness::for_view(&view, now).until;
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(header::IF_NONE_MATCH);
    parts.headers.remove(header::IF_MODIFIED_SINCE);
    let res = next.run(Request::from_parts(parts, body)).await;
    if res.status().is_server_error()
        && let Some(stale) = &held
    {
        tracing::error!(status = %res.status(), uri, "render failed; serving the last good copy");
        return from_layer(stale.answer(wanted, &conditions, now));
    }
    if !storable(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let identity = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, uri, "render failed");
            return match &held {
                Some(stale) => from_layer(stale.answer(wanted, &conditions, now)),
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
    let mut rendered = parts.headers;
    for h in [header::CONTENT_LENGTH, header::ETAG, header::CACHE_CONTROL] {
        rendered.remove(h);
    }
    add_vary(&mut rendered);
    let wire = |coding: Coding, len: usize| {
        let mut h = rendered.clone();
        h.insert(header::ETAG, etag.clone());
        if let Some(c) = coding.name() {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        cache.security.apply(&path, &mut h);
        h
    };
    let wire = [
        wire(Coding::Identity, identity.len()),
        wire(Coding::Gzip, gzip.len()),
        wire(Coding::Br, br.len()),
    ];
    let mut not_modified = not_modified(&etag, &rendered).headers().clone();
    cache.security.apply(&path, &mut not_modified);
    let entry = Arc::new(Entry {
        view: Arc::downgrade(&view),
        since: now,
        until,
        db_ok,
        epoch,
        etag,
        identity,
        gzip,
        br,
        wire,
        not_modified,
        last_used: AtomicU64::new(cache.tick.fetch_add(1, Ordering::Relaxed)),
    });
    cache.insert(uri, lang, entry.clone());
    from_layer(entry.answer(wanted, &conditions, now))
}

fn from_layer(mut res: Response) -> Response {
    res.extensions_mut().insert(ServedFrom::Layer);
    res
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

    fn accept(v: &str) -> (Encoding, bool) {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        Encoding::accepted(&h)
    }

    #[test]
    fn the_best_accepted_encoding_is_picked() {
        assert_eq!(accept("gzip, deflate, br"), (Encoding::Br, true));
        assert_eq!(accept("gzip"), (Encoding::Gzip, false));
        assert_eq!(accept("BR;q=0, GZip"), (Encoding::Gzip, false));
        assert_eq!(accept("identity"), (Encoding::Identity, false));
        assert_eq!(accept("zstd, deflate;q=0"), (Encoding::Identity, true));
        assert_eq!(accept("deflate;q=0"), (Encoding::Identity, false));
        assert_eq!(
            Encoding::accepted(&HeaderMap::new()),
            (Encoding::Identity, false)
        );
    }

    #[test]
    fn the_cache_control_table_is_the_policy() {
        let now = DateTime::from_timestamp(1_800_000_000, 250_000_000).unwrap();
        assert_eq!(
            cache_control(0, now),
            Freshness::timeless(now).cache_control()
        );
        for left in -2..120 {
            let epoch = now.timestamp() + left;
            let until = DateTime::from_timestamp(epoch, 0);
            assert_eq!(
                cache_control(epoch, now),
                Freshness { until, now }.cache_control(),
                "{left} s to the boundary"
            );
        }
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
