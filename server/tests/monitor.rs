//! Monitors against real servers on 127.0.0.1: the component changes after
//! exactly N failures, changes back after K successes, never overrides an
//! organiser's status, drafts an incident; bad input changes nothing; a
//! check runs once across two runners. Rounds are driven with
//! `run_once(now)`, stepping `now` by the interval instead of sleeping.

mod common;
#[path = "support/targets.rs"]
mod targets;

use app::domain::address::OutboundPolicy;
use app::domain::status::ComponentStatus;
use axum::Extension;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::{TestApp, app_with_demo, body_json};
use serde_json::{Value, json};
use server::config::MonitorArgs;
use server::monitor::runner::MonitorRunner;
use server::routes::monitor_api::MonitorPolicy;
use targets::{HttpTarget, TcpTarget};

const MONITORS: &str = "/api/v1/events/demo/monitors";

/// The demo app whose API lets monitors target loopback (as
/// `MARQUEE_MONITOR_ALLOW_LOOPBACK` does).
async fn app() -> TestApp {
    let mut t = app_with_demo().await;
    t.router = t.router.layer(Extension(MonitorPolicy(OutboundPolicy {
        allow_loopback: true,
    })));
    t
}

fn runner(t: &TestApp) -> MonitorRunner {
    let args = MonitorArgs {
        monitor_allow_loopback: true,
        ..MonitorArgs::default()
    };
    MonitorRunner::new(t.state.clone(), &args).unwrap()
}

/// The first stream component's id.
fn stream_id(t: &TestApp) -> i64 {
    let view = t.state.read_model.get("demo").unwrap();
    view.status
        .components
        .iter()
        .find(|c| c.track.is_some())
        .unwrap()
        .id
}

/// The component's status as the public read model (pages, SSE) has it.
fn status_of(t: &TestApp, id: i64) -> ComponentStatus {
    let view = t.state.read_model.get("demo").unwrap();
    view.status
        .components
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .status
}

