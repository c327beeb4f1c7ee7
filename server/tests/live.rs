//! The live SSE stream and serving without a database.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{app_with_demo, body_json, body_string};
use http_body_util::BodyExt;
use serde_json::json;

/// Reads SSE frames until `pred` holds for the text so far (or times out).
async fn read_until(body: &mut Body, pred: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !pred(&text) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("SSE timed out")
            .unwrap()
            .unwrap();
        if let Ok(d) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&d));
        }
    }
    text
}

#[tokio::test]
async fn an_open_stream_receives_a_new_incident_with_its_sequence_id() {
    let t = app_with_demo().await;
    let res = t.get("/e/demo/live").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    assert_eq!(res.headers()["x-accel-buffering"], "no");
    let mut body = res.into_body();
    read_until(&mut body, |s| s.contains("event: hello")).await;
    t.json(
        "POST",
        "/api/v1/events/demo/incidents",
        json!({"name": "Streams unavailable", "body": "x"}),
    )
    .await;
    let text = read_until(&mut body, |s| s.contains("event: incident")).await;
    let id_line = text
        .lines()
        .skip_while(|l| *l != "event: incident")
        .find(|l| l.starts_with("id: "));
    let id_line = id_line
        .or_else(|| text.lines().rev().find(|l| l.starts_with("id: ")))
        .expect("an id");
    assert!(id_line[4..].parse::<i64>().unwrap() > 0);
}

#[tokio::test]
async fn a_reconnecting_client_gets_what_it_missed_after_last_event_id() {
    let t = app_with_demo().await;
    let seq = t.state.store.last_change_seq("demo").await.unwrap();
    for name in ["first", "second"] {
        t.json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": name, "body": "x"}),
        )
        .await;
    }
    let req = Request::get("/e/demo/live")
        .header("last-event-id", seq.to_string())
        .body(Body::empty())
        .unwrap();
    let mut body = t.send(req).await.into_body();
    let text = read_until(&mut body, |s| s.matches("event: incident").count() >= 2).await;
    assert!(text.contains(&format!("id: {}", seq + 1)));
    assert!(text.contains(&format!("id: {}", seq + 2)));
}

/// The `id:` line of the first `event` frame in `text`.
fn frame_id(text: &str, event: &str) -> Option<i64> {
    let frame = text
        .split("\n\n")
        .find(|f| f.lines().any(|l| l == format!("event: {event}")))?;
    frame
        .lines()
        .find_map(|l| l.strip_prefix("id: ")?.parse().ok())
}

/// A browser's EventSource comes back with the last `id` it got. The
/// `hello` carries one, so a client whose stream ends before any change
/// reached it (an instance draining at a rolling upgrade) resumes where it
/// began and misses nothing written while it reconnected. Found by
/// bench/rolling.sh: without it the reconnection had no `Last-Event-ID`,
/// started from "now", and every client missed the incident posted then.
#[tokio::test]
async fn the_hello_has_an_id_so_a_client_that_saw_no_change_yet_resumes_where_it_began() {
    let t = app_with_demo().await;
    let seq = t.state.store.last_change_seq("demo").await.unwrap();
    let mut body = t.get("/e/demo/live").await.into_body();
    let text = read_until(&mut body, |s| {
        s.contains("event: hello") && s.contains("\n\n")
    })
    .await;
    assert_eq!(frame_id(&text, "hello"), Some(seq), "{text}");
    drop(body);

    t.json(
        "POST",
        "/api/v1/events/demo/incidents",
        json!({"name": "While reconnecting", "body": "x"}),
    )
    .await;
    let req = Request::get("/e/demo/live")
        .header("last-event-id", seq.to_string())
        .body(Body::empty())
        .unwrap();
    let mut body = t.send(req).await.into_body();
    let text = read_until(&mut body, |s| s.contains("event: incident")).await;
    assert_eq!(frame_id(&text, "incident"), Some(seq + 1), "{text}");
    // A resuming client's hello keeps the id it sent: were the stream cut
    // before the replay, the next attempt replays it again.
    assert_eq!(frame_id(&text, "hello"), Some(seq), "{text}");
}

