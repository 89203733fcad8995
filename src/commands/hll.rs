//! HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST, in Redis's own string format,
//! so that a HyperLogLog's bytes (GET, DUMP, RDB) mean the same on both servers.
//!
//! The format (Redis's `hyperloglog.c`, described here from its documentation): a 16-byte
//! header (`HYLL`, the encoding, 3 unused bytes, the cached cardinality as 8 little-endian
//! bytes whose top bit marks it stale), then 16384 registers of 6 bits. *Dense*: the registers
//! packed, least significant bits first, 12288 bytes. *Sparse*: runs of opcodes, ZERO
//! (`00xxxxxx`, 1-64 zero registers), XZERO (`01xxxxxx yyyyyyyy`, 1-16384 zero registers) and
//! VAL (`1vvvvvxx`, 1-4 registers of value 1-32). A new HyperLogLog is sparse; it turns dense
//! when a register passes 32 or the string would pass `hll-sparse-max-bytes`. An element's
//! register and count come from MurmurHash64A (seed `0xadc83b19`): the low 14 bits pick the
//! register, the run of zeros above them (plus one) is the count. The cardinality is Otmar
//! Ertl's estimator over the registers' histogram, as Redis 7.0 computes it.
//!
//! PFCOUNT of one key caches the cardinality in the header, so it writes (WATCH and tracking
//! see it, the snapshot copies before it). PFCOUNT of several keys and PFMERGE across shards
//! run as one transaction through the coordinator.

use super::flag::*;
use super::{cmd, multi, Cx, Flow, Handler, KeyCx, Spec};
use crate::coord::gather;
use crate::error::CmdError;
use crate::pubsub::notify::class::STRING;
use crate::shard::Core;
use crate::store::value::{Kind, Value};

type R = Result<(), CmdError>;
type F = Result<Flow, CmdError>;

const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const HDR: usize = 16;
const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// What can be wrong with a key a HyperLogLog command reads.
#[derive(Clone, Copy, Debug)]
enum Bad {
    WrongType,
    NotHll,
    Corrupt,
}

impl From<Bad> for CmdError {
    fn from(b: Bad) -> CmdError {
        match b {
            Bad::WrongType => CmdError::WrongType,
            Bad::NotHll => CmdError::other(NOT_HLL),
            Bad::Corrupt => CmdError::other(CORRUPT),
        }
    }
}

/// MurmurHash64A, little-endian, as Redis hashes HyperLogLog elements.
fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in words.by_ref() {
        let mut k = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate().rev() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register `element` goes to and the count it brings.
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A new, empty HyperLogLog: sparse, all registers in XZERO runs.
fn new_hll() -> Vec<u8> {
    let mut s = Vec::with_capacity(HDR + 2);
    s.extend_from_slice(b"HYLL");
    s.push(SPARSE);
    s.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        push_xzero(&mut s, run);
        left -= run;
    }
    s
}

fn push_xzero(s: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    s.push((l >> 8) as u8 | 0x40);
    s.push((l & 0xff) as u8);
}

fn val_op(value: u8, len: usize) -> u8 {
    ((value - 1) << 2) | (len as u8 - 1) | 0x80
}

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}

fn xzero_len(b0: u8, b1: u8) -> usize {
    ((((b0 & 0x3f) as usize) << 8) | b1 as usize) + 1
}

fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}

fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}

/// Is `bytes` a HyperLogLog (Redis's check: header, known encoding, a dense one's size)?
fn check(bytes: &[u8]) -> Result<(), Bad> {
    if bytes.len() < HDR || &bytes[..4] != b"HYLL" || bytes[4] > SPARSE {
        return Err(Bad::NotHll);
    }
    if bytes[4] == DENSE && bytes.len() != DENSE_SIZE {
        return Err(Bad::NotHll);
    }
    Ok(())
}

