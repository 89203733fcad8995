//! Lists: a deque of nodes, each node one byte buffer of length-prefixed entries.
//!
//! This is Redis's quicklist shape: a small list costs one node and one allocation, not one per
//! element. An entry is its length as a LEB128 varint followed by its bytes. A node holds at most
//! what `list-max-listpack-size` allows (negative: a byte budget, -1 = 4 KiB ... -5 = 64 KiB;
//! positive: an entry count, with an 8 KiB safety cap as Redis has); a single entry larger than
//! the budget gets a node of its own. Work inside one node is linear, which the budget bounds.
//!
//! Invariants: no node is empty; `len` is the sum of the node counts.
//!
//! Redis 7.0 reports every list as `quicklist` in OBJECT ENCODING (the small-list `listpack`
//! encoding arrived in 7.2), so `encoding` does too.

use std::collections::VecDeque;

use super::packed::{encode_str, encoded_size, put_str, read_str};

/// Byte budgets for negative `list-max-listpack-size` values -1..-5.
const BYTE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Redis's cap on a node's bytes when the fill is an entry count (`SIZE_SAFETY_LIMIT`).
const SAFETY_LIMIT: usize = 8192;

/// The default `list-max-listpack-size`.
const DEFAULT_FILL: i32 = -2;

/// One node: `count` entries packed in `buf`.
#[derive(Clone, Debug, Default)]
struct Node {
    buf: Vec<u8>,
    count: usize,
}

impl Node {
    fn with(v: &[u8]) -> Node {
        let mut n = Node::default();
        n.insert(0, v);
        n
    }

    fn iter(&self) -> NodeIter<'_> {
        NodeIter { buf: &self.buf, pos: 0 }
    }

    /// Byte offset of entry `i` (`buf.len()` for `i == count`).
    fn offset(&self, i: usize) -> usize {
        let mut pos = 0;
        for _ in 0..i {
            pos = read_str(&self.buf, pos).1;
        }
        pos
    }

    /// The byte range of the whole entry at `off`, and of its payload.
    fn entry_at(&self, off: usize) -> (usize, usize) {
        read_str(&self.buf, off)
    }

    fn get(&self, i: usize) -> &[u8] {
        let (start, end) = self.entry_at(self.offset(i));
        &self.buf[start..end]
    }

    /// Room for `extra` more bytes. Up to the default node size (8 KB) the buffer grows to a
    /// power of two, so a full node fills a whole allocator size class (an 8 KB block) instead
    /// of ending at 17 * 2^9 = 8704 bytes inside a 10 KB one. Past it (bigger fills), growth is
    /// the usual doubling, and an element that is a node on its own gets exactly its size.
    fn reserve(&mut self, extra: usize) {
        let need = self.buf.len() + extra;
        if need <= self.buf.capacity() {
            return;
        }
        if need <= SAFETY_LIMIT {
            self.buf.reserve_exact(need.next_power_of_two().max(16) - self.buf.len());
        } else if self.buf.is_empty() {
            self.buf.reserve_exact(extra);
        } else {
            self.buf.reserve(extra);
        }
    }

    fn insert(&mut self, i: usize, v: &[u8]) {
        let off = self.offset(i);
        let encoded = encode_str(v);
        self.reserve(encoded.len());
        self.buf.splice(off..off, encoded);
        self.count += 1;
    }

    fn push_back(&mut self, v: &[u8]) {
        self.reserve(encoded_size(v));
        put_str(&mut self.buf, v);
        self.count += 1;
    }

    fn remove(&mut self, i: usize) -> Vec<u8> {
        let off = self.offset(i);
        let (start, end) = self.entry_at(off);
        let value = self.buf[start..end].to_vec();
        self.buf.drain(off..end);
        self.count -= 1;
        value
    }

    fn replace(&mut self, i: usize, v: &[u8]) {
        let off = self.offset(i);
        let (_, end) = self.entry_at(off);
        self.buf.splice(off..end, encode_str(v));
    }

    /// Splits off the entries from `i` on into a new node.
    fn split_off(&mut self, i: usize) -> Node {
        let off = self.offset(i);
        let tail = Node { buf: self.buf.split_off(off), count: self.count - i };
        self.count = i;
        self.buf.shrink_to_fit();
        tail
    }
}

/// The entries of one node, front to back.
struct NodeIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (start, end) = read_str(self.buf, self.pos);
        self.pos = end;
        Some(&self.buf[start..end])
    }
}

/// A list value.
#[derive(Clone, Debug)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
    /// `list-max-listpack-size` when the list was made.
    fill: i32,
}

