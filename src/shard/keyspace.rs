//! Key access for command handlers: lazy expiry, keyspace hits and misses.
//!
//! Every read or write of a key goes through here, so a key whose deadline has passed is never
//! seen: it is removed on first touch (and counted in `expired_keys`), and the shard's active
//! cycle removes the ones nobody touches. A key is expired when now > its deadline, as in Redis.

use super::Core;
use crate::error::CmdError;
use crate::store::value::{Access, Lfu, Value};

/// Is a key with this deadline (0: none) expired at `now`?
#[inline]
pub fn expired(deadline: u64, now: u64) -> bool {
    deadline != 0 && now > deadline
}

/// The live value of `key` in `db`: an expired key is removed (and counted) and reported absent.
/// A free function over the two fields it needs, so callers can keep using the others.
///
/// While a background save runs (`saving`), the value found is first written to it as it
/// stands if the save has not reached it: the caller may change it, and an expired one goes.
fn live_in<'a>(
    dbs: &'a mut [super::Db],
    index: usize,
    expiry: Expiry<'_>,
    now: u64,
    touch: Option<Access>,
    key: &[u8],
    saving: Option<&mut crate::persistence::snapshot::ShardSnapshot>,
) -> Option<(&'a mut Value, u64)> {
    let db = &mut dbs[index];
    let table: *mut super::Db = db;
    // SAFETY: `table` is `db`, borrowed for 'a; the mutable borrow taken by `get_mut` is either
    // returned or ended before `remove` runs (the conditional return that today's borrow
    // checker cannot see through; Polonius accepts it).
    match unsafe { (*table).get_mut_in_segment(key) } {
        Some((seg, value, deadline)) => {
            if let Some(snapshot) = saving {
                snapshot.before_change(index, seg, key, value, deadline);
            }
            if !expired(deadline, now) {
                if let Some(access) = touch {
                    value.touch(access);
                }
                return Some((value, deadline));
            }
        }
        None => return None,
    }
    unsafe { (*table).remove(key) };
    expiry.stats.expired_keys += 1;
    if !expiry.watches.is_empty() {
        expiry.watches.touch(index, key, false);
    }
    if let Some(out) = expiry.events {
        out.push((index, key.to_vec()));
    }
    None
}

/// What removing an expired key touches besides the table: the count, WATCH, and where its
/// `expired` event waits when one is wanted (sent by `Core::flush_expired`, before the
/// command's own events).
struct Expiry<'a> {
    stats: &'a mut super::Stats,
    watches: &'a mut crate::coord::watch::Watches,
    events: Option<&'a mut Vec<(usize, Vec<u8>)>>,
}

macro_rules! expiry {
    ($core:ident) => {
        Expiry {
            stats: &mut $core.stats,
            watches: &mut $core.watches,
            events: ($core.config.notify_keyspace_events & crate::pubsub::notify::class::EXPIRED != 0
                || !$core.tracking.is_empty())
            .then_some(&mut $core.expired_events),
        }
    };
}

impl Core {
    /// The live value of `key` and its deadline; an expired key is removed and reported absent.
    /// Counts as an access (OBJECT IDLETIME) unless the client asked for CLIENT NO-TOUCH.
    pub fn live(&mut self, db: usize, key: &[u8]) -> Option<(&mut Value, u64)> {
        let touch = (!self.no_touch).then(|| self.access());
        live_in(&mut self.dbs, db, expiry!(self), self.now_ms, touch, key, self.snapshot.saving())
    }

    /// Like [`Core::live`] but never an access: TYPE, TTL, EXISTS, OBJECT look without touching.
    pub fn peek(&mut self, db: usize, key: &[u8]) -> Option<(&mut Value, u64)> {
        live_in(&mut self.dbs, db, expiry!(self), self.now_ms, None, key, self.snapshot.saving())
    }

    /// The access clock (`value::lru_clock`), from the time of this pass of the event loop.
    pub fn lru_clock(&self) -> u32 {
        crate::store::value::lru_clock(self.now_ms)
    }

    /// How an access is recorded now: the LRU clock, or the LFU counter with an LFU policy.
    #[inline]
    pub fn access(&self) -> Access {
        if self.config.maxmemory_policy.is_lfu() {
            Access::Lfu(self.lfu())
        } else {
            Access::Lru(self.lru_clock())
        }
    }

    /// The LFU counter's clock and settings, now.
    pub fn lfu(&self) -> Lfu {
        Lfu::new(self.now_ms, self.config.lfu_log_factor, self.config.lfu_decay_time)
    }

    /// Like [`Core::live`], counting a keyspace hit or miss (commands that read a value).
    pub fn read(&mut self, db: usize, key: &[u8]) -> Option<(&mut Value, u64)> {
        let touch = (!self.no_touch).then(|| self.access());
        self.counted(db, key, touch, false)
    }

