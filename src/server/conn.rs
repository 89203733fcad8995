//! One client connection and the slab that holds a core's connections.
//!
//! A `Conn` is owned by the core that accepted it, for its whole life. While a receive or a send
//! is in flight the kernel holds a pointer into `input` or `sending`, so neither buffer is touched
//! (moved, grown, compacted) until that operation completes; output produced meanwhile goes to
//! `out`, and the two swap when the send finishes.

use std::os::fd::RawFd;
use std::time::Instant;

use crate::protocol::{Args, Out};
use crate::shard::mesh::{ConnRef, JobOut};

use crate::commands::Finish;

/// CLIENT REPLY state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// CLIENT REPLY SKIP was sent: the next command's reply is dropped.
    SkipNext,
}

/// When the connection closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Open,
    /// After its pending output is written (QUIT, protocol errors).
    AfterFlush,
    /// As soon as no I/O is in flight (CLIENT KILL, errors, EOF).
    Now,
}

/// What the connection is waiting for before it may run its next command.
pub struct Wait {
    pub remaining: usize,
    pub parts: Vec<Option<JobOut>>,
    /// `None`: a batch for one remote shard; its single part is encoded reply bytes.
    pub finish: Option<Finish>,
    /// Drop the replies (CLIENT REPLY OFF/SKIP).
    pub suppress: bool,
}

pub struct Conn {
    pub fd: RawFd,
    pub slot: u32,
    pub gen: u32,
    pub id: u64,
    pub unix: bool,
    pub peer: String,
    pub local: String,
    pub created: Instant,
    pub last_interaction: Instant,
    pub name: String,
    pub lib_name: String,
    pub lib_ver: String,
    pub db: usize,
    pub authenticated: bool,
    pub monitor: bool,
    pub reply: ReplyMode,
    /// CLIENT NO-EVICT ON: never closed for `maxmemory-clients`.
    pub no_evict: bool,
    pub no_touch: bool,
    /// Full name of the last command run (`client|list`), for CLIENT LIST's `cmd=`.
    pub last_cmd: &'static str,
    /// Received bytes; `input[pos..]` is not parsed yet.
    pub input: Vec<u8>,
    pub pos: usize,
    pub args: Args,
    /// Replies not yet handed to the kernel.
    pub out: Out,
    /// Replies the kernel is sending; `sending[sent..]` is still to go.
    pub sending: Vec<u8>,
    pub sent: usize,
    pub recv_inflight: bool,
    pub send_inflight: bool,
    pub wait: Option<Wait>,
    /// The command waiting for other shards: (command id, start in clock ticks, arguments), for
    /// its statistics.
    pub running: Option<(usize, u64, Vec<Vec<u8>>)>,
    /// Held back by CLIENT PAUSE; retried on the next tick or unpause.
    pub paused: bool,
    pub closing: Closing,
    /// Since when (clock seconds) the pending output has been over the soft output limit.
    pub soft_limit_since: Option<u64>,
    /// Commands queued since MULTI; None outside a transaction.
    pub multi: Option<Box<crate::coord::multi::Queue>>,
    /// The last executed queue's buffers, emptied, for the next MULTI.
    pub spare_queue: Option<Box<crate::coord::multi::Queue>>,
    /// Keys this connection WATCHes, with their databases (the watches themselves live on the
    /// keys' owners, see `coord::watch`).
    pub watched: Vec<(usize, Vec<u8>)>,
    /// Blocked in BLPOP, WAIT...: no command runs until it is served, times out or is
    /// unblocked (see `coord::block`).
    pub blocked: Option<Box<crate::coord::block::Blocked>>,
    /// Channels, patterns and shard channels subscribed to (see [`crate::pubsub`]).
    pub subs: crate::pubsub::Subs,
    /// CLIENT TRACKING's mode, while on (see [`crate::pubsub::tracking`]).
    pub tracking: Option<Box<crate::pubsub::tracking::Mode>>,
    /// The ACL user, as of ACL table `acl_version` (see [`crate::acl`]).
    pub user: std::sync::Arc<crate::acl::User>,
    pub acl_version: u64,
    /// Redis's script client (CLIENT_SCRIPT): SORT sorts a set it would leave unsorted.
    pub script: bool,
}

