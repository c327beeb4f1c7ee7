//! One push message over HTTP: encrypted by [`super::ece`] (RFC 8291),
//! signed with the VAPID signature the `web-push` crate made (cached per
//! origin, see `vapid.rs`). The request is ours, so the worker sees every
//! status and `Retry-After` (the crate's own clients fold 429 into a
//! generic error and drop the header).

use std::time::Duration;

use app::error::{AppError, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use web_push::{SubscriptionInfo, VapidSignature};

/// The most of an error body kept (push services explain in a sentence).
const ERROR_BODY_LIMIT: usize = 1024;

/// What the push service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// `None` when it could not be reached (or timed out).
    pub status: Option<u16>,
    /// `Retry-After` in seconds, when given.
    pub retry_after: Option<i64>,
    /// A short description for the attempt log (never the payload).
    pub detail: String,
    /// The endpoint resolved only to addresses the outbound policy refuses.
    pub refused: bool,
}

/// Builds the HTTP client the worker shares: the outbound policy (public
/// addresses only, no redirects), connection reuse per push service, a
/// timeout so one stuck service cannot hold a slot forever, and an optional
/// extra root certificate.
pub fn client(
    ca_file: Option<&std::path::Path>,
    policy: app::domain::address::OutboundPolicy,
) -> Result<reqwest::Client> {
    let mut b = crate::outbound::client_builder(policy)
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(256)
        .user_agent(concat!("marquee/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            AppError::invalid(
                "push_ca_file",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
            AppError::invalid(
                "push_ca_file",
                format!("{} is not a PEM certificate: {e}", path.display()),
            )
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| AppError::Internal(format!("push HTTP client: {e}")))
}

/// The pieces of one message.
pub struct Outgoing<'a> {
    pub sub: &'a SubscriptionInfo,
    pub payload: &'a [u8],
    pub ttl: u32,
    pub urgency: app::domain::push::Urgency,
    pub topic: &'a str,
    pub signature: VapidSignature,
}

/// Encrypts and sends one message. Errors are only for messages that can
/// never be sent (bad keys); an unreachable service is an `Answer`.
pub async fn send(http: &reqwest::Client, m: Outgoing<'_>) -> Result<Answer> {
    let key = |field: &str, v: &str| {
        // Browsers give base64url without padding; some libraries pad.
        URL_SAFE_NO_PAD
            .decode(v.trim_end_matches('='))
            .map_err(|e| {
                AppError::invalid("subscription", format!("{field} is not base64url: {e}"))
            })
    };
    let ua_public = key("p256dh", &m.sub.keys.p256dh)?;
    let auth = key("auth", &m.sub.keys.auth)?;
    let body = super::ece::encrypt(&ua_public, &auth, m.payload)
        .map_err(|e| AppError::invalid("subscription", format!("cannot encrypt for it: {e}")))?;
    let urgency = match m.urgency {
        app::domain::push::Urgency::High => "high",
        app::domain::push::Urgency::Normal => "normal",
    };
    let req = http
        .post(m.sub.endpoint.as_str())
        .header("TTL", m.ttl.to_string())
        .header("Content-Type", "application/octet-stream")
        .header("Content-Encoding", "aes128gcm")
        .header("Urgency", urgency)
        .header("Topic", m.topic)
        .header(
            "Authorization",
            format!(
                "vapid t={}, k={}",
                m.signature.auth_t,
                URL_SAFE_NO_PAD.encode(&m.signature.auth_k)
            ),
        );
    match req.body(body).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after_value);
            // The reason a service gives (Mozilla and FCM send JSON) helps
            // whoever reads the attempt log; keep it short, and read no more
            // than that of what may be an endless body.
            let text = if res.status().is_success() {
                String::new()
            } else {
                let bytes = crate::outbound::read_limited(res, ERROR_BODY_LIMIT).await;
                String::from_utf8_lossy(&bytes).into_owned()
            };
            let detail: String = text.chars().take(200).collect();
            Ok(Answer {
                status: Some(status),
                retry_after,
                detail,
                refused: false,
            })
        }
        Err(e) => Ok(Answer {
            status: None,
            retry_after: None,
            refused: crate::outbound::is_refused(&e),
            detail: format!("unreachable: {}", without_url(e)),
        }),
    }
}

/// `Retry-After` as seconds from now: the delay form, or an HTTP date.
fn retry_after_value(v: &str) -> Option<i64> {
    app::domain::push::retry_after_secs(v).or_else(|| {
        chrono::DateTime::parse_from_rfc2822(v.trim())
            .ok()
            .map(|at| {
                (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .num_seconds()
                    .max(0)
            })
    })
}

/// The error without the endpoint URL: endpoints are capabilities (anyone
/// holding one can push to that browser), so they stay out of logs.
fn without_url(e: reqwest::Error) -> String {
    let timeout = e.is_timeout();
    let s = e.without_url().to_string();
    if timeout {
        format!("timed out ({s})")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after_value("30"), Some(30));
        let at = chrono::Utc::now() + chrono::Duration::seconds(90);
        let got = retry_after_value(&at.to_rfc2822()).unwrap();
        assert!((88..=90).contains(&got), "{got}");
        assert_eq!(retry_after_value("soon"), None);
    }
}