    /// Like [`Core::peek`], but a read that counts (a hit or a miss), and a miss is a `keymiss`
    /// event unless `quiet`: Redis's lookupKeyReadWithFlags with LOOKUP_NOTOUCH (TYPE, TTL,
    /// EXISTS; OBJECT with LOOKUP_NONOTIFY too).
    pub fn look(&mut self, db: usize, key: &[u8], quiet: bool) -> Option<(&mut Value, u64)> {
        self.counted(db, key, None, quiet)
    }

    /// A lookup that counts a hit or a miss; a miss is a `keymiss` event unless `quiet`.
    fn counted(&mut self, db: usize, key: &[u8], touch: Option<Access>, quiet: bool) -> Option<(&mut Value, u64)> {
        let this: *mut Core = self;
        let found = live_in(&mut self.dbs, db, expiry!(self), self.now_ms, touch, key, self.snapshot.saving());
        if found.is_some() {
            self.stats.keyspace_hits += 1;
            return found;
        }
        // SAFETY: `found` is None, so nothing borrowed from `self` is alive (the conditional
        // return above is what today's borrow checker cannot see through).
        let this = unsafe { &mut *this };
        this.stats.keyspace_misses += 1;
        if !quiet {
            this.notify(crate::pubsub::notify::class::KEY_MISS, "keymiss", db, key);
        }
        None
    }

    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.peek(db, key).is_some()
    }

    /// Sets `key`, replacing any value and deadline; the new value counts as just accessed
    /// (with an LFU policy it keeps the counter of the value it replaces, as Redis's
    /// dbOverwrite does).
    pub fn put(&mut self, db: usize, key: &[u8], mut value: Value, deadline: u64) {
        let lfu = self.config.maxmemory_policy.is_lfu();
        value.set_access_word(if lfu { self.lfu().fresh() } else { self.lru_clock() });
        value.set_snapshot_mark(self.snapshot.mark_for_new());
        let saving = self.snapshot.saving();
        if saving.is_some() || lfu {
            // One lookup for the save's copy-on-write, the counter and the replacement.
            if let Some((seg, old, old_deadline)) = self.dbs[db].get_mut_in_segment(key) {
                if let Some(snapshot) = saving {
                    snapshot.before_change(db, seg, key, old, old_deadline);
                }
                if lfu {
                    value.set_access_word(old.access_word());
                }
                *old = value;
                if old_deadline != deadline {
                    self.dbs[db].set_expire(key, deadline);
                }
                return;
            }
            // A new key: its segment may have to be written before a split.
            crate::persistence::snapshot::before_insert(self, db, key);
        }
        if self.dbs[db].insert(key, value, deadline).is_none() {
            self.notify(crate::pubsub::notify::class::NEW, "new", db, key);
        }
    }

    /// Sets the access word of `key` (RESTORE's IDLETIME or FREQ), if it is there.
    pub fn set_access_word(&mut self, db: usize, key: &[u8], word: u32) {
        if let Some((value, _)) = self.dbs[db].get_mut(key) {
            value.set_access_word(word);
        }
    }

    /// Removes a live key; returns what it held.
    pub fn del(&mut self, db: usize, key: &[u8]) -> Option<(Value, u64)> {
        self.live(db, key)?;
        self.dbs[db].remove(key)
    }

    /// The value at `key` seen as one type through `view` (`Value::as_zset_mut`...): None when
    /// missing, WRONGTYPE when it holds another type. A `counted` read counts a keyspace hit or
    /// miss (as [`Core::read`]); a write's lookup does not.
    pub fn typed<'a, T: ?Sized>(
        &'a mut self,
        db: usize,
        key: &[u8],
        counted: bool,
        view: impl FnOnce(&'a mut Value) -> Option<&'a mut T>,
    ) -> Result<Option<&'a mut T>, CmdError> {
        let found = if counted { self.read(db, key) } else { self.live(db, key) };
        match found {
            Some((v, _)) => view(v).map(Some).ok_or(CmdError::WrongType),
            None => Ok(None),
        }
    }

    /// Deletes `key` if it holds an empty collection (after a pop, a removal or a trim).
    pub fn del_if_empty(&mut self, db: usize, key: &[u8]) {
        if self.live(db, key).is_some_and(|(v, _)| v.is_empty_collection()) {
            self.dbs[db].remove(key);
            self.notify(crate::pubsub::notify::class::GENERIC, "del", db, key);
        }
    }

    /// Sets or clears (0) the deadline of a live key; false if there is no such key.
    pub fn set_deadline(&mut self, db: usize, key: &[u8], deadline: u64) -> bool {
        self.live(db, key).is_some() && self.dbs[db].set_expire(key, deadline)
    }
}
