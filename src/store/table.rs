//! The per-shard keyspace table: one `Table<V>` per database, owned by its shard alone.
//!
//! # Shape
//!
//! Extendible hashing, as Dragonfly's dashtable: a *directory* of `2^global_depth` slots, each
//! naming a *segment*; a segment of local depth `d` owns every key whose hash starts with its
//! `d`-bit prefix, and `2^(global_depth - d)` consecutive directory slots point at it. A segment
//! holds at most [`SEGMENT_MAX`] entries. Inserting a new key into a full segment first *splits*
//! it by the next hash bit: only that segment's entries move (about 0.1 ms), and the
//! directory doubles (a copy of a few thousand `u32`s) only when the splitting segment was at the
//! global depth. Nothing ever rehashes the whole table, so filling a table never stalls the shard
//! for longer than one split (measured in `src/bin/growth-stall.rs`). Segments never merge;
//! FLUSHDB drops everything with [`Table::clear`].
//!
//! A segment is two parts:
//!
//! - a dense array of entries (key + value: 48 bytes when `V` is 24), in chunks of 128
//!   entries so that it grows without copying and wastes at most one partly filled chunk;
//! - an *index*, a `hashbrown::HashTable<u64>` whose slots pack the top 51 bits of the key's
//!   64-bit hash with the 13-bit position of its entry in the dense array.
//!
//! Keeping entries out of the hash table is what makes the table small: an open-addressing table
//! that grows by doubling runs between 44% and 87% full, and here that slack costs 9 bytes per
//! bucket (slot + control byte) instead of a whole entry. The price is one more dependent load on
//! a lookup (index slot, then entry). Because the slot carries the hash, neither a split, nor an
//! index resize, nor a SCAN ever rehashes a key; only moving an entry inside its array (a removal
//! filling the hole, an expiry being set or cleared) rehashes the one key that moves.
//!
//! Expiry deadlines (ms since the Unix epoch, 0 = none) cost nothing for keys without one: in
//! each segment the entries that have a deadline are kept at the front of the dense array, and
//! `expires[i]` holds the deadline of entry `i` for `i < expires.len()`. Reading a key's expiry
//! is one bounds check; the active expiry cycle walks only those prefixes, a dense `u64` array
//! each, and skips segments that have none.
//!
//! Keys of up to [`INLINE_KEY_MAX`] (23) bytes live inside the entry; longer ones in one exact
//! heap allocation.
//!
//! # Hash bits
//!
//! One 64-bit foldhash per key, seeded per table. Its top `global_depth` bits pick the directory
//! slot; its top 51 bits are the key's *position*, which orders SCAN; bits 13..20 and 20..
//! feed the segment index (hashbrown's control byte and bucket), disjoint from the directory bits
//! for any depth below 31, so hashbrown's filtering keeps working however deep segments get.
//!
//! # SCAN
//!
//! A cursor is a position (below 2^51, so a shard number fits above it in a 64-bit cursor). A
//! call visits every entry whose position lies in `[cursor, next)` and returns `next` (0 when the
//! end of hash space is reached), choosing `next` within a segment so that about `count` entries
//! fall in the range. Ranges are in hash space, which splits don't change, so a key present for
//! the whole scan is visited exactly once, however much the table grows in between.
//!
//! # Snapshot hooks
//!
//! A future fork-less snapshot serializes segment by segment, copy-on-write at segment
//! granularity. What the table offers for it:
//!
//! - [`Table::segment_count`]: segments are numbered `0..segment_count()`; an id is stable for as
//!   long as the table isn't cleared (segments never merge or move; a split keeps the old id for
//!   the half with the next hash bit 0 and gives the other half the next free id).
//! - [`Table::segment_of`]: the segment a key lives in, or would be inserted into. Every write
//!   (insert, remove, set_expire, get_mut, expire_cycle's removals) touches only that segment,
//!   except that an insert may first split it.
//! - [`Table::segment_version`]: bumped on every write to the segment; both halves of a split get
//!   the parent's version plus one.
//! - [`Table::segment_iter`]: the entries of one segment.
//!
//! The intended protocol: remember `n = segment_count()` at the start; before any write, if
//! `segment_of(key)` is below `n` and not yet written, write it first; walk `0..n` in the
//! background. Segments created during the snapshot (ids `>= n`) come only from splitting a
//! segment that the pre-write step had already written, so they need no writing. `clear` and the
//! expiry cycle are writes too: the snapshot must write what they would drop first, or treat
//! those keys as gone.
//!
//! # Measured
//!
//! On the development VM (2 AMD EPYC cores, jemalloc, a page fault costs 3 µs, a random memory
//! access ~300 ns); details and how to rerun in `src/bin/growth-stall.rs` and `benches/table.rs`.
//!
//! - Growth: one split of a full segment takes ~100 µs (140 µs median while growing, when its
//!   memory is new). Filling 10M keys: max single insert 1.9-4 ms, p99.9 23-40 µs, p99 3 µs; a
//!   plain `hashbrown::HashMap` stalls 2.2-3.9 s at 7.3M keys (p99.9 11-13 µs: it pays
//!   everything at once). The table's millisecond maxima fall at random inserts that split
//!   nothing and take no page fault or context switch: host noise under this VM, not the table.
//! - Memory, 1M keys of 16 bytes with 24-byte values: 69 B/key in the table (48-byte entry,
//!   ~19 B of index at this size, chunk slack) — 62-69 B/key between 1M and 10M keys, the index
//!   costing 10-19 B depending on where segments are in their growth. With each value a 32-byte
//!   boxed string: 103 B/key allocated, 109 B/key RSS; Redis 7.0 with the same data: 136.5 B/key
//!   `used_memory`, 146 B/key RSS. A deadline costs 8.4 B/key more (Redis: another dict entry).
//! - Lookups at 1M keys run like the HashMap's (three dependent cache misses each, ~850 ns
//!   here); inserting and removing a new key is faster (300 vs 500 ns). SCAN reads one segment's
//!   index a call: 8.5 µs at COUNT 10, 53 µs at COUNT 1000. `random` 230 ns. `expire_cycle` with
//!   one key with a deadline among 1M: 10 ns.

use std::collections::BinaryHeap;
use std::hash::{BuildHasher, Hasher};
use std::mem;
use std::ptr::NonNull;

use hashbrown::hash_table::Entry as SlotEntry;
use hashbrown::{DefaultHashBuilder, HashTable};

