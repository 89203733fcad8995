//! Redis's listpack (`listpack.c`), the blob inside `RDB_TYPE_HASH_LISTPACK`,
//! `RDB_TYPE_ZSET_LISTPACK` and every packed node of `RDB_TYPE_LIST_QUICKLIST_2`: written here
//! byte for byte as Redis writes it, and read back with Redis's deep integrity check.
//!
//! Layout: total bytes (u32 LE), element count (u16 LE, 65535 when it does not fit), the
//! entries, and the end byte 0xFF. An entry is an encoding byte (and its data), then "backlen":
//! the size of encoding + data in 1 to 5 bytes that read right to left, 7 bits each, the high bit
//! set on all but the leftmost, so that the list can be walked backwards.
//!
//! Encodings (first byte):
//! - `0xxxxxxx` an integer 0..=127; `110xxxxx yyyyyyyy` a 13-bit signed integer;
//!   `0xF1`/`0xF2`/`0xF3`/`0xF4` a 16/24/32/64-bit signed integer, little-endian;
//! - `10xxxxxx` a string of up to 63 bytes; `1110xxxx yyyyyyyy` up to 4095 bytes;
//!   `0xF0` + 4-byte LE length for longer strings.
//!
//! A string that is a canonical integer of at most 20 characters (Redis's `lpStringToInt64`,
//! the same rule as `string2ll`) is always stored as an integer, in the smallest encoding.

use crate::protocol::string2ll;

/// Header: total bytes (4) and element count (2).
pub const HEADER_SIZE: usize = 6;
/// The end-of-listpack byte.
pub const EOF: u8 = 0xff;
/// The size of an empty listpack: header and end byte.
pub const EMPTY_SIZE: usize = HEADER_SIZE + 1;
/// The element count when it does not fit the header's 16 bits.
const NUMELE_UNKNOWN: u16 = u16::MAX;

const ENC_7BIT_UINT_MASK: u8 = 0x80;
const ENC_6BIT_STR: u8 = 0x80;
const ENC_6BIT_STR_MASK: u8 = 0xc0;
const ENC_13BIT_INT: u8 = 0xc0;
const ENC_13BIT_INT_MASK: u8 = 0xe0;
const ENC_12BIT_STR: u8 = 0xe0;
const ENC_12BIT_STR_MASK: u8 = 0xf0;
const ENC_32BIT_STR: u8 = 0xf0;
const ENC_16BIT_INT: u8 = 0xf1;
const ENC_24BIT_INT: u8 = 0xf2;
const ENC_32BIT_INT: u8 = 0xf3;
const ENC_64BIT_INT: u8 = 0xf4;

/// The longest string that may be stored as an integer (`LONG_STR_SIZE - 1`).
const INT_MAX_STRLEN: usize = 20;

/// Builds a listpack entry by entry.
#[derive(Debug, Clone)]
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// An empty listpack (Redis's `lpNew`).
    pub fn new() -> Builder {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER_SIZE]);
        Builder { buf, count: 0 }
    }

    /// The bytes the finished listpack will take (Redis's `lpBytes`).
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// How many entries were pushed.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends a string, as an integer when it is one (`lpAppend`).
    pub fn push(&mut self, s: &[u8]) {
        if s.len() <= INT_MAX_STRLEN {
            if let Some(v) = string2ll(s) {
                return self.push_int(v);
            }
        }
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(ENC_6BIT_STR | len as u8);
        } else if len < 4096 {
            self.buf.push(ENC_12BIT_STR | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(ENC_32BIT_STR);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Appends an integer in the smallest encoding that holds it (`lpAppendInteger`).
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1fff;
            self.buf.push(ENC_13BIT_INT | (u >> 8) as u8);
            self.buf.push(u as u8);
        } else if let Ok(v) = i16::try_from(v) {
            self.buf.push(ENC_16BIT_INT);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(ENC_24BIT_INT);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(v) = i32::try_from(v) {
            self.buf.push(ENC_32BIT_INT);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            self.buf.push(ENC_64BIT_INT);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    fn finish_entry(&mut self, start: usize) {
        let len = self.buf.len() - start;
        put_backlen(&mut self.buf, len);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count).ok().filter(|&c| c != NUMELE_UNKNOWN).unwrap_or(NUMELE_UNKNOWN);
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// The bytes `s` takes as one listpack entry (encoding, data and backlen), as [`Builder::push`]
/// writes it.
pub fn entry_size(s: &[u8]) -> usize {
    if s.len() <= INT_MAX_STRLEN {
        if let Some(v) = string2ll(s) {
            return int_entry_size(v);
        }
    }
    let len = if s.len() < 64 {
        1 + s.len()
    } else if s.len() < 4096 {
        2 + s.len()
    } else {
        5 + s.len()
    };
    len + backlen_size(len)
}

/// The bytes the integer `v` takes as one listpack entry (encoding, data and backlen), as
/// [`Builder::push_int`] writes it.
pub fn int_entry_size(v: i64) -> usize {
    let len = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        v if i16::try_from(v).is_ok() => 3,
        v if (-(1 << 23)..(1 << 23)).contains(&v) => 4,
        v if i32::try_from(v).is_ok() => 5,
        _ => 9,
    };
    len + backlen_size(len)
}

/// `lpEncodeBacklen`: `len` in 1 to 5 bytes, most significant group first.
fn put_backlen(buf: &mut Vec<u8>, len: usize) {
    let size = backlen_size(len);
    for i in (0..size).rev() {
        let group = ((len >> (7 * i)) & 0x7f) as u8;
        buf.push(if i == size - 1 { group } else { group | 0x80 });
    }
}

/// How many bytes `lpEncodeBacklen` uses for `len`.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// One entry of a listpack (or ziplist) as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Entry<'_> {
    /// The entry as bytes (an integer in decimal).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Entry::Int(v) => itoa::Buffer::new().format(v).as_bytes().to_vec(),
            Entry::Str(s) => s.to_vec(),
        }
    }
}

