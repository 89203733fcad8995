//! `maxmemory`: eviction under the eight policies, and the out-of-memory state in which
//! commands flagged `denyoom` are refused.
//!
//! # The budget is the process's
//!
//! As in Redis, `maxmemory` bounds the whole server: what the allocator counts for every
//! thread ([`crate::memory::used`], Redis's `used_memory`). No shard has a quota of its own,
//! so keys skewed onto one shard may use all the memory the others leave. Each shard looks at
//! the total once per pass of its event loop (Redis looks before each command) and from its
//! cron. Nothing is evicted while the total is under the limit.
//!
//! # Who frees what
//!
//! Shards look at different rates (a client's own shard looks after every answer from the
//! others; an idle shard only in its cron), so "each frees its share of the excess it sees"
//! lets the most frequent looker free nearly everything, and its keys go first: one shard
//! kept none of a cache's keys that way, and the hit ratio fell under Redis's. Instead, the
//! excess is *divided* once: the shard that sees a part of it that no shard owes yet
//! ([`Budget`] keeps what each shard owes and the total) splits that part among all shards by
//! their evictable keys (each shard publishes its count), and every shard frees what it owes
//! at its next look. Keys are spread over shards by hash, so shares by count free memory in
//! proportion to what each holds, as one sampled pool over all keys would. What a shard frees
//! past what it owes (a key is the least it frees) is credit against its next parts, so over
//! time every shard frees in proportion to its keys however often it looks. A shard put more
//! than 64 KB in debt is woken by an empty message, in case it is idle. Back under the limit,
//! a shard forgets what it owed.
//!
//! The total lags by what threads have counted and not yet published (at most 32 KB each, see
//! [`crate::memory`]), by what one pass of commands allocates before the next look, and by
//! what shards owe and have not paid yet: that is the slack over `maxmemory`.
//!
//! What a key's removal gives back is measured on the shard's own count (the shard that owns
//! a key frees it), so a pass stops when what it owes is freed, or when the time
//! `maxmemory-eviction-tenacity` allows is spent: Redis's evictionTimeLimitUs for each command
//! the shard ran since its last look (Redis looks before every command, a pass runs a batch).
//! The next pass goes on.
//!
//! # Picking keys
//!
//! Redis's way: the LRU, LFU and TTL policies keep a pool of the 16 best candidates seen so far
//! (most idle, least often used, soonest to expire), fed with `maxmemory-samples` keys from
//! each database per pick; the best candidate that still exists goes. The random policies pick
//! a random key, database after database. The volatile policies look only at keys with a
//! deadline. A key held by a running transaction or script (the coordinator's intent locks) is
//! never taken. Eviction pauses under CLIENT PAUSE WRITE/ALL, while the dataset loads, and
//! while a script holds the shard. A removal goes through the running save's copy-on-write,
//! touches WATCHers, publishes the `evicted` event and counts in `evicted_keys`.
//!
//! # Out of memory
//!
//! When the total is over the limit and nothing can be evicted (`noeviction`, or no key the
//! policy may take on any shard), the shard marks itself out of memory until its next look;
//! commands flagged `denyoom`, EXEC of a transaction that queued one, and scripts without
//! `allow-oom` then get Redis's `-OOM` error. Reads still work.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use super::Core;
use crate::config::MaxmemoryPolicy;
use crate::store::value::Value;

/// Redis's error for a `denyoom` command when memory is over `maxmemory`.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Candidates the pool keeps (Redis's EVPOOL_SIZE).
const POOL: usize = 16;

/// A shard owing this much more is woken to pay it (it may be idle between crons).
const NUDGE_AT: i64 = 64 * 1024;

/// What shards publish for each other's eviction shares.
pub struct Budget {
    /// Per shard, the keys its policy may evict.
    evictable: Vec<Padded>,
    /// Per shard, the bytes it owes: its part of excesses already divided.
    owed: Vec<PaddedI64>,
    /// What all shards owe together: the part of the excess already divided.
    owed_total: PaddedI64,
    /// Per shard, woken to pay what it owes and not yet looked since.
    nudged: Vec<AtomicBool>,
    /// Since when (ms since the epoch) the process is over the limit, 0 when it is not; and
    /// the milliseconds it was over in earlier spells (INFO's eviction_exceeded_time fields).
    over_since: AtomicU64,
    over_total: AtomicU64,
    /// Per shard, what its clients that may be evicted hold (`maxmemory-clients`), and what
    /// the biggest of them holds.
    clients: Vec<Padded>,
    biggest_client: Vec<Padded>,
}

