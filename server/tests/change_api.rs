//! One-talk changes over HTTP (`POST /api/v1/events/{event}/changes`):
//! preview, apply, refusals naming the field, undo through the shift
//! revert, and what attendees see of a cancelled talk (page, calendar).

mod common;

use app::domain::push::Audience;
use app::store::NewSubscription;
use axum::http::StatusCode;
use common::{app_with_demo, body_json, body_string};
use serde_json::json;

const CHANGES: &str = "/api/v1/events/demo/changes";

fn guid_of(t: &common::TestApp, title: &str) -> String {
    let view = t.state.read_model.get("demo").unwrap();
    view.schedule
        .sessions
        .iter()
        .find(|s| s.title == title)
        .unwrap()
        .guid
        .clone()
}

fn version(t: &common::TestApp) -> i64 {
    t.state.read_model.get("demo").unwrap().schedule.version
}

#[tokio::test]
async fn a_move_previews_then_applies_and_reverts() {
    let t = app_with_demo().await;
    let guid = guid_of(&t, "Postmortems without blame");
    let v = version(&t);
    let res = t
        .json(
            "POST",
            CHANGES,
            json!({"op": "move", "guid": guid, "start": "20:10", "track": "track-4", "dry_run": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = body_json(res).await;
    assert_eq!(p["version"], v, "what to send back to apply");
    assert_eq!(p["change"]["edits"][0]["guid"], guid.as_str());
    assert_eq!(p["change"]["edits"][0]["after"]["track"], "track-4");
    assert_eq!(version(&t), v, "a preview changes nothing");

    let res = t
        .json(
            "POST",
            CHANGES,
            json!({"version": v, "op": "move", "guid": guid, "start": "20:10", "track": "track-4", "reason": "speaker late"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let applied = body_json(res).await;
    assert_eq!(applied["version"], v + 1);
    let view = t.state.read_model.get("demo").unwrap();
    let s = view.schedule.session(&guid).unwrap();
    assert_eq!(app::domain::time::format_hhmm(view.tz, s.start), "20:10");
    assert_eq!(s.track, "track-4");
    assert_eq!(view.history.sequences.get(&guid), Some(&1));

    let id = applied["shift_id"].as_i64().unwrap();
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/shifts/{id}/revert"),
            json!({"reason": "never mind"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let view = t.state.read_model.get("demo").unwrap();
    let s = view.schedule.session(&guid).unwrap();
    assert_eq!(app::domain::time::format_hhmm(view.tz, s.start), "17:50");
    assert_ne!(s.track, "track-4");
}

#[tokio::test]
async fn refusals_name_the_field_and_change_nothing() {
    let t = app_with_demo().await;
    let guid = guid_of(&t, "Postmortems without blame");
    let v = version(&t);
    let cases = [
        (
            json!({"version": v - 1, "op": "cancel", "guid": guid, "reason": "r"}),
            "version",
        ),
        (
            json!({"version": v, "op": "cancel", "guid": "no-such-talk", "reason": "r"}),
            "guid",
        ),
        (
            json!({"version": v, "op": "cancel", "guid": guid}),
            "reason",
        ),
        (
            json!({"version": v, "op": "move", "guid": guid, "track": "nope", "reason": "r"}),
            "track",
        ),
        (
            json!({"version": v, "op": "swap", "a": guid, "b": guid, "reason": "r"}),
            "b",
        ),
        (
            json!({"version": v, "op": "explode", "guid": guid, "reason": "r"}),
            "op",
        ),
    ];
    for (body, field) in cases {
        let res = t.json("POST", CHANGES, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = body_json(res).await;
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
    assert_eq!(version(&t), v);
    assert!(t.state.store.list_shifts("demo").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cancelled_talk_stays_visible_struck_and_leaves_calendars() {
    let t = app_with_demo().await;
    let guid = guid_of(&t, "Postmortems without blame");
    let v = version(&t);
    let res = t
        .json(
            "POST",
            CHANGES,
            json!({"version": v, "op": "cancel", "guid": guid, "reason": "speaker ill"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let html = body_string(t.get("/e/demo").await).await;
    assert!(
        html.contains("Postmortems without blame"),
        "kept on the page"
    );
    assert!(html.contains("is-cancelled") && html.contains("Cancelled"));
    let page = body_string(t.get(&format!("/e/demo/talk/{guid}")).await).await;
    assert!(page.contains("Cancelled"));
    let ics = body_string(t.get("/e/demo/schedule.ics").await).await;
    let event = ics
        .split("BEGIN:VEVENT")
        .find(|e| e.contains("SUMMARY:Postmortems without blame"))
        .unwrap();
    assert!(event.contains("STATUS:CANCELLED"), "{event}");
    assert!(event.contains("SEQUENCE:1"), "{event}");
    assert_eq!(ics.matches("STATUS:CANCELLED").count(), 1);

    // Restored, it is an ordinary talk again.
    let res = t
        .json(
            "POST",
            CHANGES,
            json!({"version": v + 1, "op": "restore", "guid": guid, "reason": "recovered"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ics = body_string(t.get("/e/demo/schedule.ics").await).await;
    assert!(!ics.contains("STATUS:CANCELLED"));
}

#[tokio::test]
async fn a_viewer_token_may_preview_but_not_apply() {
    let t = app_with_demo().await;
    let (plain, hash) = app::auth::new_token("mq");
    t.state
        .store
        .create_limited_api_token(&app::store::NewApiToken {
            name: "viewer".into(),
            token_hash: hash,
            event: Some("demo".into()),
            role: Some(app::domain::access::Role::Viewer),
            expires_at: None,
        })
        .await
        .unwrap();
    let guid = guid_of(&t, "Postmortems without blame");
    let v = version(&t);
    let call = |body: serde_json::Value| {
        axum::http::Request::builder()
            .method("POST")
            .uri(CHANGES)
            .header("authorization", format!("Bearer {plain}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let res = t
        .send(call(json!({"op": "cancel", "guid": guid, "dry_run": true})))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = t
        .send(call(
            json!({"version": v, "op": "cancel", "guid": guid, "reason": "r"}),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(version(&t), v);
}

#[tokio::test]
async fn the_admin_page_previews_a_move_without_js_and_its_form_applies_it() {
    let t = app_with_demo().await;
    let (cookie, csrf) = common::sign_in(&t).await;
    let guid = guid_of(&t, "Postmortems without blame");
    let v = version(&t);
    let list = common::page(&t, &cookie, "/admin/e/demo/talks").await;
    assert!(
        list.contains("Postmortems without blame") && list.contains("data-testid=\"move-form\"")
    );

    let preview = common::page(
        &t,
        &cookie,
        &format!("/admin/e/demo/talks?op=move&guid={guid}&start=20%3A10&track=track-4"),
    )
    .await;
    assert!(
        preview.contains("data-testid=\"change-preview\""),
        "{preview}"
    );
    assert!(preview.contains("20:10"));
    assert!(preview.contains(&format!("name=\"version\" value=\"{v}\"")));
    assert_eq!(version(&t), v, "a preview changes nothing");

    let form = |csrf: &str| {
        format!(
            "csrf={csrf}&op=move&version={v}&guid={guid}&start=20%3A10&track=track-4&a=&b=&reason=late"
        )
    };
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/change", form("forged")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(version(&t), v);
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/change", form(&csrf)).await,
        StatusCode::SEE_OTHER
    );
    let view = t.state.read_model.get("demo").unwrap();
    let s = view.schedule.session(&guid).unwrap();
    assert_eq!(
        (
            app::domain::time::format_hhmm(view.tz, s.start).as_str(),
            s.track.as_str()
        ),
        ("20:10", "track-4")
    );
    // The same form again is stale: refused, naming the version, nothing changed.
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/change", form(&csrf)).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(version(&t), v + 1);
    let back = common::page(&t, &cookie, "/admin/e/demo/talks?error=1").await;
    assert!(back.contains("version"), "{back}");
}

#[tokio::test]
async fn an_organiser_pins_a_talk_and_a_shift_flows_around_it() {
    let t = app_with_demo().await;
    let (cookie, csrf) = common::sign_in(&t).await;
    let guid = guid_of(&t, "Postmortems without blame");
    let v = version(&t);
    let pin = |csrf: &str, pinned: &str| format!("csrf={csrf}&guid={guid}&pinned={pinned}");
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/pin", pin("forged", "1")).await,
        StatusCode::FORBIDDEN
    );
    assert!(
        !t.state
            .read_model
            .get("demo")
            .unwrap()
            .schedule
            .session(&guid)
            .unwrap()
            .pinned
    );
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/pin", pin(&csrf, "1")).await,
        StatusCode::SEE_OTHER
    );
    let view = t.state.read_model.get("demo").unwrap();
    assert!(view.schedule.session(&guid).unwrap().pinned);
    assert_eq!(view.schedule.version, v, "pinning moves nothing");
    let list = common::page(&t, &cookie, "/admin/e/demo/talks").await;
    assert!(list.contains("data-testid=\"pinned\""));

    // Track 1 from 17:25 by 30 minutes: the pinned 17:50 talk stays.
    let track = view.schedule.session(&guid).unwrap().track.clone();
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": [track], "from": "17:25", "by_minutes": 30, "date": "2026-11-23", "reason": "late"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let applied = body_json(res).await;
    assert!(
        applied["change"]["edits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["guid"] != guid.as_str()),
        "{applied}"
    );
    let view = t.state.read_model.get("demo").unwrap();
    assert_eq!(
        app::domain::time::format_hhmm(view.tz, view.schedule.session(&guid).unwrap().start),
        "17:50"
    );
    // Unpinned again.
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/pin", pin(&csrf, "0")).await,
        StatusCode::SEE_OTHER
    );
    assert!(
        !t.state
            .read_model
            .get("demo")
            .unwrap()
            .schedule
            .session(&guid)
            .unwrap()
            .pinned
    );
}

#[tokio::test]
async fn a_shift_may_resume_interrupted_talks_with_the_minutes_they_had_left() {
    let t = app_with_demo().await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": ["track-2"], "from": "17:25", "to": "18:15", "date": "2026-11-23",
                   "interrupted": "resume", "dry_run": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = body_json(res).await;
    let first = &p["change"]["edits"][0];
    assert_eq!(first["interrupted"]["mode"], "resume", "{p}");
    assert_eq!(first["interrupted"]["ran_min"], 25);
    assert_eq!(first["after"]["start"], "2026-11-23T15:15:00Z");
    assert_eq!(
        first["after"]["duration_min"].as_i64().unwrap(),
        first["before"]["duration_min"].as_i64().unwrap() - 25
    );
    let bad = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": "all", "from": "17:25", "by_minutes": 5, "date": "2026-11-23",
                   "interrupted": "later", "dry_run": true}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(bad).await["error"]["field"], "interrupted");
}

#[tokio::test]
async fn the_admin_page_previews_a_swap_and_names_a_refusal() {
    let t = app_with_demo().await;
    let (cookie, _) = common::sign_in(&t).await;
    let a = guid_of(&t, "Postmortems without blame");
    let b = guid_of(&t, "Running a hybrid conference on a shoestring");
    let page = common::page(
        &t,
        &cookie,
        &format!("/admin/e/demo/talks?op=swap&a={a}&b={b}"),
    )
    .await;
    assert!(page.contains("data-testid=\"change-preview\""), "{page}");
    assert!(
        page.contains("Postmortems without blame") && page.contains("Running a hybrid conference")
    );
    let same = common::page(
        &t,
        &cookie,
        &format!("/admin/e/demo/talks?op=swap&a={a}&b={a}"),
    )
    .await;
    assert!(same.contains("data-testid=\"change-error\""), "{same}");
    assert!(!same.contains("data-testid=\"change-preview\""));
}

/// Push subscriptions for `audiences`, as the pages make them.
async fn subscribe(t: &common::TestApp, audiences: Vec<Audience>) {
    let store = &t.state.store;
    let key = store.add_vapid_key("priv", "pub", false).await.unwrap();
    for (i, audience) in audiences.into_iter().enumerate() {
        store
            .upsert_subscription(&NewSubscription {
                event_slug: "demo".into(),
                endpoint: format!("https://push.example/{i}"),
                p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
                vapid_key_id: key.id,
                audience,
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
    }
}

/// Every push due now: its notice kind and, for a speaker's subscription,
/// whose.
async fn pushes(t: &common::TestApp) -> Vec<(String, Option<String>)> {
    let store = &t.state.store;
    let now = chrono::Utc::now();
    while store.fan_out_step(100, now).await.unwrap() > 0 {}
    let mut out: Vec<(String, Option<String>)> = store
        .claim_deliveries(1000, now, 60, "test")
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            let n: serde_json::Value = serde_json::from_str(&d.notice_json).unwrap();
            (n["kind"].as_str().unwrap().to_owned(), d.audience.speaker)
        })
        .collect();
    out.sort();
    out
}

/// The pinned opening keynote (track 1, 17:00–17:45) and an unpinned talk
/// on another track.
fn keynote_and_talk(t: &common::TestApp) -> (String, String) {
    let view = t.state.read_model.get("demo").unwrap();
    let keynote = view.schedule.sessions.iter().find(|s| s.pinned).unwrap();
    assert_eq!(keynote.track, "track-1");
    (
        keynote.guid.clone(),
        guid_of(t, "Running a hybrid conference on a shoestring"),
    )
}

#[tokio::test]
async fn landing_on_a_pinned_keynote_is_refused_naming_start_unless_allowed() {
    let t = app_with_demo().await;
    let (keynote, talk) = keynote_and_talk(&t);
    let v = version(&t);
    let before = body_string(t.get("/e/demo/schedule.json").await).await;
    let onto = json!({"version": v, "op": "move", "guid": talk, "start": "17:10", "track": "track-1", "reason": "r"});
    // Applied, proposed or previewed: refused the same, naming the field
    // and the pinned session.
    for extra in [
        json!({}),
        json!({"propose": true}),
        json!({"dry_run": true}),
    ] {
        let mut body = onto.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let res = t.json("POST", CHANGES, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = body_json(res).await;
        assert_eq!(e["error"]["field"], "start", "{body}: {e}");
        let said = e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + &e.to_string();
        assert!(said.contains(&keynote), "names the pinned session: {e}");
    }
    assert_eq!(version(&t), v);
    assert!(t.state.store.list_shifts("demo").await.unwrap().is_empty());
    assert!(
        t.state
            .store
            .list_proposals("demo")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        body_string(t.get("/e/demo/schedule.json").await).await,
        before
    );

    // Allowed: the overlap is a conflict in the preview, not a refusal.
    let mut allowed = onto.clone();
    allowed["allow_pinned_overlap"] = json!(true);
    allowed["dry_run"] = json!(true);
    let res = t.json("POST", CHANGES, allowed).await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = body_json(res).await;
    assert!(
        p["change"]["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "overlaps_pinned" && c["other"] == keynote.as_str()),
        "{p}"
    );
}

#[tokio::test]
async fn a_swap_applies_over_http_raising_both_sequences_and_undoes() {
    let t = app_with_demo().await;
    let a = guid_of(&t, "Postmortems without blame");
    let b = guid_of(&t, "Running a hybrid conference on a shoestring");
    let slot = |t: &common::TestApp, g: &str| {
        let view = t.state.read_model.get("demo").unwrap();
        let s = view.schedule.session(g).unwrap();
        (s.start, s.track.clone())
    };
    let (sa, sb) = (slot(&t, &a), slot(&t, &b));
    let speakers = {
        let view = t.state.read_model.get("demo").unwrap();
        let mut k: Vec<String> = [&a, &b]
            .iter()
            .flat_map(|g| view.schedule.session(g).unwrap().speakers.clone())
            .collect();
        k.sort();
        k
    };
    // An attendee following everything, both speakers, and a speaker of
    // neither talk.
    let view = t.state.read_model.get("demo").unwrap();
    let bystander = view
        .schedule
        .sessions
        .iter()
        .flat_map(|s| s.speakers.clone())
        .find(|k| !speakers.contains(k))
        .unwrap();
    let mut audiences = vec![Audience {
        all_tracks: true,
        ..Default::default()
    }];
    for k in speakers.iter().chain([&bystander]) {
        audiences.push(Audience {
            speaker: Some(k.clone()),
            ..Default::default()
        });
    }
    subscribe(&t, audiences).await;
    let v = version(&t);
    let res = t
        .json(
            "POST",
            CHANGES,
            json!({"version": v, "op": "swap", "a": a, "b": b, "reason": "speakers asked"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = body_json(res).await["shift_id"].as_i64().unwrap();
    assert_eq!((slot(&t, &a), slot(&t, &b)), (sb.clone(), sa.clone()));
    // Notified like a shift: the attendee of the change, each speaker of
    // their own moved talk, nobody else.
    let due = pushes(&t).await;
    assert_eq!(
        due.iter()
            .filter(|(k, _)| k == "schedule")
            .map(|(_, w)| w.clone())
            .collect::<Vec<_>>(),
        [None],
        "{due:?}"
    );
    let mut told: Vec<String> = due
        .iter()
        .filter(|(k, _)| k == "speaker_move")
        .filter_map(|(_, w)| w.clone())
        .collect();
    told.sort();
    assert_eq!(told, speakers, "{due:?}");
    let ics = body_string(t.get("/e/demo/schedule.ics").await).await;
    for title in [
        "Postmortems without blame",
        "Running a hybrid conference on a shoestring",
    ] {
        let event = ics
            .split("BEGIN:VEVENT")
            .find(|e| e.contains(&format!("SUMMARY:{title}")))
            .unwrap();
        assert!(event.contains("SEQUENCE:1"), "{event}");
    }
    let changes = body_string(t.get("/e/demo/changes").await).await;
    assert!(changes.contains("speakers asked"), "in the changelog");
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/shifts/{id}/revert"),
            json!({"reason": "no"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!((slot(&t, &a), slot(&t, &b)), (sa, sb));
    let ics = body_string(t.get("/e/demo/schedule.ics").await).await;
    let event = ics
        .split("BEGIN:VEVENT")
        .find(|e| e.contains("SUMMARY:Postmortems without blame"))
        .unwrap();
    assert!(
        event.contains("SEQUENCE:2"),
        "undo is one more change: {event}"
    );
}
