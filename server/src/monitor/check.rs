//! One check of one monitor, against the real target: an HTTP GET, a TCP
//! connect, or an HLS playlist fetch. Every request goes through the
//! outbound policy (no redirects, no proxy, names resolved to allowed
//! addresses only) and is bounded by the monitor's timeout and a body cap.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::domain::address::OutboundPolicy;
use app::domain::monitor::{MonitorKind, hls_fresh, judge_http, parse_playlist};
use app::error::{AppError, Result};
use app::store::{CheckResult, DueMonitor};
use chrono::{DateTime, Utc};

use super::target::{check_tcp, parse_tcp};
use crate::outbound;

/// The most of a body a check reads (a keyword or a playlist).
const BODY_CAP: usize = 1024 * 1024;
/// The most of a body read only to keep the connection (no keyword).
const DRAIN_CAP: usize = 64 * 1024;
/// The longest failure text kept.
const DETAIL_CAP: usize = 300;

/// Runs checks with one shared HTTP client.
pub struct Checker {
    http: reqwest::Client,
    policy: OutboundPolicy,
}

impl Checker {
    pub fn new(policy: OutboundPolicy) -> Result<Self> {
        let http = outbound::client_builder(policy)
            .user_agent(concat!("Marquee-Monitor/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| AppError::Internal(format!("monitor HTTP client: {e}")))?;
        Ok(Checker { http, policy })
    }

    /// Checks `m` now. Never fails: a target that cannot be reached is a
    /// failed check with the reason.
    pub async fn check(&self, m: &DueMonitor, now: DateTime<Utc>) -> CheckResult {
        let timeout = Duration::from_millis(u64::try_from(m.timeout_ms).unwrap_or(5_000));
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout, self.run(m, now, timeout)).await;
        let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let mut r = match outcome {
            Ok(r) => r,
            Err(_) => CheckResult {
                ok: false,
                latency_ms: None,
                detail: format!("no answer within {} ms", m.timeout_ms),
                hls_mark: m.hls_mark.clone(),
            },
        };
        if r.latency_ms.is_none() && r.ok {
            r.latency_ms = Some(elapsed);
        }
        r.detail = r.detail.chars().take(DETAIL_CAP).collect();
        r
    }

    async fn run(&self, m: &DueMonitor, now: DateTime<Utc>, timeout: Duration) -> CheckResult {
        let fail = |detail: String| CheckResult {
            ok: false,
            latency_ms: None,
            detail,
            hls_mark: m.hls_mark.clone(),
        };
        match m.kind {
            MonitorKind::Tcp => match self.connect(&m.target).await {
                Ok(ms) => CheckResult {
                    ok: true,
                    latency_ms: Some(ms),
                    detail: String::new(),
                    hls_mark: None,
                },
                Err(e) => fail(e),
            },
            MonitorKind::Http => {
                let want_body = m.keyword.is_some();
                match self.get(&m.target, timeout, want_body).await {
                    Err(e) => fail(e),
                    Ok((status, ms, body)) => {
                        let found = m
                            .keyword
                            .as_deref()
                            .map(|k| String::from_utf8_lossy(&body).contains(k));
                        let verdict =
                            judge_http(status, m.expect_status, found, ms, m.max_latency_ms);
                        CheckResult {
                            ok: verdict.is_ok(),
                            latency_ms: Some(ms),
                            detail: verdict.err().unwrap_or_default(),
                            hls_mark: None,
                        }
                    }
                }
            }
            MonitorKind::Hls => match self.get(&m.target, timeout, true).await {
                Err(e) => fail(e),
                Ok((status, _, _)) if !(200..300).contains(&status) => {
                    fail(format!("status {status} for the playlist"))
                }
                Ok((_, ms, body)) => match parse_playlist(&String::from_utf8_lossy(&body)) {
                    Err(e) => fail(e),
                    Ok(p) => {
                        let (fresh, mark) = hls_fresh(&p, m.hls_mark.as_ref(), now, m.stale_secs);
                        CheckResult {
                            ok: fresh.is_ok(),
                            latency_ms: Some(ms),
                            detail: fresh.err().unwrap_or_default(),
                            hls_mark: Some(mark),
                        }
                    }
                },
            },
        }
    }

    /// GETs `url`: the status, the milliseconds to the answer's headers,
    /// and (if asked) up to [`BODY_CAP`] bytes of the body.
    async fn get(
        &self,
        url: &str,
        timeout: Duration,
        body: bool,
    ) -> std::result::Result<(u16, i64, Vec<u8>), String> {
        let url = outbound::check_url(url, self.policy).map_err(|r| format!("refused: {r}"))?;
        let started = Instant::now();
        let res = self
            .http
            .get(url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let status = res.status().as_u16();
        // Read even when only the status matters (up to a little), so the
        // connection goes back to the pool instead of being cut mid-body.
        let bytes = outbound::read_limited(res, if body { BODY_CAP } else { DRAIN_CAP }).await;
        Ok((status, ms, bytes))
    }

    /// Connects to `host:port` (the first allowed address that answers);
    /// the milliseconds it took.
    async fn connect(&self, target: &str) -> std::result::Result<i64, String> {
        let t = parse_tcp(target).map_err(|r| format!("refused: {r}"))?;
        check_tcp(&t, self.policy).map_err(|r| format!("refused: {r}"))?;
        let found: Vec<SocketAddr> = tokio::net::lookup_host((t.host.as_str(), t.port))
            .await
            .map_err(|e| format!("cannot resolve {}: {e}", t.host))?
            .collect();
        let allowed: Vec<SocketAddr> = found
            .into_iter()
            .filter(|a| self.policy.check_ip(a.ip()).is_ok())
            .collect();
        if allowed.is_empty() {
            return Err(format!("refused: {} has no allowed address", t.host));
        }
        let started = Instant::now();
        let mut last = String::new();
        for addr in allowed {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(_) => return Ok(i64::try_from(started.elapsed().as_millis()).unwrap_or(0)),
                Err(e) => last = format!("connect: {e}"),
            }
        }
        Err(last)
    }
}

/// A request failure in words, without the URL (it is on the dashboard
/// already) and with the innermost cause ("Connection refused").
fn describe(e: &reqwest::Error) -> String {
    if outbound::is_refused(e) {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<outbound::RefusedAddress>() {
                return r.to_string();
            }
            source = s.source();
        }
    }
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let what = if e.is_connect() { "connect" } else { "request" };
    format!("{what}: {cause}")
}
