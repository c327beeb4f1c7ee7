//! Reach on the organiser's pages: a shift's and a proposal's board and
//! the dashboard's open incidents show, per notice, the subscribers targeted and how many
//! were delivered, failed and expired — counted from the delivery table.

mod common;

use app::domain::push::{Audience, DeliveryState};
use app::store::{AttemptOutcome, NewSubscription};
use axum::http::StatusCode;
use chrono::Utc;
use common::{app_with_demo, body_json};
use serde_json::json;

async fn subscribe_all(t: &common::TestApp, n: usize) {
    let store = &t.state.store;
    let key = store.add_vapid_key("priv", "pub", false).await.unwrap();
    for i in 0..n {
        store
            .upsert_subscription(&NewSubscription {
                event_slug: "demo".into(),
                endpoint: format!("https://push.example/{i}"),
                p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
                vapid_key_id: key.id,
                audience: Audience { all_tracks: true, ..Default::default() },
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
    }
}

/// Fans everything out, then records one sent, one failed and one expired
/// delivery (the rest stay pending).
async fn deliver_some(t: &common::TestApp) {
    let store = &t.state.store;
    while store.fan_out_step(100, Utc::now()).await.unwrap() > 0 {}
    let due = store
        .claim_deliveries(100, Utc::now(), 60, "test")
        .await
        .unwrap();
    let at = Utc::now();
    let outcomes: Vec<AttemptOutcome> = due
        .iter()
        .zip([
            DeliveryState::Sent,
            DeliveryState::Failed,
            DeliveryState::Expired,
        ])
        .map(|(d, state)| AttemptOutcome {
            delivery_id: d.delivery_id,
            subscription_id: d.subscription_id,
            state,
            next_at: at,
            status: Some(201),
            detail: String::new(),
        })
        .collect();
    store.record_attempts(&outcomes, at).await.unwrap();
}

fn cell(html: &str, what: &str) -> String {
    let marker = format!("data-reach=\"{what}\">");
    html.split(&marker)
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("no {what} cell in {html}"))
        .to_owned()
}

#[tokio::test]
async fn a_shifts_board_shows_its_notices_reach() {
    let t = app_with_demo().await;
    subscribe_all(&t, 4).await;
    let (cookie, _) = common::sign_in(&t).await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": "all", "from": "18:00", "by_minutes": 15, "reason": "late"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = body_json(res).await["shift_id"].as_i64().unwrap();
    let uri = format!("/admin/e/demo/shifts/{id}");
    let before = common::page(&t, &cookie, &uri).await;
    assert!(before.contains("data-testid=\"reach\""), "{before}");
    assert_eq!(cell(&before, "targeted"), "0", "not fanned out yet");

    deliver_some(&t).await;
    let html = common::page(&t, &cookie, &uri).await;
    assert!(html.contains("Reach of the notices"));
    assert_eq!(
        ["targeted", "delivered", "failed", "expired", "pending"].map(|w| cell(&html, w)),
        ["4", "1", "1", "1", "1"].map(str::to_owned),
        "the attendees' notice: {html}"
    );
}

#[tokio::test]
async fn an_open_incident_on_the_dashboard_shows_its_reach() {
    let t = app_with_demo().await;
    subscribe_all(&t, 3).await;
    let (cookie, _) = common::sign_in(&t).await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "Streams down", "body": "Looking into it.", "components": ["all-streams"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    deliver_some(&t).await;
    let html = common::page(&t, &cookie, "/admin/e/demo").await;
    assert_eq!(
        ["targeted", "delivered", "failed", "expired", "pending"].map(|w| cell(&html, w)),
        ["3", "1", "1", "1", "0"].map(str::to_owned),
        "{html}"
    );
}

/// Subscribes one browser per speaker of `track`'s talks, as their `/s/`
/// page would; their keys.
async fn subscribe_speakers(t: &common::TestApp, track: &str) -> Vec<String> {
    let store = &t.state.store;
    let key = store.add_vapid_key("priv", "pub", false).await.unwrap();
    let view = t.state.read_model.get("demo").unwrap();
    let mut speakers: Vec<String> = view
        .schedule
        .sessions
        .iter()
        .filter(|s| s.track == track)
        .flat_map(|s| s.speakers.clone())
        .collect();
    speakers.sort();
    speakers.dedup();
    for (i, sp) in speakers.iter().enumerate() {
        store
            .upsert_subscription(&NewSubscription {
                event_slug: "demo".into(),
                endpoint: format!("https://push.example/speaker/{i}"),
                p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
                vapid_key_id: key.id,
                audience: Audience { speaker: Some(sp.clone()), ..Default::default() },
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
    }
    speakers
}

/// Fans everything out and marks every delivery sent.
async fn deliver_all(t: &common::TestApp) {
    let store = &t.state.store;
    while store.fan_out_step(100, Utc::now()).await.unwrap() > 0 {}
    let due = store
        .claim_deliveries(1000, Utc::now(), 60, "test")
        .await
        .unwrap();
    let at = Utc::now();
    let outcomes: Vec<AttemptOutcome> = due
        .iter()
        .map(|d| AttemptOutcome {
            delivery_id: d.delivery_id,
            subscription_id: d.subscription_id,
            state: DeliveryState::Sent,
            next_at: at,
            status: Some(201),
            detail: String::new(),
        })
        .collect();
    store.record_attempts(&outcomes, at).await.unwrap();
}

#[tokio::test]
async fn a_proposal_shows_the_reach_of_its_question_and_of_its_withdrawal() {
    let t = app_with_demo().await;
    subscribe_speakers(&t, "track-2").await;
    let (cookie, _) = common::sign_in(&t).await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": ["track-2"], "from": "17:00", "by_minutes": 20,
                   "date": "2026-11-23", "reason": "player down", "propose": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let out = body_json(res).await;
    let id = out["proposal"]["proposal_id"].as_i64().unwrap();
    let asked = out["tally"]["waiting"].as_i64().unwrap();
    assert!(asked > 0, "{out}");
    let uri = format!("/admin/e/demo/proposals/{id}");
    let html = common::page(&t, &cookie, &uri).await;
    assert!(html.contains("Speakers asked"), "{html}");
    assert!(
        html.contains("data-reach-pending"),
        "not fanned out yet: the page polls"
    );

    deliver_all(&t).await;
    let html = common::page(&t, &cookie, &uri).await;
    assert_eq!(cell(&html, "targeted"), asked.to_string(), "{html}");
    assert_eq!(cell(&html, "delivered"), asked.to_string());
    assert!(
        !html.contains("data-reach-pending"),
        "all delivered: no polling"
    );

    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/proposals/{id}/discard"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    deliver_all(&t).await;
    let html = common::page(&t, &cookie, &uri).await;
    assert!(
        html.contains("Speakers told it is withdrawn"),
        "the speakers asked are told it is withdrawn: {html}"
    );
    let withdrawn = html.split("Speakers told it is withdrawn").nth(1).unwrap();
    assert_eq!(cell(withdrawn, "delivered"), asked.to_string());
}
