//! MULTI/EXEC: a connection's queued commands, run atomically and in isolation across shards.
//!
//! # Queueing
//!
//! After MULTI the connection's commands are checked as they arrive (unknown command, arity,
//! authentication, commands refused in a transaction: every rejection of
//! `server::exec::route`, the one place queue-time checks live) and kept in a [`Queue`]: one
//! byte buffer plus ranges (`commands::Cmds`), reused by the connection's next MULTI. A rejected
//! command marks the queue aborted and EXEC answers EXECABORT.
//!
//! # Running
//!
//! EXEC first makes a `Plan`: where each command runs (a shard, its multi-shard form, or the
//! connection's core) and what it must lock, following SELECT through the queue so each command
//! runs in the database it was queued for. Watched keys join the lock set.
//!
//! - **One shard, one hop.** When every command is a single-shard key command and all keys
//!   (watched ones included) live on one shard, the whole queue runs there as one job, or in
//!   place when that shard is this core: the watch check, the commands and the reply, with no
//!   lock round. Running inside one job on the owner is atomic by itself; the job only checks
//!   that no multi-shard transaction holds one of the keys, and if one does, falls back to:
//! - **Everything else** runs under a [`Tx`] holding every key (and every database a
//!   whole-keyspace or movable-key command reads or writes) exclusively, acquired as every Tx
//!   acquires, so no other client sees any part of the transaction until all of it is done. The
//!   watch check runs under those locks. A queue of single-shard key commands then runs on all
//!   its shards at once (they touch different keys, so they commute), each shard releasing as it
//!   finishes. Any other queue runs in order: consecutive commands for one remote shard travel as
//!   one job, local ones run in place, connection commands (PING, DBSIZE, FLUSHALL...) run as they
//!   would outside a transaction, and the locks go in a last round.
//! - Wake-ups of blocked clients come after the transaction: its keys stay locked until then.
//!   A shard where it made keys ready lets go only after the shards where it made keys ready
//!   earlier, so a client blocked on several of them gets the key pushed first, as in Redis. A multi-shard command inside EXEC
//!   (MSET, RENAME, SINTERSTORE...) builds its own `Tx` as usual, but finds `Core::exec_tx` set
//!   and joins EXEC's: it takes no lock (EXEC holds them all) and releases none, so the
//!   transaction never queues behind itself.
//!
//! Whole-keyspace commands inside EXEC see the transaction's earlier writes because each
//! command finishes before the next starts.
//!
//! EXEC-time checks that later features add (OOM, MISCONF...) go in [`exec_checks`].

use super::Tx;
use crate::commands::{key_positions, keys_at, parse_i64, registry, Argv, Cmds, Cx, FanOut, Flow, Handler};
use crate::error::CmdError;
use crate::protocol::Out;
use crate::server::conn::Conn;
use crate::shard::mesh::{ConnRef, Job, JobOut};
use crate::shard::Core;

/// Commands queued after MULTI.
#[derive(Default)]
pub struct Queue {
    pub cmds: Cmds,
    /// A command was rejected while queueing: EXEC answers EXECABORT.
    pub aborted: bool,
}

impl Queue {
    pub fn push(&mut self, id: usize, argv: &Argv<'_>) {
        self.cmds.push(id, argv);
    }

    /// Empty again, keeping the buffers.
    pub fn clear(&mut self) {
        self.cmds.clear();
        self.aborted = false;
    }

    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// Command `i`: its id and arguments.
    pub fn get(&self, i: usize) -> (usize, Argv<'_>) {
        self.cmds.get(i)
    }

    /// Does a queued command write (EXEC then counts as a write command, as in Redis)?
    pub fn writes(&self) -> bool {
        !self.none_have(crate::commands::flag::WRITE)
    }

    /// Does any queued command have `flag`?
    pub fn any_has(&self, flag: u32) -> bool {
        !self.none_have(flag)
    }

    /// Does every queued command have `flag`?
    pub fn all_have(&self, flag: u32) -> bool {
        (0..self.len()).all(|i| self.flags(i) & flag != 0)
    }