#[repr(align(64))]
#[derive(Default)]
struct Padded(AtomicU64);

#[repr(align(64))]
#[derive(Default)]
struct PaddedI64(AtomicI64);

impl Budget {
    pub fn new(shards: usize) -> Self {
        let counters = || (0..shards).map(|_| Padded::default()).collect();
        Budget {
            evictable: counters(),
            owed: (0..shards).map(|_| PaddedI64::default()).collect(),
            owed_total: PaddedI64::default(),
            nudged: (0..shards).map(|_| AtomicBool::new(false)).collect(),
            over_since: AtomicU64::new(0),
            over_total: AtomicU64::new(0),
            clients: counters(),
            biggest_client: counters(),
        }
    }

    /// Divides what no shard owes yet of `excess` among the shards by their evictable keys
    /// (`all` in total), `me` taking the rounding. Shards it puts past [`NUDGE_AT`] are
    /// returned, to be woken.
    fn divide(&self, me: usize, excess: i64, all: u64) -> Vec<usize> {
        let mut owed = self.owed_total.0.load(Ordering::Relaxed);
        let unassigned = loop {
            let unassigned = excess - owed;
            if unassigned <= 0 {
                return Vec::new();
            }
            match self.owed_total.0.compare_exchange_weak(owed, excess, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break unassigned,
                Err(now) => owed = now,
            }
        };
        let mut given = 0;
        let mut wake = Vec::new();
        for (j, keys) in self.evictable.iter().enumerate() {
            if j == me {
                continue;
            }
            let part = (unassigned as i128 * keys.0.load(Ordering::Relaxed) as i128 / all.max(1) as i128) as i64;
            if part > 0 {
                given += part;
                let before = self.owed[j].0.fetch_add(part, Ordering::Relaxed);
                if before + part >= NUDGE_AT && !self.nudged[j].swap(true, Ordering::Relaxed) {
                    wake.push(j);
                }
            }
        }
        self.owed[me].0.fetch_add(unassigned - given, Ordering::Relaxed);
        wake
    }

    /// Shard `me` freed `bytes`: what it frees past what it owes is credit against its next
    /// parts, so that over time every shard frees in proportion to its keys, however often it
    /// looks (a key is the least a shard frees, more than a small excess's part). `None`: what
    /// it owes is forgotten (the process is back under the limit), its credit kept.
    fn paid(&self, me: usize, bytes: Option<i64>) {
        let owed = &self.owed[me].0;
        let bytes = match bytes {
            Some(b) => b,
            None => owed.load(Ordering::Relaxed).max(0),
        };
        if bytes != 0 {
            owed.fetch_sub(bytes, Ordering::Relaxed);
            self.owed_total.0.fetch_sub(bytes, Ordering::Relaxed);
        }
    }

    fn total(&self) -> u64 {
        sum(&self.evictable)
    }

    /// A shard saw the process over the limit (`over`) or not, at `now_ms`.
    fn over(&self, over: bool, now_ms: u64) {
        if over {
            let _ = self.over_since.compare_exchange(0, now_ms.max(1), Ordering::Relaxed, Ordering::Relaxed);
        } else {
            let since = self.over_since.swap(0, Ordering::Relaxed);
            if since != 0 {
                self.over_total.fetch_add(now_ms.saturating_sub(since), Ordering::Relaxed);
            }
        }
    }

    /// Redis's `total_eviction_exceeded_time` and `current_eviction_exceeded_time` (ms).
    pub fn exceeded_time(&self, now_ms: u64) -> (u64, u64) {
        let since = self.over_since.load(Ordering::Relaxed);
        let current = if since == 0 { 0 } else { now_ms.saturating_sub(since) };
        (self.over_total.load(Ordering::Relaxed) + current, current)
    }

    /// Shard `id`'s clients now hold `total` bytes, the biggest evictable one `biggest`.
    fn publish_clients(&self, id: usize, total: u64, biggest: u64) {
        self.clients[id].0.store(total, Ordering::Relaxed);
        self.biggest_client[id].0.store(biggest, Ordering::Relaxed);
    }
}

