//! WATCH: which connections watch which of this shard's keys, and which of them have seen a
//! change since.
//!
//! A key's watchers are kept by the shard that owns the key, whatever core the watching
//! connection lives on, so a write never sends a message to invalidate a watch: the owner marks
//! the watching connection *dirty* here, and EXEC asks each owner, under EXEC's own locks,
//! whether its connection is dirty there. WATCH registers on the owner before it answers `+OK`,
//! so a write that follows the `+OK` is always seen.
//!
//! Every change to a key reaches [`Watches::touch`] through [`Core::signal_modified`]: a
//! write command's keys after it ran without an error, a multi-shard write's keys when it
//! releases them, FLUSHDB/FLUSHALL/SWAPDB for the keys that existed, and a deletion by expiry.
//! With no watcher on the shard each of those costs one `is_empty` test.
//!
//! Expiry follows Redis 7.0: a key that was logically expired when watched does not make EXEC
//! fail when it is then deleted (no logical change), but one that expires after WATCH does,
//! whether it was deleted meanwhile or is still there, expired.

use hashbrown::HashMap;

use crate::shard::mesh::ConnRef;
use crate::shard::Core;

/// One connection watching one key.
#[derive(Clone, Copy, Debug)]
struct Watcher {
    conn: ConnRef,
    /// The key was present but logically expired when watched.
    expired: bool,
}

/// What one connection watches on this shard.
#[derive(Default, Debug)]
struct Watching {
    keys: Vec<(usize, Vec<u8>)>,
    dirty: bool,
}

/// One shard's watched keys.
#[derive(Default)]
pub struct Watches {
    /// Per database: key -> its watchers, in the order they watched. Empty maps are removed,
    /// so `keys.is_empty()` means nobody watches anything here.
    keys: HashMap<usize, HashMap<Vec<u8>, Vec<Watcher>>>,
    conns: HashMap<ConnRef, Watching>,
}

impl Watches {
    /// Nobody watches anything here: the test every write pays.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// `conn` watches `key` of `db`; `expired` says whether the key is present but logically
    /// expired right now. Watching a key twice is watching it once.
    pub fn add(&mut self, conn: ConnRef, db: usize, key: &[u8], expired: bool) {
        let watching = self.conns.entry(conn).or_default();
        if watching.keys.iter().any(|(d, k)| *d == db && k == key) {
            return;
        }
        watching.keys.push((db, key.to_vec()));
        self.keys.entry(db).or_default().entry(key.to_vec()).or_default().push(Watcher { conn, expired });
    }

    /// `key` of `db` changed: every connection watching it is dirty. `exists_now` tells whether
    /// the key is still in the table, for Redis's rule on keys that were expired when watched
    /// (their deletion is no change, and clears the mark).
    pub fn touch(&mut self, db: usize, key: &[u8], exists_now: bool) {
        let Some(watchers) = self.keys.get_mut(&db).and_then(|m| m.get_mut(key)) else { return };
        for w in watchers.iter_mut() {
            if w.expired {
                if !exists_now {
                    w.expired = false;
                    continue;
                }
                w.expired = false;
            }
            if let Some(c) = self.conns.get_mut(&w.conn) {
                c.dirty = true;
            }
        }
    }

