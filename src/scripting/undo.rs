//! The undo log of a script run that may still escalate (see the module docs): before each
//! write, what the write is about to change, so that an escalating run can put it all back.
//!
//! A key's first write saves its whole value (or its absence), and later writes to that key
//! need nothing more: restoring the copy undoes them all. That copy costs the value's size, so
//! a big collection (one in its big encoding) written by one of the commands queue scripts run
//! on big collections saves only what the command can change: the previous state of the
//! members, fields or entries it names, the values it pops, the number it pushes, or the
//! deadline it sets. Such a record is made only where the command's effect is certain from its
//! arguments and the value (a pop never empties the key, a pushed list exists, an EXPIRE sets a
//! future deadline); anything else falls back to the whole copy, which is always right.
//!
//! Undoing replays the records newest first, so each one meets the key exactly as its write
//! left it.

use crate::commands::Argv;
use crate::shard::Core;
use crate::store::value::Value;

/// A list longer than this is copied entry by entry: it counts as big.
const BIG_LIST: usize = 128;

/// What one write is about to change in one key.
enum Change {
    /// The key's value and deadline (None: the key was absent).
    Whole(Option<(Value, u64)>),
    /// Hash fields and their values (None: absent).
    Fields(Vec<(Vec<u8>, Option<Vec<u8>>)>),
    /// Set members and whether each was there.
    Members(Vec<(Vec<u8>, bool)>),
    /// Sorted set members and their scores (None: absent).
    Scores(Vec<(Vec<u8>, Option<f64>)>),
    /// This many entries pushed at the front (or back) of a list.
    Pushed { front: bool, n: usize },
    /// These entries popped from the front (or back) of a list, the first popped first.
    Popped { front: bool, values: Vec<Vec<u8>> },
    /// The key's deadline (0: none).
    Deadline(u64),
}

/// A run's undo log.
#[derive(Default)]
pub struct Undo {
    steps: Vec<(usize, Vec<u8>, Change)>,
    /// The keys whose whole value is saved (nothing later needs saving).
    whole: Vec<(usize, Vec<u8>)>,
}

impl Undo {
    /// Records what the write command `name` (lower case) is about to change in its keys
    /// (`positions` in `argv`), in database `db`.
    pub fn record(&mut self, core: &mut Core, db: usize, name: &str, argv: &Argv, positions: &[usize]) {
        for &p in positions {
            let key = argv.get(p);
            if self.whole.iter().any(|(d, k)| *d == db && k == key) {
                continue;
            }
            let now = core.now_ms;
            let change = match core.dbs[db].get(key) {
                Some((value, deadline)) if big(value) && !crate::shard::keyspace::expired(deadline, now) => {
                    partial(core, db, name, argv, p, value, now)
                }
                _ => None,
            };
            let change = change.unwrap_or_else(|| {
                self.whole.push((db, key.to_vec()));
                Change::Whole(core.dbs[db].get(key).map(|(v, e)| (v.clone(), e)))
            });
            self.steps.push((db, key.to_vec(), change));
        }
    }

    /// Puts back everything the run changed, newest first.
    pub fn rollback(self, core: &mut Core) {
        let (zset, hash) = (crate::commands::zsets::limits(core), crate::commands::hashes::limits_of(core));
        let max_ints = core.config.set_max_intset_entries;
        for (db, key, change) in self.steps.into_iter().rev() {
            crate::persistence::snapshot::before_write(core, db, &key);
            match change {
                Change::Whole(Some((mut value, deadline))) => {
                    value.set_snapshot_mark(core.snapshot.mark_for_new());
                    core.dbs[db].insert(&key, value, deadline);
                }
                Change::Whole(None) => {
                    core.dbs[db].remove(&key);
                }
                Change::Deadline(deadline) => {
                    core.dbs[db].set_expire(&key, deadline);
                }
                change => {
                    let Some((value, _)) = core.dbs[db].get_mut(&key) else {
                        debug_assert!(false, "a partial undo record outlived its key");
                        continue;
                    };
                    restore(value, change, zset, hash, max_ints);
                }
            }
            core.signal_modified(db, &key);
        }
    }
}

