//! Client-side caching: CLIENT TRACKING and its invalidation messages, across shards.
//!
//! A tracking client's mode lives on its connection ([`Mode`]). What it may have cached lives
//! where the keys live: when one of its read commands runs on a key's owner, the owner
//! remembers that key for it ([`Tracking`]: key name to [`Tracker`]s, by name across
//! databases, as Redis keeps it). When the key changes on its owner (any write, from any
//! connection, expiry included; the hook is [`Core::signal_modified`]), the owner forgets it
//! and posts an invalidation to the shard of the client (or of its REDIRECT target), which
//! writes it there: a RESP3 `invalidate` push, or a `__redis__:invalidate` message to a RESP2
//! redirect target with subscriptions. The post goes through that shard's inbox, so a client
//! that wrote a key it tracks gets the invalidation after its own reply (NOLOOP: not at all).
//!
//! BCAST clients are remembered by prefix on every shard (registered, like a subscription,
//! before CLIENT TRACKING replies), and any change of a matching key is sent to them.
//! FLUSHDB and FLUSHALL send every tracking client the null invalidation, each shard to its
//! own clients. Messages are one key each here; Redis may group a BCAST client's keys per
//! event-loop turn.

use std::collections::HashMap;
use std::sync::Arc;

use crate::server::conn::{Closing, Conn};
use crate::shard::mesh::{ConnRef, JobOut, Msg};
use crate::shard::Core;

/// A client's tracking mode, kept on its connection while tracking is on.
#[derive(Clone, Debug, Default)]
pub struct Mode {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// REDIRECT's client id (0: none) and where that client lives.
    pub redirect: u64,
    pub target: Option<ConnRef>,
    pub prefixes: Vec<Vec<u8>>,
    /// CLIENT CACHING YES/NO, for the next command only.
    pub caching: Option<bool>,
    /// An invalidation found the redirect target gone (CLIENT LIST's `R`).
    pub broken: bool,
}

/// Whom a key's invalidation is for: the tracking client (its id, for NOLOOP, and where it
/// lives) and where the message goes (the client, or its redirect target, `redirect` its id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tracker {
    pub client: u64,
    pub at: ConnRef,
    pub to: ConnRef,
    pub redirect: u64,
    pub noloop: bool,
}

/// One shard's memory of who may have cached which of its keys.
#[derive(Default)]
pub struct Tracking {
    keys: HashMap<Box<[u8]>, Vec<Tracker>>,
    /// BCAST registrations (every shard has all of them): prefix ("" for all keys), tracker.
    prefixes: Vec<(Box<[u8]>, Tracker)>,
}

impl Tracking {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.prefixes.is_empty()
    }

    /// Keys remembered (INFO's tracking_total_keys, tracking-table-max-keys).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// (key, client) pairs remembered (INFO's tracking_total_items).
    pub fn items(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    /// Distinct BCAST prefixes (every shard has them all).
    pub fn prefixes(&self) -> usize {
        let mut p: Vec<&[u8]> = self.prefixes.iter().map(|(p, _)| &p[..]).collect();
        p.sort();
        p.dedup();
        p.len()
    }

    fn remember(&mut self, key: &[u8], tracker: Tracker) {
        let trackers = self.keys.entry(key.into()).or_default();
        if !trackers.contains(&tracker) {
            trackers.push(tracker);
        }
    }
}

impl Mode {
    /// The tracker a command of client `conn` reads for, if its keys are to be remembered
    /// (not BCAST; OPTIN only after CLIENT CACHING YES; OPTOUT unless CLIENT CACHING NO).
    pub fn reader(&self, conn: &Conn, shard: usize) -> Option<Tracker> {
        let skip =
            self.bcast || (self.optin && self.caching != Some(true)) || (self.optout && self.caching == Some(false));
        (!skip).then(|| tracker(self, conn, shard))
    }
}

fn tracker(mode: &Mode, conn: &Conn, shard: usize) -> Tracker {
    let at = conn.cref(shard);
    Tracker { client: conn.id, at, to: mode.target.unwrap_or(at), redirect: mode.redirect, noloop: mode.noloop }
}

impl Core {
    /// Remembers `key` for `tracker`, keeping within `tracking-table-max-keys` (each shard its
    /// share): past it, keys are let go as Redis lets them go, by invalidating them now.
    pub fn remember_read(&mut self, key: &[u8], tracker: Tracker) {
        self.tracking.remember(key, tracker);
        let max = self.config.tracking_table_max_keys;
        if max == 0 {
            return;
        }
        let share = max.div_ceil(self.shards() as u64) as usize;
        while self.tracking.keys.len() > share {
            let Some(victim) = self.tracking.keys.keys().find(|k| &k[..] != key).cloned() else { break };
            for t in self.tracking.keys.remove(&victim).unwrap_or_default() {
                send(self, t, Some(vec![victim.to_vec()]));
            }
        }
    }

