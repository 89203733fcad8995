//! One shard's event loop: an io_uring ring with `SINGLE_ISSUER` and `DEFER_TASKRUN`.
//!
//! Those two flags are why the ring is ours and not a runtime's: with deferred task running the
//! kernel completes network I/O only when this thread enters the ring to wait, so packets for a
//! busy shard never interrupt it (glommio 0.9's rings lack the flag; see BENCHMARKS.md). Each pass
//! of the loop handles the inbox, sends what connections have produced, then submits every queued
//! operation and waits in one `io_uring_enter`.
//!
//! Per connection one multishot receive stays armed (fed from a ring of provided buffers, see
//! [`super::bufring`]) and at most one send is in flight. Input that arrives while a connection
//! waits for other shards simply queues in its input buffer, bounded by
//! `client-query-buffer-limit`.

use std::cell::RefCell;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use io_uring::{cqueue, opcode, squeue, types, IoUring};

use crate::server::bufring::BufRing;
use crate::server::conn::{Closing, Conn};
use crate::server::exec;
use crate::shard::mesh::Msg;
use crate::shard::Core;

const KIND_ACCEPT: u64 = 1;
const KIND_RECV: u64 = 2;
const KIND_SEND: u64 = 3;
const KIND_WAKE: u64 = 4;
const KIND_TICK: u64 = 5;

/// Most reply bytes held back while a pipeline waits on another shard (see `flush`).
const HOLD_OUTPUT_MAX: usize = 64 * 1024;

/// Provided receive buffers per shard, and their size.
const RECV_BUFFERS: u16 = 256;
const RECV_BUFFER_SIZE: usize = 16 * 1024;
const RECV_GROUP: u16 = 0;

fn token(kind: u64, slot: u32, gen: u32) -> u64 {
    kind << 56 | ((gen as u64) & 0xff_ffff) << 32 | slot as u64
}

fn untoken(data: u64) -> (u64, u32, u32) {
    (data >> 56, data as u32, ((data >> 32) & 0xff_ffff) as u32)
}

/// A listening socket this shard accepts on.
#[derive(Clone, Copy)]
pub struct Listener {
    pub fd: RawFd,
    pub unix: bool,
}

/// The ring and what its operations point into. Shared (behind a `RefCell`, borrowed only for
/// a ring operation, never across a command) by the event loop and by [`busy_turn`], which a
/// long script's hook runs in the middle of a command.
pub struct Io {
    // Declared first so it is dropped first: the kernel lets go of `bufs` with the ring.
    ring: IoUring,
    bufs: BufRing,
    listeners: Vec<Listener>,
    wake_buf: Box<u64>,
    tick: Box<types::Timespec>,
    /// Bumped each time the TCP listeners are replaced.
    listen_gen: u32,
    /// Completions taken from the ring and not handled yet, in arrival order: the event loop's
    /// current batch, which a busy turn (started by one of them) takes over.
    pending: std::collections::VecDeque<(u64, i32, u32)>,
    /// Completions a busy turn left for the event loop (in arrival order).
    deferred: Vec<(u64, i32, u32)>,
}

thread_local! {
    /// This shard thread's ring, for [`busy_turn`].
    static IO: RefCell<Option<Rc<RefCell<Io>>>> = const { RefCell::new(None) };
}

impl Io {
    fn push(&mut self, entry: squeue::Entry) {
        // SAFETY: every entry we queue points into memory that outlives the operation: a
        // connection's buffers stay put until its completion (see the module docs), the wake-up
        // buffer and timespec live in `self`.
        unsafe {
            while self.ring.submission().push(&entry).is_err() {
                let _ = self.ring.submit();
            }
        }
    }

    fn arm_accept(&mut self, index: usize) {
        let fd = self.listeners[index].fd;
        let entry = opcode::AcceptMulti::new(types::Fd(fd)).flags(libc::SOCK_CLOEXEC).build().user_data(token(
            KIND_ACCEPT,
            index as u32,
            self.listen_gen,
        ));
        self.push(entry);
    }

