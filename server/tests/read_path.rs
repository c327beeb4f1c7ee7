//! The public read path never lies: a view never goes backwards, the same
//! data gets the same ETag after a restart and on either database, a page
//! whose content follows the clock is not revalidated past its boundary,
//! and the CLI and the API import leave the same state.

mod common;

use std::collections::BTreeMap;

use app::clock::Clock;
use app::domain::status::{ComponentStatus, Impact, IncidentStatus};
use app::read_model::EventView;
use app::state::AppState;
use app::store::{ComponentPatch, NewIncident, Store};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::{body_json, body_string};
use leptos::prelude::LeptosOptions;
use serde_json::{Value, json};
use server::render_cache::ServedFrom;
use tower::ServiceExt;

/// The demo conference's day, and an instant on it before any talk.
fn demo_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap()
}

/// A server on `store` with its clock fixed at `now`, as `marquee serve`
/// starts it (read model loaded from the database).
async fn serve(store: Store, now: DateTime<Utc>, dir: &std::path::Path) -> (AppState, Router) {
    let options = LeptosOptions::builder()
        .output_name("marquee")
        .site_root(dir.to_string_lossy().into_owned())
        .build();
    let mut state = AppState::new(options, store, "http://marquee.test");
    state.clock = Clock::fixed(now);
    state.refresh_all().await.unwrap();
    let router = server::routes::build(state.clone());
    (state, router)
}

