//! MEMORY STATS, DOCTOR, PURGE and MALLOC-STATS, as Redis 7.0 answers them (the spec rows
//! live with MEMORY USAGE in `keys.rs`). The numbers are the server's: the allocator's count
//! (`crate::memory`), jemalloc's statistics and each shard's tables.

use super::{Cx, FanOut, Flow};
use crate::error::CmdError;
use crate::shard::mesh::JobOut;
use crate::shard::Core;

type R = Result<Flow, CmdError>;

/// What one shard tells MEMORY STATS: per database with keys, its number, keys, table bytes
/// and keys with a deadline.
/// One shard's tables (database, keys, bytes, keys with a deadline) and what its clients hold.
struct Tables(Vec<(usize, u64, u64, u64)>, u64);

fn tables(core: &mut Core) -> Tables {
    Tables(
        core.dbs
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(i, t)| (i, t.len() as u64, t.memory_bytes() as u64, t.expires_len() as u64))
            .collect(),
        core.conns.iter().map(|c| c.memory() as u64).sum(),
    )
}

/// The process's memory as MEMORY STATS and DOCTOR see it.
struct Overview {
    used: u64,
    peak: u64,
    startup: u64,
    rss: u64,
    allocated: u64,
    active: u64,
    resident: u64,
}

fn overview() -> Overview {
    let (allocated, active, resident, _) = crate::memory::allocator_stats();
    let used = crate::memory::used_memory();
    Overview {
        used,
        peak: crate::memory::peak(),
        startup: crate::memory::startup().min(used),
        rss: super::server::rss_bytes(),
        allocated,
        active,
        resident,
    }
}

/// Redis keeps these ratios as C floats.
fn ratio(a: u64, b: u64) -> f64 {
    f64::from(a as f32 / b.max(1) as f32)
}

/// MEMORY STATS
pub fn stats(cx: &mut Cx) -> R {
    Ok(FanOut::all(
        cx.core.shards(),
        |_| Box::new(|core: &mut Core| -> JobOut { Box::new(tables(core)) }),
        Box::new(|core, conn, parts| {
            // Per database: (keys, table bytes, keys with a deadline), over every shard.
            let mut dbs = std::collections::BTreeMap::<usize, (u64, u64, u64)>::new();
            let mut clients = 0;
            for part in parts.into_iter().filter_map(|p| p.downcast::<Tables>().ok()) {
                clients += part.1;
                for (db, keys, bytes, expires) in part.0 {
                    let entry = dbs.entry(db).or_default();
                    *entry = (entry.0 + keys, entry.1 + bytes, entry.2 + expires);
                }
            }
            let m = overview();
            let lua: u64 = core.scripting.used_memory_lua() as u64;
            let functions = core.scripting.used_memory_scripts() as u64;
            let db_overhead: u64 = dbs.values().map(|&(_, bytes, expires)| bytes + expires * 8).sum();
            let overhead = m.startup + clients + lua + functions + db_overhead;
            let keys: u64 = dbs.values().map(|d| d.0).sum();
            let net = m.used.saturating_sub(m.startup);
            let dataset = m.used.saturating_sub(overhead);
            let out = &mut conn.out;
            out.map(27 + dbs.len());
            let int = |out: &mut crate::protocol::Out, name: &str, n: i64| {
                out.bulk(name.as_bytes());
                out.int(n);
            };
            int(out, "peak.allocated", m.peak as i64);
            int(out, "total.allocated", m.used as i64);
            int(out, "startup.allocated", m.startup as i64);
            int(out, "replication.backlog", 0);
            int(out, "clients.slaves", 0);
            int(out, "clients.normal", clients as i64);
            int(out, "cluster.links", 0);
            int(out, "aof.buffer", 0);
            int(out, "lua.caches", lua as i64);
            int(out, "functions.caches", functions as i64);
            for (db, (_, bytes, expires)) in &dbs {
                out.bulk(format!("db.{db}").as_bytes());
                out.map(3);
                int(out, "overhead.hashtable.main", *bytes as i64);
                int(out, "overhead.hashtable.expires", (*expires * 8) as i64);
                int(out, "overhead.hashtable.slot-to-keys", 0);
            }
            int(out, "overhead.total", overhead as i64);
            int(out, "keys.count", keys as i64);
            int(out, "keys.bytes-per-key", net.checked_div(keys).unwrap_or(0) as i64);
            int(out, "dataset.bytes", dataset as i64);
            let double = |out: &mut crate::protocol::Out, name: &str, d: f64| {
                out.bulk(name.as_bytes());
                out.double(d);
            };
            double(out, "dataset.percentage", ratio(dataset * 100, net));
            double(out, "peak.percentage", ratio(m.used * 100, m.peak));
            int(out, "allocator.allocated", m.allocated as i64);
            int(out, "allocator.active", m.active as i64);
            int(out, "allocator.resident", m.resident as i64);
            double(out, "allocator-fragmentation.ratio", ratio(m.active, m.allocated));
            int(out, "allocator-fragmentation.bytes", m.active as i64 - m.allocated as i64);
            double(out, "allocator-rss.ratio", ratio(m.resident, m.active));
            int(out, "allocator-rss.bytes", m.resident as i64 - m.active as i64);
            double(out, "rss-overhead.ratio", ratio(m.rss, m.resident));
            int(out, "rss-overhead.bytes", m.rss as i64 - m.resident as i64);
            double(out, "fragmentation", ratio(m.rss, m.used));
            int(out, "fragmentation.bytes", m.rss as i64 - m.used as i64);
            Flow::Done
        }),
    ))
}

const EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be \
used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I \
will be back to our programming as soon as I finished rebooting.\n";
const HEALTHY: &str =
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const ISSUES: &str = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently \
using. The allocator is normally not able to release memory after a peak, so you can expect to see a big \
fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis \
instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill \
the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, \
please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const HIGH_RSS: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than \
1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical \
allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak \
memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a \
lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the \
Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n";
const HIGH_ALLOCATOR_FRAG: &str = " * High allocator fragmentation: This instance has an allocator external \
fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a \
peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory \
a lot. You can try enabling 'activedefrag' config option.\n\n";
const HIGH_ALLOCATOR_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is \
greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the \
allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory \
entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const HIGH_PROCESS_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead \
is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the \
allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const BIG_CLIENT_BUFFERS: &str = " * Big client buffers: The clients output buffers in this instance are greater \
than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to \
channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients \
sending commands with large replies or very large sequences of commands in the same pipeline. Please use the \
CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand \
better why certain clients are using a big amount of memory.\n\n";
const MANY_SCRIPTS: &str = " * Many scripts: There seem to be many cached scripts in this instance (more than \
1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and \
ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end \
up consuming most of your memory.\n\n";
const SIGNED: &str = "I'm here to keep you safe, Sam. I want to help you.\n";

/// MEMORY DOCTOR: Redis's report, with its thresholds, for what this server has (no replicas):
/// the peak, the process's RSS against what it allocated, jemalloc's fragmentation and RSS
/// overheads, clients' buffers (every shard's) and the script cache.
pub fn doctor(cx: &mut Cx) -> R {
    Ok(FanOut::all(
        cx.core.shards(),
        |_| {
            Box::new(|core: &mut Core| -> JobOut {
                let clients: u64 = core.conns.iter().map(|c| c.memory() as u64).sum();
                Box::new((clients, core.conns.len() as u64))
            })
        },
        Box::new(|core, conn, parts| {
            let (mut clients, mut count) = (0u64, 0u64);
            for (bytes, n) in parts.into_iter().filter_map(|p| p.downcast::<(u64, u64)>().ok()).map(|p| *p) {
                clients += bytes;
                count += n;
            }
            let report = doctor_report(&overview(), clients, count.max(1), core.scripting.scripts.len());
            conn.out.verbatim(b"txt", report.as_bytes());
            Flow::Done
        }),
    ))
}

/// Redis's getMemoryDoctorReport over `m`, with `clients` bytes held by `count` clients.
fn doctor_report(m: &Overview, clients: u64, count: u64, scripts: usize) -> String {
    // The kernel's receive buffers are no issue of the dataset's (see `memory::not_counted`).
    let machinery = crate::memory::not_counted_for_evict();
    let (used, peak) = (m.used.saturating_sub(machinery), m.peak.saturating_sub(machinery));
    if used < 5 << 20 {
        return EMPTY.to_string();
    }
    let over = |a: u64, b: u64, by: f64| ratio(a, b) > by && a.saturating_sub(b) > 10 << 20;
    let findings = [
        (peak as f32 / used as f32 > 1.5, PEAK),
        (over(m.rss, used, 1.4), HIGH_RSS),
        (over(m.active, m.allocated, 1.1), HIGH_ALLOCATOR_FRAG),
        (over(m.resident, m.active, 1.1), HIGH_ALLOCATOR_RSS),
        (over(m.rss, m.resident, 1.1), HIGH_PROCESS_RSS),
        (clients / count > 200 * 1024, BIG_CLIENT_BUFFERS),
        (scripts > 1000, MANY_SCRIPTS),
    ];
    let found: String = findings.iter().filter(|(yes, _)| *yes).map(|(_, text)| *text).collect();
    if found.is_empty() {
        HEALTHY.to_string()
    } else {
        format!("{ISSUES}{found}{SIGNED}")
    }
}

/// MEMORY PURGE: jemalloc gives every arena's dirty pages back to the system.
pub fn purge(cx: &mut Cx) -> R {
    crate::memory::purge();
    cx.out().ok();
    Ok(Flow::Done)
}

/// MEMORY MALLOC-STATS: jemalloc's own report.
pub fn malloc_stats(cx: &mut Cx) -> R {
    let mut text = Vec::new();
    let _ = tikv_jemalloc_ctl::stats_print::stats_print(&mut text, Default::default());
    cx.out().verbatim(b"txt", &text);
    Ok(Flow::Done)
}