    fn flush(&mut self, conn: &mut Conn) {
        if conn.send_inflight || conn.closing == Closing::Now {
            return;
        }
        // In the middle of a pipeline whose next command went to another shard, the replies
        // so far wait for that hop's: one send for the pipeline (as Redis writes once per
        // event-loop turn) instead of one small send per hop, which cost more CPU than the
        // hops themselves. A remote batch runs at once unless a key of it is locked by a
        // multi-shard command, which holds it only while that command runs. What the kernel
        // is already sending is never held.
        if conn.sending.is_empty()
            && conn.wait.as_ref().is_some_and(|w| w.finish.is_none())
            && conn.out.buf.len() < HOLD_OUTPUT_MAX
        {
            return;
        }
        if conn.sending.is_empty() {
            if conn.out.buf.is_empty() {
                return;
            }
            std::mem::swap(&mut conn.out.buf, &mut conn.sending);
            conn.sent = 0;
        }
        let rest = &conn.sending[conn.sent..];
        let entry = opcode::Send::new(types::Fd(conn.fd), rest.as_ptr(), rest.len().min(u32::MAX as usize) as u32)
            .flags(libc::MSG_NOSIGNAL)
            .build()
            .user_data(token(KIND_SEND, conn.slot, conn.gen));
        conn.send_inflight = true;
        self.push(entry);
    }

    fn arm_recv(&mut self, conn: &mut Conn) {
        if conn.recv_inflight || conn.closing != Closing::Open {
            return;
        }
        let entry = opcode::RecvMulti::new(types::Fd(conn.fd), self.bufs.bgid)
            .build()
            .user_data(token(KIND_RECV, conn.slot, conn.gen));
        conn.recv_inflight = true;
        self.push(entry);
    }
}

/// A shard with no input for a while gives memory back (see `release_quiet_buffers`).
struct Quiet {
    /// `net_input_bytes` when last seen to move, and when.
    read: u64,
    since: Instant,
    /// The receive buffers' pages were given back.
    released: bool,
    /// This thread's allocation balance at its last cache flush.
    balance: i64,
}

pub struct Reactor {
    // Declared first so it is dropped first (the ring before the connections' buffers).
    io: Rc<RefCell<Io>>,
    core: Core,
    last_cron: Instant,
    quiet: Quiet,
    stopping: bool,
}

impl Reactor {
    pub fn new(core: Core, listeners: Vec<Listener>) -> std::io::Result<Self> {
        let ring = IoUring::builder()
            .setup_single_issuer()
            .setup_defer_taskrun()
            .setup_coop_taskrun()
            .setup_cqsize(16 * 1024)
            .build(4096)?;
        let bufs = BufRing::new(&ring, RECV_GROUP, RECV_BUFFERS, RECV_BUFFER_SIZE)?;
        let hz = core.config.hz.clamp(1, 500) as u64;
        let tick = Box::new(types::Timespec::from(Duration::from_millis(1000 / hz)));
        let io = Io {
            ring,
            bufs,
            listeners,
            wake_buf: Box::new(0),
            tick,
            listen_gen: 0,
            pending: std::collections::VecDeque::with_capacity(1024),
            deferred: Vec::new(),
        };
        let quiet = Quiet { read: 0, since: Instant::now(), released: false, balance: 0 };
        Ok(Reactor { io: Rc::new(RefCell::new(io)), core, last_cron: Instant::now(), quiet, stopping: false })
    }

    fn arm_accept(&mut self, index: usize) {
        self.io.borrow_mut().arm_accept(index);
    }

    /// CONFIG SET port/bind: replace this shard's TCP listeners with ones for the new addresses.
    /// The old accepts are cancelled; their last completions carry an old `listen_gen` and are
    /// ignored.
    fn relisten(&mut self) {
        self.core.relisten = false;
        let mut io = self.io.borrow_mut();
        for i in 0..io.listeners.len() {
            if io.listeners[i].unix {
                continue;
            }
            let cancel = opcode::AsyncCancel::new(token(KIND_ACCEPT, i as u32, io.listen_gen)).build().user_data(0);
            io.push(cancel);
            // SAFETY: our listening socket; the cancelled accept no longer uses it.
            unsafe { libc::close(io.listeners[i].fd) };
        }
        io.listen_gen = io.listen_gen.wrapping_add(1) & 0xff_ffff;
        let mut listeners: Vec<Listener> = io.listeners.iter().copied().filter(|l| l.unix).collect();
        match super::tcp_listeners(&self.core.config) {
            Ok(fds) => listeners.extend(fds.into_iter().map(|(fd, _)| Listener { fd, unix: false })),
            Err(e) => crate::warning!("Could not listen on the new address: {}", e),
        }
        io.listeners = listeners;
        for i in 0..io.listeners.len() {
            io.arm_accept(i);
        }
    }

