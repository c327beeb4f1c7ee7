//! The catch-up planner over HTTP: `POST /api/v1/events/{event}/catch-up`
//! lists the alternatives for a delay with their costs (the core's, as
//! they are), and `POST …/changes` with `op: "catch_up"` applies one like
//! a shift: versioned, atomic, undone by the shift revert.

mod common;

use app::domain::replan::{CatchUpGoal, CatchUpRequest, CatchUpRules, plan_catch_up};
use app::domain::shift::TrackSelection;
use app::domain::time::format_hhmm;
use axum::http::StatusCode;
use common::{app_with_demo, body_json};
use serde_json::{Value, json};

const CATCH_UP: &str = "/api/v1/events/demo/catch-up";
const CHANGES: &str = "/api/v1/events/demo/changes";

fn version(t: &common::TestApp) -> i64 {
    t.state.read_model.get("demo").unwrap().schedule.version
}

/// Each track's last session end and its break, as `HH:MM` and minutes.
fn day_shape(t: &common::TestApp) -> Vec<(String, String, String, i64)> {
    let view = t.state.read_model.get("demo").unwrap();
    let s = &view.schedule;
    s.tracks
        .iter()
        .map(|tr| {
            let of_track = || s.sessions.iter().filter(|x| x.track == tr.slug);
            let end = of_track()
                .map(|x| x.start + chrono::Duration::minutes(x.duration_min))
                .max()
                .unwrap();
            let brk = of_track().find(|x| x.title == "Break").unwrap();
            (
                tr.slug.clone(),
                format_hhmm(view.tz, end),
                format_hhmm(view.tz, brk.start),
                brk.duration_min,
            )
        })
        .collect()
}