impl Default for List {
    fn default() -> Self {
        List::new(DEFAULT_FILL)
    }
}

impl List {
    /// An empty list whose nodes follow `fill` (`list-max-listpack-size`).
    pub fn new(fill: i32) -> List {
        List { nodes: VecDeque::new(), len: 0, fill }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `list-max-listpack-size` this list was made with (its nodes follow it).
    pub fn fill(&self) -> i32 {
        self.fill
    }

    /// OBJECT ENCODING, as Redis 7.0 names it (always `quicklist` there).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Bytes owned by this list (MEMORY USAGE, accounting).
    pub fn memory(&self) -> usize {
        std::mem::size_of::<List>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(|n| n.buf.capacity()).sum::<usize>()
    }

    /// Whether a node of `bytes` bytes and `count` entries is within the fill limit.
    fn within(&self, bytes: usize, count: usize) -> bool {
        if count <= 1 {
            return true;
        }
        if self.fill >= 0 {
            count <= self.fill.max(1) as usize && bytes <= SAFETY_LIMIT
        } else {
            bytes <= BYTE_LIMITS[(self.fill.unsigned_abs() as usize).min(5) - 1]
        }
    }

    /// Splits node `ni` in halves until every part is within the limit.
    fn fix(&mut self, ni: usize) {
        let node = &self.nodes[ni];
        if self.within(node.buf.len(), node.count) {
            return;
        }
        let mid = node.count / 2;
        let tail = self.nodes[ni].split_off(mid);
        self.nodes.insert(ni + 1, tail);
        self.fix(ni + 1);
        self.fix(ni);
    }

    pub fn push_back(&mut self, v: &[u8]) {
        let fits = self.nodes.back().is_some_and(|n| self.within(n.buf.len() + encoded_size(v), n.count + 1));
        match self.nodes.back_mut() {
            Some(n) if fits => n.push_back(v),
            _ => self.nodes.push_back(Node::with(v)),
        }
        self.len += 1;
    }

    pub fn push_front(&mut self, v: &[u8]) {
        let fits = self.nodes.front().is_some_and(|n| self.within(n.buf.len() + encoded_size(v), n.count + 1));
        match self.nodes.front_mut() {
            Some(n) if fits => n.insert(0, v),
            _ => self.nodes.push_front(Node::with(v)),
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let node = self.nodes.front_mut()?;
        let v = node.remove(0);
        if node.count == 0 {
            self.nodes.pop_front();
        }
        self.len -= 1;
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let node = self.nodes.back_mut()?;
        let v = node.remove(node.count - 1);
        if node.count == 0 {
            self.nodes.pop_back();
        }
        self.len -= 1;
        Some(v)
    }

    /// The node holding entry `i` (< len) and the entry's place in it.
    fn locate(&self, mut i: usize) -> (usize, usize) {
        for (ni, node) in self.nodes.iter().enumerate() {
            if i < node.count {
                return (ni, i);
            }
            i -= node.count;
        }
        unreachable!("index checked against len")
    }

    /// Redis's index: negative counts from the tail. None when out of range.
    fn resolve(&self, index: i64) -> Option<usize> {
        let i = if index < 0 { self.len as i64 + index } else { index };
        (0..self.len as i64).contains(&i).then_some(i as usize)
    }

    /// The entry at `index` (negative from the tail).
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        let (ni, ei) = self.locate(self.resolve(index)?);
        Some(self.nodes[ni].get(ei))
    }

    /// Replaces the entry at `index`; false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        let Some(i) = self.resolve(index) else { return false };
        let (ni, ei) = self.locate(i);
        self.nodes[ni].replace(ei, v);
        self.fix(ni);
        true
    }

    /// Inserts `v` so that it becomes entry `at` (0..=len).
    pub fn insert_at(&mut self, at: usize, v: &[u8]) {
        if at == 0 {
            return self.push_front(v);
        }
        if at >= self.len {
            return self.push_back(v);
        }
        let (ni, ei) = self.locate(at);
        self.nodes[ni].insert(ei, v);
        self.len += 1;
        self.fix(ni);
    }

    /// Inserts `v` before (or after) the first entry equal to `pivot`; false if none is.
    pub fn insert_by_pivot(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        let found = self.iter().position(|e| e == pivot);
        match found {
            Some(i) => {
                self.insert_at(i + after as usize, v);
                true
            }
            None => false,
        }
    }