    fn none_have(&self, flag: u32) -> bool {
        (0..self.len()).all(|i| self.flags(i) & flag == 0)
    }

    fn flags(&self, i: usize) -> u32 {
        crate::commands::registry().entries[self.get(i).0].spec.flags
    }

    /// Bytes held, for CLIENT LIST's `multi-mem`.
    pub fn mem(&self) -> usize {
        self.cmds.mem()
    }
}

/// Where one queued command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// A key command whose keys all live on `shard` (a keyless one: this core), in `db`.
    Shard { shard: usize, db: usize },
    /// A key command whose keys span shards: its multi-shard form, under EXEC's locks.
    Spread,
    /// A command with client state (PING, SELECT, DBSIZE, FLUSHALL...), on this core.
    Conn,
    /// Not allowed to the user any more (ACL rules changed after it was queued): answered with
    /// an error, not run.
    Denied,
}

/// What EXEC must run and lock.
struct Plan {
    steps: Vec<Step>,
    /// Keys to lock, with their databases (watched keys included).
    keys: Vec<(usize, Vec<u8>)>,
    /// Databases to lock whole, on every shard.
    dbs: Vec<usize>,
    /// Every command is a key command of this one shard, and so is every watched key.
    single: Option<usize>,
}

impl Plan {
    fn new(core: &Core, mut db: usize, queue: &Queue, watched: &[(usize, Vec<u8>)]) -> Plan {
        let reg = registry();
        let ndbs = core.dbs.len();
        let mut plan = Plan { steps: Vec::with_capacity(queue.len()), keys: Vec::new(), dbs: Vec::new(), single: None };
        let mut shards = Vec::new();
        let mut all_keyed = true;
        for i in 0..queue.len() {
            let (id, argv) = queue.get(i);
            let spec = reg.entries[id].spec;
            let step = match spec.handler {
                Handler::Key(_) => {
                    let before = plan.keys.len();
                    plan.keys.extend(keys_at(spec, &argv).map(|p| (db, argv.get(p).to_vec())));
                    plan.keys.extend(other_db_key(&reg.entries[id].full_name, &argv, ndbs));
                    let mut owners = plan.keys[before..].iter().map(|(_, k)| core.owner(k));
                    match owners.next() {
                        None => Step::Shard { shard: core.id, db },
                        Some(first) if owners.all(|o| o == first) => {
                            shards.push(first);
                            Step::Shard { shard: first, db }
                        }
                        Some(_) => Step::Spread,
                    }
                }
                _ => {
                    // Connection commands that name keys (BLPOP...) lock them; those whose keys
                    // come from numkeys (LMPOP, BLMPOP, ZMPOP, ZUNIONSTORE...) lock the keys
                    // COMMAND GETKEYS finds, or the whole database when it finds none.
                    if spec.flags & crate::commands::flag::MOVABLEKEYS != 0 {
                        match crate::commands::introspection::keys_of(id, &argv) {
                            Some(found) => plan.keys.extend(found.into_iter().map(|p| (db, argv.get(p).to_vec()))),
                            None => plan.dbs.push(db),
                        }
                    } else {
                        plan.keys.extend(key_positions(spec, argv.len()).map(|p| (db, argv.get(p).to_vec())));
                    }
                    match reg.entries[id].full_name.as_str() {
                        "select" => {
                            if let Some(n) = parse_i64(argv.get(1)).filter(|n| *n >= 0 && (*n as usize) < ndbs) {
                                db = n as usize;
                            }
                        }
                        // SORT's BY and GET read keys found only as it runs.
                        "keys" | "scan" | "dbsize" | "randomkey" | "flushdb" | "sort" | "sort_ro" => plan.dbs.push(db),
                        "flushall" => plan.dbs.extend(0..ndbs),
                        // A script may touch any key of any database: EXEC holds them all.
                        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => {
                            plan.dbs.extend(0..ndbs)
                        }
                        "swapdb" => {
                            for i in 1..=2 {
                                if let Some(n) = parse_i64(argv.get(i)).filter(|n| *n >= 0 && (*n as usize) < ndbs) {
                                    plan.dbs.push(n as usize);
                                }
                            }
                        }
                        _ => {}
                    }
                    Step::Conn
                }
            };
            all_keyed &= matches!(step, Step::Shard { .. });
            plan.steps.push(step);
        }
        plan.keys.extend(watched.iter().cloned());
        shards.extend(watched.iter().map(|(_, k)| core.owner(k)));
        plan.dbs.sort_unstable();
        plan.dbs.dedup();
        if all_keyed && plan.dbs.is_empty() && !shards.is_empty() && shards.iter().all(|&s| s == shards[0]) {
            // Keyless key commands run on this core: one shard only if that is this core too.
            let keyless_here = plan.steps.iter().all(|s| matches!(s, Step::Shard { shard, .. } if *shard == shards[0]));
            if keyless_here {
                plan.single = Some(shards[0]);
            }
        }
        plan
    }

