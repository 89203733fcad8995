//! Sorted-set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK,
//! the ZRANGE family (ZRANGE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX
//! ZRANGESTORE), ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN, and the
//! algebra ZUNION ZINTER ZDIFF ZINTERCARD with the *STORE forms.
//!
//! Single-key commands run on the key's owner. ZRANGESTORE runs there too when both keys share a
//! shard, and as a [`Tx`] otherwise. The algebra and ZMPOP take their keys after a count
//! (`numkeys`), so the router cannot place them: they always run on the connection's core as a
//! [`Tx`]: lock the keys, read a copy of every source in one round, compute here, and write the
//! destination (or pop) in the last round, which releases the locks. Plain sets are accepted as
//! algebra inputs, every member scoring 1, as in Redis. The encodings live in
//! [`crate::store::zset`]. A sorted set that loses its last member loses its key.

use super::flag::*;
use super::{cmd, int_arg, mpop, multi, strtod, Argv, Cx, Flow, Handler, KeyCx, Spec};
use crate::config::glob_match;
use crate::coord::gather;
use crate::error::CmdError;
use crate::protocol::encode::format_double;
use crate::protocol::Out;
use crate::pubsub::notify::class::{GENERIC, ZSET};
use crate::shard::Core;
use crate::store::set::Set;
use crate::store::value::{Kind, Value};
use crate::store::zset::{Added, Limits, ZSet};

type R = Result<(), CmdError>;
type F = Result<Flow, CmdError>;
/// Owned (member, score) pairs: a computed result, a pop.
pub(crate) type Entries = Vec<(Vec<u8>, f64)>;

pub(crate) fn limits(core: &Core) -> Limits {
    Limits { entries: core.config.zset_max_listpack_entries, value: core.config.zset_max_listpack_value }
}

fn err(text: &str) -> CmdError {
    CmdError::other(text)
}

// ---------------------------------------------------------------------------------------------
// Numbers and ranges, parsed as Redis parses them.

/// Redis's getDoubleFromObject: all of the string, no leading blank, no overflow or underflow
/// to zero, no NaN.
pub(crate) fn parse_double(bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() || bytes[0].is_ascii_whitespace() || bytes[0] == 0x0b || bytes[0] == 0x0c {
        return None;
    }
    let (v, used, erange) = strtod(bytes);
    if used != bytes.len() || (erange && (v.is_infinite() || v == 0.0)) || v.is_nan() {
        return None;
    }
    Some(v)
}

fn score_arg(bytes: &[u8]) -> Result<f64, CmdError> {
    parse_double(bytes).ok_or_else(|| err("ERR value is not a valid float"))
}

/// A score interval: `(` makes a bound exclusive.
#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

/// One bound of a score range, as zslParseRange reads it (strtod up to the end of the C string).
fn score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (ex, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    let (v, used, _) = strtod(text);
    let rest_ok = used == text.len() || text[used] == 0;
    (rest_ok && !v.is_nan()).then_some((v, ex))
}

fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    match (score_bound(min), score_bound(max)) {
        (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange { min, max, minex, maxex }),
        _ => Err(err("ERR min or max is not a float")),
    }
}

/// One bound of a lex range.
#[derive(Clone, Debug)]
enum Lex {
    /// `-`: below everything.
    Min,
    /// `+`: above everything.
    Max,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

fn lex_bound(arg: &[u8]) -> Option<Lex> {
    match arg.first() {
        Some(b'+') if arg.len() == 1 => Some(Lex::Max),
        Some(b'-') if arg.len() == 1 => Some(Lex::Min),
        Some(b'(') => Some(Lex::Excl(arg[1..].to_vec())),
        Some(b'[') => Some(Lex::Incl(arg[1..].to_vec())),
        _ => None,
    }
}

fn lex_range(min: &[u8], max: &[u8]) -> Result<(Lex, Lex), CmdError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(err("ERR min or max not valid string range item")),
    }
}

/// Ascending ranks `start..end` of the members within a score range.
fn score_ranks(z: &ZSet, r: &ScoreRange) -> (usize, usize) {
    let start = z.partition_point(|_, s| if r.minex { s <= r.min } else { s < r.min });
    let end = z.partition_point(|_, s| if r.maxex { s < r.max } else { s <= r.max });
    (start, end.max(start))
}

/// Ascending ranks `start..end` of the members within a lex range.
fn lex_ranks(z: &ZSet, min: &Lex, max: &Lex) -> (usize, usize) {
    let start = z.partition_point(|m, _| match min {
        Lex::Min => false,
        Lex::Max => true,
        Lex::Incl(x) => m < x.as_slice(),
        Lex::Excl(x) => m <= x.as_slice(),
    });
    let end = z.partition_point(|m, _| match max {
        Lex::Min => false,
        Lex::Max => true,
        Lex::Incl(x) => m <= x.as_slice(),
        Lex::Excl(x) => m < x.as_slice(),
    });
    (start, end.max(start))
}

/// Redis's rank range: negative indexes count from the end; an inclusive (start, end), or None
/// when empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { start.saturating_add(len) } else { start };
    let mut end = if end < 0 { end.saturating_add(len) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

// ---------------------------------------------------------------------------------------------
// Reading and writing keys.

/// The sorted set at `key`, read (counting a hit or miss), WRONGTYPE for another type.
fn read_z<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a ZSet>, CmdError> {
    Ok(core.typed(db, key, true, Value::as_zset_mut)?.map(|z| &*z))
}

/// The sorted set at `key` for writing (no hit counted): None when missing.
pub(crate) fn write_z<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a mut ZSet>, CmdError> {
    core.typed(db, key, false, Value::as_zset_mut)
}

/// How a computed result is encoded, as Redis builds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Build {
    /// Whole, then compact if it fits (zsetConvertToListpackIfNeeded: ZUNIONSTORE & co).
    Whole,
    /// Member by member from a compact set (zsetAdd: ZRANGESTORE).
    OneByOne,
}

