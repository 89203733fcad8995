//! Streams: entries kept in nodes of delta-encoded entries under an ordered index, and the
//! consumer groups that read them.
//!
//! # Entries
//!
//! As in Redis, entries live in *nodes* of up to `stream-node-max-entries` entries and about
//! `stream-node-max-bytes` bytes, under an ordered index keyed by each node's *master ID* (the
//! ID of the first entry the node ever held). The byte limit counts the size Redis's listpack
//! of the node would have (kept alongside, see [`Node::listpack_bytes`]), so nodes are cut
//! exactly where Redis cuts them and the RDB writer reproduces Redis's nodes. A node is one
//! exact-size [`Blob`]:
//!
//! - a header: the master entry's field count and field names (LEB128 lengths, then bytes);
//! - then each entry: a flags byte (deleted, same fields as the master), the ID as deltas from
//!   the master ID (ms as a varint, seq as a zigzag varint of the wrapping difference), then
//!   either the values alone (same fields as the master, the common case of a stream whose
//!   entries all have one shape) or the field count and the field/value pairs.
//!
//! Nodes are shared between copies of a stream (`Arc`): a copy (COPY, or the undo record a
//! script run keeps of a stream it writes) costs a pointer a node, and a write to a shared node
//! copies that node alone first.
//!
//! XDEL only flags an entry deleted; a node whose entries are all deleted goes. Trimming takes
//! whole nodes first and, when exact, flags entries of the first node left, as Redis does, so
//! the approximate (`~`) trims cut at the same places as Redis's for the same node limits.
//! Reading backwards decodes a node's entry offsets forwards first (nodes are small).
//!
//! # Consumer groups
//!
//! Each group has its last delivered ID, its read counter (`entries-read`, or -1 when it is not
//! known), a pending entries list (PEL: ID -> consumer, delivery time, delivery count) and its
//! consumers by name, each with the IDs it holds. Both are ordered maps, as Redis's radix trees,
//! so XPENDING and XINFO list them in ID and name order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::blob::{Blob, SAFETY_MAX};
use super::packed::{encoded_size, put_str, put_varint, read_str, read_varint};
use crate::persistence::listpack::{self, entry_size, int_entry_size};

/// A stream entry ID: milliseconds and a sequence number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID, None after the largest.
    pub fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| StreamId { ms, seq: 0 }),
        }
    }

    /// The previous ID, None before the smallest.
    pub fn prev(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self.ms.checked_sub(1).map(|ms| StreamId { ms, seq: u64::MAX }),
        }
    }

    /// `ms-seq`.
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        self.write(&mut out);
        out
    }

    pub fn write(self, out: &mut Vec<u8>) {
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(self.ms).as_bytes());
        out.push(b'-');
        out.extend_from_slice(b.format(self.seq).as_bytes());
    }

    /// The 16 big-endian bytes Redis keys its radix trees (and RDB files) with.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.ms.to_be_bytes());
        key[8..].copy_from_slice(&self.seq.to_be_bytes());
        key
    }

    pub fn from_be_bytes(key: &[u8]) -> Option<StreamId> {
        if key.len() != 16 {
            return None;
        }
        let ms = u64::from_be_bytes(key[..8].try_into().ok()?);
        let seq = u64::from_be_bytes(key[8..].try_into().ok()?);
        Some(StreamId { ms, seq })
    }
}

/// Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`; 0: no limit).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub bytes: u64,
    pub entries: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits { bytes: 4096, entries: 100 };
}

const DELETED: u8 = 1;
const SAME_FIELDS: u8 = 2;

/// One node: its encoded entries, how many are live and flagged deleted, and the size the
/// same node has in Redis (a listpack), which is what `stream-node-max-bytes` bounds: nodes
/// close where Redis's do, so approximate trims cut in the same places.
#[derive(Clone)]
struct Node {
    buf: Blob,
    live: u32,
    deleted: u32,
    /// The bytes of Redis's listpack of this node but for its two counters (live, deleted),
    /// whose sizes change as they do: see [`Node::listpack_bytes`].
    lp_rest: usize,
}

impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        *self.buf == *other.buf && self.live == other.live && self.deleted == other.deleted
    }
}

/// One decoded entry of a node.
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub id: StreamId,
    deleted: bool,
    /// The node's bytes.
    buf: &'a [u8],
    /// Where the master field names start (same fields), and where this entry's values (or
    /// its field count) start.
    master: usize,
    body: usize,
    fields: usize,
    same: bool,
}

impl<'a> Entry<'a> {
    /// How many field/value pairs it has.
    pub fn len(&self) -> usize {
        self.fields
    }

    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }

    /// Whether it is flagged deleted (only [`NodeView::entries`] yields such entries).
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// Whether its fields are its node's master fields, so that Redis's listpack holds its
    /// values alone.
    pub fn same_fields(&self) -> bool {
        self.same
    }

    pub fn pairs(&self) -> Pairs<'a> {
        Pairs { buf: self.buf, master: self.master, at: self.body, left: self.fields, same: self.same }
    }
}

/// The field/value pairs of an entry.
pub struct Pairs<'a> {
    buf: &'a [u8],
    master: usize,
    at: usize,
    left: usize,
    same: bool,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = if self.same {
            let (s, e) = read_str(self.buf, self.master);
            self.master = e;
            &self.buf[s..e]
        } else {
            let (s, e) = read_str(self.buf, self.at);
            self.at = e;
            &self.buf[s..e]
        };
        let (s, e) = read_str(self.buf, self.at);
        self.at = e;
        Some((field, &self.buf[s..e]))
    }
}

impl Node {
    /// A node whose master entry has the field names of `pairs` (field, value...).
    fn new(pairs: &[&[u8]]) -> Node {
        Node::with_fields(pairs.iter().step_by(2).copied())
    }

