//! Bitmaps: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, over string
//! values, as Redis 7.0 answers them.
//!
//! Bit 0 is the most significant bit of byte 0. A missing key reads as an endless run of zero
//! bits; a write past the end grows the string with zero bytes (up to `proto-max-bulk-len`).
//! Counting goes a machine word at a time (`count_ones`).
//!
//! BITOP's sources and destination may live on several shards: then it runs as one
//! transaction through the coordinator (every key locked, the sources read, the result stored),
//! so no one sees a half-made result, as Redis's single thread gives it.

use super::flag::*;
use super::{cmd, int_arg, multi, Cx, Flow, Handler, KeyCx, Spec};
use crate::coord::gather;
use crate::error::CmdError;
use crate::pubsub::notify::class::{GENERIC, STRING};
use crate::shard::Core;
use crate::store::value::{Kind, Value};

type R = Result<(), CmdError>;
type F = Result<Flow, CmdError>;

const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// A bit offset argument (`#n` counts in units of `hash_bits`, BITFIELD's form), below
/// `proto-max-bulk-len` bytes.
fn bit_offset(core: &Core, arg: &[u8], hash_bits: Option<u64>) -> Result<u64, CmdError> {
    let err = || CmdError::other(OFFSET_ERR);
    let (digits, unit) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits),
        _ => (arg, 1),
    };
    let n = std::str::from_utf8(digits).ok().and_then(parse_ll).ok_or_else(err)?;
    let n = n.checked_mul(unit as i64).ok_or_else(err)?;
    if n < 0 || (n as u64 >> 3) >= core.config.proto_max_bulk_len {
        return Err(err());
    }
    Ok(n as u64)
}

/// Redis's string2ll: an optional minus, digits, no leading zeros or plus sign.
fn parse_ll(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// The string at `key` for a write reaching bit `maxbit`: created (zeros) or grown as needed
/// (`true`: it was).
fn string_for_bits<'a>(cx: &'a mut KeyCx, key: &[u8], maxbit: u64) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let bytes = (maxbit >> 3) as usize + 1;
    let mut grew = match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => return Err(CmdError::WrongType),
        Some(_) => false,
        None => {
            cx.core.put(cx.db, key, Value::raw(vec![0; bytes]), 0);
            true
        }
    };
    let (v, _) = cx.core.live(cx.db, key).expect("there");
    let buf = v.make_raw();
    if buf.len() < bytes {
        buf.resize(bytes, 0);
        grew = true;
    }
    Ok((buf, grew))
}

/// A string key's bytes for reading, in place (None: missing; `scratch` holds an integer's
/// digits).
fn string_at<'a>(
    core: &'a mut Core,
    db: usize,
    key: &[u8],
    scratch: &'a mut itoa::Buffer,
) -> Result<Option<&'a [u8]>, CmdError> {
    match core.read(db, key) {
        Some((v, _)) if v.kind() != Kind::String => Err(CmdError::WrongType),
        Some((v, _)) => Ok(Some(v.as_bytes(scratch))),
        None => Ok(None),
    }
}

/// The same, copied out.
fn read_bytes(core: &mut Core, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
    Ok(string_at(core, db, key, &mut itoa::Buffer::new())?.map(<[u8]>::to_vec))
}

/// SETBIT key offset value
fn setbit(cx: &mut KeyCx) -> R {
    let offset = bit_offset(cx.core, cx.argv.get(2), None)?;
    let on = match cx.argv.get(3) {
        b"0" => 0u8,
        b"1" => 1u8,
        _ => return Err(CmdError::other("ERR bit is not an integer or out of range")),
    };
    let key = cx.argv.get(1);
    let (buf, grew) = string_for_bits(cx, key, offset)?;
    let (byte, shift) = ((offset >> 3) as usize, 7 - (offset & 7) as u8);
    let old = (buf[byte] >> shift) & 1;
    buf[byte] = (buf[byte] & !(1 << shift)) | (on << shift);
    // As Redis 7.0: an event only when the string was made, grew, or the bit changed.
    if grew || old != on {
        cx.core.signal_modified(cx.db, key);
        cx.core.notify(STRING, "setbit", cx.db, key);
    }
    cx.out.int(old as i64);
    Ok(())
}