/// Is `value` worth saving piece by piece?
fn big(value: &Value) -> bool {
    if let Some(z) = value.as_zset() {
        !z.is_compact()
    } else if let Some(h) = value.as_hash() {
        !h.is_compact()
    } else if let Some(s) = value.as_set() {
        !s.is_compact()
    } else {
        value.as_list().is_some_and(|l| l.len() > BIG_LIST)
    }
}

/// What command `name` changes in the big live `value` at argument `p`, if that is certain.
fn partial(core: &Core, db: usize, name: &str, argv: &Argv, p: usize, value: &Value, now: u64) -> Option<Change> {
    let n = argv.len();
    let named = |from: usize, step: usize| (from..n).step_by(step).map(|i| argv.get(i));
    match name {
        "zadd" | "zincrby" | "zrem" | "zpopmin" | "zpopmax" => {
            let z = value.as_zset()?;
            let scores = |members: &mut dyn Iterator<Item = &[u8]>| {
                Change::Scores(members.map(|m| (m.to_vec(), z.score(m))).collect())
            };
            match name {
                "zadd" => {
                    let first = (2..n).find(|&i| !is_zadd_option(argv.get(i)))?;
                    Some(scores(&mut named(first + 1, 2)))
                }
                "zincrby" => Some(scores(&mut named(3, 1))),
                "zrem" if n - 2 < z.len() => Some(scores(&mut named(2, 1))),
                "zrem" => None,
                _ => {
                    let count = if n > 2 { count(argv.get(2))? } else { 1 };
                    if count >= z.len() {
                        return None;
                    }
                    let ranks = if name == "zpopmin" { 0..count } else { z.len() - count..z.len() };
                    Some(Change::Scores(ranks.map(|r| z.at_rank(r)).map(|(m, s)| (m.to_vec(), Some(s))).collect()))
                }
            }
        }
        "hset" | "hmset" | "hsetnx" | "hincrby" | "hincrbyfloat" | "hdel" => {
            let h = value.as_hash()?;
            let fields = match name {
                "hset" | "hmset" => named(2, 2),
                "hdel" if n - 2 < h.len() => named(2, 1),
                "hdel" => return None,
                _ => named(2, n),
            };
            Some(Change::Fields(fields.map(|f| (f.to_vec(), h.get(f).map(<[u8]>::to_vec))).collect()))
        }
        "sadd" | "srem" | "smove" => {
            let s = value.as_set()?;
            let members = match name {
                "sadd" => named(2, 1),
                "srem" if n - 2 < s.len() => named(2, 1),
                "srem" => return None,
                // SMOVE src dst member: a big source keeps members, whatever the move does.
                _ => named(3, 1),
            };
            Some(Change::Members(members.map(|m| (m.to_vec(), s.contains(m))).collect()))
        }
        "lpush" | "lpushx" | "rpush" | "rpushx" => {
            value.as_list()?;
            Some(Change::Pushed { front: name.starts_with('l'), n: n - 2 })
        }
        "lpop" | "rpop" => {
            let l = value.as_list()?;
            let count = if n > 2 { count(argv.get(2))? } else { 1 };
            if count >= l.len() {
                return None;
            }
            Some(popped(value, name == "lpop", count))
        }
        "rpoplpush" | "lmove" => {
            // Certain only when the move happens: a non-empty source list, a list (or nothing)
            // at the destination.
            let (from_front, to_front) = match name {
                "rpoplpush" => (false, true),
                _ => (side(argv.get(3))?, side(argv.get(4))?),
            };
            let live = |k: &[u8]| core.dbs[db].get(k).filter(|(_, d)| !crate::shard::keyspace::expired(*d, now));
            let source = live(argv.get(1))?.0.as_list().filter(|l| !l.is_empty())?;
            if live(argv.get(2)).is_some_and(|(v, _)| v.as_list().is_none()) {
                return None;
            }
            debug_assert!(!source.is_empty());
            if p == 1 {
                Some(popped(value, from_front, 1))
            } else {
                value.as_list()?;
                Some(Change::Pushed { front: to_front, n: 1 })
            }
        }
        // A deadline surely in the future: the key stays.
        "expire" | "pexpire" | "expireat" | "pexpireat" => {
            let t = count(argv.get(2))? as u64;
            let future = match name {
                "expire" | "pexpire" => t > 0,
                "expireat" => t.checked_mul(1000)? > now + 10_000,
                _ => t > now + 10_000,
            };
            future.then(|| Change::Deadline(core.dbs[db].get(argv.get(p)).map_or(0, |(_, d)| d)))
        }
        "persist" => Some(Change::Deadline(core.dbs[db].get(argv.get(p)).map_or(0, |(_, d)| d))),
        _ => None,
    }
}