    fn with_fields<'a>(names: impl ExactSizeIterator<Item = &'a [u8]>) -> Node {
        let mut buf = Vec::with_capacity(64);
        // Redis's master entry: the counters, the field count, the names, a 0 terminator.
        let mut lp_rest = listpack::EMPTY_SIZE + int_entry_size(names.len() as i64) + int_entry_size(0);
        put_varint(&mut buf, names.len() as u64);
        for field in names {
            put_str(&mut buf, field);
            lp_rest += entry_size(field);
        }
        Node { buf: Blob::from_slice(&buf), live: 0, deleted: 0, lp_rest }
    }

    /// The bytes Redis's listpack of this node takes (`lpBytes`), which its node byte limit
    /// counts.
    fn listpack_bytes(&self) -> usize {
        self.lp_rest + int_entry_size(self.live.into()) + int_entry_size(self.deleted.into())
    }

    /// (master field count, where the names start, where the first entry starts).
    fn header(&self) -> (usize, usize, usize) {
        let (n, names) = read_varint(&self.buf, 0);
        let mut at = names;
        for _ in 0..n {
            at = read_str(&self.buf, at).1;
        }
        (n as usize, names, at)
    }

    /// Do the master's field names equal the names in `pairs`?
    fn same_fields(&self, pairs: &[&[u8]]) -> bool {
        let (n, mut at) = read_varint(&self.buf, 0);
        if n as usize != pairs.len() / 2 {
            return false;
        }
        for field in pairs.iter().step_by(2) {
            let (s, e) = read_str(&self.buf, at);
            if &self.buf[s..e] != *field {
                return false;
            }
            at = e;
        }
        true
    }

    /// The entry at `at` and where the next one starts.
    fn entry_at(&self, master_id: StreamId, master_n: usize, names: usize, at: usize) -> (Entry<'_>, usize) {
        let buf: &[u8] = &self.buf;
        let flags = buf[at];
        let (ms, p) = read_varint(buf, at + 1);
        let (zz, p) = read_varint(buf, p);
        let seq_delta = ((zz >> 1) as i64 ^ -((zz & 1) as i64)) as u64;
        let id = StreamId { ms: master_id.ms.wrapping_add(ms), seq: master_id.seq.wrapping_add(seq_delta) };
        let same = flags & SAME_FIELDS != 0;
        let (fields, body) = if same { (master_n, p) } else { (read_varint(buf, p).0 as usize, read_varint(buf, p).1) };
        let mut end = body;
        for _ in 0..(if same { fields } else { fields * 2 }) {
            end = read_str(buf, end).1;
        }
        let entry = Entry { id, deleted: flags & DELETED != 0, buf, master: names, body, fields, same };
        (entry, end)
    }

    /// Every entry (deleted ones too), in order, with its offset.
    fn entries(&self, master_id: StreamId) -> impl Iterator<Item = (usize, Entry<'_>)> {
        let (n, names, mut at) = self.header();
        std::iter::from_fn(move || {
            if at >= self.buf.len() {
                return None;
            }
            let (entry, next) = self.entry_at(master_id, n, names, at);
            let here = at;
            at = next;
            Some((here, entry))
        })
    }

    /// Appends an entry with `pairs` (field, value, field, value...).
    fn push(&mut self, master_id: StreamId, id: StreamId, pairs: &[&[u8]]) {
        let same = self.same_fields(pairs);
        let mut enc = Vec::with_capacity(16 + pairs.iter().map(|p| encoded_size(p)).sum::<usize>());
        enc.push(if same { SAME_FIELDS } else { 0 });
        let ms_delta = id.ms.wrapping_sub(master_id.ms);
        put_varint(&mut enc, ms_delta);
        let d = id.seq.wrapping_sub(master_id.seq) as i64;
        put_varint(&mut enc, ((d << 1) ^ (d >> 63)) as u64);
        // Redis's entry: flags, the two deltas, the values or the field count and pairs, and
        // the count of listpack entries it took (lp-count).
        let n = (pairs.len() / 2) as i64;
        let mut lp = int_entry_size(0) + int_entry_size(ms_delta as i64) + int_entry_size(d);
        if same {
            for value in pairs.iter().skip(1).step_by(2) {
                put_str(&mut enc, value);
                lp += entry_size(value);
            }
            lp += int_entry_size(n + 3);
        } else {
            put_varint(&mut enc, n as u64);
            for p in pairs {
                put_str(&mut enc, p);
                lp += entry_size(p);
            }
            lp += int_entry_size(n) + int_entry_size(2 * n + 4);
        }
        self.buf.extend_from_slice(&enc);
        self.lp_rest += lp;
        self.live += 1;
    }

    /// Flags the entry at `at` deleted.
    fn delete_at(&mut self, at: usize) {
        self.buf[at] |= DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// The ID of its last entry (deleted or not).
    fn last_id(&self, master_id: StreamId) -> StreamId {
        self.entries(master_id).last().map_or(master_id, |(_, e)| e.id)
    }
}

/// A pending entry of a group: who has it, when it was last delivered, how many times.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    pub consumer: Arc<[u8]>,
    pub delivery_time: u64,
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub name: Arc<[u8]>,
    /// When it last read or claimed (ms).
    pub seen_time: u64,
    /// The IDs it holds (its part of the group's PEL).
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    /// The logical count of entries read, or [`INVALID_READ`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

