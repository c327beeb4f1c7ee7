//! Judging a monitor's target when it is set, by the outbound address rule
//! ([`app::domain::address`]): URLs as the HTTP client parses them, TCP
//! targets as `host:port`. Names are judged again at every connection.

use std::net::IpAddr;

use app::domain::address::{Host, OutboundPolicy, Refusal};
use app::domain::monitor::MonitorKind;

/// A TCP target's host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpTarget {
    pub host: String,
    pub port: u16,
}

/// Parses `host:port` (`[::1]:22` for IPv6).
pub fn parse_tcp(target: &str) -> Result<TcpTarget, Refusal> {
    let (host, port) = target
        .trim()
        .rsplit_once(':')
        .ok_or_else(|| Refusal("must be host:port".into()))?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| Refusal(format!("port {port:?} is not a port number")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err(Refusal("must be host:port".into()));
    }
    Ok(TcpTarget {
        host: host.to_owned(),
        port,
    })
}

/// Whether a TCP host may be connected to (IPs now, names by shape).
pub fn check_tcp(t: &TcpTarget, policy: OutboundPolicy) -> Result<(), Refusal> {
    match t.host.parse::<IpAddr>() {
        Ok(ip) => policy.check_ip(ip),
        // The scheme rule is for HTTP; a TCP target has none.
        Err(_) => policy.check_target("https", Host::Name(&t.host)),
    }
}

/// Judges a target for its kind; the refusal names what is wrong.
pub fn check_target(
    kind: MonitorKind,
    target: &str,
    policy: OutboundPolicy,
) -> Result<(), Refusal> {
    match kind {
        MonitorKind::Http | MonitorKind::Hls => {
            crate::outbound::check_url(target.trim(), policy).map(|_| ())
        }
        MonitorKind::Tcp => check_tcp(&parse_tcp(target)?, policy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: OutboundPolicy = OutboundPolicy {
        allow_loopback: false,
    };
    const LOOPBACK: OutboundPolicy = OutboundPolicy {
        allow_loopback: true,
    };

    #[test]
    fn targets_are_judged_by_the_outbound_rule() {
        assert!(check_target(MonitorKind::Http, "https://example.org/health", STRICT).is_ok());
        assert!(check_target(MonitorKind::Http, "http://127.0.0.1:8080/", STRICT).is_err());
        assert!(check_target(MonitorKind::Http, "http://127.0.0.1:8080/", LOOPBACK).is_ok());
        assert!(check_target(MonitorKind::Hls, "not a url", LOOPBACK).is_err());
        assert!(check_target(MonitorKind::Tcp, "example.org:443", STRICT).is_ok());
        assert!(check_target(MonitorKind::Tcp, "10.0.0.1:22", LOOPBACK).is_err());
        assert!(check_target(MonitorKind::Tcp, "[::1]:22", STRICT).is_err());
        assert!(check_target(MonitorKind::Tcp, "[::1]:22", LOOPBACK).is_ok());
        assert!(check_target(MonitorKind::Tcp, "localhost:22", STRICT).is_err());
        for bad in ["example.org", "example.org:0", "example.org:http", ":80"] {
            assert!(parse_tcp(bad).is_err(), "{bad}");
        }
    }
}
