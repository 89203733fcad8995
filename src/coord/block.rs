//! One waiting mechanism for every blocking command (BLPOP and friends, BZPOPMIN and friends,
//! BLMOVE, WAIT, XREAD and XREADGROUP BLOCK).
//!
//! # Who owns what
//!
//! - The blocked connection's own core (its *home*) owns the client's state: [`Blocked`] on the
//!   `Conn` (what to run when served, the deadline, offers waiting to be tried). Only the home
//!   decides that a client is served, timed out, unblocked or gone.
//! - Each key's owner keeps that key's waiters in the order they blocked ([`Waiters`], in
//!   `Core::blocking`), and the keys that became *ready* (written while someone waits on them).
//!
//! # Served exactly once: reserve first, then pop
//!
//! After a command, a batch, or a job, the owner looks at its ready keys that no multi-shard
//! transaction holds (a held key waits for the release: wake-ups caused by a transaction happen
//! after it, so `LPUSH k x; DEL k` inside EXEC wakes nobody). For each waiter in order, while
//! the key holds more elements than are already offered:
//!
//! - a waiter whose home is this core is served in place: pop, reply, unblock, in one step;
//! - a waiter whose home is another core gets an *offer* (a message to its home) and the
//!   element stays where it is. The home takes at most one offer at a time: it *reserves* the
//!   client by starting a serve round (a job on the key's owner, or a [`Tx`] for a BLMOVE
//!   whose destination lives elsewhere) that pops only if the key still has data. If the
//!   key was emptied meanwhile, nothing was popped: the client stays blocked and the home
//!   tries its next offer. Once served, the home cancels the client's registrations
//!   everywhere, and each owner hands the client's outstanding offers to the next waiters.
//!
//! So an element is never popped for a client that is served already, timed out or gone, and
//! never popped and put back. A client is never served twice: only its home serves it, one
//! offer at a time. A client that disconnects while blocked is cancelled on every owner. If a
//! serve round for it is under way, the owner pops only if the home has not seen it go yet
//! (`Blocked::alive`, a flag the home clears when it sees the close and the owner reads right
//! before the pop): a client is served only while connected; a reply it then never reads is
//! lost as in Redis when a close follows the write. (A BLMOVE across shards reads the flag
//! at its first look, since its pop and push run in one round.)
//!
//! # What a waiter wants
//!
//! Each registration says what would serve the waiter at that key ([`Want`]): elements to pop
//! (of a type), stream entries after an ID (XREAD), or entries past a consumer group's last
//! delivered ID (XREADGROUP `>`). Pops and group reads *take* what they get, so a key's waiters
//! are offered one at a time, as above. An XREAD takes nothing: every XREAD waiter with entries
//! after its ID is served, or offered with its reply built right there, in the same pass (so
//! it gets what the write that woke it left, as Redis serves it before the next command), and
//! an outstanding XREAD offer holds nobody back. A group reader is also "served" when its stream goes (deleted, replaced, flushed:
//! `-UNBLOCKED`) or its group is destroyed (`-NOGROUP`), as Redis answers it.
//!
//! # Timeouts
//!
//! Deadlines are whole milliseconds, kept per core in a heap; the event loop waits no longer
//! than the nearest one, so `BLPOP k 0.05` answers after 50 ms, not at the next cron tick.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use hashbrown::HashMap;

use super::Tx;
use crate::commands::{lists, zsets, FanOut, Flow};
use crate::error::CmdError;
use crate::protocol::Out;
use crate::server::conn::{Closing, Conn};
use crate::shard::mesh::{ConnRef, Job, JobOut, Msg};
use crate::shard::Core;
use crate::store::stream::StreamId;
use crate::store::value::Kind;

static NEXT_WAIT: AtomicU64 = AtomicU64::new(1);
/// Orders the moments keys became ready, across shards (a transaction's wake-ups follow it).
static NEXT_READY: AtomicU64 = AtomicU64::new(1);

/// A fresh id for one blocking of one client.
pub fn next_wait_id() -> u64 {
    NEXT_WAIT.fetch_add(1, Ordering::Relaxed)
}

