//! Sorted sets, in Redis 7.0's two encodings.
//!
//! A small sorted set (at most `zset-max-listpack-entries` members, each at most
//! `zset-max-listpack-value` bytes) is one contiguous buffer of entries sorted by (score, member
//! bytes), like Redis's listpack: each entry is the score's 8 bytes, a LEB128 length and the
//! member. Lookups are O(n), which is cheap at these sizes. Past either limit the set converts,
//! once and for good, to the big encoding, which OBJECT ENCODING calls "skiplist" as Redis does.
//!
//! # The big encoding
//!
//! Three parts, no unsafe code:
//! - `members`: a dense vector of (member, score). Removal swaps the last member into the hole,
//!   which is what makes ZSCAN's cursor stable: the cursor walks positions from the end down, and
//!   a swap only ever moves an already-visited member to a lower position, so a member present
//!   for the whole scan is never missed (it may be seen twice). Random picks are O(1) here too.
//! - `index`: a hashbrown `HashTable<u32>` of positions into `members` (member -> score in one
//!   probe and one load).
//! - `chunks`: the order. A two-level counted tree: a vector of sorted chunks of (score, position)
//!   entries, at most [`CHUNK`] each, with a Fenwick tree over the chunk sizes. A lookup by key
//!   binary-searches the chunks' last entries and then the chunk; a lookup by rank walks the
//!   Fenwick tree; both are O(log n). Splitting a full chunk or dropping an empty one rebuilds the
//!   Fenwick tree and shifts the chunk vector, O(n / CHUNK) word moves, once per ~CHUNK/2
//!   inserts (for 1M members: ~8k words, a few microseconds, amortised to tens of nanoseconds).
//!   Entries hold the score, so comparisons only follow the position to the member bytes on a
//!   score tie.
//!
//! A chunk that thins below a quarter joins a neighbour when both fit in half a chunk, and
//! appends past the last entry start a fresh chunk instead of halving a full one, so ascending
//! loads leave full chunks.
//!
//! Memory per member, for short members: 16 per entry (chunks 50-100% full), 24 per dense slot,
//! the member's own allocation, and ~6 for the index (a u32 and a control byte at hashbrown's
//! load). Measured with 1M members `m:%09d` (`used_memory` after ZADD): 75 bytes a member with
//! ascending scores, 88 with random ones, against Redis 7.0's 109 for both.

use std::cmp::Ordering;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::blob::{Blob, SAFETY_MAX};
use super::packed::{put_str, put_varint, read_str, read_varint};

/// The conversion thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    /// Redis's defaults (128 entries, 64 bytes).
    pub const DEFAULT: Limits = Limits { entries: 128, value: 64 };
}

/// Most entries in one chunk of the big encoding.
const CHUNK: usize = 256;

/// A sorted-set value.
#[derive(Clone, Debug, Default)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Pack(Pack),
    /// Boxed, so that a small set's handle stays small.
    Big(Box<Big>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Pack(Pack::default())
    }
}

/// Orders two (score, member) keys as Redis does: by score, then by member bytes.
fn cmp_key(a_score: f64, a: &[u8], b_score: f64, b: &[u8]) -> Ordering {
    match a_score.partial_cmp(&b_score) {
        Some(Ordering::Equal) | None => a.cmp(b),
        Some(o) => o,
    }
}

// ---------------------------------------------------------------------------------------------
// The compact encoding.

/// Entries sorted by (score, member) in one exact-size buffer: the score (see [`put_score`]),
/// then the member with its length prefix.
#[derive(Clone, Debug, Default)]
struct Pack {
    buf: Blob,
    len: usize,
}

/// One entry of a [`Pack`], with its byte range.
struct PackEntry<'a> {
    member: &'a [u8],
    score: f64,
    start: usize,
    end: usize,
}

/// Integer scores (leaderboards, timestamps, job ids) are what sorted sets mostly hold, and Redis's
/// listpack stores them as integers: an integral score below 2^53 in magnitude is a zigzag varint
/// shifted left by one (first byte's low bit 0, one byte up to ±31); any other score is a byte
/// 0x01 and its 8 bytes.
fn put_score(buf: &mut Vec<u8>, score: f64) {
    if score.fract() == 0.0 && score.abs() < (1u64 << 53) as f64 {
        let n = score as i64;
        let zigzag = ((n << 1) ^ (n >> 63)) as u64;
        put_varint(buf, zigzag << 1);
    } else {
        buf.push(1);
        buf.extend_from_slice(&score.to_le_bytes());
    }
}