/// GETBIT key offset
fn getbit(cx: &mut KeyCx) -> R {
    let offset = bit_offset(cx.core, cx.argv.get(2), None)?;
    let key = cx.argv.get(1);
    let mut scratch = itoa::Buffer::new();
    let bytes = string_at(cx.core, cx.db, key, &mut scratch)?.unwrap_or_default();
    let bit = bytes.get((offset >> 3) as usize).map_or(0, |b| (b >> (7 - (offset & 7))) & 1);
    cx.out.int(bit as i64);
    Ok(())
}

/// Set bits in `bytes`, a word at a time, with the CPU's POPCNT where it has one (the build
/// targets plain x86-64, whose `count_ones` is a sequence of shifts and masks).
pub fn popcount(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the instruction, checked just above.
        return unsafe { popcount_popcnt(bytes) };
    }
    popcount_words(bytes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn popcount_popcnt(bytes: &[u8]) -> u64 {
    popcount_words(bytes)
}

#[inline(always)]
fn popcount_words(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut n: u64 =
        words.by_ref().map(|w| u64::from_ne_bytes(w.try_into().expect("8 bytes")).count_ones() as u64).sum();
    n += words.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>();
    n
}

/// A range argument pair resolved as Redis resolves it against `len` units: None when empty.
fn resolve(mut start: i64, mut end: i64, len: i64) -> Option<(i64, i64)> {
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    (start <= end).then_some((start, end))
}

/// BYTE or BIT, Redis's unit names for BITCOUNT and BITPOS ranges.
fn is_bit_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Counts the set bits of `bytes` between bit `from` and bit `to`, both included.
fn count_bits(bytes: &[u8], from: u64, to: u64) -> u64 {
    let (first, last) = ((from >> 3) as usize, (to >> 3) as usize);
    let mut n = popcount(&bytes[first..=last]);
    // Take off the bits of the edge bytes outside the range.
    n -= (bytes[first] & !(0xffu8 >> (from & 7))).count_ones() as u64;
    n -= (bytes[last] & (0xffu32 >> ((to & 7) + 1)) as u8).count_ones() as u64;
    n
}

/// BITCOUNT key [start end [BYTE|BIT]]
fn bitcount(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let mut scratch = itoa::Buffer::new();
    let Some(bytes) = string_at(cx.core, cx.db, key, &mut scratch)? else {
        cx.out.int(0);
        return Ok(());
    };
    let argc = cx.argv.len();
    let (from, to) = match argc {
        2 => match bytes.len() {
            0 => None,
            n => Some((0, n as u64 * 8 - 1)),
        },
        4 | 5 => {
            let start = int_arg(cx.argv.get(2))?;
            let end = int_arg(cx.argv.get(3))?;
            // Redis answers an empty negative range before it reads the unit.
            let empty = start < 0 && end < 0 && start > end;
            let bit = !empty && argc == 5 && is_bit_unit(cx.argv.get(4))?;
            let len = bytes.len() as i64 * if bit { 8 } else { 1 };
            if empty {
                None
            } else if bit {
                resolve(start, end, len).map(|(s, e)| (s as u64, e as u64))
            } else {
                resolve(start, end, len).map(|(s, e)| (s as u64 * 8, e as u64 * 8 + 7))
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    .unzip();
    let n = match (from, to) {
        (Some(f), Some(t)) => count_bits(bytes, f, t),
        _ => 0,
    };
    cx.out.int(n as i64);
    Ok(())
}

/// The first bit equal to `bit` in `bytes` between bits `from` and `to` (both included).
fn find_bit(bytes: &[u8], bit: bool, from: u64, to: u64) -> Option<u64> {
    let skip = if bit { 0u8 } else { 0xff };
    let mut at = from;
    // Bit by bit to a byte boundary, whole bytes (words could come later) while they hold
    // nothing wanted, then bit by bit again.
    while at <= to {
        if at & 7 == 0 && at + 7 <= to && bytes[(at >> 3) as usize] == skip {
            at += 8;
            continue;
        }
        let b = (bytes[(at >> 3) as usize] >> (7 - (at & 7))) & 1 == 1;
        if b == bit {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
fn bitpos(cx: &mut KeyCx) -> R {
    let bit = match int_arg(cx.argv.get(2))? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::other("ERR The bit argument must be 1 or 0.")),
    };
    let key = cx.argv.get(1);
    let mut scratch = itoa::Buffer::new();
    let Some(bytes) = string_at(cx.core, cx.db, key, &mut scratch)? else {
        cx.out.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let argc = cx.argv.len();
    let len = bytes.len() as i64;
    let (range, end_given) = match argc {
        3 => (resolve(0, len - 1, len).map(|(s, e)| (s as u64 * 8, e as u64 * 8 + 7)), false),
        4..=6 => {
            let start = int_arg(cx.argv.get(3))?;
            let unit_bit = argc == 6 && is_bit_unit(cx.argv.get(5))?;
            let end = if argc >= 5 {
                int_arg(cx.argv.get(4))?
            } else if unit_bit {
                len * 8 + 7
            } else {
                len - 1
            };
            let range = if unit_bit {
                resolve(start, end, len * 8).map(|(s, e)| (s as u64, e as u64))
            } else {
                resolve(start, end, len).map(|(s, e)| (s as u64 * 8, e as u64 * 8 + 7))
            };
            (range, argc >= 5)
        }
        _ => return Err(CmdError::Syntax),
    };
    let pos = match range {
        None => -1,
        Some((from, to)) => match find_bit(bytes, bit, from, to) {
            Some(p) => p as i64,
            // Looking for a clear bit with no end given, the string goes on with zeros.
            None if !bit && !end_given => ((to >> 3) + 1) as i64 * 8,
            None => -1,
        },
    };
    cx.out.int(pos);
    Ok(())
}

/// BITOP's operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn parse_op(cx_argv: &super::Argv) -> Result<Op, CmdError> {
    let name = cx_argv.get(1);
    let op = if name.eq_ignore_ascii_case(b"and") {
        Op::And
    } else if name.eq_ignore_ascii_case(b"or") {
        Op::Or
    } else if name.eq_ignore_ascii_case(b"xor") {
        Op::Xor
    } else if name.eq_ignore_ascii_case(b"not") {
        Op::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == Op::Not && cx_argv.len() != 4 {
        return Err(CmdError::other("ERR BITOP NOT must be called with a single source key."));
    }
    Ok(op)
}

/// The result of `op` over `sources` (missing keys are empty strings, shorter ones padded
/// with zero bytes).
fn compute(op: Op, sources: &[Option<Vec<u8>>]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.as_ref().map_or(0, Vec::len)).max().unwrap_or(0);
    let byte = |s: &Option<Vec<u8>>, i: usize| s.as_ref().and_then(|b| b.get(i).copied()).unwrap_or(0);
    let mut out = vec![0u8; len];
    match op {
        Op::Not => out.iter_mut().enumerate().for_each(|(i, o)| *o = !byte(&sources[0], i)),
        _ => {
            for (k, s) in sources.iter().enumerate() {
                for (i, o) in out.iter_mut().enumerate() {
                    let b = byte(s, i);
                    *o = match (k, op) {
                        (0, _) => b,
                        (_, Op::And) => *o & b,
                        (_, Op::Or) => *o | b,
                        _ => *o ^ b,
                    };
                }
            }
        }
    }
    out
}

/// Stores BITOP's result at `dst`: an empty one deletes it.
fn store(core: &mut Core, db: usize, dst: &[u8], result: Vec<u8>) {
    if result.is_empty() {
        if core.del(db, dst).is_some() {
            core.notify(GENERIC, "del", db, dst);
            core.signal_modified(db, dst);
        }
        return;
    }
    core.put(db, dst, Value::raw(result), 0);
    core.notify(STRING, "set", db, dst);
    core.signal_modified(db, dst);
}

/// BITOP op destkey key [key ...], every key on this shard.
fn bitop(cx: &mut KeyCx) -> R {
    let op = parse_op(&cx.argv)?;
    let mut sources = Vec::with_capacity(cx.argv.len() - 3);
    for i in 3..cx.argv.len() {
        let key = cx.argv.get(i);
        sources.push(read_bytes(cx.core, cx.db, key)?);
    }
    let result = compute(op, &sources);
    let n = result.len() as i64;
    store(cx.core, cx.db, cx.argv.get(2), result);
    cx.out.int(n);
    Ok(())
}

/// BITOP with keys on several shards: one transaction reads the sources and stores the result.
fn bitop_spread(cx: &mut Cx) -> F {
    let op = parse_op(&cx.argv)?;
    let dst = cx.argv.get(2).to_vec();
    let sources: Vec<Vec<u8>> = (3..cx.argv.len()).map(|i| cx.argv.get(i).to_vec()).collect();
    gather::read_then_store(
        cx,
        sources,
        Some(dst),
        read_bytes,
        move |found| {
            let values: Result<Vec<Option<Vec<u8>>>, CmdError> =
                found.into_iter().map(|v| v.unwrap_or(Ok(None))).collect();
            match values {
                Err(e) => gather::Outcome::error(e),
                Ok(values) => {
                    let result = compute(op, &values);
                    let n = result.len() as i64;
                    gather::Outcome { store: Some(result), reply: Box::new(move |out| out.int(n)) }
                }
            }
        },
        |core, db, dst, result| {
            store(core, db, dst, result);
            Ok(())
        },
    )
}

/// BITFIELD's overflow behaviours.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set(i64),
    Incr(i64),
}

/// One BITFIELD operation: what, on which field, under which overflow rule.
struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// `i1`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let err = || {
        CmdError::other(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err()),
    };
    let bits = std::str::from_utf8(&arg[1..]).ok().and_then(parse_ll).ok_or_else(err)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

fn parse_fields(cx: &KeyCx) -> Result<Vec<Field>, CmdError> {
    let argv = &cx.argv;
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let rem = argv.len() - j - 1;
        let sub = argv.get(j);
        let kind = if sub.eq_ignore_ascii_case(b"get") && rem >= 2 {
            0
        } else if sub.eq_ignore_ascii_case(b"set") && rem >= 3 {
            1
        } else if sub.eq_ignore_ascii_case(b"incrby") && rem >= 3 {
            2
        } else if sub.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            let name = argv.get(j + 1);
            overflow = if name.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if name.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if name.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::other("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(argv.get(j + 1))?;
        let offset = bit_offset(cx.core, argv.get(j + 2), Some(bits as u64))?;
        let op = match kind {
            0 => FieldOp::Get,
            1 => FieldOp::Set(int_arg(argv.get(j + 3))?),
            _ => FieldOp::Incr(int_arg(argv.get(j + 3))?),
        };
        fields.push(Field { op, signed, bits, offset, overflow });
        j += if kind == 0 { 3 } else { 4 };
    }
    Ok(fields)
}

/// The `bits`-bit field at bit `offset` as an unsigned number (bytes past the end read as 0).
fn get_field(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        let at = offset + i;
        let bit = bytes.get((at >> 3) as usize).map_or(0, |b| (b >> (7 - (at & 7))) & 1);
        v = (v << 1) | bit as u64;
    }
    v
}

fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let at = offset + i;
        let bit = ((value >> (bits as u64 - 1 - i)) & 1) as u8;
        let (byte, shift) = ((at >> 3) as usize, 7 - (at & 7) as u8);
        bytes[byte] = (bytes[byte] & !(1 << shift)) | (bit << shift);
    }
}