/// What serving a blocked client does on the owner of the key that has data.
#[derive(Clone, Debug)]
pub enum Serve {
    /// BLPOP / BRPOP: `[key, element]`.
    Pop { left: bool },
    /// BLMPOP: `[key, [element ...]]`.
    MPop { left: bool, count: usize },
    /// BZPOPMIN / BZPOPMAX: `[key, member, score]`.
    ZPop { min: bool },
    /// BZMPOP: `[key, [[member, score] ...]]`.
    ZMPop { min: bool, count: usize },
    /// BLMOVE / BRPOPLPUSH: the element, pushed onto `dst`.
    Move { dst: Vec<u8>, from_left: bool, to_left: bool },
    /// XREAD / XREADGROUP: `[[key, [entry ...]]]` (RESP3: a map), see [`crate::commands::xread`].
    Stream(Box<StreamRead>),
}

/// What a blocked XREAD or XREADGROUP reads when served.
#[derive(Clone, Debug)]
pub struct StreamRead {
    /// Entries at most (Redis's default for a blocked read is 1000).
    pub count: u64,
    /// XREADGROUP: the group, the consumer, NOACK.
    pub group: Option<(Arc<[u8]>, Vec<u8>, bool)>,
    /// XREAD: each key with the ID whose successors it waits for.
    pub after: Vec<(Vec<u8>, StreamId)>,
}

/// What a waiter waits for on one key: elements to pop (the type they must have), stream
/// entries after an ID (XREAD: served without taking anything, so every such waiter can be
/// served at once), or entries past a group's last delivered ID (XREADGROUP `>`: taken, one
/// waiter at a time).
#[derive(Clone, Debug)]
pub enum Want {
    Pop(Kind),
    /// XREAD: entries after `id`; `count` and `resp3` shape the reply, which the owner builds
    /// when it offers them to a reader on another core.
    After {
        id: StreamId,
        count: u64,
        resp3: bool,
    },
    Group(Arc<[u8]>),
}

impl Want {
    /// Does serving it take what it gets (so the next waiter must wait for the answer)?
    fn consumes(&self) -> bool {
        !matches!(self, Want::After { .. })
    }
}

impl Serve {
    /// The type a key must hold to serve this.
    pub fn kind(&self) -> Kind {
        match self {
            Serve::ZPop { .. } | Serve::ZMPop { .. } => Kind::ZSet,
            Serve::Stream(_) => Kind::Stream,
            _ => Kind::List,
        }
    }
}

/// The reply a blocked client gets when its time is up (or CLIENT UNBLOCK ... TIMEOUT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTimeout {
    /// The pops: a null array (`*-1`, RESP3 `_`).
    NullArray,
    /// WAIT: the number of replicas that acknowledged, always 0 here.
    Zero,
}

/// A key's owner tells a blocked client's home that the key can serve it.
pub struct Offer {
    pub from: usize,
    pub key: Vec<u8>,
    /// An XREAD's reply, built by the owner when it offered: serving takes nothing there, so
    /// the home delivers it as it is (no round to the owner, in which later writes could join).
    pub reply: Option<Vec<u8>>,
}

/// A blocked client, kept on its connection by its home core.
pub struct Blocked {
    pub wait: u64,
    pub db: usize,
    /// None for WAIT.
    pub serve: Option<Serve>,
    /// Shards where the client is registered as a waiter.
    pub shards: Vec<usize>,
    /// A BLMOVE whose destination lives on another shard than the source: served by a Tx.
    pub move_across: bool,
    /// None: forever.
    pub deadline: Option<Instant>,
    pub on_timeout: OnTimeout,
    /// Offers from key owners not tried yet.
    pub offers: VecDeque<Offer>,
    /// CLIENT UNBLOCK came while a round for the client was under way: applied when it ends
    /// (true: with the UNBLOCKED error, false: as a timeout).
    pub unblock: Option<bool>,
    /// While a serve round is under way: cleared by the home the moment it sees the connection
    /// go, and read by the key's owner right before it pops, so an element is popped only for
    /// a client still connected at that instant (a reply it then never reads is lost as in
    /// Redis when a close follows a write).
    pub alive: Option<Arc<AtomicBool>>,
}

impl Blocked {
    /// A blocking pop registered on `shards`.
    pub fn pop(
        wait: u64,
        db: usize,
        serve: Serve,
        shards: Vec<usize>,
        move_across: bool,
        deadline: Option<Instant>,
    ) -> Blocked {
        Blocked::new(wait, db, Some(serve), shards, move_across, deadline, OnTimeout::NullArray)
    }

    /// WAIT: no keys, answered `:0` when its time is up.
    pub fn wait_replicas(wait: u64, db: usize, deadline: Option<Instant>) -> Blocked {
        Blocked::new(wait, db, None, Vec::new(), false, deadline, OnTimeout::Zero)
    }

