//! Propose, then publish, over HTTP: a proposal changes nothing attendees
//! see (pages, calendar, changelog), asks the speakers it moves on their
//! `/s/` page, fills the organiser's board, and publishing carries the
//! answers over; stale, twice, discarded and unknown are refused naming
//! the field, changing nothing.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{app_with_demo, body_json, body_string, page, post_form, sign_in};
use serde_json::{Value, json};

fn talk_with_speaker(t: &common::TestApp, track: &str) -> (String, String) {
    let view = t.state.read_model.get("demo").unwrap();
    let s = view
        .schedule
        .sessions
        .iter()
        .find(|s| s.track == track && !s.speakers.is_empty() && !s.cancelled)
        .unwrap();
    (s.guid.clone(), s.speakers[0].clone())
}

fn version(t: &common::TestApp) -> i64 {
    t.state.read_model.get("demo").unwrap().schedule.version
}

async fn link(t: &common::TestApp, key: &str) -> String {
    let (token, hash) = app::auth::new_token("sp");
    t.state
        .store
        .issue_speaker_link("demo", key, &hash)
        .await
        .unwrap();
    token
}

async fn answer(t: &common::TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let res = t
        .send(
            Request::post(format!("/s/{token}/answer"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    let status = res.status();
    (status, body_json(res).await)
}

/// What attendees can see of the schedule: its JSON, calendar and
/// changelog feed (pages render "now", so they differ by the second).
async fn public(t: &common::TestApp) -> (String, String, String) {
    (
        body_string(t.get("/e/demo/schedule.json").await).await,
        body_string(t.get("/e/demo/schedule.ics").await).await,
        body_string(t.get("/e/demo/changes.atom").await).await,
    )
}

#[tokio::test]
async fn a_proposal_asks_the_speaker_and_publishing_carries_the_answer() {
    let t = app_with_demo().await;
    let (cookie, _) = sign_in(&t).await;
    let (guid, key) = talk_with_speaker(&t, "track-2");
    let token = link(&t, &key).await;
    let v = version(&t);
    let before = public(&t).await;

    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/changes",
            json!({"version": v, "op": "move", "guid": guid, "start": "21:00", "reason": "speaker late", "propose": true}),
        )
        .await;
    let status = res.status();
    let out = body_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["proposal"]["proposal_id"].as_i64().unwrap();
    assert_eq!(out["proposal"]["state"], "proposed");
    assert_eq!(out["proposal"]["version"], v);
    assert_eq!(out["tally"]["waiting"], 1);
    assert_eq!(version(&t), v, "no new version");
    assert_eq!(public(&t).await, before, "attendees see nothing");

    // The speaker's page asks about the proposed time.
    let mine = body_string(t.get(&format!("/s/{token}")).await).await;
    assert!(mine.contains(&format!("data-proposal=\"{id}\"")), "{mine}");
    assert!(mine.contains("21:00"));
    // They decline, saying when they can.
    let (status, out) = answer(
        &t,
        &token,
        json!({"proposal_id": id, "answer": "decline", "available_from": "25:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(out["error"]["field"], "available_from");
    let (status, out) = answer(
        &t,
        &token,
        json!({"proposal_id": id, "answer": "decline", "reason": "train", "available_from": "21:30"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // The board shows the decline, its reason, and a move to 21:30.
    let board = page(&t, &cookie, &format!("/admin/e/demo/proposals/{id}")).await;
    assert!(
        board.contains(&format!("data-speaker=\"{key}\" data-answer=\"declined\"")),
        "{board}"
    );
    assert!(board.contains("train") && board.contains("can from 21:30"));
    assert!(board.contains("start=21%3A30"), "the move is prefilled");
    assert!(board.contains(&format!("amends={id}")), "as a step of it");
    let listed = body_json(
        t.json("GET", "/api/v1/events/demo/proposals", json!(null))
            .await,
    )
    .await;
    assert_eq!(listed["proposals"][0]["tally"]["declined"], 1);
    assert_eq!(
        listed["proposals"][0]["proposal"]["asks"][0]["answer"]["reason"],
        "train"
    );

    // Publishing needs the version it was made on.
    let publish = format!("/api/v1/events/demo/proposals/{id}/publish");
    let res = t.json("POST", &publish, json!({})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(res).await["error"]["field"], "version");
    let res = t.json("POST", &publish, json!({"version": v - 1})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(body_json(res).await["error"]["field"], "version");
    let res = t.json("POST", &publish, json!({"version": v})).await;
    let status = res.status();
    let out = body_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["version"], v + 1);
    let shift_id = out["shift_id"].as_i64().unwrap();
    assert_ne!(public(&t).await.1, before.1, "the calendar changed");
    // The change's board has the answer already.
    let html = page(&t, &cookie, &format!("/admin/e/demo/shifts/{shift_id}")).await;
    assert!(html.contains(&format!("data-speaker=\"{key}\" data-answer=\"declined\"")));
    assert!(
        html.contains("train") && html.contains("can from 21:30"),
        "{html}"
    );
    assert!(html.contains("data-testid=\"replan-move\"") && html.contains("start=21%3A30"));

    // Everyone it asked has answered: nobody to remind.
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/shifts/{shift_id}/remind"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["reminded"], json!([]));
    let res = t
        .json("POST", "/api/v1/events/demo/shifts/999/remind", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = t.json("POST", &publish, json!({"version": v})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(body_json(res).await["error"]["field"], "proposal_id");
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/proposals/{id}/discard"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(version(&t), v + 1);
}

#[tokio::test]
async fn stale_unknown_and_discarded_proposals_are_refused() {
    let t = app_with_demo().await;
    let (guid, _) = talk_with_speaker(&t, "track-2");
    let (other, _) = talk_with_speaker(&t, "track-3");
    let v = version(&t);
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": ["track-2"], "from": "17:00", "by_minutes": 20, "date": "2026-11-23", "reason": "player down", "propose": true}),
        )
        .await;
    let status = res.status();
    let out = body_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["proposal"]["proposal_id"].as_i64().unwrap();
    assert!(
        out["proposal"]["change"]["edits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["guid"] == guid.as_str())
    );
    // Someone applies another change meanwhile.
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/changes",
            json!({"version": v, "op": "cancel", "guid": other, "reason": "ill"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let publish = format!("/api/v1/events/demo/proposals/{id}/publish");
    let res = t.json("POST", &publish, json!({"version": v})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let e = body_json(res).await;
    assert_eq!(e["error"]["field"], "version", "{e}");
    assert_eq!(version(&t), v + 1, "nothing published");
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/proposals/999/publish",
            json!({"version": v}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/proposals/{id}/remind"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/proposals/{id}/discard"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["proposal"]["state"], "discarded");
    let res = t.json("POST", &publish, json!({"version": v + 1})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(body_json(res).await["error"]["field"], "proposal_id");
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/changes",
            json!({"version": v + 1, "op": "cancel", "guid": "no-such-talk", "reason": "r", "propose": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(res).await["error"]["field"], "guid");
    assert_eq!(version(&t), v + 1);
}

#[tokio::test]
async fn the_organiser_proposes_amends_and_publishes_from_the_pages() {
    let t = app_with_demo().await;
    let (cookie, csrf) = sign_in(&t).await;
    let v = version(&t);
    let form = |pairs: &[(&str, &str)]| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("csrf", &csrf);
        for (k, val) in pairs {
            q.append_pair(k, val);
        }
        q.finish()
    };
    let res = t
        .send(
            Request::post("/admin/e/demo/shift")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form(&[
                    ("tracks", "all"),
                    ("from", "17:00"),
                    ("to", "18:00"),
                    ("date", "2026-11-23"),
                    ("reason", "player down"),
                    ("intent", "propose"),
                ])))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/admin/e/demo/proposals/"), "{to}");
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(version(&t), v);
    let board = page(&t, &cookie, &to).await;
    assert!(board.contains("data-testid=\"publish\""));
    assert!(board.contains(&format!("/admin/e/demo/shift?amends={id}")));
    // The shift page lists it as open.
    assert!(
        page(&t, &cookie, "/admin/e/demo/shift")
            .await
            .contains("data-testid=\"open-proposals\"")
    );
    // A second decision (18:15) is a step of the same proposal.
    let amend = page(
        &t,
        &cookie,
        &format!("/admin/e/demo/shift?amends={id}&tracks=all&from=17:00&to=18:15&date=2026-11-23"),
    )
    .await;
    assert!(amend.contains("data-testid=\"amending\""), "{amend}");
    assert!(!amend.contains("data-testid=\"apply\""), "no direct apply");
    let step = format!("{id}");
    let status = post_form(
        &t,
        &cookie,
        "/admin/e/demo/shift",
        form(&[
            ("tracks", "all"),
            ("from", "17:00"),
            ("to", "18:15"),
            ("date", "2026-11-23"),
            ("reason", "later still"),
            ("intent", "propose"),
            ("amends", &step),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let listed = t.state.store.list_proposals("demo").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].change.steps.len(), 2);
    assert_eq!(version(&t), v);

    // Forged CSRF: refused; then publish from the board.
    let publish = format!("/admin/e/demo/proposals/{id}/publish");
    assert_eq!(
        post_form(&t, &cookie, &publish, format!("csrf=forged&version={v}")).await,
        StatusCode::FORBIDDEN
    );
    let res = t
        .send(
            Request::post(&publish)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form(&[("version", &v.to_string())])))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/admin/e/demo/shifts/"), "{to}");
    assert_eq!(version(&t), v + 1, "two steps, one version");
    let changes = body_string(t.get("/e/demo/changes").await).await;
    assert_eq!(
        changes.matches("data-version=").count(),
        2,
        "import + one change"
    );
}
