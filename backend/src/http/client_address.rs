//! The client's address. It is the TCP peer, unless the peer is one of the configured trusted
//! proxies (`CALLVAULT_TRUSTED_PROXIES`): then it is the right-most address of `Forwarded` (or,
//! without it, `X-Forwarded-For`) that is not itself a trusted proxy. Every address to its left
//! was written by someone the proxies do not vouch for, and anyone can write those. A header
//! that does not read as addresses is ignored, and the peer is the client.
//!
//! The throttle, the audit log's origin, the sessions list and the request logs all take the
//! address from here.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Data;

use crate::infra::trusted_proxies::TrustedProxies;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address for a request in a handler or an extractor.
pub fn of(request: &HttpRequest) -> String {
    resolve(
        request.peer_addr(),
        request.headers(),
        request
            .app_data::<Data<TrustedProxies>>()
            .map(|data| &***data),
    )
}

/// The same, for a request still in the middleware.
pub fn of_service_request(request: &ServiceRequest) -> String {
    resolve(
        request.peer_addr(),
        request.headers(),
        request
            .app_data::<Data<TrustedProxies>>()
            .map(|data| &***data),
    )
}

fn resolve(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: Option<&TrustedProxies>,
) -> String {
    let Some(peer) = peer.map(|peer| peer.ip().to_canonical()) else {
        return "unknown".into();
    };
    let Some(trusted) = trusted.filter(|trusted| trusted.contains(peer)) else {
        return peer.to_string();
    };
    let chain = if headers.contains_key(header::FORWARDED) {
        forwarded_for(headers)
    } else {
        x_forwarded_for(headers)
    };
    let Some(chain) = chain.filter(|chain| !chain.is_empty()) else {
        return peer.to_string();
    };
    chain
        .iter()
        .rev()
        .find(|address| !trusted.contains(**address))
        .or(chain.first())
        .map_or_else(
            || peer.to_string(),
            |address| address.to_canonical().to_string(),
        )
}

/// The `for=` addresses of every `Forwarded` element, in order; none if any is missing or is
/// not an address (`unknown`, an obfuscated `_name`).
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(header::FORWARDED) {
        for element in value.to_str().ok()?.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then_some(value.trim())
            })?;
            chain.push(node_address(node.trim_matches('"'))?);
        }
    }
    Some(chain)
}

/// Every address of every `X-Forwarded-For` line, in order; none if any is not an address.
fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        for node in value.to_str().ok()?.split(',') {
            chain.push(node_address(node.trim())?);
        }
    }
    Some(chain)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|address| address.ip()))
        .or_else(|| {
            node.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("a name"),
                HeaderValue::from_str(value).expect("a value"),
            );
        }
        map
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().expect("an address"), 40000))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        let claims = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(
            resolve(peer("203.0.113.5"), &claims, Some(&trusted)),
            "203.0.113.5"
        );
        assert_eq!(resolve(peer("10.0.0.2"), &claims, None), "10.0.0.2");
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_address_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        // A client that forged the left-most entry, then a trusted inner proxy.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.0.0.7")]);
        assert_eq!(
            resolve(peer("10.0.0.2"), &chain, Some(&trusted)),
            "198.51.100.9"
        );
        let two_lines = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.9"),
        ]);
        assert_eq!(
            resolve(peer("10.0.0.2"), &two_lines, Some(&trusted)),
            "198.51.100.9"
        );
        let forwarded = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.7"#,
            ),
            ("x-forwarded-for", "1.2.3.4"),
        ]);
        assert_eq!(
            resolve(peer("10.0.0.2"), &forwarded, Some(&trusted)),
            "2001:db8:cafe::17"
        );
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.7")]);
        assert_eq!(
            resolve(peer("10.0.0.2"), &all_trusted, Some(&trusted)),
            "10.9.9.9"
        );
    }

    #[test]
    fn a_malformed_header_leaves_the_peer() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        for bad in [
            headers(&[("x-forwarded-for", "198.51.100.9, not-an-address")]),
            headers(&[("forwarded", "for=unknown")]),
            headers(&[("forwarded", "proto=https")]),
            headers(&[("x-forwarded-for", "")]),
            headers(&[]),
        ] {
            assert_eq!(resolve(peer("10.0.0.2"), &bad, Some(&trusted)), "10.0.0.2");
        }
    }
}