fn sum(counters: &[Padded]) -> u64 {
    counters.iter().map(|p| p.0.load(Ordering::Relaxed)).sum()
}

/// One candidate of the pool: its score (higher goes first), database and key.
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// A shard's eviction: the pool, the random policies' next database, the state commands see.
#[derive(Default)]
pub struct Eviction {
    /// Sorted by score, best last.
    pool: Vec<Candidate>,
    /// Key buffers of candidates that left the pool, for the next ones.
    spare: Vec<Vec<u8>>,
    next_db: usize,
    rng: Option<fastrand::Rng>,
    /// Over the limit with nothing to evict, at the last look: `denyoom` commands are refused.
    pub oom: bool,
    /// `total_commands` at the last look.
    commands_seen: u64,
    /// The last pass ran out of time with its share not freed: the event loop comes back
    /// at once instead of sleeping (after CONFIG SET maxmemory shrank the limit, say).
    pub behind: bool,
}

/// Looks at the process's memory and evicts this shard's share of any excess. Runs once per
/// pass of the event loop and from the cron.
pub fn pass(core: &mut Core) {
    core.eviction.behind = false;
    evict_clients(core);
    let limit = core.config.maxmemory;
    let budget = &core.shared.budget;
    budget.nudged[core.id].store(false, Ordering::Relaxed);
    if limit == 0 {
        // Redis records its peak after every command; a look per pass records it here.
        let _ = crate::memory::used();
        budget.paid(core.id, None);
        budget.over(false, core.now_ms);
        core.eviction.oom = false;
        return;
    }
    let policy = core.config.maxmemory_policy;
    let evictable = evictable_keys(core, policy);
    budget.evictable[core.id].0.store(evictable, Ordering::Relaxed);
    crate::memory::publish();
    let Some(used) = crate::memory::used() else { return };
    let used = used.saturating_sub(crate::memory::not_counted_for_evict());
    if used <= limit {
        budget.paid(core.id, None);
        budget.over(false, core.now_ms);
        core.eviction.oom = false;
        return;
    }
    let all = budget.total().max(evictable);
    if policy == MaxmemoryPolicy::NoEviction || all == 0 {
        budget.over(true, core.now_ms);
        core.eviction.oom = true;
        return;
    }
    core.eviction.oom = false;
    for shard in budget.divide(core.id, (used - limit) as i64, all) {
        // Its next pass pays: an empty job wakes it.
        core.shared
            .mesh
            .send(shard, super::mesh::Msg::Post(Box::new(|_: &mut Core| -> super::mesh::JobOut { Box::new(()) })));
    }
    core.shared.budget.over(true, core.now_ms);
    if evictable == 0 || !safe_to_evict(core) {
        return;
    }
    // What this shard owes (nothing when it paid ahead: a key frees more than a small part).
    let share = core.shared.budget.owed[core.id].0.load(Ordering::Relaxed);
    if share <= 0 {
        return;
    }
    // Redis gives each command's look the tenacity's time; a pass runs a batch of commands.
    let commands =
        core.stats.total_commands - std::mem::replace(&mut core.eviction.commands_seen, core.stats.total_commands);
    let started = Instant::now();
    let limit_us = time_limit_us(core.config.maxmemory_eviction_tenacity).saturating_mul(commands.max(1));
    let before = crate::memory::thread_balance();
    let mut keys = 0u32;
    while before - crate::memory::thread_balance() < share {
        if !evict_one(core, policy) {
            // Nothing it may take (all held by transactions): what it owes goes back to be
            // divided again, the other shards' parts with it.
            core.shared.budget.paid(core.id, None);
            break;
        }
        keys += 1;
        if keys.is_multiple_of(16) && started.elapsed().as_micros() as u64 >= limit_us {
            core.eviction.behind = true;
            break;
        }
    }
    core.shared.budget.paid(core.id, Some(before - crate::memory::thread_balance()));
    if keys > 0 {
        crate::memory::publish();
        let left = evictable_keys(core, policy);
        core.shared.budget.evictable[core.id].0.store(left, Ordering::Relaxed);
    }
    // As Redis counts it: over the limit still, after a look that evicted what it could.
    let after = crate::memory::used().map(|u| u.saturating_sub(crate::memory::not_counted_for_evict()));
    core.shared.budget.over(after.is_some_and(|u| u > limit), core.now_ms);
}

