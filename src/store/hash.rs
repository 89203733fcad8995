//! Hashes, in Redis 7.0's two encodings.
//!
//! A small hash (at most `hash-max-listpack-entries` fields, every field and value at most
//! `hash-max-listpack-value` bytes) is one contiguous buffer of length-prefixed field/value
//! pairs, like Redis's listpack: O(n) lookups, which is cheap at these sizes, and the pairs keep
//! their insertion order (a field that is set again keeps its place), so HGETALL answers in the
//! same order as Redis. Past either limit the hash converts, once and for good, to a table
//! ("hashtable"): the pairs in a dense vector and a hash index of positions into it. Removal
//! swaps the last pair into the hole, which is what makes HSCAN's cursor stable: the cursor walks
//! positions from the end down, and a swap only ever moves an already-visited pair to a lower
//! position, so a pair present for the whole scan is never missed (it may be seen twice).

use std::hash::BuildHasher;

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};

use super::blob::{Blob, SAFETY_MAX};
use super::packed::{put_str, read_str};

/// The conversion thresholds (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

/// A hash value.
#[derive(Clone, Debug, Default)]
pub struct Hash {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Pack(Pack),
    Table(Box<Table>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Pack(Pack::default())
    }
}

/// Field/value pairs in one exact-size buffer: each string is a LEB128 length, then its bytes.
/// With the table boxed, a whole `Hash` is 16 bytes.
#[derive(Clone, Debug, Default)]
struct Pack {
    buf: Blob,
    pairs: u32,
}

/// Where one pair sits in a [`Pack`]: the pair starts at `start`; its value (with its length
/// prefix) spans `value_at..end`, its bytes `value`.
struct Slot {
    start: usize,
    value_at: usize,
    end: usize,
}

impl Pack {
    fn iter(&self) -> PackIter<'_> {
        PackIter { buf: &self.buf, at: 0 }
    }

    fn find(&self, field: &[u8]) -> Option<Slot> {
        let mut at = 0;
        while at < self.buf.len() {
            let (f0, f1) = read_str(&self.buf, at);
            let (_, v1) = read_str(&self.buf, f1);
            if &self.buf[f0..f1] == field {
                return Some(Slot { start: at, value_at: f1, end: v1 });
            }
            at = v1;
        }
        None
    }

    fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let slot = self.find(field)?;
        let (v0, v1) = read_str(&self.buf, slot.value_at);
        Some(&self.buf[v0..v1])
    }

    /// Sets `field`; true if it is new. A field set again keeps its place.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let mut encoded = Vec::with_capacity(field.len() + value.len() + 4);
        match self.find(field) {
            Some(slot) => {
                put_str(&mut encoded, value);
                self.buf.splice(slot.value_at..slot.end, &encoded);
                false
            }
            None => {
                put_str(&mut encoded, field);
                put_str(&mut encoded, value);
                self.buf.extend_from_slice(&encoded);
                self.pairs += 1;
                true
            }
        }
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        match self.find(field) {
            Some(slot) => {
                self.buf.remove(slot.start..slot.end);
                self.pairs -= 1;
                true
            }
            None => false,
        }
    }
}

struct PackIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let (f0, f1) = read_str(self.buf, self.at);
        let (v0, v1) = read_str(self.buf, f1);
        self.at = v1;
        Some((&self.buf[f0..f1], &self.buf[v0..v1]))
    }
}

/// One field and its value, in a table.
type Pair = (Box<[u8]>, Box<[u8]>);

