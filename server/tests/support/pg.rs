//! A fresh PostgreSQL database per test, made with `psql` on the server
//! `MARQUEE_TEST_POSTGRES_URL` names and dropped when the test ends. Unset:
//! the test is skipped (a machine without PostgreSQL). Set but unreachable:
//! the test fails, since `make test` sets it only where PostgreSQL is
//! expected.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::process::Command;

pub struct PgDb {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    /// A new database named `{prefix}_{pid}_{n}`; `None` when no server is
    /// configured.
    pub fn fresh(prefix: &str) -> Option<PgDb> {
        let Ok(admin) = std::env::var("MARQUEE_TEST_POSTGRES_URL") else {
            eprintln!("MARQUEE_TEST_POSTGRES_URL is not set: skipping this PostgreSQL test");
            return None;
        };
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("{prefix}_{}_{n}", std::process::id());
        psql(
            &admin,
            &format!("drop database if exists {name} with (force)"),
        );
        psql(&admin, &format!("create database {name}"));
        let (base, _) = admin
            .split('?')
            .next()
            .unwrap()
            .rsplit_once('/')
            .expect("MARQUEE_TEST_POSTGRES_URL ends in /database");
        Some(PgDb {
            url: format!("{base}/{name}"),
            admin,
            name,
        })
    }

    /// Runs `sql` as the administrator (on the server's own database).
    pub fn admin_sql(&self, sql: &str) -> String {
        psql(&self.admin, sql)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin,
                "-qAtc",
                &format!("drop database if exists {} with (force)", self.name),
            ])
            .output();
    }
}

/// Runs `sql` on `url`; its output. Panics (the test fails) when psql does.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
