//! Who holds `serve`'s connections: at most [`PER_CLIENT`] from one client
//! address, and when all [`MAX_CONNECTIONS`] are taken, the oldest one that
//! is idle (no request in progress: never sent a request head, or waiting
//! between requests) is closed to make room.
//!
//! So a peer that opens connections and sends nothing holds neither the cap
//! nor anyone else's place in line: real requests get in at once, and the
//! idle ones are closed after the head timeout anyway. Loopback peers are
//! not limited per address: there the peer is the site's reverse proxy,
//! carrying every reader's requests (the same trust as `X-Forwarded-For`
//! in [`super::limit`]).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Open connections at once.
pub const MAX_CONNECTIONS: usize = 512;
/// Open connections from one client address (an IPv6 /64).
pub const PER_CLIENT: usize = 32;

struct Entry {
    client: IpAddr,
    busy: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

#[derive(Default)]
struct Registry {
    next: u64,
    /// By age: the smallest id is the oldest.
    live: BTreeMap<u64, Entry>,
    per_client: HashMap<IpAddr, usize>,
}

impl Registry {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.live.remove(&id)?;
        if let Some(n) = self.per_client.get_mut(&entry.client) {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(&entry.client);
            }
        }
        Some(entry)
    }
}

/// The open connections.
pub struct Conns {
    registry: Mutex<Registry>,
    max: usize,
    per_client: usize,
}

/// One admitted connection; it leaves the registry when dropped.
pub struct Ticket {
    conns: Arc<Conns>,
    id: u64,
    /// Requests in progress on it.
    pub busy: Arc<AtomicUsize>,
    /// Notified when it is to be closed to make room.
    pub close: Arc<Notify>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.conns.lock().remove(self.id);
    }
}

/// Counts a request in progress while it lives.
pub struct Busy(Arc<AtomicUsize>);

impl Busy {
    pub fn new(busy: &Arc<AtomicUsize>) -> Busy {
        busy.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(busy))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Conns {
    pub fn new(max: usize, per_client: usize) -> Arc<Conns> {
        Arc::new(Conns {
            registry: Mutex::new(Registry::default()),
            max,
            per_client,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a connection from `client` (its network, see
    /// [`super::limit::network`]), closing the oldest idle one if all places
    /// are taken. `None`: refused, because this client holds its share, or
    /// every connection is in the middle of a request.
    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Option<Ticket> {
        let mut r = self.lock();
        let held = r.per_client.get(&client).copied().unwrap_or(0);
        if !is_proxy(client) && held >= self.per_client {
            return None;
        }
        if r.live.len() >= self.max {
            let idle = r
                .live
                .iter()
                .find(|(_, e)| e.busy.load(Ordering::Acquire) == 0)
                .map(|(&id, _)| id)?;
            if let Some(entry) = r.remove(idle) {
                entry.close.notify_one();
            }
        }
        let id = r.next;
        r.next += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let close = Arc::new(Notify::new());
        r.live.insert(
            id,
            Entry {
                client,
                busy: Arc::clone(&busy),
                close: Arc::clone(&close),
            },
        );
        *r.per_client.entry(client).or_default() += 1;
        Some(Ticket {
            conns: Arc::clone(self),
            id,
            busy,
            close,
        })
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The address a reverse proxy on this machine connects from: every reader
/// behind it shares it, so it is not held to one client's share. Other
/// loopback addresses (127.0.0.2, …) are clients like any other.
fn is_proxy(client: IpAddr) -> bool {
    client == IpAddr::from([127, 0, 0, 1]) || client == IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_client_gets_its_share_and_the_proxy_more() {
        let conns = Conns::new(10, 2);
        let a1 = conns.admit(ip("192.0.2.1")).unwrap();
        let _a2 = conns.admit(ip("192.0.2.1")).unwrap();
        assert!(conns.admit(ip("192.0.2.1")).is_none());
        let _b = conns.admit(ip("192.0.2.2")).unwrap();
        drop(a1);
        assert!(conns.admit(ip("192.0.2.1")).is_some());
        let proxy: Vec<_> = (0..5).map(|_| conns.admit(ip("127.0.0.1"))).collect();
        assert!(proxy.iter().all(Option::is_some));
    }

    #[test]
    fn the_oldest_idle_connection_makes_room() {
        let conns = Conns::new(3, 3);
        let first = conns.admit(ip("127.0.0.1")).unwrap();
        let second = conns.admit(ip("127.0.0.1")).unwrap();
        let third = conns.admit(ip("127.0.0.1")).unwrap();
        let _working = Busy::new(&first.busy);
        let fourth = conns.admit(ip("127.0.0.1")).unwrap();
        assert_eq!(conns.len(), 3);
        // `second` was told to close (a stored permit), `first` was busy.
        let told = |t: &Ticket| {
            let close = Arc::clone(&t.close);
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap()
                .block_on(async move {
                    tokio::time::timeout(std::time::Duration::from_millis(10), close.notified())
                        .await
                        .is_ok()
                })
        };
        assert!(told(&second));
        assert!(!told(&first));
        assert!(!told(&third));
        drop(second);
        assert_eq!(conns.len(), 3, "a ticket already evicted leaves nothing");
        let _busy3 = Busy::new(&third.busy);
        let _busy4 = Busy::new(&fourth.busy);
        assert!(conns.admit(ip("127.0.0.1")).is_none(), "all busy: no room");
    }
}