/// Pairs in a dense vector, found through an index of their positions.
#[derive(Clone, Debug, Default)]
struct Table {
    pairs: Vec<Pair>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Table {
    fn hash(&self, field: &[u8]) -> u64 {
        self.hasher.hash_one(field)
    }

    fn position(&self, field: &[u8]) -> Option<usize> {
        let h = self.hash(field);
        self.index.find(h, |&i| &*self.pairs[i as usize].0 == field).map(|&i| i as usize)
    }

    fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.position(field).map(|i| &*self.pairs[i].1)
    }

    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let h = self.hash(field);
        let Table { pairs, index, hasher } = self;
        match index.entry(h, |&i| &*pairs[i as usize].0 == field, |&i| hasher.hash_one(&*pairs[i as usize].0)) {
            Entry::Occupied(e) => {
                pairs[*e.get() as usize].1 = value.into();
                false
            }
            Entry::Vacant(e) => {
                e.insert(pairs.len() as u32);
                pairs.push((field.into(), value.into()));
                true
            }
        }
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let h = self.hash(field);
        let Ok(e) = self.index.find_entry(h, |&i| &*self.pairs[i as usize].0 == field) else {
            return false;
        };
        let (i, _) = e.remove();
        let i = i as usize;
        let last = self.pairs.len() - 1;
        if i != last {
            // The last pair moves into the hole: repoint its index entry.
            let lh = self.hash(&self.pairs[last].0);
            let slot = self.index.find_mut(lh, |&j| j as usize == last).expect("last pair is indexed");
            *slot = i as u32;
        }
        self.pairs.swap_remove(i);
        true
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.pairs as usize,
            Repr::Table(t) => t.pairs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Is this hash in the compact encoding (where HSCAN answers everything at once)?
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Pack(_))
    }

    /// Bytes owned by this hash (MEMORY USAGE, accounting).
    pub fn memory(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.buf.allocated(),
            Repr::Table(t) => {
                let strings: usize = t.pairs.iter().map(|(f, v)| f.len() + v.len()).sum();
                t.pairs.capacity() * std::mem::size_of::<Pair>()
                    + t.index.capacity() * (std::mem::size_of::<u32>() + 1)
                    + strings
            }
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Pack(p) => p.get(field),
            Repr::Table(t) => t.get(field),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; true if the field is new. Converts to a table first when the
    /// field or value is longer than `limits.value`, and after when the hash has more than
    /// `limits.entries` fields, as Redis's hashTypeSet does.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        let pack_full =
            matches!(&self.repr, Repr::Pack(p) if p.buf.len() + field.len() + value.len() + 20 > SAFETY_MAX);
        if field.len() > limits.value || value.len() > limits.value || pack_full {
            self.convert();
        }
        let new = match &mut self.repr {
            Repr::Pack(p) => p.set(field, value),
            Repr::Table(t) => t.set(field, value),
        };
        if self.len() > limits.entries {
            self.convert();
        }
        new
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Pack(p) => p.remove(field),
            Repr::Table(t) => t.remove(field),
        }
    }

    /// Turns a compact hash into a table (never back).
    fn convert(&mut self) {
        if let Repr::Pack(p) = &self.repr {
            let mut t = Box::<Table>::default();
            t.pairs.reserve(p.pairs as usize);
            t.index.reserve(p.pairs as usize, |_| 0);
            for (f, v) in p.iter() {
                t.set(f, v);
            }
            self.repr = Repr::Table(t);
        }
    }

    /// The pairs in the hash's own order (insertion order while compact).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let (pack, table) = match &self.repr {
            Repr::Pack(p) => (Some(p.iter()), None),
            Repr::Table(t) => (None, Some(t.pairs.iter().map(|(f, v)| (&**f, &**v)))),
        };
        pack.into_iter().flatten().chain(table.into_iter().flatten())
    }

    /// The pair at position `i` (< len): O(1) for a table, O(n) when compact.
    pub fn at(&self, i: usize) -> (&[u8], &[u8]) {
        match &self.repr {
            Repr::Pack(p) => p.iter().nth(i).expect("position within the hash"),
            Repr::Table(t) => {
                let (f, v) = &t.pairs[i];
                (f, v)
            }
        }
    }

    /// One HSCAN step from `cursor`: calls `f` on about `count` pairs and returns the next
    /// cursor (0 when done). A compact hash is visited whole in one call, as Redis does.
    /// A table is walked by position from the end down: cursor 0 starts at the end, cursor c
    /// goes on below position c.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], &'a [u8])) -> u64 {
        match &self.repr {
            Repr::Pack(p) => {
                p.iter().for_each(|(k, v)| f(k, v));
                0
            }
            Repr::Table(t) => {
                let len = t.pairs.len() as u64;
                let mut next = if cursor == 0 || cursor > len { len } else { cursor };
                let mut visited = 0;
                while next > 0 && visited < count.max(1) {
                    next -= 1;
                    let (k, v) = &t.pairs[next as usize];
                    f(k, v);
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

    const SMALL: Limits = Limits { entries: 4, value: 8 };

    #[test]
    fn compact_keeps_insertion_order() {
        let mut h = Hash::default();
        assert!(h.set(b"a", b"1", SMALL));
        assert!(h.set(b"b", b"2", SMALL));
        assert!(h.set(b"c", b"3", SMALL));
        assert!(!h.set(b"a", b"longer", SMALL));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, vec![(&b"a"[..], &b"longer"[..]), (b"b", b"2"), (b"c", b"3")]);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.get(b"c"), Some(&b"3"[..]));
        assert_eq!(h.get(b"b"), None);
        assert_eq!((h.len(), h.encoding()), (2, "listpack"));
    }

    #[test]
    fn a_hash_is_two_words() {
        assert_eq!(std::mem::size_of::<Hash>(), 16);
    }

    #[test]
    fn converts_once() {
        let mut h = Hash::default();
        for i in 0..5u8 {
            h.set(&[i], b"v", SMALL);
        }
        assert_eq!(h.encoding(), "hashtable");
        for i in 0..5u8 {
            h.remove(&[i]);
        }
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::default();
        h.set(b"f", b"123456789", SMALL);
        assert_eq!(h.encoding(), "hashtable");
        let long = vec![7u8; 300];
        let mut h = Hash::default();
        h.set(&long, &long, Limits { entries: 10, value: 1000 });
        assert_eq!(h.get(&long), Some(&long[..]));
    }

    #[test]
    fn table_scan_misses_nothing_present_throughout() {
        let mut h = Hash::default();
        for i in 0..100u32 {
            h.set(&i.to_be_bytes(), b"v", SMALL);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0u32;
        loop {
            cursor = h.scan(cursor, 7, |k, _| {
                seen.insert(k.to_vec());
            });
            // Churn: drop some fields that stay gone, add new ones.
            h.remove(&(round * 3).to_be_bytes());
            h.set(&(1000 + round).to_be_bytes(), b"w", SMALL);
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100u32 {
            if i % 3 != 0 || i / 3 >= round {
                assert!(seen.contains(&i.to_be_bytes()[..]), "missed {i}");
            }
        }
        for i in 0..h.len() {
            let (f, v) = h.at(i);
            assert_eq!(h.get(f), Some(v));
        }
    }
}