impl Conn {
    pub fn new(fd: RawFd, id: u64, unix: bool, peer: String, local: String, authenticated: bool) -> Self {
        let now = Instant::now();
        Conn {
            fd,
            slot: 0,
            gen: 0,
            id,
            unix,
            peer,
            local,
            created: now,
            last_interaction: now,
            name: String::new(),
            lib_name: String::new(),
            lib_ver: String::new(),
            db: 0,
            authenticated,
            monitor: false,
            reply: ReplyMode::On,
            no_touch: false,
            no_evict: false,
            last_cmd: "NULL",
            input: Vec::new(),
            pos: 0,
            args: Args::default(),
            out: Out::new(false),
            sending: Vec::new(),
            sent: 0,
            recv_inflight: false,
            send_inflight: false,
            wait: None,
            running: None,
            paused: false,
            closing: Closing::Open,
            soft_limit_since: None,
            multi: None,
            spare_queue: None,
            watched: Vec::new(),
            blocked: None,
            subs: Default::default(),
            tracking: None,
            user: crate::acl::User::unrestricted_default(),
            acl_version: 0,
            script: false,
        }
    }

    pub fn cref(&self, shard: usize) -> ConnRef {
        ConnRef { shard, slot: self.slot, gen: self.gen }
    }

    pub fn resp3(&self) -> bool {
        self.out.resp3
    }

    /// Output bytes not yet acknowledged by the kernel.
    /// What this client holds (CLIENT LIST's tot-mem, what `maxmemory-clients` counts): its
    /// buffers, its queued transaction and itself.
    pub fn memory(&self) -> usize {
        self.out.buf.capacity()
            + self.sending.capacity()
            + self.input.capacity()
            + self.multi.as_ref().map_or(0, |q| q.mem())
            + std::mem::size_of::<Conn>()
    }

    pub fn pending_output(&self) -> usize {
        self.out.buf.len() + self.sending.len() - self.sent
    }

    /// Has the pending output broken `client-output-buffer-limit` for this client's class
    /// `(hard, soft, soft seconds)`? As Redis's checkClientOutputBufferLimits: what counts is
    /// the output beyond the first 16 KB (Redis's static reply buffer); at or past the hard
    /// limit at once; at or past the soft one when it has stayed there for more than the soft
    /// seconds, counted in whole seconds of the clock (`now_secs`) as Redis counts them, from
    /// the first check that found it there.
    pub fn over_output_limit(&mut self, (hard, soft, soft_secs): (u64, u64, i64), now_secs: u64) -> bool {
        let used = self.pending_output().saturating_sub(16 * 1024) as u64;
        if hard > 0 && used >= hard {
            return true;
        }
        if soft == 0 || used < soft {
            self.soft_limit_since = None;
            return false;
        }
        let since = *self.soft_limit_since.get_or_insert(now_secs);
        now_secs.saturating_sub(since) as i64 > soft_secs
    }

    /// Closes the connection at once for going past its output limit, as Redis does ("ASAP",
    /// its pending replies dropped), logging it; false if it was closing already.
    pub fn close_for_output_limit(&mut self) -> bool {
        if self.closing == Closing::Now {
            return false;
        }
        let info = self.info_line(Instant::now());
        crate::warning!("Client {info} scheduled to be closed ASAP for overcoming of output buffer limits.");
        self.closing = Closing::Now;
        true
    }

    /// The address as MONITOR and the slow log show it.
    pub fn addr_for_logs(&self) -> &str {
        &self.peer
    }

    /// One line of CLIENT LIST / CLIENT INFO, in Redis 7.2's field order.
    pub fn info_line(&self, now: Instant) -> String {
        self.info_line_running(now, self.last_cmd)
    }