/// The score at `at` (written by [`put_score`]), and where the member starts.
fn read_score(buf: &[u8], at: usize) -> (f64, usize) {
    if buf[at] & 1 == 1 {
        let bytes = buf[at + 1..at + 9].try_into().expect("8 score bytes");
        (f64::from_le_bytes(bytes), at + 9)
    } else {
        let (v, next) = read_varint(buf, at);
        let zigzag = v >> 1;
        (((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64)) as f64, next)
    }
}

struct PackIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = PackEntry<'a>;

    fn next(&mut self) -> Option<PackEntry<'a>> {
        if self.at >= self.buf.len() {
            return None;
        }
        let start = self.at;
        let (score, member_at) = read_score(self.buf, start);
        let (at, end) = read_str(self.buf, member_at);
        self.at = end;
        Some(PackEntry { member: &self.buf[at..end], score, start, end })
    }
}

impl Pack {
    fn iter(&self) -> PackIter<'_> {
        PackIter { buf: &self.buf, at: 0 }
    }

    fn find(&self, member: &[u8]) -> Option<PackEntry<'_>> {
        self.iter().find(|e| e.member == member)
    }

    /// Inserts a member known to be absent, at its sorted place. A listpack keeps -0 as 0
    /// (what Redis 7.0 answers for a listpack-encoded set).
    fn insert(&mut self, member: &[u8], score: f64) {
        let score = if score == 0.0 { 0.0 } else { score };
        let at = self
            .iter()
            .find(|e| cmp_key(e.score, e.member, score, member) == Ordering::Greater)
            .map_or(self.buf.len(), |e| e.start);
        let mut encoded = Vec::with_capacity(member.len() + 14);
        put_score(&mut encoded, score);
        put_str(&mut encoded, member);
        self.buf.splice(at..at, &encoded);
        self.len += 1;
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (start, end, score) = self.find(member).map(|e| (e.start, e.end, e.score))?;
        self.buf.remove(start..end);
        self.len -= 1;
        Some(score)
    }
}

// ---------------------------------------------------------------------------------------------
// The big encoding.

/// One entry of the order: a score and the member's position in `members`.
type Slot = (f64, u32);

#[derive(Clone, Debug, Default)]
struct Big {
    members: Vec<(Box<[u8]>, f64)>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Sorted by (score, member); never an empty chunk.
    chunks: Vec<Vec<Slot>>,
    /// `maxes[c]` is `chunks[c]`'s last entry: the chunk search reads this one dense array
    /// instead of following a pointer to every chunk it probes.
    maxes: Vec<Slot>,
    /// Fenwick tree over `chunks[i].len()`, 1-based (`fenwick[0]` unused).
    fenwick: Vec<usize>,
    /// Sum of the members' lengths (for [`ZSet::memory`] without a walk).
    bytes: usize,
}

impl Big {
    fn position(&self, member: &[u8]) -> Option<usize> {
        let h = self.hasher.hash_one(member);
        self.index.find(h, |&i| &*self.members[i as usize].0 == member).map(|&i| i as usize)
    }

    fn member(&self, pos: u32) -> &[u8] {
        &self.members[pos as usize].0
    }