    /// Would a multi-shard transaction's lock on this shard make the queue wait?
    fn blocked_here(&self, core: &Core) -> bool {
        core.locks.holds_any(self.keys.iter().map(|(db, k)| (*db, k.as_slice())))
    }
}

/// MOVE and COPY ... DB name the same or another key in a second database.
fn other_db_key(name: &str, argv: &Argv<'_>, ndbs: usize) -> Option<(usize, Vec<u8>)> {
    let db_at = |i: usize| parse_i64(argv.get(i)).filter(|n| *n >= 0 && (*n as usize) < ndbs).map(|n| n as usize);
    match name {
        "move" => db_at(2).map(|db| (db, argv.get(1).to_vec())),
        "copy" => (3..argv.len().saturating_sub(1))
            .find(|&i| argv.is(i, "DB"))
            .and_then(|i| db_at(i + 1))
            .map(|db| (db, argv.get(2).to_vec())),
        _ => None,
    }
}

/// Checks made when EXEC runs, before anything of the queue does (none yet; OOM, MISCONF and
/// the like plug in here). An error discards the transaction with EXECABORT.
pub fn exec_checks(_core: &Core, _conn: &Conn, _queue: &Queue) -> Result<(), CmdError> {
    Ok(())
}

/// What running a queue on one shard in one hop came to.
enum Hop {
    /// A multi-shard transaction holds one of the keys: take the locked path.
    Blocked(Queue),
    /// A watched key changed.
    Dirty,
    /// The replies, and the queue back (for MONITOR).
    Ran(Vec<u8>, Queue),
}

/// Client details a command run on another shard needs (slow log, RESP version, NO-TOUCH).
#[derive(Clone)]
struct Who {
    me: ConnRef,
    resp3: bool,
    peer: String,
    name: String,
    no_touch: bool,
    /// The client's id (NOLOOP) and its tracking reader (CLIENT TRACKING), for run_key.
    client: u64,
    reader: Option<crate::pubsub::tracking::Tracker>,
}

/// [`Who`], borrowed (the in-place path copies nothing).
#[derive(Clone, Copy)]
struct WhoRef<'a> {
    me: ConnRef,
    no_touch: bool,
    peer: &'a str,
    name: &'a str,
    client: u64,
    reader: Option<crate::pubsub::tracking::Tracker>,
}

impl Who {
    fn as_ref(&self) -> WhoRef<'_> {
        WhoRef {
            me: self.me,
            no_touch: self.no_touch,
            peer: &self.peer,
            name: &self.name,
            client: self.client,
            reader: self.reader,
        }
    }

    fn of(core: &Core, conn: &Conn) -> Who {
        Who {
            me: conn.cref(core.id),
            resp3: conn.resp3(),
            peer: conn.peer.clone(),
            name: conn.name.clone(),
            no_touch: conn.no_touch,
            client: conn.id,
            reader: conn.tracking.as_ref().and_then(|m| m.reader(conn, core.id)),
        }
    }
}

