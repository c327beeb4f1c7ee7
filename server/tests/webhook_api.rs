//! The webhook API in-process, with the deployment's strict address rule:
//! bad input is refused naming the field and stores nothing; the signing
//! secret is shown once and never listed; who may manage webhooks.

mod common;

use app::auth::new_token;
use app::domain::access::Role;
use app::store::NewApiToken;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TestApp, app_with_demo, body_json};
use serde_json::{Value, json};

const HOOKS: &str = "/api/v1/events/demo/webhooks";

/// A GET with the test's admin token.
async fn get(t: &TestApp, uri: &str) -> axum::http::Response<Body> {
    t.send(
        Request::get(uri)
            .header("authorization", format!("Bearer {}", t.token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn hook(preset: &str, url: &str) -> Value {
    json!({ "name": "team", "url": url, "preset": preset, "kinds": ["incidents", "changes"] })
}

#[tokio::test]
async fn bad_webhooks_are_refused_naming_the_field_and_nothing_is_stored() {
    let t = app_with_demo().await;
    let cases = [
        (hook("slack", "http://hooks.example/x"), "url"),
        // Loopback without the deployment's switch (it stands in for every
        // private address; those are refused below as input only).
        (hook("slack", "https://127.0.0.1:9/x"), "url"),
        (hook("slack", "https://localhost/x"), "url"),
        (hook("slack", "https://[::1]/x"), "url"),
        (hook("slack", "https://10.0.0.1/x"), "url"),
        (hook("slack", "https://169.254.169.254/latest"), "url"),
        (hook("slack", "https://user:pw@hooks.example/x"), "url"),
        (hook("slack", "not a url"), "url"),
        (hook("teams", "https://hooks.example/x"), "preset"),
        (
            json!({ "url": "https://hooks.example/x", "preset": "discord", "kinds": ["everything"] }),
            "kinds",
        ),
        (
            json!({ "url": "https://hooks.example/x", "preset": "discord", "kinds": [] }),
            "kinds",
        ),
        (
            json!({ "url": "https://hooks.example/x", "preset": "discord", "kinds": ["incidents"], "lang": "de" }),
            "lang",
        ),
        (
            json!({ "preset": "telegram", "kinds": ["incidents"], "chat_id": "-100", "bot_token": "nope" }),
            "bot_token",
        ),
        (
            json!({ "preset": "telegram", "kinds": ["incidents"], "chat_id": "", "bot_token": "1:AAA" }),
            "chat_id",
        ),
        (
            json!({ "url": "https://hooks.example/x", "preset": "slack", "kinds": ["incidents"], "colour": "red" }),
            "body",
        ),
    ];
    for (body, field) in cases {
        let res = t.json("POST", HOOKS, body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err = body_json(res).await;
        assert_eq!(err["error"]["code"], "invalid", "{body}: {err}");
        let got = err["error"]["field"].as_str().unwrap_or_default();
        assert!(
            got == field || (field == "body" && !got.is_empty()),
            "{body}: field {got:?}, expected {field:?}: {err}"
        );
    }
    let list = body_json(get(&t, HOOKS).await).await;
    assert_eq!(list["webhooks"], json!([]), "nothing was stored");
    let res = t
        .json(
            "POST",
            "/api/v1/events/nope/webhooks",
            hook("slack", "https://hooks.example/x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_signing_secret_is_shown_once_and_never_listed() {
    let t = app_with_demo().await;
    let res = t
        .json("POST", HOOKS, hook("standard", "https://hooks.example/std"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made = body_json(res).await;
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(made["webhook"]["preset"], "standard");
    assert_eq!(made["webhook"]["enabled"], true);
    // A Telegram bot token is the organiser's: stored to address the bot,
    // never shown back.
    let tg = json!({ "preset": "telegram", "kinds": ["incidents"], "chat_id": "-100123",
                     "bot_token": "123456:SECRET-token_x" });
    let res = t.json("POST", HOOKS, tg).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made_tg = body_json(res).await;
    assert!(made_tg.get("secret").is_none(), "{made_tg}");
    let listed = get(&t, HOOKS).await;
    let text = common::body_string(listed).await;
    assert!(!text.contains(&secret[6..]), "secret listed: {text}");
    assert!(!text.contains("SECRET-token_x"), "bot token listed: {text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 2);
    let id = made["webhook"]["id"].as_i64().unwrap();
    let res = t.json("DELETE", &format!("{HOOKS}/{id}"), json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = t.json("DELETE", &format!("{HOOKS}/{id}"), json!({})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = t
        .json("POST", &format!("{HOOKS}/{id}/test"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn communicators_manage_webhooks_and_viewers_only_read_them() {
    let t = app_with_demo().await;
    let token_for = |role: Role| {
        let (token, hash) = new_token("mq");
        let store = t.state.store.clone();
        async move {
            store
                .create_limited_api_token(&NewApiToken {
                    name: format!("{role}"),
                    token_hash: hash,
                    event: Some("demo".into()),
                    role: Some(role),
                    expires_at: None,
                })
                .await
                .unwrap();
            token
        }
    };
    let post = |token: String, body: Value| {
        Request::post(HOOKS)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let communicator = token_for(Role::Communicator).await;
    let res = t
        .send(post(communicator, hook("slack", "https://hooks.example/c")))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for role in [Role::Viewer, Role::Scheduler] {
        let token = token_for(role).await;
        let res = t
            .send(post(
                token.clone(),
                hook("slack", "https://hooks.example/v"),
            ))
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role}");
        let res = t
            .send(
                Request::get(HOOKS)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{role} reads");
        let list = body_json(res).await;
        assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    }
    let res = t
        .send(Request::get(HOOKS).body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = get(&t, &format!("{HOOKS}/log?limit=x")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(res).await["error"]["field"], "limit");
}