    fn new(
        wait: u64,
        db: usize,
        serve: Option<Serve>,
        shards: Vec<usize>,
        move_across: bool,
        deadline: Option<Instant>,
        on_timeout: OnTimeout,
    ) -> Blocked {
        Blocked {
            wait,
            db,
            serve,
            shards,
            move_across,
            deadline,
            on_timeout,
            offers: VecDeque::new(),
            unblock: None,
            alive: None,
        }
    }
}

/// One waiter on one key, kept by the key's owner.
#[derive(Clone, Debug)]
struct Waiter {
    conn: ConnRef,
    wait: u64,
    want: Want,
    /// An offer for this key is with the waiter's home.
    offered: bool,
}

#[derive(Default, Debug)]
struct KeyWaiters {
    queue: VecDeque<Waiter>,
    /// Waiters of this key holding an offer of something they would take (elements promised,
    /// not popped yet).
    offers: usize,
    ready: bool,
}

/// One shard's waiters and ready keys, and the deadlines of clients blocked on this core.
#[derive(Default)]
pub struct Waiters {
    keys: HashMap<(usize, Vec<u8>), KeyWaiters>,
    /// wait id -> the keys it waits on here.
    by_wait: HashMap<u64, Vec<(usize, Vec<u8>)>>,
    /// Keys written while someone waits on them, in the order they became ready (served in
    /// that order, as Redis's ready list), each with a process-wide stamp of when.
    ready: Vec<(usize, Vec<u8>, u64)>,
    /// Ready keys whose first waiter could not be reached this pass (see `serve_key_waiters`).
    deferred: Vec<(usize, Vec<u8>)>,
    /// (deadline, wait, slot, gen) of clients whose home is this core; an entry leaves when
    /// its client stops waiting, so the set holds only live waits.
    deadlines: BTreeSet<(Instant, u64, u32, u32)>,
}

impl Waiters {
    /// Nobody waits on any key of this shard: the test every write pays.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    #[inline]
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// How many keys are ready (a job compares before and after a command to see whether it
    /// woke anyone).
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// When the earliest of the ready keys became ready.
    pub fn first_ready_stamp(&self) -> Option<u64> {
        self.ready.iter().map(|(_, _, stamp)| *stamp).min()
    }

    /// Registers a waiter on `keys` of `db`, each with what it waits for there, behind those
    /// already there.
    fn add(&mut self, conn: ConnRef, wait: u64, db: usize, keys: &[(Vec<u8>, Want)]) {
        let mine = self.by_wait.entry(wait).or_default();
        for (key, want) in keys {
            if mine.iter().any(|(d, k)| *d == db && k == key) {
                continue;
            }
            mine.push((db, key.clone()));
            let kw = self.keys.entry((db, key.clone())).or_default();
            kw.queue.push_back(Waiter { conn, wait, want: want.clone(), offered: false });
        }
    }

    /// `key` of `db` was written: if someone waits on it, look at it after this command.
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if let Some(kw) = self.keys.get_mut(&(db, key.to_vec())) {
            mark_ready(&mut self.ready, kw, db, key);
        }
    }

    /// Every waited-on key of `db` is ready (SWAPDB).
    pub fn signal_db(&mut self, db: usize) {
        for ((d, key), kw) in self.keys.iter_mut() {
            if *d == db {
                mark_ready(&mut self.ready, kw, db, key);
            }
        }
    }

    /// Forgets waiter `wait` everywhere on this shard; its outstanding offers go back to the
    /// keys' other waiters.
    fn remove(&mut self, wait: u64) {
        let Some(keys) = self.by_wait.remove(&wait) else { return };
        for (db, key) in keys {
            let entry = (db, key);
            let Some(kw) = self.keys.get_mut(&entry) else { continue };
            if let Some(pos) = kw.queue.iter().position(|w| w.wait == wait) {
                let w = kw.queue.remove(pos).expect("position found");
                if w.offered && w.want.consumes() {
                    kw.offers -= 1;
                }
            }
            if kw.queue.is_empty() {
                self.keys.remove(&entry);
            } else {
                mark_ready(&mut self.ready, kw, entry.0, &entry.1);
            }
        }
    }

    /// The offer of `key` to `wait` is being answered: clears it. False if the waiter is not
    /// registered on that key here any more.
    fn answer_offer(&mut self, wait: u64, db: usize, key: &[u8]) -> bool {
        let Some(kw) = self.keys.get_mut(&(db, key.to_vec())) else { return false };
        let Some(w) = kw.queue.iter_mut().find(|w| w.wait == wait) else { return false };
        if w.offered {
            w.offered = false;
            if w.want.consumes() {
                kw.offers -= 1;
            }
        }
        mark_ready(&mut self.ready, kw, db, key);
        true
    }

    /// Keys with waiters on this shard, for INFO.
    pub fn keys_len(&self) -> usize {
        self.keys.len()
    }
}

