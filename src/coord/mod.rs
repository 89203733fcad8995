//! Commands that span shards, run atomically and in isolation.
//!
//! # The protocol
//!
//! A multi-shard command (MSET over keys of several shards, RENAME across shards, FLUSHALL...) is
//! driven by a [`Tx`] on the connection's own core:
//!
//! 1. **Lock.** The keys are grouped by owning shard. The transaction first asks every shard at
//!    once to *try* its intent locks there (all of one shard's keys together, exclusive for
//!    writers, shared for readers): a shard grants only if none of those keys is held in a
//!    conflicting mode and nobody waits, and never queues. If all grant, that took one round.
//!    Otherwise the granted ones are let go and the transaction asks each shard in ascending
//!    order, where a shard grants at once or queues the request and grants it on release.
//!    Every waiting acquisition follows the same global order (shard, then all keys of that
//!    shard together) and nobody waits while holding a lock taken otherwise, so no two
//!    transactions can wait for each other: no deadlock.
//! 2. **Run.** With every lock held, the command's per-shard steps run (one or more rounds of
//!    jobs); the last round releases each shard's locks as its job finishes.
//!
//! While a key is locked, a single-shard command that would touch it in a conflicting mode waits
//! (a local connection is parked, a remote batch is held) until the release, so no reader ever
//! sees half an MSET or a RENAME with both or neither key. The check costs one `is_empty()` on a
//! shard where no transaction holds anything, so single-shard commands on uncontended keys do
//! not pay for the protocol.
//!
//! A whole-database lock (FLUSHDB, FLUSHALL, SWAPDB) conflicts with every key of that database.
//!
//! This is the lock-ordering half of VLL (Ren, Thomson, Abadi, VLDB 2013): intent locks kept by
//! each key's owner, no lock manager thread, no shared lock table. It trades VLL's global
//! sequencing for ordered acquisition, which under contention costs one hop per shard involved
//! before the run.
//!
//! Whole-keyspace readers (KEYS, DBSIZE) take a shared lock of their database on every shard,
//! so they too see a transaction whole or not at all. MULTI/EXEC ([`multi`]) runs on the same
//! [`Tx`]; a multi-shard command inside EXEC joins EXEC's transaction instead of locking again.

pub mod block;
pub mod gather;
pub mod multi;
pub mod watch;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use hashbrown::HashMap;

use crate::commands::{FanOut, Finish, Flow};
use crate::server::conn::Conn;
use crate::shard::mesh::{ConnRef, Job, JobOut, Msg};
use crate::shard::Core;

static NEXT_TXID: AtomicU64 = AtomicU64::new(1);

/// What a transaction does once it holds its locks.
pub type Then = Box<dyn FnOnce(&mut Core, &mut Conn, Tx) -> Flow>;

/// What a lock covers.
#[derive(Clone, Debug)]
pub enum Scope {
    /// These keys, each with its database.
    Keys(Vec<(usize, Vec<u8>)>),
    /// Whole databases (FLUSHDB: one, SWAPDB: two, FLUSHALL: all).
    Dbs(Vec<usize>),
}

