//! The compact encodings of older RDB versions, read only (Redis 7.0 converts them on load and
//! never writes them): the ziplist (`ziplist.c`, inside `RDB_TYPE_LIST_ZIPLIST`,
//! `RDB_TYPE_ZSET_ZIPLIST`, `RDB_TYPE_HASH_ZIPLIST` and `RDB_TYPE_LIST_QUICKLIST` nodes), the
//! zipmap (`zipmap.c`, `RDB_TYPE_HASH_ZIPMAP`, Redis 2.x) and the intset (`intset.c`,
//! `RDB_TYPE_SET_INTSET`, still written by 7.0), which is also written here.
//!
//! Each reader performs the deep integrity check Redis does with `sanitize-dump-payload yes`, so
//! nothing built from a blob that passes can be inconsistent.

use super::listpack::{Entry, Invalid};

/// Ziplist header: total bytes (u32 LE), offset of the last entry (u32 LE), count (u16 LE).
const ZL_HEADER_SIZE: usize = 10;
const ZL_END: u8 = 0xff;
/// A previous-entry length of this first byte is followed by the length in 4 bytes.
const ZL_BIG_PREVLEN: u8 = 254;
/// The count when it does not fit the header.
const ZL_COUNT_UNKNOWN: u16 = u16::MAX;

/// Checks `zl` as `ziplistValidateIntegrity` does with deep validation (sizes in the header,
/// every entry's encoding inside the bounds, each entry's record of the previous entry's size,
/// the tail offset, the count), calling `f` on every entry. Returns the number of entries.
pub fn for_each<'a>(zl: &'a [u8], mut f: impl FnMut(Entry<'a>)) -> Result<usize, Invalid> {
    let size = zl.len();
    if size < ZL_HEADER_SIZE + 1 {
        return Err(Invalid(0));
    }
    let u32_at = |p: usize| u32::from_le_bytes([zl[p], zl[p + 1], zl[p + 2], zl[p + 3]]) as usize;
    if u32_at(0) != size || zl[size - 1] != ZL_END {
        return Err(Invalid(0));
    }
    let tail = u32_at(4);
    if tail > size - 1 {
        return Err(Invalid(4));
    }
    let header_count = u16::from_le_bytes([zl[8], zl[9]]);
    let end = size - 1;
    let (mut p, mut prev, mut prev_size, mut count) = (ZL_HEADER_SIZE, None, 0usize, 0usize);
    while zl[p] != ZL_END {
        let (prevlen, entry, entry_size) = entry_at(&zl[..end], p).ok_or(Invalid(p))?;
        if prevlen != prev_size {
            return Err(Invalid(p));
        }
        f(entry);
        prev = Some(p);
        prev_size = entry_size;
        p += entry_size;
        count += 1;
        if p >= end {
            break;
        }
    }
    if p != end {
        return Err(Invalid(p));
    }
    if prev.is_some_and(|last| last != tail) {
        return Err(Invalid(4));
    }
    if header_count != ZL_COUNT_UNKNOWN && usize::from(header_count) != count {
        return Err(Invalid(8));
    }
    Ok(count)
}

/// The entry at `p`: its record of the previous entry's size, its value, its own size.
fn entry_at(zl: &[u8], p: usize) -> Option<(usize, Entry<'_>, usize)> {
    let bytes = |at: usize, n: usize| zl.get(at..at.checked_add(n)?);
    let (prevlen, mut q) = match *zl.get(p)? {
        ZL_BIG_PREVLEN => {
            let b = bytes(p + 1, 4)?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, p + 5)
        }
        b => (usize::from(b), p + 1),
    };
    let enc = *zl.get(q)?;
    q += 1;
    let int = |n: usize| -> Option<[u8; 8]> {
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(bytes(q, n)?);
        Some(a)
    };
    let (entry, data) = match enc >> 6 {
        0 => {
            let len = usize::from(enc & 0x3f);
            (Entry::Str(bytes(q, len)?), len)
        }
        1 => {
            let len = (usize::from(enc & 0x3f) << 8) | usize::from(*zl.get(q)?);
            q += 1;
            (Entry::Str(bytes(q, len)?), len)
        }
        2 => {
            let b = bytes(q, 4)?;
            let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            q += 4;
            (Entry::Str(bytes(q, len)?), len)
        }
        _ => match enc {
            0xc0 => (Entry::Int(i64::from(i16::from_le_bytes(int(2)?[..2].try_into().ok()?))), 2),
            0xd0 => (Entry::Int(i64::from(i32::from_le_bytes(int(4)?[..4].try_into().ok()?))), 4),
            0xe0 => (Entry::Int(i64::from_le_bytes(int(8)?)), 8),
            0xf0 => {
                let a = int(3)?;
                (Entry::Int(i64::from(i32::from_le_bytes([0, a[0], a[1], a[2]]) >> 8)), 3)
            }
            0xfe => (Entry::Int(i64::from(int(1)?[0] as i8)), 1),
            0xf1..=0xfd => (Entry::Int(i64::from(enc & 0x0f) - 1), 0),
            _ => return None,
        },
    };
    Some((prevlen, entry, q + data - p))
}

