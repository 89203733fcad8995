//! What one core owns, and how keys find their core.
//!
//! A [`Core`] is everything one shard thread owns: its part of every database, its connections,
//! its statistics and slow log, its copy of the configuration. Nothing in it is shared; other
//! shards reach it only by sending a [`mesh::Job`] that runs here, on this thread.
//!
//! [`Shared`] holds the few process-wide facts: the mesh itself, start time and run id, and
//! atomics for the counters that must be global (client ids, client count, MONITOR clients).

pub mod evict;
pub mod keyspace;
pub mod mesh;
pub mod route;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hashbrown::HashMap;

use crate::commands::registry;
use crate::config::Config;
use crate::server::conn::Conns;
use mesh::Mesh;

/// Process-wide state every shard can read. Mutable parts are atomics.
pub struct Shared {
    pub mesh: Mesh,
    pub started: Instant,
    pub started_unix: u64,
    pub run_id: String,
    pub config_file: Option<PathBuf>,
    pub executable: PathBuf,
    /// The TCP port actually bound (differs from the configured one only for `port 0` tests).
    pub tcp_port: AtomicU16,
    pub next_client_id: AtomicU64,
    pub clients: AtomicUsize,
    pub monitors: AtomicUsize,
    pub next_slowlog_id: AtomicU64,
    pub shutting_down: AtomicBool,
    /// The script running on each shard, if any, for SCRIPT KILL, -BUSY and SHUTDOWN NOSAVE
    /// on the other shards (see [`crate::scripting`]).
    pub scripts: Vec<crate::scripting::Running>,
    /// Bytes of published messages posted to each shard and not yet delivered there (see
    /// [`crate::pubsub`]: bounded by the pubsub output limit).
    pub pubsub_in_flight: Vec<std::sync::atomic::AtomicU64>,
    /// Saves so far and when the last one ended (see [`crate::persistence::snapshot`]).
    pub saves: crate::persistence::snapshot::Saves,
    /// What shards publish for each other's share of eviction (see [`evict`]).
    pub budget: evict::Budget,
}

