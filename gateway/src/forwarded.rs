//! The client's address behind reverse proxies. A request's peer is the client unless it is a
//! trusted proxy (`server.trusted_proxies`); then the forwarding headers it adds name the hops,
//! and the client is the nearest hop that is not itself trusted. Headers from anyone else are
//! ignored: a client could write any address into them.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use axum::http::header::FORWARDED;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Box<[IpNet]>);

impl TrustedProxies {
    pub fn new(nets: &[IpNet]) -> TrustedProxies {
        TrustedProxies(nets.into())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that arrived from `peer`. An address taken from a header has no
    /// port the gateway can know: it is given as 0.
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
        if self.0.is_empty() || !self.trusts(peer.ip()) {
            return peer;
        }
        let Some(hops) = hops(headers) else {
            return peer;
        };
        // Right to left: each trusted proxy appended the address it got the request from.
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusts(*ip) => continue,
                Some(ip) => return SocketAddr::new(*ip, 0),
                // An obfuscated or unknown hop: nothing beyond it can be believed.
                None => return peer,
            }
        }
        // Every hop is a trusted proxy: the first is the closest to the client there is.
        hops.first()
            .copied()
            .flatten()
            .map_or(peer, |ip| SocketAddr::new(ip, 0))
    }
}

/// The hops the forwarding headers name, nearest the client first: RFC 7239 `Forwarded`
/// (`for=` of each element, over every header line) when present, else `X-Forwarded-For`.
/// `None` for a hop that is not an address (`unknown`, `_hidden`, garbage).
fn hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let forwarded: Vec<Option<IpAddr>> = headers
        .get_all(FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for")
                    .then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return Some(forwarded);
    }
    let xff: Vec<Option<IpAddr>> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect();
    (!xff.is_empty()).then_some(xff)
}

/// An address with or without a port: `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .and_then(|n| n.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn only_trusted_peers_are_believed_and_the_nearest_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::new(&[
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ]);
        let proxy: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        let stranger: SocketAddr = "198.51.100.9:5000".parse().unwrap();
        let client = |peer, pairs: &[(&'static str, &'static str)]| {
            trusted.client(peer, &headers(pairs)).to_string()
        };
        // A stranger's headers are ignored.
        assert_eq!(
            client(stranger, &[("x-forwarded-for", "203.0.113.7")]),
            "198.51.100.9:5000"
        );
        // Through a trusted proxy: the header's client.
        assert_eq!(
            client(proxy, &[("x-forwarded-for", "203.0.113.7")]),
            "203.0.113.7:0"
        );
        // A spoofed leftmost entry does not win: the nearest untrusted hop does.
        assert_eq!(
            client(
                proxy,
                &[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.9.9.9")]
            ),
            "203.0.113.7:0"
        );
        // Several header lines read as one list.
        assert_eq!(
            client(
                proxy,
                &[
                    ("x-forwarded-for", "1.1.1.1"),
                    ("x-forwarded-for", "203.0.113.8")
                ]
            ),
            "203.0.113.8:0"
        );
        // RFC 7239 wins over X-Forwarded-For, with quoted IPv6 and ports.
        assert_eq!(
            client(
                proxy,
                &[
                    (
                        "forwarded",
                        "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.5"
                    ),
                    ("x-forwarded-for", "203.0.113.9"),
                ]
            ),
            "[2001:db8:cafe::17]:0"
        );
        // An unknown hop before any untrusted one: nothing beyond it is believed.
        assert_eq!(
            client(proxy, &[("forwarded", "for=unknown, for=10.0.0.5")]),
            "10.1.2.3:5000"
        );
        // No header from a trusted proxy: the proxy is all there is.
        assert_eq!(client(proxy, &[]), "10.1.2.3:5000");
        // Nothing trusted: the peer, whatever the headers say.
        assert_eq!(
            TrustedProxies::default()
                .client(proxy, &headers(&[("x-forwarded-for", "203.0.113.7")]))
                .to_string(),
            "10.1.2.3:5000"
        );
        // An IPv4 proxy on a dual-stack socket.
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert_eq!(
            client(mapped, &[("x-forwarded-for", "203.0.113.7")]),
            "203.0.113.7:0"
        );
    }
}