/// EXEC, with the queue taken off the connection.
pub fn exec(cx: &mut Cx, mut queue: Box<Queue>) -> Result<Flow, CmdError> {
    let (core, conn) = (&mut *cx.core, &mut *cx.conn);
    let watched = std::mem::take(&mut conn.watched);
    if queue.aborted {
        forget_watches(core, conn.cref(core.id), &watched);
        return Err(CmdError::other("EXECABORT Transaction discarded because of previous errors."));
    }
    if let Err(e) = exec_checks(core, conn, &queue) {
        forget_watches(core, conn.cref(core.id), &watched);
        return Err(e);
    }
    let mut plan = Plan::new(core, conn.db, &queue, &watched);
    // ACL rules may have changed since the commands were queued: checked again, as Redis does.
    let mut denied: Vec<Option<String>> = Vec::new();
    if !conn.user.unrestricted() {
        for i in 0..queue.len() {
            let (id, argv) = queue.get(i);
            if let Err(d) = crate::acl::check::check(&conn.user, id, &argv) {
                let info = conn.info_line(std::time::Instant::now());
                crate::acl::check::log_denied(core, conn, info, d, id, &argv, crate::acl::log::Context::Multi);
                denied.resize(queue.len(), None);
                denied[i] = Some(d.exec_text());
                plan.steps[i] = Step::Denied;
                plan.single = None;
            }
        }
    }
    match plan.single {
        Some(shard) if shard == core.id && !plan.blocked_here(core) => {
            let who = WhoRef {
                me: conn.cref(core.id),
                no_touch: conn.no_touch,
                peer: &conn.peer,
                name: &conn.name,
                client: conn.id,
                reader: conn.tracking.as_ref().and_then(|m| m.reader(conn, core.id)),
            };
            if run_queue(core, &queue, &plan, who, &mut conn.out) {
                feed_all(core, conn, &queue);
            } else {
                conn.out.null_array();
            }
            // The next MULTI reuses the buffers.
            if queue.mem() <= SPARE_QUEUE_MAX {
                queue.clear();
                conn.spare_queue = Some(queue);
            }
            Ok(Flow::Done)
        }
        Some(shard) if shard != core.id => Ok(one_hop(shard, *queue, plan, Who::of(core, conn), watched)),
        _ => Ok(locked(core, *queue, plan, Who::of(core, conn), watched, denied)),
    }
}

/// Most bytes a connection keeps of an executed queue for its next MULTI.
const SPARE_QUEUE_MAX: usize = 64 * 1024;

/// Runs the whole queue on `shard` in one job, falling back to the locked path if a
/// multi-shard transaction holds one of its keys there.
fn one_hop(shard: usize, queue: Queue, plan: Plan, who: Who, watched: Vec<(usize, Vec<u8>)>) -> Flow {
    let keys = plan.keys.clone();
    let steps = plan.steps.clone();
    let job_who = who.clone();
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        let plan = Plan { steps, keys, dbs: Vec::new(), single: Some(core.id) };
        if plan.blocked_here(core) {
            return Box::new(Hop::Blocked(queue));
        }
        let mut out = Out::new(job_who.resp3);
        if run_queue(core, &queue, &plan, job_who.as_ref(), &mut out) {
            Box::new(Hop::Ran(out.buf, queue))
        } else {
            Box::new(Hop::Dirty)
        }
    });
    Flow::Wait(FanOut {
        jobs: vec![(shard, job)],
        finish: Box::new(move |core, conn, mut parts| {
            match *parts.pop().expect("one part").downcast::<Hop>().expect("a Hop") {
                Hop::Ran(bytes, queue) => {
                    conn.out.raw(&bytes);
                    feed_all(core, conn, &queue);
                    Flow::Done
                }
                Hop::Dirty => {
                    conn.out.null_array();
                    Flow::Done
                }
                Hop::Blocked(queue) => {
                    let plan = Plan { single: None, ..plan };
                    locked(core, queue, plan, who, watched, Vec::new())
                }
            }
        }),
    })
}