/// A group read counter that is not known (Redis's SCG_INVALID_ENTRIES_READ).
pub const INVALID_READ: i64 = -1;

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    /// Adds consumer `name` if missing; true if it was created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let consumer = Consumer { name: name.into(), seen_time: now, pel: BTreeSet::new() };
        self.consumers.insert(name.to_vec(), consumer);
        true
    }

    /// Removes consumer `name` and its pending entries; how many it held, None if missing.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    /// Records `id` as delivered to `consumer` now (a fresh delivery: count 1), taking it from
    /// whoever had it.
    pub fn add_pending(&mut self, id: StreamId, consumer: &[u8], now: u64) {
        let owner = self.consumers.get_mut(consumer).expect("the consumer exists");
        owner.pel.insert(id);
        let name = owner.name.clone();
        let nack = Nack { consumer: name, delivery_time: now, delivery_count: 1 };
        if let Some(old) = self.pel.insert(id, nack) {
            if *old.consumer != *consumer {
                if let Some(c) = self.consumers.get_mut(&*old.consumer) {
                    c.pel.remove(&id);
                }
            }
        }
    }

    /// Acknowledges `id`: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else { return false };
        if let Some(c) = self.consumers.get_mut(&*nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Moves pending entry `id` to `consumer` (which exists).
    pub fn transfer(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(nack) = self.pel.get_mut(&id) else { return };
        if *nack.consumer == *consumer {
            return;
        }
        let old = std::mem::replace(&mut nack.consumer, Arc::from(consumer));
        if let Some(c) = self.consumers.get_mut(&*old) {
            c.pel.remove(&id);
        }
        let c = self.consumers.get_mut(consumer).expect("the consumer exists");
        nack.consumer = c.name.clone();
        c.pel.insert(id);
    }

    fn memory(&self) -> usize {
        // Ordered-map nodes cost about twice their payload; names are counted once each.
        let nack = std::mem::size_of::<(StreamId, Nack)>() + 16;
        let consumers: usize = self.consumers.iter().map(|(n, c)| 2 * n.len() + 64 + c.pel.len() * 24).sum();
        64 + self.pel.len() * nack * 3 / 2 + consumers
    }
}

/// What to trim by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// A stream value. Two streams are equal when they hold the same nodes (the same entries in
/// the same layout) and the same metadata and groups.
#[derive(Clone, Default, PartialEq)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Arc<Node>>,
    len: u64,
    pub last_id: StreamId,
    /// The first live entry's ID when the stream last changed at its start (0-0 when empty).
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Vec<u8>, Group>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stream(len {}, last {:?}, {} groups)", self.len, self.last_id, self.groups.len())
    }
}

impl Stream {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many nodes (XINFO's `radix-tree-keys`).
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Appends an entry; `id` must be greater than `last_id` (the caller checks). `pairs` holds
    /// field, value, field, value...
    pub fn append(&mut self, id: StreamId, pairs: &[&[u8]], limits: Limits) {
        let size: u64 = pairs.iter().map(|p| p.len() as u64).sum();
        let max_bytes =
            if limits.bytes == 0 || limits.bytes > SAFETY_MAX as u64 { SAFETY_MAX as u64 } else { limits.bytes };
        let fits = self.nodes.last_key_value().is_some_and(|(_, node)| {
            node.listpack_bytes() as u64 + size < max_bytes
                && (limits.entries == 0 || u64::from(node.live + node.deleted) < limits.entries)
        });
        if !fits {
            self.nodes.insert(id, Arc::new(Node::new(pairs)));
        }
        let (&master, node) = self.nodes.iter_mut().next_back().expect("a node");
        let node = Arc::make_mut(node);
        node.push(master, id, pairs);
        if self.len == 0 {
            self.first_id = id;
        }
        self.len += 1;
        self.entries_added += 1;
        self.last_id = id;
    }

    /// Calls `f` on the live entries with IDs in `start..=end`, in order (backwards if `rev`),
    /// until it returns false.
    pub fn range<'a>(&'a self, start: StreamId, end: StreamId, rev: bool, mut f: impl FnMut(Entry<'a>) -> bool) {
        if start > end {
            return;
        }
        if !rev {
            let from = self.nodes.range(..=start).next_back().map_or(start, |(k, _)| *k);
            for (&master, node) in self.nodes.range(from..) {
                if master > end {
                    return;
                }
                for (_, e) in node.entries(master) {
                    if e.id > end {
                        return;
                    }
                    if e.deleted || e.id < start {
                        continue;
                    }
                    if !f(e) {
                        return;
                    }
                }
            }
        } else {
            for (&master, node) in self.nodes.range(..=end).rev() {
                let all: Vec<Entry<'a>> = node.entries(master).map(|(_, e)| e).collect();
                for e in all.into_iter().rev() {
                    if e.id < start {
                        return;
                    }
                    if e.deleted || e.id > end {
                        continue;
                    }
                    if !f(e) {
                        return;
                    }
                }
            }
        }
    }

    /// The live entry `id`, if any.
    pub fn get(&self, id: StreamId) -> Option<Entry<'_>> {
        let mut found = None;
        self.range(id, id, false, |e| {
            found = Some(e);
            false
        });
        found
    }