fn delay() -> Value {
    json!({"tracks": "all", "from": "18:00", "delay_min": 15, "interrupted": "resume"})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[tokio::test]
async fn the_preview_lists_the_cores_alternatives_with_their_costs() {
    let t = app_with_demo().await;
    let v = version(&t);
    let res = t.json("POST", CATCH_UP, delay()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = body_json(res).await;
    assert_eq!(p["version"], v);
    assert_eq!(p["goal"], "end_on_time");

    let view = t.state.read_model.get("demo").unwrap();
    let core = plan_catch_up(
        &view.schedule,
        view.tz,
        &CatchUpRequest {
            tracks: TrackSelection::All,
            from: "2026-11-23T15:00:00Z".parse().unwrap(),
            delay_min: 15,
            interrupted: app::domain::replan::InterruptedMode::Resume,
            goal: CatchUpGoal::EndOnTime,
            rules: CatchUpRules::default(),
        },
    )
    .unwrap();
    assert_eq!(
        p["alternatives"],
        serde_json::to_value(&core.alternatives).unwrap(),
        "the API shows the core's alternatives and costs as they are"
    );
    let strategies: Vec<&str> = p["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies[0], "everything_later");
    assert!(strategies.contains(&"shorten_breaks"), "{strategies:?}");
    let breaks = p["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["strategy"] == "shorten_breaks")
        .unwrap();
    assert_eq!(breaks["reaches_goal"], true);
    for tr in breaks["cost"]["tracks"].as_array().unwrap() {
        assert!(tr["break_min_lost"].as_i64().unwrap() >= 15, "{tr}");
        assert_eq!(tr["old_end"], tr["new_end"], "{tr}");
    }
    assert_eq!(version(&t), v, "a preview changes nothing");
}

#[tokio::test]
async fn applying_shorter_breaks_keeps_the_end_of_the_day_and_reverts() {
    let t = app_with_demo().await;
    let before = day_shape(&t);
    assert!(
        before
            .iter()
            .all(|(_, _, brk, len)| brk == "19:20" && *len == 30)
    );
    let v = version(&t);
    let res = t
        .json(
            "POST",
            CHANGES,
            with(
                delay(),
                json!({"op": "catch_up", "strategy": "shorten_breaks", "version": v,
                       "reason": "stream down for 15 minutes"}),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let applied = body_json(res).await;
    assert_eq!(applied["version"], v + 1);
    let after = day_shape(&t);
    for ((track, end, brk, len), (_, old_end, _, _)) in after.iter().zip(&before) {
        assert_eq!(end, old_end, "{track}: the day still ends on time");
        assert!(
            brk.as_str() > "19:20" && (10..30).contains(len),
            "{track}: {brk} {len}"
        );
    }

    let id = applied["shift_id"].as_i64().unwrap();
    let res = t
        .json(
            "POST",
            &format!("/api/v1/events/demo/shifts/{id}/revert"),
            json!({"reason": "never mind"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(day_shape(&t), before, "undone like a shift");
}

#[tokio::test]
async fn refusals_name_the_field_and_change_nothing() {
    let t = app_with_demo().await;
    let v = version(&t);
    let before = day_shape(&t);
    let apply = |extra: Value| {
        with(
            with(
                delay(),
                json!({"op": "catch_up", "strategy": "shorten_breaks", "version": v, "reason": "r"}),
            ),
            extra,
        )
    };
    let cases = [
        (apply(json!({"version": v - 1})), "version"),
        (apply(json!({"reason": ""})), "reason"),
        (apply(json!({"delay_min": 0})), "delay_min"),
        (apply(json!({"tracks": ["nope"]})), "tracks"),
        (apply(json!({"strategy": "teleport"})), "strategy"),
        (apply(json!({"goal": "end_later"})), "end_later_min"),
        (apply(json!({"end_later_min": i64::MAX})), "end_later_min"),
        (apply(json!({"min_break_min": i64::MAX})), "min_break_min"),
        (apply(json!({"qa_cut_min": -1})), "qa_cut_min"),
    ];
    for (body, field) in cases {
        let res = t.json("POST", CHANGES, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e = body_json(res).await;
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
    let res = t
        .json("POST", CATCH_UP, with(delay(), json!({"from": "25:61"})))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(res).await["error"]["field"], "from");
    assert_eq!(version(&t), v);
    assert_eq!(day_shape(&t), before);
    assert!(t.state.store.list_shifts("demo").await.unwrap().is_empty());
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
    let v = version(&t);
    let call = |uri: &str, body: Value| {
        axum::http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {plain}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let res = t.send(call(CATCH_UP, delay())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = t
        .send(call(
            CHANGES,
            with(
                delay(),
                json!({"op": "catch_up", "strategy": "shorten_breaks", "version": v, "reason": "r"}),
            ),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(version(&t), v);
}

#[tokio::test]
async fn the_shift_page_offers_catch_up_without_js_and_its_form_applies_one() {
    let t = app_with_demo().await;
    let (cookie, csrf) = common::sign_in(&t).await;
    let v = version(&t);
    let before = day_shape(&t);
    let uri = "/admin/e/demo/shift?tracks=all&from=18%3A00&interrupted=resume&by=15";
    let html = common::page(&t, &cookie, uri).await;
    assert!(html.contains("data-testid=\"catch-up\""), "{html}");
    for s in ["everything_later", "shorten_breaks"] {
        assert!(
            html.contains(&format!("data-testid=\"catch-up-apply-{s}\"")),
            "{s}"
        );
    }
    assert!(html.contains("Catch up instead") && html.contains("min of breaks lost"));
    assert!(html.contains(&format!("name=\"version\" value=\"{v}\"")));
    // Asking for a later end keeps the delay and lists again.
    let later = common::page(&t, &cookie, &format!("{uri}&end_later_min=5")).await;
    assert!(
        later.contains("name=\"end_later_min\" value=\"5\""),
        "{later}"
    );
    assert_eq!(version(&t), v, "previews change nothing");

    let form = |csrf: &str| {
        format!(
            "csrf={csrf}&tracks=all&from=18%3A00&delay_min=15&date=&interrupted=resume&end_later_min=&strategy=shorten_breaks&version={v}&reason=stream+down"
        )
    };
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/catch-up", form("forged")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(version(&t), v);
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/catch-up", form(&csrf)).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(version(&t), v + 1);
    let after = day_shape(&t);
    for ((track, end, _, len), (_, old_end, _, _)) in after.iter().zip(&before) {
        assert_eq!(end, old_end, "{track}");
        assert!(*len < 30, "{track}: the break gave way");
    }
    // The same form again is stale: refused, naming the version.
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/catch-up", form(&csrf)).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(version(&t), v + 1);
    let back = common::page(&t, &cookie, "/admin/e/demo/shift?error=1").await;
    assert!(back.contains("version"), "{back}");
}

#[tokio::test]
async fn a_viewer_sees_the_alternatives_but_may_not_apply_one() {
    let t = app_with_demo().await;
    let _ = common::sign_in(&t).await; // the first user, an admin
    let hash = app::auth::hash_password("viewer-password-1").unwrap();
    t.state
        .store
        .add_user_as("viewer@example.org", &hash, false)
        .await
        .unwrap();
    t.state
        .store
        .grant_role(
            "viewer@example.org",
            "demo",
            app::domain::access::Role::Viewer,
        )
        .await
        .unwrap();
    let (cookie, _) = common::sign_in_as(&t, "viewer@example.org", "viewer-password-1").await;
    let html = common::page(
        &t,
        &cookie,
        "/admin/e/demo/shift?tracks=all&from=18%3A00&interrupted=resume&by=15",
    )
    .await;
    assert!(
        html.contains("data-testid=\"catch-up-shorten_breaks\""),
        "{html}"
    );
    assert!(!html.contains("data-testid=\"catch-up-apply-"));
    // Their CSRF token is valid: the role, not the token, refuses.
    let csrf = common::csrf_of(&common::page(&t, &cookie, "/admin").await);
    let v = version(&t);
    let body = format!(
        "csrf={csrf}&tracks=all&from=18%3A00&delay_min=15&interrupted=resume&strategy=shorten_breaks&version={v}&reason=r"
    );
    assert_eq!(
        common::post_form(&t, &cookie, "/admin/e/demo/catch-up", body).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(version(&t), v);
}

const RULES: &str = "/api/v1/events/demo/catch-up-rules";

async fn rules_now(t: &common::TestApp) -> Value {
    let res = t
        .send(
            axum::http::Request::get(RULES)
                .header("authorization", format!("Bearer {}", t.token))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    body_json(res).await
}

#[tokio::test]
async fn the_events_rules_bound_what_catching_up_may_take() {
    let t = app_with_demo().await;
    assert_eq!(
        rules_now(&t).await,
        json!({"min_break_min": 10, "qa_cut_min": 5})
    );

    // Breaks are 30 minutes: down to 25 leaves 5 of the 15 to absorb.
    let res = t
        .json(
            "PATCH",
            RULES,
            json!({"min_break_min": 25, "qa_cut_min": 0}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        body_json(res).await,
        json!({"min_break_min": 25, "qa_cut_min": 0})
    );
    // A field left out stays as it is.
    let res = t.json("PATCH", RULES, json!({"qa_cut_min": 0})).await;
    assert_eq!(body_json(res).await["min_break_min"], 25);

    let p = body_json(t.json("POST", CATCH_UP, delay()).await).await;
    let view = t.state.read_model.get("demo").unwrap();
    let core = plan_catch_up(
        &view.schedule,
        view.tz,
        &CatchUpRequest {
            tracks: TrackSelection::All,
            from: "2026-11-23T15:00:00Z".parse().unwrap(),
            delay_min: 15,
            interrupted: app::domain::replan::InterruptedMode::Resume,
            goal: CatchUpGoal::EndOnTime,
            rules: CatchUpRules {
                min_break_min: 25,
                qa_cut_min: 0,
            },
        },
    )
    .unwrap();
    assert_eq!(
        p["alternatives"],
        serde_json::to_value(&core.alternatives).unwrap()
    );
    let breaks = p["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["strategy"] == "shorten_breaks")
        .unwrap();
    assert_eq!(breaks["reaches_goal"], false, "{breaks}");
    // Track 1's one break (30 min) gives only its 5 minutes above 25.
    let track1 = breaks["cost"]["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tr| tr["track"] == "track-1")
        .unwrap();
    assert_eq!(track1["break_min_lost"], 5, "{track1}");
    // A request may still ask for other rules than the event's.
    let p = body_json(
        t.json(
            "POST",
            CATCH_UP,
            with(delay(), json!({"min_break_min": 10})),
        )
        .await,
    )
    .await;
    let breaks = p["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["strategy"] == "shorten_breaks")
        .unwrap();
    assert_eq!(breaks["reaches_goal"], true, "{breaks}");
}

#[tokio::test]
async fn bad_rules_are_refused_by_name_and_change_nothing() {
    let t = app_with_demo().await;
    for (body, field) in [
        (json!({"min_break_min": -1}), "min_break_min"),
        (json!({"qa_cut_min": 100000}), "qa_cut_min"),
    ] {
        let res = t.json("PATCH", RULES, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body_json(res).await["error"]["field"], field, "{body}");
    }
    let res = t.json("PATCH", RULES, json!({"min_break": 5})).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = t
        .json("PATCH", "/api/v1/events/nope/catch-up-rules", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        rules_now(&t).await,
        json!({"min_break_min": 10, "qa_cut_min": 5})
    );
}

#[tokio::test]
async fn the_shift_page_shows_the_rules_and_its_form_changes_them() {
    let t = app_with_demo().await;
    let (cookie, csrf) = common::sign_in(&t).await;
    let html = common::page(&t, &cookie, "/admin/e/demo/shift").await;
    assert!(
        html.contains("shorten breaks down to 10 min and cut up to 5 min"),
        "{html}"
    );
    let status = common::post_form(
        &t,
        &cookie,
        "/admin/e/demo/catch-up-rules",
        format!("csrf={csrf}&min_break_min=20&qa_cut_min=3"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let html = common::page(&t, &cookie, "/admin/e/demo/shift").await;
    assert!(
        html.contains("shorten breaks down to 20 min and cut up to 3 min"),
        "{html}"
    );
    // Without the form's token nothing changes.
    let status = common::post_form(
        &t,
        &cookie,
        "/admin/e/demo/catch-up-rules",
        "csrf=forged&min_break_min=0&qa_cut_min=0".into(),
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        rules_now(&t).await,
        json!({"min_break_min": 20, "qa_cut_min": 3})
    );
}