/// On the shard that owns every key: the watch check, then every command, EXEC's reply written
/// to `out` (false, nothing written: a watched key changed). Forgets the connection's watches
/// here either way.
fn run_queue(core: &mut Core, queue: &Queue, plan: &Plan, who: WhoRef<'_>, out: &mut Out) -> bool {
    if watch_dirty(core, who.me) {
        return false;
    }
    out.array(queue.len());
    core.no_touch = who.no_touch;
    (core.client_now, core.reader) = (who.client, who.reader);
    for (i, step) in plan.steps.iter().enumerate() {
        let Step::Shard { db, .. } = *step else { unreachable!("one-shard plans hold key commands only") };
        let (id, argv) = queue.get(i);
        crate::server::exec::run_key(core, id, db, argv, out, who.peer, who.name);
    }
    (core.client_now, core.reader) = (0, None);
    core.no_touch = false;
    true
}

/// Has anything `me` watches on this shard changed? Forgets its watches here.
fn watch_dirty(core: &mut Core, me: ConnRef) -> bool {
    if core.watches.is_empty() {
        return false;
    }
    let dirty = core.watches.dirty(me, |db, key| core.expired_in_place(db, key));
    core.watches.remove(me);
    dirty
}

/// Forgets `me`'s watches on the shards owning `watched` (UNWATCH, DISCARD, EXECABORT, RESET,
/// disconnection). Messages from one core to another arrive in order, so a WATCH sent after
/// this never races it.
pub fn forget_watches(core: &mut Core, me: ConnRef, watched: &[(usize, Vec<u8>)]) {
    let mut shards: Vec<usize> = watched.iter().map(|(_, k)| core.owner(k)).collect();
    shards.sort_unstable();
    shards.dedup();
    for shard in shards {
        if shard == core.id {
            core.watches.remove(me);
        } else {
            core.shared.mesh.send(
                shard,
                crate::shard::mesh::Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                    core.watches.remove(me);
                    Box::new(())
                })),
            );
        }
    }
}

/// The general path: lock everything, check watches under the locks, run the commands in
/// order, release.
fn locked(
    core: &mut Core,
    queue: Queue,
    plan: Plan,
    who: Who,
    watched: Vec<(usize, Vec<u8>)>,
    denied: Vec<Option<String>>,
) -> Flow {
    let mut tx = Tx::keys(core, plan.keys.iter().map(|(db, k)| (*db, k.as_slice())), true);
    if !plan.dbs.is_empty() {
        // Whole databases on every shard, with the databases of the keys too (a shard's lock
        // is either keys or databases).
        let mut dbs = plan.dbs.clone();
        dbs.extend(plan.keys.iter().map(|(db, _)| *db));
        dbs.sort_unstable();
        dbs.dedup();
        tx = Tx { parts: Tx::dbs(core, dbs).parts, ..tx };
    }
    tx.touch = false;
    let run = Run { queue, steps: plan.steps, next: 0, who, denied };
    if watched.is_empty() {
        return tx.lock(Box::new(move |core, conn, tx| run.start(core, conn, tx)));
    }
    tx.lock(Box::new(move |_core, _conn, tx| {
        let me = run.who.me;
        tx.run(
            move |_, _| Box::new(move |core: &mut Core| -> JobOut { Box::new(watch_dirty(core, me)) }),
            move |core, conn, parts, tx| {
                if parts.into_iter().any(|p| p.downcast::<bool>().is_ok_and(|d| *d)) {
                    return tx.release(Box::new(|_core, conn, _| {
                        conn.out.null_array();
                        Flow::Done
                    }));
                }
                run.start(core, conn, tx)
            },
        )
    }))
}

/// One shard's replies in one buffer, where each command's reply ends (queue index, end), and
/// the queue index of its first command that woke a blocked client (`u64::MAX`: none).
type ShardReplies = (Vec<u8>, Vec<(usize, usize)>, u64);

/// A queue running under EXEC's locks.
struct Run {
    queue: Queue,
    steps: Vec<Step>,
    next: usize,
    who: Who,
    /// The error of each [`Step::Denied`] command (empty when none is).
    denied: Vec<Option<String>>,
}