    /// `key` changed: everyone who may have cached it is told, and forgotten.
    pub fn invalidate(&mut self, key: &[u8]) {
        let mut sends = self.tracking.keys.remove(key).unwrap_or_default();
        for (prefix, t) in &self.tracking.prefixes {
            if key.starts_with(prefix) && !sends.contains(t) {
                sends.push(*t);
            }
        }
        for t in sends {
            if !(t.noloop && t.client == self.client_now) {
                send(self, t, Some(vec![key.to_vec()]));
            }
        }
    }
}

/// Posts an invalidation (None: the null one of a flush) for tracker `t`.
fn send(core: &mut Core, t: Tracker, keys: Option<Vec<Vec<u8>>>) {
    core.shared.mesh.send(
        t.to.shard,
        Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
            deliver(core, t, keys.as_deref());
            Box::new(())
        })),
    );
}

/// Writes an invalidation to `t.to`, on its shard: a push in RESP3; to a RESP2 client (a
/// redirect target) only while it has subscriptions, as a `__redis__:invalidate` message. A
/// redirect target that is gone makes the tracking client's redirect broken, as Redis tells
/// it (a `tracking-redir-broken` push in RESP3).
fn deliver(core: &mut Core, t: Tracker, keys: Option<&[Vec<u8>]>) {
    let to = t.to;
    let Some(conn) = core.conns.get_mut(to.slot, to.gen) else {
        if t.to != t.at {
            core.shared.mesh.send(
                t.at.shard,
                Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                    broken(core, t);
                    Box::new(())
                })),
            );
        }
        return;
    };
    if conn.closing == Closing::Now {
        return;
    }
    let out = &mut conn.out;
    if out.resp3 {
        out.push(2);
        out.bulk(b"invalidate");
    } else if conn.subs.total() > 0 {
        out.push(3);
        out.bulk(b"message");
        out.bulk(b"__redis__:invalidate");
    } else {
        return;
    }
    match keys {
        Some(keys) => {
            out.array(keys.len());
            keys.iter().for_each(|k| out.bulk(k));
        }
        None => out.null(),
    }
    core.dirty.push(to.slot);
}

/// On the tracking client's shard: its redirect target is gone.
fn broken(core: &mut Core, t: Tracker) {
    let Some(conn) = core.conns.get_mut(t.at.slot, t.at.gen) else { return };
    let Some(mode) = conn.tracking.as_mut().filter(|m| m.redirect == t.redirect) else { return };
    mode.broken = true;
    if conn.out.resp3 {
        conn.out.push(2);
        conn.out.bulk(b"tracking-redir-broken");
        conn.out.int(t.redirect as i64);
        core.dirty.push(t.at.slot);
    }
}

/// A flush on this shard: its tracking clients get the null invalidation, and nothing is
/// remembered any more.
pub fn on_flush(core: &mut Core) {
    core.tracking.keys.clear();
    let me = core.id;
    let trackers: Vec<Tracker> =
        core.conns.iter().filter_map(|c| c.tracking.as_ref().map(|m| tracker(m, c, me))).collect();
    for t in trackers {
        send(core, t, None);
    }
}

/// Registers (or with `add` false, removes) a BCAST client's prefixes here, and returns the
/// same for the other shards to run.
pub fn registration(
    core: &mut Core,
    conn: &Conn,
    mode: &Mode,
    add: bool,
) -> impl Fn(&mut Core) + Clone + Send + 'static {
    let t = tracker(mode, conn, core.id);
    let prefixes: Arc<Vec<Box<[u8]>>> = Arc::new(if mode.prefixes.is_empty() {
        vec![Box::default()]
    } else {
        mode.prefixes.iter().map(|p| p.as_slice().into()).collect()
    });
    let apply = move |core: &mut Core| {
        let list = &mut core.tracking.prefixes;
        list.retain(|(_, x)| x.client != t.client);
        if add {
            list.extend(prefixes.iter().map(|p| (p.clone(), t)));
        }
    };
    apply(core);
    apply
}

/// A closing (or RESET) tracking client: its BCAST registrations go, without waiting.
pub fn forget(core: &mut Core, conn: &mut Conn) {
    let Some(mode) = conn.tracking.take() else { return };
    if mode.bcast {
        let remove = registration(core, conn, &mode, false);
        core.shared.mesh.post_others(core.id, remove);
    }
}
