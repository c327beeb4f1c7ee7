//! The status write API and the Statuspage-compatible read API over HTTP.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{app_with_demo, body_json, body_string};
use serde_json::json;

const INCIDENTS: &str = "/api/v1/events/demo/incidents";

#[tokio::test]
async fn opening_an_incident_on_all_streams_marks_them_and_shows_a_banner() {
    let t = app_with_demo().await;
    let res = t
        .json("POST", INCIDENTS, json!({"name": "Streams unavailable", "body": "The player shows nothing.", "components": ["all-streams"], "component_status": "major_outage", "impact": "critical"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let inc = body_json(res).await;
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["impact"], "critical");
    assert_eq!(inc["components"].as_array().unwrap().len(), 4);
    assert_eq!(
        inc["incident_updates"][0]["affected_components"][0]["new_status"],
        "major_outage"
    );

    let summary = body_json(t.get("/e/demo/api/v2/summary.json").await).await;
    assert_eq!(summary["status"]["indicator"], "critical");
    assert_eq!(summary["status"]["description"], "Major System Outage");
    assert!(
        summary["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "major_outage")
    );
    assert_eq!(summary["incidents"].as_array().unwrap().len(), 1);

    for page in ["/e/demo", "/e/demo/status"] {
        let html = body_string(t.get(page).await).await;
        assert!(html.contains("Streams unavailable"), "{page}");
        assert!(html.contains("Affects: all streams"), "{page}");
    }
}

#[tokio::test]
async fn the_lifecycle_runs_to_resolved_and_components_recover() {
    let t = app_with_demo().await;
    let inc = body_json(
        t.json(
            "POST",
            INCIDENTS,
            json!({"template": "stream_down", "lang": "ru", "components": ["track-2"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        inc["name"], "Трансляции недоступны",
        "the template fills the title in the chosen language"
    );
    let id = inc["id"].as_str().unwrap().to_owned();
    let url = format!("{INCIDENTS}/{id}/updates");
    let res = t
        .json(
            "POST",
            &url,
            json!({"status": "identified", "body": "A CDN node failed."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = t
        .json(
            "POST",
            &url,
            json!({"status": "investigating", "body": "back?"}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "going back is refused"
    );
    let err = body_json(res).await;
    assert_eq!(err["error"]["field"], "status");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("identified")
    );
    let res = t
        .json(
            "POST",
            &url,
            json!({"status": "resolved", "template": "resolved"}),
        )
        .await;
    let done = body_json(res).await;
    assert_eq!(done["status"], "resolved");
    assert!(done["resolved_at"].is_string());
    let comps = body_json(t.get("/e/demo/api/v2/components.json").await).await;
    assert!(
        comps["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "operational")
    );
    let unresolved = body_json(t.get("/e/demo/api/v2/incidents/unresolved.json").await).await;
    assert_eq!(unresolved["incidents"].as_array().unwrap().len(), 0);
    let all = body_json(t.get("/e/demo/api/v2/incidents.json").await).await;
    assert_eq!(
        all["incidents"][0]["incident_updates"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn bad_writes_are_refused_with_the_field_named_and_change_nothing() {
    let t = app_with_demo().await;
    let before = body_string(t.get("/e/demo/api/v2/summary.json").await).await;
    let cases = [
        (
            json!({"name": "x", "body": "y", "components": ["track-9"]}),
            "components[0]",
        ),
        (
            json!({"name": "x", "body": "y", "components": [99999]}),
            "components[0]",
        ),
        (
            json!({"name": "x", "body": "y", "status": "exploded"}),
            "status",
        ),
        (
            json!({"name": "x", "body": "y", "impact": "apocalyptic"}),
            "impact",
        ),
        (
            json!({"name": "x", "body": "y", "component_status": "sad"}),
            "component_status",
        ),
        (json!({"name": 5, "body": "y"}), "name"),
        (json!({"body": "y"}), "name"),
        (json!({"name": "x"}), "body"),
        (json!({"name": "x", "body": "y", "colour": "red"}), "colour"),
        (
            json!({"name": "x", "body": "y", "template": "meteor"}),
            "template",
        ),
        (json!({"name": "x".repeat(201), "body": "y"}), "name"),
    ];
    for (body, field) in cases {
        let res = t.json("POST", INCIDENTS, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err = body_json(res).await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    let empty = t
        .send(
            Request::post(INCIDENTS)
                .header("authorization", format!("Bearer {}", t.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(empty).await["error"]["field"], "body");
    let huge = json!({"name": "x", "body": "y".repeat(70_000)});
    let res = t.json("POST", INCIDENTS, huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body_json(res).await["error"]["code"], "too_large");
    let res = t
        .json(
            "PATCH",
            "/api/v1/events/demo/components/99999",
            json!({"status": "major_outage"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = t
        .json(
            "POST",
            "/api/v1/events/nope/incidents",
            json!({"name": "x", "body": "y"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let anon = t
        .send(
            Request::post(INCIDENTS)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"name":"x","body":"y"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);

    let after = body_string(t.get("/e/demo/api/v2/summary.json").await).await;
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["page"]["updated_at"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        strip(&before),
        strip(&after),
        "refused writes must not change anything"
    );
}

#[tokio::test]
async fn markdown_in_updates_is_sanitised_everywhere_it_is_shown() {
    let t = app_with_demo().await;
    let body = "**Down** <script>alert('x')</script><img src=x onerror=alert(1)>";
    let res = t
        .json("POST", INCIDENTS, json!({"name": "XSS test", "body": body}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for page in ["/e/demo", "/e/demo/status", "/e/demo/incidents.atom"] {
        let html = body_string(t.get(page).await).await;
        assert!(html.contains("Down"), "{page}");
        assert!(!html.contains("<script>alert"), "{page}");
        assert!(!html.contains("onerror"), "{page}");
    }
}

#[tokio::test]
async fn patching_a_component_records_history_for_the_uptime_bars() {
    let t = app_with_demo().await;
    let comps = body_json(t.get("/e/demo/api/v2/components.json").await).await;
    let id = comps["components"][1]["id"].as_str().unwrap().to_owned();
    let res = t
        .json(
            "PATCH",
            &format!("/api/v1/events/demo/components/{id}"),
            json!({"status": "partial_outage"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let summary = body_json(t.get("/api/v2/summary.json").await).await;
    assert_eq!(summary["status"]["indicator"], "major");
    assert_eq!(summary["components"][1]["status"], "partial_outage");
    let html = body_string(t.get("/e/demo/status").await).await;
    assert!(
        html.contains("lvl-partial_outage"),
        "today's bar shows the outage"
    );
    let res = t
        .json(
            "PATCH",
            &format!("/api/v1/events/demo/components/{id}"),
            json!({"status": "on_fire"}),
        )
        .await;
    assert_eq!(body_json(res).await["error"]["field"], "status");
}

#[tokio::test]
async fn v2_documents_have_statuspage_fields_and_vocabularies() {
    let t = app_with_demo().await;
    t.json("POST", INCIDENTS, json!({"name": "Chat slow", "body": "Lag.", "components": ["track-1"], "component_status": "degraded_performance", "impact": "minor"})).await;
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let res = t
        .json("POST", INCIDENTS, json!({"name": "Player upgrade", "body": "Short break.", "components": ["track-3"], "scheduled_for": later, "scheduled_until": later + chrono::Duration::hours(1)}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let components = [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ];
    let incident_statuses = [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
        "postmortem",
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    ];
    for doc in [
        "summary",
        "status",
        "components",
        "incidents",
        "incidents/unresolved",
        "scheduled-maintenances",
        "scheduled-maintenances/upcoming",
        "scheduled-maintenances/active",
    ] {
        for prefix in ["/e/demo/api/v2", "/api/v2"] {
            let res = t.get(&format!("{prefix}/{doc}.json")).await;
            assert_eq!(res.status(), StatusCode::OK, "{prefix}/{doc}");
            let v = body_json(res).await;
            for k in ["id", "name", "url", "time_zone", "updated_at"] {
                assert!(v["page"][k].is_string(), "{doc}: page.{k}");
            }
            if let Some(cs) = v["components"].as_array() {
                for c in cs {
                    for k in [
                        "id",
                        "name",
                        "status",
                        "created_at",
                        "updated_at",
                        "position",
                        "showcase",
                        "group",
                        "only_show_if_degraded",
                    ] {
                        assert!(!c[k].is_null(), "{doc}: component.{k}");
                    }
                    assert!(components.contains(&c["status"].as_str().unwrap()));
                }
            }
            for list in ["incidents", "scheduled_maintenances"] {
                for i in v[list].as_array().into_iter().flatten() {
                    for k in [
                        "id",
                        "name",
                        "status",
                        "created_at",
                        "updated_at",
                        "impact",
                        "shortlink",
                        "incident_updates",
                        "components",
                        "page_id",
                    ] {
                        assert!(!i[k].is_null(), "{doc}: {list}.{k}");
                    }
                    assert!(incident_statuses.contains(&i["status"].as_str().unwrap()));
                    assert!(
                        ["none", "minor", "major", "critical", "maintenance"]
                            .contains(&i["impact"].as_str().unwrap())
                    );
                    for u in i["incident_updates"].as_array().unwrap() {
                        for k in [
                            "id",
                            "status",
                            "body",
                            "incident_id",
                            "created_at",
                            "display_at",
                            "affected_components",
                        ] {
                            assert!(!u[k].is_null(), "{doc}: update.{k}");
                        }
                    }
                }
            }
        }
    }
    let upcoming = body_json(
        t.get("/e/demo/api/v2/scheduled-maintenances/upcoming.json")
            .await,
    )
    .await;
    let m = &upcoming["scheduled_maintenances"][0];
    assert_eq!(m["status"], "scheduled");
    assert_eq!(m["impact"], "maintenance");
    assert!(m["scheduled_for"].is_string() && m["scheduled_until"].is_string());
    assert_eq!(
        body_json(t.get("/e/demo/api/v2/status.json").await).await["status"]["indicator"],
        "minor"
    );
    assert_eq!(
        t.get("/e/demo/api/v2/nothing.json").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = t.get("/e/demo/api/v2/summary.json").await;
    let etag = res.headers()[header::ETAG].clone();
    let req = Request::get("/e/demo/api/v2/summary.json")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(req).await.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_atom_feed_lists_incidents() {
    let t = app_with_demo().await;
    t.json(
        "POST",
        INCIDENTS,
        json!({"name": "Streams unavailable", "body": "Looking."}),
    )
    .await;
    let res = t.get("/e/demo/incidents.atom").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = body_string(res).await;
    let feed: atom_syndication::Feed = xml.parse().expect("valid Atom");
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(
        feed.entries[0].title.value,
        "Streams unavailable (investigating)"
    );
}

#[tokio::test]
async fn maintenance_is_announced_a_day_ahead_but_not_a_week_ahead() {
    let t = app_with_demo().await;
    let at = |h: i64| chrono::Utc::now() + chrono::Duration::hours(h);
    for (name, start) in [("Soon window", 3), ("Far window", 24 * 7)] {
        let res = t
            .json("POST", INCIDENTS, json!({"name": name, "body": "Player upgrade.", "components": ["track-1"], "scheduled_for": at(start), "scheduled_until": at(start + 1)}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let html = body_string(t.get("/e/demo").await).await;
    assert!(html.contains("Soon window"), "notice beforehand");
    assert!(!html.contains("Far window"));
    let status = body_string(t.get("/e/demo/status").await).await;
    assert!(
        status.contains("Far window"),
        "the status page lists all upcoming maintenance"
    );
}

/// The panel state a screen page renders (`data-state` of its panel).
fn panel_state(html: &str) -> &str {
    let at = html
        .find("data-testid=\"screen-panel\"")
        .expect("a screen panel");
    let before = &html[..at];
    let start = before.rfind("data-state=\"").expect("a panel state") + "data-state=\"".len();
    &html[start..start + html[start..].find('"').unwrap()]
}

#[tokio::test]
async fn an_incident_on_the_website_and_track_2_reaches_track_2_on_every_channel() {
    use app::domain::push::Audience;
    use app::store::NewSubscription;

    let t = app_with_demo().await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/components",
            json!({"name": "Website"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // One attendee follows track 1, another track 2.
    let store = &t.state.store;
    let key = store.add_vapid_key("priv", "pub", false).await.unwrap();
    let mut subscriber = std::collections::HashMap::new();
    for track in ["track-1", "track-2"] {
        let id = store
            .upsert_subscription(&NewSubscription {
                event_slug: "demo".into(),
                endpoint: format!("https://push.example/{track}"),
                p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
                vapid_key_id: key.id,
                audience: Audience {
                    tracks: [track.to_owned()].into(),
                    ..Default::default()
                },
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
        subscriber.insert(id, track);
    }

    let res = t
        .json(
            "POST",
            INCIDENTS,
            json!({"name": "Player and site down", "body": "Looking into it.", "components": ["Website", "track-2"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // The banner names track 2 only.
    let html = body_string(t.get("/e/demo").await).await;
    assert!(html.contains("Affects: Track 2<"), "{html}");
    // Track 2's screen is delayed, track 1's is not.
    let screen = |track: &'static str| {
        let t = &t;
        async move { body_string(t.get(&format!("/e/demo/screen/{track}")).await).await }
    };
    assert_eq!(panel_state(&screen("track-2").await), "delayed");
    assert_ne!(panel_state(&screen("track-1").await), "delayed");
    let data = body_json(t.get("/e/demo/screen.json").await).await;
    assert_eq!(
        data["incidents"][0]["reach"],
        json!({"tracks": ["track-2"]})
    );
    // The push goes to track 2's follower only.
    while store.fan_out_step(100, chrono::Utc::now()).await.unwrap() > 0 {}
    let due = store
        .claim_deliveries(10, chrono::Utc::now(), 60, "test")
        .await
        .unwrap();
    let reached: Vec<&str> = due.iter().map(|d| subscriber[&d.subscription_id]).collect();
    assert_eq!(reached, ["track-2"]);
}

/// A maintenance on track 1 `hours` from now; its id.
async fn schedule_maintenance(t: &common::TestApp, name: &str, hours: i64) -> String {
    let at = |h: i64| chrono::Utc::now() + chrono::Duration::hours(h);
    let res = t
        .json("POST", INCIDENTS, json!({"name": name, "body": "Player upgrade.", "components": ["track-1"], "scheduled_for": at(hours), "scheduled_until": at(hours + 1)}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    body_json(res).await["id"].as_str().unwrap().to_owned()
}

/// The status page's card of the incident called `name`, up to its end.
fn card<'a>(page: &'a str, name: &str) -> &'a str {
    let from = page
        .find(name)
        .unwrap_or_else(|| panic!("{name} not on the page"));
    let rest = &page[from..];
    &rest[..rest.find("</article>").unwrap_or(rest.len())]
}

async fn cancel(
    t: &common::TestApp,
    id: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let res = t
        .json("POST", &format!("{INCIDENTS}/{id}/cancel"), body)
        .await;
    (res.status(), body_json(res).await)
}

#[tokio::test]
async fn a_cancelled_maintenance_leaves_every_upcoming_list_and_says_cancelled() {
    let t = app_with_demo().await;
    let id = schedule_maintenance(&t, "Soon window", 3).await;
    let upcoming = "/e/demo/api/v2/scheduled-maintenances/upcoming.json";
    let listed = |doc: &serde_json::Value| {
        doc["scheduled_maintenances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == id.as_str())
    };
    assert!(listed(&body_json(t.get(upcoming).await).await));
    assert!(
        body_string(t.get("/e/demo").await)
            .await
            .contains("Soon window")
    );

    let (status, m) = cancel(&t, &id, json!({"body": "Postponed to next week."})).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    // Statuspage's vocabulary has no "cancelled": it is completed there.
    assert_eq!(m["status"], "completed", "{m}");
    assert_eq!(m["incident_updates"][0]["body"], "Postponed to next week.");
    assert!(!listed(&body_json(t.get(upcoming).await).await));
    let summary = body_json(t.get("/e/demo/api/v2/summary.json").await).await;
    assert!(!listed(&summary), "{summary}");
    assert!(
        !body_string(t.get("/e/demo").await)
            .await
            .contains("Soon window"),
        "no banner"
    );
    let page = body_string(t.get("/e/demo/status?lang=fr").await).await;
    let past = &page[page.find("id=\"h-past\"").expect("a history")..];
    let c = card(past, "Soon window");
    assert!(c.contains("Annulée"), "{c}");
    assert!(!c.contains("Terminée"), "{c}");

    // Refusals name why and change nothing.
    let (status, e) = cancel(&t, &id, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["field"], "status", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cancelled already"),
        "{e}"
    );
    let res = t
        .json("POST", INCIDENTS, json!({"name": "Wi-Fi", "body": "Down."}))
        .await;
    let incident = body_json(res).await["id"].as_str().unwrap().to_owned();
    let (status, e) = cancel(&t, &incident, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "id", "{e}");
    let (status, _) = cancel(&t, "999999", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = schedule_maintenance(&t, "Later window", 5).await;
    let (status, e) = cancel(&t, &other, json!({"reason": "typo"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "reason", "{e}");
    let doc = body_json(t.get(upcoming).await).await;
    let still: Vec<&serde_json::Value> = doc["scheduled_maintenances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(still, [other.as_str()], "the refused one is still upcoming");
    // An empty body is fine: the default text, in English.
    let res = t
        .send(
            Request::post(format!("{INCIDENTS}/{other}/cancel"))
                .header("authorization", format!("Bearer {}", t.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let m = body_json(res).await;
    assert_eq!(
        m["incident_updates"][0]["body"],
        "This scheduled maintenance has been cancelled."
    );
}

#[tokio::test]
async fn the_dashboard_cancels_with_its_csrf_token_and_a_viewer_cannot() {
    let t = app_with_demo().await;
    let id = schedule_maintenance(&t, "Night cutover", 3).await;
    let (cookie, csrf) = common::sign_in(&t).await;
    let dashboard = common::page(&t, &cookie, "/admin/e/demo").await;
    let action = format!("/admin/e/demo/incidents/{id}/cancel");
    assert!(
        dashboard.contains(&action),
        "a cancel form for the scheduled window"
    );
    let form = |csrf: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", csrf)
            .append_pair("body", "Nicht nötig.")
            .append_pair("lang", "fr")
            .finish()
    };
    // Without the session's token: 403, nothing changes.
    let status = common::post_form(&t, &cookie, &action, form("forged")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A viewer may read the dashboard but not cancel.
    let hash = app::auth::hash_password("viewer-password-1").unwrap();
    t.state
        .store
        .add_user("v@example.org", &hash)
        .await
        .unwrap();
    t.state
        .store
        .grant_role("v@example.org", "demo", app::domain::access::Role::Viewer)
        .await
        .unwrap();
    let (v_cookie, v_csrf) = common::sign_in_as(&t, "v@example.org", "viewer-password-1").await;
    let v_page = common::page(&t, &v_cookie, "/admin/e/demo").await;
    assert!(!v_page.contains(&action), "no cancel form for a viewer");
    let status = common::post_form(&t, &v_cookie, &action, form(&v_csrf)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let upcoming = "/e/demo/api/v2/scheduled-maintenances/upcoming.json";
    let doc = body_json(t.get(upcoming).await).await;
    assert_eq!(doc["scheduled_maintenances"].as_array().unwrap().len(), 1);

    let status = common::post_form(&t, &cookie, &action, form(&csrf)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let doc = body_json(t.get(upcoming).await).await;
    assert_eq!(doc["scheduled_maintenances"], json!([]));
    let page = body_string(t.get("/e/demo/status").await).await;
    let c = card(&page, "Night cutover");
    assert!(c.contains("Cancelled"), "{c}");
    assert!(c.contains("Nicht nötig."), "{c}");
    // Gone from the dashboard's open list with its form.
    let dashboard = common::page(&t, &cookie, "/admin/e/demo").await;
    assert!(!dashboard.contains(&action));
}