async fn add(t: &TestApp, body: Value) -> Value {
    let res = t.json("POST", MONITORS, body).await;
    let status = res.status();
    let v = body_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

/// Runs rounds at `start + i * step` for `i` in `rounds`, returning after
/// each the component's status.
async fn rounds(
    t: &TestApp,
    r: &MonitorRunner,
    comp: i64,
    start: DateTime<Utc>,
    step: i64,
    rounds: std::ops::Range<i64>,
) -> Vec<ComponentStatus> {
    let mut out = Vec::new();
    for i in rounds {
        let report = r
            .run_once(start + Duration::seconds(i * step))
            .await
            .unwrap();
        assert_eq!(report.checked, 1, "round {i}: one monitor is due");
        out.push(status_of(t, comp));
    }
    out
}

use ComponentStatus::{MajorOutage, Operational, PartialOutage};

#[tokio::test]
async fn a_target_failing_half_its_requests_trips_on_exactly_the_nth_failure_and_recovers() {
    let t = app().await;
    let target = HttpTarget::start().await;
    target.set(|b| b.fail_half = true);
    let comp = stream_id(&t);
    add(
        &t,
        json!({"component_id": comp, "name": "player", "kind": "http", "target": target.url("/health"),
               "interval_secs": 10, "failures": 3, "window": 5, "recoveries": 2, "draft_incident": true}),
    )
    .await;
    let r = runner(&t);
    let start = Utc::now() + Duration::seconds(1);
    // Fail, ok, fail, ok, fail: the third failure is the fifth check.
    let seen = rounds(&t, &r, comp, start, 10, 0..5).await;
    assert_eq!(
        seen,
        [
            Operational,
            Operational,
            Operational,
            Operational,
            MajorOutage
        ]
    );
    let summary = body_json(t.get("/e/demo/api/v2/summary.json").await).await;
    assert!(
        summary["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "major_outage"),
        "the public document shows it"
    );
    let drafts = body_json(
        t.json("GET", "/api/v1/events/demo/monitor-drafts", json!({}))
            .await,
    )
    .await;
    assert_eq!(drafts["drafts"].as_array().unwrap().len(), 1, "{drafts}");
    let incidents = body_json(t.get("/e/demo/api/v2/incidents.json").await).await;
    assert_eq!(
        incidents["incidents"].as_array().unwrap().len(),
        0,
        "a draft is not public"
    );

    target.set(|b| b.fail_half = false);
    let seen = rounds(&t, &r, comp, start, 10, 5..7).await;
    assert_eq!(
        seen,
        [MajorOutage, Operational],
        "back after K = 2 successes"
    );
    let m = body_json(t.json("GET", MONITORS, json!({})).await).await;
    assert_eq!(m["monitors"][0]["down"], false);
    assert_eq!(m["monitors"][0]["last_ok"], true);
    assert!(m["monitors"][0]["last_latency_ms"].as_i64().is_some());
    target.stop().await;
}

#[tokio::test]
async fn a_slow_target_fails_its_latency_limit_and_a_stopped_one_stays_down() {
    let t = app().await;
    let target = HttpTarget::start().await;
    target.set(|b| b.delay_ms = 300);
    let comp = stream_id(&t);
    add(
        &t,
        json!({"component_id": comp, "name": "api", "kind": "http", "target": target.url("/"),
               "interval_secs": 10, "timeout_ms": 2000, "max_latency_ms": 100, "keyword": "healthy",
               "failures": 2, "window": 3, "recoveries": 1, "down_status": "partial_outage"}),
    )
    .await;
    let r = runner(&t);
    let start = Utc::now() + Duration::seconds(1);
    let seen = rounds(&t, &r, comp, start, 10, 0..2).await;
    assert_eq!(seen, [Operational, PartialOutage]);
    target.stop().await;
    let seen = rounds(&t, &r, comp, start, 10, 2..4).await;
    assert_eq!(seen, [PartialOutage, PartialOutage]);
    let list = body_json(t.json("GET", MONITORS, json!({})).await).await;
    let id = list["monitors"][0]["id"].as_i64().unwrap();
    let shown = body_json(t.json("GET", &format!("{MONITORS}/{id}"), json!({})).await).await;
    let results = shown["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        results[0]["detail"].as_str().unwrap().contains("connect"),
        "{shown}"
    );
    assert!(
        results[3]["detail"]
            .as_str()
            .unwrap()
            .contains("limit 100 ms")
    );
}

#[tokio::test]
async fn an_hls_playlist_that_stops_advancing_is_down_after_its_threshold() {
    let t = app().await;
    let target = HttpTarget::start().await;
    let comp = stream_id(&t);
    add(
        &t,
        json!({"component_id": comp, "name": "stream", "kind": "hls", "target": target.url("/live/index.m3u8"),
               "interval_secs": 10, "stale_secs": 20, "failures": 1, "window": 1, "recoveries": 1}),
    )
    .await;
    let r = runner(&t);
    let start = Utc::now() + Duration::seconds(1);
    let mut seen = Vec::new();
    for i in 0..6 {
        // Advances for the first two rounds, then freezes at sequence 2.
        if i < 2 {
            target.set(|b| b.sequence += 1);
        }
        seen.extend(rounds(&t, &r, comp, start, 10, i..i + 1).await);
    }
    // Last seen moving at +10 s; at +40 s it has stood for 30 s > 20 s.
    assert_eq!(
        seen,
        [
            Operational,
            Operational,
            Operational,
            Operational,
            MajorOutage,
            MajorOutage
        ]
    );
    target.set(|b| b.sequence += 1);
    let seen = rounds(&t, &r, comp, start, 10, 6..7).await;
    assert_eq!(seen, [Operational]);
    target.stop().await;
}

#[tokio::test]
async fn a_tcp_port_that_closes_trips_its_component() {
    let t = app().await;
    let port = TcpTarget::start().await;
    let comp = stream_id(&t);
    add(
        &t,
        json!({"component_id": comp, "name": "ingest", "kind": "tcp", "target": port.addr.to_string(),
               "interval_secs": 10, "failures": 2, "window": 2}),
    )
    .await;
    let r = runner(&t);
    let start = Utc::now() + Duration::seconds(1);
    assert_eq!(rounds(&t, &r, comp, start, 10, 0..1).await, [Operational]);
    port.close().await;
    assert_eq!(
        rounds(&t, &r, comp, start, 10, 1..3).await,
        [Operational, MajorOutage]
    );
}

#[tokio::test]
async fn an_organisers_status_is_never_overwritten() {
    let t = app().await;
    let target = HttpTarget::start().await;
    target.set(|b| b.fail_all = true);
    let comp = stream_id(&t);
    add(
        &t,
        json!({"component_id": comp, "name": "player", "kind": "http", "target": target.url("/"),
               "interval_secs": 10, "failures": 1, "window": 1, "recoveries": 1}),
    )
    .await;
    let r = runner(&t);
    let start = Utc::now() + Duration::seconds(1);
    assert_eq!(rounds(&t, &r, comp, start, 10, 0..1).await, [MajorOutage]);
    // The organiser says "degraded" while it is down; the recovery leaves it.
    let res = t
        .json(
            "PATCH",
            &format!("/api/v1/events/demo/components/{comp}"),
            json!({"status": "degraded_performance"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    target.set(|b| b.fail_all = false);
    assert_eq!(
        rounds(&t, &r, comp, start, 10, 1..2).await,
        [ComponentStatus::DegradedPerformance]
    );
    // Under maintenance by hand: a failing monitor does not touch it.
    t.json(
        "PATCH",
        &format!("/api/v1/events/demo/components/{comp}"),
        json!({"status": "under_maintenance"}),
    )
    .await;
    target.set(|b| b.fail_all = true);
    assert_eq!(
        rounds(&t, &r, comp, start, 10, 2..3).await,
        [ComponentStatus::UnderMaintenance]
    );
    target.stop().await;
}

#[tokio::test]
async fn a_draft_is_published_in_one_call_and_only_once() {
    let t = app().await;
    let target = HttpTarget::start().await;
    target.set(|b| b.fail_all = true);
    let comp = stream_id(&t);
    add(
        &t,
        json!({"component_id": comp, "name": "player", "kind": "http", "target": target.url("/"),
               "interval_secs": 10, "failures": 1, "window": 1, "draft_incident": true}),
    )
    .await;
    let r = runner(&t);
    rounds(&t, &r, comp, Utc::now() + Duration::seconds(1), 10, 0..1).await;
    let drafts = body_json(
        t.json("GET", "/api/v1/events/demo/monitor-drafts", json!({}))
            .await,
    )
    .await;
    let id = drafts["drafts"][0]["id"].as_i64().unwrap();
    let url = format!("/api/v1/events/demo/monitor-drafts/{id}/publish");
    let res = t.json("POST", &url, json!({})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let inc = body_json(res).await;
    assert_eq!(inc["status"], "investigating");
    let res = t.json("POST", &url, json!({})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let incidents = body_json(t.get("/e/demo/api/v2/incidents.json").await).await;
    assert_eq!(incidents["incidents"].as_array().unwrap().len(), 1);
    target.stop().await;
}

#[tokio::test]
async fn bad_input_names_the_field_and_stores_nothing() {
    let t = app().await;
    let comp = stream_id(&t);
    let base =
        json!({"component_id": comp, "name": "m", "kind": "http", "target": "http://127.0.0.1:9/"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("target", json!("not a url")), "target"),
        (with("target", json!("http://10.0.0.1/")), "target"),
        (
            with("target", json!("http://169.254.169.254/latest")),
            "target",
        ),
        (with("interval_secs", json!(5)), "interval_secs"),
        // N = 6 failures out of the default window M = 5.
        (with("failures", json!(6)), "failures"),
        (with("kind", json!("ping")), "kind"),
        (with("component_id", json!(999_999)), "component_id"),
        (with("expect_status", json!("2xx")), "expect_status"),
        (with("down_status", json!("operational")), "down_status"),
    ];
    for (body, field) in cases {
        let res = t.json("POST", MONITORS, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err = body_json(res).await;
        assert_eq!(err["error"]["field"], field, "{body} → {err}");
    }
    // Without the loopback flag, this machine is refused too.
    let strict = app_with_demo().await;
    let res = strict.json("POST", MONITORS, base.clone()).await;
    assert_eq!(body_json(res).await["error"]["field"], "target");
    let list = body_json(t.json("GET", MONITORS, json!({})).await).await;
    assert_eq!(list["monitors"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn two_runners_check_each_due_monitor_once() {
    let t = app().await;
    let target = HttpTarget::start().await;
    let comp = stream_id(&t);
    for n in 0..6 {
        add(
            &t,
            json!({"component_id": comp, "name": format!("m{n}"), "kind": "http",
                   "target": target.url("/"), "interval_secs": 10}),
        )
        .await;
    }
    let (a, b) = (runner(&t), runner(&t));
    let now = Utc::now() + Duration::seconds(1);
    let (ra, rb) = tokio::join!(a.run_once(now), b.run_once(now));
    assert_eq!(ra.unwrap().checked + rb.unwrap().checked, 6);
    assert_eq!(target.behaviour.lock().unwrap().requests, 6);
    // Not due again until the interval has passed.
    assert_eq!(
        a.run_once(now + Duration::seconds(5))
            .await
            .unwrap()
            .checked,
        0
    );
    target.stop().await;
}

#[path = "support/pg.rs"]
mod pg;

/// An app on a fresh PostgreSQL database with the demo event; `None` when
/// no server is configured (the test is skipped).
async fn pg_app(db: &pg::PgDb) -> TestApp {
    let store = app::store::Store::connect(&db.url).await.unwrap();
    let (token, hash) = app::auth::new_token("mq");
    store.create_api_token("tests", &hash).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("marquee")
        .site_root(dir.path().to_string_lossy().into_owned())
        .build();
    let state = app::state::AppState::new(options, store, "http://marquee.test");
    let demo = server::demo::conference(
        "demo",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    );
    state
        .store
        .import_schedule(&demo, "test", "test")
        .await
        .unwrap();
    state.refresh_all().await.unwrap();
    let router =
        server::routes::build(state.clone()).layer(Extension(MonitorPolicy(OutboundPolicy {
            allow_loopback: true,
        })));
    TestApp::from_parts(state, router, token, dir)
}

#[tokio::test]
async fn on_postgresql_two_instances_share_the_checks_and_a_trip_changes_the_component() {
    let Some(db) = pg::PgDb::fresh("marquee_monitor") else {
        return;
    };
    let t = pg_app(&db).await;
    // A second instance: its own state (read model) on the same database.
    let other = pg_app_state(&db).await;
    let target = HttpTarget::start().await;
    let comp = stream_id(&t);
    for n in 0..8 {
        add(
            &t,
            json!({"component_id": comp, "name": format!("m{n}"), "kind": "http",
                   "target": target.url("/"), "interval_secs": 10, "failures": 1, "window": 1}),
        )
        .await;
    }
    let args = MonitorArgs {
        monitor_allow_loopback: true,
        ..MonitorArgs::default()
    };
    let (a, b) = (runner(&t), MonitorRunner::new(other, &args).unwrap());
    let now = Utc::now() + Duration::seconds(1);
    let (ra, rb) = tokio::join!(a.run_once(now), b.run_once(now));
    assert_eq!(ra.unwrap().checked + rb.unwrap().checked, 8);
    assert_eq!(target.behaviour.lock().unwrap().requests, 8);
    target.set(|b| b.fail_all = true);
    let later = now + Duration::seconds(10);
    let (ra, rb) = tokio::join!(a.run_once(later), b.run_once(later));
    assert_eq!(ra.unwrap().failed + rb.unwrap().failed, 8);
    // Whichever instance recorded the first trip changed the component;
    // this instance's read model has it once it has caught up.
    t.state.poll_event("demo").await.unwrap();
    assert_eq!(status_of(&t, comp), MajorOutage);
    target.stop().await;
}

async fn pg_app_state(db: &pg::PgDb) -> app::state::AppState {
    let store = app::store::Store::connect(&db.url).await.unwrap();
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("marquee")
        .build();
    let state = app::state::AppState::new(options, store, "http://marquee.test");
    state.refresh_all().await.unwrap();
    state
}