/// Why a listpack was refused: the byte offset (within the listpack) where it went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub usize);

/// Checks `lp` as Redis's `lpValidateIntegrity` does with deep validation (header size and
/// count, every entry's encoding and backlen inside the bounds, the end byte right after the
/// last entry), calling `f` on every entry in order. Returns the number of entries.
pub fn for_each<'a>(lp: &'a [u8], mut f: impl FnMut(Entry<'a>)) -> Result<usize, Invalid> {
    if lp.len() < HEADER_SIZE + 1 {
        return Err(Invalid(0));
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return Err(Invalid(0));
    }
    if lp[lp.len() - 1] != EOF {
        return Err(Invalid(lp.len() - 1));
    }
    let header_count = u16::from_le_bytes([lp[4], lp[5]]);
    let end = lp.len() - 1;
    let mut p = HEADER_SIZE;
    let mut count = 0usize;
    while p < end {
        let (entry, len) = decode(&lp[..end], p).ok_or(Invalid(p))?;
        let back = backlen_size(len);
        if p + len + back > end {
            return Err(Invalid(p));
        }
        if decode_backlen(&lp[p + len..p + len + back]) != Some(len) {
            return Err(Invalid(p + len));
        }
        f(entry);
        p += len + back;
        count += 1;
    }
    if p != end {
        return Err(Invalid(p));
    }
    if header_count != NUMELE_UNKNOWN && usize::from(header_count) != count {
        return Err(Invalid(4));
    }
    Ok(count)
}

/// The entries of a listpack that [`for_each`] accepted, in order, without checking it again
/// (on anything [`for_each`] would refuse it stops early).
pub fn iter(lp: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    let end = lp.len().saturating_sub(1);
    let mut p = HEADER_SIZE;
    std::iter::from_fn(move || {
        if p >= end {
            return None;
        }
        let (entry, len) = decode(&lp[..end], p)?;
        p += len + backlen_size(len);
        Some(entry)
    })
}

/// Reads the backlen bytes `b` (written left to right) back, as `lpDecodeBacklen` does from
/// the right; None unless they are exactly one backlen.
fn decode_backlen(b: &[u8]) -> Option<usize> {
    let mut val = 0usize;
    for (i, &byte) in b.iter().rev().enumerate() {
        val |= usize::from(byte & 0x7f) << (7 * i);
        let last = i == b.len() - 1;
        if (byte & 0x80 == 0) != last {
            return None;
        }
    }
    Some(val)
}