/// Queues `key` (whose waiters are `kw`) to be looked at, once, stamped with when.
fn mark_ready(ready: &mut Vec<(usize, Vec<u8>, u64)>, kw: &mut KeyWaiters, db: usize, key: &[u8]) {
    if !kw.ready {
        kw.ready = true;
        ready.push((db, key.to_vec(), NEXT_READY.fetch_add(1, Ordering::Relaxed)));
    }
}

/// How many things a waiter wanting `want` could be served from `key` (0: nothing). A group
/// reader is also served when the stream or its group is gone: with an error.
fn available(core: &mut Core, db: usize, key: &[u8], want: &Want) -> usize {
    let found = core.live(db, key).map(|(v, _)| &*v);
    match want {
        Want::Pop(Kind::List) => found.and_then(|v| v.as_list()).map_or(0, |l| l.len()),
        Want::Pop(Kind::ZSet) => found.and_then(|v| v.as_zset()).map_or(0, |z| z.len()),
        Want::Pop(_) => 0,
        Want::After { id, .. } => found.and_then(|v| v.as_stream()).is_some_and(|s| s.last_id > *id) as usize,
        Want::Group(name) => match found.and_then(|v| v.as_stream()) {
            Some(s) => s.groups.get(&name[..]).is_none_or(|g| s.last_id > g.last_id) as usize,
            None => 1,
        },
    }
}

/// Runs `serve` on `key` of `db`, here on its owner: the reply, or None when the key holds
/// nothing to serve (missing, empty, another type), in which case nothing changed.
pub fn serve_key(core: &mut Core, db: usize, key: &[u8], serve: &Serve, resp3: bool) -> Option<Vec<u8>> {
    if let Serve::Stream(read) = serve {
        return crate::commands::xread::serve_blocked(core, db, key, read, resp3);
    }
    if available(core, db, key, &Want::Pop(serve.kind())) == 0 {
        return None;
    }
    let mut out = Out::new(resp3);
    match serve {
        Serve::Pop { left } => {
            let v = lists::pop_one(core, db, key, *left)?;
            out.array(2);
            out.bulk(key);
            out.bulk(&v);
        }
        Serve::MPop { left, count } => {
            let l = lists::write_list(core, db, key).ok()??;
            let popped = lists::pop_n(l, *left, *count);
            core.notify(crate::pubsub::notify::class::LIST, lists::pop_event(*left), db, key);
            core.del_if_empty(db, key);
            out.array(2);
            out.bulk(key);
            out.array(popped.len());
            popped.iter().for_each(|v| out.bulk(v));
        }
        Serve::ZPop { min } => {
            let z = zsets::write_z(core, db, key).ok()??;
            let popped = zsets::pop_n(z, *min, 1);
            core.notify(crate::pubsub::notify::class::ZSET, zsets::pop_event(*min), db, key);
            core.del_if_empty(db, key);
            let (member, score) = popped.first()?;
            out.array(3);
            out.bulk(key);
            out.bulk(member);
            out.double(*score);
        }
        Serve::ZMPop { min, count } => {
            let z = zsets::write_z(core, db, key).ok()??;
            let popped = zsets::pop_n(z, *min, *count);
            core.notify(crate::pubsub::notify::class::ZSET, zsets::pop_event(*min), db, key);
            core.del_if_empty(db, key);
            out.array(2);
            out.bulk(key);
            out.array(popped.len());
            for (member, score) in &popped {
                out.array(2);
                out.bulk(member);
                out.double(*score);
            }
        }
        Serve::Stream(_) => unreachable!("served above"),
        Serve::Move { dst, from_left, to_left } => {
            // As Redis, a destination of another type answers WRONGTYPE to the waiter; here
            // nothing is popped for it (Redis pops and pushes back).
            if lists::wrong_type(core, db, dst) {
                out.error(CmdError::WrongType.to_string().as_bytes());
                return Some(out.buf);
            } else {
                let v = lists::move_one(core, db, key, dst, *from_left, *to_left)?;
                core.signal_modified(db, dst);
                out.bulk(&v);
            }
        }
    }
    core.signal_modified(db, key);
    Some(out.buf)
}

