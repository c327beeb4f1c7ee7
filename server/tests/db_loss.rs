//! A running `marquee serve` whose database goes away under it: the public
//! pages keep serving the last state and say so, writes fail with a clear
//! 503, and `/healthz` tells. A real process over real HTTP, because the
//! point is what an attendee's browser gets. PostgreSQL is where a running
//! server really loses its database (a failover, a restart, an admin); the
//! test ends every connection and refuses new ones. SQLite's own loss is
//! covered in-process (`live.rs`): a file zeroed under a live process is
//! not even noticed, since WAL mode keeps serving from its page cache.

use std::process::Command;

#[path = "support/process.rs"]
mod process;
use process::{free_addr, http, run, serve, wait_for};

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
    let addr = free_addr();
    let _server = serve(&db, &addr, &site, &[]);
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