/// Decodes the entry at `p` (before the backlen): its value and the size of encoding + data.
/// None if the encoding is unknown or the entry runs past `lp`.
fn decode(lp: &[u8], p: usize) -> Option<(Entry<'_>, usize)> {
    let b = *lp.get(p)?;
    let get = |n: usize| lp.get(p + 1..p + 1 + n);
    let str_at = |skip: usize, len: usize| lp.get(p + skip..(p + skip).checked_add(len)?);
    if b & ENC_7BIT_UINT_MASK == 0 {
        return Some((Entry::Int(i64::from(b)), 1));
    }
    if b & ENC_6BIT_STR_MASK == ENC_6BIT_STR {
        let len = usize::from(b & 0x3f);
        return Some((Entry::Str(str_at(1, len)?), 1 + len));
    }
    if b & ENC_13BIT_INT_MASK == ENC_13BIT_INT {
        let lo = *get(1)?.first()?;
        let u = (u16::from(b & 0x1f) << 8) | u16::from(lo);
        // Sign-extend 13 bits.
        let v = i64::from(((u << 3) as i16) >> 3);
        return Some((Entry::Int(v), 2));
    }
    if b & ENC_12BIT_STR_MASK == ENC_12BIT_STR {
        let lo = *get(1)?.first()?;
        let len = (usize::from(b & 0x0f) << 8) | usize::from(lo);
        return Some((Entry::Str(str_at(2, len)?), 2 + len));
    }
    match b {
        ENC_32BIT_STR => {
            let l = get(4)?;
            let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
            Some((Entry::Str(str_at(5, len)?), 5 + len))
        }
        ENC_16BIT_INT => {
            let d = get(2)?;
            Some((Entry::Int(i64::from(i16::from_le_bytes([d[0], d[1]]))), 3))
        }
        ENC_24BIT_INT => {
            let d = get(3)?;
            Some((Entry::Int(i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8)), 4))
        }
        ENC_32BIT_INT => {
            let d = get(4)?;
            Some((Entry::Int(i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]]))), 5))
        }
        ENC_64BIT_INT => {
            let mut a = [0u8; 8];
            a.copy_from_slice(get(8)?);
            Some((Entry::Int(i64::from_le_bytes(a)), 9))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(lp: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for_each(lp, |e| out.push(e.to_vec())).unwrap();
        out
    }

    #[test]
    fn every_encoding_round_trips() {
        let mut values: Vec<Vec<u8>> = Vec::new();
        for v in [
            0i64,
            1,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8388607,
            -8388608,
            8388608,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::from(i32::MAX) + 1,
            i64::MAX,
            i64::MIN,
        ] {
            values.push(v.to_string().into_bytes());
        }
        for len in [0, 1, 63, 64, 127, 128, 4095, 4096, 20000] {
            values.push(vec![b'x'; len]);
        }
        values.extend([b"-0".to_vec(), b"007".to_vec(), b"+1".to_vec(), b"1.5".to_vec()]);
        let mut b = Builder::new();
        for v in &values {
            b.push(v);
        }
        let lp = b.finish();
        assert_eq!(entries(&lp), values);
        assert_eq!(iter(&lp).map(Entry::to_vec).collect::<Vec<_>>(), values);
        for v in &values {
            let mut one = Builder::new();
            one.push(v);
            assert_eq!(one.bytes(), EMPTY_SIZE + entry_size(v), "{v:?}");
        }
        assert_eq!(u16::from_le_bytes([lp[4], lp[5]]) as usize, values.len());
    }

    #[test]
    fn matches_redis_bytes() {
        // HSET h a 1 b hello c -5000 d 70000 on redis-server 7.0.15: the listpack of its DUMP.
        let mut b = Builder::new();
        for s in ["a", "1", "b", "hello", "c", "-5000", "d", "70000"] {
            b.push(s.as_bytes());
        }
        let want = "25000000080081610201018162028568656c6c6f06816302f178ec03816402f270110104ff";
        let got: String = b.finish().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn backlens() {
        for len in [1usize, 127, 128, 16382, 16383, 2097150, 2097151, 268435454, 268435455] {
            let mut buf = Vec::new();
            put_backlen(&mut buf, len);
            assert_eq!(buf.len(), backlen_size(len), "{len}");
            assert_eq!(decode_backlen(&buf), Some(len), "{len}");
        }
    }

    #[test]
    fn corrupt_listpacks_are_refused() {
        let mut b = Builder::new();
        b.push(b"hello");
        b.push(b"12");
        let good = b.finish();
        assert_eq!(for_each(&good, |_| {}), Ok(2));
        for cut in 0..good.len() {
            assert!(for_each(&good[..cut], |_| {}).is_err(), "cut {cut}");
        }
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                // Either refused, or still a well-formed listpack (e.g. a changed letter).
                if let Ok(n) = for_each(&bad, |_| {}) {
                    assert_eq!(n, 2);
                }
            }
        }
    }
}
