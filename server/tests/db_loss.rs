//! A running `marquee serve` whose database goes away under it: the public
//! pages keep serving the last state and say so, writes fail with a clear
//! 503, and `/healthz` tells. A real process over real HTTP, because the
//! point is what an attendee's browser gets. PostgreSQL is where a running
//! server really loses its database (a failover, a restart, an admin); the
//! test ends every connection and refuses new ones. SQLite's own loss is
//! covered in-process (`live.rs`): a file zeroed under a live process is
//! not even noticed, since WAL mode keeps serving from its page cache.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_marquee");

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.0 exchange (close-delimited body): status and body.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh PostgreSQL database, dropped when the test ends.
struct PgDb {
    admin: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("drop database if exists {} with (force)", self.name),
        );
    }
}

fn run(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("MARQUEE_DATABASE_URL", db)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Polls `pred` on `path`'s body for up to ten seconds; the last body.
fn wait_for(addr: &str, path: &str, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let body = TcpStream::connect(addr)
            .ok()
            .map(|_| http(addr, "GET", path, None, "").1)
            .unwrap_or_default();
        if pred(&body) || start.elapsed() > Duration::from_secs(10) {
            return body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_status_page_keeps_serving_the_last_state_when_postgresql_goes_away() {
    let Ok(admin) = std::env::var("MARQUEE_TEST_POSTGRES_URL") else {
        eprintln!("MARQUEE_TEST_POSTGRES_URL is not set: skipping the PostgreSQL loss test");
        return;
    };
    let pg = PgDb {
        name: format!("marquee_loss_{}", std::process::id()),
        admin,
    };
    psql(
        &pg.admin,
        &format!("drop database if exists {0} with (force)", pg.name),
    );
    psql(&pg.admin, &format!("create database {}", pg.name));
    let (base, _) = pg.admin.rsplit_once('/').unwrap();
    let db = format!("{base}/{}", pg.name);
    run(&db, &["demo", "--date", "2026-11-23"]);
    let token = run(&db, &["token", "create", "--name", "t"]);
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let _server = Server(
        Command::new(BIN)
            .args(["serve", "--addr", &addr, "--site-root"])
            .arg(&site)
            .env("MARQUEE_DATABASE_URL", &db)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let health = wait_for(&addr, "/healthz", |b| b.contains(r#""database":"ok""#));
    assert!(health.contains(r#""database":"ok""#), "{health}");

    let (code, body) = http(
        &addr,
        "POST",
        "/api/v1/events/demo/incidents",
        Some(&token),
        r#"{"name": "Streams unavailable", "body": "The player shows nothing.", "components": ["all-streams"]}"#,
    );
    assert_eq!(code, 201, "{body}");

    // The database refuses new connections and ends the open ones.
    psql(
        &pg.admin,
        &format!(
            "alter database {0} allow_connections false; \
             select pg_terminate_backend(pid) from pg_stat_activity where datname = '{0}'",
            pg.name
        ),
    );
    let health = wait_for(&addr, "/healthz", |b| {
        b.contains(r#""database":"unavailable""#)
    });
    assert!(health.contains(r#""database":"unavailable""#), "{health}");

    // The once-a-second poller notices too, and the page says so.
    let stale = "the server cannot reach its database right now";
    let status = wait_for(&addr, "/e/demo/status", |b| b.contains(stale));
    assert!(status.contains(stale), "{status}");
    for page in ["/e/demo/status", "/e/demo", "/e/demo/api/v2/summary.json"] {
        let (code, body) = http(&addr, "GET", page, None, "");
        assert_eq!(code, 200, "{page}");
        assert!(body.contains("Streams unavailable"), "{page}: {body}");
    }

    let (code, body) = http(
        &addr,
        "POST",
        "/api/v1/events/demo/incidents",
        Some(&token),
        r#"{"name": "more", "body": "x"}"#,
    );
    assert_eq!(code, 503, "{body}");
    assert!(body.contains(r#""code":"unavailable""#), "{body}");

    // Back again: the server notices by itself, and writes go through.
    psql(
        &pg.admin,
        &format!("alter database {} allow_connections true", pg.name),
    );
    let health = wait_for(&addr, "/healthz", |b| b.contains(r#""database":"ok""#));
    assert!(health.contains(r#""database":"ok""#), "{health}");
}
