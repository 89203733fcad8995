//! Sets, in Redis 7.0's two encodings.
//!
//! A set whose members are all canonical integers (as Redis's `string2ll` reads them) and that
//! has at most `set-max-intset-entries` members is a sorted vector of `i64`, like Redis's intset:
//! binary-search lookups, and members come out in ascending order, as Redis answers SMEMBERS for
//! an intset. A non-integer member or one member too many converts it, once and for good, to a
//! table ("hashtable"): the members in a dense vector and a hash index of positions into it.
//! Removal swaps the last member into the hole, so random picks stay O(1) and SSCAN's cursor,
//! which walks positions from the end down, never misses a member present for the whole scan.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};

use crate::protocol::string2ll;

/// A set value.
#[derive(Clone, Debug, Default)]
pub struct Set {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Ints(Vec<i64>),
    /// Boxed, so that a small set's handle stays small.
    Table(Box<Table>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Ints(Vec::new())
    }
}

/// Members in a dense vector, found through an index of their positions.
#[derive(Clone, Debug, Default)]
struct Table {
    members: Vec<Box<[u8]>>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Table {
    fn position(&self, member: &[u8]) -> Option<usize> {
        let h = self.hasher.hash_one(member);
        self.index.find(h, |&i| &*self.members[i as usize] == member).map(|&i| i as usize)
    }

    fn add(&mut self, member: &[u8]) -> bool {
        let h = self.hasher.hash_one(member);
        let Table { members, index, hasher } = self;
        match index.entry(h, |&i| &*members[i as usize] == member, |&i| hasher.hash_one(&*members[i as usize])) {
            Entry::Occupied(_) => false,
            Entry::Vacant(e) => {
                e.insert(members.len() as u32);
                members.push(member.into());
                true
            }
        }
    }

    /// Removes the member at position `i`, moving the last one into its place.
    fn remove_at(&mut self, i: usize) -> Box<[u8]> {
        let h = self.hasher.hash_one(&*self.members[i]);
        let e = self.index.find_entry(h, |&j| j as usize == i).expect("member is indexed");
        e.remove();
        let last = self.members.len() - 1;
        if i != last {
            let lh = self.hasher.hash_one(&*self.members[last]);
            let slot = self.index.find_mut(lh, |&j| j as usize == last).expect("last member is indexed");
            *slot = i as u32;
        }
        self.members.swap_remove(i)
    }
}

fn int_bytes(n: i64) -> Cow<'static, [u8]> {
    Cow::Owned(itoa::Buffer::new().format(n).as_bytes().to_vec())
}

impl Set {
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(v) => v.len(),
            Repr::Table(t) => t.members.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Ints(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Is this set an intset (where SSCAN answers everything at once)?
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Ints(_))
    }

    /// Bytes owned by this set (MEMORY USAGE, accounting).
    pub fn memory(&self) -> usize {
        match &self.repr {
            Repr::Ints(v) => v.capacity() * std::mem::size_of::<i64>(),
            Repr::Table(t) => {
                let strings: usize = t.members.iter().map(|m| m.len()).sum();
                t.members.capacity() * std::mem::size_of::<Box<[u8]>>()
                    + t.index.capacity() * (std::mem::size_of::<u32>() + 1)
                    + strings
            }
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Ints(v) => string2ll(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            Repr::Table(t) => t.position(member).is_some(),
        }
    }

    /// Adds `member`; true if it is new. An intset converts to a table for a non-integer
    /// member, or once it holds more than `max_ints` members (as Redis's setTypeAdd does).
    pub fn add(&mut self, member: &[u8], max_ints: usize) -> bool {
        if let Repr::Ints(v) = &mut self.repr {
            match string2ll(member) {
                Some(n) => {
                    let Err(at) = v.binary_search(&n) else { return false };
                    v.insert(at, n);
                    if v.len() > max_ints {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match &mut self.repr {
            Repr::Table(t) => t.add(member),
            Repr::Ints(_) => unreachable!("converted above"),
        }
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(v) => match string2ll(member).map(|n| v.binary_search(&n)) {
                Some(Ok(at)) => {
                    v.remove(at);
                    true
                }
                _ => false,
            },
            Repr::Table(t) => match t.position(member) {
                Some(i) => {
                    t.remove_at(i);
                    true
                }
                None => false,
            },
        }
    }

    /// Removes and returns the member at position `i` (< len).
    pub fn remove_at(&mut self, i: usize) -> Vec<u8> {
        match &mut self.repr {
            Repr::Ints(v) => int_bytes(v.remove(i)).into_owned(),
            Repr::Table(t) => t.remove_at(i).into_vec(),
        }
    }

    /// Turns an intset into a table (never back).
    fn convert(&mut self) {
        if let Repr::Ints(v) = &self.repr {
            let mut t = Box::<Table>::default();
            t.members.reserve(v.len());
            t.index.reserve(v.len(), |_| 0);
            for &n in v {
                t.add(itoa::Buffer::new().format(n).as_bytes());
            }
            self.repr = Repr::Table(t);
        }
    }

    /// The member at position `i` (< len), O(1).
    pub fn at(&self, i: usize) -> Cow<'_, [u8]> {
        match &self.repr {
            Repr::Ints(v) => int_bytes(v[i]),
            Repr::Table(t) => Cow::Borrowed(&t.members[i]),
        }
    }

    /// The members in the set's own order (ascending for an intset).
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, [u8]>> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    /// One SSCAN step from `cursor`: calls `f` on about `count` members and returns the next
    /// cursor (0 when done). An intset is visited whole in one call, as Redis does. A table is
    /// walked by position from the end down: cursor 0 starts at the end, cursor c goes on below
    /// position c.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(Cow<'a, [u8]>)) -> u64 {
        match &self.repr {
            Repr::Ints(v) => {
                v.iter().for_each(|&n| f(int_bytes(n)));
                0
            }
            Repr::Table(t) => {
                let len = t.members.len() as u64;
                let mut next = if cursor == 0 || cursor > len { len } else { cursor };
                let mut visited = 0;
                while next > 0 && visited < count.max(1) {
                    next -= 1;
                    f(Cow::Borrowed(&t.members[next as usize]));
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
    fn a_small_handle() {
        assert!(std::mem::size_of::<Set>() <= 32, "{}", std::mem::size_of::<Set>());
    }

    #[test]
    fn intset_stays_sorted_and_converts_once() {
        let mut s = Set::default();
        assert!(s.add(b"5", 4));
        assert!(s.add(b"-3", 4));
        assert!(!s.add(b"5", 4));
        assert!(s.add(b"10", 4));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![&b"-3"[..], b"5", b"10"]);
        assert_eq!(s.encoding(), "intset");
        assert!(!s.contains(b"05"));
        assert!(s.contains(b"10"));
        assert!(s.add(b"007", 4));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(b"5") && s.contains(b"007") && !s.contains(b"7"));
        assert!(s.remove(b"5"));
        assert!(!s.remove(b"5"));
        assert_eq!(s.len(), 3);
        let mut s = Set::default();
        for i in 0..5 {
            s.add(i.to_string().as_bytes(), 4);
        }
        assert_eq!(s.encoding(), "hashtable");
        for i in 0..5 {
            assert!(s.remove(i.to_string().as_bytes()));
        }
        assert!(s.is_empty());
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn table_positions_stay_consistent() {
        let mut s = Set::default();
        for i in 0..100u32 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        while s.len() > 10 {
            let m = s.remove_at(s.len() / 3);
            assert!(!s.contains(&m));
        }
        for i in 0..s.len() {
            let m = s.at(i).into_owned();
            assert!(s.contains(&m));
        }
    }
}