/// What the first, non-blocking look at a blocking command's keys found on one shard.
pub enum First {
    /// Served: the reply.
    Served(Vec<u8>),
    /// The first existing key holds another type.
    WrongType,
    /// No key has data.
    Empty,
}

/// The first look, over `keys` in argument order, all of them on this shard.
pub fn first_here(core: &mut Core, db: usize, keys: &[Vec<u8>], serve: &Serve, resp3: bool) -> First {
    for key in keys {
        match core.live(db, key) {
            None => continue,
            Some((v, _)) if v.kind() != serve.kind() => return First::WrongType,
            Some(_) => {}
        }
        if let Some(reply) = serve_key(core, db, key, serve, resp3) {
            return First::Served(reply);
        }
    }
    First::Empty
}

/// Registers `me` as a waiter on `keys` of `db` here (all of them owned by this shard).
pub fn register(core: &mut Core, me: ConnRef, wait: u64, kind: Kind, db: usize, keys: &[Vec<u8>]) {
    let wants: Vec<(Vec<u8>, Want)> = keys.iter().map(|k| (k.clone(), Want::Pop(kind))).collect();
    core.blocking.add(me, wait, db, &wants);
}

/// Registers `me` as a waiter on `keys` of `db` here, each with what it waits for.
pub fn register_wants(core: &mut Core, me: ConnRef, wait: u64, db: usize, keys: &[(Vec<u8>, Want)]) {
    core.blocking.add(me, wait, db, keys);
}

/// Does a multi-shard transaction hold any of `keys` here?
pub fn locked(core: &Core, db: usize, keys: &[Vec<u8>]) -> bool {
    core.locks.holds_any(keys.iter().map(|k| (db, k.as_slice())))
}

/// Starts blocking `conn` (already registered, or about to be, on `shards`).
pub fn block(core: &mut Core, conn: &mut Conn, blocked: Blocked) {
    if let Some(deadline) = blocked.deadline {
        core.blocking.deadlines.insert((deadline, blocked.wait, conn.slot, conn.gen));
    }
    conn.blocked = Some(Box::new(blocked));
}

/// Ends `conn`'s blocking (served, timed out, unblocked, gone): cancels its registrations.
pub fn unblock(core: &mut Core, conn: &mut Conn) {
    let Some(b) = take_blocked(core, conn) else { return };
    cancel(core, b.wait, &b.shards);
}

/// Ends `conn`'s blocking here (its deadline too); the caller cancels its registrations.
fn take_blocked(core: &mut Core, conn: &mut Conn) -> Option<Box<Blocked>> {
    let b = conn.blocked.take()?;
    if let Some(deadline) = b.deadline {
        core.blocking.deadlines.remove(&(deadline, b.wait, conn.slot, conn.gen));
    }
    Some(b)
}

/// Cancels waiter `wait` on `shards`.
pub fn cancel(core: &mut Core, wait: u64, shards: &[usize]) {
    for &shard in shards {
        if shard == core.id {
            core.blocking.remove(wait);
        } else {
            core.shared.mesh.send(
                shard,
                Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                    core.blocking.remove(wait);
                    Box::new(())
                })),
            );
        }
    }
}

/// Serves what can be served of this shard's ready keys; keys a transaction holds stay ready
/// until it lets them go.
pub fn serve_ready(core: &mut Core) {
    // Serving can make more keys ready (a BLMOVE's destination): go on while some are not
    // held; each pass serves or offers, so this ends.
    for _ in 0..1024 {
        let mut held = Vec::new();
        let ready = std::mem::take(&mut core.blocking.ready);
        for (db, key, stamp) in ready {
            if core.locks.blocks(db, &key, true) {
                held.push((db, key, stamp));
                continue;
            }
            if let Some(kw) = core.blocking.keys.get_mut(&(db, key.clone())) {
                kw.ready = false;
            }
            serve_key_waiters(core, db, &key);
        }
        // Keys made ready while serving come after the held ones, which were ready first.
        held.append(&mut core.blocking.ready);
        core.blocking.ready = held;
        if !core.blocking.ready.iter().any(|(db, key, _)| !core.locks.blocks(*db, key, true)) {
            break;
        }
    }
    for (db, key) in std::mem::take(&mut core.blocking.deferred) {
        core.blocking.signal(db, &key);
    }
}

