//! What a hostile crowd cannot do: guess passwords fast, sign in from
//! another site, keep a stale session, open unlimited live streams or
//! anonymous writes, frame the organiser's pages, hold connections open
//! with slow headers, or keep the server from shutting down. In-process
//! (`oneshot`, the client's address set as the accept loop would) where
//! the router is enough; a real `marquee serve` for the socket.

mod common;
#[path = "support/process.rs"]
mod process;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::address::OutboundPolicy;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use common::{TestApp, app_with_demo, body_string};
use serde_json::json;
use server::config::GuardArgs;
use server::limits::Limits;
use tower::ServiceExt;

const PASSWORD: &str = "organiser-password-1";

async fn with_user(t: &TestApp) {
    let hash = app::auth::hash_password(PASSWORD).unwrap();
    t.state
        .store
        .add_user("org@example.org", &hash)
        .await
        .unwrap();
}

fn router(t: &TestApp, guard: GuardArgs) -> Router {
    server::routes::build_with(
        t.state.clone(),
        Arc::new(Limits::new(guard)),
        OutboundPolicy::default(),
    )
}

fn peer(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 50_000))
}

async fn send(router: &Router, req: Request<Body>) -> Response<Body> {
    router.clone().oneshot(req).await.unwrap()
}

/// A sign-in form post from `ip` with the given extra headers.
fn login(ip: &str, password: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "marquee.test")
        .extension(peer(ip));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(format!(
        "email=org%40example.org&password={password}"
    )))
    .unwrap()
}

const SAME_SITE: [(&str, &str); 1] = [("origin", "http://marquee.test")];