    fn arm_wake(&mut self) {
        let fd = self.core.shared.mesh.inbox(self.core.id).eventfd();
        let mut io = self.io.borrow_mut();
        let buf = &mut *io.wake_buf as *mut u64 as *mut u8;
        let entry = opcode::Read::new(types::Fd(fd), buf, 8).build().user_data(token(KIND_WAKE, 0, 0));
        io.push(entry);
    }

    fn arm_tick(&mut self) {
        let mut io = self.io.borrow_mut();
        let entry = opcode::Timeout::new(&*io.tick as *const types::Timespec).build().user_data(token(KIND_TICK, 0, 0));
        io.push(entry);
    }

    /// Runs until SHUTDOWN.
    pub fn run(mut self) -> std::io::Result<()> {
        IO.with(|cell| *cell.borrow_mut() = Some(self.io.clone()));
        let listeners = self.io.borrow().listeners.len();
        for i in 0..listeners {
            self.arm_accept(i);
        }
        self.arm_wake();
        self.arm_tick();
        let shared = self.core.shared.clone();
        let inbox = shared.mesh.inbox(self.core.id);
        loop {
            // DEBUG HOLD-INBOX (tests only) leaves the inbox alone for a while.
            let held = self.core.inbox_held_until.is_some_and(|until| Instant::now() < until);
            while let Some(msg) = if held { None } else { inbox.pop() } {
                self.on_message(msg);
                self.core.flush_expired();
                self.core.client_now = 0;
                if self.core.lock_released {
                    self.after_release();
                }
                if self.core.blocking.has_ready() {
                    crate::coord::block::serve_ready(&mut self.core);
                }
            }
            if let Some(deadline) = crate::coord::block::next_deadline(&self.core) {
                let now = Instant::now();
                if deadline <= now {
                    crate::coord::block::expire(&mut self.core, now);
                }
            }
            if self.core.relisten {
                self.relisten();
            }
            self.visit_dirty();
            if self.core.blocking.has_ready() {
                // Keys left ready by a pass that could not reach a waiter, or made ready by
                // the connections just visited.
                crate::coord::block::serve_ready(&mut self.core);
                self.visit_dirty();
            }
            if self.stopping {
                break;
            }
            // A background save writes a slice each pass and keeps the loop from sleeping long.
            let saving = self.core.snapshot.is_active() && crate::persistence::snapshot::step(&mut self.core);
            // Completions a busy turn left (the wake-up read and the tick among them, so
            // nothing would wake us) are handled before any wait.
            let deferred = !self.io.borrow().deferred.is_empty();
            // Held, the inbox is not looked at: wait for I/O, until the hold ends.
            // So does eviction that ran out of time with memory still over the limit.
            let busy = saving || self.core.eviction.behind;
            let wait = !deferred && (held || busy || inbox.park());
            let mut deadline = crate::coord::block::next_deadline(&self.core);
            if busy {
                // Only a wait runs the ring's deferred work (completions): a short one.
                deadline = Some(Instant::now());
            }
            if let (true, Some(until)) = (held, self.core.inbox_held_until) {
                deadline = Some(deadline.map_or(until, |d| d.min(until)));
            }
            let mut io = self.io.borrow_mut();
            let entered = match (wait, deadline) {
                (false, _) => io.ring.submit(),
                (true, None) => io.ring.submit_and_wait(1),
                (true, Some(deadline)) => {
                    // Wake for the nearest blocked client's deadline, not the next tick.
                    let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_micros(100);
                    let ts = types::Timespec::from(left);
                    let args = types::SubmitArgs::new().timespec(&ts);
                    match io.ring.submitter().submit_with_args(1, &args) {
                        Err(e) if e.raw_os_error() == Some(libc::ETIME) => Ok(0),
                        other => other,
                    }
                }
            };
            inbox.unpark();
            match entered {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINTR) || e.raw_os_error() == Some(libc::EBUSY) => {}
                Err(e) => return Err(e),
            }
            // The time commands see: read after the wait, not before it (a shard may sleep long).
            self.core.now_ms = crate::shard::now_ms();
            // maxmemory: between commands, as Redis looks before each one.
            crate::shard::evict::pass(&mut self.core);
            {
                let io = &mut *io;
                io.pending.extend(io.deferred.drain(..));
                for cqe in io.ring.completion() {
                    io.pending.push_back((cqe.user_data(), cqe.result(), cqe.flags()));
                }
            }
            // A wait that brought nothing: the background save may take a long slice.
            self.core.snapshot.idle = saving && io.pending.is_empty();
            drop(io);
            loop {
                let next = self.io.borrow_mut().pending.pop_front();
                let Some((data, result, flags)) = next else { break };
                self.on_completion(data, result, flags);
            }
        }
        self.close_all();
        Ok(())
    }

    fn on_completion(&mut self, data: u64, result: i32, flags: u32) {
        let (kind, slot, gen) = untoken(data);
        match kind {
            KIND_ACCEPT => {
                let (current, unix) = {
                    let io = self.io.borrow();
                    let current = gen == io.listen_gen && (slot as usize) < io.listeners.len();
                    (current, current && io.listeners[slot as usize].unix)
                };
                if result >= 0 {
                    self.on_accept(result, unix);
                }
                if current && !cqueue::more(flags) && !self.stopping {
                    self.arm_accept(slot as usize);
                }
            }
            KIND_RECV => self.on_recv(slot, gen, result, flags),
            KIND_SEND => self.on_send(slot, gen, result),
            KIND_WAKE => self.arm_wake(),
            KIND_TICK => {
                self.cron();
                self.arm_tick();
            }
            _ => {}
        }
    }

    fn on_accept(&mut self, fd: RawFd, unix: bool) {
        accept(&mut self.core, &self.io, fd, unix);
    }

    fn on_recv(&mut self, slot: u32, gen: u32, result: i32, flags: u32) {
        let bid = cqueue::buffer_select(flags);
        let Some(mut conn) = self.core.conns.take(slot, gen) else {
            if let Some(bid) = bid {
                self.io.borrow_mut().bufs.recycle(bid);
            }
            return;
        };
        if !cqueue::more(flags) {
            conn.recv_inflight = false;
        }
        if result > 0 {
            let n = result as usize;
            if let Some(bid) = bid {
                let mut io = self.io.borrow_mut();
                conn.input.extend_from_slice(io.bufs.data(bid, n));
                io.bufs.recycle(bid);
            }
            self.core.stats.net_input_bytes += n as u64;
            conn.last_interaction = Instant::now();
            if conn.input.len() - conn.pos > self.core.config.client_query_buffer_limit as usize {
                crate::warning!(
                    "Closing client that reached max query buffer length: id={} addr={}",
                    conn.id,
                    conn.peer
                );
                conn.closing = Closing::Now;
            } else {
                exec::process(&mut self.core, &mut conn);
            }
        } else if result == 0 {
            // The peer closed its side: nothing more will run for it, but replies already
            // produced (a half-closed client can still read them) go out before the close.
            conn.closing = Closing::AfterFlush;
        } else if result != -libc::EINTR && result != -libc::EAGAIN && result != -libc::ENOBUFS {
            conn.closing = Closing::Now;
        }
        self.settle(conn);
    }

    fn on_send(&mut self, slot: u32, gen: u32, result: i32) {
        let Some(mut conn) = self.core.conns.take(slot, gen) else { return };
        conn.send_inflight = false;
        if result >= 0 {
            conn.sent += result as usize;
            self.core.stats.net_output_bytes += result as u64;
            if conn.sent >= conn.sending.len() {
                conn.sending.clear();
                conn.sent = 0;
                if conn.sending.capacity() > 1024 * 1024 {
                    conn.sending = Vec::new();
                }
            }
        } else if result != -libc::EINTR && result != -libc::EAGAIN {
            conn.closing = Closing::Now;
        }
        if conn.closing == Closing::Open && conn.wait.is_none() {
            exec::process(&mut self.core, &mut conn);
        }
        self.settle(conn);
    }

    /// After any event: send what is pending, re-arm the receive, or finish closing; then put
    /// the connection back (or free it).
    fn settle(&mut self, mut conn: Box<Conn>) {
        exec::enforce_output_limit(&self.core, &mut conn);
        self.io.borrow_mut().flush(&mut conn);
        if conn.closing == Closing::AfterFlush && conn.pending_output() == 0 && conn.wait.is_none() {
            conn.closing = Closing::Now;
        }
        if conn.closing == Closing::Now {
            // Gone: a serve round under way for it must not pop any more.
            if let Some(alive) = conn.blocked.as_ref().and_then(|b| b.alive.as_ref()) {
                alive.store(false, std::sync::atomic::Ordering::SeqCst);
            }
        }
        if conn.closing == Closing::Now {
            if conn.recv_inflight || conn.send_inflight {
                // Wake the operations in flight; their completions bring us back here.
                // SAFETY: plain syscall on our own fd.
                unsafe { libc::shutdown(conn.fd, libc::SHUT_RDWR) };
                self.core.conns.put(conn);
            } else if conn.wait.is_some() {
                // A command of this client is still running on other shards (it may hold
                // transaction locks there): keep the slot until its last round is done, so
                // the rounds still run and release what they hold. Its replies go nowhere.
                self.core.conns.put(conn);
            } else {
                self.free(conn);
            }
            return;
        }
        self.io.borrow_mut().arm_recv(&mut conn);
        self.core.conns.put(conn);
    }

    fn free(&mut self, mut conn: Box<Conn>) {
        crate::pubsub::forget(&mut self.core, &mut conn);
        crate::pubsub::tracking::forget(&mut self.core, &mut conn);
        if conn.blocked.is_some() {
            // Gone while blocked: never served, its elements stay for others.
            crate::coord::block::unblock(&mut self.core, &mut conn);
        }
        if !conn.watched.is_empty() {
            let me = conn.cref(self.core.id);
            crate::coord::multi::forget_watches(&mut self.core, me, &conn.watched);
        }
        // SAFETY: no operation on this fd is in flight any more.
        unsafe { libc::close(conn.fd) };
        if conn.monitor {
            self.core.shared.monitors.fetch_sub(1, Ordering::Relaxed);
        }
        self.core.shared.clients.fetch_sub(1, Ordering::Relaxed);
        self.core.conns.remove(conn.slot);
    }

    fn on_message(&mut self, msg: Msg) {
        match msg {
            Msg::Run { reply_to, part, job } => {
                self.core.reply_to = Some((reply_to, part));
                let out = job(&mut self.core);
                self.core.reply_to = None;
                if !out.is::<crate::coord::Queued>() {
                    self.answer(reply_to, part, out);
                }
            }
            Msg::Batch { reply_to, batch } => {
                if exec::batch_blocked(&self.core, &batch) {
                    self.core.held_batches.push_back((reply_to, batch));
                } else {
                    let out = exec::run_batch(&mut self.core, &batch);
                    self.answer(reply_to, 0, Box::new(out));
                }
            }
            Msg::Post(job) => {
                job(&mut self.core);
            }
            Msg::Done { conn, part, out } => self.on_done(conn.slot, conn.gen, part, out),
            Msg::Shutdown => self.stopping = true,
        }
    }

    /// Sends a job's output to the connection that asked for it.
    fn answer(&mut self, reply_to: crate::shard::mesh::ConnRef, part: usize, out: crate::shard::mesh::JobOut) {
        if reply_to.shard == self.core.id {
            self.on_done(reply_to.slot, reply_to.gen, part, out);
        } else {
            self.core.shared.mesh.send(reply_to.shard, Msg::Done { conn: reply_to, part, out });
        }
    }

    /// A transaction released locks here: retry what waited for them, in arrival order.
    fn after_release(&mut self) {
        self.core.lock_released = false;
        if self.core.blocking.has_ready() {
            crate::coord::block::serve_ready(&mut self.core);
        }
        let held = std::mem::take(&mut self.core.held_batches);
        for (reply_to, batch) in held {
            if exec::batch_blocked(&self.core, &batch) {
                self.core.held_batches.push_back((reply_to, batch));
            } else {
                let out = exec::run_batch(&mut self.core, &batch);
                self.answer(reply_to, 0, Box::new(out));
            }
        }
        // Connections parked on a lock run now, before the queued transactions are granted
        // (see `coord::grant_waiting`).
        let parked = std::mem::take(&mut self.core.lock_parked);
        self.core.dirty.extend(parked);
        self.visit_dirty();
        crate::coord::grant_waiting(&mut self.core);
    }

    fn on_done(&mut self, slot: u32, gen: u32, part: usize, out: crate::shard::mesh::JobOut) {
        if slot == super::task::TASK_SLOT {
            return super::task::deliver(&mut self.core, gen, part, out);
        }
        let Some(mut conn) = self.core.conns.take(slot, gen) else { return };
        if exec::deliver(&mut self.core, &mut conn, part, out) {
            exec::process(&mut self.core, &mut conn);
        }
        self.settle(conn);
    }

    /// Connections that jobs touched (output from MONITOR, CLIENT KILL, unpause...).
    fn visit_dirty(&mut self) {
        while let Some(slot) = self.core.dirty.pop() {
            let gen = self.core.conns.gen(slot);
            let Some(mut conn) = self.core.conns.take(slot, gen) else { continue };
            if conn.closing == Closing::Open && conn.wait.is_none() {
                exec::process(&mut self.core, &mut conn);
            }
            self.settle(conn);
        }
    }

    /// Periodic work, `hz` times a second: paused clients, idle timeouts, CONFIG SET hz.
    fn cron(&mut self) {
        let now = Instant::now();
        self.last_cron = now;
        let timeout = self.core.config.timeout;
        let mut dirty = Vec::new();
        for conn in self.core.conns.iter_mut() {
            if conn.paused {
                // Runs again and is held again if the pause still holds.
                dirty.push(conn.slot);
            } else if timeout > 0
                && !conn.monitor
                && conn.wait.is_none()
                && conn.blocked.is_none()
                && conn.subs.total() == 0
                && now.duration_since(conn.last_interaction) > Duration::from_secs(timeout)
            {
                crate::verbose!("Closing idle client id={} addr={}", conn.id, conn.peer);
                conn.closing = Closing::Now;
                dirty.push(conn.slot);
            }
        }
        self.core.dirty.extend(dirty);
        self.active_expire();
        self.release_quiet_buffers(now);
        if self.core.id == 0 {
            crate::memory::mark_startup();
        }
        crate::shard::evict::pass(&mut self.core);
        crate::commands::persist::cron(&mut self.core);
        // The kernel copies the timespec when the timeout is queued, so a new hz applies from
        // the next tick.
        *self.io.borrow_mut().tick =
            types::Timespec::from(Duration::from_millis(1000 / self.core.config.hz.clamp(1, 500) as u64));
        if self.core.shared.shutting_down.load(Ordering::Relaxed) {
            self.stopping = true;
        }
    }

    /// After 10 s without input (jemalloc's decay gives freed memory back as late), the pages
    /// of the receive buffers go back to the system; the next data faults them in again. From
    /// then on, whenever this thread freed something since (keys expiring), its cache of freed
    /// objects goes back to the arena, whose background purging can then return whole slabs.
    fn release_quiet_buffers(&mut self, now: Instant) {
        const QUIET: Duration = Duration::from_secs(10);
        let read = self.core.stats.net_input_bytes;
        let q = &mut self.quiet;
        if read != q.read {
            *q = Quiet { read, since: now, released: false, balance: q.balance };
        } else if now.duration_since(q.since) >= QUIET {
            if !q.released {
                self.io.borrow_mut().bufs.release_pages();
                q.released = true;
            }
            let balance = crate::memory::thread_balance();
            if balance != q.balance {
                crate::memory::flush_thread_cache();
                q.balance = balance;
            }
        }
    }

    /// Removes expired keys nobody touches, as Redis's active expire cycle: in steps of a few
    /// hundred keys with a deadline, going on while a good share of each step turns out expired,
    /// and never for more than a quarter of the time between two ticks.
    fn active_expire(&mut self) {
        const STEP: usize = 200;
        // A background save must see every key alive at its start: lazy expiry goes through
        // the save's pre-write step, this cycle does not, so it waits for the save.
        if self.core.snapshot.is_active() {
            return;
        }
        let budget = Duration::from_millis(250 / self.core.config.hz.clamp(1, 500) as u64);
        let started = Instant::now();
        let now = crate::shard::now_ms();
        for db in 0..self.core.dbs.len() {
            while self.core.dbs[db].expires_len() > 0 {
                let watches = &mut self.core.watches;
                let expired = &mut self.core.expired_events;
                let notify = self.core.config.notify_keyspace_events & crate::pubsub::notify::class::EXPIRED != 0
                    || !self.core.tracking.is_empty();
                let (examined, removed) = self.core.dbs[db].expire_cycle(now, STEP, |key, _| {
                    if !watches.is_empty() {
                        watches.touch(db, key, false);
                    }
                    if notify {
                        expired.push((db, key.to_vec()));
                    }
                });
                self.core.flush_expired();
                self.core.stats.expired_keys += removed as u64;
                if examined < STEP || removed * 4 < examined || started.elapsed() > budget {
                    break;
                }
            }
            if started.elapsed() > budget {
                break;
            }
        }
    }

    fn close_all(&mut self) {
        let slots: Vec<u32> = self.core.conns.iter().map(|c| c.slot).collect();
        for slot in slots {
            let gen = self.core.conns.gen(slot);
            if let Some(conn) = self.core.conns.take(slot, gen) {
                // SAFETY: we own the fd; the ring is dropped right after, cancelling its operations.
                unsafe { libc::close(conn.fd) };
            }
        }
    }
}

