//! A track in trouble looks it (issue 12 §8), with the server's clock at
//! 17:30 on the demo day: while an open incident names track 2's stream,
//! its running talk says "Paused — technical difficulties" instead of
//! "Live now" on the schedule and on the track's screen, in every
//! language; the speakers of its running and next talk are told by push
//! and on their `/s/` page, and nobody else is; track 3 stays live;
//! resolving the incident ends it all.

mod common;

use app::auth::new_token;
use app::clock::Clock;
use app::domain::push::Audience;
use app::state::AppState;
use app::store::{NewSubscription, Store};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{TestApp, body_json, body_string};
use leptos::prelude::LeptosOptions;
use serde_json::json;

/// 17:30 in Moscow on the demo day: track 2's 17:00 talk is running.
fn half_past_five() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 14, 30, 0).unwrap()
}

/// The demo on a server whose clock stands at `now`.
async fn demo_at(now: DateTime<Utc>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    let (token, hash) = new_token("mq");
    store.create_api_token("tests", &hash).await.unwrap();
    let options = LeptosOptions::builder()
        .output_name("marquee")
        .site_root(dir.path().to_string_lossy().into_owned())
        .build();
    let mut state = AppState::new(options, store, "http://marquee.test");
    state.clock = Clock::fixed(now);
    let demo = server::demo::conference("demo", NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    state
        .store
        .import_schedule_at(&demo, "test", "test", now - chrono::Duration::hours(3))
        .await
        .unwrap();
    state.refresh_all().await.unwrap();
    let router = server::routes::build(state.clone());
    TestApp::from_parts(state, router, token, dir)
}

/// The talks of `track` running at `now` and starting next (title, first
/// speaker's key).
fn running_and_next(t: &TestApp, track: &str, now: DateTime<Utc>) -> [(String, String); 2] {
    let view = t.state.read_model.get("demo").unwrap();
    let mut on: Vec<_> = view
        .schedule
        .sessions
        .iter()
        .filter(|s| s.track == track && s.end() > now && !s.speakers.is_empty())
        .collect();
    on.sort_by_key(|s| s.start);
    assert!(
        on[0].start <= now && now < on[0].end(),
        "a talk runs at 17:30"
    );
    [on[0], on[1]].map(|s| (s.title.clone(), s.speakers[0].clone()))
}

/// The schedule page's slot for `title`.
fn slot<'a>(html: &'a str, title: &str) -> &'a str {
    html.split("<article")
        .find(|a| a.contains(title))
        .unwrap_or_else(|| panic!("no slot for {title}"))
}

async fn link(t: &TestApp, key: &str) -> String {
    let (token, hash) = new_token("sp");
    t.state
        .store
        .issue_speaker_link("demo", key, &hash)
        .await
        .unwrap();
    format!("/s/{token}")
}