impl Scope {
    /// The keys this scope holds on its shard (none for whole databases): what a round's job
    /// there reads or writes.
    pub fn keys(&self) -> Vec<Vec<u8>> {
        match self {
            Scope::Keys(keys) => keys.iter().map(|(_, k)| k.clone()).collect(),
            Scope::Dbs(_) => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Hold {
    exclusive: bool,
    holders: u32,
}

/// A request waiting on a shard for its locks.
struct Waiter {
    txid: u64,
    scope: Scope,
    exclusive: bool,
    reply_to: ConnRef,
    part: usize,
}

/// One shard's intent locks.
#[derive(Default)]
pub struct Locks {
    keys: HashMap<(usize, Vec<u8>), Hold>,
    dbs: HashMap<usize, Hold>,
    /// What each transaction holds here, to release it.
    by_tx: HashMap<u64, (Scope, bool)>,
    waiting: VecDeque<Waiter>,
}

/// Marker a lock job returns when it had to queue: the grant is sent later.
pub struct Queued;
/// What a lock job returns once the locks are held.
pub struct Granted;

impl Locks {
    /// No lock held or wanted: the fast path for every single-shard command.
    pub fn is_empty(&self) -> bool {
        self.by_tx.is_empty()
    }

    fn conflicts(hold: Option<&Hold>, exclusive: bool) -> bool {
        hold.is_some_and(|h| h.holders > 0 && (h.exclusive || exclusive))
    }

    /// Would a command touching `key` of `db` (writing if `write`) have to wait?
    pub fn blocks(&self, db: usize, key: &[u8], write: bool) -> bool {
        if Self::conflicts(self.dbs.get(&db), write) {
            return true;
        }
        !self.keys.is_empty() && Self::conflicts(self.keys.get(&(db, key.to_vec())), write)
    }

    /// Would a writer of any of `keys` (each with its database) have to wait? False at once
    /// when nothing is held here.
    pub fn holds_any<'a>(&self, mut keys: impl Iterator<Item = (usize, &'a [u8])>) -> bool {
        !self.is_empty() && keys.any(|(db, k)| self.blocks(db, k, true))
    }

    /// Would a command over all of `db` have to wait?
    pub fn blocks_db(&self, db: usize, write: bool) -> bool {
        Self::conflicts(self.dbs.get(&db), write)
            || self.keys.iter().any(|((d, _), h)| *d == db && Self::conflicts(Some(h), write))
    }

    fn grantable(&self, scope: &Scope, exclusive: bool) -> bool {
        match scope {
            Scope::Keys(keys) => keys.iter().all(|(db, k)| {
                !Self::conflicts(self.dbs.get(db), exclusive)
                    && !Self::conflicts(self.keys.get(&(*db, k.clone())), exclusive)
            }),
            Scope::Dbs(dbs) => dbs.iter().all(|db| !self.blocks_db(*db, exclusive)),
        }
    }

    fn take(&mut self, txid: u64, scope: Scope, exclusive: bool) {
        match &scope {
            Scope::Keys(keys) => {
                for (db, k) in keys {
                    let hold = self.keys.entry((*db, k.clone())).or_default();
                    hold.exclusive = exclusive;
                    hold.holders += 1;
                }
            }
            Scope::Dbs(dbs) => {
                for db in dbs {
                    let hold = self.dbs.entry(*db).or_default();
                    hold.exclusive = exclusive;
                    hold.holders += 1;
                }
            }
        }
        self.by_tx.insert(txid, (scope, exclusive));
    }

    /// Takes the locks if nothing conflicts and nobody waits; never queues.
    fn try_acquire(&mut self, txid: u64, scope: Scope, exclusive: bool) -> bool {
        if self.waiting.is_empty() && self.grantable(&scope, exclusive) {
            self.take(txid, scope, exclusive);
            return true;
        }
        false
    }

    /// Takes the locks now if nothing conflicts and nobody queued earlier wants them;
    /// otherwise queues the request. Returns true when taken.
    fn acquire(&mut self, txid: u64, scope: Scope, exclusive: bool, reply_to: ConnRef, part: usize) -> bool {
        if self.waiting.is_empty() && self.grantable(&scope, exclusive) {
            self.take(txid, scope, exclusive);
            return true;
        }
        // Reserve a place in the by_tx map so `is_empty` stays false while we wait.
        self.by_tx.insert(txid, (Scope::Dbs(Vec::new()), false));
        self.waiting.push_back(Waiter { txid, scope, exclusive, reply_to, part });
        false
    }

    /// Releases what `txid` holds here. Queued requests are granted by `grant_waiting`, once
    /// the commands that waited for these keys had their turn.
    fn release(&mut self, txid: u64) {
        if let Some((scope, _)) = self.by_tx.remove(&txid) {
            match scope {
                Scope::Keys(keys) => {
                    for entry in keys {
                        if let Some(h) = self.keys.get_mut(&entry) {
                            h.holders -= 1;
                            if h.holders == 0 {
                                self.keys.remove(&entry);
                            }
                        }
                    }
                }
                Scope::Dbs(dbs) => {
                    for db in dbs {
                        if let Some(h) = self.dbs.get_mut(&db) {
                            h.holders -= 1;
                            if h.holders == 0 {
                                self.dbs.remove(&db);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Grants the queued requests that can now go, in queue order (a later one never jumps an
    /// earlier one that wants the same keys); returns where to send each grant.
    pub fn grant_waiting(&mut self) -> Vec<(ConnRef, usize)> {
        let mut granted = Vec::new();
        if self.waiting.is_empty() {
            return granted;
        }
        let mut still = VecDeque::new();
        let mut blocked_scopes: Vec<(Scope, bool)> = Vec::new();
        while let Some(w) = self.waiting.pop_front() {
            let behind = blocked_scopes.iter().any(|(s, x)| overlaps(s, &w.scope) && (*x || w.exclusive));
            if !behind && self.grantable(&w.scope, w.exclusive) {
                granted.push((w.reply_to, w.part));
                self.take(w.txid, w.scope, w.exclusive);
            } else {
                blocked_scopes.push((w.scope.clone(), w.exclusive));
                still.push_back(w);
            }
        }
        self.waiting = still;
        granted
    }
}

fn overlaps(a: &Scope, b: &Scope) -> bool {
    match (a, b) {
        (Scope::Keys(ka), Scope::Keys(kb)) => ka.iter().any(|k| kb.contains(k)),
        (Scope::Keys(ks), Scope::Dbs(ds)) | (Scope::Dbs(ds), Scope::Keys(ks)) => ks.iter().any(|(d, _)| ds.contains(d)),
        (Scope::Dbs(x), Scope::Dbs(y)) => x.iter().any(|d| y.contains(d)),
    }
}

/// Releases `txid`'s locks on this shard. The event loop then wakes what waited for them
/// ([`grant_waiting`]), plain commands first.
pub fn release_here(core: &mut Core, txid: u64) {
    core.locks.release(txid);
    core.lock_released = true;
}

/// After a release: queued lock requests that can go get their grant. Called once the plain
/// commands that waited for the keys (held batches, parked connections) ran: were the grants
/// sent first, a key that transactions keep busy would never let those commands through.
pub fn grant_waiting(core: &mut Core) {
    for (reply_to, part) in core.locks.grant_waiting() {
        core.shared.mesh.send(reply_to.shard, Msg::Done { conn: reply_to, part, out: Box::new(Granted) });
    }
}

/// A transaction over keys (or databases) of several shards; see the module docs.
pub struct Tx {
    pub txid: u64,
    pub exclusive: bool,
    /// (shard, what to lock there), in ascending shard order.
    pub parts: Vec<(usize, Scope)>,
    /// Runs inside an EXEC that already holds every lock it needs ([`multi`]): takes none and
    /// releases none.
    pub nested: bool,
    /// An exclusive transaction signals its keys as modified (WATCH) when it lets them go. EXEC
    /// does not: its commands signal their own keys.
    pub touch: bool,
    /// A read command of a tracking client (CLIENT TRACKING): each shard remembers the keys
    /// it read for this tracker, in the job that reads them.
    pub reader: Option<crate::pubsub::tracking::Tracker>,
    /// The client whose command this is (NOLOOP, on every shard the jobs run on).
    client: u64,
    /// Keyspace events of the rounds so far, published with the last round's in Redis's
    /// order (see `pubsub::notify`).
    held: Vec<crate::pubsub::notify::Captured>,
}

impl Tx {
    fn new(core: &Core, exclusive: bool, parts: Vec<(usize, Scope)>) -> Tx {
        let (txid, nested) = match core.exec_tx {
            Some(txid) => (txid, true),
            None => (NEXT_TXID.fetch_add(1, Ordering::Relaxed), false),
        };
        Tx {
            txid,
            exclusive,
            parts,
            nested,
            touch: true,
            reader: core.reader,
            client: core.client_now,
            held: Vec::new(),
        }
    }

    /// `job`, run as the command's client (NOLOOP), then remembering the keys of `scope` for
    /// the transaction's tracking reader.
    fn tracked(&self, scope: &Scope, job: Job) -> Job {
        let keys: Vec<Vec<u8>> = match (self.reader, scope) {
            (Some(_), Scope::Keys(keys)) => keys.iter().map(|(_, k)| k.clone()).collect(),
            _ => Vec::new(),
        };
        let (reader, client) = (self.reader, self.client);
        if keys.is_empty() && client == 0 {
            return job;
        }
        Box::new(move |core: &mut Core| -> JobOut {
            core.client_now = client;
            let out = job(core);
            if let Some(reader) = reader {
                for k in &keys {
                    core.remember_read(k, reader);
                }
            }
            // (client_now stays for the round's own signals; the event loop clears it.)
            out
        })
    }

    /// Locks `keys` (each with its database) on their owners.
    pub fn keys<'a>(core: &Core, keys: impl Iterator<Item = (usize, &'a [u8])>, exclusive: bool) -> Tx {
        let mut per: Vec<Vec<(usize, Vec<u8>)>> = vec![Vec::new(); core.shards()];
        for (db, key) in keys {
            let owned = &mut per[core.owner(key)];
            if !owned.iter().any(|(d, k)| *d == db && k == key) {
                owned.push((db, key.to_vec()));
            }
        }
        let parts =
            per.into_iter().enumerate().filter(|(_, k)| !k.is_empty()).map(|(s, k)| (s, Scope::Keys(k))).collect();
        Tx::new(core, exclusive, parts)
    }

    /// Locks whole databases on every shard.
    pub fn dbs(core: &Core, dbs: Vec<usize>) -> Tx {
        let parts = (0..core.shards()).map(|s| (s, Scope::Dbs(dbs.clone()))).collect();
        Tx::new(core, true, parts)
    }

    /// Locks a whole database on every shard for reading (KEYS, DBSIZE): shared with other
    /// readers, waiting for writers, so the answer never shows a transaction half done.
    pub fn db_shared(core: &Core, db: usize) -> Tx {
        let parts = (0..core.shards()).map(|s| (s, Scope::Dbs(vec![db]))).collect();
        Tx::new(core, false, parts)
    }

    pub fn shards(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().map(|(s, _)| *s)
    }

    /// Acquires every lock, then hands over to `then`. First optimistically, every shard at
    /// once, each granting only if nothing conflicts there and nobody waits (one round instead
    /// of one hop per shard in sequence: the common case of transactions on different keys).
    /// If any shard says no, the ones that granted let go and the locks are taken shard by
    /// shard in ascending order, waiting where needed; no transaction ever waits while holding
    /// a lock taken out of order, so there is still no deadlock.
    pub fn lock(self, then: Then) -> Flow {
        if self.nested || self.parts.len() < 2 {
            return self.lock_from(0, then);
        }
        let (txid, exclusive) = (self.txid, self.exclusive);
        let jobs = self
            .parts
            .iter()
            .map(|(shard, scope)| {
                let scope = scope.clone();
                let job: Job = Box::new(move |core: &mut Core| -> JobOut {
                    Box::new(core.locks.try_acquire(txid, scope, exclusive))
                });
                (*shard, job)
            })
            .collect();
        Flow::Wait(FanOut {
            jobs,
            finish: Box::new(move |_core, _conn, parts| {
                let granted: Vec<usize> = self
                    .shards()
                    .zip(parts)
                    .filter(|(_, p)| p.downcast_ref::<bool>().is_some_and(|g| *g))
                    .map(|(s, _)| s)
                    .collect();
                if granted.len() == self.parts.len() {
                    return Flow::Then(Box::new(move |core, conn| then(core, conn, self)));
                }
                let jobs = granted
                    .into_iter()
                    .map(|shard| {
                        let job: Job = Box::new(move |core: &mut Core| -> JobOut {
                            release_here(core, txid);
                            Box::new(())
                        });
                        (shard, job)
                    })
                    .collect();
                Flow::Wait(FanOut { jobs, finish: Box::new(move |_core, _conn, _| self.lock_from(0, then)) })
            }),
        })
    }

    fn lock_from(self, i: usize, then: Then) -> Flow {
        if i == self.parts.len() || self.nested {
            return Flow::Then(Box::new(move |core, conn| then(core, conn, self)));
        }
        let (shard, scope) = self.parts[i].clone();
        let (txid, exclusive) = (self.txid, self.exclusive);
        let job: Job = Box::new(move |core: &mut Core| -> JobOut {
            let (reply_to, part) = core.reply_to.expect("lock jobs run as Msg::Run");
            if core.locks.acquire(txid, scope, exclusive, reply_to, part) {
                Box::new(Granted)
            } else {
                Box::new(Queued)
            }
        });
        let finish: Finish = Box::new(move |_core, _conn, _parts| self.lock_from(i + 1, then));
        Flow::Wait(FanOut { jobs: vec![(shard, job)], finish })
    }

    /// The last round: runs `job(shard)` on every shard of the transaction, releasing that
    /// shard's locks right after, then `finish` with the outputs in shard order.
    pub fn run_and_release(&self, job: impl FnMut(usize, &Scope) -> Job, finish: Finish) -> Flow {
        self.last_round(job, finish, self.touch && self.exclusive, None)
    }

    /// The last round: `job(shard)` on every shard, then (unless nested) the release there.
    /// With `rank`, a shard where keys became ready for blocked clients keeps its locks, and
    /// those shards let go one after the other by rank (see `run_and_release_in_order`).
    fn last_round(
        &self,
        mut job: impl FnMut(usize, &Scope) -> Job,
        finish: Finish,
        touch: bool,
        rank: Option<Rank>,
    ) -> Flow {
        let (txid, nested, ordered) = (self.txid, self.nested, rank.is_some());
        let jobs = self
            .parts
            .iter()
            .map(|(shard, scope)| {
                let inner = self.tracked(scope, job(*shard, scope));
                let touched: Vec<(usize, Vec<u8>)> = match scope {
                    Scope::Keys(keys) if touch => keys.clone(),
                    _ => Vec::new(),
                };
                let wrapped: Job = Box::new(move |core: &mut Core| -> JobOut {
                    let capturing = crate::pubsub::notify::capture(core);
                    let out = inner(core);
                    for (db, key) in &touched {
                        core.signal_modified(*db, key);
                    }
                    let out = crate::pubsub::notify::captured(core, out, capturing);
                    let hold = ordered && !nested && core.blocking.has_ready();
                    if !nested && !hold {
                        release_here(core, txid);
                    }
                    if ordered {
                        let stamp = core.blocking.first_ready_stamp().unwrap_or(u64::MAX);
                        Box::new(Held { out, hold, stamp })
                    } else {
                        out
                    }
                });
                (*shard, wrapped)
            })
            .collect();
        let earlier = self.held.clone();
        let Some(rank) = rank else {
            let finish: Finish = Box::new(move |core, conn, parts| {
                let parts = crate::pubsub::notify::publish_captured(core, parts, earlier);
                finish(core, conn, parts)
            });
            return Flow::Wait(FanOut { jobs, finish });
        };
        let shards: Vec<usize> = self.shards().collect();
        Flow::Wait(FanOut {
            jobs,
            finish: Box::new(move |core, conn, parts| {
                let mut held = Vec::new();
                let mut outs = Vec::with_capacity(parts.len());
                let mut stamps = Vec::with_capacity(parts.len());
                for part in parts {
                    let Held { out, hold, stamp } = *part.downcast::<Held>().expect("wrapped above");
                    outs.push(out);
                    stamps.push((hold, stamp));
                }
                let outs = crate::pubsub::notify::publish_captured(core, outs, earlier);
                for ((shard, out), (hold, stamp)) in shards.into_iter().zip(&outs).zip(stamps) {
                    if hold {
                        held.push((rank(out, stamp), shard));
                    }
                }
                held.sort_unstable();
                let held = held.into_iter().map(|(_, shard)| shard).collect();
                release_one_by_one(txid, held, Box::new(move |core, conn, _| finish(core, conn, outs)))(core, conn)
            }),
        })
    }

    /// A middle round: runs `job(shard)` on every shard, keeping the locks; `finish` gets the
    /// outputs and the transaction back, for the next round.
    pub fn run(
        self,
        mut job: impl FnMut(usize, &Scope) -> Job,
        finish: impl FnOnce(&mut Core, &mut Conn, Vec<JobOut>, Tx) -> Flow + 'static,
    ) -> Flow {
        let jobs = self
            .parts
            .iter()
            .map(|(shard, scope)| {
                let inner = self.tracked(scope, job(*shard, scope));
                let job: Job = Box::new(move |core: &mut Core| -> JobOut {
                    let capturing = crate::pubsub::notify::capture(core);
                    let out = inner(core);
                    crate::pubsub::notify::captured(core, out, capturing)
                });
                (*shard, job)
            })
            .collect();
        Flow::Wait(FanOut {
            jobs,
            finish: Box::new(move |core, conn, parts| {
                let mut tx = self;
                let parts = crate::pubsub::notify::take_captured(parts, &mut tx.held);
                finish(core, conn, parts, tx)
            }),
        })
    }

    /// Releases every lock without running anything more (e.g. MSETNX found a key).
    pub fn release(&self, finish: Finish) -> Flow {
        self.last_round(|_, _| Box::new(|_core: &mut Core| -> JobOut { Box::new(()) }), finish, false, None)
    }

    /// The last round of an EXEC: like [`Tx::run_and_release`] (without signalling, EXEC's
    /// commands signal their own keys), except that a shard where the transaction made keys
    /// ready for blocked clients keeps its locks; those shards then let go one after the other,
    /// by `rank` (when the transaction first made a key ready there), so a client blocked on
    /// keys of several of them is offered the key pushed first, as Redis serves it. Without
    /// blocked clients this is the plain one round.
    pub fn run_and_release_in_order(&self, job: impl FnMut(usize, &Scope) -> Job, rank: Rank, finish: Finish) -> Flow {
        self.last_round(job, finish, false, Some(rank))
    }
}

/// Ranks a held shard from its job's output and the stamp of its first ready key (lowest
/// first): when the transaction made the shard's first key ready.
pub type Rank = fn(&JobOut, u64) -> u64;

/// A job's output, whether its shard kept the transaction's locks, and when its first ready
/// key became ready.
struct Held {
    out: JobOut,
    hold: bool,
    stamp: u64,
}

/// Releases `txid` on `shards`, one after the other, then goes on with `finish`.
fn release_one_by_one(txid: u64, mut shards: Vec<usize>, finish: Finish) -> crate::commands::Step {
    Box::new(move |core, conn| {
        if shards.is_empty() {
            return finish(core, conn, Vec::new());
        }
        let shard = shards.remove(0);
        let job: Job = Box::new(move |core: &mut Core| -> JobOut {
            release_here(core, txid);
            // Offer this shard's keys before answering, so the next shard's offers come after.
            crate::coord::block::serve_ready(core);
            Box::new(())
        });
        Flow::Wait(FanOut {
            jobs: vec![(shard, job)],
            finish: Box::new(move |core, conn, _| release_one_by_one(txid, shards, finish)(core, conn)),
        })
    })
}

#[cfg(test)]
mod tests {
    impl Locks {
        /// Releases `txid`, then grants what can go, as the event loop does.
        fn released(&mut self, txid: u64) -> Vec<(ConnRef, usize)> {
            self.release(txid);
            self.grant_waiting()
        }
    }

    use super::*;

    fn cref(slot: u32) -> ConnRef {
        ConnRef { shard: 0, slot, gen: 1 }
    }

    fn keys(db: usize, ks: &[&str]) -> Scope {
        Scope::Keys(ks.iter().map(|k| (db, k.as_bytes().to_vec())).collect())
    }

    #[test]
    fn exclusive_and_shared() {
        let mut l = Locks::default();
        assert!(l.is_empty());
        assert!(l.acquire(1, keys(0, &["a", "b"]), true, cref(1), 0));
        assert!(l.blocks(0, b"a", false) && l.blocks(0, b"b", true));
        assert!(!l.blocks(0, b"c", true) && !l.blocks(1, b"a", true));
        // Conflicting request queues; a reader of another key goes straight through... unless
        // someone queued earlier (FIFO), which keeps writers from starving.
        assert!(!l.acquire(2, keys(0, &["b", "c"]), true, cref(2), 0));
        assert!(!l.acquire(3, keys(0, &["d"]), false, cref(3), 0));
        let woken = l.released(1);
        assert_eq!(woken, vec![(cref(2), 0), (cref(3), 0)]);
        assert!(l.blocks(0, b"c", false));
        l.released(2);
        l.released(3);
        assert!(l.is_empty());
        // Shared holders share.
        assert!(l.acquire(4, keys(0, &["x"]), false, cref(4), 0));
        assert!(!l.blocks(0, b"x", false) && l.blocks(0, b"x", true));
        assert!(l.waiting.is_empty() && l.acquire(5, keys(0, &["x"]), false, cref(5), 0));
        l.released(4);
        l.released(5);
        assert!(l.is_empty());
    }

    #[test]
    fn try_acquire_never_queues_and_never_jumps_the_queue() {
        let mut l = Locks::default();
        assert!(l.try_acquire(1, keys(0, &["a"]), true));
        // A conflict: refused, nothing queued, nothing held.
        assert!(!l.try_acquire(2, keys(0, &["a", "b"]), true));
        assert!(l.waiting.is_empty() && !l.blocks(0, b"b", true));
        // Someone waits (for "a"): even a free key is refused, so the waiter is not starved.
        assert!(!l.acquire(3, keys(0, &["a"]), true, cref(3), 0));
        assert!(!l.try_acquire(4, keys(0, &["c"]), true));
        assert_eq!(l.released(1), vec![(cref(3), 0)]);
        l.released(3);
        assert!(l.try_acquire(4, keys(0, &["c"]), false));
        l.released(4);
        assert!(l.is_empty());
    }

    #[test]
    fn database_locks_conflict_with_keys() {
        let mut l = Locks::default();
        assert!(l.acquire(1, keys(0, &["a"]), true, cref(1), 0));
        assert!(!l.acquire(2, Scope::Dbs(vec![0]), true, cref(2), 0));
        assert_eq!(l.released(1), vec![(cref(2), 0)]);
        assert!(l.blocks(0, b"zzz", false));
        assert!(!l.blocks(1, b"zzz", true));
        l.released(2);
        assert!(l.is_empty());
    }

    #[test]
    fn a_later_waiter_does_not_jump_an_earlier_one_on_the_same_key() {
        let mut l = Locks::default();
        assert!(l.acquire(1, keys(0, &["a"]), true, cref(1), 0));
        assert!(!l.acquire(2, keys(0, &["a", "b"]), true, cref(2), 0));
        assert!(!l.acquire(3, keys(0, &["b"]), true, cref(3), 0));
        assert_eq!(l.released(1), vec![(cref(2), 0)]);
        assert_eq!(l.released(2), vec![(cref(3), 0)]);
    }
}