/// A turn of I/O while a script that ran past `busy-reply-threshold` holds this shard's thread
/// (called from the script's hook, every millisecond or so): new connections are accepted, and
/// what connected clients send runs with the shard in busy mode (`Core::busy_script`), where
/// every command but those Redis allows during a busy script (SCRIPT KILL, FUNCTION KILL,
/// SHUTDOWN NOSAVE, the allow-busy ones) is answered -BUSY. Replies are sent. Everything else
/// (the inbox, timers, the script's own connection, which is checked out) waits for the event
/// loop: their completions are kept for it in order.
pub fn busy_turn(core: &mut Core) {
    let Some(io) = IO.with(|cell| cell.borrow().clone()) else { return };
    let mut completions = Vec::new();
    {
        let Ok(mut ring) = io.try_borrow_mut() else { return };
        // First what the event loop had taken from the ring but not handled when the script
        // started (a client's command may be among them), then what came since.
        completions.extend(ring.pending.drain(..));
        let zero = types::Timespec::new();
        let args = types::SubmitArgs::new().timespec(&zero);
        let _ = ring.ring.submitter().submit_with_args(1, &args);
        for cqe in ring.ring.completion() {
            completions.push((cqe.user_data(), cqe.result(), cqe.flags()));
        }
    }
    for (data, result, flags) in completions {
        let (kind, slot, gen) = untoken(data);
        let conn = match kind {
            KIND_RECV | KIND_SEND => core.conns.take(slot, gen),
            KIND_ACCEPT if result >= 0 => {
                let (current, unix) = {
                    let ring = io.borrow();
                    let current = gen == ring.listen_gen && (slot as usize) < ring.listeners.len();
                    (current, current && ring.listeners[slot as usize].unix)
                };
                accept(core, &io, result, unix);
                if current && !cqueue::more(flags) {
                    io.borrow_mut().arm_accept(slot as usize);
                }
                continue;
            }
            _ => None,
        };
        let Some(mut conn) = conn else {
            io.borrow_mut().deferred.push((data, result, flags));
            continue;
        };
        if kind == KIND_RECV {
            if !cqueue::more(flags) {
                conn.recv_inflight = false;
            }
            if result > 0 {
                if let Some(bid) = cqueue::buffer_select(flags) {
                    let mut ring = io.borrow_mut();
                    conn.input.extend_from_slice(ring.bufs.data(bid, result as usize));
                    ring.bufs.recycle(bid);
                }
                core.stats.net_input_bytes += result as u64;
            } else if result == 0 {
                conn.closing = Closing::AfterFlush;
            } else if result != -libc::EINTR && result != -libc::EAGAIN && result != -libc::ENOBUFS {
                conn.closing = Closing::Now;
            }
        } else {
            conn.send_inflight = false;
            if result >= 0 {
                conn.sent += result as usize;
                if conn.sent >= conn.sending.len() {
                    conn.sending.clear();
                    conn.sent = 0;
                }
            } else if result != -libc::EINTR && result != -libc::EAGAIN {
                conn.closing = Closing::Now;
            }
        }
        if conn.closing == Closing::Open && conn.wait.is_none() {
            exec::process(core, &mut conn);
        }
        let mut ring = io.borrow_mut();
        ring.flush(&mut conn);
        if conn.closing == Closing::Open {
            ring.arm_recv(&mut conn);
        } else {
            // Closed or closing: the event loop finishes it.
            core.dirty.push(conn.slot);
        }
        drop(ring);
        core.conns.put(conn);
    }
}

