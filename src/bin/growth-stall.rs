//! growth-stall: the longest single insert while one keyspace table fills up, against a plain
//! `hashbrown::HashMap<Vec<u8>, V>` filled the same way in the same run, plus the memory each
//! holds per key.
//!
//! `cargo run --release --bin growth-stall -- [KEYS] [table|hashmap|noise|all] [ttl] [warm]`
//! (default 10000000 keys, all). `ttl` gives every table key a deadline (the map, a plain
//! baseline, keeps none). `warm` fills and drops each structure once, untimed, before the timed
//! fill, so that memory is already backed by pages. `noise` times the same loop around a push
//! into a vector whose memory is already faulted in: its maximum is what the machine itself adds
//! to any single measurement (on a VM, time the hypervisor takes, with no page fault and no
//! context switch in the guest).
//!
//! Keys are `key:%012d` (16 bytes); values are 24 bytes like `store::Value::Heap`: a boxed
//! 32-byte string plus 8 bytes, so "allocated per key" is comparable with Redis's `used_memory`
//! for `SET key:%012d <32 bytes>`. Only the insert call is timed (two clock reads around it,
//! about 40 ns of the figures below); building the key and value is not. On a shared machine the
//! plain maximum can be a time slice lost to another process, so the binary also reports the
//! slowest insert during which the thread was not switched out (getrusage before and after; a
//! stall of many milliseconds, like the HashMap's, is usually switched out at least once, so
//! read its plain maximum). Memory is jemalloc's `stats.allocated` (what the structure and its
//! values hold) and the process RSS, each as the difference before and after the fill. Run
//! `table` and `hashmap` separately for RSS: pages freed by the first structure stay mapped for
//! a while and hide the second's growth.
//!
//! Measured on the development VM (2 EPYC cores; a page fault costs 3 µs), cold runs:
//!
//! ```text
//!            keys  max insert   p99.9     p99      total   allocated/key  RSS/key
//! Table       10M  1.9-4 ms     23-40 µs  3.0 µs   14-17 s  98.5 B        104 B
//! HashMap     10M  2.2-3.9 s    11-13 µs  2.0 µs   15-19 s  142 B         136 B
//! noise       10M  0.1-0.2 ms   0.08 µs   0.04 µs
//! Table        1M  0.3-2 ms     20-30 µs  3.2 µs   1.2 s    103 B         109 B
//! HashMap      1M  255 ms       6 µs      1.6 µs   1.7 s    165 B         169 B
//! Table 1M ttl     0.9 ms       30 µs     4.0 µs   1.4 s    112 B         119 B
//! redis-server 7.0.15, 1M `SET key:%012d <32 bytes>`:      136.5 B (used_memory)  146 B
//! ```
//!
//! A split costs ~100-150 µs; the table's millisecond maxima land on inserts that split nothing
//! and take no page fault or context switch (host noise; `noise` shows the floor without memory
//! traffic). The HashMap's maximum is its doubling from 8M to 16M buckets.

use std::time::Instant;

use shardis::store::table::Table;

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Like `store::Value::Heap(Box<[u8]>)` (24 bytes) with its 32-byte string behind it.
type Val = (Box<[u8]>, u64);

fn allocated() -> usize {
    tikv_jemalloc_ctl::epoch::advance().expect("jemalloc epoch");
    tikv_jemalloc_ctl::stats::allocated::read().expect("jemalloc stats")
}

fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

/// Voluntary plus involuntary context switches of this thread so far: an insert during which
/// this changes was interrupted (by another process on a busy machine, or a page fault that
/// slept), so its time is not the table's.
fn context_switches() -> i64 {
    // SAFETY: getrusage writes one struct rusage, which we provide zeroed.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    u.ru_nvcsw + u.ru_nivcsw
}