    /// Is there a live entry after `id`?
    pub fn has_after(&self, id: StreamId) -> bool {
        let Some(start) = id.next() else { return false };
        let mut found = false;
        self.range(start, StreamId::MAX, false, |_| {
            found = true;
            false
        });
        found
    }

    /// The first (or last) live entry.
    pub fn edge(&self, last: bool) -> Option<Entry<'_>> {
        let mut found = None;
        self.range(StreamId::MIN, StreamId::MAX, last, |e| {
            found = Some(e);
            false
        });
        found
    }

    /// Deletes entry `id` (XDEL): true if it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else { return false };
        let Some(at) = node.entries(master).find(|(_, e)| e.id == id && !e.deleted).map(|(at, _)| at) else {
            return false;
        };
        let node = Arc::make_mut(node);
        node.delete_at(at);
        if node.live == 0 {
            self.nodes.remove(&master);
        }
        self.len -= 1;
        if id > self.max_deleted {
            self.max_deleted = id;
        }
        if id == self.first_id {
            self.first_id = self.edge(false).map_or(StreamId::MIN, |e| e.id);
        }
        true
    }

    /// Trims as Redis's streamTrim: whole nodes first; then, unless `approx`, flags entries of
    /// the first node left. `limit` (0: none) bounds the entries whole-node removal may take.
    /// Returns how many entries went.
    pub fn trim(&mut self, by: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&master, node)) = self.nodes.first_key_value() {
            if let Trim::MaxLen(max) = by {
                if self.len <= max {
                    break;
                }
            }
            let entries = u64::from(node.live);
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let whole = match by {
                Trim::MaxLen(max) => self.len - entries >= max,
                Trim::MinId(min) => node.last_id(master) < min,
            };
            if whole {
                self.nodes.remove(&master);
                self.len -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let node = Arc::make_mut(self.nodes.get_mut(&master).expect("first node"));
            let mut marks = Vec::new();
            let mut len = self.len;
            for (at, e) in node.entries(master) {
                let stop = match by {
                    Trim::MaxLen(max) => len <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if !e.deleted {
                    marks.push(at);
                    len -= 1;
                }
            }
            for at in &marks {
                node.delete_at(*at);
            }
            // A node this leaves with no live entry stays (a MINID trim can, when its last
            // entries were deleted already), as in Redis: later appends go on into it.
            self.len = len;
            deleted += marks.len() as u64;
            break;
        }
        if deleted > 0 {
            self.first_id = self.edge(false).map_or(StreamId::MIN, |e| e.id);
        }
        deleted
    }

    /// Redis's streamEstimateDistanceFromFirstEverEntry: the read counter of `id`, or
    /// [`INVALID_READ`] when it cannot be known.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.len == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_READ;
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.len) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.len + 1) as i64;
            }
        }
        INVALID_READ
    }

    /// Is there a deleted entry between `start` and `end` (inclusive)?
    pub fn has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.len == 0 || self.max_deleted.is_zero() || self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted && self.max_deleted <= end
    }

    /// A group's lag, None when it cannot be known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != INVALID_READ && !self.has_tombstones(group.last_id, StreamId::MAX) {
            return Some(self.entries_added as i64 - group.entries_read);
        }
        let read = self.estimate_distance(group.last_id);
        (read != INVALID_READ).then(|| self.entries_added as i64 - read)
    }

    /// Moves `group`'s last delivered ID to `id` (an entry being delivered past it), keeping
    /// its read counter as Redis does.
    pub fn advance_group(&mut self, name: &[u8], id: StreamId) {
        let read = self.groups.get(name).map(|g| g.entries_read);
        let Some(read) = read else { return };
        let next = if read != INVALID_READ && !self.has_tombstones(id, StreamId::MAX) {
            Some(read + 1)
        } else if self.entries_added != 0 {
            Some(self.estimate_distance(id))
        } else {
            None
        };
        let group = self.groups.get_mut(name).expect("looked up");
        if id > group.last_id {
            if let Some(n) = next {
                group.entries_read = n;
            }
            group.last_id = id;
        }
    }

    /// The nodes in order, for the RDB writer.
    pub fn node_views(&self) -> impl Iterator<Item = NodeView<'_>> {
        self.nodes.iter().map(|(&master, node)| NodeView { master, node: node.as_ref() })
    }

    /// Adds a node as read from an RDB file: its master field names, then its entries in
    /// order (IDs at or past `master`, past those of the nodes before), each with its deleted
    /// flag and pairs. The caller sets the metadata (last ID, counters, groups) after.
    pub fn load_node(&mut self, master: StreamId, names: &[&[u8]], entries: &[(StreamId, bool, Vec<&[u8]>)]) {
        let mut node = Node::with_fields(names.iter().copied());
        for (id, deleted, pairs) in entries {
            let at = node.buf.len();
            node.push(master, *id, pairs);
            if *deleted {
                node.delete_at(at);
            }
        }
        self.len += u64::from(node.live);
        if node.live + node.deleted > 0 {
            self.nodes.insert(master, Arc::new(node));
        }
    }

    /// Redis's `radix-tree-nodes` for this stream's node index: the node count of a
    /// compressed radix tree over the 16-byte master IDs.
    pub fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_nodes(&keys, 0)
    }

    /// Bytes it owns (MEMORY USAGE).
    pub fn memory(&self) -> usize {
        // An ordered-map slot (half again for the tree's slack), and the shared block's two counts.
        let per_node = std::mem::size_of::<(StreamId, Arc<Node>)>() * 3 / 2 + std::mem::size_of::<Node>() + 16;
        let nodes: usize = self.nodes.values().map(|n| n.buf.allocated() + per_node).sum();
        let groups: usize = self.groups.iter().map(|(n, g)| n.len() + g.memory()).sum();
        std::mem::size_of::<Stream>() + nodes + groups
    }
}