impl Shared {
    pub fn new(shards: usize, config_file: Option<PathBuf>, tcp_port: u16) -> std::io::Result<Self> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Ok(Shared {
            mesh: Mesh::new(shards)?,
            started: Instant::now(),
            started_unix: now.as_secs(),
            run_id: run_id(),
            config_file,
            executable: std::env::current_exe().unwrap_or_default(),
            tcp_port: AtomicU16::new(tcp_port),
            next_client_id: AtomicU64::new(1),
            clients: AtomicUsize::new(0),
            monitors: AtomicUsize::new(0),
            next_slowlog_id: AtomicU64::new(0),
            shutting_down: AtomicBool::new(false),
            scripts: (0..shards).map(|_| Default::default()).collect(),
            pubsub_in_flight: (0..shards).map(|_| Default::default()).collect(),
            saves: crate::persistence::snapshot::Saves::new(shards),
            budget: evict::Budget::new(shards),
        })
    }

    pub fn shards(&self) -> usize {
        self.mesh.shards()
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

/// 40 hex characters, random per start, as Redis's run_id.
fn run_id() -> String {
    let mut bytes = [0u8; 20];
    // SAFETY: getrandom fills the live buffer we pass.
    let got = unsafe { libc::getrandom(bytes.as_mut_ptr() as *mut libc::c_void, bytes.len(), 0) };
    if got != bytes.len() as isize {
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (std::process::id() as u8).wrapping_mul(i as u8);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One database's part held by one shard.
pub type Db = crate::store::table::Table<crate::store::value::Value>;

/// Counters for one command, as `INFO commandstats` shows them.
#[derive(Clone, Copy, Default, Debug)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Buckets of a command latency histogram (LATENCY HISTOGRAM).
///
/// Redis records each run, in nanoseconds (its microseconds times 1000, at most 1 s), in an HDR
/// histogram of 2 significant digits and reports it at 1024 ns, 2048 ns, ... : bucket k counts
/// the runs below 1032 * 2^k ns (1024 * 2^k plus the width of HDR's sub-bucket there) and is
/// labelled (1032 * 2^k - 1) / 1000 us: 1, 2, 4, 8, 16, 33, 66, ... Keeping just these 21
/// counters gives the same reply for one leading_zeros and one increment per command.
pub const LATENCY_BUCKETS: usize = 21;

/// The bucket of a run of `micros` (see [`LATENCY_BUCKETS`]).
#[inline]
pub fn latency_bucket(micros: u64) -> usize {
    let q = micros.min(1_000_000) * 1000 / 1032;
    (64 - q.leading_zeros() as usize).min(LATENCY_BUCKETS - 1)
}

/// The label Redis shows for bucket `k`, in microseconds.
pub fn latency_bucket_label(k: usize) -> u64 {
    ((1032u64 << k) - 1) / 1000
}

/// One command's latency histogram on one shard: runs per bucket (not cumulative).
pub type LatencyHistogram = [u64; LATENCY_BUCKETS];

/// This shard's statistics; INFO sums them over shards.
#[derive(Default, Debug)]
pub struct Stats {
    /// Indexed by [`crate::commands::Registry`] id.
    pub commands: Vec<CmdStat>,
    /// Indexed by [`crate::commands::Registry`] id, like `commands`; a command's histogram is
    /// made at its first run (most commands never run, and a shard's memory counts against
    /// maxmemory).
    pub latency: Vec<Option<Box<LatencyHistogram>>>,
    pub errors: HashMap<Vec<u8>, u64>,
    pub total_commands: u64,
    pub total_connections: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub evicted_clients: u64,
}

impl Stats {
    pub fn reset(&mut self) {
        *self = Stats::new(self.commands.len());
    }

    pub fn new(commands: usize) -> Self {
        Stats { commands: vec![CmdStat::default(); commands], latency: vec![None; commands], ..Stats::default() }
    }

    /// Counts a run of command `id` that took `micros` in its latency histogram.
    #[inline]
    pub fn record_latency(&mut self, id: usize, micros: u64) {
        self.latency[id].get_or_insert_with(Default::default)[latency_bucket(micros)] += 1;
    }
}

/// One SLOWLOG entry.
#[derive(Clone, Debug)]
pub struct SlowEntry {
    pub id: u64,
    pub time: u64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub peer: String,
    pub name: String,
}

/// CLIENT PAUSE state, the same on every shard (set by broadcast).
#[derive(Clone, Copy, Debug, Default)]
pub struct Pause {
    /// None: not paused.
    pub until: Option<Instant>,
    /// true: only write commands wait (`WRITE`); false: all commands wait (`ALL`).
    pub writes_only: bool,
}

impl Pause {
    pub fn blocks(&mut self, is_write: bool) -> bool {
        match self.until {
            Some(until) if Instant::now() < until => is_write || !self.writes_only,
            Some(_) => {
                self.until = None;
                false
            }
            None => false,
        }
    }
}

/// Everything one shard thread owns.
pub struct Core {
    /// ACL users (see [`crate::acl`]).
    pub acl: crate::acl::Acl,
    /// Commands renamed by `rename-command`.
    pub renames: crate::commands::Renames,
    pub id: usize,
    pub shared: Arc<Shared>,
    pub config: Config,
    pub dbs: Vec<Db>,
    pub stats: Stats,
    pub slowlog: Vec<SlowEntry>,
    pub pause: Pause,
    pub conns: Conns,
    /// Connections (slots) with output to send or input to run, for the event loop to visit.
    pub dirty: Vec<u32>,
    /// Set when CONFIG SET changed `port` or `bind`: the event loop re-creates its listeners.
    pub relisten: bool,
    /// Intent locks of multi-shard transactions on this shard's keys.
    pub locks: crate::coord::Locks,
    /// Set by a release: parked connections and held batches get another look.
    pub lock_released: bool,
    /// Local connections (slots) waiting for a lock on a key they touch.
    pub lock_parked: Vec<u32>,
    /// Remote batches waiting for a lock on a key they touch, in arrival order.
    pub held_batches: std::collections::VecDeque<(mesh::ConnRef, Box<mesh::Batch>)>,
    /// Where the job now running answers (set by the event loop for `Msg::Run`).
    pub reply_to: Option<(mesh::ConnRef, usize)>,
    /// Milliseconds since the Unix epoch, read once per pass of the event loop: the time every
    /// command of that pass sees (expiry, TTLs).
    pub now_ms: u64,
    /// The command now running comes from a CLIENT NO-TOUCH client: reads are not accesses.
    pub no_touch: bool,
    /// Who watches which of this shard's keys (WATCH), see [`crate::coord::watch`].
    pub watches: crate::coord::watch::Watches,
    /// Clients waiting on this shard's keys, and deadlines of clients blocked on this core
    /// (see [`crate::coord::block`]).
    pub blocking: crate::coord::block::Waiters,
    /// Set while a command runs inside an EXEC that holds transaction `txid`'s locks: a
    /// multi-shard command then joins that transaction instead of locking again.
    pub exec_tx: Option<u64>,
    /// This shard's Lua VM and script cache (see [`crate::scripting`]).
    pub scripting: crate::scripting::Scripting,
    /// Set while a script on this shard has run past `busy-reply-threshold` (true: a
    /// function): commands from this shard's connections are answered -BUSY.
    pub busy_script: Option<bool>,
    /// Who subscribes to what, here and on the other shards (see [`crate::pubsub`]).
    pub pubsub: crate::pubsub::PubSub,
    /// Tests only (DEBUG HOLD-INBOX): the inbox is not read before then.
    pub inbox_held_until: Option<std::time::Instant>,
    /// Keys expiry removed whose `expired` events are not out yet (see `pubsub::notify`).
    pub expired_events: Vec<(usize, Vec<u8>)>,
    /// While a job of a multi-shard command runs: the events it makes, for the command's shard
    /// to publish in order (see `pubsub::notify::capture`), and the order they take there.
    pub captured: Option<Vec<crate::pubsub::notify::Captured>>,
    pub event_seq: u32,
    /// Who may have cached which of this shard's keys (CLIENT TRACKING).
    pub tracking: crate::pubsub::tracking::Tracking,
    /// The client whose command runs now (NOLOOP), and the tracker its reads are remembered
    /// for, if it tracks them.
    pub client_now: u64,
    pub reader: Option<crate::pubsub::tracking::Tracker>,
    /// This shard's part in snapshots (see [`crate::persistence::snapshot`]).
    pub snapshot: crate::persistence::snapshot::ShardSnapshot,
    /// Work the server started on its own, waiting for other shards (see
    /// [`crate::server::task`]).
    pub tasks: crate::server::task::Tasks,
    /// `maxmemory`: this shard's eviction (see [`evict`]).
    pub eviction: evict::Eviction,
}

impl Core {
    pub fn new(id: usize, shared: Arc<Shared>, config: Config) -> Self {
        let dbs = (0..config.databases.max(1)).map(|_| Db::new()).collect();
        let stats = Stats::new(registry().len());
        let pubsub = crate::pubsub::PubSub::new(shared.shards());
        let acl = crate::acl::Acl::new(Arc::new(crate::acl::Users::initial(config.requirepass.as_deref())));
        let renames = crate::commands::Renames::new(&config.renames);
        Core {
            acl,
            renames,
            id,
            shared,
            config,
            dbs,
            stats,
            slowlog: Vec::new(),
            pause: Pause::default(),
            conns: Conns::default(),
            dirty: Vec::new(),
            relisten: false,
            locks: crate::coord::Locks::default(),
            lock_released: false,
            lock_parked: Vec::new(),
            held_batches: std::collections::VecDeque::new(),
            reply_to: None,
            now_ms: now_ms(),
            no_touch: false,
            watches: Default::default(),
            blocking: Default::default(),
            exec_tx: None,
            scripting: Default::default(),
            busy_script: None,
            pubsub,
            inbox_held_until: None,
            expired_events: Vec::new(),
            captured: None,
            event_seq: 0,
            tracking: Default::default(),
            client_now: 0,
            reader: None,
            snapshot: Default::default(),
            tasks: Default::default(),
            eviction: Default::default(),
        }
    }

    pub fn shards(&self) -> usize {
        self.shared.shards()
    }

    /// The shard that owns `key`.
    #[inline]
    pub fn owner(&self, key: &[u8]) -> usize {
        match self.shards() {
            1 => 0,
            n => route::key_shard(key, n),
        }
    }

    /// Whether a command that took `micros` belongs in the slow log.
    pub fn is_slow(&self, micros: u64) -> bool {
        let threshold = self.config.slowlog_log_slower_than;
        threshold >= 0 && micros as i64 >= threshold
    }

    /// Keeps a slow log entry (the caller checked [`Core::is_slow`]).
    pub fn slowlog_push(&mut self, micros: u64, mut args: Vec<Vec<u8>>, peer: &str, name: &str) {
        let id = self.shared.next_slowlog_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let time = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        // Redis keeps at most 32 arguments, the last one saying how many more there were, and
        // cuts each argument at 128 bytes.
        if args.len() > 32 {
            let more = args.len() - 31;
            args.truncate(31);
            args.push(format!("... ({more} more arguments)").into_bytes());
        }
        for arg in &mut args {
            if arg.len() > 128 {
                let more = arg.len() - 128;
                arg.truncate(128);
                arg.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
            }
        }
        self.slowlog.insert(0, SlowEntry { id, time, micros, args, peer: peer.to_string(), name: name.to_string() });
        self.slowlog.truncate(self.config.slowlog_max_len as usize);
    }
}

#[cfg(test)]
mod latency_tests {
    use super::*;

    #[test]
    fn buckets_and_labels_follow_redis() {
        // Redis's labels, as LATENCY HISTOGRAM shows them (hdr_iter_log from 1024 ns, factor 2).
        let labels: Vec<u64> = (0..LATENCY_BUCKETS).map(latency_bucket_label).collect();
        assert_eq!(&labels[..8], &[1, 2, 4, 8, 16, 33, 66, 132]);
        assert_eq!(labels[20], 1082130);
        for (micros, bucket) in
            [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (9, 4), (32, 5), (33, 5), (34, 6)]
        {
            assert_eq!(latency_bucket(micros), bucket, "{micros}");
        }
        assert_eq!(latency_bucket(u64::MAX), LATENCY_BUCKETS - 1);
        // A run lands in the first bucket whose label it does not pass.
        for micros in 0..5000 {
            let k = latency_bucket(micros);
            assert!(micros <= latency_bucket_label(k) + 1, "{micros}");
            assert!(k == 0 || micros > latency_bucket_label(k - 1), "{micros}");
        }
    }
}