/// Zipmap: count byte, then per pair: length, field, length, free byte, value, free bytes; 0xFF.
const ZM_BIGLEN: u8 = 254;
const ZM_END: u8 = 0xff;

/// Checks `zm` as `zipmapValidateIntegrity` does with deep validation and calls `f` on every
/// (field, value) pair. Returns the number of pairs (never 0: an empty zipmap is refused).
pub fn zipmap_for_each<'a>(zm: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) -> Result<usize, Invalid> {
    let size = zm.len();
    if size < 2 || zm[size - 1] != ZM_END {
        return Err(Invalid(0));
    }
    let end = size - 1;
    // A length at `p`: (value, bytes it takes); the whole encoding must lie before the end.
    let len_at = |p: usize| -> Option<(usize, usize)> {
        match *zm.get(p)? {
            b if b < ZM_BIGLEN => (p < end).then_some((usize::from(b), 1)),
            _ => {
                let b = zm.get(p + 1..p + 5).filter(|_| p + 5 <= end)?;
                Some((u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 5))
            }
        }
    };
    let mut p = 1;
    let mut count = 0usize;
    while p < end && zm[p] != ZM_END {
        let (flen, s) = len_at(p).ok_or(Invalid(p))?;
        let field_at = p + s;
        let value_len_at = field_at.checked_add(flen).filter(|&q| q < end).ok_or(Invalid(p))?;
        let (vlen, s) = len_at(value_len_at).ok_or(Invalid(value_len_at))?;
        let free = usize::from(*zm.get(value_len_at + s).filter(|_| value_len_at + s < end).ok_or(Invalid(p))?);
        let value_at = value_len_at + s + 1;
        let next = value_at.checked_add(vlen).and_then(|q| q.checked_add(free)).filter(|&q| q <= end);
        let next = next.ok_or(Invalid(value_len_at))?;
        f(&zm[field_at..field_at + flen], &zm[value_at..value_at + vlen]);
        count += 1;
        p = next;
    }
    if p != end || count == 0 {
        return Err(Invalid(p));
    }
    if zm[0] != ZM_BIGLEN && usize::from(zm[0]) != count {
        return Err(Invalid(0));
    }
    Ok(count)
}

/// Intset: encoding (u32 LE: 2, 4 or 8 bytes per member), count (u32 LE), the members sorted
/// ascending, little-endian.
const INTSET_HEADER_SIZE: usize = 8;

/// Checks `is` as `intsetValidateIntegrity` does with deep validation (a known width, a size
/// that matches the count, at least one member, strictly ascending) and returns the members.
pub fn intset_members(is: &[u8]) -> Result<Vec<i64>, Invalid> {
    if is.len() < INTSET_HEADER_SIZE {
        return Err(Invalid(0));
    }
    let width = u32::from_le_bytes([is[0], is[1], is[2], is[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(Invalid(0));
    }
    let count = u32::from_le_bytes([is[4], is[5], is[6], is[7]]) as usize;
    if count == 0 || count.checked_mul(width).and_then(|n| n.checked_add(INTSET_HEADER_SIZE)) != Some(is.len()) {
        return Err(Invalid(4));
    }
    let mut out = Vec::with_capacity(count);
    for (i, chunk) in is[INTSET_HEADER_SIZE..].chunks_exact(width).enumerate() {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([chunk[0], chunk[1]])),
            4 => i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            _ => i64::from_le_bytes(chunk.try_into().expect("8-byte chunk")),
        };
        if out.last().is_some_and(|&prev| prev >= v) {
            return Err(Invalid(INTSET_HEADER_SIZE + i * width));
        }
        out.push(v);
    }
    Ok(out)
}