/// Most entries one segment holds: what an index of 4096 buckets holds (7/8 full). A split
/// makes two halves of about 1792, whose indexes are 2048 buckets, exactly full. The longest
/// stall grows linearly with this: a split takes about 100 µs here (7168: 330 µs), and a SCAN
/// call reads one segment's index.
pub const SEGMENT_MAX: usize = 3584;
/// Longest key stored inside its entry.
pub const INLINE_KEY_MAX: usize = 23;

/// Entries per chunk of a segment's dense array (128 entries of 48 bytes: 6 KiB, a jemalloc
/// size class).
const CHUNK_SHIFT: u32 = 7;
const CHUNK: usize = 1 << CHUNK_SHIFT;
/// Low bits of an index slot: the entry's position in its segment.
const IDX_BITS: u32 = 13;
const IDX_MASK: u64 = (1 << IDX_BITS) - 1;
/// High bits of an index slot: the top 51 bits of the key's hash.
const HASH_MASK: u64 = !IDX_MASK;
/// Positions (SCAN cursors) are the top 51 bits of the hash.
const POS_BITS: u32 = 64 - IDX_BITS;
const POS_END: u64 = 1 << POS_BITS;
/// The tag byte of a key kept on the heap (inline keys keep their length there).
const HEAP_TAG: u8 = 0xFF;

const _: () = assert!(SEGMENT_MAX < IDX_MASK as usize);

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A key in 24 bytes: up to 23 bytes inline with the length in the last byte, or a pointer and
/// length to an exact heap allocation with `HEAP_TAG` in the last byte.
#[repr(C)]
union Key {
    inline: [u8; 24],
    heap: HeapKey,
}

#[derive(Clone, Copy)]
#[repr(C)]
struct HeapKey {
    ptr: NonNull<u8>,
    len: usize,
    _pad: [u8; 7],
    tag: u8,
}

// SAFETY: a Key owns its heap allocation exclusively, like a Box<[u8]>.
unsafe impl Send for Key {}
// SAFETY: shared access only reads.
unsafe impl Sync for Key {}

impl Key {
    fn new(bytes: &[u8]) -> Key {
        if bytes.len() <= INLINE_KEY_MAX {
            let mut inline = [0u8; 24];
            inline[..bytes.len()].copy_from_slice(bytes);
            inline[23] = bytes.len() as u8;
            Key { inline }
        } else {
            let boxed: Box<[u8]> = bytes.into();
            let len = boxed.len();
            let ptr = NonNull::from(Box::leak(boxed)).cast::<u8>();
            Key { heap: HeapKey { ptr, len, _pad: [0; 7], tag: HEAP_TAG } }
        }
    }

    #[inline]
    fn tag(&self) -> u8 {
        // SAFETY: byte 23 is initialized in both variants (the length, or `HeapKey::tag`).
        unsafe { self.inline[23] }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        let tag = self.tag();
        if tag != HEAP_TAG {
            // SAFETY: inline variant; `tag <= 23` bytes were initialized from the key.
            unsafe { self.inline.get_unchecked(..tag as usize) }
        } else {
            // SAFETY: heap variant; ptr/len came from a leaked Box<[u8]> that we still own.
            unsafe { std::slice::from_raw_parts(self.heap.ptr.as_ptr(), self.heap.len) }
        }
    }

