//! Two organisers publishing at once on a stale schedule cannot both
//! succeed (issue 12, "Shown by"): two proposals made on one version are
//! published at the same moment, from two server instances on one
//! database; each request carries the version it was previewed on. One
//! publishes; the other gets 409 naming `version`; the schedule has
//! exactly one new version and one new change per round. On SQLite and on
//! PostgreSQL (`MARQUEE_TEST_POSTGRES_URL`; skipped when unset).

mod common;
#[path = "support/pg.rs"]
mod pg;

use app::state::AppState;
use app::store::Store;
use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{TestApp, body_json};
use leptos::prelude::LeptosOptions;
use serde_json::{Value, json};

/// A server instance on the database at `url`, with its own pool and read
/// model, as a second `marquee serve` would be.
async fn instance(url: &str, token: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(url).await.unwrap();
    let options = LeptosOptions::builder()
        .output_name("marquee")
        .site_root(dir.path().to_string_lossy().into_owned())
        .build();
    let state = AppState::new(options, store, "http://marquee.test");
    state.refresh_all().await.unwrap();
    let router = server::routes::build(state.clone());
    TestApp::from_parts(state, router, token.to_owned(), dir)
}

/// Proposes moving `track`'s talks from 17:00 five minutes later; the
/// proposal's id and the version it was made on.
async fn propose(t: &TestApp, track: &str) -> (i64, i64) {
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": [track], "from": "17:00", "by_minutes": 5, "date": "2026-11-23",
                   "reason": format!("{track} late"), "propose": true}),
        )
        .await;
    let status = res.status();
    let out = body_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    (
        out["proposal"]["proposal_id"].as_i64().unwrap(),
        out["proposal"]["version"].as_i64().unwrap(),
    )
}

async fn publish(t: &TestApp, id: i64, version: i64) -> (StatusCode, Value) {
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/proposals/{id}/publish"),
            json!({ "version": version }),
        )
        .await;
    let status = res.status();
    (status, body_json(res).await)
}

async fn race(url: &str) {
    let setup = Store::connect(url).await.unwrap();
    let (token, hash) = app::auth::new_token("mq");
    setup.create_api_token("tests", &hash).await.unwrap();
    let demo = server::demo::conference("demo", NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    setup.import_schedule(&demo, "test", "test").await.unwrap();
    let a = instance(url, &token).await;
    let b = instance(url, &token).await;

    const ROUNDS: i64 = 4;
    let start = a.state.read_model.get("demo").unwrap().schedule.version;
    for round in 0..ROUNDS {
        a.state.refresh_all().await.unwrap();
        b.state.refresh_all().await.unwrap();
        let (pa, va) = propose(&a, "track-2").await;
        let (pb, vb) = propose(&b, "track-3").await;
        assert_eq!(va, vb, "both previewed on the same version");
        assert_eq!(va, start + round, "a proposal makes no version");
        let ((sa, oa), (sb, ob)) = tokio::join!(publish(&a, pa, va), publish(&b, pb, vb));
        let (won, lost) = match (sa, sb) {
            (StatusCode::CREATED, StatusCode::CONFLICT) => (oa, ob),
            (StatusCode::CONFLICT, StatusCode::CREATED) => (ob, oa),
            other => panic!("round {round}: exactly one may publish, got {other:?}: {oa} / {ob}"),
        };
        assert_eq!(won["version"], va + 1, "{won}");
        assert_eq!(lost["error"]["field"], "version", "{lost}");
        // The loser's proposal is still open, and stale: publishing it
        // again on its old version is refused the same way.
        let loser = if sa == StatusCode::CONFLICT {
            (&a, pa)
        } else {
            (&b, pb)
        };
        let (again, out) = publish(loser.0, loser.1, va).await;
        assert_eq!(again, StatusCode::CONFLICT, "{out}");
        assert_eq!(out["error"]["field"], "version");
    }
    a.state.refresh_all().await.unwrap();
    assert_eq!(
        a.state.read_model.get("demo").unwrap().schedule.version,
        start + ROUNDS,
        "one new version per round"
    );
    assert_eq!(
        setup.list_shifts("demo").await.unwrap().len() as i64,
        ROUNDS,
        "one change per round"
    );
    let open = setup
        .list_proposals("demo")
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.state.as_str() == "proposed")
        .count() as i64;
    assert_eq!(open, ROUNDS, "each round's loser stays open, unpublished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_publishes_on_one_version_cannot_both_succeed_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    race(&format!("sqlite://{}/race.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_publishes_on_one_version_cannot_both_succeed_on_postgresql() {
    let Some(db) = pg::PgDb::fresh("marquee_publish_race") else {
        return;
    };
    race(&db.url).await;
}