/// One push subscription per speaker, as their `/s/` page makes it.
async fn subscribe(t: &TestApp, speakers: &[&str]) {
    let store = &t.state.store;
    let key = store.add_vapid_key("priv", "pub", false).await.unwrap();
    for (i, sp) in speakers.iter().enumerate() {
        store
            .upsert_subscription(&NewSubscription {
                event_slug: "demo".into(),
                endpoint: format!("https://push.example/speaker/{i}"),
                p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
                vapid_key_id: key.id,
                audience: Audience {
                    speaker: Some((*sp).to_owned()),
                    ..Default::default()
                },
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
    }
}

/// The speakers a `track_paused` push is due for, and what it names.
async fn paused_pushes(t: &TestApp) -> (Vec<String>, Vec<String>) {
    let store = &t.state.store;
    // The notices were written on the server's (fixed) clock.
    let now = t.state.clock.now() + chrono::Duration::seconds(1);
    while store.fan_out_step(100, now).await.unwrap() > 0 {}
    let due = store.claim_deliveries(1000, now, 60, "test").await.unwrap();
    let mut to = Vec::new();
    let mut notices = Vec::new();
    for d in due {
        let n: serde_json::Value = serde_json::from_str(&d.notice_json).unwrap();
        if n["kind"] == "track_paused" {
            to.push(
                d.audience
                    .speaker
                    .clone()
                    .expect("a speaker's subscription"),
            );
            notices.push(d.notice_json.clone());
        }
    }
    to.sort();
    (to, notices)
}

#[tokio::test]
async fn a_paused_track_says_so_on_screen_and_schedule_and_its_speakers_are_told() {
    let now = half_past_five();
    let t = demo_at(now).await;
    let [(running, dmitri), (next, following)] = running_and_next(&t, "track-2", now);
    let [(other_track, elsewhere), _] = running_and_next(&t, "track-3", now);
    assert_ne!(dmitri, following, "the demo's two talks have two speakers");
    let pages = [
        link(&t, &dmitri).await,
        link(&t, &following).await,
        link(&t, &elsewhere).await,
    ];
    // After the links: a new link cuts off what the old one subscribed.
    subscribe(&t, &[&dmitri, &following, &elsewhere]).await;

    // Before: live everywhere.
    let html = body_string(t.get("/e/demo").await).await;
    assert!(
        slot(&html, &running).contains("badge-live"),
        "{}",
        slot(&html, &running)
    );
    let screen = body_string(t.get("/e/demo/screen/track-2").await).await;
    assert!(screen.contains("data-state=\"live\""), "{screen}");

    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "Track 2 stream down", "body": "The encoder stopped.", "components": ["track-2"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = body_json(res).await["id"].as_str().unwrap().to_owned();

    // The schedule: paused, not live, on track 2 only — in each language.
    let html = body_string(t.get("/e/demo").await).await;
    let mine = slot(&html, &running);
    assert!(
        mine.contains("badge-paused") && mine.contains("Paused — technical difficulties"),
        "{mine}"
    );
    assert!(
        !mine.contains("badge-live") && !mine.contains("is-live"),
        "{mine}"
    );
    assert!(
        slot(&html, &other_track).contains("badge-live"),
        "track 3 is not affected"
    );
    for (lang, words) in [
        ("ru", "Пауза — технические проблемы"),
        ("zh", "暂停 — 技术故障"),
        ("fr", "En pause — difficultés techniques"),
    ] {
        let html = body_string(t.get(&format!("/e/demo?lang={lang}")).await).await;
        assert!(slot(&html, &running).contains(words), "{lang}");
    }
    // The track's screen (its first render, before any JavaScript).
    let screen = body_string(t.get("/e/demo/screen/track-2").await).await;
    assert!(screen.contains("data-state=\"paused\""), "{screen}");
    assert!(screen.contains("Paused — technical difficulties"));
    assert!(
        screen.contains("Track 2 stream down"),
        "the screen names the incident"
    );
    let other = body_string(t.get("/e/demo/screen/track-3").await).await;
    assert!(other.contains("data-state=\"live\""), "{other}");

    // The speakers of the running and the next talk: their page and a push.
    for (page, title) in [(&pages[0], &running), (&pages[1], &next)] {
        let html = body_string(t.get(page).await).await;
        let notice = html
            .split("data-testid=\"paused\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no paused notice: {html}"));
        assert!(notice.contains("Your track is paused"), "{notice}");
        assert!(notice.contains(title.as_str()) && notice.contains("Track 2 stream down"));
    }
    let html = body_string(t.get(&pages[2]).await).await;
    assert!(
        !html.contains("data-testid=\"paused\""),
        "track 3's speaker is not told"
    );
    let (told, notices) = paused_pushes(&t).await;
    let mut want = vec![dmitri.clone(), following.clone()];
    want.sort();
    assert_eq!(told, want, "exactly the two speakers, by push");
    assert!(notices[0].contains(&running) && notices[0].contains(&next));

    // Resolved: live again, and the notice is gone from their page.
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/incidents/{id}/updates"),
            json!({"status": "resolved", "template": "resolved"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let html = body_string(t.get("/e/demo").await).await;
    assert!(slot(&html, &running).contains("badge-live"));
    assert!(!html.contains("badge-paused"));
    let screen = body_string(t.get("/e/demo/screen/track-2").await).await;
    assert!(screen.contains("data-state=\"live\""));
    let html = body_string(t.get(&pages[0]).await).await;
    assert!(!html.contains("data-testid=\"paused\""));
    assert!(paused_pushes(&t).await.0.is_empty(), "told once");
}