/// Writes `key:%012d` into `buf`.
fn format_key(buf: &mut [u8; 16], mut n: u64) {
    buf[..4].copy_from_slice(b"key:");
    for b in buf[4..].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Fills `s` with `n` keys through `insert`, timing each call, and prints the summary with
/// `describe`'s view of the filled structure (unless `quiet`).
fn fill<S>(
    name: &str,
    n: u64,
    quiet: bool,
    s: &mut S,
    insert: impl Fn(&mut S, &[u8], Val),
    describe: impl Fn(&S) -> String,
) {
    let mut lat = vec![0u32; n as usize];
    let (alloc0, rss0) = (allocated(), rss());
    let mut key = [0u8; 16];
    // The slowest insert not interrupted by a context switch, and how many were.
    let (mut own_max, mut own_max_at, mut preempted) = (0u32, 0usize, 0usize);
    let start = Instant::now();
    for (i, slot) in lat.iter_mut().enumerate() {
        format_key(&mut key, i as u64);
        let value: Val = (Box::new([b'v'; 32]), i as u64);
        let switches = context_switches();
        let t = Instant::now();
        insert(s, &key, value);
        let ns = t.elapsed().as_nanos().min(u32::MAX as u128) as u32;
        *slot = ns;
        if ns > own_max {
            if context_switches() == switches {
                (own_max, own_max_at) = (ns, i);
            } else {
                preempted += 1;
            }
        }
    }
    let total = start.elapsed();
    let (alloc1, rss1) = (allocated(), rss());
    if quiet {
        return;
    }
    let worst = lat.iter().enumerate().max_by_key(|e| e.1).map(|(i, &ns)| (i, ns)).unwrap_or((0, 0));
    if std::env::var_os("STALL_TOP").is_some() {
        let mut top: Vec<(u32, usize)> = lat.iter().enumerate().map(|(i, &ns)| (ns, i)).collect();
        top.sort_unstable_by(|a, b| b.cmp(a));
        println!("{name}: slowest inserts (ns, key): {:?}", &top[..top.len().min(12)]);
    }
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    println!(
        "{name:8} {n} keys: total {:.2} s; insert max {:.1} µs (at key {}), p99.9 {:.2} µs, p99 {:.2} µs, \
         p50 {:.3} µs; max without a context switch {:.1} µs (at key {}, {} record candidates preempted); \
         allocated {:.1} B/key, RSS {:.1} B/key; {}",
        total.as_secs_f64(),
        worst.1 as f64 / 1000.0,
        worst.0,
        pct(0.999),
        pct(0.99),
        pct(0.5),
        own_max as f64 / 1000.0,
        own_max_at,
        preempted,
        (alloc1 - alloc0) as f64 / n as f64,
        rss1.saturating_sub(rss0) as f64 / n as f64,
        describe(s),
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map(|a| a.parse().expect("KEYS must be a number")).unwrap_or(10_000_000);
    let which = args.next().unwrap_or_else(|| "all".into());
    let flags: Vec<String> = args.collect();
    let all = which == "all";
    let ttl = flags.iter().any(|f| f == "ttl");
    // With `warm`, each structure is filled and dropped once untimed first, so the timed fill
    // reuses memory the process (and the host under a VM) has already backed with pages.
    let rounds = if flags.iter().any(|f| f == "warm") { 2 } else { 1 };
    let deadline = |v: &Val| if ttl { 1 << 50 | v.1 } else { 0 };
    for round in 0..rounds {
        let quiet = round + 1 < rounds;
        if which == "table" || all {
            let mut table: Table<Val> = Table::new();
            fill(
                "Table",
                n,
                quiet,
                &mut table,
                |t, k, v| {
                    let d = deadline(&v);
                    t.insert(k, v, d);
                },
                |t| {
                    format!(
                        "memory_bytes {:.1} B/key + 32 B value; {} segments; {} with a deadline",
                        t.memory_bytes() as f64 / n as f64,
                        t.segment_count(),
                        t.expires_len()
                    )
                },
            );
        }
        if which == "hashmap" || all {
            let mut map: hashbrown::HashMap<Vec<u8>, Val> = hashbrown::HashMap::new();
            fill(
                "HashMap",
                n,
                quiet,
                &mut map,
                |m, k, v| {
                    m.insert(k.to_vec(), v);
                },
                |m| format!("{} buckets", (m.capacity() * 8 / 7).next_power_of_two()),
            );
        }
    }
    if which == "noise" || all {
        let mut sink: Vec<Val> = Vec::with_capacity(n as usize);
        // SAFETY: zeroing the spare capacity of a Vec writes plain bytes it owns; len stays 0.
        unsafe { std::ptr::write_bytes(sink.as_mut_ptr(), 0, n as usize) };
        fill("noise", n, false, &mut sink, |s, _, v| s.push(v), |_| "Vec::push into faulted memory".into());
    }
}
