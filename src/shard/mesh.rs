//! The mesh: how shards talk. Each shard has one inbox, a lock-free MPSC queue (crossbeam's
//! `SegQueue`) plus an eventfd that the shard's io_uring ring keeps a read armed on.
//!
//! Wake-ups are paid only when needed: a shard about to block in the kernel sets `parked`, checks
//! its queue once more, then waits. A sender pushes first and writes the eventfd only if it is the
//! one that flips `parked` back to false, so a busy shard is never interrupted and an idle one is
//! never missed (both sides use SeqCst on `parked`, ordered after/before the queue operation).

use std::any::Any;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_queue::SegQueue;

use super::Core;

/// What a finished job hands back to the connection that asked for it.
pub type JobOut = Box<dyn Any + Send>;

/// Work sent to a shard; runs there with that shard's state.
pub type Job = Box<dyn FnOnce(&mut Core) -> JobOut + Send>;

/// Names one connection on one shard. `gen` tells a reused slot from the connection that asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnRef {
    pub shard: usize,
    pub slot: u32,
    pub gen: u32,
}

/// A message between shards.
pub enum Msg {
    /// Run `job` and send its result back to `reply_to` as `Done { part, .. }`.
    Run { reply_to: ConnRef, part: usize, job: Job },
    /// Run `job` for its effect only (broadcasts that need no answer).
    Post(Job),
    /// The answer to `Run` (and to `Batch`, whose output is the encoded replies).
    Done { conn: ConnRef, part: usize, out: JobOut },
    /// Consecutive single-shard commands of one connection, to run here in order.
    Batch { reply_to: ConnRef, batch: Box<Batch> },
    /// Stop the event loop.
    Shutdown,
}

/// Commands bound for one remote shard, copied out of the connection's input buffer, with
/// what running them needs from the connection.
pub struct Batch {
    pub cmds: crate::commands::Cmds,
    pub db: usize,
    pub resp3: bool,
    pub peer: String,
    pub name: String,
    /// From a CLIENT NO-TOUCH client.
    pub no_touch: bool,
    /// The client's id (NOLOOP), and the tracker its reads are remembered for (CLIENT
    /// TRACKING), with whether only the first command's are (after CLIENT CACHING).
    pub client: u64,
    pub reader: Option<(crate::pubsub::tracking::Tracker, bool)>,
}

/// One shard's inbox.
pub struct Inbox {
    queue: SegQueue<Msg>,
    parked: AtomicBool,
    eventfd: RawFd,
}

impl Inbox {
    fn new() -> std::io::Result<Self> {
        // SAFETY: plain syscall; the fd is owned by this Inbox and closed in Drop.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Inbox { queue: SegQueue::new(), parked: AtomicBool::new(false), eventfd: fd })
    }

    pub fn eventfd(&self) -> RawFd {
        self.eventfd
    }

    pub fn push(&self, msg: Msg) {
        self.queue.push(msg);
        if self.parked.swap(false, Ordering::SeqCst) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our own eventfd. A failed write (counter
            // overflow) still leaves the counter readable, so the wake-up is not lost.
            unsafe { libc::write(self.eventfd, &one as *const u64 as *const libc::c_void, 8) };
        }
    }

    pub fn pop(&self) -> Option<Msg> {
        self.queue.pop()
    }

    /// Called by the owner before blocking. Returns false when messages arrived meanwhile, in
    /// which case the owner must not block.
    pub fn park(&self) -> bool {
        self.parked.store(true, Ordering::SeqCst);
        if self.queue.is_empty() {
            true
        } else {
            self.parked.store(false, Ordering::SeqCst);
            false
        }
    }

    pub fn unpark(&self) {
        self.parked.store(false, Ordering::SeqCst);
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.eventfd) };
    }
}

/// Every shard's inbox, shared (read-only) by all shards.
pub struct Mesh {
    inboxes: Vec<Inbox>,
}

impl Mesh {
    pub fn new(shards: usize) -> std::io::Result<Self> {
        let inboxes = (0..shards).map(|_| Inbox::new()).collect::<Result<_, _>>()?;
        Ok(Mesh { inboxes })
    }

    pub fn shards(&self) -> usize {
        self.inboxes.len()
    }

    pub fn inbox(&self, shard: usize) -> &Inbox {
        &self.inboxes[shard]
    }

    pub fn send(&self, shard: usize, msg: Msg) {
        self.inboxes[shard].push(msg);
    }

    /// Runs `f` on every shard but `me`, answering nobody.
    pub fn post_others(&self, me: usize, f: impl Fn(&mut Core) + Clone + Send + 'static) {
        for (_, inbox) in self.inboxes.iter().enumerate().filter(|&(s, _)| s != me) {
            let f = f.clone();
            inbox.push(Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                f(core);
                Box::new(())
            })));
        }
    }

    /// Sends `job` (built per shard) to every shard, this one included.
    pub fn broadcast(&self, mut job: impl FnMut() -> Job) {
        for inbox in &self.inboxes {
            inbox.push(Msg::Post(job()));
        }
    }
}