/// Redis 7.0's protected-mode refusal.
const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is \
set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect \
from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending \
the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the \
server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to \
make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration \
file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server \
manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for \
the default user. NOTE: You only need to do one of the above things in order for the server to start accepting \
connections from the outside.\r\n";

/// A peer address (`ip:port`) on the loopback interface, as Redis's connIsLocal sees it.
fn is_loopback(peer: &str) -> bool {
    let ip = peer.rsplit_once(':').map_or(peer, |(ip, _)| ip);
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.starts_with("127.") || ip == "::1"
}

/// A new connection: counted, set up, its receive armed.
fn accept(core: &mut Core, io: &RefCell<Io>, fd: RawFd, unix: bool) {
    let shared = &core.shared;
    core.stats.total_connections += 1;
    if shared.clients.load(Ordering::Relaxed) >= core.config.maxclients as usize {
        let msg = b"-ERR max number of clients reached\r\n";
        // SAFETY: a freshly accepted fd of ours; best-effort write then close, as Redis does.
        unsafe {
            libc::send(fd, msg.as_ptr() as *const libc::c_void, msg.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL);
            libc::close(fd);
        }
        core.stats.rejected_connections += 1;
        return;
    }
    let (peer, local) = if unix {
        // Redis shows a Unix socket client as `path:0` on both ends.
        let path = core.config.unixsocket.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        (format!("{path}:0"), format!("{path}:0"))
    } else {
        set_tcp_options(fd, core.config.tcp_keepalive);
        (sock_name(fd, true), sock_name(fd, false))
    };
    // Protected mode, as Redis 7.0: while the default user needs no password, only the
    // loopback interface (and the Unix socket) may connect.
    if !unix && core.config.protected_mode && core.acl.users.default_user().nopass && !is_loopback(&peer) {
        // SAFETY: a freshly accepted fd of ours; best-effort write then close, as Redis does.
        unsafe {
            libc::send(
                fd,
                DENIED.as_ptr() as *const libc::c_void,
                DENIED.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            );
            libc::close(fd);
        }
        core.stats.rejected_connections += 1;
        return;
    }
    shared.clients.fetch_add(1, Ordering::Relaxed);
    let id = shared.next_client_id.fetch_add(1, Ordering::Relaxed);
    let default = core.acl.users.default_user().clone();
    let mut conn = Box::new(Conn::new(fd, id, unix, peer, local, default.logs_in_alone()));
    (conn.user, conn.acl_version) = (default, core.acl.users.version);
    let slot = core.conns.insert(conn);
    let gen = core.conns.gen(slot);
    if let Some(mut conn) = core.conns.take(slot, gen) {
        io.borrow_mut().arm_recv(&mut conn);
        core.conns.put(conn);
    }
}

