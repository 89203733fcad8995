//! Keyspace notifications: `notify-keyspace-events`, and the one call every command makes
//! where Redis 7.0 makes it ([`Core::notify`]).
//!
//! Each family's events live next to its commands: a handler calls `notify` with the class
//! and Redis's event name at the point where Redis calls notifyKeyspaceEvent, so the order of
//! one command's events (`new` before `set`, a pop before the `del` of the emptied key) is
//! Redis's. The cross-family events are made in one place each: `new` where a key is added
//! ([`Core::put`]), `del` where a collection left empty is removed ([`Core::del_if_empty`]),
//! `expired` where lazy or active expiry removes a key, `keymiss` where a counted read misses.
//!
//! An event is published from the shard that owns the key, as a PUBLISH with no publisher
//! ([`super::publish`]): through the inboxes, so it keeps its place behind everything
//! published before it. With notifications off (the default) a call costs one load and a
//! test.

use crate::shard::mesh::JobOut;
use crate::shard::Core;

/// The classes, as `notify-keyspace-events` spells them (the bits the configuration uses).
pub mod class {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 12;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
}

/// An event made by a job of a command whose keys live on several shards: it goes back to the
/// command's own shard with the job's output, and that shard publishes the command's events
/// together, in Redis's order (`seq`: the job's [`Core::event_seq`] when it was made; events
/// are published by `seq`, then shard by shard as they came).
#[derive(Clone)]
pub struct Captured {
    seq: u32,
    event: &'static str,
    db: usize,
    key: Vec<u8>,
}

/// A job's output with the events it made (see [`capture`]).
struct WithEvents {
    out: JobOut,
    events: Vec<Captured>,
}

/// Starts keeping the events a job makes instead of publishing them (when any are wanted);
/// pass what it returns to [`captured`] with the job's output.
pub fn capture(core: &mut Core) -> bool {
    let on = core.config.notify_keyspace_events != 0;
    if on {
        core.captured = Some(Vec::new());
        core.event_seq = 0;
    }
    on
}

/// The job's output, with the events it made since [`capture`] returned `on`.
pub fn captured(core: &mut Core, out: JobOut, on: bool) -> JobOut {
    match core.captured.take() {
        Some(events) if on => Box::new(WithEvents { out, events }),
        _ => out,
    }
}

/// Takes the events out of a round's outputs (appending them to `events`); the outputs are
/// handed back as the jobs returned them.
pub fn take_captured(parts: Vec<JobOut>, events: &mut Vec<Captured>) -> Vec<JobOut> {
    parts
        .into_iter()
        .map(|part| match part.downcast::<WithEvents>() {
            Ok(w) => {
                events.extend(w.events);
                w.out
            }
            Err(part) => part,
        })
        .collect()
}

/// Publishes a command's captured events (`earlier` rounds' first), in order.
pub fn publish_captured(core: &mut Core, parts: Vec<JobOut>, mut events: Vec<Captured>) -> Vec<JobOut> {
    let parts = take_captured(parts, &mut events);
    events.sort_by_key(|e| e.seq);
    let flags = core.config.notify_keyspace_events;
    for e in events {
        publish_event(core, flags, e.event, e.db, &e.key);
    }
    parts
}

/// What [`hold`] saved: the enclosing capture, if any (None: nothing held).
pub struct Held(Option<Option<Vec<Captured>>>);

impl Held {
    /// Nothing held.
    pub fn none() -> Held {
        Held(None)
    }
}

/// Holds back the events made from now on (a script run that may still escalate: its first
/// run's writes are undone, and so must its events be) until [`unhold`].
pub fn hold(core: &mut Core) -> Held {
    if core.config.notify_keyspace_events == 0 {
        return Held(None);
    }
    Held(Some(core.captured.replace(Vec::new())))
}

/// Ends a [`hold`]: the events held are published (or join the enclosing capture) if `keep`,
/// dropped otherwise.
pub fn unhold(core: &mut Core, held: Held, keep: bool) {
    let Held(Some(outer)) = held else { return };
    let mine = std::mem::replace(&mut core.captured, outer).unwrap_or_default();
    if !keep {
        return;
    }
    match &mut core.captured {
        Some(outer) => outer.extend(mine),
        None => {
            let flags = core.config.notify_keyspace_events;
            for e in mine {
                publish_event(core, flags, e.event, e.db, &e.key);
            }
        }
    }
}

impl Core {
    /// Event `event` of class `class` happened to `key` of `db` (Redis's notifyKeyspaceEvent).
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        let flags = self.config.notify_keyspace_events;
        if flags & class != 0 && flags & (class::KEYSPACE | class::KEYEVENT) != 0 {
            self.flush_expired();
            self.emit(flags, event, db, key);
        }
    }

    /// Sends the `expired` events (and the tracking invalidations) of the keys expiry removed
    /// since the last call: before any other event, and at the end of every command.
    #[inline]
    pub fn flush_expired(&mut self) {
        if !self.expired_events.is_empty() {
            let flags = self.config.notify_keyspace_events;
            let notify = flags & class::EXPIRED != 0 && flags & (class::KEYSPACE | class::KEYEVENT) != 0;
            for (db, key) in std::mem::take(&mut self.expired_events) {
                if notify {
                    self.emit(flags, "expired", db, &key);
                }
                if !self.tracking.is_empty() {
                    self.invalidate(&key);
                }
            }
        }
    }

    fn emit(&mut self, flags: u32, event: &'static str, db: usize, key: &[u8]) {
        match &mut self.captured {
            Some(events) => events.push(Captured { seq: self.event_seq, event, db, key: key.to_vec() }),
            None => publish_event(self, flags, event, db, key),
        }
    }
}

#[cold]
fn publish_event(core: &mut Core, flags: u32, event: &str, db: usize, key: &[u8]) {
    if flags & class::KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        super::publish(core, None, super::Kind::Channel, &channel, event.as_bytes());
    }
    if flags & class::KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        super::publish(core, None, super::Kind::Channel, channel.as_bytes(), key);
    }
}