/// Goes through `key`'s waiters in the order they blocked while it has data. Elements go to
/// waiters strictly in that order (the first waiter gets the first element, as in Redis): a
/// waiter served here is served in place; at the first one that must be offered (its home is
/// another core, or its home is busy with a round for it) the key waits for that offer's
/// answer before anyone behind it is served.
fn serve_key_waiters(core: &mut Core, db: usize, key: &[u8]) {
    let entry = (db, key.to_vec());
    let mut i = 0;
    loop {
        let Some(kw) = core.blocking.keys.get(&entry) else { return };
        if kw.offers > 0 {
            return;
        }
        let Some(w) = kw.queue.get(i).cloned() else { return };
        if w.offered || available(core, db, key, &w.want) == 0 {
            // Nothing for it (missing, another type, nothing new), or an offer of something
            // it does not take is with its home already: the waiters behind it may be served.
            i += 1;
            continue;
        }
        let local = w.conn.shard == core.id;
        if local {
            match core.conns.get(w.conn.slot, w.conn.gen) {
                // A connection being closed is gone already: never served.
                Some(c) if c.blocked.as_ref().is_some_and(|b| b.wait == w.wait) && c.closing == Closing::Open => {}
                None if core.conns.is_taken(w.conn.slot, w.conn.gen) => {
                    // Its connection is being handled right now (it cannot be reached): look at
                    // the key again on the next pass, keeping the order.
                    core.blocking.deferred.push((db, key.to_vec()));
                    return;
                }
                _ => {
                    core.blocking.remove(w.wait);
                    continue;
                }
            }
        }
        let mut conn = if local { core.conns.take(w.conn.slot, w.conn.gen) } else { None };
        let in_place = conn.as_ref().is_some_and(|c| {
            let b = c.blocked.as_ref().expect("blocked above");
            // Offers that came first (from other shards) are tried first.
            c.wait.is_none() && !b.move_across && b.offers.is_empty()
        });
        if !in_place {
            // A remote home, a move across shards (a transaction with the destination's
            // owner), or a home running a round for this client: offer, through its home.
            let kw = core.blocking.keys.get_mut(&entry).expect("looked up above");
            kw.queue[i].offered = true;
            let consumes = w.want.consumes();
            if consumes {
                kw.offers += 1;
            }
            let reply = match w.want {
                Want::After { id, count, resp3 } => {
                    crate::commands::xread::serve_after(core, db, key, id, count, resp3)
                }
                _ => None,
            };
            let offer = Offer { from: core.id, key: key.to_vec(), reply };
            match conn {
                Some(mut c) => {
                    c.blocked.as_mut().expect("blocked above").offers.push_back(offer);
                    core.dirty.push(c.slot);
                    core.conns.put(c);
                }
                None => {
                    core.shared.mesh.send(
                        w.conn.shard,
                        Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                            on_offer(core, w.conn, w.wait, offer);
                            Box::new(())
                        })),
                    );
                }
            }
            if consumes {
                return;
            }
            i += 1;
            continue;
        }
        let mut c = conn.take().expect("in place");
        let serve = c.blocked.as_ref().and_then(|b| b.serve.clone()).expect("key waiters serve");
        let served = serve_key(core, db, key, &serve, c.resp3());
        if let Some(reply) = &served {
            c.out.raw(reply);
            unblock(core, &mut c);
            core.dirty.push(c.slot);
        }
        core.conns.put(c);
        if served.is_none() {
            return;
        }
    }
}

/// On the home of a waiter: the owner of `key` offers it an element.
fn on_offer(core: &mut Core, conn: ConnRef, wait: u64, offer: Offer) {
    let from = offer.from;
    if let Some(c) = core.conns.get_mut(conn.slot, conn.gen).filter(|c| c.closing == Closing::Open) {
        if let Some(b) = c.blocked.as_mut().filter(|b| b.wait == wait) {
            b.offers.push_back(offer);
            core.dirty.push(conn.slot);
            return;
        }
    }
    // Not blocked any more: the owner gives the offer to the next waiter. (A client whose
    // blocking ended has already sent a cancel, which arrives first and clears the offer;
    // this covers a connection that is gone.)
    core.shared.mesh.send(
        from,
        Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
            core.blocking.remove(wait);
            Box::new(())
        })),
    );
}

