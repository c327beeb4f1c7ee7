//! Reach on the organiser's pages: a shift's board and the dashboard's
//! open incidents show, per notice, the subscribers targeted and how many
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