    /// Entries front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator + '_ {
        self.nodes.iter().flat_map(|n| n.iter()).collect::<Vec<_>>().into_iter()
    }

    /// Entries `start..=end` (already in range), front to back.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (ni, ei) = if start < self.len { self.locate(start) } else { (self.nodes.len(), 0) };
        self.nodes.iter().skip(ni).flat_map(|n| n.iter()).skip(ei).take((end + 1).saturating_sub(start))
    }

    /// Keeps only the entries whose index `keep` accepts.
    fn retain_by_index(&mut self, keep: impl Fn(usize) -> bool) {
        let mut kept = List::new(self.fill);
        for (i, e) in self.iter().enumerate() {
            if keep(i) {
                kept.push_back(e);
            }
        }
        *self = kept;
    }

    /// LREM: removes up to `count` entries equal to `v` (all when 0; from the tail when
    /// negative). Returns how many went.
    pub fn remove(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 { usize::MAX } else { count.unsigned_abs().min(usize::MAX as u64) as usize };
        let mut doomed = Vec::new();
        if count >= 0 {
            for (i, e) in self.iter().enumerate() {
                if doomed.len() == limit {
                    break;
                }
                if e == v {
                    doomed.push(i);
                }
            }
        } else {
            for (i, e) in self.iter().enumerate().rev() {
                if doomed.len() == limit {
                    break;
                }
                if e == v {
                    doomed.push(i);
                }
            }
            doomed.reverse();
        }
        if !doomed.is_empty() {
            self.retain_by_index(|i| doomed.binary_search(&i).is_err());
        }
        doomed.len()
    }

    /// Removes `front` entries from the head and `back` from the tail (LTRIM).
    pub fn trim(&mut self, front: usize, back: usize) {
        if front + back >= self.len {
            *self = List::new(self.fill);
            return;
        }
        let keep_end = self.len - back;
        self.retain_by_index(|i| i >= front && i < keep_end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_buffers_fill_size_classes_and_big_elements_get_their_size() {
        let mut l = List::default();
        for i in 0..2000u32 {
            l.push_back(format!("element:{i:08}").as_bytes());
        }
        // Full 8 KB nodes in 8 KB buffers: a little over 17 bytes an element.
        assert!(l.memory() < 2000 * 18, "{}", l.memory());
        let mut big = List::default();
        big.push_back(&vec![b'x'; 1 << 20]);
        big.push_back(&vec![b'y'; 1 << 20]);
        assert!(big.memory() < (2 << 20) + 4096, "{}", big.memory());
    }

    fn items(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn push_pop_both_ends() {
        let mut l = List::new(2);
        for i in 0..10 {
            l.push_back(format!("{i}").as_bytes());
        }
        l.push_front(b"x");
        assert_eq!(l.len(), 11);
        assert!(l.nodes.iter().all(|n| n.count <= 2 && n.count > 0));
        assert_eq!(l.pop_front().unwrap(), b"x");
        assert_eq!(l.pop_back().unwrap(), b"9");
        assert_eq!(l.get(0).unwrap(), b"0");
        assert_eq!(l.get(-1).unwrap(), b"8");
        assert!(l.get(9).is_none());
        assert!(l.get(-10).is_none());
    }

    #[test]
    fn big_entries_and_varints() {
        let mut l = List::new(-1);
        let big = vec![7u8; 5000];
        l.push_back(b"a");
        l.push_back(&big);
        l.push_back(b"b");
        assert_eq!(items(&l), vec![b"a".to_vec(), big.clone(), b"b".to_vec()]);
        assert!(l.set(0, &big));
        assert_eq!(l.get(0).unwrap(), &big[..]);
        assert!(l.nodes.iter().all(|n| n.count == 1 || n.buf.len() <= 4096));
    }

    #[test]
    fn insert_remove_trim() {
        let mut l = List::new(3);
        for e in ["a", "b", "a", "c", "a"] {
            l.push_back(e.as_bytes());
        }
        assert!(l.insert_by_pivot(b"c", b"z", false));
        assert!(!l.insert_by_pivot(b"q", b"z", true));
        assert_eq!(l.remove(b"a", -2), 2);
        assert_eq!(items(&l), [&b"a"[..], b"b", b"z", b"c"].map(|s| s.to_vec()).to_vec());
        l.trim(1, 1);
        assert_eq!(items(&l), [&b"b"[..], b"z"].map(|s| s.to_vec()).to_vec());
        assert_eq!(l.range(1, 1).collect::<Vec<_>>(), vec![&b"z"[..]]);
        l.trim(5, 0);
        assert!(l.is_empty());
    }
}