/// The intset Redis holds for `members` (ascending, distinct), in the narrowest width that fits
/// them all. (Redis never narrows an intset after removals; a set that once held a wide member
/// is written here narrower than Redis would, which both read alike.)
pub fn intset_bytes(members: &[i64]) -> Vec<u8> {
    let fits = |lo: i64, hi: i64| members.iter().all(|v| (lo..=hi).contains(v));
    let width: usize = if fits(i16::MIN.into(), i16::MAX.into()) {
        2
    } else if fits(i32::MIN.into(), i32::MAX.into()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(INTSET_HEADER_SIZE + width * members.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for &v in members {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist as Redis 6 writes it, built by hand from the format.
    fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut last = ZL_HEADER_SIZE;
        for e in entries {
            let start = body.len();
            last = ZL_HEADER_SIZE + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(ZL_BIG_PREVLEN);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match std::str::from_utf8(e).ok().and_then(|s| s.parse::<i64>().ok()) {
                Some(v @ 0..=12) => body.push(0xf1 + v as u8),
                Some(v) if i8::try_from(v).is_ok() => body.extend_from_slice(&[0xfe, v as u8]),
                Some(v) if i16::try_from(v).is_ok() => {
                    body.push(0xc0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xf0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Some(v) if i32::try_from(v).is_ok() => {
                    body.push(0xd0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Some(v) => {
                    body.push(0xe0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                None if e.len() < 64 => {
                    body.push(e.len() as u8);
                    body.extend_from_slice(e);
                }
                None if e.len() < 16384 => {
                    body.push(0x40 | (e.len() >> 8) as u8);
                    body.push(e.len() as u8);
                    body.extend_from_slice(e);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(e.len() as u32).to_be_bytes());
                    body.extend_from_slice(e);
                }
            }
            prev = body.len() - start;
        }
        let mut zl = Vec::new();
        zl.extend_from_slice(&((ZL_HEADER_SIZE + body.len() + 1) as u32).to_le_bytes());
        zl.extend_from_slice(&(last as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(ZL_END);
        zl
    }

    #[test]
    fn ziplists_read_back() {
        let big = vec![b'q'; 300];
        let huge = vec![b'z'; 20000];
        let entries: Vec<&[u8]> = vec![
            b"a",
            b"0",
            b"12",
            b"13",
            b"-1",
            b"-128",
            b"300",
            b"-70000",
            b"8388608",
            b"-2147483648",
            b"9999999999",
            &big,
            b"after",
            &huge,
            b"",
        ];
        let zl = ziplist(&entries);
        let mut got = Vec::new();
        assert_eq!(for_each(&zl, |e| got.push(e.to_vec())), Ok(entries.len()));
        assert_eq!(got, entries.iter().map(|e| e.to_vec()).collect::<Vec<_>>());
        for cut in 0..zl.len() {
            assert!(for_each(&zl[..cut], |_| {}).is_err());
        }
        // A wrong count, tail offset or previous-entry length is refused.
        for at in [4usize, 8, ZL_HEADER_SIZE + 3] {
            let mut bad = zl.clone();
            bad[at] ^= 1;
            assert!(for_each(&bad, |_| {}).is_err(), "byte {at}");
        }
    }

    #[test]
    fn zipmaps_read_back() {
        // {"foo": "bar", "hello": "world"}, with 2 free bytes after "bar".
        let zm = b"\x02\x03foo\x03\x02barXX\x05hello\x05\x00world\xff";
        let mut got = Vec::new();
        assert_eq!(zipmap_for_each(zm, |f, v| got.push((f.to_vec(), v.to_vec()))), Ok(2));
        assert_eq!(got, vec![(b"foo".to_vec(), b"bar".to_vec()), (b"hello".to_vec(), b"world".to_vec())]);
        for cut in 0..zm.len() {
            assert!(zipmap_for_each(&zm[..cut], |_, _| {}).is_err());
        }
        assert!(zipmap_for_each(b"\x03\x03foo\x03\x00bar\xff", |_, _| {}).is_err(), "wrong count");
        assert!(zipmap_for_each(b"\x00\xff", |_, _| {}).is_err(), "empty");
    }

    #[test]
    fn intsets_round_trip() {
        for members in [vec![1i64, 5, 300], vec![-70000, 1], vec![i64::MIN, 0, i64::MAX]] {
            let is = intset_bytes(&members);
            assert_eq!(intset_members(&is), Ok(members));
        }
        assert_eq!(intset_bytes(&[-3, 1, 5]), b"\x02\x00\x00\x00\x03\x00\x00\x00\xfd\xff\x01\x00\x05\x00");
        assert!(intset_members(&intset_bytes(&[])).is_err());
        assert!(intset_members(b"\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00").is_err(), "unsorted");
        assert!(intset_members(b"\x03\x00\x00\x00\x01\x00\x00\x00\x05\x00\x01").is_err(), "width");
    }
}