    /// [`Conn::info_line`] with `cmd` as the command it runs (one refused before it ran).
    pub fn info_line_running(&self, now: Instant, cmd: &str) -> String {
        let mut flags = String::new();
        if self.monitor {
            flags.push('O');
        }
        if self.subs.total() > 0 {
            flags.push('P');
        }
        if self.multi.is_some() {
            flags.push('x');
        }
        if self.paused || self.blocked.is_some() {
            flags.push('b');
        }
        if let Some(mode) = &self.tracking {
            flags.push('t');
            if mode.broken {
                flags.push('R');
            }
            if mode.bcast {
                flags.push('B');
            }
        }
        if self.no_touch {
            flags.push('T');
        }
        if self.closing == Closing::AfterFlush {
            flags.push('A');
        }
        if self.unix {
            flags.push('U');
        }
        if self.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let qbuf = self.input.len().saturating_sub(self.pos);
        let omem = self.out.buf.capacity() + self.sending.capacity();
        let tot_mem = self.memory();
        let events = if self.pending_output() > 0 { "rw" } else { "r" };
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} \
             qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events={} \
             cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
            self.id,
            self.peer,
            self.local,
            self.fd,
            self.name,
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_interaction).as_secs(),
            flags,
            self.db,
            self.subs.of(crate::pubsub::Kind::Channel).len(),
            self.subs.of(crate::pubsub::Kind::Pattern).len(),
            self.subs.of(crate::pubsub::Kind::Shard).len(),
            self.multi.as_ref().map_or(-1, |q| q.len() as i64),
            qbuf,
            self.input.capacity() - self.input.len(),
            self.multi.as_ref().map_or(0, |q| q.mem()),
            self.input.capacity(),
            self.input.len(),
            self.out.buf.len(),
            omem,
            tot_mem,
            events,
            cmd,
            String::from_utf8_lossy(&self.user.name),
            self.tracking.as_ref().map_or(-1, |m| m.redirect as i64),
            if self.resp3() { 3 } else { 2 },
            self.lib_name,
            self.lib_ver,
        )
    }
}

/// A core's connections, by slot. A slot's `gen` grows each time it is reused, so a late answer
/// for a closed connection is recognised and dropped.
#[derive(Default)]
pub struct Conns {
    slots: Vec<Option<Box<Conn>>>,
    gens: Vec<u32>,
    free: Vec<u32>,
}

impl Conns {
    pub fn insert(&mut self, mut conn: Box<Conn>) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.gens.push(0);
                (self.slots.len() - 1) as u32
            }
        };
        self.gens[slot as usize] = self.gens[slot as usize].wrapping_add(1);
        conn.slot = slot;
        conn.gen = self.gens[slot as usize];
        self.slots[slot as usize] = Some(conn);
        slot
    }

    /// Takes the connection out while it is being worked on; `put` brings it back.
    pub fn take(&mut self, slot: u32, gen: u32) -> Option<Box<Conn>> {
        let s = slot as usize;
        if s < self.slots.len() && self.gens[s] == gen {
            self.slots[s].take()
        } else {
            None
        }
    }

    pub fn put(&mut self, conn: Box<Conn>) {
        let slot = conn.slot as usize;
        self.slots[slot] = Some(conn);
    }

    /// Frees the slot for good.
    pub fn remove(&mut self, slot: u32) {
        self.slots[slot as usize] = None;
        self.free.push(slot);
    }

    pub fn get_mut(&mut self, slot: u32, gen: u32) -> Option<&mut Conn> {
        let s = slot as usize;
        if s < self.slots.len() && self.gens[s] == gen {
            self.slots[s].as_deref_mut()
        } else {
            None
        }
    }

    /// The connection is alive but taken out for the moment (its event is being handled).
    pub fn is_taken(&self, slot: u32, gen: u32) -> bool {
        let s = slot as usize;
        s < self.slots.len() && self.gens[s] == gen && self.slots[s].is_none() && !self.free.contains(&slot)
    }

    pub fn get(&self, slot: u32, gen: u32) -> Option<&Conn> {
        let s = slot as usize;
        if s < self.slots.len() && self.gens[s] == gen {
            self.slots[s].as_deref()
        } else {
            None
        }
    }

    pub fn gen(&self, slot: u32) -> u32 {
        self.gens[slot as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Conn> {
        self.slots.iter().filter_map(|c| c.as_deref())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Conn> {
        self.slots.iter_mut().filter_map(|c| c.as_deref_mut())
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
