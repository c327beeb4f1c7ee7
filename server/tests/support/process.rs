//! A real `marquee` process for the tests that need one (a database lost
//! under it, a `kill -9` mid-burst): run subcommands, serve, talk HTTP/1.0.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_marquee");

/// Kills the process however the test ends.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback address (`127.0.0.1:port`).
pub fn free_addr() -> String {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

/// One HTTP/1.0 exchange (close-delimited body): status and body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    http_with(addr, method, path, token, "application/json", body)
}

pub fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
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

/// Runs a subcommand to completion on database `db`; its stdout.
pub fn run(db: &str, args: &[&str]) -> String {
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

/// Polls `pred` on `path`'s body for up to `secs` seconds; the last body.
pub fn wait_for_secs(addr: &str, path: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let body = TcpStream::connect(addr)
            .ok()
            .map(|_| http(addr, "GET", path, None, "").1)
            .unwrap_or_default();
        if pred(&body) || start.elapsed() > Duration::from_secs(secs) {
            return body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// [`wait_for_secs`] for ten seconds.
pub fn wait_for(addr: &str, path: &str, pred: impl Fn(&str) -> bool) -> String {
    wait_for_secs(addr, path, 10, pred)
}

/// `marquee serve` on `addr` with an empty site root and extra settings.
pub fn serve(db: &str, addr: &str, site: &std::path::Path, env: &[(&str, &str)]) -> Server {
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--addr", addr, "--site-root"])
        .arg(site)
        .env("MARQUEE_DATABASE_URL", db)
        .env(
            "RUST_LOG",
            std::env::var("MARQUEE_TEST_LOG").unwrap_or("warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(if std::env::var("MARQUEE_TEST_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        });
    for (k, v) in env {
        cmd.env(k, v);
    }
    Server(cmd.spawn().unwrap())
}