/// Stores `entries` at `dst` as a new sorted set (deleting `dst` when empty); returns the size.
/// Signals `dst` when it changed (an empty result over a missing key changes nothing).
pub(crate) fn store(
    core: &mut Core,
    db: usize,
    dst: &[u8],
    entries: &[(Vec<u8>, f64)],
    build: Build,
    event: &'static str,
) -> usize {
    if entries.is_empty() {
        if core.del(db, dst).is_some() {
            core.signal_modified(db, dst);
            core.notify(GENERIC, "del", db, dst);
        }
        return 0;
    }
    let lim = limits(core);
    let max_len = entries.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = match build {
        Build::Whole => ZSet::with_hint(entries.len(), max_len, lim),
        Build::OneByOne => ZSet::default(),
    };
    for (m, s) in entries {
        z.add(m, *s, lim);
    }
    let n = z.len();
    core.put(db, dst, Value::zset(z), 0);
    core.signal_modified(db, dst);
    core.notify(ZSET, event, db, dst);
    n
}

/// Writes (member, score) entries: RESP2 a flat array (scores interleaved when `withscores`),
/// RESP3 an array of [member, score] pairs when `withscores`.
fn reply_entries<M: AsRef<[u8]>>(out: &mut Out, entries: &[(M, f64)], withscores: bool) {
    let resp3 = out.resp3;
    out.array(if withscores && !resp3 { entries.len() * 2 } else { entries.len() });
    for (m, s) in entries {
        if withscores && resp3 {
            out.array(2);
        }
        out.bulk(m.as_ref());
        if withscores {
            out.double(*s);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ZADD and ZINCRBY.

#[derive(Clone, Copy, Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What zsetAdd did with one member.
enum Outcome {
    /// Nothing (NX on an existing member, XX on a missing one, GT/LT refused).
    Nop,
    Added(f64),
    Updated(f64),
    Same(f64),
}

/// Redis's zsetAdd for one member. Err: the increment made NaN.
fn zset_add(z: &mut ZSet, member: &[u8], score: f64, f: AddFlags, lim: Limits) -> Result<Outcome, CmdError> {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok(Outcome::Nop);
            }
            let mut score = score;
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return Err(err("ERR resulting score is not a number (NaN)"));
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return Ok(Outcome::Nop);
            }
            Ok(match z.add(member, score, lim) {
                Added::Same => Outcome::Same(score),
                _ => Outcome::Updated(score),
            })
        }
        None if f.xx => Ok(Outcome::Nop),
        None => {
            z.add(member, score, lim);
            Ok(Outcome::Added(score))
        }
    }
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
fn zadd(cx: &mut KeyCx) -> R {
    zadd_generic(cx, false)
}

/// ZINCRBY key increment member
fn zincrby(cx: &mut KeyCx) -> R {
    zadd_generic(cx, true)
}

