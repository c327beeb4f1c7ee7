//! Who may do what, over HTTP: every write route of the API and of the
//! admin forms answers 403 to a token or organiser without the right on
//! that event and changes nothing; the admin pages show only what a role
//! may do; expired and revoked tokens are refused; old speaker links say
//! they have expired.

mod common;

use app::domain::access::Role;
use app::store::NewApiToken;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, NaiveDate, Utc};
use common::{TestApp, app_with_demo, body_json, body_string};
use serde_json::{Value, json};

/// The demo conference plus a second event, "other".
async fn two_events() -> TestApp {
    let t = app_with_demo().await;
    let other = server::demo::conference("other", NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    t.state
        .store
        .import_schedule(&other, "test", "test")
        .await
        .unwrap();
    t.state.after_write("other").await.unwrap();
    // The first account is always an admin; the organisers of these tests
    // come after it.
    t.state
        .store
        .add_user("first@example.org", "not-a-hash")
        .await
        .unwrap();
    t
}

async fn token(t: &TestApp, event: Option<&str>, role: Option<Role>) -> String {
    let (plain, hash) = app::auth::new_token("mq");
    t.state
        .store
        .create_limited_api_token(&NewApiToken {
            name: format!("{event:?} {role:?}"),
            token_hash: hash,
            event: event.map(str::to_owned),
            role,
            expires_at: None,
        })
        .await
        .unwrap();
    plain
}

async fn call(
    t: &TestApp,
    bearer: &str,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, Value) {
    let res = t
        .send(
            Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await;
    let status = res.status();
    let text = body_string(res).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// What an event looks like to the public and the store: schedule
/// version, incidents, component statuses, shifts.
async fn fingerprint(t: &TestApp, event: &str) -> String {
    let v = t.state.read_model.get(event).unwrap();
    let shifts = t.state.store.list_shifts(event).await.unwrap().len();
    format!(
        "v{} incidents {} components {:?} shifts {shifts}",
        v.schedule.version,
        v.status.incidents.len(),
        v.status
            .components
            .iter()
            .map(|c| (c.id, c.status))
            .collect::<Vec<_>>()
    )
}

/// Every API write route on `event`, with a body that would succeed for a
/// caller allowed to write: (what it is, method, path, body).
fn api_writes(t: &TestApp, event: &str) -> Vec<(&'static str, &'static str, String, String)> {
    let v = t.state.read_model.get(event).unwrap();
    let component = v.status.components[0].id;
    let import = server::c3voc::export_json(&v.schedule, "http://marquee.test");
    let base = format!("/api/v1/events/{event}");
    vec![
        (
            "open an incident",
            "POST",
            format!("{base}/incidents"),
            json!({"template": "stream_down", "components": ["all-streams"]}).to_string(),
        ),
        (
            "update an incident",
            "POST",
            format!("{base}/incidents/INCIDENT/updates"),
            json!({"status": "identified", "body": "found it"}).to_string(),
        ),
        (
            "create a component",
            "POST",
            format!("{base}/components"),
            json!({"name": "Chat"}).to_string(),
        ),
        (
            "set a component",
            "PATCH",
            format!("{base}/components/{component}"),
            json!({"status": "partial_outage"}).to_string(),
        ),
        (
            "apply a shift",
            "POST",
            format!("{base}/shifts"),
            json!({"tracks": ["track-2"], "from": "17:00", "by_minutes": 20, "date": v.schedule.event.start_date, "reason": "late"}).to_string(),
        ),
        ("revert a shift", "POST", format!("{base}/shifts/SHIFT/revert"), String::new()),
        ("import a schedule", "POST", format!("{base}/import"), import),
    ]
}

/// An open incident and an applied shift on `event`, made with an admin
/// token, so the update and revert routes have something to act on.
async fn seed(t: &TestApp, event: &str) -> (String, i64) {
    let base = format!("/api/v1/events/{event}");
    let (s, inc) = call(
        t,
        &t.token,
        "POST",
        &format!("{base}/incidents"),
        r#"{"template":"delayed"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{inc}");
    let start = t
        .state
        .read_model
        .get(event)
        .unwrap()
        .schedule
        .event
        .start_date;
    let body = json!({"tracks": ["track-1"], "from": "17:00", "by_minutes": 5, "date": start, "reason": "seed"});
    let (s, shift) = call(
        t,
        &t.token,
        "POST",
        &format!("{base}/shifts"),
        &body.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{shift}");
    (
        inc["id"].as_str().unwrap().to_owned(),
        shift["shift_id"].as_i64().unwrap(),
    )
}

fn fill(path: &str, ids: &(String, i64)) -> String {
    path.replace("INCIDENT", &ids.0)
        .replace("SHIFT", &ids.1.to_string())
}

#[tokio::test]
async fn a_token_of_another_event_gets_403_on_every_write_route_and_changes_nothing() {
    let t = two_events().await;
    let ids = seed(&t, "demo").await;
    let other = token(&t, Some("other"), None).await;
    let before = fingerprint(&t, "demo").await;
    for (what, method, path, body) in api_writes(&t, "demo") {
        let (status, err) = call(&t, &other, method, &fill(&path, &ids), &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {err}");
        assert_eq!(err["error"]["code"], "forbidden", "{what}");
        assert_eq!(
            err["error"]["message"], "forbidden: no access to event \"demo\"",
            "{what}"
        );
    }
    assert_eq!(fingerprint(&t, "demo").await, before, "nothing changed");
    // Reading the shifts of another event is refused too.
    let (status, _) = call(&t, &other, "GET", "/api/v1/events/demo/shifts", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // On its own event the same token is the owner: it may write.
    let (status, body) = call(
        &t,
        &other,
        "POST",
        "/api/v1/events/other/incidents",
        r#"{"template":"delayed"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn each_role_may_write_only_its_part_of_an_event() {
    let t = two_events().await;
    let ids = seed(&t, "demo").await;
    // Which routes (by position in `api_writes`) each role may use.
    let table: [(Role, [bool; 7]); 3] = [
        (
            Role::Viewer,
            [false, false, false, false, false, false, false],
        ),
        (
            Role::Communicator,
            [true, true, true, true, false, false, false],
        ),
        (
            Role::Scheduler,
            [false, false, false, false, true, true, true],
        ),
    ];
    for (role, allowed) in table {
        let bearer = token(&t, Some("demo"), Some(role)).await;
        for ((what, method, path, body), ok) in api_writes(&t, "demo").into_iter().zip(allowed) {
            let before = fingerprint(&t, "demo").await;
            let (status, res) = call(&t, &bearer, method, &fill(&path, &ids), &body).await;
            if ok {
                assert!(status.is_success(), "{role} {what}: {status} {res}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {what}: {res}");
                assert_eq!(res["error"]["code"], "forbidden");
                assert_eq!(fingerprint(&t, "demo").await, before, "{role} {what}");
            }
        }
        // Everyone with a role may read the shifts and preview one.
        let (status, _) = call(&t, &bearer, "GET", "/api/v1/events/demo/shifts", "").await;
        assert_eq!(status, StatusCode::OK, "{role}");
        let preview = json!({"tracks": ["track-3"], "from": "17:00", "by_minutes": 5, "date": "2026-11-23", "dry_run": true});
        let (status, res) = call(
            &t,
            &bearer,
            "POST",
            "/api/v1/events/demo/shifts",
            &preview.to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{role}: {res}");
    }
}

#[tokio::test]
async fn only_an_unlimited_token_creates_an_event_by_import() {
    let t = two_events().await;
    let file = common::fixture("pretalx-democon.json");
    for bearer in [
        token(&t, Some("demo"), None).await,
        token(&t, None, Some(Role::Owner)).await,
    ] {
        let res = t
            .send(
                Request::post("/api/v1/events/brand-new/import")
                    .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
                    .body(Body::from(file.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            body_json(res).await["error"]["message"],
            "forbidden: only an administrator may create events"
        );
        assert!(t.state.read_model.get("brand-new").is_none());
    }
    assert_eq!(t.import("brand-new", file).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused() {
    let t = two_events().await;
    let (plain, hash) = app::auth::new_token("mq");
    t.state
        .store
        .create_limited_api_token(&NewApiToken {
            name: "old".into(),
            token_hash: hash,
            expires_at: Some(Utc::now() - Duration::seconds(1)),
            ..NewApiToken::default()
        })
        .await
        .unwrap();
    let (status, body) = call(&t, &plain, "GET", "/api/v1/events/demo/shifts", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    let live = token(&t, None, None).await;
    let (status, _) = call(&t, &live, "GET", "/api/v1/events/demo/shifts", "").await;
    assert_eq!(status, StatusCode::OK);
    let id = t
        .state
        .store
        .list_api_tokens()
        .await
        .unwrap()
        .last()
        .unwrap()
        .api_token_id;
    t.state
        .store
        .revoke_api_token(&id.to_string(), Utc::now())
        .await
        .unwrap();
    let (status, _) = call(&t, &live, "GET", "/api/v1/events/demo/shifts", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Signs `email` in (adding the account, with `role` on demo unless None:
/// then an admin); their cookie and CSRF token.
async fn organiser(t: &TestApp, email: &str, role: Option<Role>) -> (String, String) {
    let hash = app::auth::hash_password("organiser-password-1").unwrap();
    t.state
        .store
        .add_user_as(email, &hash, role.is_none())
        .await
        .unwrap();
    if let Some(role) = role {
        t.state.store.grant_role(email, "demo", role).await.unwrap();
    }
    common::sign_in_as(t, email, "organiser-password-1").await
}

async fn page(t: &TestApp, cookie: &str, uri: &str) -> (StatusCode, String) {
    let res = t
        .send(
            Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    (res.status(), body_string(res).await)
}

async fn form(t: &TestApp, cookie: &str, uri: &str, body: &str) -> StatusCode {
    t.send(
        Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
    .status()
}

/// Every admin form post on demo: (what, path, body without the CSRF).
fn form_writes(t: &TestApp, ids: &(String, i64)) -> Vec<(&'static str, String, String)> {
    let v = t.state.read_model.get("demo").unwrap();
    let component = v.status.components[0].id;
    let speaker = &v.schedule.speakers[0].key;
    vec![
        (
            "open an incident",
            "/admin/e/demo/incidents".into(),
            "template=delayed".into(),
        ),
        (
            "update an incident",
            format!("/admin/e/demo/incidents/{}/updates", ids.0),
            "status=identified&body=x".into(),
        ),
        (
            "set a component",
            format!("/admin/e/demo/components/{component}"),
            "status=partial_outage".into(),
        ),
        (
            "apply a shift",
            "/admin/e/demo/shift".into(),
            "tracks=track-2&from=17:00&by=20&reason=late".into(),
        ),
        (
            "revert a shift",
            format!("/admin/e/demo/shifts/{}/revert", ids.1),
            String::new(),
        ),
        (
            "issue a speaker link",
            format!("/admin/e/demo/speakers/{speaker}/link"),
            String::new(),
        ),
    ]
}

#[tokio::test]
async fn organisers_get_403_on_forms_their_role_does_not_cover() {
    let t = two_events().await;
    let ids = seed(&t, "demo").await;
    let table: [(Role, [bool; 6]); 3] = [
        (Role::Viewer, [false; 6]),
        (Role::Communicator, [true, true, true, false, false, false]),
        (Role::Scheduler, [false, false, false, true, true, true]),
    ];
    for (role, allowed) in table {
        let (cookie, csrf) = organiser(&t, &format!("{role}@example.org"), Some(role)).await;
        for ((what, path, body), ok) in form_writes(&t, &ids).into_iter().zip(allowed) {
            let before = fingerprint(&t, "demo").await;
            let links = t.state.store.speaker_links("demo").await.unwrap();
            let status = form(&t, &cookie, &path, &format!("csrf={csrf}&{body}")).await;
            if ok {
                assert_eq!(status, StatusCode::SEE_OTHER, "{role} {what}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {what}");
                assert_eq!(fingerprint(&t, "demo").await, before, "{role} {what}");
                assert_eq!(t.state.store.speaker_links("demo").await.unwrap(), links);
            }
        }
    }
}

#[tokio::test]
async fn admin_pages_show_a_role_only_what_it_may_do() {
    let t = two_events().await;
    seed(&t, "demo").await;
    let (viewer, _) = organiser(&t, "viewer@example.org", Some(Role::Viewer)).await;
    let (_, list) = page(&t, &viewer, "/admin").await;
    assert!(list.contains("data-event=\"demo\""));
    assert!(!list.contains("data-event=\"other\""), "only their events");
    assert!(list.contains("Your role: viewer"));
    let (status, html) = page(&t, &viewer, "/admin/e/demo").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delayed start"), "sees the open incident");
    for form in [
        "data-testid=\"open-incident\"",
        "/updates\"",
        "data-testid=\"resolve\"",
        "/components/",
    ] {
        assert!(!html.contains(form), "viewer sees no {form}");
    }
    let (_, shift) = page(
        &t,
        &viewer,
        "/admin/e/demo/shift?from=17:00&by=5&tracks=track-1",
    )
    .await;
    assert!(
        shift.contains("data-testid=\"shift-preview\""),
        "may preview"
    );
    assert!(!shift.contains("data-testid=\"apply\"") && !shift.contains("data-testid=\"undo\""));
    let (_, speakers) = page(&t, &viewer, "/admin/e/demo/speakers").await;
    assert!(!speakers.contains("/link\""));
    for uri in [
        "/admin/e/other",
        "/admin/e/other/shift",
        "/admin/e/other/speakers",
        "/admin/e/nope",
    ] {
        let (status, html) = page(&t, &viewer, uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        assert!(html.contains("Not allowed"), "{uri}");
    }

    let (communicator, _) =
        organiser(&t, "communicator@example.org", Some(Role::Communicator)).await;
    let (_, html) = page(&t, &communicator, "/admin/e/demo").await;
    assert!(
        html.contains("data-testid=\"open-incident\"") && html.contains("data-testid=\"resolve\"")
    );
    let (_, shift) = page(
        &t,
        &communicator,
        "/admin/e/demo/shift?from=17:00&by=5&tracks=track-1",
    )
    .await;
    assert!(!shift.contains("data-testid=\"apply\""));

    let (admin, _) = organiser(&t, "admin@example.org", None).await;
    let (_, list) = page(&t, &admin, "/admin").await;
    assert!(list.contains("data-event=\"demo\"") && list.contains("data-event=\"other\""));
    let (_, shift) = page(
        &t,
        &admin,
        "/admin/e/other/shift?from=17:00&by=5&tracks=track-1",
    )
    .await;
    assert!(shift.contains("data-testid=\"apply\""));
}

#[tokio::test]
async fn removing_an_organiser_signs_them_out_at_once() {
    let t = two_events().await;
    let (cookie, _) = organiser(&t, "owner@example.org", Some(Role::Owner)).await;
    assert_eq!(page(&t, &cookie, "/admin/e/demo").await.0, StatusCode::OK);
    assert!(
        t.state
            .store
            .remove_user("owner@example.org")
            .await
            .unwrap()
    );
    let res = t
        .send(
            Request::get("/admin/e/demo")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/login");
}

#[tokio::test]
async fn an_expired_speaker_link_says_so_and_opens_nothing() {
    let t = app_with_demo().await;
    let past = server::demo::conference("past", NaiveDate::from_ymd_opt(2025, 1, 10).unwrap());
    t.state
        .store
        .import_schedule(&past, "test", "test")
        .await
        .unwrap();
    t.state.after_write("past").await.unwrap();
    let speaker = past.speakers[0].key.clone();
    let (plain, hash) = app::auth::new_token("sp");
    let issued = "2025-01-09T12:00:00Z".parse().unwrap();
    t.state
        .store
        .issue_speaker_link_at("past", &speaker, &hash, issued)
        .await
        .unwrap();

    let res = t.get(&format!("/s/{plain}")).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let html = body_string(res).await;
    assert!(html.contains("This link has expired"), "{html}");
    assert!(
        !html.contains(&past.speakers[0].name),
        "shows nothing of theirs"
    );

    let key =
        "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8";
    let res = t
        .json(
            "POST",
            "/api/v1/push/subscriptions",
            json!({"subscription": {"endpoint": "https://push.example/x", "keys": {"p256dh": key, "auth": "xS03Fi5ErfTNH_l9WHE9Ig"}}, "event": "past", "speaker": plain}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(res).await["error"]["field"], "speaker");
    let res = t
        .json(
            "POST",
            &format!("/s/{plain}/answer"),
            json!({"shift_id": 1, "answer": "confirm"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The same speaker, issued a link now: it works for a week from now.
    let (fresh, hash) = app::auth::new_token("sp");
    t.state
        .store
        .issue_speaker_link("past", &speaker, &hash)
        .await
        .unwrap();
    assert_eq!(t.get(&format!("/s/{fresh}")).await.status(), StatusCode::OK);
}