/// The `count` entries a pop from the front (or back) of the list `value` takes.
fn popped(value: &Value, front: bool, count: usize) -> Change {
    let l = value.as_list().expect("checked to be a list");
    let values = if front {
        l.iter().take(count).map(<[u8]>::to_vec).collect()
    } else {
        l.iter().rev().take(count).map(<[u8]>::to_vec).collect()
    };
    Change::Popped { front, values }
}

/// A count written the one way Redis surely reads as that number: digits, no sign, no
/// leading zero. Anything else is left to the whole copy.
fn count(arg: &[u8]) -> Option<usize> {
    let canonical = !arg.is_empty() && arg.len() <= 18 && arg.iter().all(u8::is_ascii_digit);
    if !canonical || arg.len() > 1 && arg[0] == b'0' {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

/// LEFT or RIGHT: is it the front?
fn side(arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"left") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Some(false)
    } else {
        None
    }
}

fn is_zadd_option(arg: &[u8]) -> bool {
    ["nx", "xx", "gt", "lt", "ch", "incr"].iter().any(|o| arg.eq_ignore_ascii_case(o.as_bytes()))
}

/// Undoes one piece-by-piece record on the value it was made for.
fn restore(
    value: &mut Value,
    change: Change,
    zset: crate::store::zset::Limits,
    hash: crate::store::hash::Limits,
    max_ints: usize,
) {
    match change {
        Change::Scores(members) => {
            let z = value.as_zset_mut().expect("a sorted set stays one");
            for (m, score) in members {
                match score {
                    Some(s) => {
                        z.add(&m, s, zset);
                    }
                    None => {
                        z.remove(&m);
                    }
                }
            }
        }
        Change::Fields(fields) => {
            let h = value.as_hash_mut().expect("a hash stays one");
            for (f, v) in fields {
                match v {
                    Some(v) => {
                        h.set(&f, &v, hash);
                    }
                    None => {
                        h.remove(&f);
                    }
                }
            }
        }
        Change::Members(members) => {
            let s = value.as_set_mut().expect("a set stays one");
            for (m, there) in members {
                if there {
                    s.add(&m, max_ints);
                } else {
                    s.remove(&m);
                }
            }
        }
        Change::Pushed { front, n } => {
            let l = value.as_list_mut().expect("a list stays one");
            for _ in 0..n {
                if front {
                    l.pop_front();
                } else {
                    l.pop_back();
                }
            }
        }
        Change::Popped { front, values } => {
            let l = value.as_list_mut().expect("a list stays one");
            for v in values.iter().rev() {
                if front {
                    l.push_front(v);
                } else {
                    l.push_back(v);
                }
            }
        }
        Change::Whole(_) | Change::Deadline(_) => unreachable!("handled by the caller"),
    }
}