/// A page says the change-log position it was rendered at, and its first
/// connection asks to be replayed from there: a change written after the
/// render but before the stream opened (the script still loading) reaches
/// it. Before, the first connection started from "now", and such a page
/// kept showing the old state until the next change.
#[tokio::test]
async fn a_page_first_connects_from_where_it_was_rendered_and_misses_nothing() {
    let t = app_with_demo().await;
    let seq = t.state.store.last_change_seq("demo").await.unwrap();
    let html = body_string(t.get("/e/demo/status").await).await;
    // The live mark's `data-after`, which `enhance.js` opens the stream with.
    let after = html
        .split(" data-after=\"")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("the page names no position: {html}"));
    assert_eq!(after, seq);

    // Written while the page was loading.
    t.json(
        "POST",
        "/api/v1/events/demo/incidents",
        json!({"name": "During the load", "body": "x"}),
    )
    .await;
    let mut body = t
        .get(&format!("/e/demo/live?after={after}"))
        .await
        .into_body();
    let text = read_until(&mut body, |s| s.contains("event: incident")).await;
    assert_eq!(frame_id(&text, "incident"), Some(seq + 1), "{text}");
    assert_eq!(frame_id(&text, "hello"), Some(seq), "{text}");

    // `Last-Event-ID` (a reconnect) wins over the page's position, and a
    // position that is not one is ignored.
    let req = Request::get(format!("/e/demo/live?after={after}"))
        .header("last-event-id", (seq + 1).to_string())
        .body(Body::empty())
        .unwrap();
    let mut body = t.send(req).await.into_body();
    let text = read_until(&mut body, |s| {
        s.contains("event: hello") && s.contains("\n\n")
    })
    .await;
    assert_eq!(frame_id(&text, "hello"), Some(seq + 1), "{text}");
    assert_eq!(frame_id(&text, "incident"), None, "{text}");
    let mut body = t.get("/e/demo/live?after=-3&x=1").await.into_body();
    let text = read_until(&mut body, |s| {
        s.contains("event: hello") && s.contains("\n\n")
    })
    .await;
    assert_eq!(frame_id(&text, "hello"), Some(seq + 1), "{text}");
    assert_eq!(frame_id(&text, "incident"), None, "{text}");
}

/// A change is announced to open pages only once the read model holds it:
/// a change committed after the view was read waits for the refresh that
/// reads it. Before, the announcement of an earlier write also announced
/// it, pages refetched a view without it, and on another instance the
/// change's own notification (seen as announced) refreshed nothing.
#[tokio::test]
async fn a_change_is_never_announced_before_the_view_holds_it() {
    let t = app_with_demo().await;
    let store = &t.state.store;
    let incident = |name: &str| app::store::NewIncident {
        name: name.into(),
        status: app::domain::status::IncidentStatus::Investigating,
        impact: app::domain::status::Impact::Major,
        body_md: "x".into(),
        component_ids: vec![],
        component_status: None,
        scheduled_for: None,
        scheduled_until: None,
        signature: None,
    };
    let now = t.state.clock.now();
    store
        .create_incident("demo", incident("Read"), now)
        .await
        .unwrap();
    t.state.refresh_event("demo").await.unwrap();
    let held = t.state.read_model.get("demo").unwrap().seq;
    // Committed after the view was read.
    store
        .create_incident("demo", incident("Later"), now)
        .await
        .unwrap();
    assert!(store.last_change_seq("demo").await.unwrap() > held);

    t.state.publish_pending("demo").await.unwrap();
    assert_eq!(t.state.live.last_published("demo"), held);
    // The refresh that reads it announces it.
    t.state.after_write("demo").await.unwrap();
    let view = t.state.read_model.get("demo").unwrap();
    assert!(view.status.incidents.iter().any(|i| i.name == "Later"));
    assert_eq!(t.state.live.last_published("demo"), view.seq);
    assert!(view.seq > held);
}