impl Run {
    fn start(self, core: &mut Core, conn: &mut Conn, tx: Tx) -> Flow {
        conn.out.array(self.queue.len());
        if self.steps.iter().all(|s| matches!(s, Step::Shard { .. })) {
            return self.all_at_once(core, conn, tx);
        }
        self.step(core, conn, tx)
    }

    /// Every command is a key command of one shard: with every lock held, commands of different
    /// shards touch different keys and commute, so each shard runs its own in queue order, all
    /// shards at once, and lets its locks go right after. The replies are put back in queue
    /// order. One round instead of one per run of same-shard commands plus the release.
    fn all_at_once(self, core: &mut Core, conn: &mut Conn, tx: Tx) -> Flow {
        let mut groups: hashbrown::HashMap<usize, (Cmds, Vec<(usize, usize)>)> = hashbrown::HashMap::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Step::Shard { shard, db } = *step else { unreachable!("checked by the caller") };
            let (id, argv) = self.queue.get(i);
            feed(core, conn, id, &argv);
            let group = groups.entry(shard).or_default();
            group.0.push(id, &argv);
            group.1.push((i, db));
        }
        let who = self.who;
        tx.run_and_release_in_order(
            |shard, _| {
                let (part, order) = groups.remove(&shard).unwrap_or_default();
                let who = who.clone();
                Box::new(move |core: &mut Core| -> JobOut {
                    let mut out = Out::new(who.resp3);
                    let mut ends = Vec::with_capacity(order.len());
                    core.no_touch = who.no_touch;
                    let mut first_ready = u64::MAX;
                    for (j, &(i, db)) in order.iter().enumerate() {
                        let (id, argv) = part.get(j);
                        let before = core.blocking.ready_len();
                        crate::server::exec::run_key(core, id, db, argv, &mut out, &who.peer, &who.name);
                        if core.blocking.ready_len() > before {
                            first_ready = first_ready.min(i as u64);
                        }
                        ends.push((i, out.buf.len()));
                    }
                    core.no_touch = false;
                    let replies: ShardReplies = (out.buf, ends, first_ready);
                    Box::new(replies)
                })
            },
            // The shards ran at once: rank by queue position, not by clock.
            |out, _| out.downcast_ref::<ShardReplies>().map_or(u64::MAX, |r| r.2),
            Box::new(move |_core, conn, parts| {
                let outs: Vec<ShardReplies> = parts.into_iter().filter_map(|p| p.downcast().ok().map(|b| *b)).collect();
                let mut pieces: Vec<(usize, &[u8])> = Vec::new();
                for (buf, ends, _) in &outs {
                    let mut start = 0;
                    for &(i, end) in ends {
                        pieces.push((i, &buf[start..end]));
                        start = end;
                    }
                }
                pieces.sort_unstable_by_key(|(i, _)| *i);
                for (_, bytes) in pieces {
                    conn.out.raw(bytes);
                }
                Flow::Done
            }),
        )
    }

    /// Runs commands from `next` until one has to wait for other shards.
    fn step(mut self, core: &mut Core, conn: &mut Conn, tx: Tx) -> Flow {
        while self.next < self.steps.len() {
            let i = self.next;
            match self.steps[i] {
                Step::Shard { shard, db } if shard == core.id => {
                    let (id, argv) = self.queue.get(i);
                    feed(core, conn, id, &argv);
                    core.no_touch = conn.no_touch;
                    (core.client_now, core.reader) = (self.who.client, self.who.reader);
                    crate::server::exec::run_key(core, id, db, argv, &mut conn.out, &conn.peer, &conn.name);
                    (core.client_now, core.reader) = (0, None);
                    core.no_touch = false;
                    self.next += 1;
                }
                Step::Shard { shard, .. } => return self.ship(core, conn, shard, tx),
                Step::Denied => {
                    let text = self.denied[i].take().unwrap_or_default();
                    conn.out.error(text.as_bytes());
                    self.next += 1;
                }
                Step::Spread | Step::Conn => {
                    let (id, argv) = self.queue.get(i);
                    feed(core, conn, id, &argv);
                    let spread = self.steps[i] == Step::Spread;
                    core.exec_tx = Some(tx.txid);
                    let reads =
                        crate::commands::registry().entries[id].spec.flags & crate::commands::flag::READONLY != 0;
                    (core.client_now, core.reader) = (self.who.client, self.who.reader.filter(|_| reads));
                    let flow = crate::server::exec::run_in_exec(core, conn, id, argv, spread);
                    (core.client_now, core.reader) = (0, None);
                    core.exec_tx = None;
                    self.next += 1;
                    return and_then(flow, Box::new(move |core, conn| self.step(core, conn, tx)));
                }
            }
        }
        let noop = |_: usize, _: &super::Scope| -> Job { Box::new(|_core: &mut Core| -> JobOut { Box::new(()) }) };
        // The commands ran one after the other: the stamps follow the queue.
        tx.run_and_release_in_order(noop, |_, stamp| stamp, Box::new(|_core, _conn, _| Flow::Done))
    }

    /// Ships the consecutive commands bound for remote `shard` as one job.
    fn ship(mut self, core: &mut Core, conn: &mut Conn, shard: usize, tx: Tx) -> Flow {
        let start = self.next;
        while self.steps.get(self.next).is_some_and(|s| matches!(s, Step::Shard { shard: s, .. } if *s == shard)) {
            self.next += 1;
        }
        let mut part = Cmds::default();
        let mut dbs = Vec::with_capacity(self.next - start);
        for i in start..self.next {
            let (id, argv) = self.queue.get(i);
            feed(core, conn, id, &argv);
            part.push(id, &argv);
            if let Step::Shard { db, .. } = self.steps[i] {
                dbs.push(db);
            }
        }
        let who = self.who.clone();
        let job: Job = Box::new(move |core: &mut Core| -> JobOut {
            let mut out = Out::new(who.resp3);
            core.no_touch = who.no_touch;
            (core.client_now, core.reader) = (who.client, who.reader);
            for (i, db) in dbs.into_iter().enumerate() {
                let (id, argv) = part.get(i);
                crate::server::exec::run_key(core, id, db, argv, &mut out, &who.peer, &who.name);
            }
            (core.client_now, core.reader) = (0, None);
            core.no_touch = false;
            Box::new(out.buf)
        });
        Flow::Wait(FanOut {
            jobs: vec![(shard, job)],
            finish: Box::new(move |core, conn, mut parts| {
                if let Ok(bytes) = parts.pop().expect("one part").downcast::<Vec<u8>>() {
                    conn.out.raw(&bytes);
                }
                self.step(core, conn, tx)
            }),
        })
    }
}

/// `flow`, then `next` once it is done (a connection command inside EXEC may wait for other
/// shards; the transaction goes on when it has finished).
pub fn and_then(flow: Flow, next: crate::commands::Step) -> Flow {
    match flow {
        Flow::Done | Flow::Close => Flow::Then(next),
        Flow::Then(step) => Flow::Then(Box::new(move |core, conn| and_then(step(core, conn), next))),
        Flow::Wait(FanOut { jobs, finish }) => Flow::Wait(FanOut {
            jobs,
            finish: Box::new(move |core, conn, parts| and_then(finish(core, conn, parts), next)),
        }),
    }
}

/// MONITOR sees a transaction's commands as they run (and EXEC after them, fed when EXEC
/// finishes), as in Redis.
fn feed(core: &mut Core, conn: &Conn, id: usize, argv: &Argv<'_>) {
    crate::server::exec::feed_monitors(core, conn, id, argv);
}

fn feed_all(core: &mut Core, conn: &Conn, queue: &Queue) {
    if core.shared.monitors.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        return;
    }
    for i in 0..queue.len() {
        let (id, argv) = queue.get(i);
        feed(core, conn, id, &argv);
    }
}
