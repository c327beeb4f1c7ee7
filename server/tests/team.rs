//! A team with roles, over HTTP: owners invite by link (used once, until it
//! expires; a forged, used or expired link changes nothing), change roles
//! and remove members; every organiser write lands in the audit log with
//! who, what and from where, and never a secret; postmortems reach the
//! status page and the Statuspage JSON; event templates fill incidents;
//! the post-event report carries figures from what the test did.

mod common;

use app::domain::access::Role;
use app::store::NewApiToken;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::{TestApp, app_with_demo, body_json, body_string};
use serde_json::{Value, json};

const PASSWORD: &str = "organiser-password-1";

/// The demo conference with an admin signed in (the first account).
async fn with_admin() -> (TestApp, String, String) {
    let t = app_with_demo().await;
    let (cookie, csrf) = common::sign_in(&t).await;
    (t, cookie, csrf)
}

async fn organiser(t: &TestApp, email: &str, role: Role) -> (String, String) {
    let hash = app::auth::hash_password(PASSWORD).unwrap();
    t.state.store.add_user(email, &hash).await.unwrap();
    t.state.store.grant_role(email, "demo", role).await.unwrap();
    common::sign_in_as(t, email, PASSWORD).await
}

async fn get(t: &TestApp, cookie: Option<&str>, uri: &str) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = t.send(req.body(Body::empty()).unwrap()).await;
    (res.status(), body_string(res).await)
}

/// A form post; the status and where it redirects.
async fn form(t: &TestApp, cookie: Option<&str>, uri: &str, body: &str) -> (StatusCode, String) {
    let mut req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://marquee.test")
        .header(header::USER_AGENT, "team-test/1.0");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = t.send(req.body(Body::from(body.to_owned())).unwrap()).await;
    let location = res
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status(), location)
}

fn enc(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Makes an invitation from the team page; the link's token.
async fn invite(t: &TestApp, cookie: &str, csrf: &str, role: &str) -> String {
    let (status, to) = form(
        t,
        Some(cookie),
        "/admin/e/demo/team/invitations",
        &enc(&[
            ("csrf", csrf),
            ("role", role),
            ("note", "for ada"),
            ("days", "3"),
        ]),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/e/demo/team")
    );
    let (_, html) = get(t, Some(cookie), "/admin/e/demo/team").await;
    let url = html
        .split("http://marquee.test/invite/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the new link on the team page")
        .to_owned();
    // Shown once: the next view no longer has it.
    let (_, again) = get(t, Some(cookie), "/admin/e/demo/team").await;
    assert!(!again.contains(&url));
    url
}

/// The id of the incident an API write answered with (Statuspage shape:
/// a string).
async fn incident_id(res: axum::http::Response<Body>) -> i64 {
    let doc = body_json(res).await;
    doc["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{doc}"))
}

async fn users(t: &TestApp) -> Vec<String> {
    let all = t.state.store.list_users().await.unwrap();
    all.into_iter()
        .map(|u| format!("{} {:?}", u.email, u.memberships))
        .collect()
}

