//! Rate limits for sign-ups, in memory: per client network (so one client
//! cannot fill the list with pending addresses) and per address (so nobody
//! can flood someone's mailbox with confirmation mails).
//!
//! The clock is a parameter: tests pass their own instants instead of
//! sleeping. Limits reset when `serve` restarts, which is acceptable for
//! what they guard against.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// At most `max` events per key in any `per`-long stretch of time.
#[derive(Debug)]
pub struct RateLimit<K> {
    max: usize,
    per: Duration,
    hits: HashMap<K, VecDeque<Instant>>,
    last_sweep: Option<Instant>,
}

impl<K: Hash + Eq + Clone> RateLimit<K> {
    pub fn new(max: usize, per: Duration) -> RateLimit<K> {
        RateLimit {
            max,
            per,
            hits: HashMap::new(),
            last_sweep: None,
        }
    }

    /// Counts one event for `key` at `now`; false (and not counted) when the
    /// key is over its limit.
    pub fn allow(&mut self, key: &K, now: Instant) -> bool {
        self.sweep(now);
        let per = self.per;
        let hits = self.hits.entry(key.clone()).or_default();
        while hits
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= per)
        {
            hits.pop_front();
        }
        if hits.len() >= self.max {
            return false;
        }
        hits.push_back(now);
        true
    }

    /// Forgets keys with no recent events, once per period, so memory stays
    /// bounded by the keys seen in one period.
    fn sweep(&mut self, now: Instant) {
        if self
            .last_sweep
            .is_some_and(|t| now.saturating_duration_since(t) < self.per)
        {
            return;
        }
        self.last_sweep = Some(now);
        let per = self.per;
        self.hits.retain(|_, hits| {
            hits.back()
                .is_some_and(|&t| now.saturating_duration_since(t) < per)
        });
    }

    /// How many keys are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.hits.len()
    }
}

/// The client a request comes from. The peer address, unless the peer is
/// on loopback (the reverse proxy on the same machine): then the last
/// address in `X-Forwarded-For`, the one the proxy itself saw (earlier ones
/// are whatever the client wrote there).
pub fn client(peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let peer = canonical(peer.ip());
    if !peer.is_loopback() {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|last| parse_ip(last.trim()))
        .map_or(peer, canonical)
}

/// The key a client is limited by: its IPv4 address, or its IPv6 /64 (one
/// household or server usually holds a whole /64).
pub fn network(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An address as proxies write it: bare, `[v6]`, or with a port.
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_max_per_period_then_again_after_it() {
        let start = Instant::now();
        let mut limit = RateLimit::new(3, Duration::from_secs(600));
        let at = |s| start + Duration::from_secs(s);
        assert!(limit.allow(&"a", at(0)));
        assert!(limit.allow(&"a", at(10)));
        assert!(limit.allow(&"a", at(20)));
        assert!(!limit.allow(&"a", at(30)));
        assert!(limit.allow(&"b", at(30)), "keys are counted apart");
        assert!(!limit.allow(&"a", at(599)));
        assert!(limit.allow(&"a", at(600)), "the first hit has expired");
        assert!(!limit.allow(&"a", at(601)));
        // A sweep a period later forgets the keys that went quiet.
        assert!(limit.allow(&"c", at(1300)));
        assert_eq!(limit.len(), 1);
    }

    #[test]
    fn forwarded_for_is_trusted_from_loopback_only() {
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        h.append("x-forwarded-for", "192.0.2.44:5123".parse().unwrap());
        let local: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let remote: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        assert_eq!(client(local, &h), "192.0.2.44".parse::<IpAddr>().unwrap());
        assert_eq!(client(remote, &h), remote.ip());
        assert_eq!(client(local, &HeaderMap::new()), local.ip());
        let mut bad = HeaderMap::new();
        bad.append("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client(local, &bad), local.ip());
        let mut v6 = HeaderMap::new();
        v6.append("x-forwarded-for", "[2001:db8::1]".parse().unwrap());
        assert_eq!(
            client("[::1]:1".parse().unwrap(), &v6),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(network(a), network(b));
        let mapped: IpAddr = "::ffff:192.0.2.5".parse().unwrap();
        assert_eq!(network(mapped), "192.0.2.5".parse::<IpAddr>().unwrap());
    }
}
