//! Shared set-up for the integration tests: a real SQLite file per test, the
//! real router, requests driven in-process with `oneshot`.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::Arc;

use app::read_model::ReadModel;
use app::state::AppState;
use app::store::Store;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
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
    let state = AppState {
        leptos_options: LeptosOptions::builder()
            .output_name("marquee")
            .site_root(dir.path().to_string_lossy().into_owned())
            .build(),
        store,
        read_model: Arc::new(ReadModel::default()),
        public_url: "http://marquee.test".into(),
        secure_cookies: false,
    };
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