#[tokio::test]
async fn a_new_person_joins_by_link_with_the_role_it_gives() {
    let (t, cookie, csrf) = with_admin().await;
    let token = invite(&t, &cookie, &csrf, "communicator").await;
    let stored = t.state.store.list_invitations("demo").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].role, Role::Communicator);
    assert_eq!(stored[0].note, "for ada");
    // Only the hash is kept.
    assert!(
        t.state
            .store
            .find_invitation(&token)
            .await
            .unwrap()
            .is_none()
    );

    let (status, html) = get(&t, None, &format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"invite-offer\""), "{html}");

    // Too short a password: refused naming it, nothing changes.
    let before = users(&t).await;
    let (status, _) = form(
        &t,
        None,
        &format!("/invite/{token}"),
        &enc(&[("email", "ada@example.org"), ("password", "short")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(users(&t).await, before);

    let (status, to) = form(
        &t,
        None,
        &format!("/invite/{token}"),
        &enc(&[("email", "Ada@Example.org"), ("password", PASSWORD)]),
    )
    .await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/login"));
    let (ada, ada_csrf) = common::sign_in_as(&t, "ada@example.org", PASSWORD).await;
    let (status, _) = get(&t, Some(&ada), "/admin/e/demo").await;
    assert_eq!(status, StatusCode::OK);
    // A communicator: incidents yes, shifts no (403), team no (403).
    let (status, _) = form(
        &t,
        Some(&ada),
        "/admin/e/demo/shift",
        &enc(&[
            ("csrf", &ada_csrf),
            ("tracks", "track-2"),
            ("from", "17:00"),
            ("by", "20"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = form(
        &t,
        Some(&ada),
        "/admin/e/demo/team/invitations",
        &enc(&[("csrf", &ada_csrf), ("role", "owner")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.state.store.list_invitations("demo").await.unwrap().len(),
        1
    );
    let members = t.state.store.list_members("demo").await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].email.as_str(), members[0].role),
        ("ada@example.org", Role::Communicator)
    );
}

#[tokio::test]
async fn used_expired_and_forged_links_are_refused_and_change_nothing() {
    let (t, cookie, csrf) = with_admin().await;
    let token = invite(&t, &cookie, &csrf, "viewer").await;
    let join = |email: &'static str| enc(&[("email", email), ("password", PASSWORD)]);
    let (status, _) = form(
        &t,
        None,
        &format!("/invite/{token}"),
        &join("one@example.org"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let before = users(&t).await;

    // Used.
    let (status, _) = form(
        &t,
        None,
        &format!("/invite/{token}"),
        &join("two@example.org"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, html) = get(&t, None, &format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("invite-refused"), "{html}");

    // Forged.
    let forged = format!("inv_{}", "0".repeat(64));
    let (status, _) = form(
        &t,
        None,
        &format!("/invite/{forged}"),
        &join("three@example.org"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&t, None, &format!("/invite/{forged}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Expired.
    let (plain, hash) = app::auth::new_token("inv");
    let long_ago = t.state.clock.now() - Duration::days(10);
    let stale = app::store::NewInvitation {
        role: Role::Owner,
        token_hash: &hash,
        note: "",
        created_by: "test",
        created_at: long_ago,
        expires_at: long_ago + Duration::days(7),
    };
    t.state
        .store
        .create_invitation("demo", &stale)
        .await
        .unwrap();
    let (status, _) = form(
        &t,
        None,
        &format!("/invite/{plain}"),
        &join("four@example.org"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A cross-site form (no Origin of ours) is refused before anything.
    let res = t
        .send(
            Request::post(format!("/invite/{plain}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(join("five@example.org")))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(users(&t).await, before);
}

#[tokio::test]
async fn a_signed_in_organiser_joins_with_their_account_and_owners_manage_roles() {
    let (t, cookie, csrf) = with_admin().await;
    let (bob, bob_csrf) = organiser(&t, "bob@example.org", Role::Viewer).await;
    let token = invite(&t, &cookie, &csrf, "scheduler").await;
    let (status, to) = form(
        &t,
        Some(&bob),
        &format!("/invite/{token}"),
        &enc(&[("csrf", &bob_csrf)]),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/e/demo")
    );
    let bob_id = |m: &[app::store::Member]| {
        m.iter()
            .find(|m| m.email == "bob@example.org")
            .map(|m| (m.user_id, m.role))
    };
    let members = t.state.store.list_members("demo").await.unwrap();
    let (id, role) = bob_id(&members).unwrap();
    assert_eq!(role, Role::Scheduler);

    let (status, _) = form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/team/members/{id}"),
        &enc(&[("csrf", &csrf), ("role", "owner")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        bob_id(&t.state.store.list_members("demo").await.unwrap())
            .unwrap()
            .1,
        Role::Owner
    );
    // The last owner stays one.
    let (status, to) = form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/team/members/{id}"),
        &enc(&[("csrf", &csrf), ("role", "remove")]),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/e/demo/team?error=1")
    );
    assert_eq!(
        bob_id(&t.state.store.list_members("demo").await.unwrap())
            .unwrap()
            .1,
        Role::Owner
    );
    // An unknown role names the field; nothing changes.
    let (_, to) = form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/team/members/{id}"),
        &enc(&[("csrf", &csrf), ("role", "root")]),
    )
    .await;
    assert!(to.ends_with("?error=1"));
    let (_, html) = get(&t, Some(&cookie), "/admin/e/demo/team?error=1").await;
    assert!(html.contains("role: use owner"), "{html}");
    assert_eq!(
        bob_id(&t.state.store.list_members("demo").await.unwrap())
            .unwrap()
            .1,
        Role::Owner
    );
}

#[tokio::test]
async fn every_organiser_write_is_audited_and_no_entry_carries_a_secret() {
    let (t, cookie, csrf) = with_admin().await;
    // A token write (API).
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"template": "stream_down", "components": ["all-streams"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let incident = incident_id(res).await;
    // A dashboard write.
    let (status, _) = form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/incidents/{incident}/updates"),
        &enc(&[
            ("csrf", &csrf),
            ("status", "identified"),
            ("body", "found it"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // An invitation (its link is a secret).
    let link = invite(&t, &cookie, &csrf, "viewer").await;
    form(
        &t,
        None,
        &format!("/invite/{link}"),
        &enc(&[("email", "new@example.org"), ("password", PASSWORD)]),
    )
    .await;
    // A refused write by a viewer.
    let (viewer, viewer_csrf) = organiser(&t, "viewer@example.org", Role::Viewer).await;
    let (status, _) = form(
        &t,
        Some(&viewer),
        "/admin/e/demo/incidents",
        &enc(&[("csrf", &viewer_csrf), ("template", "delayed")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An anonymous attempt is not a change by anyone: not recorded.
    let res = t
        .send(
            Request::post("/api/v1/events/demo/incidents")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (status, text) = get(&t, Some(&cookie), "/admin/e/demo/audit.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(doc["total"], json!(entries.len()));
    let brief: Vec<(String, String, String, bool)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["kind"].as_str().unwrap().to_owned(),
                e["route"].as_str().unwrap().to_owned(),
                e["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        vec![
            (
                "tests".into(),
                "incidents".into(),
                "/api/v1/events/{event}/incidents".into(),
                true
            ),
            (
                "org@example.org".into(),
                "incidents.updates".into(),
                "/admin/e/{event}/incidents/{id}/updates".into(),
                true
            ),
            (
                "org@example.org".into(),
                "team.invitations".into(),
                "/admin/e/{event}/team/invitations".into(),
                true
            ),
            (
                "new@example.org".into(),
                "invite".into(),
                "/invite/{token}".into(),
                true
            ),
            (
                "viewer@example.org".into(),
                "incidents".into(),
                "/admin/e/{event}/incidents".into(),
                false
            ),
        ],
        "{text}"
    );
    let newest = &entries[0];
    assert_eq!(newest["status"], json!(403));
    assert_eq!(newest["actor_kind"], json!("user"));
    assert_eq!(newest["user_agent"], json!("team-test/1.0"));
    assert_eq!(entries[1]["summary"], json!("joined as viewer"));
    assert_eq!(entries[1]["target"], Value::Null);
    assert!(
        entries[2]["summary"]
            .as_str()
            .unwrap()
            .starts_with("invitation 1 as viewer"),
        "{text}"
    );
    assert_eq!(entries[3]["target"], json!(format!("id={incident}")));
    assert_eq!(entries[4]["actor_kind"], json!("token"));
    for secret in [
        t.token.as_str(),
        csrf.as_str(),
        viewer_csrf.as_str(),
        link.as_str(),
        PASSWORD,
    ] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    // The API gives the same to an owner's token, not to a viewer's.
    let res = t
        .send(
            Request::get("/api/v1/events/demo/audit?page=1")
                .header(header::AUTHORIZATION, format!("Bearer {}", t.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["total"], doc["total"]);
    let (plain, hash) = app::auth::new_token("mq");
    t.state
        .store
        .create_limited_api_token(&NewApiToken {
            name: "viewer token".into(),
            token_hash: hash,
            event: Some("demo".into()),
            role: Some(Role::Viewer),
            expires_at: None,
        })
        .await
        .unwrap();
    let res = t
        .send(
            Request::get("/api/v1/events/demo/audit")
                .header(header::AUTHORIZATION, format!("Bearer {plain}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = t
        .send(
            Request::get("/api/v1/events/demo/audit?page=zero")
                .header(header::AUTHORIZATION, format!("Bearer {}", t.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(res).await["error"]["field"], json!("page"));
    // The dashboard page shows it to owners only.
    let (status, html) = get(&t, Some(&cookie), "/admin/e/demo/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-kind=\"incidents.updates\""), "{html}");
    let (status, _) = get(&t, Some(&viewer), "/admin/e/demo/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_postmortem_shows_on_the_status_page_and_in_the_v2_json() {
    let (t, cookie, csrf) = with_admin().await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "Streams down", "body": "looking"}),
        )
        .await;
    let id = incident_id(res).await;
    t.json(
        "POST",
        &format!("/api/v1/events/demo/incidents/{id}/updates"),
        json!({"status": "resolved", "body": "back"}),
    )
    .await;
    let md = "The CDN <script>alert(1)</script> **expired** its certificate.";
    let (status, to) = form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/incidents/{id}/postmortem"),
        &enc(&[("csrf", &csrf), ("body", md)]),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/e/demo")
    );
    let v2 = body_json(t.get("/e/demo/api/v2/incidents.json").await).await;
    assert_eq!(v2["incidents"][0]["postmortem_body"], json!(md));
    let (_, html) = get(&t, None, "/e/demo/status").await;
    assert!(html.contains("data-testid=\"postmortem\""), "{html}");
    assert!(html.contains("<strong>expired</strong>"));
    assert!(!html.contains("<script>alert(1)"));
    // Public pages never say who wrote it.
    assert!(!html.contains("org@example.org"));
    // A blank text removes it.
    form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/incidents/{id}/postmortem"),
        &enc(&[("csrf", &csrf), ("body", " ")]),
    )
    .await;
    let v2 = body_json(t.get("/e/demo/api/v2/incidents.json").await).await;
    assert_eq!(v2["incidents"][0]["postmortem_body"], Value::Null);
}

#[tokio::test]
async fn event_templates_fill_incidents_and_replace_the_built_in_ones() {
    let (t, cookie, csrf) = with_admin().await;
    let save = |key: &'static str, title: &'static str| {
        enc(&[
            ("csrf", &csrf),
            ("key", key),
            ("title", title),
            ("body", "We are on it."),
        ])
    };
    let (status, to) = form(
        &t,
        Some(&cookie),
        "/admin/e/demo/templates",
        &save("stream_down", "Player down"),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/e/demo/templates")
    );
    form(
        &t,
        Some(&cookie),
        "/admin/e/demo/templates",
        &save("wifi", "Wi-Fi trouble"),
    )
    .await;
    // A bad key names the field and stores nothing.
    let (_, to) = form(
        &t,
        Some(&cookie),
        "/admin/e/demo/templates",
        &save("Bad Key", "x"),
    )
    .await;
    assert!(to.ends_with("?error=1"));
    assert_eq!(t.state.store.list_templates("demo").await.unwrap().len(), 2);
    let (_, dash) = get(&t, Some(&cookie), "/admin/e/demo").await;
    assert!(
        dash.contains("<option value=\"wifi\">Wi-Fi trouble</option>"),
        "{dash}"
    );
    assert!(dash.contains("<option value=\"stream_down\">Player down</option>"));
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"template": "wifi"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made = body_json(res).await;
    assert_eq!(made["name"], json!("Wi-Fi trouble"));
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"template": "stream_down"}),
        )
        .await;
    assert_eq!(body_json(res).await["name"], json!("Player down"));
    // The built-in "delayed" still works; an unknown key is still refused.
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"template": "delayed"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"template": "nope"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_report_downloads_with_figures_from_what_happened() {
    let (t, cookie, _) = with_admin().await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "Streams | down", "body": "looking", "components": ["all-streams"]}),
        )
        .await;
    let id = incident_id(res).await;
    t.json(
        "POST",
        &format!("/api/v1/events/demo/incidents/{id}/updates"),
        json!({"status": "resolved", "body": "all *fine*"}),
    )
    .await;
    let res = t.json("POST", "/api/v1/events/demo/shifts", json!({"tracks": ["track-2"], "from": "17:00", "by_minutes": 20, "reason": "late start"})).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        body_string(res).await
    );

    let res = t
        .send(
            Request::get("/admin/e/demo/report.md")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("demo-report.md")
    );
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    let md = body_string(res).await;
    assert!(
        md.contains(&format!("| Incident #{id}: Streams \\| down |")),
        "{md}"
    );
    // Open pages learn in the same transaction; no subscribers: no push.
    assert!(md.contains("| 0 s | — | 0/0 |"), "{md}");
    assert!(md.contains("Shift #"), "{md}");
    assert!(md.contains("late start"));
    assert!(
        md.contains(&format!("Incident #{id} — Resolved: all fine")),
        "{md}"
    );
    let res = t
        .send(
            Request::get("/admin/e/demo/report.html")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_string(res).await;
    assert!(
        html.contains("<td data-figure=\"to-pages\">0 s</td>"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    // Signed out: off to the login page, no report.
    let (status, _) = get(&t, None, "/admin/e/demo/report.html").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // In French when asked (`?lang=`), in Russian by the browser's
    // Accept-Language: headings, sentences and units, times in event time.
    let (status, fr) = get(&t, Some(&cookie), "/admin/e/demo/report.html?lang=fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
    for heading in [
        "<h1>Rapport après l’événement : ",
        "<h2>Délai d’information</h2>",
        "<h2>Intervenants</h2>",
        "<h2>Chronologie</h2>",
    ] {
        assert!(fr.contains(heading), "{heading} missing in {fr}");
    }
    assert!(
        fr.contains(&format!("Incident n° {id} — Résolu : all fine")),
        "{fr}"
    );
    assert!(!fr.contains("Time to inform"), "{fr}");
    let res = t
        .send(
            Request::get("/admin/e/demo/report.md")
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT_LANGUAGE, "ru-RU,ru;q=0.9,en;q=0.5")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.headers()[header::CONTENT_LANGUAGE], "ru");
    let ru = body_string(res).await;
    assert!(ru.contains("## Хронология"), "{ru}");
    assert!(
        ru.contains(&format!("Инцидент №{id}: Streams \\| down")),
        "{ru}"
    );
}

#[tokio::test]
async fn command_line_writes_are_audited_and_reads_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/cli.db", dir.path().display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_marquee"))
            .args(args)
            .env("MARQUEE_DATABASE_URL", &db)
            .env("USER", "deploy-bot")
            .output()
            .unwrap()
    };
    assert!(run(&["demo", "--event", "demo"]).status.success());
    let out = run(&[
        "incident",
        "open",
        "--event",
        "demo",
        "--name",
        "Deploy",
        "--body",
        "rolling out",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Refused input is recorded with its exit code; listing is not a write.
    let out = run(&[
        "incident", "open", "--event", "demo", "--impact", "huge", "--name", "x", "--body", "y",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(run(&["user", "list"]).status.success());
    let store = app::store::Store::connect(&db).await.unwrap();
    let entries = store.list_audit("demo", 0, 50).await.unwrap();
    let brief: Vec<(String, &str, String, u16, bool)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e.actor.clone(),
                e.actor_kind,
                e.route.clone(),
                e.status,
                e.ok,
            )
        })
        .collect();
    assert_eq!(
        brief,
        vec![
            ("deploy-bot".into(), "cli", "marquee demo".into(), 0, true),
            (
                "deploy-bot".into(),
                "cli",
                "marquee incident open".into(),
                0,
                true
            ),
            (
                "deploy-bot".into(),
                "cli",
                "marquee incident open".into(),
                2,
                false
            ),
        ]
    );
    assert_eq!(entries[0].kind, "incident.open");
}

/// The audit layer alone around three stand-in writes: one whose handler
/// never answers (dropped, as when the client leaves or the server stops
/// mid-write), one that answers, one refused before any principal is known.
#[tokio::test]
async fn an_entry_is_written_before_the_write_and_outlives_a_dropped_handler() {
    use app::domain::audit::{Actor, ActorKind};
    use axum::routing::post;
    use axum::{Extension, Router, middleware};
    use server::audit::AuditActorSlot;
    use tower::ServiceExt;

    fn deploy(slot: &AuditActorSlot) {
        slot.set(Actor {
            kind: ActorKind::Token,
            name: "deploy".into(),
        });
    }
    async fn stuck(Extension(slot): Extension<AuditActorSlot>) -> StatusCode {
        deploy(&slot);
        std::future::pending::<()>().await;
        StatusCode::CREATED
    }
    async fn done(Extension(slot): Extension<AuditActorSlot>) -> StatusCode {
        deploy(&slot);
        StatusCode::CREATED
    }
    async fn refused() -> StatusCode {
        StatusCode::UNAUTHORIZED
    }
    let t = app_with_demo().await;
    let app = Router::new()
        .route("/api/v1/events/{event}/stuck/{id}", post(stuck))
        .route("/api/v1/events/{event}/done/{id}", post(done))
        .route("/api/v1/events/{event}/refused", post(refused))
        .layer(middleware::from_fn_with_state(
            t.state.clone(),
            server::audit::record,
        ));
    let req = |uri: &str| {
        Request::post(uri)
            .header(header::AUTHORIZATION, "Bearer not-a-real-token")
            .header(header::USER_AGENT, "deploy-script/2")
            .body(Body::empty())
            .unwrap()
    };
    let before = t.state.store.count_audit("demo").await.unwrap();

    let cut = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        app.clone().oneshot(req("/api/v1/events/demo/stuck/7")),
    )
    .await;
    assert!(cut.is_err(), "the stand-in handler never answers");
    let res = app
        .clone()
        .oneshot(req("/api/v1/events/demo/done/8"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .clone()
        .oneshot(req("/api/v1/events/demo/refused"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let entries = t.state.store.list_audit("demo", 0, 50).await.unwrap();
    assert_eq!(
        t.state.store.count_audit("demo").await.unwrap(),
        before + 2,
        "one entry per write, none for the refused one: {entries:?}"
    );
    let stuck = entries
        .iter()
        .find(|e| e.route.ends_with("/stuck/{id}"))
        .expect("the dropped write is in the log");
    assert_eq!((stuck.status, stuck.ok), (0, false), "{stuck:?}");
    assert_eq!(stuck.target.as_deref(), Some("id=7"));
    assert_eq!(stuck.actor_kind, "token");
    assert_eq!(stuck.user_agent.as_deref(), Some("deploy-script/2"));
    let done = entries
        .iter()
        .find(|e| e.route.ends_with("/done/{id}"))
        .expect("the finished write");
    assert_eq!((done.status, done.ok), (201, true), "{done:?}");
    assert_eq!(done.actor, "deploy", "named once the handler checked it");
    assert!(!entries.iter().any(|e| e.route.ends_with("/refused")));
}

#[tokio::test]
async fn an_update_is_signed_only_when_the_organiser_signs_it() {
    let (t, cookie, csrf) = with_admin().await;
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({"name": "Streams down", "body": "Looking.", "signature": "  Ana <b>stream</b> team "}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = incident_id(res).await;
    let updates = format!("/api/v1/events/demo/incidents/{id}/updates");
    let res = t
        .json(
            "POST",
            &updates,
            json!({"status": "identified", "body": "Encoder."}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    // Refused signatures name the field and post nothing.
    for bad in ["Ana\nsecond line", &"x".repeat(81)] {
        let res = t
            .json(
                "POST",
                &updates,
                json!({"status": "monitoring", "body": "x", "signature": bad}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body_json(res).await["error"]["field"], json!("signature"));
    }
    // The dashboard's form signs too.
    let (status, to) = form(
        &t,
        Some(&cookie),
        &format!("/admin/e/demo/incidents/{id}/updates"),
        &enc(&[
            ("csrf", &csrf),
            ("status", "monitoring"),
            ("body", "A fix is out."),
            ("signature", "Léa, régie"),
        ]),
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/e/demo")
    );

    let v2 = body_json(t.get("/e/demo/api/v2/incidents.json").await).await;
    let signatures: Vec<Value> = v2["incidents"][0]["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["signature"].clone())
        .collect();
    // Newest first; trimmed; the unsigned update stays unsigned.
    assert_eq!(
        signatures,
        vec![
            json!("Léa, régie"),
            Value::Null,
            json!("Ana <b>stream</b> team")
        ]
    );
    let (_, html) = get(&t, None, "/e/demo/status").await;
    assert_eq!(
        html.matches("data-testid=\"signature\"").count(),
        2,
        "{html}"
    );
    assert!(html.contains("— Léa, régie"), "{html}");
    // Text, never markup.
    assert!(
        html.contains("— Ana &lt;b&gt;stream&lt;/b&gt; team"),
        "{html}"
    );
    assert!(!html.contains("<b>stream</b>"));
    // Still nothing says which account wrote it.
    assert!(!html.contains("org@example.org"));
    let atom = body_string(t.get("/e/demo/incidents.atom").await).await;
    assert!(atom.contains("— Léa, régie"), "{atom}");
    assert!(atom.contains("— Ana &amp;lt;b&amp;gt;stream"), "{atom}");
    // Shown as typed in every language.
    let (_, fr) = get(&t, None, "/e/demo/status?lang=fr").await;
    assert!(fr.contains("— Léa, régie"));
}
