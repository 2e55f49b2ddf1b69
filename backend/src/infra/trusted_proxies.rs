//! The reverse proxies and load balancers in front of the instances, whose word on the
//! client's address is taken (`CALLVAULT_TRUSTED_PROXIES`).

use std::net::IpAddr;

use ipnet::IpNet;

/// Addresses and ranges; empty unless configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads `10.0.0.0/8, 192.0.2.7 2001:db8::/32`: commas or spaces between entries, a bare
    /// address meaning only itself.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "{entry:?} is neither an IP address nor a CIDR range (e.g. 10.0.0.0/8)"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_bare_addresses_are_read_and_matched() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 2001:db8::/32").expect("valid");
        assert!(proxies.contains("10.1.2.3".parse().expect("an address")));
        assert!(proxies.contains("192.0.2.7".parse().expect("an address")));
        assert!(!proxies.contains("192.0.2.8".parse().expect("an address")));
        assert!(proxies.contains("2001:db8::1".parse().expect("an address")));
        // An IPv4 peer seen on a dual-stack socket.
        assert!(proxies.contains("::ffff:10.0.0.1".parse().expect("an address")));
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        let error = TrustedProxies::parse("10.0.0.0/8, proxy.internal").expect_err("refused");
        assert!(error.contains("proxy.internal"), "{error}");
    }
}