async fn get(router: &Router, uri: &str, etag: Option<&str>) -> axum::http::Response<Body> {
    let mut req = Request::get(uri);
    if let Some(tag) = etag {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn etag(res: &axum::http::Response<Body>) -> String {
    res.headers()[header::ETAG].to_str().unwrap().to_owned()
}

/// The same writes, at the same instants, whatever the database: the demo
/// conference, an incident on the streams, a component's status.
async fn write_demo(state: &AppState) {
    let demo = server::demo::conference("demo", demo_day());
    state
        .store
        .import_schedule_at(&demo, "test", "test", morning() - Duration::hours(1))
        .await
        .unwrap();
    state.after_write("demo").await.unwrap();
}

fn incident(name: &str, component_ids: Vec<i64>) -> NewIncident {
    NewIncident {
        name: name.to_owned(),
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        body_md: "The player shows nothing.".into(),
        component_ids,
        component_status: None,
        scheduled_for: None,
        scheduled_until: None,
        signature: None,
    }
}

/// The documents whose ETags are compared.
const DOCUMENTS: [&str; 7] = [
    "/e/demo",
    "/e/demo/status",
    "/e/demo/changes",
    "/e/demo/schedule.json",
    "/e/demo/schedule.ics",
    "/e/demo/api/v2/summary.json",
    "/e/demo/incidents.atom",
];

async fn etags(router: &Router) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    for uri in DOCUMENTS {
        let res = get(router, uri, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        out.insert(uri, etag(&res));
    }
    out
}

/// Opens an incident and degrades a component through the API, as an
/// organiser's tool would, at the server's (fixed) clock.
async fn status_writes(t: &common::TestApp) {
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "Streams unavailable", "body": "The player shows nothing.", "components": ["all-streams"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_older_refresh_finishing_last_does_not_replace_the_newer_view() {
    let t = common::app_with_demo().await;
    // A refresh reads the event…
    let older = t
        .state
        .store
        .load_event_data("demo", Utc::now())
        .await
        .unwrap()
        .unwrap();
    // …a write commits and its own refresh lands first…
    status_writes(&t).await;
    let newer = t.state.read_model.get("demo").unwrap();
    assert!(newer.seq > older.seq);
    // …then the older refresh finishes.
    t.state
        .read_model
        .put(EventView::from_data(older, Utc::now()));
    assert_eq!(t.state.read_model.get("demo").unwrap().seq, newer.seq);
    let page = body_string(t.get("/e/demo/status").await).await;
    assert!(
        page.contains("Streams unavailable"),
        "the incident must stay on the page"
    );
}

#[tokio::test]
async fn concurrent_refreshes_end_on_the_newest_state() {
    let t = common::app_with_demo().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let state = t.state.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                state
                    .store
                    .create_incident(
                        "demo",
                        incident(&format!("Incident {i}"), vec![]),
                        Utc::now(),
                    )
                    .await
                    .unwrap();
            }
            state.after_write("demo").await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let last = t.state.store.last_change_seq("demo").await.unwrap();
    assert_eq!(t.state.read_model.get("demo").unwrap().seq, last);
    let page = body_string(t.get("/e/demo/status").await).await;
    for i in [0, 2, 4, 6] {
        assert!(page.contains(&format!("Incident {i}")), "incident {i}");
    }
}

#[tokio::test]
async fn the_same_data_has_the_same_etags_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let (state, router) = serve(Store::connect(&url).await.unwrap(), morning(), dir.path()).await;
    write_demo(&state).await;
    degrade_and_open_incident(&state).await;
    let before = etags(&router).await;
    state.store.close().await;

    // A new process on the same database: other HashMap seeds, another
    // build time.
    let (_state, router) = serve(Store::connect(&url).await.unwrap(), morning(), dir.path()).await;
    assert_eq!(etags(&router).await, before);
}

/// Writes through the store at the clock's instant, so two databases get
/// the very same rows.
async fn degrade_and_open_incident(state: &AppState) {
    let now = state.clock.now();
    let view = state.read_model.get("demo").unwrap();
    let stream = view
        .status
        .components
        .iter()
        .find(|c| c.track.is_some())
        .unwrap()
        .id;
    state
        .store
        .update_component(
            "demo",
            stream,
            ComponentPatch {
                status: Some(ComponentStatus::DegradedPerformance),
                ..ComponentPatch::default()
            },
            now,
        )
        .await
        .unwrap();
    state
        .store
        .create_incident("demo", incident("Streams unavailable", vec![stream]), now)
        .await
        .unwrap();
    state.after_write("demo").await.unwrap();
}

#[tokio::test]
async fn the_same_data_has_the_same_etags_on_sqlite_and_postgresql() {
    let Ok(admin) = std::env::var("MARQUEE_TEST_POSTGRES_URL") else {
        eprintln!("MARQUEE_TEST_POSTGRES_URL is not set: skipping the cross-database ETag test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/t.db", dir.path().display());
    let (lite, lite_router) = serve(
        Store::connect(&sqlite).await.unwrap(),
        morning(),
        dir.path(),
    )
    .await;
    write_demo(&lite).await;
    degrade_and_open_incident(&lite).await;

    let pg = PgDb::create(&admin, &format!("marquee_etag_{}", std::process::id()));
    let (pgs, pg_router) = serve(
        Store::connect(&pg.url).await.unwrap(),
        morning(),
        dir.path(),
    )
    .await;
    write_demo(&pgs).await;
    degrade_and_open_incident(&pgs).await;

    assert_eq!(etags(&pg_router).await, etags(&lite_router).await);
    pgs.store.close().await;
}

/// A fresh PostgreSQL database, dropped when the test ends.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn create(admin: &str, name: &str) -> Self {
        psql(
            admin,
            &format!("drop database if exists {name} with (force)"),
        );
        psql(admin, &format!("create database {name}"));
        let (base, _) = admin.rsplit_once('/').unwrap();
        Self {
            admin: admin.to_owned(),
            name: name.to_owned(),
            url: format!("{base}/{name}"),
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("drop database if exists {} with (force)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_page_asked_again_after_a_talk_starts_is_not_304() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let (state, router) = serve(Store::connect(&url).await.unwrap(), morning(), dir.path()).await;
    write_demo(&state).await;
    let view = state.read_model.get("demo").unwrap();
    let first = view
        .schedule
        .sessions
        .iter()
        .min_by_key(|s| s.start)
        .unwrap()
        .clone();
    let talk = format!("/e/demo/talk/{}", first.guid);

    state.clock.set(first.start - Duration::seconds(2));
    let mut tags = Vec::new();
    for uri in ["/e/demo", talk.as_str()] {
        let res = get(&router, uri, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let cache = res.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            cache, "public, max-age=2",
            "{uri}: a cache must not keep it past the start"
        );
        let tag = etag(&res);
        assert!(!body_string(res).await.contains("Live now"), "{uri}");
        // Unchanged, it revalidates, from memory before the stack.
        let again = get(&router, uri, Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{uri}");
        assert_eq!(served_from(&again), Some(ServedFrom::FastPath), "{uri}");
        tags.push(tag);
    }

    state.clock.set(first.start + Duration::seconds(1));
    for (uri, tag) in ["/e/demo", talk.as_str()].into_iter().zip(&tags) {
        let res = get(&router, uri, Some(tag)).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{uri}: the page asked with its tag from before the start"
        );
        assert_ne!(&etag(&res), tag);
        // Rendered again: the copy from before the start is not current.
        assert_eq!(served_from(&res), Some(ServedFrom::Layer), "{uri}");
        assert!(body_string(res).await.contains("Live now"), "{uri}");
    }
}

#[tokio::test]
async fn the_cli_import_and_the_api_import_leave_the_same_state() {
    let file = format!("{}/pretalx-democon.json", common::FIXTURES);
    // `marquee import`, as a user runs it.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_marquee"))
        .args(["import", &file, "--event", "democon"])
        .env("MARQUEE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_cli, cli_router) =
        serve(Store::connect(&url).await.unwrap(), Utc::now(), dir.path()).await;

    // The API import.
    let t = common::app().await;
    let res = t
        .import("democon", common::fixture("pretalx-democon.json"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let schedule = |r: &Router| {
        let r = r.clone();
        async move { get(&r, "/e/democon/schedule.json", None).await }
    };
    let (a, b) = (schedule(&cli_router).await, schedule(&t.router).await);
    assert_eq!(etag(&a), etag(&b));
    let components = |r: &Router| {
        let r = r.clone();
        async move {
            let doc = body_json(get(&r, "/e/democon/api/v2/components.json", None).await).await;
            without_times(doc["components"].clone())
        }
    };
    let cli_components = components(&cli_router).await;
    assert!(
        cli_components.as_array().is_some_and(|c| !c.is_empty()),
        "the CLI import gives each track its stream component: {cli_components}"
    );
    assert_eq!(cli_components, components(&t.router).await);
}

/// `doc` without its `*_at` instants (the two imports ran at other times).
fn without_times(doc: Value) -> Value {
    match doc {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !k.ends_with("_at"))
                .map(|(k, v)| (k, without_times(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_times).collect()),
        v => v,
    }
}

async fn send(router: &Router, req: Request<Body>) -> axum::http::Response<Body> {
    router.clone().oneshot(req).await.unwrap()
}

async fn raw(res: axum::http::Response<Body>) -> Vec<u8> {
    axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn public_documents_are_served_compressed_from_memory_until_they_change() {
    let t = common::app_with_demo().await;
    let identity = get(&t.router, "/e/demo/status", None).await;
    let tag = etag(&identity);
    let page = raw(identity).await;

    // The same document, brotli and gzip, with the same tag.
    for (coding, decode) in [
        (
            "br",
            (|b: &[u8]| {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &b[..], &mut out).unwrap();
                out
            }) as fn(&[u8]) -> Vec<u8>,
        ),
        ("gzip", |b: &[u8]| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
            out
        }),
    ] {
        let res = send(
            &t.router,
            Request::get("/e/demo/status")
                .header(header::ACCEPT_ENCODING, coding)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(res.headers()[header::CONTENT_ENCODING], coding);
        assert_eq!(etag(&res), tag);
        assert!(
            res.headers()[header::VARY]
                .to_str()
                .unwrap()
                .contains("Accept-Encoding")
        );
        // Security headers are still added around the cache.
        assert!(res.headers().contains_key("content-security-policy"));
        assert_eq!(decode(&raw(res).await), page, "{coding}");
    }
    // Revalidation from memory.
    let res = get(&t.router, "/e/demo/status", Some(&tag)).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // A write: the next request gets the new page, whatever it holds.
    status_writes(&t).await;
    let res = get(&t.router, "/e/demo/status", Some(&tag)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body_string(res).await.contains("Streams unavailable"));
}

#[tokio::test]
async fn each_language_has_its_own_copy_and_cookies_bypass_the_cache() {
    let t = common::app_with_demo().await;
    let english = body_string(get(&t.router, "/e/demo/status", None).await).await;
    assert!(english.contains("<html lang=\"en\""));
    let ask = |name: header::HeaderName, value: &str| {
        Request::get("/e/demo/status")
            .header(name, value)
            .body(Body::empty())
            .unwrap()
    };
    // Another language from the same URL: its own entry, not the English.
    let res = send(&t.router, ask(header::ACCEPT_LANGUAGE, "ru")).await;
    assert!(body_string(res).await.contains("<html lang=\"ru\""));
    // A language chosen by cookie: rendered for that request.
    let res = send(&t.router, ask(header::COOKIE, "lang=fr")).await;
    assert!(body_string(res).await.contains("<html lang=\"fr\""));
    // And the anonymous English copy is still what others get.
    let again = body_string(get(&t.router, "/e/demo/status", None).await).await;
    assert_eq!(again, english);
}

fn served_from(res: &axum::http::Response<Body>) -> Option<ServedFrom> {
    res.extensions().get::<ServedFrom>().copied()
}

/// A response's headers as name → values, without `skip`; `Vary` as its
/// set of lowercased names (tower-http appends `accept-encoding` as a
/// header of its own, the cache adds `Accept-Encoding` to the list: the
/// same to any cache).
fn headers_of(res: &axum::http::Response<Body>, skip: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::<String, Vec<String>>::new();
    for (k, v) in res.headers() {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let v = v.to_str().unwrap();
        let values = out.entry(k.as_str().to_owned()).or_default();
        if k == header::VARY {
            values.extend(v.split(',').map(|n| n.trim().to_ascii_lowercase()));
            values.sort();
        } else {
            values.push(v.to_owned());
        }
    }
    out
}

fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "br" => brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap(),
        "gzip" => {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
        }
        _ => out = bytes.to_vec(),
    }
    out
}

#[tokio::test]
async fn the_fast_path_answers_what_the_whole_stack_would() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let (state, router) = serve(Store::connect(&url).await.unwrap(), morning(), dir.path()).await;
    write_demo(&state).await;
    let ask = |uri: &str, coding: &str, lang: Option<&str>, cookie: bool, tag: Option<&str>| {
        let mut req = Request::get(uri).header(header::ACCEPT_ENCODING, coding);
        if let Some(l) = lang {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        if cookie {
            // Not a session: the page is the anonymous one, but nothing
            // with a cookie may come from memory.
            req = req.header(header::COOKIE, "theme=dark");
        }
        if let Some(t) = tag {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        req.body(Body::empty()).unwrap()
    };
    for uri in [
        "/e/demo/status",
        "/e/demo/api/v2/summary.json",
        "/e/demo",
        "/e/demo/schedule.json",
    ] {
        for lang in [None, Some("ru")] {
            for coding in ["identity", "gzip", "br"] {
                let what = format!("{uri} {lang:?} {coding}");
                // Rendered by the cache layer inside the stack (once for
                // all encodings), then held.
                let first = send(&router, ask(uri, coding, lang, false, None)).await;
                assert_eq!(first.status(), StatusCode::OK, "{what}");
                let rendered = if coding == "identity" {
                    ServedFrom::Layer
                } else {
                    ServedFrom::FastPath
                };
                assert_eq!(served_from(&first), Some(rendered), "{what}");
                let fast = send(&router, ask(uri, coding, lang, false, None)).await;
                assert_eq!(served_from(&fast), Some(ServedFrom::FastPath), "{what}");
                assert_eq!(headers_of(&first, &[]), headers_of(&fast, &[]), "{what}");
                assert_eq!(raw(first).await, raw(fast).await, "{what}");

                // The whole stack, no cache at all (a cookie): the same
                // headers but the body-specific ones, the same content.
                let slow = send(&router, ask(uri, coding, lang, true, None)).await;
                assert_eq!(slow.status(), StatusCode::OK, "{what}");
                assert_eq!(served_from(&slow), None, "{what}");
                let fast = send(&router, ask(uri, coding, lang, false, None)).await;
                assert_eq!(served_from(&fast), Some(ServedFrom::FastPath), "{what}");
                let body_specific = ["content-length"];
                assert_eq!(
                    headers_of(&slow, &body_specific),
                    headers_of(&fast, &body_specific),
                    "{what}"
                );
                if !uri.ends_with(".json") {
                    // The security headers, which the fast path does not
                    // pass through, are there: it built them with the layer's
                    // own function.
                    assert!(
                        fast.headers().contains_key("content-security-policy"),
                        "{what}"
                    );
                }
                assert_eq!(fast.headers()["x-content-type-options"], "nosniff");
                let tag = etag(&fast);
                assert_eq!(
                    decode(coding, &raw(slow).await),
                    decode(coding, &raw(fast).await),
                    "{what}"
                );

                // Revalidation: 304 from memory, as the stack answers it
                // (the stack's 304 names no `Vary`; the cache's does).
                let fast = send(&router, ask(uri, coding, lang, false, Some(&tag))).await;
                assert_eq!(fast.status(), StatusCode::NOT_MODIFIED, "{what}");
                assert_eq!(served_from(&fast), Some(ServedFrom::FastPath), "{what}");
                let slow = send(&router, ask(uri, coding, lang, true, Some(&tag))).await;
                assert_eq!(slow.status(), StatusCode::NOT_MODIFIED, "{what}");
                assert_eq!(
                    headers_of(&slow, &["vary"]),
                    headers_of(&fast, &["vary"]),
                    "{what}"
                );
            }
        }
    }
}

#[tokio::test]
async fn what_the_fast_path_cannot_answer_goes_through_the_stack() {
    let t = common::app_with_demo().await;
    let warm = get(&t.router, "/e/demo/status", None).await;
    assert_eq!(served_from(&warm), Some(ServedFrom::Layer));
    let warm = get(&t.router, "/e/demo/status", None).await;
    assert_eq!(served_from(&warm), Some(ServedFrom::FastPath));

    // An organiser sees their own view, never a copy.
    let (cookie, _) = common::sign_in(&t).await;
    let res = send(
        &t.router,
        Request::get("/e/demo/status")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(served_from(&res), None);

    // A client that takes only deflate goes through compression (which
    // would encode the held identity bytes if it had deflate; it has only
    // gzip and br, so they come as they are).
    let identity = raw(get(&t.router, "/e/demo/status", None).await).await;
    let res = send(
        &t.router,
        Request::get("/e/demo/status")
            .header(header::ACCEPT_ENCODING, "deflate")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(served_from(&res), Some(ServedFrom::Layer));
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    assert_eq!(raw(res).await, identity);

    // HEAD, and the live stream, are not the cache's.
    let res = send(
        &t.router,
        Request::head("/e/demo/status").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(served_from(&res), None);

    // A write: the held copy is not current any more; the next request
    // renders again, then the new copy is served from memory.
    status_writes(&t).await;
    let res = get(&t.router, "/e/demo/status", None).await;
    assert_eq!(served_from(&res), Some(ServedFrom::Layer));
    assert!(body_string(res).await.contains("Streams unavailable"));
    let res = get(&t.router, "/e/demo/status", None).await;
    assert_eq!(served_from(&res), Some(ServedFrom::FastPath));
    assert!(body_string(res).await.contains("Streams unavailable"));
}