/// TCP_NODELAY, and keep-alive probes every `keepalive` seconds (0: none), as Redis sets them.
fn set_tcp_options(fd: RawFd, keepalive: u32) {
    let set = |level: i32, name: i32, value: libc::c_int| {
        // SAFETY: setsockopt with a live int on our own socket.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                &value as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    set(libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
    if keepalive > 0 {
        let interval = (keepalive / 3).max(1) as libc::c_int;
        set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
        set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, keepalive as libc::c_int);
        set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, interval);
        set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
    }
}

/// "ip:port" of the peer (`peer` true) or of our end.
pub fn sock_name(fd: RawFd, peer: bool) -> String {
    // SAFETY: the storage is large enough for any address; the kernel fills at most `len` bytes.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let p = &mut storage as *mut libc::sockaddr_storage as *mut libc::sockaddr;
        let rc = if peer { libc::getpeername(fd, p, &mut len) } else { libc::getsockname(fd, p, &mut len) };
        if rc != 0 {
            return "?:0".into();
        }
        match storage.ss_family as i32 {
            libc::AF_INET => {
                let a = &*(p as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                format!("{}:{}", ip, u16::from_be(a.sin_port))
            }
            libc::AF_INET6 => {
                // Redis brackets IPv6 addresses: `[::1]:6379`.
                let a = &*(p as *const libc::sockaddr_in6);
                let ip = std::net::Ipv6Addr::from(a.sin6_addr.s6_addr);
                format!("[{}]:{}", ip, u16::from_be(a.sin6_port))
            }
            _ => "?:0".into(),
        }
    }
}