    /// Bytes of the heap allocation, if any.
    #[inline]
    fn heap_len(&self) -> usize {
        if self.tag() == HEAP_TAG {
            // SAFETY: heap variant.
            unsafe { self.heap.len }
        } else {
            0
        }
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        if self.tag() == HEAP_TAG {
            // SAFETY: heap variant; rebuild the Box leaked in `Key::new` and free it once.
            unsafe {
                let HeapKey { ptr, len, .. } = self.heap;
                drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len)));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------------------------

struct Entry<V> {
    key: Key,
    value: V,
}

/// Up to `SEGMENT_MAX` entries sharing a `depth`-bit hash prefix.
///
/// Invariants: `index` holds exactly one slot per entry, `(hash & HASH_MASK) | position`; the
/// entries at positions `0..expires.len()` are exactly those with a deadline, `expires[i]` being
/// entry `i`'s; every chunk but the last is full and the last is not empty.
struct Segment<V> {
    index: HashTable<u64>,
    chunks: Vec<Vec<Entry<V>>>,
    expires: Vec<u64>,
    len: u32,
    depth: u32,
    version: u64,
}

/// The hash hashbrown sees for an index slot (or a key hash): bits 13..20 of the key hash become
/// the control byte (top 7 bits), bits 20.. the bucket. Both are below any directory prefix.
#[inline]
fn slot_hash(slot: u64) -> u64 {
    (slot >> IDX_BITS).rotate_right(7)
}

#[inline]
fn slot_idx(slot: u64) -> usize {
    (slot & IDX_MASK) as usize
}

#[inline]
fn entry_in<V>(chunks: &[Vec<Entry<V>>], i: usize) -> &Entry<V> {
    &chunks[i >> CHUNK_SHIFT][i & (CHUNK - 1)]
}

#[inline]
fn hash_key(state: &DefaultHashBuilder, key: &[u8]) -> u64 {
    let mut h = state.build_hasher();
    h.write(key);
    h.finish()
}

impl<V> Segment<V> {
    fn with_capacity(depth: u32, version: u64, n: usize) -> Self {
        Segment {
            index: HashTable::with_capacity(n),
            chunks: Vec::with_capacity(n.div_ceil(CHUNK)),
            expires: Vec::new(),
            len: 0,
            depth,
            version,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    fn entry(&self, i: usize) -> &Entry<V> {
        entry_in(&self.chunks, i)
    }

    #[inline]
    fn entry_mut(&mut self, i: usize) -> &mut Entry<V> {
        &mut self.chunks[i >> CHUNK_SHIFT][i & (CHUNK - 1)]
    }

    #[inline]
    fn expire(&self, i: usize) -> u64 {
        self.expires.get(i).copied().unwrap_or(0)
    }

    #[inline]
    fn find(&self, h: u64, key: &[u8]) -> Option<usize> {
        let want = h & HASH_MASK;
        self.index
            .find(slot_hash(h), |&s| s & HASH_MASK == want && entry_in(&self.chunks, slot_idx(s)).key.as_bytes() == key)
            .map(|&s| slot_idx(s))
    }

    fn hash_at(&self, state: &DefaultHashBuilder, i: usize) -> u64 {
        hash_key(state, self.entry(i).key.as_bytes())
    }

    /// Appends an entry (its index slot is the caller's business).
    fn push(&mut self, e: Entry<V>) {
        let c = self.len() >> CHUNK_SHIFT;
        if c == self.chunks.len() {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks[c].push(e);
        self.len += 1;
    }

    /// Removes the last entry (its index slot is the caller's business). A chunk it empties
    /// stays as a spare until the chunk before it is half empty, so a segment whose length
    /// hovers at a chunk boundary (a cache evicting as fast as it inserts) does not free and
    /// allocate 6 KiB again and again.
    fn pop(&mut self) -> Entry<V> {
        let last = self.len() - 1;
        let e = self.chunks[last >> CHUNK_SHIFT].pop().expect("pop from an empty segment");
        self.len -= 1;
        let used = self.len().div_ceil(CHUNK);
        let in_last = self.len() - used.saturating_sub(1) * CHUNK;
        if self.chunks.len() > used + 1 || (self.chunks.len() > used && in_last < CHUNK / 2) {
            self.chunks.truncate(used + (in_last >= CHUNK / 2) as usize);
        }
        e
    }

    /// Appends an entry with its slot, during a split: the index has room and entries with a
    /// deadline arrive before those without.
    fn push_slotted(&mut self, h: u64, e: Entry<V>, expire: u64) {
        let slot = (h & HASH_MASK) | self.len as u64;
        self.index.insert_unique(slot_hash(h), slot, |&s| slot_hash(s));
        self.push(e);
        if expire != 0 {
            debug_assert_eq!(self.expires.len() + 1, self.len());
            self.expires.push(expire);
        }
    }

    /// Points the slot of the entry with hash `h` at `to` instead of `from`. Slots are unique
    /// (positions are), so matching the whole slot finds exactly one.
    fn reslot(&mut self, h: u64, from: usize, to: usize) {
        let old = (h & HASH_MASK) | from as u64;
        let s = self.index.find_mut(slot_hash(h), |&s| s == old).expect("entry without an index slot");
        *s = (h & HASH_MASK) | to as u64;
    }

    /// Swaps entries `a` and `b` (hashes `ha`, `hb`) and their slots; deadlines are the caller's.
    fn swap(&mut self, a: usize, ha: u64, b: usize, hb: u64) {
        if a == b {
            return;
        }
        let (ca, ia, cb, ib) = (a >> CHUNK_SHIFT, a & (CHUNK - 1), b >> CHUNK_SHIFT, b & (CHUNK - 1));
        if ca == cb {
            self.chunks[ca].swap(ia, ib);
        } else {
            let (lo, hi) = self.chunks.split_at_mut(ca.max(cb));
            let (x, y) = if ca < cb { (&mut lo[ca][ia], &mut hi[0][ib]) } else { (&mut hi[0][ia], &mut lo[cb][ib]) };
            mem::swap(x, y);
        }
        // Two slots with the same hash bits differ only in position: swapping them is a no-op.
        if (ha ^ hb) & HASH_MASK != 0 {
            self.reslot(ha, a, b);
            self.reslot(hb, b, a);
        }
    }

    /// Takes out entry `i`, whose slot the caller has already removed, filling the hole so the
    /// array stays dense and the deadline prefix stays a prefix. Returns it with its deadline.
    fn take(&mut self, state: &DefaultHashBuilder, mut i: usize) -> (Entry<V>, u64) {
        let mut expire = 0;
        let n = self.expires.len();
        if i < n {
            // Move the prefix's last member into the hole; the doomed entry leaves the prefix.
            expire = self.expires.swap_remove(i);
            let last = n - 1;
            if i != last {
                let (ci, ii, cl, il) = (i >> CHUNK_SHIFT, i & (CHUNK - 1), last >> CHUNK_SHIFT, last & (CHUNK - 1));
                if ci == cl {
                    self.chunks[ci].swap(ii, il);
                } else {
                    let (lo, hi) = self.chunks.split_at_mut(cl);
                    mem::swap(&mut lo[ci][ii], &mut hi[0][il]);
                }
                let hm = self.hash_at(state, i);
                self.reslot(hm, last, i);
                i = last;
            }
        }
        let last = self.len() - 1;
        let e = if i == last {
            self.pop()
        } else {
            let moved = self.pop();
            let hm = hash_key(state, moved.key.as_bytes());
            let e = mem::replace(self.entry_mut(i), moved);
            self.reslot(hm, last, i);
            e
        };
        self.release_slack();
        (e, expire)
    }

    /// After a removal: an emptied segment gives its index and arrays back, and one whose
    /// index is at most an eighth full shrinks it to twice its entries (slots carry their
    /// hash, so no key is hashed again; the next shrink needs a fourth of these entries
    /// gone). Keys that expire or are deleted give their memory back this way.
    fn release_slack(&mut self) {
        if self.len == 0 {
            self.index = HashTable::new();
            self.expires = Vec::new();
            self.chunks = Vec::new();
        } else if self.index.capacity() >= 512 && self.len() * 8 <= self.index.capacity() {
            self.index.shrink_to(self.len() * 2, |&s| slot_hash(s));
            self.expires.shrink_to(self.expires.len() * 2);
        }
    }

    /// Sets entry `i`'s (hash `h`) deadline, moving it into or out of the prefix. Returns the
    /// old deadline.
    fn set_expire_at(&mut self, state: &DefaultHashBuilder, i: usize, h: u64, expire: u64) -> u64 {
        let n = self.expires.len();
        if i < n {
            let old = self.expires[i];
            if expire != 0 {
                self.expires[i] = expire;
            } else {
                let last = n - 1;
                if i != last {
                    let hl = self.hash_at(state, last);
                    self.swap(i, h, last, hl);
                }
                self.expires.swap_remove(i);
            }
            old
        } else {
            if expire != 0 {
                if i != n {
                    let hn = self.hash_at(state, n);
                    self.swap(i, h, n, hn);
                }
                self.expires.push(expire);
            }
            0
        }
    }

    /// Rebuilds the index for `capacity` entries: grows it, or clears the tombstones that
    /// removals left (hashbrown would otherwise double it).
    fn rebuild_index(&mut self, capacity: usize) {
        let mut index = HashTable::with_capacity(capacity);
        for &s in self.index.iter() {
            index.insert_unique(slot_hash(s), s, |&s| slot_hash(s));
        }
        self.index = index;
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &V, u64)> + '_ {
        self.chunks.iter().enumerate().flat_map(move |(c, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(move |(j, e)| (e.key.as_bytes(), &e.value, self.expire((c << CHUNK_SHIFT) + j)))
        })
    }

    fn memory_bytes(&self) -> usize {
        self.index.allocation_size()
            + self.chunks.capacity() * mem::size_of::<Vec<Entry<V>>>()
            + self.chunks.len() * CHUNK * mem::size_of::<Entry<V>>()
            + self.expires.capacity() * mem::size_of::<u64>()
    }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// One database's keys, values and deadlines. See the module docs.
pub struct Table<V> {
    /// `2^global_depth` segment ids; empty until the first insert.
    dir: Vec<u32>,
    /// `63 - global_depth`: the directory slot of hash `h` is `h >> 1 >> dir_shift`.
    dir_shift: u32,
    segments: Vec<Segment<V>>,
    len: usize,
    expires: usize,
    heap_key_bytes: usize,
    hasher: DefaultHashBuilder,
    /// `SEGMENT_MAX`, smaller in tests to split often.
    segment_max: usize,
    /// The splitting segment's hashes by position; kept so that a split finds its memory
    /// already faulted in.
    split_scratch: Vec<u64>,
    /// Where the active expiry cycle resumes: (segment id, position in its deadline prefix).
    expire_cursor: (usize, usize),
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Table<V> {
    pub fn new() -> Self {
        Self::with_segment_max(SEGMENT_MAX)
    }

    /// A table whose segments split at `max` entries instead of [`SEGMENT_MAX`] (tests and
    /// measurements).
    pub fn with_segment_max(max: usize) -> Self {
        assert!((2..=SEGMENT_MAX).contains(&max), "segment size {max} out of range");
        Table {
            dir: Vec::new(),
            dir_shift: 63,
            segments: Vec::new(),
            len: 0,
            expires: 0,
            heap_key_bytes: 0,
            hasher: DefaultHashBuilder::default(),
            segment_max: max,
            split_scratch: Vec::new(),
            expire_cursor: (0, 0),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys whose deadline is not 0.
    pub fn expires_len(&self) -> usize {
        self.expires
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        hash_key(&self.hasher, key)
    }

    #[inline]
    fn dir_slot(&self, h: u64) -> usize {
        (h >> 1 >> self.dir_shift) as usize
    }

    #[inline]
    fn segment_for(&self, h: u64) -> &Segment<V> {
        &self.segments[self.dir[self.dir_slot(h)] as usize]
    }

    /// The value and deadline (0 = none) of `key`. Does not look at the clock.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<(&V, u64)> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(key);
        let seg = self.segment_for(h);
        let i = seg.find(h, key)?;
        Some((&seg.entry(i).value, seg.expire(i)))
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<(&mut V, u64)> {
        self.get_mut_in_segment(key).map(|(_, value, expire)| (value, expire))
    }

    /// [`Table::get_mut`] that also names the key's segment (a snapshot's copy-on-write).
    #[inline]
    pub fn get_mut_in_segment(&mut self, key: &[u8]) -> Option<(usize, &mut V, u64)> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(key);
        let sid = self.dir[self.dir_slot(h)] as usize;
        let seg = &mut self.segments[sid];
        let i = seg.find(h, key)?;
        seg.version += 1;
        let expire = seg.expire(i);
        Some((sid, &mut seg.entry_mut(i).value, expire))
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces `key`, returning the old value and deadline.
    pub fn insert(&mut self, key: &[u8], value: V, expire: u64) -> Option<(V, u64)> {
        if self.dir.is_empty() {
            self.segments.push(Segment::with_capacity(0, 0, 0));
            self.dir.push(0);
        }
        let h = self.hash(key);
        loop {
            let slot = self.dir_slot(h);
            let sid = self.dir[slot] as usize;
            let seg = &mut self.segments[sid];
            // A full segment splits even if this insert only replaces: it would on the next one.
            if seg.len() >= self.segment_max {
                self.split(sid, slot);
                continue;
            }
            // Make room in the index first, so hashbrown never resizes on its own.
            if seg.index.len() == seg.index.capacity() {
                seg.rebuild_index(seg.len() + 1);
            }
            seg.version += 1;
            let want = h & HASH_MASK;
            let end = seg.len();
            let found = seg.index.entry(
                slot_hash(h),
                |&s| s & HASH_MASK == want && entry_in(&seg.chunks, slot_idx(s)).key.as_bytes() == key,
                |&s| slot_hash(s),
            );
            return match found {
                SlotEntry::Occupied(o) => {
                    let i = slot_idx(*o.get());
                    let old = mem::replace(&mut seg.entry_mut(i).value, value);
                    let old_expire = seg.set_expire_at(&self.hasher, i, h, expire);
                    self.expires = self.expires + (expire != 0) as usize - (old_expire != 0) as usize;
                    Some((old, old_expire))
                }
                SlotEntry::Vacant(v) => {
                    let i = end;
                    v.insert(want | i as u64);
                    let key = Key::new(key);
                    self.heap_key_bytes += key.heap_len();
                    seg.push(Entry { key, value });
                    seg.set_expire_at(&self.hasher, i, h, expire);
                    self.len += 1;
                    self.expires += (expire != 0) as usize;
                    None
                }
            };
        }
    }

    /// Splits segment `sid` (reached through directory slot `slot`) by its next hash bit.
    #[cold]
    fn split(&mut self, sid: usize, mut slot: usize) {
        let depth = self.segments[sid].depth;
        assert!(depth < POS_BITS - 1, "a full segment whose keys share 50 hash bits");
        if depth == 63 - self.dir_shift {
            self.dir = self.dir.iter().flat_map(|&s| [s, s]).collect();
            self.dir_shift -= 1;
            slot *= 2;
        }
        let global_depth = 63 - self.dir_shift;

        let Segment { index, chunks, expires, len, version, .. } =
            mem::replace(&mut self.segments[sid], Segment::with_capacity(0, 0, 0));
        let bit = 1u64 << (63 - depth);
        let hashes = &mut self.split_scratch;
        hashes.clear();
        hashes.resize(len as usize, 0);
        for &s in index.iter() {
            hashes[slot_idx(s)] = s & HASH_MASK;
        }
        // Free the old index before allocating the new ones: the allocator can reuse its pages.
        drop(index);
        let high = hashes.iter().filter(|&&h| h & bit != 0).count();
        // Halves of about SEGMENT_MAX / 2 would fill their index at once and rebuild it on the
        // next insert: size it for growth now (no more memory: it would be this size anyway).
        let room = |n: usize| n.max(self.segment_max / 2 + 1);
        let mut lo = Segment::with_capacity(depth + 1, version + 1, room(len as usize - high));
        let mut hi = Segment::with_capacity(depth + 1, version + 1, room(high));
        let mut i = 0;
        for chunk in chunks {
            for e in chunk {
                let h = hashes[i];
                let expire = expires.get(i).copied().unwrap_or(0);
                if h & bit != 0 { &mut hi } else { &mut lo }.push_slotted(h, e, expire);
                i += 1;
            }
        }
        self.segments[sid] = lo;
        let new_id = u32::try_from(self.segments.len()).expect("2^32 segments");
        self.segments.push(hi);

        // The segment's 2^(global_depth - depth) directory slots: the upper half now go to `hi`.
        let span = 1usize << (global_depth - depth);
        let start = slot & !(span - 1);
        for s in &mut self.dir[start + span / 2..start + span] {
            *s = new_id;
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<(V, u64)> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(key);
        let sid = self.dir[self.dir_slot(h)] as usize;
        let seg = &mut self.segments[sid];
        let want = h & HASH_MASK;
        let found = seg
            .index
            .find_entry(slot_hash(h), |&s| {
                s & HASH_MASK == want && entry_in(&seg.chunks, slot_idx(s)).key.as_bytes() == key
            })
            .ok()?;
        let i = slot_idx(found.remove().0);
        seg.version += 1;
        let (Entry { key, value }, expire) = seg.take(&self.hasher, i);
        self.len -= 1;
        self.expires -= (expire != 0) as usize;
        self.heap_key_bytes -= key.heap_len();
        Some((value, expire))
    }

    /// Sets `key`'s deadline (0 = persist). False if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], expire: u64) -> bool {
        if self.len == 0 {
            return false;
        }
        let h = self.hash(key);
        let sid = self.dir[self.dir_slot(h)] as usize;
        let seg = &mut self.segments[sid];
        let Some(i) = seg.find(h, key) else {
            return false;
        };
        seg.version += 1;
        let old = seg.set_expire_at(&self.hasher, i, h, expire);
        self.expires = self.expires + (expire != 0) as usize - (old != 0) as usize;
        true
    }

    /// Redis SCAN: calls `f` for about `count` entries, those whose position (top 51 hash bits)
    /// lies in `[cursor, next)`, and returns `next`, or 0 once hash space is exhausted. Every
    /// key present from cursor 0 until 0 comes back is visited exactly once, even while
    /// segments split between calls. Cursors are below 2^51; larger ones end the scan.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &V, u64)) -> u64 {
        if self.len == 0 || cursor >= POS_END {
            return 0;
        }
        let count = count.max(1);
        let mut pos = cursor;
        let mut visited = 0;
        loop {
            let seg = self.segment_for(pos << IDX_BITS);
            let mut visit = |s: u64| {
                let i = slot_idx(s);
                let e = seg.entry(i);
                f(e.key.as_bytes(), &e.value, seg.expire(i));
            };
            let below_prefix = POS_BITS - seg.depth;
            let end = ((pos >> below_prefix) + 1) << below_prefix;
            let in_range = |s: u64| (pos..end).contains(&(s >> IDX_BITS));
            let want = count - visited;
            if want >= seg.len() {
                for &s in seg.index.iter().filter(|&&s| in_range(s)) {
                    visit(s);
                    visited += 1;
                }
            } else {
                // Keep the want+1 smallest positions in range: the last of them is `next`.
                let mut heap = BinaryHeap::with_capacity(want + 1);
                for &s in seg.index.iter().filter(|&&s| in_range(s)) {
                    if heap.len() <= want {
                        heap.push(s);
                    } else if s >> IDX_BITS < heap.peek().map_or(0, |&t| t >> IDX_BITS) {
                        *heap.peek_mut().expect("full heap") = s;
                    }
                }
                if heap.len() > want {
                    let next = heap.peek().map_or(0, |&t| t >> IDX_BITS);
                    let mut n = 0;
                    for s in heap.into_iter().filter(|&s| s >> IDX_BITS < next) {
                        visit(s);
                        n += 1;
                    }
                    let next = if n > 0 {
                        next
                    } else {
                        // want+1 keys share one position (51 equal hash bits): take them all.
                        for &s in seg.index.iter().filter(|&&s| s >> IDX_BITS == next) {
                            visit(s);
                        }
                        next + 1
                    };
                    return if next >= POS_END { 0 } else { next };
                }
                visited += heap.len();
                for s in heap {
                    visit(s);
                }
            }
            pos = end;
            if pos >= POS_END {
                return 0;
            }
            if visited >= count {
                return pos;
            }
        }
    }

    /// A random entry, every entry equally likely (up to the fallback when almost every segment
    /// is nearly empty): pick a segment uniformly, accept it with probability
    /// `len / segment max`, then pick an entry in it uniformly.
    pub fn random(&self, rng: &mut fastrand::Rng) -> Option<(&[u8], &V, u64)> {
        if self.len == 0 {
            return None;
        }
        let seg = self.pick_segment(rng, Segment::len)?;
        let i = rng.usize(..seg.len());
        let e = seg.entry(i);
        Some((e.key.as_bytes(), &e.value, seg.expire(i)))
    }

    /// A segment, each with probability proportional to `weight` (up to the fallback when
    /// almost every segment weighs little: the first with weight after a random one).
    fn pick_segment(&self, rng: &mut fastrand::Rng, weight: impl Fn(&Segment<V>) -> usize) -> Option<&Segment<V>> {
        let n = self.segments.len();
        for _ in 0..32 {
            let seg = &self.segments[rng.usize(..n)];
            if rng.usize(..self.segment_max) < weight(seg) {
                return Some(seg);
            }
        }
        let start = rng.usize(..n);
        (0..n).map(|k| &self.segments[(start + k) % n]).find(|s| weight(s) > 0)
    }

    /// Up to `n` entries from one random place, as Redis's dictGetSomeKeys gives eviction
    /// its samples: a segment picked as [`Table::random`] picks one (by its entries with a
    /// deadline when `volatile`), then consecutive entries from a random position in it (in
    /// its deadline prefix when `volatile`), wrapping around. Cheap (one segment's memory),
    /// not independent: eviction keeps the best over many calls.
    pub fn sample(&self, rng: &mut fastrand::Rng, n: usize, volatile: bool, mut f: impl FnMut(&[u8], &V, u64)) {
        let weight = |seg: &Segment<V>| if volatile { seg.expires.len() } else { seg.len() };
        if (if volatile { self.expires } else { self.len }) == 0 {
            return;
        }
        let Some(seg) = self.pick_segment(rng, weight) else { return };
        let len = weight(seg);
        let start = rng.usize(..len);
        for k in 0..n.min(len) {
            let i = (start + k) % len;
            let e = seg.entry(i);
            f(e.key.as_bytes(), &e.value, seg.expire(i));
        }
    }

    /// Active expiry: examines up to `budget` entries that have a deadline, resuming where the
    /// last call stopped, removes those due (`expire <= now_ms`) and hands each to `f`.
    /// Returns (examined, removed). Segments without deadlines cost one length check.
    pub fn expire_cycle(&mut self, now_ms: u64, budget: usize, mut f: impl FnMut(&[u8], V)) -> (usize, usize) {
        if self.expires == 0 || budget == 0 {
            return (0, 0);
        }
        let n = self.segments.len();
        let (mut sid, mut i) = self.expire_cursor;
        if sid >= n {
            (sid, i) = (0, 0);
        }
        let (start_sid, start_i) = (sid, i);
        let (mut examined, mut removed) = (0, 0);
        // Each segment once; when resuming mid-segment, its head once more at the end.
        for lap in 0..n + (start_i > 0) as usize {
            if sid >= n {
                (sid, i) = (0, 0);
            }
            let seg = &mut self.segments[sid];
            let stop = if lap == n { start_i.min(seg.expires.len()) } else { seg.expires.len() };
            debug_assert!(lap < n || sid == start_sid);
            if i < stop {
                seg.version += 1;
            }
            while i < stop.min(seg.expires.len()) && examined < budget {
                examined += 1;
                if seg.expires[i] > now_ms {
                    i += 1;
                    continue;
                }
                let h = seg.hash_at(&self.hasher, i);
                let slot = (h & HASH_MASK) | i as u64;
                match seg.index.find_entry(slot_hash(h), |&s| s == slot) {
                    Ok(found) => drop(found.remove()),
                    Err(_) => unreachable!("entry without an index slot"),
                }
                // The prefix's last member fills position i: examine it next.
                let (Entry { key, value }, _) = seg.take(&self.hasher, i);
                self.len -= 1;
                self.expires -= 1;
                self.heap_key_bytes -= key.heap_len();
                removed += 1;
                f(key.as_bytes(), value);
            }
            if examined >= budget || self.expires == 0 {
                break;
            }
            sid += 1;
            i = 0;
        }
        self.expire_cursor = (sid, i);
        (examined, removed)
    }

    /// Drops every entry and frees every segment (FLUSHDB).
    pub fn clear(&mut self) {
        self.dir = Vec::new();
        self.dir_shift = 63;
        self.segments = Vec::new();
        self.split_scratch = Vec::new();
        self.len = 0;
        self.expires = 0;
        self.heap_key_bytes = 0;
        self.expire_cursor = (0, 0);
    }

    /// Bytes this table holds: directory, segment headers, indexes, entry chunks, deadline
    /// arrays and heap keys (as requested from the allocator). Not what `V` owns.
    /// O(segments): about 1400 segments per 10M keys.
    pub fn memory_bytes(&self) -> usize {
        self.dir.capacity() * mem::size_of::<u32>()
            + self.split_scratch.capacity() * mem::size_of::<u64>()
            + self.segments.capacity() * mem::size_of::<Segment<V>>()
            + self.heap_key_bytes
            + self.segments.iter().map(Segment::memory_bytes).sum::<usize>()
    }

    /// Every entry, segment by segment, in no useful order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V, u64)> {
        self.segments.iter().flat_map(Segment::iter)
    }

    // --- Segment hooks for the snapshot writer (see the module docs) ---

    /// Segments are numbered `0..segment_count()`.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The segment holding `key`, or the one an insert of it would go to (0 in an empty table).
    pub fn segment_of(&self, key: &[u8]) -> usize {
        if self.dir.is_empty() {
            return 0;
        }
        self.dir[self.dir_slot(self.hash(key))] as usize
    }

    /// Bumped by every write to segment `id`.
    pub fn segment_version(&self, id: usize) -> u64 {
        self.segments[id].version
    }

    /// Entries in segment `id`.
    pub fn segment_len(&self, id: usize) -> usize {
        self.segments[id].len()
    }

    /// The entries of segment `id`: key, value, deadline.
    pub fn segment_iter(&self, id: usize) -> impl Iterator<Item = (&[u8], &V, u64)> {
        self.segments[id].iter()
    }

    /// Calls `f` on the entries of segment `id` from position `from` on (values writable: a
    /// snapshot marks what it wrote) until it returns false; `ahead` sees each entry's value a
    /// few entries before `f` does (to prefetch what the value points to). Returns the
    /// position where it stopped (the segment's length when `f` never said stop). Positions
    /// are only meaningful while the segment does not change.
    pub fn segment_walk(
        &mut self,
        id: usize,
        from: usize,
        ahead: impl Fn(&V),
        mut f: impl FnMut(&[u8], &mut V, u64) -> bool,
    ) -> usize {
        const AHEAD: usize = 8;
        let seg = &mut self.segments[id];
        let len = seg.len();
        for i in from..(from + AHEAD).min(len) {
            ahead(&seg.entry(i).value);
        }
        for i in from..len {
            if i + AHEAD < len {
                ahead(&seg.entry(i + AHEAD).value);
            }
            let expire = seg.expire(i);
            let e = seg.entry_mut(i);
            if !f(e.key.as_bytes(), &mut e.value, expire) {
                return i + 1;
            }
        }
        len
    }

    /// Checks every structural invariant (tests).
    #[cfg(test)]
    fn check(&self) {
        let mut total = 0;
        let mut expires = 0;
        let mut heap = 0;
        for (sid, seg) in self.segments.iter().enumerate() {
            assert_eq!(seg.index.len(), seg.len());
            assert_eq!(seg.chunks.iter().map(Vec::len).sum::<usize>(), seg.len());
            let used = seg.len().div_ceil(CHUNK);
            assert!(seg.chunks.len() == used || seg.chunks.len() == used + 1, "at most one spare chunk");
            for (c, chunk) in seg.chunks.iter().enumerate() {
                assert!(c >= used || !chunk.is_empty());
                assert!(c + 1 >= used || chunk.len() == CHUNK);
            }
            assert!(seg.len() <= self.segment_max);
            assert!(seg.expires.iter().all(|&e| e != 0));
            let mut seen = vec![false; seg.len()];
            for &s in seg.index.iter() {
                let i = slot_idx(s);
                assert!(!seen[i]);
                seen[i] = true;
                let h = seg.hash_at(&self.hasher, i);
                assert_eq!(h & HASH_MASK, s & HASH_MASK);
                assert_eq!(self.dir[self.dir_slot(h)] as usize, sid);
                assert_eq!(seg.find(h, seg.entry(i).key.as_bytes()), Some(i));
            }
            total += seg.len();
            expires += seg.expires.len();
            heap += seg.iter().map(|(k, _, _)| if k.len() > INLINE_KEY_MAX { k.len() } else { 0 }).sum::<usize>();
        }
        assert_eq!(total, self.len);
        assert_eq!(expires, self.expires);
        assert_eq!(heap, self.heap_key_bytes);
        assert_eq!(self.dir.len(), if self.segments.is_empty() { 0 } else { 1 << (63 - self.dir_shift) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Keys of varied lengths, inline and heap, all distinct.
    fn key(n: u64) -> Vec<u8> {
        let mut k = format!("k{n}:").into_bytes();
        k.resize(k.len() + (n % 37) as usize, b'x');
        k
    }

    #[test]
    fn model_against_hashmap() {
        model_run(Table::with_segment_max(64), 0x2545_F491_4F6C_DD1D, 500);
        model_run(Table::new(), 77, 4);
    }

    fn model_run(mut table: Table<u64>, seed: u64, min_segments: usize) {
        let mut rng = XorShift(seed);
        let mut model: HashMap<Vec<u8>, (u64, u64)> = HashMap::new();
        let mut now = 1_000;
        let mut splits_seen = 0;
        for op in 0..200_000u64 {
            // Key space grows with time so the table splits many times; early keys stay hot.
            let space = 1_000 + op / 2;
            let k = key(rng.below(space));
            let expire = if rng.below(4) == 0 { now + rng.below(500) } else { 0 };
            match rng.below(16) {
                0..=6 => {
                    let v = rng.next();
                    assert_eq!(table.insert(&k, v, expire), model.insert(k, (v, expire)));
                }
                7..=8 => assert_eq!(table.remove(&k), model.remove(&k)),
                9..=10 => {
                    let present = model.get_mut(&k).map(|e| e.1 = expire).is_some();
                    assert_eq!(table.set_expire(&k, expire), present);
                }
                11 => {
                    if let Some((v, e)) = table.get_mut(&k) {
                        *v += 1;
                        assert_eq!(Some(e), model.get(&k).map(|e| e.1));
                        model.get_mut(&k).unwrap().0 += 1;
                    } else {
                        assert!(!model.contains_key(&k));
                    }
                }
                12 => {
                    now += rng.below(50);
                    let mut gone = Vec::new();
                    let (examined, removed) =
                        table.expire_cycle(now, rng.below(100) as usize, |k, v| gone.push((k.to_vec(), v)));
                    assert!(removed <= examined);
                    assert_eq!(gone.len(), removed);
                    for (k, v) in gone {
                        let (mv, me) = model.remove(&k).expect("expired a key the model lacks");
                        assert_eq!(mv, v);
                        assert!(me != 0 && me <= now);
                    }
                }
                _ => {
                    assert_eq!(table.get(&k).map(|(v, e)| (*v, e)), model.get(&k).copied());
                    assert_eq!(table.contains(&k), model.contains_key(&k));
                }
            }
            assert_eq!(table.len(), model.len());
            if op % 20_000 == 0 || op == 199_999 {
                table.check();
                assert_eq!(table.expires_len(), model.values().filter(|e| e.1 != 0).count());
                let all: HashMap<Vec<u8>, (u64, u64)> = table.iter().map(|(k, v, e)| (k.to_vec(), (*v, e))).collect();
                assert_eq!(all, model);
                splits_seen = table.segment_count();
            }
        }
        assert!(splits_seen >= min_segments, "only {splits_seen} segments");
        table.clear();
        assert!(table.is_empty() && table.get(b"k1:").is_none() && table.iter().next().is_none());
        table.insert(b"again", 1, 0);
        assert_eq!(table.get(b"again"), Some((&1, 0)));
    }

    #[test]
    fn scan_sees_every_key_present_throughout_while_growing() {
        scan_run(Table::new(), 30_000);
        scan_run(Table::with_segment_max(100), 5_000);
    }

    fn scan_run(mut table: Table<u64>, initial: u64) {
        let mut rng = XorShift(99);
        for n in 0..initial {
            table.insert(&key(n), n, 0);
        }
        let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut next = initial;
        let mut cursor = 0;
        let mut calls = 0;
        let segments_before = table.segment_count();
        loop {
            let count = 1 + rng.below(100) as usize;
            let mut got = 0;
            cursor = table.scan(cursor, count, |k, _, _| {
                *seen.entry(k.to_vec()).or_default() += 1;
                got += 1;
            });
            assert!(cursor < 1 << 54);
            // About `count`: never wildly more (only when positions tie).
            assert!(got <= count, "{got} > {count}");
            calls += 1;
            if cursor == 0 {
                break;
            }
            // Grow between calls, and churn keys that are not part of the guarantee.
            for _ in 0..150 {
                table.insert(&key(next), next, 0);
                next += 1;
            }
            let victim = initial + rng.below(next - initial);
            table.remove(&key(victim));
        }
        assert!(table.segment_count() > 4 * segments_before, "too few splits: {}", table.segment_count());
        for n in 0..initial {
            assert_eq!(seen.get(&key(n)), Some(&1), "key {n} seen wrongly");
        }
        assert!(seen.values().all(|&c| c == 1), "a key seen twice");
        assert!(calls > 100);
        table.check();

        // A full scan of a still table sees everything exactly once.
        let mut all = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = table.scan(cursor, 1000, |k, _, _| assert!(all.insert(k.to_vec())));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(all.len(), table.len());
        let empty: Table<u64> = Table::new();
        assert_eq!(empty.scan(0, 10, |_, _, _| panic!()), 0);
    }

    #[test]
    fn samples_come_from_everywhere_and_volatile_ones_have_a_deadline() {
        let mut table: Table<u64> = Table::new();
        let mut rng = fastrand::Rng::with_seed(3);
        table.sample(&mut rng, 5, false, |_, _, _| panic!("empty"));
        for n in 0..20_000 {
            table.insert(&key(n), n, if n % 10 == 0 { 5 } else { 0 });
        }
        let (mut seen, mut volatile) = (HashSet::new(), HashSet::new());
        for _ in 0..4000 {
            let mut got = 0;
            table.sample(&mut rng, 5, false, |k, v, _| {
                assert_eq!(key(*v), k);
                seen.insert(*v);
                got += 1;
            });
            assert_eq!(got, 5);
            table.sample(&mut rng, 5, true, |_, v, e| {
                assert_eq!((v % 10, e), (0, 5));
                volatile.insert(*v);
            });
        }
        assert!(seen.len() > 12_000, "only {} distinct", seen.len());
        assert!(volatile.len() > 1_500, "only {} distinct with a deadline", volatile.len());
    }

    #[test]
    fn random_hits_many_distinct_keys() {
        let mut table: Table<u64> = Table::new();
        let mut rng = fastrand::Rng::with_seed(7);
        assert!(table.random(&mut rng).is_none());
        for n in 0..20_000 {
            table.insert(&key(n), n, if n % 2 == 0 { 5 } else { 0 });
        }
        let mut seen = HashSet::new();
        for _ in 0..40_000 {
            let (k, v, e) = table.random(&mut rng).unwrap();
            assert_eq!(key(*v), k);
            assert_eq!(e, if v % 2 == 0 { 5 } else { 0 });
            seen.insert(*v);
        }
        // Uniform draws would see 20000 * (1 - e^-2) = 17293 distinct keys.
        assert!(seen.len() > 16_500, "only {} distinct", seen.len());
        // One key left among many segments: still found.
        for n in 1..20_000 {
            table.remove(&key(n));
        }
        assert_eq!(table.random(&mut rng).map(|(k, _, _)| k.to_vec()), Some(key(0)));
    }

    #[test]
    fn keys_of_every_length() {
        let mut table: Table<usize> = Table::new();
        let keys: Vec<Vec<u8>> = (0..100).map(|n| (0..n).map(|i| (i * 7 + n) as u8).collect()).collect();
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(table.insert(k, n, 0), None);
        }
        let heap: usize = (INLINE_KEY_MAX + 1..100).sum();
        assert_eq!(table.heap_key_bytes, heap);
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(table.get(k), Some((&n, 0)));
        }
        let mut from_iter: Vec<(Vec<u8>, usize)> = table.iter().map(|(k, v, _)| (k.to_vec(), *v)).collect();
        from_iter.sort_by_key(|e| e.1);
        assert_eq!(from_iter, keys.iter().cloned().zip(0..).collect::<Vec<_>>());
        table.check();
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(table.remove(k), Some((n, 0)));
            assert!(!table.contains(k));
        }
        assert_eq!(table.heap_key_bytes, 0);
        assert!(table.is_empty());
    }

    #[test]
    fn expiry_prefix_and_cycle() {
        let mut table: Table<u64> = Table::new();
        for n in 0..50_000 {
            table.insert(&key(n), n, 0);
        }
        // No deadlines: the cycle does nothing at all.
        assert_eq!(table.expire_cycle(u64::MAX, 1000, |_, _| panic!()), (0, 0));
        for n in (0..50_000).step_by(100) {
            assert!(table.set_expire(&key(n), 100 + n));
        }
        assert!(!table.set_expire(b"absent", 5));
        assert_eq!(table.expires_len(), 500);
        table.check();
        // Only keys with deadlines are examined, however big the table.
        let (examined, removed) = table.expire_cycle(0, 10_000, |_, _| panic!());
        assert_eq!((examined, removed), (500, 0));
        // Budgeted: resumes where it stopped and eventually removes every due key exactly once.
        let mut gone = HashSet::new();
        for _ in 0..100 {
            table.expire_cycle(100 + 24_999, 7, |k, v| {
                assert_eq!(k, key(v));
                assert!(gone.insert(v));
            });
        }
        assert_eq!(gone.len(), 250);
        assert!(gone.iter().all(|&v| v < 25_000));
        assert_eq!(table.expires_len(), 250);
        assert_eq!(table.len(), 50_000 - 250);
        // Persist and overwrite move keys out of the prefix.
        assert!(table.set_expire(&key(30_000), 0));
        assert_eq!(table.insert(&key(30_100), 1, 0), Some((30_100, 100 + 30_100)));
        assert_eq!(table.get(&key(30_000)), Some((&30_000, 0)));
        assert_eq!(table.expires_len(), 248);
        table.check();
    }

    #[test]
    fn memory_bytes_is_sane() {
        let empty: Table<u64> = Table::new();
        assert!(empty.memory_bytes() < 128);
        let mut table: Table<[u64; 3]> = Table::new();
        let n = 200_000;
        for i in 0..n {
            table.insert(format!("key:{i:012}").as_bytes(), [i as u64; 3], 0);
        }
        let per_key = table.memory_bytes() as f64 / n as f64;
        // 48-byte entries plus an index of 9 bytes a bucket, 44% to 87% full.
        assert!((48.0..80.0).contains(&per_key), "{per_key} bytes per key");
        let long = "x".repeat(100);
        let before = table.memory_bytes();
        table.insert(long.as_bytes(), [0; 3], 0);
        assert!(table.memory_bytes() >= before + 100);
        table.clear();
        assert!(table.memory_bytes() < 128);
    }

    #[test]
    fn segment_hooks() {
        let mut table: Table<u64> = Table::new();
        assert_eq!((table.segment_count(), table.segment_of(b"a")), (0, 0));
        for n in 0..20_000 {
            table.insert(&key(n), n, 0);
        }
        let id = table.segment_of(&key(5));
        assert!(table.segment_iter(id).any(|(k, _, _)| k == key(5)));
        assert_eq!(table.segment_iter(id).count(), table.segment_len(id));
        let v = table.segment_version(id);
        table.get(&key(5));
        assert_eq!(table.segment_version(id), v);
        table.set_expire(&key(5), 9);
        assert!(table.segment_version(id) > v);
        let total: usize = (0..table.segment_count()).map(|s| table.segment_len(s)).sum();
        assert_eq!(total, table.len());
    }
}