fn signed_of(raw: u64, bits: u32) -> i64 {
    if bits == 64 {
        raw as i64
    } else {
        ((raw << (64 - bits)) as i64) >> (64 - bits)
    }
}

/// Redis's overflow rule for an unsigned field holding `value` plus `incr`: the value to
/// store, and whether it overflowed.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, rule: Overflow) -> (u64, bool) {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        (if rule == Overflow::Sat { max } else { wrap() }, true)
    } else if incr < 0 && incr < min_incr {
        (if rule == Overflow::Sat { 0 } else { wrap() }, true)
    } else {
        (value.wrapping_add(incr as u64), false)
    }
}

/// The same for a signed field.
fn signed_overflow(value: i64, incr: i64, bits: u32, rule: Overflow) -> (i64, bool) {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let c = (value as u64).wrapping_add(incr as u64);
        signed_of(c & if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 }, bits)
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        (if rule == Overflow::Sat { max } else { wrap() }, true)
    } else if value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr) {
        (if rule == Overflow::Sat { min } else { wrap() }, true)
    } else {
        (value.wrapping_add(incr), false)
    }
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
fn bitfield(cx: &mut KeyCx) -> R {
    bitfield_with(cx, false)
}

/// BITFIELD_RO key [GET type offset] ...
fn bitfield_ro(cx: &mut KeyCx) -> R {
    bitfield_with(cx, true)
}