    /// The watched keys of `db`, for FLUSHDB/FLUSHALL/SWAPDB, which touch those that exist.
    pub fn keys_of(&self, db: usize) -> Vec<Vec<u8>> {
        self.keys.get(&db).map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    /// Has anything `conn` watches here changed, or expired since it was watched?
    /// `expired_now(db, key)` tells whether a key is present but logically expired.
    pub fn dirty(&self, conn: ConnRef, expired_now: impl Fn(usize, &[u8]) -> bool) -> bool {
        let Some(watching) = self.conns.get(&conn) else { return false };
        watching.dirty
            || watching.keys.iter().any(|(db, key)| {
                let was_expired = self
                    .keys
                    .get(db)
                    .and_then(|m| m.get(key))
                    .is_some_and(|ws| ws.iter().any(|w| w.conn == conn && w.expired));
                !was_expired && expired_now(*db, key)
            })
    }

    /// Forgets everything `conn` watches here (EXEC, DISCARD, UNWATCH, RESET, disconnection).
    pub fn remove(&mut self, conn: ConnRef) {
        let Some(watching) = self.conns.remove(&conn) else { return };
        for (db, key) in watching.keys {
            let Some(m) = self.keys.get_mut(&db) else { continue };
            if let Some(ws) = m.get_mut(&key) {
                ws.retain(|w| w.conn != conn);
                if ws.is_empty() {
                    m.remove(&key);
                }
            }
            if m.is_empty() {
                self.keys.remove(&db);
            }
        }
    }

    /// Number of keys watched here, for INFO (`watching_clients` counts connections).
    pub fn len(&self) -> usize {
        self.keys.values().map(|m| m.len()).sum()
    }

    /// Connections watching something here.
    pub fn watchers(&self) -> usize {
        self.conns.len()
    }
}

/// Did write command `name` change nothing, as its reply tells? Redis signals a key only when
/// a command really changes it: a DEL of a missing key, a SETNX on an existing one or an SADD
/// of a member already there leave watchers alone. This table reads that off the reply, for
/// the commands whose reply says it unambiguously; others count as a change whenever they
/// succeed (a miss on the safe side: a watcher's EXEC fails, never runs on changed data).
pub fn unchanged(name: &str, argv: &crate::commands::Argv<'_>, reply: &[u8]) -> bool {
    const ZERO_IS_NOTHING: &[&str] = &[
        "del",
        "unlink",
        "srem",
        "sadd",
        "hdel",
        "zrem",
        "lrem",
        "persist",
        "expire",
        "pexpire",
        "expireat",
        "pexpireat",
        "setnx",
        "msetnx",
        "hsetnx",
        "renamenx",
        "move",
        "copy",
        "lpushx",
        "rpushx",
        "smove",
        "linsert",
        "zremrangebyscore",
        "zremrangebyrank",
        "zremrangebylex",
        "pfadd",
    ];
    const NULL_IS_NOTHING: &[&str] =
        &["getdel", "getex", "lpop", "rpop", "spop", "lmove", "rpoplpush", "zpopmin", "zpopmax"];
    let null = matches!(reply, b"$-1\r\n" | b"*-1\r\n" | b"_\r\n" | b"*0\r\n");
    // Commands whose arguments say they change nothing, whatever they answer.
    match name {
        // GETEX without an expiry option only reads.
        "getex" => return argv.len() == 2,
        // RENAME/RENAMENX of a key onto itself.
        "rename" | "renamenx" => return argv.len() == 3 && argv.get(1) == argv.get(2),
        // SETRANGE with an empty value.
        "setrange" => return argv.len() == 4 && argv.get(3).is_empty(),
        _ => {}
    }
    match reply {
        b":0\r\n" => ZERO_IS_NOTHING.contains(&name),
        b":-1\r\n" => name == "linsert",
        _ if null && name == "set" => !(2..argv.len()).any(|i| argv.is(i, "GET")),
        _ if null => NULL_IS_NOTHING.contains(&name),
        _ => false,
    }
}

/// Is key position `pos` of write command `name` only read (a source)?
pub fn only_read(name: &str, pos: usize) -> bool {
    // (The *STORE commands signal their destination themselves: `flag::SIGNALS`.)
    name == "copy" && pos == 1
}

impl Core {
    /// `key` of `db` has changed: the one hook every modification goes through (WATCH today;
    /// keyspace notifications and client-side caching plug in here too).
    #[inline]
    pub fn signal_modified(&mut self, db: usize, key: &[u8]) {
        self.snapshot.changes += 1;
        if !self.watches.is_empty() {
            let exists = self.dbs[db].contains(key);
            self.watches.touch(db, key, exists);
        }
        if !self.blocking.is_empty() {
            self.blocking.signal(db, key);
        }
        if !self.tracking.is_empty() {
            self.invalidate(key);
        }
    }

    /// `db` is about to be emptied (and, for SWAPDB, replaced by `with`): touches the watched
    /// keys that exist in either, as Redis's touchAllWatchedKeysInDb.
    pub fn signal_db_replaced(&mut self, db: usize, with: Option<usize>) {
        if !self.blocking.is_empty() {
            // SWAPDB may bring data to keys clients wait on; a flush or a swap takes streams
            // away from blocked group readers (answered -UNBLOCKED).
            self.blocking.signal_db(db);
        }
        if self.watches.is_empty() {
            return;
        }
        for key in self.watches.keys_of(db) {
            let in_old = self.dbs[db].contains(&key);
            let in_new = with.is_some_and(|w| self.dbs[w].contains(&key));
            if in_old || in_new {
                self.watches.touch(db, &key, in_new);
            }
        }
    }

    /// Is `key` of `db` present but past its deadline (not yet removed)?
    pub fn expired_in_place(&self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].get(key).is_some_and(|(_, deadline)| crate::shard::keyspace::expired(deadline, self.now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(slot: u32) -> ConnRef {
        ConnRef { shard: 0, slot, gen: 1 }
    }

    #[test]
    fn touch_marks_every_watcher_and_remove_forgets() {
        let mut w = Watches::default();
        assert!(w.is_empty());
        w.add(c(1), 0, b"k", false);
        w.add(c(2), 0, b"k", false);
        w.add(c(2), 1, b"k", false);
        w.add(c(2), 1, b"k", false);
        assert_eq!(w.len(), 2);
        w.touch(1, b"other", true);
        assert!(!w.dirty(c(1), |_, _| false) && !w.dirty(c(2), |_, _| false));
        w.touch(0, b"k", true);
        assert!(w.dirty(c(1), |_, _| false) && w.dirty(c(2), |_, _| false));
        w.remove(c(1));
        w.remove(c(2));
        assert!(w.is_empty() && w.watchers() == 0);
        // A connection that watched nothing is never dirty.
        assert!(!w.dirty(c(3), |_, _| true));
    }

    #[test]
    fn expired_when_watched() {
        let mut w = Watches::default();
        w.add(c(1), 0, b"k", true);
        // Still expired at EXEC: no change.
        assert!(!w.dirty(c(1), |_, _| true));
        // Deleted by expiry: no change, and the mark is cleared...
        w.touch(0, b"k", false);
        assert!(!w.dirty(c(1), |_, _| false));
        // ...so a later write is a change.
        w.touch(0, b"k", true);
        assert!(w.dirty(c(1), |_, _| false));
        // Not expired when watched, expired at EXEC: a change.
        let mut w = Watches::default();
        w.add(c(1), 0, b"k", false);
        assert!(w.dirty(c(1), |_, _| true));
    }
}