    /// After chunks were added, removed, split or merged: the chunk maxima and the Fenwick tree
    /// again, O(chunks).
    fn reindex(&mut self) {
        self.maxes.clear();
        self.maxes.extend(self.chunks.iter().map(|ch| *ch.last().expect("non-empty chunk")));
        let n = self.chunks.len();
        self.fenwick.clear();
        self.fenwick.resize(n + 1, 0);
        for i in 1..=n {
            self.fenwick[i] += self.chunks[i - 1].len();
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                self.fenwick[parent] += self.fenwick[i];
            }
        }
    }

    /// After chunk `chunk` gained or lost one entry (and is not empty).
    fn resized(&mut self, chunk: usize, delta: isize) {
        self.maxes[chunk] = *self.chunks[chunk].last().expect("non-empty chunk");
        let mut i = chunk + 1;
        while i < self.fenwick.len() {
            self.fenwick[i] = self.fenwick[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Entries in the chunks before `chunk`.
    fn before(&self, chunk: usize) -> usize {
        let (mut i, mut sum) = (chunk, 0);
        while i > 0 {
            sum += self.fenwick[i];
            i &= i - 1;
        }
        sum
    }

    /// The (chunk, offset) of rank `r` (< len).
    fn at_rank(&self, mut r: usize) -> (usize, usize) {
        let n = self.chunks.len();
        let (mut pos, mut step) = (0usize, n.next_power_of_two());
        while step > 0 {
            if pos + step <= n && self.fenwick[pos + step] <= r {
                pos += step;
                r -= self.fenwick[pos];
            }
            step >>= 1;
        }
        (pos, r)
    }

    /// Where the key (score, member) is or would go: (chunk, offset); the chunk exists unless
    /// the set is empty.
    fn locate(&self, score: f64, member: &[u8]) -> (usize, usize) {
        // The member bytes are only read on a score tie: one cache miss less per probe.
        let key_cmp = |&(s, p): &Slot| match s.partial_cmp(&score) {
            Some(Ordering::Equal) | None => self.member(p).cmp(member),
            Some(o) => o,
        };
        let c = self.maxes.partition_point(|m| key_cmp(m) == Ordering::Less);
        let c = c.min(self.chunks.len().saturating_sub(1));
        let i = self.chunks.get(c).map_or(0, |ch| ch.partition_point(|e| key_cmp(e) == Ordering::Less));
        (c, i)
    }

    /// Adds the order entry of `pos` (already in `members`).
    fn link(&mut self, pos: u32) {
        let score = self.members[pos as usize].1;
        if self.chunks.is_empty() {
            let mut ch = Vec::with_capacity(CHUNK);
            ch.push((score, pos));
            self.chunks.push(ch);
            self.reindex();
            return;
        }
        let (c, i) = self.locate(score, self.member(pos));
        self.chunks[c].insert(i, (score, pos));
        if self.chunks[c].len() >= CHUNK {
            // Split in half, except when appending past the last entry (scores added in
            // ascending order): then the full chunk stays full and the new entry starts the
            // next one, so sequential loads leave full chunks rather than half-empty ones.
            let at = if c + 1 == self.chunks.len() && i + 1 == self.chunks[c].len() { i } else { CHUNK / 2 };
            let mut tail = Vec::with_capacity(CHUNK);
            tail.extend(self.chunks[c].drain(at..));
            self.chunks.insert(c + 1, tail);
            self.reindex();
        } else {
            self.resized(c, 1);
        }
    }

    /// Removes the order entry of `pos`.
    fn unlink(&mut self, pos: u32) {
        let score = self.members[pos as usize].1;
        let (c, i) = self.locate(score, self.member(pos));
        debug_assert_eq!(self.chunks[c][i].1, pos);
        self.chunks[c].remove(i);
        if self.chunks[c].is_empty() {
            self.chunks.remove(c);
            self.reindex();
        } else if self.chunks[c].len() < CHUNK / 4 && self.chunks.len() > 1 {
            // A thin chunk joins a neighbour when both fit in half a chunk (splits make two
            // halves, so a chunk is split or merged again only after CHUNK/4 more changes).
            let (a, b) = if c + 1 < self.chunks.len() { (c, c + 1) } else { (c - 1, c) };
            if self.chunks[a].len() + self.chunks[b].len() <= CHUNK / 2 {
                let tail = self.chunks.remove(b);
                self.chunks[a].extend(tail);
                self.reindex();
            } else {
                self.resized(c, -1);
            }
        } else {
            self.resized(c, -1);
        }
    }

    fn insert_new(&mut self, member: &[u8], score: f64) {
        let h = self.hasher.hash_one(member);
        let pos = self.members.len() as u32;
        let Big { members, index, hasher, .. } = self;
        index.insert_unique(h, pos, |&i| hasher.hash_one(&*members[i as usize].0));
        self.members.push((member.into(), score));
        self.bytes += member.len();
        self.link(pos);
    }

    fn set_score(&mut self, pos: usize, score: f64) {
        self.unlink(pos as u32);
        self.members[pos].1 = score;
        self.link(pos as u32);
    }

    fn remove_at(&mut self, pos: usize) -> f64 {
        self.unlink(pos as u32);
        let h = self.hasher.hash_one(&*self.members[pos].0);
        self.index.find_entry(h, |&j| j as usize == pos).expect("member is indexed").remove();
        let last = self.members.len() - 1;
        if pos != last {
            // The last member moves into the hole: repoint its index and order entries.
            let lh = self.hasher.hash_one(&*self.members[last].0);
            *self.index.find_mut(lh, |&j| j as usize == last).expect("last member is indexed") = pos as u32;
            let (s, m) = (self.members[last].1, &self.members[last].0);
            let (c, i) = self.locate(s, m);
            self.chunks[c][i].1 = pos as u32;
            if i + 1 == self.chunks[c].len() {
                self.maxes[c].1 = pos as u32;
            }
        }
        let (member, score) = self.members.swap_remove(pos);
        self.bytes -= member.len();
        // Give memory back once the set has shrunk to a quarter of what it held.
        let len = self.members.len();
        if self.members.capacity() > 64 && len < self.members.capacity() / 4 {
            self.members.shrink_to(len * 2);
            let Big { members, index, hasher, .. } = self;
            index.shrink_to(len * 2, |&i| hasher.hash_one(&*members[i as usize].0));
        }
        score
    }

    fn entry(&self, (c, i): (usize, usize)) -> (&[u8], f64) {
        let (s, p) = self.chunks[c][i];
        (self.member(p), s)
    }

    /// Number of leading entries (in order) for which `pred` holds; `pred` is monotone.
    fn partition_point(&self, pred: &mut dyn FnMut(&[u8], f64) -> bool) -> usize {
        let c = self.maxes.partition_point(|&(s, p)| pred(self.member(p), s));
        if c == self.chunks.len() {
            return self.members.len();
        }
        let i = self.chunks[c].partition_point(|&(s, p)| pred(self.member(p), s));
        self.before(c) + i
    }
}

// ---------------------------------------------------------------------------------------------
// The public API.

/// What [`ZSet::add`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Added {
    /// A new member.
    New,
    /// An existing member whose score changed (from the value given).
    Updated(f64),
    /// An existing member already at that score.
    Same,
}

impl ZSet {
    /// An empty set in the encoding Redis's zsetTypeCreate picks for `size_hint` members of at
    /// most `max_len` bytes: compact when both fit the limits.
    pub fn with_hint(size_hint: usize, max_len: usize, limits: Limits) -> ZSet {
        if size_hint <= limits.entries && max_len <= limits.value {
            ZSet::default()
        } else {
            ZSet { repr: Repr::Big(Box::default()) }
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.len,
            Repr::Big(b) => b.members.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Big(_) => "skiplist",
        }
    }

    /// Is this set in the compact encoding (where ZSCAN answers everything at once)?
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Pack(_))
    }

    /// Bytes owned by this set (MEMORY USAGE, accounting).
    pub fn memory(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.buf.allocated(),
            Repr::Big(b) => {
                b.members.capacity() * std::mem::size_of::<(Box<[u8]>, f64)>()
                    + b.index.capacity() * (std::mem::size_of::<u32>() + 1)
                    + b.chunks.iter().map(|c| c.capacity() * std::mem::size_of::<Slot>()).sum::<usize>()
                    + b.chunks.capacity() * std::mem::size_of::<Vec<Slot>>()
                    + b.maxes.capacity() * std::mem::size_of::<Slot>()
                    + b.fenwick.capacity() * std::mem::size_of::<usize>()
                    + b.bytes
            }
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Pack(p) => p.find(member).map(|e| e.score),
            Repr::Big(b) => b.position(member).map(|i| b.members[i].1),
        }
    }

    /// Sets `member`'s score (never NaN), adding it if new. Converts to the big encoding when
    /// the member is longer than `limits.value` or the set would grow past `limits.entries`, as
    /// Redis's zsetAdd does. This is also the way to build a set from outside (RDB loading).
    pub fn add(&mut self, member: &[u8], score: f64, limits: Limits) -> Added {
        debug_assert!(!score.is_nan());
        match &mut self.repr {
            Repr::Pack(p) => match p.find(member).map(|e| e.score) {
                // Redis compares with `!=`: 0 and -0 are the same score.
                Some(old) if old == score => Added::Same,
                Some(old) => {
                    p.remove(member);
                    p.insert(member, score);
                    Added::Updated(old)
                }
                None => {
                    // Redis's zsetAdd converts *before* inserting a member that would not fit,
                    // so that member keeps its exact score (-0 included) in the big encoding.
                    if p.len + 1 > limits.entries
                        || member.len() > limits.value
                        || p.buf.len() + member.len() + 18 > SAFETY_MAX
                    {
                        self.convert();
                        return self.add(member, score, limits);
                    }
                    p.insert(member, score);
                    Added::New
                }
            },
            Repr::Big(b) => match b.position(member) {
                Some(pos) => {
                    let old = b.members[pos].1;
                    if old == score {
                        Added::Same
                    } else {
                        b.set_score(pos, score);
                        Added::Updated(old)
                    }
                }
                None => {
                    b.insert_new(member, score);
                    Added::New
                }
            },
        }
    }

    /// Shorthand for [`ZSet::add`] that answers whether the member is new.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) -> bool {
        self.add(member, score, limits) == Added::New
    }

    /// Removes `member`, answering its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Pack(p) => p.remove(member),
            Repr::Big(b) => {
                let pos = b.position(member)?;
                Some(b.remove_at(pos))
            }
        }
    }

    /// Turns a compact set into the big encoding (never back): past the limits, and for SORT
    /// (Redis 7.0 converts its source).
    pub fn convert(&mut self) {
        if let Repr::Pack(p) = &self.repr {
            let mut b = Box::<Big>::default();
            b.members.reserve(p.len);
            b.index.reserve(p.len, |_| 0);
            for e in p.iter() {
                b.insert_new(e.member, e.score);
            }
            self.repr = Repr::Big(b);
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Pack(p) => p.iter().position(|e| e.member == member),
            Repr::Big(b) => {
                let pos = b.position(member)?;
                let (c, i) = b.locate(b.members[pos].1, member);
                Some(b.before(c) + i)
            }
        }
    }

    /// The member and score at ascending rank `r` (< len).
    pub fn at_rank(&self, r: usize) -> (&[u8], f64) {
        match &self.repr {
            Repr::Pack(p) => p.iter().nth(r).map(|e| (e.member, e.score)).expect("rank within the set"),
            Repr::Big(b) => b.entry(b.at_rank(r)),
        }
    }

    /// The entries of ascending ranks `start..end` (clamped to the set), in ascending order.
    pub fn range(&self, start: usize, end: usize) -> Vec<(&[u8], f64)> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        match &self.repr {
            Repr::Pack(p) => p.iter().skip(start).take(end - start).map(|e| (e.member, e.score)).collect(),
            Repr::Big(b) => {
                let mut out = Vec::with_capacity(end - start);
                let (mut c, mut i) = b.at_rank(start);
                while out.len() < end - start {
                    if i == b.chunks[c].len() {
                        c += 1;
                        i = 0;
                    }
                    out.push(b.entry((c, i)));
                    i += 1;
                }
                out
            }
        }
    }

    /// Calls `f` on the entries of ascending ranks `start..end` (clamped), in order, without
    /// collecting them (GEO's scans of score ranges).
    pub fn for_each_in<'a>(&'a self, start: usize, end: usize, mut f: impl FnMut(&'a [u8], f64)) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        match &self.repr {
            Repr::Pack(p) => p.iter().skip(start).take(end - start).for_each(|e| f(e.member, e.score)),
            Repr::Big(b) => {
                let (mut c, mut i) = b.at_rank(start);
                for _ in start..end {
                    if i == b.chunks[c].len() {
                        c += 1;
                        i = 0;
                    }
                    let (m, s) = b.entry((c, i));
                    f(m, s);
                    i += 1;
                }
            }
        }
    }

    /// Number of leading entries (in ascending order) for which `pred(member, score)` holds;
    /// `pred` must be true then false along the order (a score or lex bound).
    pub fn partition_point(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.iter().take_while(|e| pred(e.member, e.score)).count(),
            Repr::Big(b) => b.partition_point(&mut pred),
        }
    }

    /// Every (member, score) in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let (pack, big) = match &self.repr {
            Repr::Pack(p) => (Some(p.iter().map(|e| (e.member, e.score))), None),
            Repr::Big(b) => (None, Some(b.chunks.iter().flatten().map(|&(s, p)| (b.member(p), s)))),
        };
        pack.into_iter().flatten().chain(big.into_iter().flatten())
    }

    /// One ZSCAN step from `cursor`: calls `f` on about `count` entries and returns the next
    /// cursor (0 when done). A compact set is visited whole in one call, as Redis does; the big
    /// encoding is walked by dense position from the end down (cursor 0 starts at the end,
    /// cursor c goes on below position c).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], f64)) -> u64 {
        match &self.repr {
            Repr::Pack(p) => {
                p.iter().for_each(|e| f(e.member, e.score));
                0
            }
            Repr::Big(b) => {
                let len = b.members.len() as u64;
                let mut next = if cursor == 0 || cursor > len { len } else { cursor };
                let mut visited = 0;
                while next > 0 && visited < count.max(1) {
                    next -= 1;
                    let (m, s) = &b.members[next as usize];
                    f(m, *s);
                    visited += 1;
                }
                next
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_in_the_compact_encoding() {
        let big = (1u64 << 53) as f64;
        for score in [
            0.0,
            -1.0,
            1.0,
            31.0,
            -32.0,
            64.0,
            1e15,
            big - 1.0,
            1.0 - big,
            big,
            -big,
            1.5,
            -0.25,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            1.7e308,
        ] {
            let mut buf = Vec::new();
            put_score(&mut buf, score);
            buf.push(0xAA);
            let (back, next) = read_score(&buf, 0);
            assert_eq!(back.to_bits(), score.to_bits(), "{score}");
            assert_eq!(buf[next], 0xAA);
        }
        let mut buf = Vec::new();
        put_score(&mut buf, 7.0);
        assert_eq!(buf.len(), 1, "small integers take one byte");
    }

    #[test]
    fn a_small_handle() {
        assert!(std::mem::size_of::<ZSet>() <= 32, "{}", std::mem::size_of::<ZSet>());
    }
    use std::collections::{BTreeSet, HashMap};

    const SMALL: Limits = Limits { entries: 4, value: 8 };

    /// A total order on scores for the model (no NaN ever stored).
    #[derive(Clone, Copy, PartialEq, Debug)]
    struct S(f64);
    impl Eq for S {}
    impl PartialOrd for S {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for S {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.partial_cmp(&o.0).unwrap()
        }
    }

    #[test]
    fn compact_sorted_and_converts_once() {
        let mut z = ZSet::default();
        assert!(z.insert(b"b", 2.0, SMALL));
        assert!(z.insert(b"a", 2.0, SMALL));
        assert!(z.insert(b"c", 1.0, SMALL));
        assert_eq!(z.add(b"c", 3.0, SMALL), Added::Updated(1.0));
        assert_eq!(z.add(b"c", 3.0, SMALL), Added::Same);
        assert_eq!(z.iter().collect::<Vec<_>>(), vec![(&b"a"[..], 2.0), (b"b", 2.0), (b"c", 3.0)]);
        assert_eq!(z.rank(b"c"), Some(2));
        assert_eq!(z.encoding(), "listpack");
        assert!(z.insert(b"123456789", 0.0, SMALL));
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.rank(b"123456789"), Some(0));
        for m in [&b"a"[..], b"b", b"c", b"123456789"] {
            assert!(z.remove(m).is_some());
        }
        assert!(z.is_empty());
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::with_hint(5, 1, SMALL).encoding(), "skiplist");
        assert_eq!(ZSet::with_hint(4, 8, SMALL).encoding(), "listpack");
    }

    #[test]
    fn model_based() {
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..3 {
            let limits = if round == 0 { SMALL } else { Limits::DEFAULT };
            let mut z = ZSet::default();
            let mut order: BTreeSet<(S, Vec<u8>)> = BTreeSet::new();
            let mut scores: HashMap<Vec<u8>, f64> = HashMap::new();
            let universe = [50u64, 3000, 1500][round];
            for step in 0..20000 {
                let m = format!("m{}", rnd(universe)).into_bytes();
                let score = rnd(40) as f64 - 20.0;
                match rnd(10) {
                    0..=5 => {
                        let old = scores.insert(m.clone(), score);
                        if let Some(o) = old {
                            order.remove(&(S(o), m.clone()));
                        }
                        order.insert((S(score), m.clone()));
                        let added = z.add(&m, score, limits);
                        match old {
                            None => assert_eq!(added, Added::New),
                            Some(o) if o == score => assert_eq!(added, Added::Same),
                            Some(o) => assert_eq!(added, Added::Updated(o)),
                        }
                    }
                    6..=8 => {
                        let old = scores.remove(&m);
                        if let Some(o) = old {
                            order.remove(&(S(o), m.clone()));
                        }
                        assert_eq!(z.remove(&m), old);
                    }
                    _ => {
                        assert_eq!(z.score(&m), scores.get(&m).copied());
                        let want = order.iter().position(|(_, x)| *x == m);
                        assert_eq!(z.rank(&m), want);
                        let below = order.iter().filter(|(s, _)| s.0 < score).count();
                        assert_eq!(z.partition_point(|_, s| s < score), below);
                    }
                }
                assert_eq!(z.len(), scores.len());
                if step % 997 == 0 {
                    check(&z);
                    let all: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                    let want: Vec<(Vec<u8>, f64)> = order.iter().map(|(s, m)| (m.clone(), s.0)).collect();
                    assert_eq!(all, want);
                    let n = z.len();
                    if n > 0 {
                        let r = rnd(n as u64) as usize;
                        let (m, s) = z.at_rank(r);
                        assert_eq!((m.to_vec(), s), want[r]);
                        let part: Vec<(Vec<u8>, f64)> =
                            z.range(r / 2, r + 7).into_iter().map(|(m, s)| (m.to_vec(), s)).collect();
                        assert_eq!(part, want[r / 2..(r + 7).min(n)].to_vec());
                    }
                }
            }
            if round > 0 {
                assert_eq!(z.encoding(), "skiplist");
            }
        }
    }

    /// The big encoding's invariants: sorted non-empty chunks, a Fenwick tree that matches
    /// them, every member indexed at its position and linked once.
    fn check(z: &ZSet) {
        let Repr::Big(b) = &z.repr else { return };
        let mut prev: Option<(f64, &[u8])> = None;
        let mut linked = vec![false; b.members.len()];
        assert_eq!(b.maxes.len(), b.chunks.len());
        for (c, ch) in b.chunks.iter().enumerate() {
            assert!(!ch.is_empty() && ch.len() < CHUNK);
            assert_eq!(b.before(c), b.chunks[..c].iter().map(Vec::len).sum::<usize>());
            assert_eq!(b.maxes[c], *ch.last().unwrap(), "chunk {c}'s maximum");
            for &(s, p) in ch {
                let m = b.member(p);
                assert_eq!(b.members[p as usize].1, s);
                assert!(!std::mem::replace(&mut linked[p as usize], true));
                if let Some((ps, pm)) = prev {
                    assert_eq!(cmp_key(ps, pm, s, m), Ordering::Less);
                }
                prev = Some((s, m));
                assert_eq!(b.position(m), Some(p as usize));
            }
        }
        assert!(linked.into_iter().all(|l| l));
        assert_eq!(b.bytes, b.members.iter().map(|(m, _)| m.len()).sum::<usize>());
    }

    #[test]
    fn grows_and_shrinks() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut z = ZSet::default();
        let mut live: Vec<Vec<u8>> = Vec::new();
        for i in 0..6000u32 {
            let m = format!("k{i}").into_bytes();
            // Ascending scores for the first half (appends), random ones after.
            let score = if i < 3000 { i as f64 } else { rnd(6000) as f64 };
            assert!(z.insert(&m, score, Limits::DEFAULT));
            live.push(m);
        }
        check(&z);
        while live.len() > 100 {
            let m = live.swap_remove(rnd(live.len() as u64) as usize);
            assert!(z.remove(&m).is_some());
            if live.len().is_multiple_of(500) {
                check(&z);
            }
        }
        check(&z);
        let Repr::Big(b) = &z.repr else { panic!("big") };
        assert!(b.chunks.len() <= 2, "thin chunks merged: {}", b.chunks.len());
        assert!(b.members.capacity() < 1000);
        let mut ranks: Vec<usize> = live.iter().map(|m| z.rank(m).unwrap()).collect();
        ranks.sort();
        assert_eq!(ranks, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn scan_misses_nothing_present_throughout() {
        let mut z = ZSet::default();
        for i in 0..1000u32 {
            z.insert(&i.to_be_bytes(), i as f64, SMALL);
        }
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut round) = (0, 0u32);
        loop {
            cursor = z.scan(cursor, 7, |m, _| {
                seen.insert(m.to_vec());
            });
            z.remove(&(round * 3).to_be_bytes());
            z.insert(&(5000 + round).to_be_bytes(), 1.0, SMALL);
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000u32 {
            if i % 3 != 0 || i / 3 >= round {
                assert!(seen.contains(&i.to_be_bytes()[..]), "missed {i}");
            }
        }
    }
}
