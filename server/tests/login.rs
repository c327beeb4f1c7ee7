//! Organiser sign-in over HTTP: argon2id, server-side sessions, HttpOnly
//! cookies, CSRF checks.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, app, body_string};

async fn with_user() -> TestApp {
    let t = app().await;
    let hash = app::auth::hash_password("organiser-password-1").unwrap();
    t.state
        .store
        .add_user("org@example.org", &hash)
        .await
        .unwrap();
    t
}

fn login_req(email: &str, password: &str, origin: Option<&str>) -> Request<Body> {
    let mut b = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "marquee.test");
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    b.body(Body::from(format!("email={email}&password={password}")))
        .unwrap()
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_gets_no_session() {
    let t = with_user().await;
    for (email, pw) in [
        ("org%40example.org", "wrong-password"),
        ("nobody%40example.org", "organiser-password-1"),
    ] {
        let res = t
            .send(login_req(email, pw, Some("http://marquee.test")))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[header::LOCATION], "/login?error=1");
        assert!(!res.headers().contains_key(header::SET_COOKIE));
    }
    let res = t.get("/login?error=1").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(body_string(res).await.contains("Wrong email or password."));
}

#[tokio::test]
async fn signing_in_sets_an_httponly_cookie_that_opens_the_admin_area() {
    let t = with_user().await;
    let res = t
        .send(login_req(
            "org%40example.org",
            "organiser-password-1",
            Some("http://marquee.test"),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/admin");
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();

    let anon = t.get("/admin").await;
    assert_eq!(
        anon.status(),
        StatusCode::SEE_OTHER,
        "anonymous users are sent to /login"
    );
    assert_eq!(anon.headers()[header::LOCATION], "/login");

    let req = Request::get("/admin")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let res = t.send(req).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_string(res).await;
    assert!(html.contains("Signed in as org@example.org"));

    // Sign-out needs the session's CSRF token.
    let bad = Request::post("/logout")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=forged"))
        .unwrap();
    assert_eq!(t.send(bad).await.status(), StatusCode::FORBIDDEN);
    let csrf = common::csrf_of(&html);
    let good = Request::post("/logout")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}")))
        .unwrap();
    assert_eq!(t.send(good).await.status(), StatusCode::SEE_OTHER);
    let req = Request::get("/admin")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        t.send(req).await.status(),
        StatusCode::SEE_OTHER,
        "the session is gone after sign-out"
    );
}

#[tokio::test]
async fn a_cross_site_sign_in_post_is_refused() {
    let t = with_user().await;
    let res = t
        .send(login_req(
            "org%40example.org",
            "organiser-password-1",
            Some("https://evil.example"),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
}