fn bitfield_with(cx: &mut KeyCx, read_only: bool) -> R {
    let fields = parse_fields(cx)?;
    let key = cx.argv.get(1);
    let writes = fields.iter().filter(|f| f.op != FieldOp::Get).map(|f| f.offset + f.bits as u64 - 1).max();
    let Some(maxbit) = writes else {
        let bytes = read_bytes(cx.core, cx.db, key)?.unwrap_or_default();
        cx.out.array(fields.len());
        for f in &fields {
            let raw = get_field(&bytes, f.offset, f.bits);
            cx.out.int(if f.signed { signed_of(raw, f.bits) } else { raw as i64 });
        }
        return Ok(());
    };
    if read_only {
        return Err(CmdError::other("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let (buf, grew) = string_for_bits(cx, key, maxbit)?;
    let mut replies: Vec<Option<i64>> = Vec::with_capacity(fields.len());
    let mut changes = 0;
    for f in &fields {
        let raw = get_field(buf, f.offset, f.bits);
        let (incr, is_set) = match f.op {
            FieldOp::Get => {
                replies.push(Some(if f.signed { signed_of(raw, f.bits) } else { raw as i64 }));
                continue;
            }
            FieldOp::Set(v) => (v, true),
            FieldOp::Incr(v) => (v, false),
        };
        let (new, old, failed) = if f.signed {
            let old = signed_of(raw, f.bits);
            let (new, over) = if is_set {
                signed_overflow(incr, 0, f.bits, f.overflow)
            } else {
                signed_overflow(old, incr, f.bits, f.overflow)
            };
            (new as u64, old, over && f.overflow == Overflow::Fail)
        } else {
            let (new, over) = if is_set {
                unsigned_overflow(incr as u64, 0, f.bits, f.overflow)
            } else {
                unsigned_overflow(raw, incr, f.bits, f.overflow)
            };
            (new, raw as i64, over && f.overflow == Overflow::Fail)
        };
        if failed {
            replies.push(None);
            continue;
        }
        let mask = if f.bits == 64 { u64::MAX } else { (1u64 << f.bits) - 1 };
        set_field(buf, f.offset, f.bits, new & mask);
        // As Redis 7.0: a write counts when it changed the bits or the string was made or grown
        // for the command (a command whose every write failed signals nothing, even then).
        changes += (grew || new & mask != raw) as usize;
        let shown = if f.signed { signed_of(new & mask, f.bits) } else { (new & mask) as i64 };
        replies.push(Some(if is_set { old } else { shown }));
    }
    if changes > 0 {
        cx.core.signal_modified(cx.db, key);
        cx.core.notify(STRING, "setbit", cx.db, key);
    }
    cx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => cx.out.int(n),
            None => cx.out.null(),
        }
    }
    Ok(())
}

const RB: &[&str] = &["@read", "@bitmap", "@slow"];
const RBF: &[&str] = &["@read", "@bitmap", "@fast"];
const WB: &[&str] = &["@write", "@bitmap", "@slow"];

pub const SPECS: &[Spec] = &[
    cmd("setbit", 4, WRITE | DENYOOM | SIGNALS, (1, 1, 1), WB, Handler::Key(setbit)),
    cmd("getbit", 3, READONLY | FAST, (1, 1, 1), RBF, Handler::Key(getbit)),
    cmd("bitcount", -2, READONLY, (1, 1, 1), RB, Handler::Key(bitcount)),
    cmd("bitpos", -3, READONLY, (1, 1, 1), RB, Handler::Key(bitpos)),
    multi("bitop", -4, WRITE | DENYOOM | SIGNALS, (2, -1, 1), WB, Handler::Key(bitop), bitop_spread),
    cmd("bitfield", -2, WRITE | DENYOOM | SIGNALS, (1, 1, 1), WB, Handler::Key(bitfield)),
    cmd("bitfield_ro", -2, READONLY | FAST, (1, 1, 1), RBF, Handler::Key(bitfield_ro)),
];