/// `maxmemory-clients`: when what every shard's clients hold passes the limit, the biggest
/// clients are closed until the excess is freed, as Redis closes the biggest first. Each shard
/// publishes what its clients hold and its biggest client's size, and closes its own clients
/// only while they are at least as big as every other shard's biggest: the biggest of the
/// whole server go first. CLIENT NO-EVICT clients stay.
fn evict_clients(core: &mut Core) {
    let limit = core.config.clients_memory_limit();
    if limit == 0 {
        return;
    }
    // As Redis: every client counts towards the limit, NO-EVICT ones too; only the others go.
    let open = |c: &crate::server::conn::Conn| c.closing == crate::server::conn::Closing::Open;
    let conns = &core.conns;
    let mine: u64 = conns.iter().filter(|c| open(c)).map(|c| c.memory() as u64).sum();
    let mut biggest: Vec<(usize, u32, u32)> =
        conns.iter().filter(|c| open(c) && !c.no_evict).map(|c| (c.memory(), c.slot, conns.gen(c.slot))).collect();
    biggest.sort_unstable_by(|a, b| b.cmp(a));
    let budget = &core.shared.budget;
    budget.publish_clients(core.id, mine, biggest.first().map_or(0, |c| c.0 as u64));
    let total = sum(&budget.clients).max(mine);
    if total <= limit || biggest.is_empty() {
        return;
    }
    let others = budget
        .biggest_client
        .iter()
        .enumerate()
        .filter(|&(id, _)| id != core.id)
        .map(|(_, p)| p.0.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let mut freed = 0u64;
    let mut closed = 0;
    let now = Instant::now();
    for &(memory, slot, gen) in &biggest {
        if total - freed <= limit || (memory as u64) < others {
            break;
        }
        let Some(conn) = core.conns.get_mut(slot, gen) else { continue };
        crate::verbose!("Evicting client: {}", conn.info_line(now));
        conn.closing = crate::server::conn::Closing::Now;
        core.dirty.push(slot);
        core.stats.evicted_clients += 1;
        freed += memory as u64;
        closed += 1;
    }
    let next_biggest = biggest.get(closed).map_or(0, |c| c.0 as u64);
    core.shared.budget.publish_clients(core.id, mine - freed, next_biggest);
}

/// Is `used` over `maxmemory` with nothing to evict? (Scripts check this at their start.)
pub fn out_of_memory(core: &Core) -> bool {
    core.config.maxmemory != 0 && core.eviction.oom
}

/// Keys the policy may take here.
fn evictable_keys(core: &Core, policy: MaxmemoryPolicy) -> u64 {
    if policy.is_volatile() {
        core.dbs.iter().map(|db| db.expires_len() as u64).sum()
    } else {
        core.dbs.iter().map(|db| db.len() as u64).sum()
    }
}

/// Redis's isSafeToPerformEvictions, for what this server has: not while loading, not under
/// CLIENT PAUSE WRITE/ALL, not while a script holds the shard.
fn safe_to_evict(core: &mut Core) -> bool {
    !core.snapshot.loading && core.busy_script.is_none() && !core.pause.blocks(true)
}

/// Redis's evictionTimeLimitUs: 50 us per point of tenacity up to 10 (500 us, the default),
/// then 15% more per point, and no limit at 100.
fn time_limit_us(tenacity: u32) -> u64 {
    match tenacity {
        0..=10 => 50 * u64::from(tenacity),
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

/// Evicts one key under `policy`; false when there is none to take.
fn evict_one(core: &mut Core, policy: MaxmemoryPolicy) -> bool {
    let picked = match policy {
        MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom => pick_random(core, policy.is_volatile()),
        MaxmemoryPolicy::NoEviction => None,
        _ => pick_from_pool(core, policy),
    };
    let Some((db, key)) = picked else { return false };
    remove(core, db, &key);
    core.eviction.spare.push(key);
    true
}

/// The random policies: a random key of the next database that has one.
fn pick_random(core: &mut Core, volatile: bool) -> Option<(usize, Vec<u8>)> {
    let dbs = core.dbs.len();
    let mut rng = core.eviction.rng.take().unwrap_or_default();
    let mut found = None;
    for _ in 0..dbs {
        let db = core.eviction.next_db % dbs;
        core.eviction.next_db = core.eviction.next_db.wrapping_add(1);
        for _ in 0..8 {
            let mut key = None;
            core.dbs[db].sample(&mut rng, 1, volatile, |k, _, _| key = Some(k.to_vec()));
            match key {
                Some(k) if !core.locks.blocks(db, &k, true) => {
                    found = Some((db, k));
                    break;
                }
                Some(_) => continue,
                None => break,
            }
        }
        if found.is_some() {
            break;
        }
    }
    core.eviction.rng = Some(rng);
    found
}

/// The LRU, LFU and TTL policies: feeds the pool from every database, then takes its best
/// candidate that still exists (and is not held).
fn pick_from_pool(core: &mut Core, policy: MaxmemoryPolicy) -> Option<(usize, Vec<u8>)> {
    let volatile = policy.is_volatile();
    let samples = core.config.maxmemory_samples.max(1) as usize;
    let lfu = core.lfu();
    let clock = core.lru_clock();
    let score = |value: &Value, deadline: u64| -> u64 {
        match policy {
            MaxmemoryPolicy::VolatileTtl => u64::MAX - deadline,
            MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::VolatileLfu => {
                255 - u64::from(lfu.count(value.access_word()))
            }
            _ => u64::from(value.idle_ticks(clock)),
        }
    };
    let mut rng = core.eviction.rng.take().unwrap_or_default();
    // Candidates gone or held since they were sampled send the loop round again, a few times.
    for _ in 0..16 {
        let ev = &mut core.eviction;
        for (db, table) in core.dbs.iter().enumerate() {
            table.sample(&mut rng, samples, volatile, |key, value, deadline| {
                offer(ev, score(value, deadline), db, key);
            });
        }
        let Some(best) = core.eviction.pool.pop() else {
            core.eviction.rng = Some(rng);
            return None;
        };
        let table = &core.dbs[best.db];
        let there = match table.get(&best.key) {
            Some((_, deadline)) => !volatile || deadline != 0,
            None => false,
        };
        if there && !core.locks.blocks(best.db, &best.key, true) {
            core.eviction.rng = Some(rng);
            return Some((best.db, best.key));
        }
        core.eviction.spare.push(best.key);
    }
    core.eviction.rng = Some(rng);
    None
}

/// Puts a sampled key in the pool if it beats the worst candidate there (or the pool has
/// room); a key already there gets its new score.
fn offer(ev: &mut Eviction, score: u64, db: usize, key: &[u8]) {
    if let Some(at) = ev.pool.iter().position(|c| c.db == db && c.key == key) {
        let mut c = ev.pool.remove(at);
        c.score = score;
        let at = ev.pool.partition_point(|c| c.score < score);
        ev.pool.insert(at, c);
        return;
    }
    if ev.pool.len() >= POOL {
        if score <= ev.pool[0].score {
            return;
        }
        let worst = ev.pool.remove(0);
        ev.spare.push(worst.key);
    }
    let mut buf = ev.spare.pop().unwrap_or_default();
    buf.clear();
    buf.extend_from_slice(key);
    let at = ev.pool.partition_point(|c| c.score < score);
    ev.pool.insert(at, Candidate { score, db, key: buf });
}

/// Removes an evicted key: through the save's copy-on-write, telling WATCHers, blocked
/// clients and trackers, with its `evicted` event.
fn remove(core: &mut Core, db: usize, key: &[u8]) {
    crate::persistence::snapshot::before_write(core, db, key);
    if core.dbs[db].remove(key).is_none() {
        return;
    }
    core.stats.evicted_keys += 1;
    core.signal_modified(db, key);
    core.notify(crate::pubsub::notify::class::EVICTED, "evicted", db, key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_follow_redis() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    #[test]
    fn the_pool_keeps_the_best_sixteen() {
        let mut ev = Eviction::default();
        for i in 0..40u64 {
            offer(&mut ev, (i * 7) % 40, 0, format!("k{i}").as_bytes());
        }
        assert_eq!(ev.pool.len(), POOL);
        let scores: Vec<u64> = ev.pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
        // A key offered again moves to its new score instead of taking two places.
        let key = ev.pool[0].key.clone();
        offer(&mut ev, 100, 0, &key);
        assert_eq!(ev.pool.len(), POOL);
        assert_eq!(ev.pool.last().map(|c| c.key.clone()), Some(key));
    }
}
