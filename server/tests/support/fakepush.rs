//! The loopback push service of `support/push/fakepush.py` (see
//! `tests/push.rs` for what it checks), for tests that count at the sink.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::process::{free_addr, http};

pub fn python() -> PathBuf {
    let p = std::env::var_os("MARQUEE_TEST_PYTHON").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tools/venv/bin/python"
            ))
        },
        PathBuf::from,
    );
    assert!(
        p.exists(),
        "{} is missing: run `scripts/setup.sh test` (it installs aiohttp, http_ece, cryptography)",
        p.display()
    );
    p
}

fn support(file: &str) -> String {
    format!("{}/tests/support/push/{file}", env!("CARGO_MANIFEST_DIR"))
}

pub struct FakePush {
    child: Child,
    pub addr: String,
    pub subs: Vec<Value>,
    _dir: tempfile::TempDir,
}

impl Drop for FakePush {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FakePush {
    /// `n` browsers' subscriptions (`s0`…), checking VAPID against
    /// `vapid_pub` and decrypting every message.
    pub fn start(n: usize, vapid_pub: &str) -> FakePush {
        Self::start_with_latency(n, vapid_pub, 0)
    }

    /// The same, answering each push `latency_ms` after it arrives (a
    /// real push service's round trip), so a burst lasts a while however
    /// fast the sender is.
    pub fn start_with_latency(n: usize, vapid_pub: &str, latency_ms: u32) -> FakePush {
        let dir = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let port = addr.rsplit_once(':').unwrap().1;
        let out = Command::new(python())
            .args([&support("mkkeys.py"), &n.to_string(), port])
            .arg(dir.path())
            .args(["--special", "", "--scheme", "http"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut child = Command::new(python())
            .args([
                &support("fakepush.py"),
                "--port",
                port,
                "--vapid-pub",
                vapid_pub,
                "--latency-ms",
                &latency_ms.to_string(),
                "--keys",
            ])
            .arg(dir.path().join("subs.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("listening"), "fakepush said {line:?}");
        let subs: Vec<Value> =
            serde_json::from_slice(&std::fs::read(dir.path().join("subscriptions.json")).unwrap())
                .unwrap();
        FakePush {
            child,
            addr,
            subs,
            _dir: dir,
        }
    }

    pub fn stats(&self) -> Value {
        let (code, body) = http(&self.addr, "GET", "/stats", None, "");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Messages accepted (each one a push that reached a browser).
    pub fn ok(&self) -> i64 {
        self.stats()["ok"].as_i64().unwrap()
    }

    /// The same message (same decrypted payload) accepted more than once
    /// for one subscription: (sid, copies). Different notices to one
    /// subscription are not duplicates.
    pub fn twice(&self) -> Vec<(String, usize)> {
        let mut v = Vec::new();
        for i in 0..self.subs.len() {
            let sid = format!("s{i}");
            let (code, body) = http(&self.addr, "GET", &format!("/inbox/{sid}"), None, "");
            assert_eq!(code, 200, "{body}");
            let inbox: Vec<Value> = serde_json::from_str(&body).unwrap();
            let mut seen = std::collections::HashMap::new();
            for m in &inbox {
                *seen.entry(m["data"].to_string()).or_insert(0usize) += 1;
            }
            v.extend(
                seen.into_values()
                    .filter(|n| *n > 1)
                    .map(|n| (sid.clone(), n)),
            );
        }
        v
    }

    /// Subscriptions that never got a message.
    pub fn never(&self) -> Vec<usize> {
        let stats = self.stats();
        (0..self.subs.len())
            .filter(|i| stats["attempts"][format!("s{i}")].as_i64().unwrap_or(0) == 0)
            .collect()
    }

    pub fn assert_no_errors(&self) {
        let stats = self.stats();
        assert_eq!(
            stats["errors"],
            serde_json::json!([]),
            "the push service refused something: {stats}"
        );
    }
}