fn invalidate(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let (byte, fb) = (i * 6 / 8, (i * 6) & 7);
    let b0 = regs[byte] as u16;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

fn dense_set(regs: &mut [u8], i: usize, v: u8) {
    let (byte, fb) = (i * 6 / 8, (i * 6) & 7);
    let v = v as u16;
    regs[byte] = (regs[byte] as u16 & !(63u16 << fb) | (v << fb)) as u8;
    if byte + 1 < regs.len() {
        let fb8 = 8 - fb;
        regs[byte + 1] = ((regs[byte + 1] as u16 & !(63u16 >> fb8)) | (v >> fb8)) as u8;
    }
}

/// Sets register `i` of a dense HyperLogLog to `count` if that is more: whether it was.
fn dense_add(bytes: &mut [u8], i: usize, count: u8) -> bool {
    let regs = &mut bytes[HDR..];
    if dense_get(regs, i) < count {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

/// Rewrites a sparse HyperLogLog as dense, keeping its header (and cached cardinality).
fn to_dense(bytes: &mut Vec<u8>) -> Result<(), Bad> {
    if bytes[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&bytes[..HDR]);
    dense[4] = DENSE;
    each_value_run(bytes, |first, len, value| {
        (first..first + len).for_each(|i| dense_set(&mut dense[HDR..], i, value));
    })?;
    *bytes = dense;
    Ok(())
}

/// Walks a sparse HyperLogLog's runs, calling `f(first register, length, value)` for each VAL
/// run: Corrupt unless the runs cover every register exactly (a run past the end stops the walk,
/// as Redis's does).
fn each_value_run(bytes: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Result<(), Bad> {
    let mut idx = 0;
    let mut p = HDR;
    while p < bytes.len() {
        let b = bytes[p];
        if is_zero(b) {
            idx += zero_len(b);
            p += 1;
        } else if is_xzero(b) {
            idx += xzero_len(b, bytes.get(p + 1).copied().unwrap_or(0));
            p += 2;
        } else {
            let (len, value) = (val_len(b), val_value(b));
            if idx + len > REGISTERS {
                break;
            }
            f(idx, len, value);
            idx += len;
            p += 1;
        }
    }
    if idx != REGISTERS {
        return Err(Bad::Corrupt);
    }
    Ok(())
}

/// Sets register `index` of a sparse HyperLogLog to `count` if that is more, splitting the run
/// that holds it as Redis does (turning dense past `max_bytes` or a count above 32): whether
/// it changed.
fn sparse_set(bytes: &mut Vec<u8>, index: usize, count: u8, max_bytes: u64) -> Result<bool, Bad> {
    if count > VAL_MAX_VALUE {
        return promote(bytes, index, count);
    }
    // Find the opcode covering `index`.
    let end = bytes.len();
    let (mut p, mut first, mut span, mut prev) = (HDR, 0usize, 0usize, None);
    while p < end {
        let b = bytes[p];
        let oplen;
        if is_zero(b) {
            span = zero_len(b);
            oplen = 1;
        } else if b & 0x80 != 0 {
            span = val_len(b);
            oplen = 1;
        } else {
            span = xzero_len(b, bytes.get(p + 1).copied().unwrap_or(0));
            oplen = 2;
        }
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Bad::Corrupt);
    }
    let b = bytes[p];
    let (zero, xzero) = (is_zero(b), is_xzero(b));
    let runlen = span;
    if !zero && !xzero {
        let old = val_value(b);
        if old >= count {
            return Ok(false);
        }
        if runlen == 1 {
            bytes[p] = val_op(count, 1);
            merge_adjacent(bytes, prev.unwrap_or(HDR));
            invalidate(bytes);
            return Ok(true);
        }
    }
    if zero && runlen == 1 {
        bytes[p] = val_op(count, 1);
        merge_adjacent(bytes, prev.unwrap_or(HDR));
        invalidate(bytes);
        return Ok(true);
    }
    // The general case: split the run into (before, our register, after).
    let last = first + span - 1;
    let mut seq: Vec<u8> = Vec::with_capacity(5);
    let push_zeros = |seq: &mut Vec<u8>, len: usize| {
        if len > ZERO_MAX_LEN {
            push_xzero(seq, len);
        } else {
            seq.push((len - 1) as u8);
        }
    };
    if zero || xzero {
        if index != first {
            push_zeros(&mut seq, index - first);
        }
        seq.push(val_op(count, 1));
        if index != last {
            push_zeros(&mut seq, last - index);
        }
    } else {
        let cur = val_value(b);
        if index != first {
            seq.push(val_op(cur, index - first));
        }
        seq.push(val_op(count, 1));
        if index != last {
            seq.push(val_op(cur, last - index));
        }
    }
    let old_len = if xzero { 2 } else { 1 };
    if seq.len() > old_len && (bytes.len() + seq.len() - old_len) as u64 > max_bytes {
        return promote(bytes, index, count);
    }
    bytes.splice(p..p + old_len, seq);
    merge_adjacent(bytes, prev.unwrap_or(HDR));
    invalidate(bytes);
    Ok(true)
}

/// After an update: adjacent VAL opcodes of one value merge while their runs fit (up to five
/// opcodes from `from`, as Redis scans).
fn merge_adjacent(bytes: &mut Vec<u8>, from: usize) {
    let mut p = from;
    let mut scan = 5;
    while p < bytes.len() && scan > 0 {
        scan -= 1;
        let b = bytes[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < bytes.len() && bytes[p + 1] & 0x80 != 0 {
            let next = bytes[p + 1];
            if val_value(b) == val_value(next) {
                let len = val_len(b) + val_len(next);
                if len <= VAL_MAX_LEN {
                    bytes[p + 1] = val_op(val_value(b), len);
                    bytes.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
}

fn promote(bytes: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Bad> {
    to_dense(bytes)?;
    let changed = dense_add(bytes, index, count);
    debug_assert!(changed, "a promotion always changes a register");
    invalidate(bytes);
    Ok(true)
}

/// Adds `element`: whether a register changed.
fn add(bytes: &mut Vec<u8>, element: &[u8], max_bytes: u64) -> Result<bool, Bad> {
    let (index, count) = pattern(element);
    if bytes[4] == DENSE {
        let changed = dense_add(bytes, index, count);
        if changed {
            invalidate(bytes);
        }
        Ok(changed)
    } else {
        sparse_set(bytes, index, count, max_bytes)
    }
}

/// Folds a HyperLogLog's registers into `max` (the larger of each).
fn merge_into(max: &mut [u8], bytes: &[u8]) -> Result<(), Bad> {
    if bytes[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(&bytes[HDR..], i));
        }
        return Ok(());
    }
    each_value_run(bytes, |first, len, value| {
        for m in &mut max[first..first + len] {
            *m = (*m).max(value);
        }
    })
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// Ertl's estimate from the registers' histogram, as Redis computes it.
fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histogram[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn histogram_of_registers(regs: impl Iterator<Item = u8>) -> [u32; 64] {
    let mut h = [0u32; 64];
    regs.for_each(|r| h[r as usize & 63] += 1);
    h
}

/// The cardinality of one HyperLogLog's registers.
fn count_of(bytes: &[u8]) -> Result<u64, Bad> {
    if bytes[4] == DENSE {
        return Ok(estimate(&histogram_of_registers((0..REGISTERS).map(|i| dense_get(&bytes[HDR..], i)))));
    }
    let mut max = vec![0u8; REGISTERS];
    merge_into(&mut max, bytes)?;
    Ok(estimate(&histogram_of_registers(max.into_iter())))
}

/// The HyperLogLog at `key` for reading: None when missing.
fn read_hll<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a mut Vec<u8>>, Bad> {
    match core.read(db, key) {
        None => Ok(None),
        Some((v, _)) if v.kind() != Kind::String => Err(Bad::WrongType),
        Some((v, _)) => {
            let bytes = v.make_raw();
            check(bytes)?;
            Ok(Some(bytes))
        }
    }
}

/// PFADD key [element ...]
fn pfadd(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let max_bytes = cx.core.config.hll_sparse_max_bytes;
    let mut updated = match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => return Err(CmdError::WrongType),
        Some((v, _)) => {
            check(v.make_raw())?;
            false
        }
        None => {
            cx.core.put(cx.db, key, Value::raw(new_hll()), 0);
            true
        }
    };
    let (v, _) = cx.core.live(cx.db, key).expect("there");
    let bytes = v.make_raw();
    for i in 2..cx.argv.len() {
        updated |= add(bytes, cx.argv.get(i), max_bytes)?;
    }
    if updated {
        invalidate(bytes);
        cx.core.notify(STRING, "pfadd", cx.db, key);
    }
    cx.out.int(updated as i64);
    Ok(())
}

/// PFCOUNT key [key ...], every key on this shard.
fn pfcount(cx: &mut KeyCx) -> R {
    if cx.argv.len() > 2 {
        let mut max = vec![0u8; REGISTERS];
        for i in 1..cx.argv.len() {
            if let Some(bytes) = read_hll(cx.core, cx.db, cx.argv.get(i))? {
                merge_into(&mut max, bytes)?;
            }
        }
        cx.out.int(estimate(&histogram_of_registers(max.into_iter())) as i64);
        return Ok(());
    }
    let key = cx.argv.get(1);
    let Some(bytes) = read_hll(cx.core, cx.db, key)? else {
        cx.out.int(0);
        return Ok(());
    };
    let card = if bytes[15] & 0x80 == 0 {
        u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"))
    } else {
        let card = count_of(bytes)?;
        bytes[8..16].copy_from_slice(&card.to_le_bytes());
        // The cached value changed: a write, for WATCH and tracking.
        cx.core.signal_modified(cx.db, key);
        card
    };
    cx.out.int(card as i64);
    Ok(())
}

/// Each key of a multi-key HyperLogLog command read, by argument index: its registers
/// unfolded and whether it was dense, or what was wrong with it.
type Read = Vec<(usize, Result<Option<(Vec<u8>, bool)>, Bad>)>;

/// One key's registers, unfolded, and whether it is dense (None: no such key).
fn registers(core: &mut Core, db: usize, key: &[u8]) -> Result<Option<(Vec<u8>, bool)>, Bad> {
    read_hll(core, db, key).and_then(|b| match b {
        None => Ok(None),
        Some(bytes) => {
            let mut max = vec![0u8; REGISTERS];
            merge_into(&mut max, bytes)?;
            Ok(Some((max, bytes[4] == DENSE)))
        }
    })
}

/// The union of every key's registers, checked in argument order as Redis checks them, and
/// whether any key was dense.
fn union(mut reads: Read) -> Result<(Vec<u8>, bool), Bad> {
    reads.sort_by_key(|(i, _)| *i);
    let mut max = vec![0u8; REGISTERS];
    let mut dense = false;
    for (_, r) in reads {
        if let Some((regs, d)) = r? {
            dense |= d;
            for (m, r) in max.iter_mut().zip(regs) {
                *m = (*m).max(r);
            }
        }
    }
    Ok((max, dense))
}

/// PFMERGE's write on the destination's owner: its registers raised to `max`.
fn store_merge(core: &mut Core, db: usize, dst: &[u8], max: &[u8], dense: bool) -> Result<(), Bad> {
    let max_bytes = core.config.hll_sparse_max_bytes;
    if core.live(db, dst).is_none() {
        core.put(db, dst, Value::raw(new_hll()), 0);
    }
    let (v, _) = core.live(db, dst).expect("there");
    let bytes = v.make_raw();
    if dense {
        to_dense(bytes)?;
    }
    for (i, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        if bytes[4] == DENSE {
            dense_add(bytes, i, m);
        } else {
            sparse_set(bytes, i, m, max_bytes)?;
        }
    }
    invalidate(bytes);
    core.notify(STRING, "pfadd", db, dst);
    core.signal_modified(db, dst);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...], every key on this shard.
fn pfmerge(cx: &mut KeyCx) -> R {
    let reads: Read = (1..cx.argv.len()).map(|i| (i, registers(cx.core, cx.db, cx.argv.get(i)))).collect();
    let (max, dense) = union(reads)?;
    store_merge(cx.core, cx.db, cx.argv.get(1), &max, dense)?;
    cx.out.ok();
    Ok(())
}

/// PFCOUNT of several keys, or PFMERGE, with keys on several shards: one transaction reads
/// every key's registers and (PFMERGE) stores the union.
fn spread(cx: &mut Cx, merge: bool) -> F {
    let keys: Vec<Vec<u8>> = (1..cx.argv.len()).map(|i| cx.argv.get(i).to_vec()).collect();
    let dst = merge.then(|| keys[0].clone());
    gather::read_then_store(
        cx,
        keys,
        dst,
        registers,
        move |found| {
            let reads: Read = found.into_iter().enumerate().map(|(i, r)| (i, r.unwrap_or(Ok(None)))).collect();
            match union(reads) {
                Err(bad) => gather::Outcome::error(CmdError::from(bad)),
                Ok((max, dense)) if merge => {
                    gather::Outcome { store: Some((max, dense)), reply: Box::new(|out| out.ok()) }
                }
                Ok((max, _)) => {
                    let n = estimate(&histogram_of_registers(max.into_iter()));
                    gather::Outcome { store: None, reply: Box::new(move |out| out.int(n as i64)) }
                }
            }
        },
        |core, db, dst, (max, dense)| store_merge(core, db, dst, &max, dense).map_err(CmdError::from),
    )
}

fn pfcount_spread(cx: &mut Cx) -> F {
    spread(cx, false)
}

fn pfmerge_spread(cx: &mut Cx) -> F {
    spread(cx, true)
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
fn pfdebug(cx: &mut KeyCx) -> R {
    let sub = cx.argv.get(1).to_ascii_lowercase();
    let key = cx.argv.get(2);
    let Some((v, _)) = cx.core.live(cx.db, key) else {
        return Err(CmdError::other("ERR The specified key does not exist"));
    };
    if v.kind() != Kind::String {
        return Err(CmdError::WrongType);
    }
    let bytes = v.make_raw();
    check(bytes)?;
    match &sub[..] {
        b"getreg" if cx.argv.len() == 3 => {
            let changed = to_dense(bytes).map(|_| true)?;
            let regs: Vec<u8> = (0..REGISTERS).map(|i| dense_get(&bytes[HDR..], i)).collect();
            cx.out.array(REGISTERS);
            regs.iter().for_each(|&r| cx.out.int(r as i64));
            if changed {
                cx.core.signal_modified(cx.db, key);
            }
        }
        b"decode" if cx.argv.len() == 3 => {
            if bytes[4] != SPARSE {
                return Err(CmdError::other("ERR HLL encoding is not sparse"));
            }
            let mut text = String::new();
            let mut p = HDR;
            while p < bytes.len() {
                let b = bytes[p];
                if is_zero(b) {
                    text.push_str(&format!("z:{} ", zero_len(b)));
                    p += 1;
                } else if is_xzero(b) {
                    text.push_str(&format!("Z:{} ", xzero_len(b, bytes.get(p + 1).copied().unwrap_or(0))));
                    p += 2;
                } else {
                    text.push_str(&format!("v:{},{} ", val_value(b), val_len(b)));
                    p += 1;
                }
            }
            text.pop();
            cx.out.bulk(text.as_bytes());
        }
        b"encoding" if cx.argv.len() == 3 => {
            cx.out.simple(if bytes[4] == DENSE { b"dense" } else { b"sparse" });
        }
        b"todense" if cx.argv.len() == 3 => {
            let was_sparse = bytes[4] == SPARSE;
            to_dense(bytes)?;
            if was_sparse {
                cx.core.signal_modified(cx.db, key);
            }
            cx.out.int(was_sparse as i64);
        }
        _ => {
            return Err(CmdError::other(format!(
                "ERR Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(cx.argv.get(1))
            )))
        }
    }
    Ok(())
}

/// PFSELFTEST: checks the register packing and the estimator's error against known sets.
fn pfselftest(cx: &mut KeyCx) -> R {
    let mut regs = vec![0u8; DENSE_SIZE - HDR];
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..1000 {
        let want: Vec<u8> = (0..REGISTERS).map(|_| rng.u8(0..64)).collect();
        for (i, &w) in want.iter().enumerate() {
            dense_set(&mut regs, i, w);
        }
        if want.iter().enumerate().any(|(i, &w)| dense_get(&regs, i) != w) {
            return Err(CmdError::other("ERR TESTFAILED Register error"));
        }
    }
    let mut hll = new_hll();
    for n in 1..=100_000u64 {
        add(&mut hll, &n.to_le_bytes(), cx.core.config.hll_sparse_max_bytes).map_err(CmdError::from)?;
        if n % 10_000 == 0 {
            let got = count_of(&hll).map_err(CmdError::from)? as f64;
            if (got - n as f64).abs() / n as f64 > 5.0 * 1.04 / (REGISTERS as f64).sqrt() {
                return Err(CmdError::other("ERR TESTFAILED Too big error."));
            }
        }
    }
    cx.out.ok();
    Ok(())
}

const WH: &[&str] = &["@write", "@hyperloglog", "@fast"];
const WHS: &[&str] = &["@write", "@hyperloglog", "@slow"];
const RH: &[&str] = &["@read", "@hyperloglog", "@slow"];
const AH: &[&str] = &["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"];

pub const SPECS: &[Spec] = &[
    cmd("pfadd", -2, WRITE | DENYOOM | FAST, (1, 1, 1), WH, Handler::Key(pfadd)),
    multi("pfcount", -2, READONLY, (1, -1, 1), RH, Handler::Key(pfcount), pfcount_spread),
    multi("pfmerge", -2, WRITE | DENYOOM | SIGNALS, (1, -1, 1), WHS, Handler::Key(pfmerge), pfmerge_spread),
    cmd("pfdebug", 3, WRITE | DENYOOM | ADMIN, (2, 2, 1), AH, Handler::Key(pfdebug)),
    cmd(
        "pfselftest",
        1,
        ADMIN,
        (0, 0, 0),
        &["@hyperloglog", "@admin", "@slow", "@dangerous"],
        Handler::Key(pfselftest),
    ),
];
