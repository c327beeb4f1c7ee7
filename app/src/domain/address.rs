//! Where the server may send a request that a stranger chose the target of
//! (a push endpoint today, webhooks later). Pure: the caller parses the URL
//! with the same parser its HTTP client uses and passes the scheme and host;
//! names are checked again by the caller's resolver on every connection, so
//! a name that resolves to a private address (or is rebound to one between
//! the check and the request) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kinds of address that are never a legitimate target on the public
/// internet (RFC 6890 and friends), and the one that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Loopback,
    /// RFC 1918, IPv6 unique local (fc00::/7).
    Private,
    /// 169.254/16 (cloud metadata services live there), fe80::/10.
    LinkLocal,
    /// 100.64/10, carrier-grade NAT.
    SharedCgnat,
    Multicast,
    /// 0.0.0.0/8, `::`.
    Unspecified,
    /// Broadcast, documentation, benchmarking, reserved ranges.
    Reserved,
}

impl AddressClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
            AddressClass::SharedCgnat => "shared (CGNAT)",
            AddressClass::Multicast => "multicast",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Reserved => "reserved",
        }
    }
}

/// What kind of address `ip` is. IPv4 addresses embedded in IPv6
/// (mapped, compatible, NAT64 64:ff9b::/96) are judged as IPv4, since that
/// is where a connection to them ends up.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_private() {
        AddressClass::Private
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if a == 100 && (64..128).contains(&b) {
        AddressClass::SharedCgnat
    } else if ip.is_multicast() {
        AddressClass::Multicast
    } else if ip.is_broadcast()
        || ip.is_documentation()
        || a >= 240
        // 192.0.0.0/24 (IETF protocol assignments), 198.18/15 (benchmarking)
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
    {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible ::a.b.c.d
    if (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0; 4])
        || (seg[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback())
    {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_multicast() {
        AddressClass::Multicast
    } else if (seg[0] & 0xfe00) == 0xfc00 {
        AddressClass::Private
    } else if (seg[0] & 0xffc0) == 0xfe80 || (seg[0] & 0xffc0) == 0xfec0 {
        // link-local, and the deprecated site-local
        AddressClass::LinkLocal
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 || (seg[0] & 0xe000) != 0x2000 {
        // documentation, and everything outside global unicast 2000::/3
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

/// The host part of a URL as the caller's URL parser understood it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

/// Why a target was refused, in words for the person who gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The rule for outgoing requests to stranger-chosen targets: https to
/// public addresses only. `allow_loopback` (off unless a deployment's
/// tests or benchmarks switch it on) also lets plain http and https reach
/// this machine's loopback, never any other non-public range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboundPolicy {
    pub allow_loopback: bool,
}

impl OutboundPolicy {
    /// Whether a connection to `ip` may be made.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            AddressClass::Public => Ok(()),
            AddressClass::Loopback if self.allow_loopback => Ok(()),
            class => Err(Refusal(format!(
                "{ip} is a {} address; only public addresses are allowed",
                class.as_str()
            ))),
        }
    }

    /// Whether a URL with this scheme and host may be requested. IP hosts
    /// are judged here; names only by shape (the resolver judges what they
    /// resolve to, at every connection).
    pub fn check_target(&self, scheme: &str, host: Host<'_>) -> Result<(), Refusal> {
        let loopback = match host {
            Host::Ip(ip) => {
                self.check_ip(ip)?;
                ip.is_loopback()
            }
            Host::Name(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    return Err(Refusal("must name a host".into()));
                }
                let local = name == "localhost" || name.ends_with(".localhost");
                if local && !self.allow_loopback {
                    return Err(Refusal(format!("{name} is this machine")));
                }
                local
            }
        };
        match scheme {
            "https" => Ok(()),
            "http" if loopback && self.allow_loopback => Ok(()),
            _ => Err(Refusal("must be an https URL".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_non_public_range_is_named_as_such() {
        let cases = [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.2", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("fd00::1", AddressClass::Private),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("100.64.0.1", AddressClass::SharedCgnat),
            ("100.127.255.254", AddressClass::SharedCgnat),
            ("224.0.0.1", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("0.0.0.0", AddressClass::Unspecified),
            ("0.1.2.3", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("255.255.255.255", AddressClass::Reserved),
            ("240.0.0.1", AddressClass::Reserved),
            ("192.0.2.1", AddressClass::Reserved),
            ("2001:db8::1", AddressClass::Reserved),
            // IPv4 hidden in IPv6 is judged as the IPv4 it reaches.
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("::ffff:169.254.169.254", AddressClass::LinkLocal),
            ("64:ff9b::a00:1", AddressClass::Private),
            ("::10.0.0.1", AddressClass::Private),
            ("8.8.8.8", AddressClass::Public),
            ("100.63.255.255", AddressClass::Public),
            ("2a00:1450:4001::200e", AddressClass::Public),
            ("::ffff:8.8.8.8", AddressClass::Public),
        ];
        for (addr, class) in cases {
            assert_eq!(classify(ip(addr)), class, "{addr}");
        }
    }

    #[test]
    fn only_https_to_public_hosts_unless_loopback_is_switched_on() {
        let strict = OutboundPolicy::default();
        assert!(
            strict
                .check_target("https", Host::Name("fcm.googleapis.com"))
                .is_ok()
        );
        assert!(
            strict
                .check_target("https", Host::Ip(ip("8.8.8.8")))
                .is_ok()
        );
        for (scheme, host) in [
            ("http", Host::Name("push.example")),
            ("http", Host::Ip(ip("127.0.0.1"))),
            ("https", Host::Ip(ip("127.0.0.2"))),
            ("https", Host::Ip(ip("::1"))),
            ("https", Host::Name("localhost")),
            ("https", Host::Name("LocalHost.")),
            ("https", Host::Name("api.localhost")),
            ("https", Host::Ip(ip("10.0.0.5"))),
            ("https", Host::Ip(ip("169.254.169.254"))),
            ("ftp", Host::Name("push.example")),
        ] {
            assert!(
                strict.check_target(scheme, host).is_err(),
                "{scheme} {host:?}"
            );
        }
        let tests = OutboundPolicy {
            allow_loopback: true,
        };
        assert!(
            tests
                .check_target("http", Host::Ip(ip("127.0.0.1")))
                .is_ok()
        );
        assert!(tests.check_target("http", Host::Name("localhost")).is_ok());
        assert!(tests.check_target("https", Host::Ip(ip("::1"))).is_ok());
        // The switch opens loopback only: never the neighbours, never plain
        // http to anyone else.
        assert!(
            tests
                .check_target("https", Host::Ip(ip("192.168.0.1")))
                .is_err()
        );
        assert!(
            tests
                .check_target("http", Host::Name("push.example"))
                .is_err()
        );
        let e = strict.check_ip(ip("169.254.169.254")).unwrap_err();
        assert!(e.0.contains("link-local"), "{e}");
    }
}