/// A crowd reconnecting at once (the clients of a draining instance) is
/// replayed what it missed from memory, with no database query: before,
/// each replay waited for the database's small anonymous share, and under
/// load (bench/rolling.sh) many got `resync` and lost the changes made
/// while they reconnected. Shown here with the database gone altogether.
#[tokio::test]
async fn a_reconnecting_client_is_replayed_from_memory_without_the_database() {
    let t = app_with_demo().await;
    let seq = t.state.store.last_change_seq("demo").await.unwrap();
    for name in ["first", "second"] {
        t.json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": name, "body": "x"}),
        )
        .await;
    }
    t.state.store.close().await;
    t.state.set_db_available(false);
    let req = Request::get("/e/demo/live")
        .header("last-event-id", seq.to_string())
        .body(Body::empty())
        .unwrap();
    let mut body = t.send(req).await.into_body();
    let text = read_until(&mut body, |s| s.matches("event: incident").count() >= 2).await;
    assert!(text.contains(r#""resync":false"#), "{text}");
    assert!(text.contains(&format!("id: {}", seq + 1)), "{text}");
    assert!(text.contains(&format!("id: {}", seq + 2)), "{text}");
}

#[tokio::test]
async fn unknown_events_have_no_stream() {
    let t = app_with_demo().await;
    assert_eq!(t.get("/e/nope/live").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn public_pages_keep_serving_the_last_state_when_the_database_is_gone() {
    let t = app_with_demo().await;
    t.json(
        "POST",
        "/api/v1/events/demo/incidents",
        json!({"name": "Streams unavailable", "body": "x", "components": ["all-streams"]}),
    )
    .await;
    let tag_before = t.get("/e/demo/status").await.headers()["etag"].clone();
    // The database goes away: every new query fails.
    t.state.store.close().await;
    t.state.set_db_available(false);
    for page in [
        "/e/demo",
        "/e/demo/status",
        "/e/demo/schedule.json",
        "/e/demo/api/v2/summary.json",
    ] {
        let res = t.get(page).await;
        assert_eq!(res.status(), StatusCode::OK, "{page}");
        assert!(
            body_string(res).await.contains("Streams unavailable")
                || page.ends_with("schedule.json"),
            "{page}"
        );
    }
    // A browser revalidating its copy must not get a 304 for the old page.
    let res = t
        .send(
            axum::http::Request::get("/e/demo/status")
                .header("if-none-match", tag_before)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_string(res).await;
    assert!(html.contains("the server cannot reach its database right now"));
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "more", "body": "x"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let err = body_json(res).await;
    assert_eq!(err["error"]["code"], "unavailable");
    assert_eq!(
        err["error"]["message"],
        "the database is unavailable; nothing was changed"
    );
    let health = body_json(t.get("/healthz").await).await;
    assert_eq!(health["database"], "unavailable");
}

#[tokio::test]
async fn a_proposal_tells_open_boards_to_refetch_but_shows_attendees_nothing_of_it() {
    let t = app_with_demo().await;
    let res = t.get("/e/demo/live").await;
    let mut body = res.into_body();
    read_until(&mut body, |s| s.contains("event: hello")).await;
    let v = t.state.read_model.get("demo").unwrap().schedule.version;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": "all", "from": "17:00", "to": "18:00", "date": "2026-11-23",
                   "reason": "secret plan", "propose": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = read_until(&mut body, |s| s.contains("event: speaker_answer")).await;
    let data = text
        .lines()
        .skip_while(|l| *l != "event: speaker_answer")
        .find(|l| l.starts_with("data: "))
        .or_else(|| text.lines().rev().find(|l| l.starts_with("data: ")))
        .expect("data");
    assert_eq!(data, "data: {}", "{text}");
    assert!(!text.contains("proposal") && !text.contains("event: schedule"));
    assert_eq!(t.state.read_model.get("demo").unwrap().schedule.version, v);
}