fn session_cookie(res: &Response<Body>) -> String {
    res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn admin_status(router: &Router, cookie: &str) -> StatusCode {
    send(
        router,
        Request::get("/admin")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .status()
}

#[tokio::test]
async fn guessing_is_throttled_per_account_and_per_address_with_429_and_retry_after() {
    let t = common::app().await;
    with_user(&t).await;
    let r = router(&t, GuardArgs::default());
    // Five wrong guesses for the account, each from another address, are
    // answered as usual...
    for i in 1..=5 {
        let res = send(&r, login(&format!("198.51.100.{i}"), "wrong", &SAME_SITE)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "guess {i}");
    }
    // ...then the account takes no more, from anywhere, right password or
    // not, for two minutes (30 an hour).
    let res = send(&r, login("198.51.100.9", PASSWORD, &SAME_SITE)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=120).contains(&retry), "Retry-After {retry}");
    assert!(!res.headers().contains_key(header::SET_COOKIE));
    // A browser's form gets a page saying so.
    let mut html = SAME_SITE.to_vec();
    html.push(("accept", "text/html"));
    let res = send(&r, login("198.51.100.9", "wrong", &html)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let page = body_string(res).await;
    assert!(page.contains("Too many sign-in attempts"), "{page}");

    // One address: ten attempts a minute, whatever the account.
    let r = router(&t, GuardArgs::default());
    for i in 0..10 {
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://marquee.test")
            .extension(peer("203.0.113.7"))
            .body(Body::from(format!("email=u{i}%40example.org&password=x")))
            .unwrap();
        assert_eq!(send(&r, req).await.status(), StatusCode::SEE_OTHER);
    }
    let res = send(&r, login("203.0.113.7", PASSWORD, &SAME_SITE)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address still signs in.
    let res = send(&r, login("203.0.113.8", PASSWORD, &SAME_SITE)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/admin");
}

#[tokio::test]
async fn sign_in_needs_the_browser_to_vouch_it_comes_from_this_site() {
    let t = common::app().await;
    with_user(&t).await;
    let r = router(&t, GuardArgs::default());
    let refused: [&[(&str, &str)]; 4] = [
        // Neither Origin nor Sec-Fetch-Site: nothing shows it is ours.
        &[],
        // Origin matching Host but not the public URL (a proxy passing a
        // forged Host).
        &[("host", "evil.test"), ("origin", "http://evil.test")],
        &[("origin", "https://evil.example")],
        // A sibling subdomain is same-site, not same-origin.
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "http://marquee.test"),
        ],
    ];
    for (i, headers) in refused.iter().enumerate() {
        let res = send(&r, login(&format!("198.51.100.{i}"), PASSWORD, headers)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(!res.headers().contains_key(header::SET_COOKIE));
    }
    let accepted: [&[(&str, &str)]; 2] = [
        &[("origin", "http://marquee.test")],
        &[("sec-fetch-site", "same-origin")],
    ];
    for (i, headers) in accepted.iter().enumerate() {
        let res = send(
            &r,
            login(&format!("198.51.100.{}", 10 + i), PASSWORD, headers),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{headers:?}");
        assert!(res.headers().contains_key(header::SET_COOKIE));
    }
}

#[tokio::test]
async fn signing_in_again_ends_the_session_the_browser_had() {
    let t = common::app().await;
    with_user(&t).await;
    let r = router(&t, GuardArgs::default());
    let first = session_cookie(&send(&r, login("198.51.100.1", PASSWORD, &SAME_SITE)).await);
    assert_eq!(admin_status(&r, &first).await, StatusCode::OK);
    let mut with_old = SAME_SITE.to_vec();
    with_old.push(("cookie", &first));
    let second = session_cookie(&send(&r, login("198.51.100.1", PASSWORD, &with_old)).await);
    assert_ne!(first, second);
    assert_eq!(admin_status(&r, &first).await, StatusCode::SEE_OTHER);
    assert_eq!(admin_status(&r, &second).await, StatusCode::OK);
}

#[tokio::test]
async fn sessions_end_when_idle_and_are_purged() {
    let t = common::app().await;
    with_user(&t).await;
    let store = &t.state.store;
    let user = store.find_user("org@example.org").await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let (_, hash) = app::auth::new_token("ms");
    store
        .create_login_session(
            user.user_id,
            &hash,
            "csrf",
            now + chrono::Duration::hours(12),
        )
        .await
        .unwrap();
    let idle = chrono::Duration::minutes(120);
    let at = |m| now + chrono::Duration::minutes(m);
    assert!(
        store
            .find_active_session(&hash, at(100), idle)
            .await
            .unwrap()
            .is_some()
    );
    // Used at +100 min: still there at +200, gone at +221.
    assert!(
        store
            .find_active_session(&hash, at(200), idle)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .find_active_session(&hash, at(321), idle)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.purge_login_sessions(at(200), idle).await.unwrap(), 0);
    assert_eq!(store.purge_login_sessions(at(321), idle).await.unwrap(), 1);
    assert!(
        store
            .find_login_session(&hash, at(1))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure_and_host_prefixed() {
    let t = common::app().await;
    with_user(&t).await;
    let r = router(
        &t,
        GuardArgs {
            secure_cookies: Some(true),
            ..GuardArgs::default()
        },
    );
    let res = send(&r, login("198.51.100.1", PASSWORD, &SAME_SITE)).await;
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("__Host-marquee_session=ms_"), "{set}");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    assert_eq!(
        admin_status(&r, &session_cookie(&res)).await,
        StatusCode::OK
    );
    // The plain name is not read behind TLS (a sibling could toss it).
    let plain = session_cookie(&res).replacen("__Host-", "", 1);
    assert_eq!(admin_status(&r, &plain).await, StatusCode::SEE_OTHER);
}

fn sha256_source(script: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()))
    )
}

#[tokio::test]
async fn pages_carry_a_csp_with_the_loaders_hash_and_private_ones_refuse_frames() {
    let t = app_with_demo().await;
    let r = router(&t, GuardArgs::default());
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();

    let res = send(&r, get("/e/demo")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(res.headers()[header::REFERRER_POLICY], "same-origin");
    assert!(
        !res.headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
    let html = body_string(res).await;
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap()
        .to_owned();
    // Every inline script a page really carries is allowed by hash, and
    // nothing else inline is.
    let check_inline = |html: &str| {
        let inline: Vec<String> = html
            .split("<script")
            .skip(1)
            .filter_map(|rest| {
                let (attrs, after) = rest.split_once('>')?;
                (!attrs.contains("src=")).then(|| after.split_once("</script>").map(|(b, _)| b))?
            })
            .map(str::to_owned)
            .collect();
        for script in &inline {
            assert!(
                script_src.contains(&sha256_source(script)),
                "{script}: {csp}"
            );
        }
        inline
    };
    // The schedule is enhanced by a module of its own origin, without wasm.
    let inline = check_inline(&html);
    assert!(html.contains(r#"<script type="module" src="/enhance.js">"#));
    assert!(
        !inline.iter().any(|s| s.contains("hydrateIslands")),
        "{inline:?}"
    );
    // A countdown screen loads the islands: its loader is inline.
    let screen_html = body_string(send(&r, get("/e/demo/screen/track-1")).await).await;
    let inline = check_inline(&screen_html);
    assert!(inline[0].contains("hydrateIslands"), "{inline:?}");
    assert!(!screen_html.contains("/enhance.js"));
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    for directive in ["object-src 'none'", "base-uri 'none'", "'wasm-unsafe-eval'"] {
        assert!(csp.contains(directive), "{directive}: {csp}");
    }
    // Public pages and countdown screens may be framed (OBS, signage).
    assert!(!csp.contains("frame-ancestors"), "{csp}");
    let screen = send(&r, get("/e/demo/screen/track-1")).await;
    let screen_csp = screen.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(!screen_csp.contains("frame-ancestors"));
    assert!(!screen.headers().contains_key(header::X_FRAME_OPTIONS));
    // Sign-in, the organiser area (even its redirect) and speakers' pages
    // may not.
    for uri in ["/login", "/admin", "/s/sp_nope"] {
        let res = send(&r, get(uri)).await;
        let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY", "{uri}");
    }
    // JSON: nosniff, no page policy.
    let json = send(&r, get("/e/demo/api/v2/summary.json")).await;
    assert_eq!(json.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(!json.headers().contains_key(header::CONTENT_SECURITY_POLICY));

    // Served at an https public URL: HSTS.
    let mut state = t.state.clone();
    state.public_url = "https://status.example.org".into();
    let https = server::routes::build_with(
        state,
        Arc::new(Limits::new(GuardArgs::default())),
        OutboundPolicy::default(),
    );
    let res = send(&https, get("/e/demo")).await;
    assert_eq!(
        res.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn live_streams_are_capped_per_client_address() {
    let t = app_with_demo().await;
    let r = router(
        &t,
        GuardArgs {
            sse_per_ip: 2,
            ..GuardArgs::default()
        },
    );
    let live = |ip: &str| {
        Request::get("/e/demo/live")
            .extension(peer(ip))
            .body(Body::empty())
            .unwrap()
    };
    let a1 = send(&r, live("198.51.100.1")).await;
    let a2 = send(&r, live("198.51.100.1")).await;
    assert_eq!((a1.status(), a2.status()), (StatusCode::OK, StatusCode::OK));
    let a3 = send(&r, live("198.51.100.1")).await;
    assert_eq!(a3.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(a3.headers().contains_key(header::RETRY_AFTER));
    // Another address, and the same one once a stream has closed.
    assert_eq!(
        send(&r, live("198.51.100.2")).await.status(),
        StatusCode::OK
    );
    drop(a1);
    assert_eq!(
        send(&r, live("198.51.100.1")).await.status(),
        StatusCode::OK
    );
    // IPv6: one /64 is one client.
    let b1 = send(&r, live("2001:db8:1:2::1")).await;
    let b2 = send(&r, live("2001:db8:1:2::2")).await;
    assert_eq!((b1.status(), b2.status()), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        send(&r, live("2001:db8:1:2::3")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

const KEY: &str =
    "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8";
const AUTH: &str = "xS03Fi5ErfTNH_l9WHE9Ig";

fn subscribe(ip: &str, n: usize) -> Request<Body> {
    let body = json!({
        "subscription": {"endpoint": format!("https://push.example/s/{n}"), "keys": {"p256dh": KEY, "auth": AUTH}},
        "event": "demo", "tracks": ["all"],
    });
    Request::post("/api/v1/push/subscriptions")
        .header(header::CONTENT_TYPE, "application/json")
        .extension(peer(ip))
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn anonymous_writes_and_new_subscriptions_are_rate_limited_per_address() {
    let t = app_with_demo().await;
    let r = router(
        &t,
        GuardArgs {
            anon_writes_per_minute: 3,
            subscriptions_per_ip_per_hour: 2,
            ..GuardArgs::default()
        },
    );
    assert_eq!(
        send(&r, subscribe("198.51.100.1", 1)).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        send(&r, subscribe("198.51.100.1", 2)).await.status(),
        StatusCode::CREATED
    );
    let res = send(&r, subscribe("198.51.100.1", 3)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The fourth write of the minute from that address is refused before
    // it is read, whatever it is.
    let unsubscribe = |ip: &str| {
        Request::delete("/api/v1/push/subscriptions")
            .header(header::CONTENT_TYPE, "application/json")
            .extension(peer(ip))
            .body(Body::from(
                json!({"endpoint": "https://push.example/s/1", "auth": AUTH}).to_string(),
            ))
            .unwrap()
    };
    let res = send(&r, unsubscribe("198.51.100.1")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let body = body_string(res).await;
    assert!(body.contains(r#""code":"rate_limited""#), "{body}");
    assert_eq!(
        t.state
            .store
            .push_counts(Some("demo"))
            .await
            .unwrap()
            .subscriptions,
        2
    );
    // Another address is not held back.
    assert_eq!(
        send(&r, unsubscribe("198.51.100.2")).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_push_key_and_health_are_served_from_memory() {
    let t = app_with_demo().await;
    let r = router(&t, GuardArgs::default());
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let res = send(&r, get("/api/v1/push/key")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let key = body_string(res).await;
    // The database goes away: the key a page needs is still served.
    t.state.store.close().await;
    let res = send(&r, get("/api/v1/push/key")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_string(res).await, key);
    t.state.set_db_available(false);
    let res = send(&r, get("/healthz")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        body_string(res)
            .await
            .contains(r#""database":"unavailable""#)
    );
}

/// A served demo conference with extra settings.
fn serve(env: &[(&str, &str)]) -> (process::Server, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/g.db", dir.path().display());
    process::run(&db, &["demo", "--date", "2026-11-23"]);
    let addr = process::free_addr();
    let server = process::serve(&db, &addr, &dir.path().join("site"), env);
    let health = process::wait_for(&addr, "/healthz", |b| b.contains("ok"));
    assert!(health.contains("ok"), "{health}");
    (server, addr, dir)
}

/// Reads until the server closes the connection; how long that took
/// (`None` if it was still open after `limit`).
fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

#[test]
fn slow_headers_and_idle_connections_are_closed() {
    let (_server, addr, _dir) = serve(&[("MARQUEE_HEADER_TIMEOUT_SECS", "2")]);
    // A byte of header every 300 ms: it never completes, and the timeout
    // counts from the first byte, not from the last.
    let mut slow = TcpStream::connect(&addr).unwrap();
    let mut writer = slow.try_clone().unwrap();
    let drip = std::thread::spawn(move || {
        for b in
            b"GET /e/demo/status HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        {
            if writer.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let took = closed_within(&mut slow, Duration::from_secs(8));
    let took = took.expect("the slow connection was still open after 8 s");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    drip.join().unwrap();
    // A kept-alive connection that sends nothing more is closed too.
    let mut idle = TcpStream::connect(&addr).unwrap();
    write!(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(8));
    assert!(
        took.is_some(),
        "the idle connection was still open after 8 s"
    );
}

#[test]
fn shutdown_ends_live_streams_instead_of_waiting_for_them() {
    let (mut server, addr, _dir) = serve(&[]);
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(stream, "GET /e/demo/live HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let pid = server.0.id().to_string();
    let start = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM with a live stream open"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn organiser_pages_show_refusals_kept_for_the_session_never_text_from_the_url() {
    let t = app_with_demo().await;
    with_user(&t).await;
    let r = router(&t, GuardArgs::default());
    let cookie = session_cookie(&send(&r, login("198.51.100.1", PASSWORD, &SAME_SITE)).await);
    let page = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let html = body_string(send(&r, page("/admin/e/demo")).await).await;
    let csrf = common::csrf_of(&html);
    // A link someone sends the organiser: its text is not shown.
    let spoof =
        "/admin/e/demo?error=Session%20expired%2C%20sign%20in%20at%20https%3A%2F%2Fevil.example";
    let html = body_string(send(&r, page(spoof)).await).await;
    assert!(!html.contains("evil.example"), "reflected");
    // A refused form: its reason is shown once, on the page it returns to.
    let res = send(
        &r,
        Request::post("/admin/e/demo/incidents")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&name=&body=x")))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, "/admin/e/demo?error=1");
    let html = body_string(send(&r, page(&back)).await).await;
    let shown = html
        .split("data-testid=\"form-error\"")
        .nth(1)
        .and_then(|s| s.split_once('>'))
        .and_then(|(_, s)| s.split('<').next())
        .unwrap_or_else(|| panic!("the refusal is not shown: {html}"));
    assert!(shown.contains("name"), "{shown}");
    let again = body_string(send(&r, page(&back)).await).await;
    assert!(!again.contains(shown), "shown twice");
}