/// One node as the RDB writer sees it: what Redis's listpack of the node holds.
#[derive(Clone, Copy)]
pub struct NodeView<'a> {
    /// Its master ID (Redis's radix-tree key for it).
    pub master: StreamId,
    node: &'a Node,
}

impl<'a> NodeView<'a> {
    /// How many of its entries are live, and how many flagged deleted.
    pub fn counts(&self) -> (u32, u32) {
        (self.node.live, self.node.deleted)
    }

    /// The master entry's field names.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = &'a [u8]> {
        let buf: &'a [u8] = &self.node.buf;
        let (n, mut at) = read_varint(buf, 0);
        (0..n as usize).map(move |_| {
            let (s, e) = read_str(buf, at);
            at = e;
            &buf[s..e]
        })
    }

    /// The bytes Redis's listpack of this node takes.
    pub fn listpack_bytes(&self) -> usize {
        self.node.listpack_bytes()
    }

    /// Every entry, deleted ones too, in order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> {
        let node: &'a Node = self.node;
        node.entries(self.master).map(|(_, e)| e)
    }
}

/// Nodes of a compressed radix tree holding `keys` (sorted, distinct, equally long) below
/// depth `depth`: a chain of shared bytes is one node, a branch is one node, a key's end is one.
fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    if keys.len() == 1 {
        return if depth == 16 { 1 } else { 2 };
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let shared = (depth..16).take_while(|&i| first[i] == last[i]).count();
    let mut count = if shared > 0 { 1 } else { 0 };
    let at = depth + shared;
    count += 1;
    let mut i = 0;
    while i < keys.len() {
        let j = i + keys[i..].iter().take_while(|k| k[at] == keys[i][at]).count();
        count += rax_nodes(&keys[i..j], at + 1);
        i = j;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    fn ids(s: &Stream, start: StreamId, end: StreamId, rev: bool) -> Vec<StreamId> {
        let mut out = Vec::new();
        s.range(start, end, rev, |e| {
            out.push(e.id);
            true
        });
        out
    }

    #[test]
    fn append_read_and_delete() {
        let mut s = Stream::default();
        let limits = Limits { bytes: 4096, entries: 3 };
        for i in 1..=10 {
            let v = format!("v{i}");
            let pairs: Vec<&[u8]> =
                if i % 4 == 0 { vec![b"g", v.as_bytes()] } else { vec![b"f", v.as_bytes(), b"x", b"y"] };
            s.append(id(i, 0), &pairs, limits);
        }
        assert_eq!(s.len(), 10);
        assert_eq!(s.nodes(), 4);
        assert_eq!(ids(&s, id(3, 0), id(5, 0), false), vec![id(3, 0), id(4, 0), id(5, 0)]);
        assert_eq!(ids(&s, id(3, 0), id(5, 0), true), vec![id(5, 0), id(4, 0), id(3, 0)]);
        let e = s.get(id(4, 0)).unwrap();
        assert_eq!(e.pairs().collect::<Vec<_>>(), vec![(&b"g"[..], &b"v4"[..])]);
        let e = s.get(id(5, 0)).unwrap();
        assert_eq!(e.pairs().collect::<Vec<_>>(), vec![(&b"f"[..], &b"v5"[..]), (&b"x"[..], &b"y"[..])]);
        assert!(s.delete(id(1, 0)));
        assert!(!s.delete(id(1, 0)));
        assert_eq!(s.first_id, id(2, 0));
        assert!(s.delete(id(2, 0)) && s.delete(id(3, 0)));
        assert_eq!(s.nodes(), 3);
        assert_eq!(s.max_deleted, id(3, 0));
        assert_eq!(s.trim(Trim::MaxLen(5), false, 0), 2);
        assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, false).len(), 5);
        assert_eq!(s.trim(Trim::MinId(id(8, 0)), true, 0), 1);
        assert_eq!(s.first_id, id(7, 0));
    }

    #[test]
    fn radix_nodes_as_redis() {
        let mut s = Stream::default();
        assert_eq!(s.radix_tree_nodes(), 1);
        for i in 1..=250 {
            s.append(id(i, 1), &[b"a", b"b"], Limits::DEFAULT);
        }
        assert_eq!(s.nodes(), 3);
        assert_eq!(s.radix_tree_nodes(), 8);
    }

    #[test]
    fn copies_share_nodes_until_written() {
        let mut s = Stream::default();
        let limits = Limits { bytes: 4096, entries: 2 };
        for i in 1..=5 {
            s.append(id(i, 0), &[b"f", b"v"], limits);
        }
        let mut c = s.clone();
        assert!(Arc::ptr_eq(&s.nodes[&id(1, 0)], &c.nodes[&id(1, 0)]));
        c.append(id(6, 0), &[b"f", b"w"], limits);
        assert!(c.delete(id(1, 0)));
        assert_eq!(c.trim(Trim::MaxLen(3), false, 0), 2);
        assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, false), (1..=5).map(|i| id(i, 0)).collect::<Vec<_>>());
        assert_eq!(ids(&c, StreamId::MIN, StreamId::MAX, false), vec![id(4, 0), id(5, 0), id(6, 0)]);
    }

    #[test]
    fn seq_deltas_wrap() {
        let mut s = Stream::default();
        s.append(id(5, u64::MAX), &[b"a", b"b"], Limits::DEFAULT);
        s.append(id(6, 0), &[b"a", b"c"], Limits::DEFAULT);
        s.append(id(u64::MAX, u64::MAX), &[b"a", b"c"], Limits::DEFAULT);
        assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, false), vec![id(5, u64::MAX), id(6, 0), StreamId::MAX]);
    }
}
