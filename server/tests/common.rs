//! Shared set-up for the integration tests: a real SQLite file per test, the
//! real router, requests driven in-process with `oneshot`.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use app::state::AppState;
use app::store::Store;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub token: String,
    _dir: tempfile::TempDir,
}

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/c3voc");

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

pub async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    let (token, hash) = app::auth::new_token("mq");
    store.create_api_token("tests", &hash).await.unwrap();
    let options = LeptosOptions::builder()
        .output_name("marquee")
        .site_root(dir.path().to_string_lossy().into_owned())
        .build();
    let state = AppState::new(options, store, "http://marquee.test");
    state.refresh_all().await.unwrap();
    let router = server::routes::build(state.clone());
    TestApp {
        state,
        router,
        token,
        _dir: dir,
    }
}

impl TestApp {
    /// An app put together by the caller (another database, another
    /// router); `dir` is kept until the app is dropped.
    pub fn from_parts(
        state: AppState,
        router: Router,
        token: String,
        dir: tempfile::TempDir,
    ) -> TestApp {
        TestApp {
            state,
            router,
            token,
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    pub async fn get(&self, uri: &str) -> Response<Body> {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn import(&self, event: &str, body: Vec<u8>) -> Response<Body> {
        self.send(
            Request::post(format!("/api/v1/events/{event}/import"))
                .header("authorization", format!("Bearer {}", self.token))
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

pub async fn body_string(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub async fn body_json(res: Response<Body>) -> serde_json::Value {
    let s = body_string(res).await;
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// An app with the demo conference loaded (four tracks, their stream
/// components) exactly as `marquee demo` loads it.
pub async fn app_with_demo() -> TestApp {
    let t = app().await;
    let demo = server::demo::conference(
        "demo",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    );
    t.state
        .store
        .import_schedule(&demo, "test", "test")
        .await
        .unwrap();
    t.state.after_write("demo").await.unwrap();
    t
}

impl TestApp {
    pub async fn json(&self, method: &str, uri: &str, body: serde_json::Value) -> Response<Body> {
        self.send(
            Request::builder()
                .method(method)
                .uri(uri)
                .header("authorization", format!("Bearer {}", self.token))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }
}

/// The CSRF token an organiser page carries in its forms.
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned()
}

/// Signs an organiser in; their session cookie and CSRF token.
pub async fn sign_in(t: &TestApp) -> (String, String) {
    let hash = app::auth::hash_password("organiser-password-1").unwrap();
    t.state
        .store
        .add_user("org@example.org", &hash)
        .await
        .unwrap();
    sign_in_as(t, "org@example.org", "organiser-password-1").await
}

/// Signs an existing user in through the form; their session cookie and
/// CSRF token.
pub async fn sign_in_as(t: &TestApp, email: &str, password: &str) -> (String, String) {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("password", password)
        .finish();
    let res = t
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "marquee.test")
                .header(header::ORIGIN, "http://marquee.test")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page(t, &cookie, "/admin").await;
    let csrf = csrf_of(&html);
    (cookie, csrf)
}

pub async fn page(t: &TestApp, cookie: &str, uri: &str) -> String {
    let res = t
        .send(
            Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{uri}");
    body_string(res).await
}

pub async fn post_form(t: &TestApp, cookie: &str, uri: &str, body: String) -> StatusCode {
    t.send(
        Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
    .status()
}