/// On the home, when a blocked connection gets a turn: tries its next offer. None when there
/// is no round to run (no offer, a round already under way, or an offer that came with its
/// reply, delivered here).
pub fn on_turn(core: &mut Core, conn: &mut Conn) -> Option<Flow> {
    if conn.wait.is_some() {
        return None;
    }
    if let Some(error) = conn.blocked.as_ref()?.unblock {
        answer_unblock(core, conn, error);
        return None;
    }
    let b = conn.blocked.as_mut()?;
    let Offer { from, key, reply } = b.offers.pop_front()?;
    if let Some(reply) = reply {
        conn.out.raw(&reply);
        unblock(core, conn);
        return None;
    }
    let (wait, db, resp3) = (b.wait, b.db, conn.out.resp3);
    let serve = b.serve.clone().expect("offers go to key waiters");
    let alive = b.alive.get_or_insert_with(|| Arc::new(AtomicBool::new(true))).clone();
    if b.move_across {
        return Some(serve_across(core, wait, db, key, serve, alive));
    }
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        if !core.blocking.answer_offer(wait, db, &key)
            || core.locks.blocks(db, &key, true)
            || !alive.load(Ordering::SeqCst)
        {
            return Box::new(None::<Vec<u8>>);
        }
        let reply = serve_key(core, db, &key, &serve, resp3);
        if reply.is_some() {
            core.blocking.remove(wait);
        }
        Box::new(reply)
    });
    Some(Flow::Wait(FanOut {
        jobs: vec![(from, job)],
        finish: Box::new(move |core, conn, parts| after_serve(core, conn, parts, from)),
    }))
}

/// The end of a serve round on the home; `from` served it (and forgot it there already).
fn after_serve(core: &mut Core, conn: &mut Conn, mut parts: Vec<JobOut>, from: usize) -> Flow {
    let reply = parts.pop().and_then(|p| p.downcast::<Option<Vec<u8>>>().ok()).and_then(|r| *r);
    match reply {
        Some(bytes) => {
            conn.out.raw(&bytes);
            if let Some(b) = take_blocked(core, conn) {
                let others: Vec<usize> = b.shards.iter().copied().filter(|&s| s != from).collect();
                cancel(core, b.wait, &others);
            }
        }
        None => {
            if let Some(flow) = on_turn(core, conn) {
                return flow;
            }
            if conn.blocked.as_ref().and_then(|b| b.deadline).is_some_and(|d| d <= Instant::now()) {
                time_out(core, conn);
            }
        }
    }
    Flow::Done
}

/// BLMOVE served across two shards: lock source and destination, check, move.
fn serve_across(core: &mut Core, wait: u64, db: usize, src: Vec<u8>, serve: Serve, alive: Arc<AtomicBool>) -> Flow {
    let Serve::Move { dst, from_left, to_left } = serve else { unreachable!("only moves go across") };
    let (src_shard, dst_shard) = (core.owner(&src), core.owner(&dst));
    let mut tx = Tx::keys(core, [(db, src.as_slice()), (db, dst.as_slice())].into_iter(), true);
    tx.touch = false;
    tx.lock(Box::new(move |_core, _conn, tx| {
        let (s, d) = (src.clone(), dst.clone());
        tx.run(
            move |shard, _| {
                let (s, d, alive) = (s.clone(), d.clone(), alive.clone());
                Box::new(move |core: &mut Core| -> JobOut {
                    if shard == src_shard {
                        // Checked at the look, not at the pop: the push on the other shard
                        // runs in the same round as the pop and must not be undone.
                        let registered = core.blocking.answer_offer(wait, db, &s) && alive.load(Ordering::SeqCst);
                        let next = match lists::write_list(core, db, &s) {
                            Ok(Some(l)) if registered => l.get(if from_left { 0 } else { -1 }).map(|v| v.to_vec()),
                            _ => None,
                        };
                        Box::new(Some(next))
                    } else {
                        Box::new(lists::wrong_type(core, db, &d))
                    }
                })
            },
            move |_core, _conn, parts, tx| {
                let (mut next, mut dst_wrong) = (None, false);
                for part in parts {
                    match part.downcast::<Option<Option<Vec<u8>>>>() {
                        Ok(n) => next = n.flatten(),
                        Err(other) => dst_wrong = other.downcast::<bool>().map(|b| *b).unwrap_or(false),
                    }
                }
                let Some(value) = next else {
                    return tx.release(Box::new(move |core, conn, _| {
                        after_serve(core, conn, vec![Box::new(None::<Vec<u8>>)], src_shard)
                    }));
                };
                if dst_wrong {
                    return tx.release(Box::new(move |core, conn, _| {
                        let mut out = Out::new(conn.out.resp3);
                        out.error(CmdError::WrongType.to_string().as_bytes());
                        // Nothing was popped and the client is still registered on the source's
                        // shard: cancel it everywhere.
                        after_serve(core, conn, vec![Box::new(Some(out.buf))], usize::MAX)
                    }));
                }
                let reply = {
                    let mut out = Out::new(false);
                    out.bulk(&value);
                    out.buf
                };
                tx.run_and_release(
                    |shard, _| {
                        let (s, d, v) = (src.clone(), dst.clone(), value.clone());
                        Box::new(move |core: &mut Core| -> JobOut {
                            if shard == src_shard {
                                // The pop's events follow the push's (see lists::move_one).
                                core.event_seq = 1;
                                lists::pop_one(core, db, &s, from_left);
                                core.signal_modified(db, &s);
                                core.blocking.remove(wait);
                            } else if shard == dst_shard {
                                lists::push_one(core, db, &d, &v, to_left);
                                core.signal_modified(db, &d);
                            }
                            Box::new(())
                        })
                    },
                    Box::new(move |core, conn, _| after_serve(core, conn, vec![Box::new(Some(reply))], src_shard)),
                )
            },
        )
    }))
}

