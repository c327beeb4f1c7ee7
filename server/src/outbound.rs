//! Requests to URLs a stranger chose (push endpoints now, webhooks later),
//! under [`app::domain::address`]'s rule: the URL is judged as the HTTP
//! client itself parses it (`2130706433` and `0x7f.1` are 127.0.0.1 to
//! it), names are judged by what they resolve to at every connection (a
//! resolver that drops non-public answers, so DNS rebinding finds nothing
//! to connect to), no redirect is followed, no proxy from the environment
//! is used, and error bodies are read only so far.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::domain::address::{Host, OutboundPolicy, Refusal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Parses `url` as the client will and applies `policy` to its scheme and
/// host. Credentials in the URL are refused (they hide the host from a
/// careless reader).
pub fn check_url(url: &str, policy: OutboundPolicy) -> Result<reqwest::Url, Refusal> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Refusal(format!("is not an absolute URL ({e})")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refusal("must not carry a user name or password".into()));
    }
    let host = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => Host::Ip(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Host::Ip(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => Host::Name(name),
        None => return Err(Refusal("must name a host".into())),
    };
    policy.check_target(parsed.scheme(), host)?;
    Ok(parsed)
}

/// A client builder with the policy's resolver, no redirects and no proxy.
pub fn client_builder(policy: OutboundPolicy) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver { policy }))
}

/// Resolves with the system resolver and keeps only the addresses the
/// policy allows; none left is an error the caller can recognise
/// ([`is_refused`]).
struct PolicyResolver {
    policy: OutboundPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.check_ip(a.ip()).is_ok())
                .collect();
            if allowed.is_empty() {
                let why = found.first().map_or_else(
                    || "no address".to_owned(),
                    |a| {
                        policy
                            .check_ip(a.ip())
                            .err()
                            .map(|r| r.0)
                            .unwrap_or_default()
                    },
                );
                return Err(Box::new(RefusedAddress(format!("{host}: {why}")))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A name resolved only to addresses the policy refuses.
#[derive(Debug)]
pub struct RefusedAddress(pub String);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused address: {}", self.0)
    }
}

impl std::error::Error for RefusedAddress {}

/// Whether a request failed because the resolver refused every address.
pub fn is_refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<RefusedAddress>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Reads at most `max` bytes of a response body and drops the rest (an
/// endless error body must not fill memory).
pub async fn read_limited(mut res: reqwest::Response, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < max {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(max - out.len());
                out.extend_from_slice(&chunk[..take]);
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: OutboundPolicy = OutboundPolicy {
        allow_loopback: false,
    };

    #[test]
    fn urls_are_judged_as_the_client_parses_them() {
        assert!(check_url("https://fcm.googleapis.com/fcm/send/x", STRICT).is_ok());
        for url in [
            "https://127.0.0.1:9/x",
            // Other spellings of loopback, as a WHATWG parser reads them.
            "https://2130706433/x",
            "https://0x7f.1/x",
            "https://127.1/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[::1]:8443/x",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost:9/x",
            "http://push.example/x",
            "https://user:pw@push.example/x",
            "https://push.example@127.0.0.1/x",
            "not a url",
        ] {
            assert!(check_url(url, STRICT).is_err(), "{url} accepted");
        }
        let local = OutboundPolicy {
            allow_loopback: true,
        };
        assert!(check_url("http://127.0.0.1:8080/push/1", local).is_ok());
        assert!(check_url("https://10.0.0.1/x", local).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_at_connection_time() {
        // `localhost` comes from the hosts file: no network is asked.
        let r = PolicyResolver { policy: STRICT };
        let err = r
            .resolve("localhost".parse::<Name>().unwrap())
            .await
            .err()
            .expect("localhost must be refused");
        assert!(err.is::<RefusedAddress>(), "{err}");
        let open = PolicyResolver {
            policy: OutboundPolicy {
                allow_loopback: true,
            },
        };
        let addrs: Vec<SocketAddr> = open
            .resolve("localhost".parse::<Name>().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
