//! The client's address. Behind a reverse proxy every connection comes from the proxy, so only for
//! connections from configured trusted proxies the address is read from the header they write
//! (`X-Forwarded-For`, or `Forwarded` per RFC 7239, as configured): the right-most hop that is not itself a
//! trusted proxy. Anyone else could write
//! anything into those headers, so from other senders they are ignored. Every throttle, cap, audit entry and
//! log line uses the address found here.
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The key for per-address limits: an IPv4 address as it is, an IPv6 address by its /64 network (one
/// household or phone line gets a whole /64 and could otherwise rotate through it).
pub fn network_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The IPv6 /48 of an address (a whole site), for a wider limit; `None` for IPv4.
pub fn site_key(addr: IpAddr) -> Option<String> {
    match addr {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
        _ => None,
    }
}

/// An address or a CIDR range (`10.0.0.0/8`, `192.0.2.1`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = text.split_once('/').map_or((text, None), |(a, p)| (a, Some(p)));
        let network: IpAddr =
            address.parse().map_err(|_| format!("„{text}“ ist keine IP-Adresse und kein CIDR-Bereich"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => {
                p.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(|| format!("„{text}“: Präfix ungültig"))?
            }
        };
        Ok(IpRange { network: network.to_canonical(), prefix })
    }
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let mask = |bits: u32, width: u32| if bits == 0 { 0 } else { u128::MAX << (width - bits) };
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let m = mask(u32::from(self.prefix), 32) as u32;
                u32::from(net) & m == u32::from(ip) & m
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let m = mask(u32::from(self.prefix), 128);
                u128::from(net) & m == u128::from(ip) & m
            }
            _ => false,
        }
    }
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1` → the address.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    text.parse::<IpAddr>().ok().or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The header the trusted proxies write. Only that one is read: a proxy that writes `X-Forwarded-For` passes
/// a client's own `Forwarded` header on unchanged (nginx and Caddy do), so reading whichever is present
/// would let a client name any address it likes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardedHeader {
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// The hops a request passed, the client first, from the one header the proxies write.
fn hops(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    };
    if header == ForwardedHeader::Forwarded {
        return values("forwarded")
            .iter()
            .flat_map(|value| value.split(','))
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    key.trim().eq_ignore_ascii_case("for").then(|| parse_hop(value)).flatten()
                })
            })
            .collect();
    }
    values("x-forwarded-for").iter().flat_map(|value| value.split(',')).map(parse_hop).collect()
}

/// The client's address for a connection from `peer` carrying `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange], header: ForwardedHeader) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in hops(headers, header).into_iter().rev() {
        // A hop our own proxy could not name ends the walk: the last address known is the best we have.
        let Some(hop) = hop.map(|ip| ip.to_canonical()) else { break };
        client = hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

/// The resolved client address, put on every request by `app`'s middleware (see [`resolve`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let found = parts.extensions.get::<ClientIp>().copied();
        // Without the middleware (never in the service) the connection's own address is the answer.
        let peer = || parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| ClientIp(c.0.ip()));
        Ok(found.or_else(peer).unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0]))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_network() {
        let key = |a: &str| network_key(a.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"), "one /64");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        let site = |a: &str| site_key(a.parse().unwrap());
        assert_eq!(site("2001:db8:1:2::1"), site("2001:db8:1:ffff::1"), "one /48");
        assert_eq!(site("203.0.113.7"), None);
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges() {
        let range: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(range.contains(ip("10.200.1.2")));
        assert!(!range.contains(ip("11.0.0.1")));
        assert!(range.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6 counts as IPv4");
        let one: IpRange = "192.0.2.1".parse().unwrap();
        assert!(one.contains(ip("192.0.2.1")) && !one.contains(ip("192.0.2.2")));
        assert!("fd00::/8".parse::<IpRange>().unwrap().contains(ip("fd12::1")));
        assert!("0.0.0.0/0".parse::<IpRange>().unwrap().contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "proxy.internal", "10.0.0.0/x", ""] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    use ForwardedHeader::Forwarded;

    #[test]
    fn only_trusted_proxies_may_name_the_client() {
        let trusted: Vec<IpRange> = vec!["10.0.0.0/8".parse().unwrap()];
        let xff = headers(&[("x-forwarded-for", "198.51.100.7, 10.0.0.5")]);
        assert_eq!(resolve(ip("10.0.0.1"), &xff, &trusted, XFF), ip("198.51.100.7"), "right-most untrusted hop");
        assert_eq!(
            resolve(ip("203.0.113.1"), &xff, &trusted, XFF),
            ip("203.0.113.1"),
            "untrusted sender: header ignored"
        );
        assert_eq!(resolve(ip("10.0.0.1"), &xff, &[], XFF), ip("10.0.0.1"), "no proxies configured");
        // A client that puts a fake address in front gains nothing: the proxy appends the real one.
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7")]);
        assert_eq!(resolve(ip("10.0.0.1"), &spoofed, &trusted, XFF), ip("198.51.100.7"));
        let forwarded = headers(&[
            ("forwarded", "for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https"),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        assert_eq!(resolve(ip("10.0.0.1"), &forwarded, &trusted, Forwarded), ip("2001:db8:cafe::17"));
        assert_eq!(resolve(ip("10.0.0.1"), &forwarded, &trusted, XFF), ip("9.9.9.9"), "only the configured header");
        let smuggled = headers(&[("forwarded", "for=6.6.6.6"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &smuggled, &trusted, XFF),
            ip("198.51.100.7"),
            "a client's Forwarded is ignored"
        );
        let split = headers(&[("x-forwarded-for", "198.51.100.7"), ("x-forwarded-for", "10.0.0.9")]);
        assert_eq!(resolve(ip("10.0.0.1"), &split, &trusted, XFF), ip("198.51.100.7"), "several header lines");
        let garbage = headers(&[("x-forwarded-for", "unknown, 10.0.0.9")]);
        assert_eq!(resolve(ip("10.0.0.1"), &garbage, &trusted, XFF), ip("10.0.0.9"));
        assert_eq!(resolve(ip("10.0.0.1"), &HeaderMap::new(), &trusted, XFF), ip("10.0.0.1"));
    }
}
