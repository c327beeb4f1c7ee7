//! Shifts over HTTP: preview, apply, revert, refusals that change nothing,
//! and everything that must follow a move (pages, exports, calendars, feeds).

mod common;

use axum::http::StatusCode;
use common::{app_with_demo, body_json, body_string};
use serde_json::json;

const SHIFTS: &str = "/api/v1/events/demo/shifts";

fn restart_all() -> serde_json::Value {
    json!({"tracks": "all", "from": "17:25", "to": "18:15", "date": "2026-11-23", "reason": "player outage"})
}

#[tokio::test]
async fn a_dry_run_previews_without_changing_anything() {
    let t = app_with_demo().await;
    let before = t.state.read_model.get("demo").unwrap().schedule.clone();
    let mut req = restart_all();
    req["dry_run"] = true.into();
    let res = t.json("POST", SHIFTS, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = body_json(res).await;
    assert_eq!(p["dry_run"], true);
    // The talks running at 17:25 are interrupted and restart at 18:15
    // (they used to be left in the past); the pinned keynote stays, so
    // its track restarts with the 17:50 talk.
    assert_eq!(
        p["preview"]["delta_min"], 75,
        "the first moved session is a talk interrupted at 17:25: 17:00 → 18:15"
    );
    let moved = p["preview"]["moved"].as_array().unwrap();
    assert_eq!(
        moved.len(),
        23,
        "the 20 sessions from 17:25 and the 3 talks interrupted then"
    );
    let interrupted: Vec<_> = p["change"]["edits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["interrupted"]["mode"] == "restart")
        .collect();
    assert_eq!(interrupted.len(), 3, "every track but the keynote's");
    for e in interrupted {
        assert_eq!(e["after"]["start"], "2026-11-23T15:15:00Z", "{e}");
        assert_eq!(e["interrupted"]["ran_min"], 25);
    }
    assert!(
        moved
            .iter()
            .any(|m| m["title"] == "Postmortems without blame"
                && m["new_start"] == "2026-11-23T15:15:00Z"),
        "after the pinned keynote, the 17:50 talk restarts track 1"
    );
    assert_eq!(p["version"], before.version);
    assert!(
        p["preview"]["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "past_day_end")
    );
    assert_eq!(t.state.read_model.get("demo").unwrap().schedule, before);
    assert_eq!(
        t.state
            .store
            .load_schedule("demo")
            .await
            .unwrap()
            .unwrap()
            .version,
        before.version
    );
}

#[tokio::test]
async fn applying_moves_sessions_and_everything_public_follows() {
    let t = app_with_demo().await;
    let json_before = body_json(t.get("/e/demo/schedule.json").await).await;
    let res = t.json("POST", SHIFTS, restart_all()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let applied = body_json(res).await;
    assert_eq!(applied["version"], 2);
    let view = t.state.read_model.get("demo").unwrap();
    let talk = view
        .schedule
        .sessions
        .iter()
        .find(|s| s.title == "Postmortems without blame")
        .unwrap();
    assert_eq!(app::domain::time::format_hhmm(view.tz, talk.start), "18:15");
    assert_eq!(view.history.sequences.get(&talk.guid), Some(&1));

    let html = body_string(t.get("/e/demo").await).await;
    assert!(html.contains("was 17:50"), "the schedule shows was → now");
    let page = body_string(t.get(&format!("/e/demo/talk/{}", talk.guid)).await).await;
    assert!(page.contains("was 17:50"));
    let changes = body_string(t.get("/e/demo/changes").await).await;
    assert!(changes.contains("player outage") && changes.contains("17:50 → 18:15"));
    let atom = body_string(t.get("/e/demo/changes.atom").await).await;
    assert!(atom.contains("Version 2"));
    let json_after = body_json(t.get("/e/demo/schedule.json").await).await;
    assert_ne!(
        json_before["schedule"]["version"],
        json_after["schedule"]["version"]
    );
    let ics = body_string(t.get("/e/demo/tracks/track-1.ics").await).await;
    assert!(ics.contains("SEQUENCE:1"), "moved sessions raise SEQUENCE");
    assert!(
        ics.contains("SEQUENCE:0"),
        "the keynote before 17:25 did not move"
    );
}

#[tokio::test]
async fn revert_restores_the_old_times_as_a_new_version() {
    let t = app_with_demo().await;
    let before = t
        .state
        .read_model
        .get("demo")
        .unwrap()
        .schedule
        .sessions
        .clone();
    let applied = body_json(t.json("POST", SHIFTS, restart_all()).await).await;
    let id = applied["shift_id"].as_i64().unwrap();
    let res = t
        .json(
            "POST",
            &format!("{SHIFTS}/{id}/revert"),
            json!({"reason": "player is back"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(body_json(res).await["version"], 3);
    let after = t.state.read_model.get("demo").unwrap();
    let starts = |v: &Vec<app::domain::schedule::Session>| {
        v.iter()
            .map(|s| (s.guid.clone(), s.start))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(starts(&before), starts(&after.schedule.sessions));
    assert!(
        !body_string(t.get("/e/demo").await)
            .await
            .contains("was 17:50"),
        "nothing is marked moved after undo"
    );
    let again = t
        .json("POST", &format!("{SHIFTS}/{id}/revert"), json!({}))
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_shift_requests_are_refused_naming_the_field_and_change_nothing() {
    let t = app_with_demo().await;
    let cases = [
        (
            json!({"tracks": ["track-9"], "from": "17:25", "by_minutes": 30, "reason": "r"}),
            "tracks",
        ),
        (
            json!({"tracks": [], "from": "17:25", "by_minutes": 30, "reason": "r"}),
            "tracks",
        ),
        (
            json!({"tracks": "all", "from": "17:25", "by_minutes": 0, "reason": "r"}),
            "by_minutes",
        ),
        (
            json!({"tracks": "all", "from": "17:25", "by_minutes": 100000, "reason": "r"}),
            "by_minutes",
        ),
        (
            json!({"tracks": "all", "from": "2027-05-01T10:00:00Z", "by_minutes": 30, "reason": "r"}),
            "from",
        ),
        (
            json!({"tracks": "all", "from": "teatime", "by_minutes": 30, "reason": "r"}),
            "from",
        ),
        (
            json!({"tracks": "all", "from": "17:25", "by_minutes": 30, "to": "18:15", "reason": "r"}),
            "to",
        ),
        (
            json!({"tracks": "all", "from": "17:25", "reason": "r"}),
            "by_minutes",
        ),
        (
            json!({"tracks": "all", "from": "17:25", "by_minutes": 30}),
            "reason",
        ),
        (
            json!({"tracks": "all", "from": "23:30", "date": "2026-11-23", "by_minutes": 30, "reason": "r"}),
            "from",
        ),
        (
            json!({"tracks": "all", "from": "17:25", "by_minutes": "lots", "reason": "r"}),
            "by_minutes",
        ),
    ];
    for (body, field) in cases {
        let res = t.json("POST", SHIFTS, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err = body_json(res).await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    assert_eq!(
        t.state
            .store
            .load_schedule("demo")
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
    assert!(t.state.store.list_shifts("demo").await.unwrap().is_empty());
}

/// Posts the organiser's shift form; where it sends them back to.
async fn post_shift_form(t: &common::TestApp, cookie: &str, body: String) -> String {
    use axum::http::{Request, header};
    let res = t
        .send(
            Request::post("/admin/e/demo/shift")
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

/// The page a refused form went back to, with the refusal it shows (kept
/// for the session; the URL only says there is one).
async fn refusal(t: &common::TestApp, cookie: &str, back: &str) -> String {
    assert!(back.ends_with("?error=1"), "{back}");
    let html = common::page(t, cookie, back).await;
    assert!(html.contains("role=\"alert\""), "{html}");
    html
}

#[tokio::test]
async fn the_shift_form_and_its_preview_refuse_no_tracks_alike() {
    let t = app_with_demo().await;
    let (cookie, csrf) = common::sign_in(&t).await;
    // The GET preview with no track ticked names the missing field.
    let html = common::page(
        &t,
        &cookie,
        "/admin/e/demo/shift?from=17:25&by=30&date=2026-11-23",
    )
    .await;
    assert!(html.contains("data-testid=\"shift-error\""), "{html}");
    assert!(html.contains("tracks: required"), "{html}");
    assert!(!html.contains("data-testid=\"shift-preview\""));
    // The POST with no track refuses the same way instead of moving all.
    let back = post_shift_form(
        &t,
        &cookie,
        format!("csrf={csrf}&from=17%3A25&by=30&date=2026-11-23&reason=late"),
    )
    .await;
    assert!(
        refusal(&t, &cookie, &back)
            .await
            .contains("tracks: required"),
        "{back}"
    );
    // A reason is required from the form too, and a bad number is refused.
    for (body, field) in [
        (
            "tracks=all&from=17%3A25&by=30&date=2026-11-23&reason=+",
            "reason",
        ),
        (
            "tracks=all&from=17%3A25&by=lots&date=2026-11-23&reason=late",
            "by_minutes",
        ),
    ] {
        let back = post_shift_form(&t, &cookie, format!("csrf={csrf}&{body}")).await;
        let html = refusal(&t, &cookie, &back).await;
        assert!(html.contains(&format!("{field}: ")), "{field}: {html}");
    }
    let schedule = t.state.store.load_schedule("demo").await.unwrap().unwrap();
    assert_eq!(schedule.version, 1, "nothing moved");
    // What the preview shows is what the form applies.
    let html = common::page(
        &t,
        &cookie,
        "/admin/e/demo/shift?tracks=track-2&from=17:25&by=30&date=2026-11-23",
    )
    .await;
    assert!(html.contains("data-testid=\"shift-preview\""), "{html}");
    let back = post_shift_form(
        &t,
        &cookie,
        format!("csrf={csrf}&tracks=track-2&from=17%3A25&by=30&date=2026-11-23&reason=late"),
    )
    .await;
    assert!(!back.contains("error="), "{back}");
    let moved = t.state.store.list_shifts("demo").await.unwrap();
    assert_eq!(moved.len(), 1);
    assert!(moved[0].preview.moved.iter().all(|m| m.track == "track-2"));
}
