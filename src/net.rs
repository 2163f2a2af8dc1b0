//! Outbound network policy for requests that carry a key to a configured host (LLM providers).
//!
//! A base URL is checked when the configuration loads ([`crate::config::LlmConfig::check_base_url`]);
//! at request time the [`GuardedResolver`] refuses names that resolve to internal addresses
//! (unless the operator listed the host), so a DNS answer cannot turn an allowed name into the
//! cloud metadata service or Redis, and redirects are followed only within the same origin, so a
//! key never leaves for another host.

use crate::config::LlmConfig;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Loopback, private (RFC 1918, unique-local), link-local (the metadata service), carrier-grade
/// NAT, unspecified, broadcast, multicast and documentation ranges: nothing an LLM lives on
/// unless the operator says so.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_v4(v4);
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link local fe80::/10
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64 (maps IPv4, possibly internal)
        }
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24
        || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
        || o[0] >= 240
}

/// A DNS resolver that drops internal addresses for hosts the operator did not list.
pub struct GuardedResolver {
    policy: LlmConfig,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allowed = self.policy.private_allowed_any_port(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = addrs.into_iter().filter(|a| allowed || !is_internal(a.ip())).collect();
            if usable.is_empty() {
                return Err(format!("{host} resolves only to internal addresses, which the LLM policy refuses").into());
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for LLM calls: guarded resolution, same-origin redirects only, and a refusal
/// of IP-literal internal hosts the policy does not list (those skip the resolver).
pub fn llm_client(policy: &LlmConfig) -> reqwest::Result<reqwest::Client> {
    let guard = policy.clone();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("dossier/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver { policy: policy.clone() }))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let first = attempt.previous().first().cloned();
            let to = attempt.url().clone();
            let same = first.is_some_and(|f| f.origin() == to.origin());
            if !same {
                tracing::warn!("an LLM endpoint redirected to another host; not followed");
                return attempt.stop();
            }
            if attempt.previous().len() >= 5 {
                return attempt.error("too many redirects");
            }
            if guard.check_base_url(to.as_str()).is_err() {
                return attempt.stop();
            }
            attempt.follow()
        }))
        .build()
}

/// Checks a URL right before a request that carries a key: the configuration was checked at
/// load, but settings stored earlier or a file edited since must not slip through.
pub fn check_request_url(policy: &LlmConfig, url: &str) -> Result<(), String> {
    policy.check_base_url(url)
}

impl LlmConfig {
    /// [`LlmConfig::private_allowed`] for a resolver, which sees the host but not the port.
    pub fn private_allowed_any_port(&self, host: &str) -> bool {
        let strip = |e: &str| -> String {
            let e = e.trim();
            match e.rsplit_once(':') {
                Some((h, p)) if p.parse::<u16>().is_ok() && (!h.contains(':') || h.starts_with('[')) => {
                    h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
                }
                _ => e.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase(),
            }
        };
        let host = host.to_ascii_lowercase();
        self.allow_private_hosts
            .iter()
            .chain(self.allow_http_hosts.iter())
            .any(|e| strip(e) == host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "104.18.6.192", "2606:4700::6810:6c0"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
        assert!(!is_internal(IpAddr::V6(std::net::Ipv6Addr::new(
            0x2a00, 0x1450, 0, 0, 0, 0, 0, 1
        ))));
    }

    #[test]
    fn base_urls_follow_the_policy() {
        let none = LlmConfig::default();
        assert!(none.check_base_url("https://api.openai.com/v1").is_ok());
        for bad in [
            "http://api.openai.com/v1",
            "http://169.254.169.254/latest",
            "https://169.254.169.254/latest",
            "https://127.0.0.1:8443/v1",
            "https://[::1]/v1",
            "https://localhost/v1",
            "ftp://example.com",
            "https://user:pw@api.example.com/v1",
            "not a url",
        ] {
            assert!(none.check_base_url(bad).is_err(), "{bad}");
        }
        let local = LlmConfig {
            allow_http_hosts: vec!["127.0.0.1:8081".into()],
            allow_private_hosts: vec!["llm.internal".into()],
        };
        assert!(local.check_base_url("http://127.0.0.1:8081/v1").is_ok());
        assert!(
            local.check_base_url("http://127.0.0.1:6379/v1").is_err(),
            "another port"
        );
        assert!(local.check_base_url("https://llm.internal/v1").is_ok());
        assert!(
            local.check_base_url("http://llm.internal/v1").is_err(),
            "private is not http"
        );
        assert!(local.private_allowed_any_port("llm.internal"));
        assert!(local.private_allowed_any_port("127.0.0.1"));
        assert!(!local.private_allowed_any_port("metadata.google.internal"));
    }
}