/// Answers a blocked client as if its timeout passed, and unblocks it.
pub fn time_out(core: &mut Core, conn: &mut Conn) {
    let Some(b) = conn.blocked.as_ref() else { return };
    match b.on_timeout {
        OnTimeout::NullArray => conn.out.null_array(),
        OnTimeout::Zero => conn.out.int(0),
    }
    unblock(core, conn);
}

/// The nearest deadline of a client blocked on this core, if any.
pub fn next_deadline(core: &Core) -> Option<Instant> {
    core.blocking.deadlines.first().map(|(d, ..)| *d)
}

/// Times out the clients of this core whose deadline has passed.
pub fn expire(core: &mut Core, now: Instant) {
    let mut later = Vec::new();
    while let Some(&(deadline, wait, slot, gen)) = core.blocking.deadlines.first() {
        if deadline > now {
            break;
        }
        core.blocking.deadlines.pop_first();
        let Some(mut conn) = core.conns.take(slot, gen) else { continue };
        if conn.blocked.as_ref().is_some_and(|b| b.wait == wait) {
            if conn.wait.is_none() {
                time_out(core, &mut conn);
                core.dirty.push(slot);
            } else {
                // A round for this client is under way (its registration, or a serve): look
                // again shortly; a serve round that finds nothing checks the deadline too.
                later.push((now + std::time::Duration::from_millis(1), wait, slot, gen));
            }
        }
        core.conns.put(conn);
    }
    // A later look keeps the Blocked's own deadline entry findable: re-key it.
    for (at, wait, slot, gen) in later {
        if let Some(b) = core.conns.get_mut(slot, gen).and_then(|c| c.blocked.as_mut()) {
            b.deadline = Some(at);
        }
        core.blocking.deadlines.insert((at, wait, slot, gen));
    }
}

/// CLIENT UNBLOCK on this core: true if client `id` is blocked here; it is answered as if
/// timed out or with the UNBLOCKED error, now, or when the round under way for it ends.
pub fn unblock_by_id(core: &mut Core, id: u64, error: bool) -> bool {
    let Some(slot) = core.conns.iter().find(|c| c.id == id && c.blocked.is_some()).map(|c| c.slot) else {
        return false;
    };
    let gen = core.conns.gen(slot);
    let Some(mut conn) = core.conns.take(slot, gen) else { return false };
    if conn.wait.is_some() {
        conn.blocked.as_mut().expect("found blocked").unblock = Some(error);
    } else {
        answer_unblock(core, &mut conn, error);
        core.dirty.push(slot);
    }
    core.conns.put(conn);
    true
}

fn answer_unblock(core: &mut Core, conn: &mut Conn, error: bool) {
    if error {
        conn.out.error(b"UNBLOCKED client unblocked via CLIENT UNBLOCK");
        unblock(core, conn);
    } else {
        time_out(core, conn);
    }
}