pub(crate) fn zadd_generic(cx: &mut KeyCx, zincrby: bool) -> R {
    let argv = cx.argv;
    let mut f = AddFlags { incr: zincrby, ..AddFlags::default() };
    let mut at = 2;
    // ZINCRBY goes through the same option scan as ZADD, as in Redis (so `ZINCRBY k NX 1`
    // is a syntax error, not a bad float).
    while at < argv.len() {
        let a = argv.get(at);
        match () {
            _ if a.eq_ignore_ascii_case(b"nx") => f.nx = true,
            _ if a.eq_ignore_ascii_case(b"xx") => f.xx = true,
            _ if a.eq_ignore_ascii_case(b"gt") => f.gt = true,
            _ if a.eq_ignore_ascii_case(b"lt") => f.lt = true,
            _ if a.eq_ignore_ascii_case(b"ch") => f.ch = true,
            _ if a.eq_ignore_ascii_case(b"incr") => f.incr = true,
            _ => break,
        }
        at += 1;
    }
    let elements = argv.len() - at;
    if elements % 2 == 1 || elements == 0 {
        return Err(CmdError::Syntax);
    }
    let elements = elements / 2;
    if f.nx && f.xx {
        return Err(err("ERR XX and NX options at the same time are not compatible"));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(err("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if f.incr && elements > 1 {
        return Err(err("ERR INCR option supports a single increment-element pair"));
    }
    let scores = (0..elements).map(|i| score_arg(argv.get(at + 2 * i))).collect::<Result<Vec<f64>, _>>()?;
    let key = argv.get(1);
    let lim = limits(cx.core);
    match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::ZSet => return Err(CmdError::WrongType),
        Some(_) => {}
        None if f.xx => {
            if f.incr {
                cx.out.null();
            } else {
                cx.out.int(0);
            }
            return Ok(());
        }
        None => {
            // zaddGenericCommand: a skiplist at once when listpacks are off or the first member
            // is too long for one.
            let first = argv.get(at + 1).len();
            cx.core.put(cx.db, key, Value::zset(ZSet::with_hint(1, first, lim)), 0)
        }
    }
    let z = write_z(cx.core, cx.db, key)?.expect("present or just stored");
    let (mut added, mut updated, mut last) = (0, 0, None);
    let mut failure = None;
    for (i, &score) in scores.iter().enumerate() {
        match zset_add(z, argv.get(at + 2 * i + 1), score, f, lim) {
            Ok(Outcome::Nop) => last = None,
            Ok(Outcome::Added(s)) => {
                added += 1;
                last = Some(s);
            }
            Ok(Outcome::Updated(s)) => {
                updated += 1;
                last = Some(s);
            }
            Ok(Outcome::Same(s)) => last = Some(s),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if added + updated > 0 {
        cx.core.notify(ZSET, if f.incr { "zincr" } else { "zadd" }, cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    if let Some(e) = failure {
        return Err(e);
    }
    if f.incr {
        match last {
            Some(s) => cx.out.double(s),
            None => cx.out.null(),
        }
    } else {
        cx.out.int(if f.ch { added + updated } else { added });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Simple reads and removals.

/// ZREM key member [member ...]
fn zrem(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    let removed = match write_z(cx.core, cx.db, key)? {
        Some(z) => (2..argv.len()).filter(|&i| z.remove(argv.get(i)).is_some()).count(),
        None => 0,
    };
    if removed > 0 {
        cx.core.notify(ZSET, "zrem", cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    cx.out.int(removed as i64);
    Ok(())
}

/// ZSCORE key member
fn zscore(cx: &mut KeyCx) -> R {
    let (key, member) = (cx.argv.get(1), cx.argv.get(2));
    match read_z(cx.core, cx.db, key)?.and_then(|z| z.score(member)) {
        Some(s) => cx.out.double(s),
        None => cx.out.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
fn zmscore(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let KeyCx { core, db, out, .. } = cx;
    let z = read_z(core, *db, argv.get(1))?;
    out.array(argv.len() - 2);
    for i in 2..argv.len() {
        match z.and_then(|z| z.score(argv.get(i))) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
    Ok(())
}

/// ZCARD key
fn zcard(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let n = read_z(cx.core, cx.db, key)?.map_or(0, ZSet::len);
    cx.out.int(n as i64);
    Ok(())
}

/// ZCOUNT key min max
fn zcount(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let range = score_range(argv.get(2), argv.get(3))?;
    let n = read_z(cx.core, cx.db, argv.get(1))?.map_or(0, |z| {
        let (a, b) = score_ranks(z, &range);
        b - a
    });
    cx.out.int(n as i64);
    Ok(())
}

/// ZLEXCOUNT key min max
fn zlexcount(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let (min, max) = lex_range(argv.get(2), argv.get(3))?;
    let n = read_z(cx.core, cx.db, argv.get(1))?.map_or(0, |z| {
        let (a, b) = lex_ranks(z, &min, &max);
        b - a
    });
    cx.out.int(n as i64);
    Ok(())
}

/// ZRANK key member [WITHSCORE]
fn zrank(cx: &mut KeyCx) -> R {
    rank_generic(cx, false)
}

/// ZREVRANK key member [WITHSCORE]
fn zrevrank(cx: &mut KeyCx) -> R {
    rank_generic(cx, true)
}

fn rank_generic(cx: &mut KeyCx, rev: bool) -> R {
    let argv = cx.argv;
    let withscore = match argv.len() {
        3 => false,
        4 if argv.is(3, "WITHSCORE") => true,
        _ => return Err(CmdError::Syntax),
    };
    let KeyCx { core, db, out, .. } = cx;
    let member = argv.get(2);
    let found = read_z(core, *db, argv.get(1))?
        .and_then(|z| z.rank(member).map(|r| (if rev { z.len() - 1 - r } else { r }, z.score(member))));
    match found {
        Some((r, s)) if withscore => {
            out.array(2);
            out.int(r as i64);
            out.double(s.unwrap_or(0.0));
        }
        Some((r, _)) => out.int(r as i64),
        None if withscore => out.null_array(),
        None => out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The ZRANGE family.

#[derive(Clone, Copy, Debug, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// A parsed range request.
#[derive(Clone, Debug)]
struct RangeReq {
    by: By,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
    /// The rank bounds (By::Rank).
    ranks: (i64, i64),
    score: Option<ScoreRange>,
    lex: Option<(Lex, Lex)>,
}

/// Parses a range command whose source key is at `src` (min at src+1, max at src+2), as
/// zrangeGenericCommand does. `fixed` is the range type and direction of the legacy commands
/// (None for ZRANGE and ZRANGESTORE, which take BYSCORE/BYLEX/REV).
fn parse_range(argv: &Argv, src: usize, fixed: Option<(By, bool)>, store: bool) -> Result<RangeReq, CmdError> {
    let (mut by, mut rev) = fixed.map_or((None, None), |(b, r)| (Some(b), Some(r)));
    let flags_ok = fixed.is_none();
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = src + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        if !store && argv.is(j, "WITHSCORES") {
            withscores = true;
        } else if argv.is(j, "LIMIT") && left >= 2 {
            offset = int_arg(argv.get(j + 1))?;
            limit = int_arg(argv.get(j + 2))?;
            j += 2;
        } else if flags_ok && rev.is_none() && argv.is(j, "REV") {
            rev = Some(true);
        } else if flags_ok && by.is_none() && argv.is(j, "BYLEX") {
            by = Some(By::Lex);
        } else if flags_ok && by.is_none() && argv.is(j, "BYSCORE") {
            by = Some(By::Score);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let by = by.unwrap_or(By::Rank);
    let rev = rev.unwrap_or(false);
    if limit != -1 && by == By::Rank {
        return Err(err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if withscores && by == By::Lex {
        return Err(err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    let (mut lo, mut hi) = (argv.get(src + 1), argv.get(src + 2));
    if rev && by != By::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let mut req = RangeReq { by, rev, withscores, offset, limit, ranks: (0, 0), score: None, lex: None };
    match by {
        By::Rank => req.ranks = (int_arg(lo)?, int_arg(hi)?),
        By::Score => req.score = Some(score_range(lo, hi)?),
        By::Lex => req.lex = Some(lex_range(lo, hi)?),
    }
    Ok(req)
}

/// The entries a range request selects, in reply order.
fn select<'a>(z: &'a ZSet, req: &RangeReq) -> Vec<(&'a [u8], f64)> {
    let len = z.len();
    let (start, end) = match req.by {
        By::Rank => {
            let Some((a, b)) = rank_range(req.ranks.0, req.ranks.1, len) else { return Vec::new() };
            if req.rev {
                (len - 1 - b, len - a)
            } else {
                (a, b + 1)
            }
        }
        By::Score | By::Lex => {
            let (a, b) = match (&req.score, &req.lex) {
                (Some(r), _) => score_ranks(z, r),
                (_, Some((min, max))) => lex_ranks(z, min, max),
                _ => (0, 0),
            };
            // zrangeGeneric: a negative offset skips everything; one past the set is empty.
            if req.offset < 0 || (req.offset > 0 && req.offset as u64 >= len as u64) {
                return Vec::new();
            }
            let n = b - a;
            let skip = (req.offset as u64).min(n as u64) as usize;
            let take = if req.limit < 0 { n - skip } else { (req.limit as u64).min((n - skip) as u64) as usize };
            if req.rev {
                (b - skip - take, b - skip)
            } else {
                (a + skip, a + skip + take)
            }
        }
    };
    let mut entries = z.range(start, end);
    if req.rev {
        entries.reverse();
    }
    entries
}

fn range_reply(cx: &mut KeyCx, src: usize, fixed: Option<(By, bool)>) -> R {
    let argv = cx.argv;
    let req = parse_range(&argv, src, fixed, false)?;
    let KeyCx { core, db, out, .. } = cx;
    match read_z(core, *db, argv.get(src))? {
        Some(z) => reply_entries(out, &select(z, &req), req.withscores),
        None => out.array(0),
    }
    Ok(())
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(cx: &mut KeyCx) -> R {
    range_reply(cx, 1, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(cx: &mut KeyCx) -> R {
    range_reply(cx, 1, Some((By::Rank, true)))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(cx: &mut KeyCx) -> R {
    range_reply(cx, 1, Some((By::Score, false)))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(cx: &mut KeyCx) -> R {
    range_reply(cx, 1, Some((By::Score, true)))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(cx: &mut KeyCx) -> R {
    range_reply(cx, 1, Some((By::Lex, false)))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(cx: &mut KeyCx) -> R {
    range_reply(cx, 1, Some((By::Lex, true)))
}

/// The owned entries ZRANGESTORE copies from a source.
fn selected_owned(z: Option<&ZSet>, req: &RangeReq) -> Vec<(Vec<u8>, f64)> {
    z.map_or_else(Vec::new, |z| select(z, req).into_iter().map(|(m, s)| (m.to_vec(), s)).collect())
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count] (both keys here)
fn zrangestore(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let req = parse_range(&argv, 2, None, true)?;
    let entries = match cx.core.read(cx.db, argv.get(2)) {
        Some((v, _)) => selected_owned(Some(v.as_zset().ok_or(CmdError::WrongType)?), &req),
        None => Vec::new(),
    };
    let n = store(cx.core, cx.db, argv.get(1), &entries, Build::OneByOne, "zrangestore");
    cx.out.int(n as i64);
    Ok(())
}

/// ZRANGESTORE with its two keys on different shards.
fn zrangestore_spread(cx: &mut Cx) -> F {
    let req = parse_range(&cx.argv, 2, None, true)?;
    let (src, dst) = (cx.argv.get(2).to_vec(), cx.argv.get(1).to_vec());
    // The range is picked on the source's shard: only it travels.
    let pick: Pick = std::sync::Arc::new(move |z: Option<&ZSet>| Ok(selected_owned(z, &req)));
    store_picked(cx, "zrangestore", src, dst, Build::OneByOne, pick)
}

/// A STORE command with one source and its destination on different shards (ZRANGESTORE,
/// GEOSEARCHSTORE, GEORADIUS STORE): `pick` runs on the source's shard, over the sorted set
/// there (None when the key is missing; any other type is WRONGTYPE), and what it picks is
/// stored at `dst` (deleted when empty); the reply is how many entries that is.
pub(crate) fn store_picked(
    cx: &mut Cx,
    event: &'static str,
    src: Vec<u8>,
    dst: Vec<u8>,
    build: Build,
    pick: Pick,
) -> F {
    spread(cx, event, vec![src], Some(dst), Some(pick), move |srcs| match srcs {
        Err(e) => Done::error(e),
        Ok(mut srcs) => {
            let entries = match srcs.swap_remove(0) {
                Src::Picked(entries) => entries,
                // A pick reads every source (or fails).
                Src::Z(_) | Src::S(_) | Src::Missing => unreachable!("a picked source"),
            };
            let n = entries.len() as i64;
            Done { store: Some((entries, build)), reply: Box::new(move |out: &mut Out| out.int(n)) }
        }
    })
}

/// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max
fn zremrange(cx: &mut KeyCx, by: By) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    let (ranks, score, lex) = match by {
        By::Rank => (Some((int_arg(argv.get(2))?, int_arg(argv.get(3))?)), None, None),
        By::Score => (None, Some(score_range(argv.get(2), argv.get(3))?), None),
        By::Lex => (None, None, Some(lex_range(argv.get(2), argv.get(3))?)),
    };
    let removed = match write_z(cx.core, cx.db, key)? {
        None => 0,
        Some(z) => {
            let (a, b) = match (ranks, &score, &lex) {
                (Some((s, e)), _, _) => rank_range(s, e, z.len()).map_or((0, 0), |(a, b)| (a, b + 1)),
                (_, Some(r), _) => score_ranks(z, r),
                (_, _, Some((min, max))) => lex_ranks(z, min, max),
                _ => (0, 0),
            };
            let doomed: Vec<Vec<u8>> = z.range(a, b).into_iter().map(|(m, _)| m.to_vec()).collect();
            for m in &doomed {
                z.remove(m);
            }
            doomed.len()
        }
    };
    if removed > 0 {
        let event = match by {
            By::Rank => "zremrangebyrank",
            By::Score => "zremrangebyscore",
            By::Lex => "zremrangebylex",
        };
        cx.core.notify(ZSET, event, cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    cx.out.int(removed as i64);
    Ok(())
}

fn zremrangebyrank(cx: &mut KeyCx) -> R {
    zremrange(cx, By::Rank)
}

fn zremrangebyscore(cx: &mut KeyCx) -> R {
    zremrange(cx, By::Score)
}

fn zremrangebylex(cx: &mut KeyCx) -> R {
    zremrange(cx, By::Lex)
}

// ---------------------------------------------------------------------------------------------
// Pops, random members, scans.

/// The event of a pop from the low (`min`) or high end.
pub(crate) fn pop_event(min: bool) -> &'static str {
    if min {
        "zpopmin"
    } else {
        "zpopmax"
    }
}

/// Pops up to `count` entries from the low (`min`) or high end.
pub(crate) fn pop_n(z: &mut ZSet, min: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
    let n = count.min(z.len());
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        let r = if min { 0 } else { z.len() - 1 };
        let (m, s) = z.at_rank(r);
        let m = m.to_vec();
        z.remove(&m);
        popped.push((m, s));
    }
    popped
}

/// ZPOPMIN / ZPOPMAX key [count]
fn zpop(cx: &mut KeyCx, min: bool) -> R {
    let argv = cx.argv;
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if argv.len() == 3 {
        match int_arg(argv.get(2)) {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => return Err(CmdError::NotPositive),
        }
    } else {
        None
    };
    let key = argv.get(1);
    let popped = match write_z(cx.core, cx.db, key)? {
        Some(_) if count == Some(0) => Vec::new(),
        Some(z) => pop_n(z, min, count.unwrap_or(1)),
        None => Vec::new(),
    };
    if !popped.is_empty() {
        cx.core.notify(ZSET, pop_event(min), cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    let out = &mut *cx.out;
    // RESP3 nests [member, score] pairs when a count was given; otherwise the reply is flat.
    if count.is_some() && out.resp3 {
        reply_entries(out, &popped, true);
    } else {
        out.array(popped.len() * 2);
        for (m, s) in &popped {
            out.bulk(m);
            out.double(*s);
        }
    }
    Ok(())
}

fn zpopmin(cx: &mut KeyCx) -> R {
    zpop(cx, true)
}

fn zpopmax(cx: &mut KeyCx) -> R {
    zpop(cx, false)
}

/// ZRANDMEMBER key [count [WITHSCORES]]
fn zrandmember(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    if argv.len() == 2 {
        let KeyCx { core, db, out, .. } = cx;
        match read_z(core, *db, key)? {
            Some(z) => out.bulk(z.at_rank(fastrand::usize(..z.len())).0),
            None => out.null(),
        }
        return Ok(());
    }
    let l = int_arg(argv.get(2))?;
    if l == i64::MIN {
        return Err(err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
    }
    let withscores = match argv.len() {
        3 => false,
        4 if argv.is(3, "WITHSCORES") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(err("ERR value is out of range"));
    }
    let KeyCx { core, db, out, .. } = cx;
    let cap = super::picks_cap(core);
    let z = match read_z(core, *db, key)? {
        Some(z) if l != 0 => z,
        _ => {
            out.array(0);
            return Ok(());
        }
    };
    let size = z.len();
    let count = l.unsigned_abs() as usize;
    let emit = |out: &mut Out, (m, s): (&[u8], f64)| {
        if withscores && out.resp3 {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(s);
        }
    };
    let header = |out: &mut Out, n: usize| out.array(if withscores && !out.resp3 { n * 2 } else { n });
    if l < 0 || count == 1 {
        header(out, count);
        for i in 0..count {
            if i % 1024 == 0 && out.len() > cap {
                break;
            }
            emit(out, z.at_rank(fastrand::usize(..size)));
        }
    } else if count >= size {
        // The whole set, highest first, as Redis answers this case.
        header(out, size);
        for e in z.range(0, size).into_iter().rev() {
            emit(out, e);
        }
    } else {
        header(out, count);
        for r in super::distinct_positions(size, count) {
            emit(out, z.at_rank(r));
        }
    }
    Ok(())
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let cursor = super::scan_cursor(argv.get(2))?;
    let KeyCx { core, db, out, .. } = cx;
    let Some(z) = read_z(core, *db, argv.get(1))? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let (pattern, count) = super::scan_options(&argv, 3)?;
    let mut found = Vec::new();
    let next = z.scan(cursor, count, |m, s| {
        if pattern.is_none_or(|p| glob_match(p, m, false)) {
            found.push((m, s));
        }
    });
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len() * 2);
    let mut buf = [0u8; 32];
    for (m, s) in found {
        out.bulk(m);
        // Scores as Redis's d2string writes them into the scan reply (bulk strings even in RESP3).
        out.bulk(match s {
            s if s == f64::INFINITY => b"inf",
            s if s == f64::NEG_INFINITY => b"-inf",
            s => format_double(s, &mut buf),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Multi-key commands through the coordinator.

/// A source as one shard read it.
#[derive(Clone, Debug)]
enum Src {
    Missing,
    Z(ZSet),
    /// A plain set: every member scores 1.
    S(Set),
    /// Entries a command picked on the source's own shard (ZRANGESTORE's range), so that only
    /// they travel, not the whole set.
    Picked(Entries),
}

impl Src {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
            Src::Picked(e) => e.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(member),
            Src::S(s) => s.contains(member).then_some(1.0),
            Src::Picked(e) => e.iter().find(|(m, _)| m == member).map(|&(_, s)| s),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Missing => {}
            Src::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Src::S(s) => s.iter().for_each(|m| f(&m, 1.0)),
            Src::Picked(e) => e.iter().for_each(|(m, s)| f(m, *s)),
        }
    }
}

/// What the last round writes and how the command replies.
struct Done {
    store: Option<(Entries, Build)>,
    reply: Box<dyn FnOnce(&mut Out) + Send>,
}

impl Done {
    fn error(e: CmdError) -> Done {
        Done { store: None, reply: Box::new(move |out: &mut Out| out.error(e.to_string().as_bytes())) }
    }
}

/// Picks, on the source's shard, what a command needs of a sorted-set source (None: the key is
/// missing), or the error the command gives there.
pub(crate) type Pick = std::sync::Arc<dyn Fn(Option<&ZSet>) -> Result<Entries, CmdError> + Send + Sync>;

/// Reads the source at `key`: a copy of the zset, or of a plain set, or (with `pick`) what
/// `pick` picks of a zset; read as Redis reads it (a hit or a miss, and `keymiss`), STORE
/// forms too.
fn read_src(core: &mut Core, db: usize, key: &[u8], pick: Option<&Pick>) -> Result<Src, CmdError> {
    let found = core.read(db, key).map(|(v, _)| v);
    match (found, pick) {
        (None, None) => Ok(Src::Missing),
        (None, Some(p)) => p(None).map(Src::Picked),
        (Some(v), Some(p)) => p(Some(v.as_zset().ok_or(CmdError::WrongType)?)).map(Src::Picked),
        (Some(v), None) => match (v.as_zset(), v.as_set()) {
            (Some(z), _) => Ok(Src::Z(z.clone())),
            (_, Some(s)) => Ok(Src::S(s.clone())),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Locks `sources` (+ `dst`), reads every source (in `sources` order; Err if any has a type
/// other than zset or set) and hands them to `then`, whose [`Done`] says what the final round
/// stores at `dst` and how to reply.
fn spread(
    cx: &mut Cx,
    event: &'static str,
    sources: Vec<Vec<u8>>,
    dst: Option<Vec<u8>>,
    pick: Option<Pick>,
    then: impl FnOnce(Result<Vec<Src>, CmdError>) -> Done + 'static,
) -> F {
    gather::read_then_store(
        cx,
        sources,
        dst,
        move |core, db, key| read_src(core, db, key, pick.as_ref()),
        move |srcs| {
            // The first source (in the command's order) that failed says why.
            let srcs = srcs.into_iter().map(|s| s.unwrap_or(Ok(Src::Missing))).collect();
            let Done { store, reply } = then(srcs);
            gather::Outcome { store, reply }
        },
        move |core, db, dst, (entries, build)| {
            store(core, db, dst, &entries, build, event);
            Ok(())
        },
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's zunionInterAggregate (inf + -inf in a sum is 0, not NaN).
fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = if val < *target { val } else { *target },
        Aggregate::Max => *target = if val > *target { val } else { *target },
    }
}

/// A weighted score; NaN (inf * 0) counts as 0, as in Redis.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// The options after the keys of ZUNION & co.
#[derive(Clone, Debug)]
struct AlgebraOpts {
    weights: Vec<f64>,
    how: Aggregate,
    withscores: bool,
    limit: usize,
}

/// Parses `[WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]` (or ZINTERCARD's `LIMIT`) from
/// argument `j`, as zunionInterDiffGenericCommand does.
fn algebra_opts(
    argv: &Argv,
    mut j: usize,
    n: usize,
    op: Op,
    stores: bool,
    card: bool,
) -> Result<AlgebraOpts, CmdError> {
    let mut o = AlgebraOpts { weights: vec![1.0; n], how: Aggregate::Sum, withscores: false, limit: 0 };
    while j < argv.len() {
        let remaining = argv.len() - j;
        if op != Op::Diff && !card && remaining > n && argv.is(j, "WEIGHTS") {
            for i in 0..n {
                o.weights[i] =
                    parse_double(argv.get(j + 1 + i)).ok_or_else(|| err("ERR weight value is not a float"))?;
            }
            j += 1 + n;
        } else if op != Op::Diff && !card && remaining >= 2 && argv.is(j, "AGGREGATE") {
            let a = argv.get(j + 1);
            o.how = match () {
                _ if a.eq_ignore_ascii_case(b"sum") => Aggregate::Sum,
                _ if a.eq_ignore_ascii_case(b"min") => Aggregate::Min,
                _ if a.eq_ignore_ascii_case(b"max") => Aggregate::Max,
                _ => return Err(CmdError::Syntax),
            };
            j += 2;
        } else if !card && !stores && argv.is(j, "WITHSCORES") {
            o.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && argv.is(j, "LIMIT") {
            o.limit = match int_arg(argv.get(j + 1)) {
                Ok(n) if n >= 0 => n as usize,
                _ => return Err(err("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// The result of an algebra over `srcs`, sorted by (score, member); stops at `limit` members
/// for ZINTERCARD (0: no limit).
fn compute(op: Op, srcs: &[Src], o: &AlgebraOpts) -> Vec<(Vec<u8>, f64)> {
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        Op::Diff => {
            if let Some(first) = srcs.first() {
                first.for_each(|m, s| {
                    if !srcs[1..].iter().any(|x| x.score(m).is_some()) {
                        result.push((m.to_vec(), s));
                    }
                });
            }
        }
        Op::Inter | Op::Union => {
            // Smallest first, as Redis orders them (a stable sort keeps ties in argument order).
            let mut order: Vec<(&Src, f64)> = srcs.iter().zip(o.weights.iter().copied()).collect();
            order.sort_by_key(|(s, _)| s.len());
            if op == Op::Inter {
                let Some(&(first, w0)) = order.first() else { return result };
                first.for_each(|m, s| {
                    if o.limit != 0 && result.len() >= o.limit {
                        return;
                    }
                    let mut score = weighted(s, w0);
                    for &(other, w) in &order[1..] {
                        match other.score(m) {
                            Some(v) => aggregate(&mut score, weighted(v, w), o.how),
                            None => return,
                        }
                    }
                    result.push((m.to_vec(), score));
                });
            } else {
                let mut acc: hashbrown::HashMap<Vec<u8>, f64> = hashbrown::HashMap::new();
                for &(src, w) in &order {
                    src.for_each(|m, s| {
                        let v = weighted(s, w);
                        match acc.get_mut(m) {
                            Some(t) => aggregate(t, v, o.how),
                            None => {
                                acc.insert(m.to_vec(), v);
                            }
                        }
                    });
                }
                result = acc.into_iter().collect();
            }
        }
    }
    result.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    result
}

/// `numkeys` as zunionInterDiffGenericCommand checks it, for the command called `name`.
fn numkeys(argv: &Argv, at: usize, name: &str) -> Result<usize, CmdError> {
    let n = int_arg(argv.get(at))?;
    if n < 1 {
        return Err(err(&format!("ERR at least 1 input key is needed for '{name}' command")));
    }
    if n as u64 > (argv.len() - at - 1) as u64 {
        return Err(CmdError::Syntax);
    }
    Ok(n as usize)
}

/// ZUNION/ZINTER/ZDIFF/ZINTERCARD and the STORE forms, on any shards.
fn algebra(cx: &mut Cx, op: Op, stores: bool, card: bool, name: &'static str) -> F {
    let argv = cx.argv;
    let at = if stores { 2 } else { 1 };
    let n = numkeys(&argv, at, name)?;
    let sources: Vec<Vec<u8>> = (at + 1..at + 1 + n).map(|i| argv.get(i).to_vec()).collect();
    // Option errors come after the type check, as in Redis: carry them into the compute step.
    let opts = algebra_opts(&argv, at + 1 + n, n, op, stores, card);
    let dst = stores.then(|| argv.get(1).to_vec());
    spread(cx, name, sources, dst, None, move |srcs| {
        let (srcs, o) = match (srcs, opts) {
            (Err(e), _) | (_, Err(e)) => return Done::error(e),
            (Ok(s), Ok(o)) => (s, o),
        };
        let result = compute(op, &srcs, &o);
        if card {
            let n = result.len() as i64;
            Done { store: None, reply: Box::new(move |out: &mut Out| out.int(n)) }
        } else if stores {
            let n = result.len() as i64;
            Done { store: Some((result, Build::Whole)), reply: Box::new(move |out: &mut Out| out.int(n)) }
        } else {
            let withscores = o.withscores;
            Done { store: None, reply: Box::new(move |out: &mut Out| reply_entries(out, &result, withscores)) }
        }
    })
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zunion(cx: &mut Cx) -> F {
    algebra(cx, Op::Union, false, false, "zunion")
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zinter(cx: &mut Cx) -> F {
    algebra(cx, Op::Inter, false, false, "zinter")
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
fn zdiff(cx: &mut Cx) -> F {
    algebra(cx, Op::Diff, false, false, "zdiff")
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
fn zunionstore(cx: &mut Cx) -> F {
    algebra(cx, Op::Union, true, false, "zunionstore")
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
fn zinterstore(cx: &mut Cx) -> F {
    algebra(cx, Op::Inter, true, false, "zinterstore")
}

/// ZDIFFSTORE destination numkeys key [key ...]
fn zdiffstore(cx: &mut Cx) -> F {
    algebra(cx, Op::Diff, true, false, "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
fn zintercard(cx: &mut Cx) -> F {
    algebra(cx, Op::Inter, false, true, "zintercard")
}

/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
fn zmpop(cx: &mut Cx) -> F {
    let mpop::Args { keys, first_end: min, count } = mpop::parse(cx, ["MIN", "MAX"])?;
    let pop = move |core: &mut Core, db: usize, key: &[u8]| match write_z(core, db, key) {
        Ok(Some(z)) => {
            let popped = pop_n(z, min, count);
            if !popped.is_empty() {
                core.notify(ZSET, pop_event(min), db, key);
            }
            popped
        }
        _ => Vec::new(),
    };
    Ok(mpop::run(cx, keys, Kind::ZSet, pop, |out, (member, score): &(Vec<u8>, f64)| {
        out.array(2);
        out.bulk(member);
        out.double(*score);
    }))
}

const RF: &[&str] = &["@read", "@sortedset", "@fast"];
const RS: &[&str] = &["@read", "@sortedset", "@slow"];
const WF: &[&str] = &["@write", "@sortedset", "@fast"];
const WS: &[&str] = &["@write", "@sortedset", "@slow"];

pub const SPECS: &[Spec] = &[
    cmd("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(zadd)),
    cmd("zincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(zincrby)),
    cmd("zrem", -3, WRITE | FAST, (1, 1, 1), WF, Handler::Key(zrem)),
    cmd("zscore", 3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zscore)),
    cmd("zmscore", -3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zmscore)),
    cmd("zcard", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zcard)),
    cmd("zcount", 4, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zcount)),
    cmd("zlexcount", 4, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zlexcount)),
    // Redis 7.2's form, with WITHSCORE (7.0 took exactly 3 arguments).
    cmd("zrank", -3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zrank)),
    cmd("zrevrank", -3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(zrevrank)),
    cmd("zrange", -4, READONLY, (1, 1, 1), RS, Handler::Key(zrange)),
    cmd("zrevrange", -4, READONLY, (1, 1, 1), RS, Handler::Key(zrevrange)),
    cmd("zrangebyscore", -4, READONLY, (1, 1, 1), RS, Handler::Key(zrangebyscore)),
    cmd("zrevrangebyscore", -4, READONLY, (1, 1, 1), RS, Handler::Key(zrevrangebyscore)),
    cmd("zrangebylex", -4, READONLY, (1, 1, 1), RS, Handler::Key(zrangebylex)),
    cmd("zrevrangebylex", -4, READONLY, (1, 1, 1), RS, Handler::Key(zrevrangebylex)),
    multi("zrangestore", -5, WRITE | DENYOOM | SIGNALS, (1, 2, 1), WS, Handler::Key(zrangestore), zrangestore_spread),
    cmd("zremrangebyrank", 4, WRITE, (1, 1, 1), WS, Handler::Key(zremrangebyrank)),
    cmd("zremrangebyscore", 4, WRITE, (1, 1, 1), WS, Handler::Key(zremrangebyscore)),
    cmd("zremrangebylex", 4, WRITE, (1, 1, 1), WS, Handler::Key(zremrangebylex)),
    cmd("zpopmin", -2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(zpopmin)),
    cmd("zpopmax", -2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(zpopmax)),
    cmd("zrandmember", -2, READONLY, (1, 1, 1), RS, Handler::Key(zrandmember)),
    cmd("zscan", -3, READONLY, (1, 1, 1), RS, Handler::Key(zscan)),
    // The rest take their keys after a count: they find them themselves and always run as a
    // transaction on the connection's core.
    cmd("zunion", -3, READONLY | MOVABLEKEYS, (0, 0, 0), RS, Handler::Conn(zunion)),
    cmd("zinter", -3, READONLY | MOVABLEKEYS, (0, 0, 0), RS, Handler::Conn(zinter)),
    cmd("zdiff", -3, READONLY | MOVABLEKEYS, (0, 0, 0), RS, Handler::Conn(zdiff)),
    cmd("zunionstore", -4, WRITE | DENYOOM | MOVABLEKEYS, (1, 1, 1), WS, Handler::Conn(zunionstore)),
    cmd("zinterstore", -4, WRITE | DENYOOM | MOVABLEKEYS, (1, 1, 1), WS, Handler::Conn(zinterstore)),
    cmd("zdiffstore", -4, WRITE | DENYOOM | MOVABLEKEYS, (1, 1, 1), WS, Handler::Conn(zdiffstore)),
    cmd("zintercard", -3, READONLY | MOVABLEKEYS, (0, 0, 0), RS, Handler::Conn(zintercard)),
    cmd("zmpop", -4, WRITE | MOVABLEKEYS, (0, 0, 0), WS, Handler::Conn(zmpop)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_parse_like_strtod() {
        assert_eq!(parse_double(b"1e3"), Some(1000.0));
        assert_eq!(parse_double(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_double(b"0x10"), Some(16.0));
        assert_eq!(parse_double(b" 1"), None);
        assert_eq!(parse_double(b"nan"), None);
        assert_eq!(parse_double(b"1e400"), None);
        assert_eq!(parse_double(b"1e-400"), None);
        assert_eq!(parse_double(b""), None);
        assert_eq!(parse_double(b"1x"), None);
        assert!(score_bound(b" 1").is_some());
        assert_eq!(score_bound(b"(").map(|b| b.1), Some(true));
        assert!(score_bound(b"a").is_none());
    }

    #[test]
    fn ranks() {
        assert_eq!(rank_range(0, -1, 3), Some((0, 2)));
        assert_eq!(rank_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(rank_range(2, 1, 3), None);
        assert_eq!(rank_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(rank_range(0, 0, 0), None);
    }
}
