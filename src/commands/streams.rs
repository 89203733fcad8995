//! Stream commands: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID XACK XPENDING XCLAIM
//! XAUTOCLAIM XGROUP XINFO here; XREAD and XREADGROUP in [`super::xread`].
//!
//! Every command here names one key and runs on its owner, where the stream and its groups
//! live: a group's state changes only there. The value itself is [`crate::store::stream`];
//! here are the argument checks, reply shapes, error texts and keyspace events, each as Redis
//! 7.0 has them.

use super::flag::*;
use super::{cmd, container, int_arg, Handler, KeyCx, Spec};
use crate::error::{lossy, CmdError};
use crate::protocol::Out;
use crate::pubsub::notify::class::STREAM;
use crate::shard::Core;
use crate::store::stream::{Entry, Group, Limits, Stream, StreamId, Trim, INVALID_READ};
use crate::store::value::{Kind, Value};

type R = Result<(), CmdError>;

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

fn invalid_id() -> CmdError {
    CmdError::other(INVALID_ID)
}

/// C's strtoull over a whole argument, as Redis's string2ull falls back to it: optional
/// leading spaces and sign, digits, nothing after; a minus wraps around.
fn strtoull(arg: &[u8]) -> Option<u64> {
    let s = arg.iter().position(|b| !b.is_ascii_whitespace()).map_or(&[][..], |i| &arg[i..]);
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { n.wrapping_neg() } else { n })
}

/// Redis's string2ull: a non-negative 64-bit integer (string2ll, then strtoull).
fn string2ull(arg: &[u8]) -> Option<u64> {
    match super::parse_i64(arg) {
        Some(n) if n < 0 => None,
        Some(n) => Some(n as u64),
        None => strtoull(arg),
    }
}

/// Redis's streamGenericParseIDOrReply: `ms-seq`, `ms` (seq = `missing_seq`), `-` and `+`
/// unless `strict`; with `seq_given`, `ms-*` too (the bool says whether the seq was given).
fn parse_id_full(arg: &[u8], missing_seq: u64, strict: bool, star: bool) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 127 {
        return Err(invalid_id());
    }
    // A C string ends at its first NUL.
    let arg = arg.iter().position(|&b| b == 0).map_or(arg, |i| &arg[..i]);
    match arg {
        b"-" | b"+" if strict => return Err(invalid_id()),
        b"-" => return Ok((StreamId::MIN, true)),
        b"+" => return Ok((StreamId::MAX, true)),
        _ => {}
    }
    let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = string2ull(ms).ok_or_else(invalid_id)?;
    match seq {
        Some(b"*") if star => Ok((StreamId::new(ms, 0), false)),
        Some(seq) => Ok((StreamId::new(ms, string2ull(seq).ok_or_else(invalid_id)?), true)),
        None => Ok((StreamId::new(ms, missing_seq), true)),
    }
}

/// An ID where `-` and `+` are allowed.
pub(crate) fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    parse_id_full(arg, missing_seq, false, false).map(|(id, _)| id)
}

/// An ID where `-` and `+` are not.
pub(crate) fn parse_strict(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id_full(arg, 0, true, false).map(|(id, _)| id)
}

/// A range bound: `(` makes it exclusive (then `-`/`+` are refused), as
/// streamParseIntervalIDOrReply; the exclusive bound is moved inwards here.
fn parse_bound(arg: &[u8], start: bool) -> Result<StreamId, CmdError> {
    let missing = if start { 0 } else { u64::MAX };
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id_full(&arg[1..], missing, true, false)?.0;
        let moved = if start { id.next() } else { id.prev() };
        return moved.ok_or_else(|| {
            CmdError::other(if start {
                "ERR invalid start ID for the interval"
            } else {
                "ERR invalid end ID for the interval"
            })
        });
    }
    parse_id(arg, missing)
}

/// Writes an ID as a bulk string.
pub(crate) fn id_reply(out: &mut Out, id: StreamId) {
    let mut buf = [0u8; 41];
    let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
    let (ms, seq) = (a.format(id.ms).as_bytes(), b.format(id.seq).as_bytes());
    buf[..ms.len()].copy_from_slice(ms);
    buf[ms.len()] = b'-';
    buf[ms.len() + 1..ms.len() + 1 + seq.len()].copy_from_slice(seq);
    out.bulk(&buf[..ms.len() + 1 + seq.len()]);
}

/// Writes one entry: `[id, [field, value, ...]]`.
pub(crate) fn entry_reply(out: &mut Out, e: &Entry<'_>) {
    out.array(2);
    id_reply(out, e.id);
    out.array(e.len() * 2);
    for (f, v) in e.pairs() {
        out.bulk(f);
        out.bulk(v);
    }
}

/// Writes the entries of `start..=end` (backwards if `rev`), at most `count` (0: all), as an
/// array; returns how many.
pub(crate) fn range_reply(out: &mut Out, s: &Stream, start: StreamId, end: StreamId, count: u64, rev: bool) -> u64 {
    let at = out.defer();
    let mut n = 0u64;
    s.range(start, end, rev, |e| {
        entry_reply(out, &e);
        n += 1;
        count == 0 || n < count
    });
    out.set_array_len(at, n as usize);
    n
}

/// The node limits from the configuration.
pub(crate) fn limits(core: &Core) -> Limits {
    Limits { bytes: core.config.stream_node_max_bytes, entries: core.config.stream_node_max_entries }
}

/// The stream at `key` for reading (WRONGTYPE for another type), counting a hit or miss.
fn read<'a>(cx: &'a mut KeyCx, key: &[u8]) -> Result<Option<&'a mut Stream>, CmdError> {
    cx.core.typed(cx.db, key, true, Value::as_stream_mut)
}

/// The stream at `key` for writing, if it is there.
fn write<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a mut Stream>, CmdError> {
    core.typed(db, key, false, Value::as_stream_mut)
}

/// XPENDING's, XCLAIM's and XAUTOCLAIM's error for a missing key or group.
fn no_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::other(format!("NOGROUP No such key '{}' or consumer group '{}'", lossy(key), lossy(group)))
}

/// XGROUP's and XINFO CONSUMERS' error for a missing group of an existing stream.
fn no_such_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::other(format!("NOGROUP No such consumer group '{}' for key name '{}'", lossy(group), lossy(key)))
}

/// Trimming options of XADD and XTRIM.
struct TrimArgs {
    by: Option<Trim>,
    approx: bool,
    limit: u64,
}

/// Redis's streamParseAddOrTrimArgsOrReply: the trim options, and for XADD the ID's
/// position (or None for `*`), the ID and whether its seq was given, and NOMKSTREAM.
struct AddArgs {
    trim: TrimArgs,
    id: Option<(StreamId, bool)>,
    id_pos: usize,
    no_mkstream: bool,
}

fn parse_add_or_trim(cx: &KeyCx, xadd: bool) -> Result<AddArgs, CmdError> {
    let argv = cx.argv;
    let mut args = AddArgs {
        trim: TrimArgs { by: None, approx: false, limit: 0 },
        id: None,
        id_pos: argv.len(),
        no_mkstream: false,
    };
    let mut limit_given = false;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv.get(i);
        if xadd && opt == b"*" {
            args.id_pos = i;
            break;
        } else if (argv.is(i, "MAXLEN") || argv.is(i, "MINID")) && more > 0 {
            if args.trim.by.is_some() {
                return Err(CmdError::other(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            let maxlen = argv.is(i, "MAXLEN");
            args.trim.approx = false;
            let next = argv.get(i + 1);
            if more >= 2 && next == b"~" {
                args.trim.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let arg = argv.get(i + 1);
            args.trim.by = Some(if maxlen {
                let n = int_arg(arg)?;
                if n < 0 {
                    return Err(CmdError::other("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(n as u64)
            } else {
                Trim::MinId(parse_strict(arg)?)
            });
            i += 1;
        } else if argv.is(i, "LIMIT") && more > 0 {
            let n = int_arg(argv.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::other("ERR The LIMIT argument must be >= 0."));
            }
            args.trim.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && argv.is(i, "NOMKSTREAM") {
            args.no_mkstream = true;
        } else if xadd {
            args.id = Some(parse_id_full(opt, 0, true, true)?);
            args.id_pos = i;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if args.trim.limit != 0 && args.trim.by.is_none() {
        return Err(CmdError::other("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && args.trim.by.is_none() {
        return Err(CmdError::other("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !args.trim.approx {
            return Err(CmdError::other("ERR syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if args.trim.approx {
        let limit = 100u64.saturating_mul(cx.core.config.stream_node_max_entries);
        args.trim.limit = if limit == 0 || limit > 1_000_000 { 10_000 } else { limit };
    }
    Ok(args)
}

/// The ID XADD gives the next entry: explicit, `ms-*`, or from the clock.
fn next_id(s: &Stream, given: Option<(StreamId, bool)>, now_ms: u64) -> Result<StreamId, CmdError> {
    let smaller =
        || CmdError::other("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    let id = match given {
        Some((id, true)) => id,
        Some((id, false)) if id.ms == s.last_id.ms => {
            let seq = s.last_id.seq.checked_add(1).ok_or_else(smaller)?;
            StreamId::new(id.ms, seq)
        }
        Some((id, false)) => id,
        None if now_ms > s.last_id.ms => StreamId::new(now_ms, 0),
        None => s.last_id.next().unwrap_or(StreamId::MAX),
    };
    if id <= s.last_id {
        return Err(smaller());
    }
    Ok(id)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
fn xadd(cx: &mut KeyCx) -> R {
    let args = parse_add_or_trim(cx, true)?;
    let argv = cx.argv;
    let fields = argv.len() - args.id_pos - 1;
    if fields < 2 || fields % 2 == 1 {
        return Err(CmdError::WrongArity("xadd".into()));
    }
    if let Some((id, true)) = args.id {
        if id.is_zero() {
            return Err(CmdError::other("ERR The ID specified in XADD must be greater than 0-0"));
        }
    }
    let (key, db, now) = (argv.get(1), cx.db, cx.core.now_ms);
    match cx.core.live(db, key) {
        Some((v, _)) if v.kind() != Kind::Stream => return Err(CmdError::WrongType),
        Some(_) => {}
        None if args.no_mkstream => {
            cx.out.null();
            return Ok(());
        }
        None => cx.core.put(db, key, Value::stream(Stream::default()), 0),
    }
    let limits = limits(cx.core);
    let s = write(cx.core, db, key)?.expect("present or just stored");
    if s.last_id == StreamId::MAX {
        return Err(CmdError::other("ERR The stream has exhausted the last possible ID, unable to add more items"));
    }
    let id = next_id(s, args.id, now)?;
    let pairs: Vec<&[u8]> = (args.id_pos + 1..argv.len()).map(|i| argv.get(i)).collect();
    if pairs.iter().map(|p| p.len()).sum::<usize>() > crate::store::blob::SAFETY_MAX {
        return Err(CmdError::other("ERR Elements are too large to be stored"));
    }
    s.append(id, &pairs, limits);
    let trimmed = match args.trim.by {
        Some(by) => s.trim(by, args.trim.approx, args.trim.limit),
        None => 0,
    };
    id_reply(cx.out, id);
    cx.core.signal_modified(db, key);
    cx.core.notify(STREAM, "xadd", db, key);
    if trimmed > 0 {
        cx.core.notify(STREAM, "xtrim", db, key);
    }
    Ok(())
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
fn xtrim(cx: &mut KeyCx) -> R {
    let args = parse_add_or_trim(cx, false)?;
    let (key, db) = (cx.argv.get(1), cx.db);
    let Some(s) = write(cx.core, db, key)? else {
        cx.out.int(0);
        return Ok(());
    };
    let by = args.trim.by.expect("checked by the parser");
    let deleted = s.trim(by, args.trim.approx, args.trim.limit);
    if deleted > 0 {
        cx.core.notify(STREAM, "xtrim", db, key);
        cx.core.signal_modified(db, key);
    }
    cx.out.int(deleted as i64);
    Ok(())
}

/// XRANGE / XREVRANGE key a b [COUNT count]
fn range(cx: &mut KeyCx, rev: bool) -> R {
    let argv = cx.argv;
    let (start_arg, end_arg) = if rev { (argv.get(3), argv.get(2)) } else { (argv.get(2), argv.get(3)) };
    let start = parse_bound(start_arg, true)?;
    let end = parse_bound(end_arg, false)?;
    let mut count = -1i64;
    let mut j = 4;
    while j < argv.len() {
        if argv.is(j, "COUNT") && j + 1 < argv.len() {
            count = int_arg(argv.get(j + 1))?.max(0);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let KeyCx { core, db, out, .. } = cx;
    let Some((v, _)) = core.read(*db, argv.get(1)) else {
        out.array(0);
        return Ok(());
    };
    let s = v.as_stream().ok_or(CmdError::WrongType)?;
    if count == 0 {
        out.null_array();
    } else {
        range_reply(out, s, start, end, count.max(0) as u64, rev);
    }
    Ok(())
}

fn xrange(cx: &mut KeyCx) -> R {
    range(cx, false)
}

fn xrevrange(cx: &mut KeyCx) -> R {
    range(cx, true)
}

/// XLEN key
fn xlen(cx: &mut KeyCx) -> R {
    let n = read(cx, cx.argv.get(1))?.map_or(0, |s| s.len());
    cx.out.int(n as i64);
    Ok(())
}

/// XDEL key id [id ...]
fn xdel(cx: &mut KeyCx) -> R {
    let (argv, db) = (cx.argv, cx.db);
    if write(cx.core, db, argv.get(1))?.is_none() {
        cx.out.int(0);
        return Ok(());
    }
    let ids = (2..argv.len()).map(|i| parse_strict(argv.get(i))).collect::<Result<Vec<_>, _>>()?;
    let s = write(cx.core, db, argv.get(1))?.expect("looked up");
    let deleted = ids.into_iter().filter(|id| s.delete(*id)).count();
    if deleted > 0 {
        cx.core.signal_modified(db, argv.get(1));
        cx.core.notify(STREAM, "xdel", db, argv.get(1));
    }
    cx.out.int(deleted as i64);
    Ok(())
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
fn xsetid(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let id = parse_strict(argv.get(2))?;
    let (mut added, mut max_deleted) = (None, StreamId::MIN);
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if argv.is(i, "ENTRIESADDED") && more {
            let n = int_arg(argv.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::other("ERR entries_added must be positive"));
            }
            added = Some(n as u64);
        } else if argv.is(i, "MAXDELETEDID") && more {
            max_deleted = parse_strict(argv.get(i + 1))?;
            if id < max_deleted {
                return Err(CmdError::other(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let (key, db) = (argv.get(1), cx.db);
    let s = write(cx.core, db, key)?.ok_or_else(|| CmdError::other("ERR no such key"))?;
    if !s.is_empty() {
        let top = s.edge(true).map_or(StreamId::MIN, |e| e.id);
        if id < top {
            return Err(CmdError::other("ERR The ID specified in XSETID is smaller than the target stream top item"));
        }
        if added.is_some_and(|n| s.len() > n) {
            return Err(CmdError::other(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted = max_deleted;
    }
    cx.out.ok();
    cx.core.notify(STREAM, "xsetid", db, key);
    Ok(())
}

/// The stream at `key` that has group `name`, for a command that needs it, or the NOGROUP
/// error. WRONGTYPE first.
fn group_of<'a>(core: &'a mut Core, db: usize, key: &[u8], name: &[u8]) -> Result<&'a mut Stream, CmdError> {
    let s = core.typed(db, key, true, Value::as_stream_mut)?.ok_or_else(|| no_group(key, name))?;
    if !s.groups.contains_key(name) {
        return Err(no_group(key, name));
    }
    Ok(s)
}

/// XACK key group id [id ...]
fn xack(cx: &mut KeyCx) -> R {
    let (argv, db) = (cx.argv, cx.db);
    let (key, name) = (argv.get(1), argv.get(2));
    let found = match cx.core.read(db, key) {
        Some((v, _)) => v.as_stream().ok_or(CmdError::WrongType)?.groups.contains_key(name),
        None => false,
    };
    if !found {
        cx.out.int(0);
        return Ok(());
    }
    let ids = (3..argv.len()).map(|i| parse_strict(argv.get(i))).collect::<Result<Vec<_>, _>>()?;
    let s = write(cx.core, db, key)?.expect("looked up");
    let group = s.groups.get_mut(name).expect("looked up");
    let acked = ids.into_iter().filter(|id| group.ack(*id)).count();
    cx.out.int(acked as i64);
    Ok(())
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
fn xpending(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let (mut start, mut end, mut count, mut min_idle, mut consumer) = (StreamId::MIN, StreamId::MAX, 0i64, 0i64, None);
    if argc >= 6 {
        let mut at = 3;
        if argv.is(3, "IDLE") {
            min_idle = int_arg(argv.get(4))?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        count = int_arg(argv.get(at + 2))?.max(0);
        start = parse_bound(argv.get(at), true)?;
        end = parse_bound(argv.get(at + 1), false)?;
        if at + 3 < argc {
            consumer = Some(argv.get(at + 3));
        }
    }
    let (key, name, db, now) = (argv.get(1), argv.get(2), cx.db, cx.core.now_ms);
    let s = group_of(cx.core, db, key, name)?;
    let group = &s.groups[name];
    let out = &mut *cx.out;
    if argc == 3 {
        out.array(4);
        out.int(group.pel.len() as i64);
        match (group.pel.keys().next(), group.pel.keys().next_back()) {
            (Some(first), Some(last)) => {
                id_reply(out, *first);
                id_reply(out, *last);
                let holders: Vec<_> = group.consumers.iter().filter(|(_, c)| !c.pel.is_empty()).collect();
                out.array(holders.len());
                for (n, c) in holders {
                    out.array(2);
                    out.bulk(n);
                    out.bulk_int(c.pel.len() as i64);
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    }
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(c) => match group.consumers.get(c) {
            Some(c) => Box::new(c.pel.range(start..).copied()),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None => Box::new(group.pel.range(start..).map(|(id, _)| *id)),
    };
    let at = out.defer();
    let mut n = 0usize;
    if start <= end {
        for id in ids {
            if count == 0 || id > end {
                break;
            }
            let nack = &group.pel[&id];
            let idle = now as i64 - nack.delivery_time as i64;
            if min_idle != 0 && idle < min_idle {
                continue;
            }
            count -= 1;
            n += 1;
            out.array(4);
            id_reply(out, id);
            out.bulk(&nack.consumer);
            out.int(idle.max(0));
            out.int(nack.delivery_count as i64);
        }
    }
    out.set_array_len(at, n);
    Ok(())
}

/// Marks consumer `name` as just seen.
fn seen(g: &mut Group, name: &[u8], now: u64) {
    if let Some(c) = g.consumers.get_mut(name) {
        c.seen_time = now;
    }
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
fn xclaim(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let (key, name, consumer, db) = (argv.get(1), argv.get(2), argv.get(3), cx.db);
    group_of(cx.core, db, key, name)?;
    let min_idle = super::parse_i64(argv.get(4))
        .ok_or_else(|| CmdError::other("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_strict(argv.get(j)) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = cx.core.now_ms as i64;
    let (mut force, mut justid, mut retry, mut delivery, mut last_id) = (false, false, -1i64, -1i64, StreamId::MIN);
    let opt_int = |j: usize, what: &str| {
        super::parse_i64(argv.get(j))
            .ok_or_else(|| CmdError::other(format!("ERR Invalid {what} option argument for XCLAIM")))
    };
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if argv.is(j, "FORCE") {
            force = true;
        } else if argv.is(j, "JUSTID") {
            justid = true;
        } else if argv.is(j, "IDLE") && more {
            j += 1;
            delivery = now - opt_int(j, "IDLE")?;
        } else if argv.is(j, "TIME") && more {
            j += 1;
            delivery = opt_int(j, "TIME")?;
        } else if argv.is(j, "RETRYCOUNT") && more {
            j += 1;
            retry = opt_int(j, "RETRYCOUNT")?;
        } else if argv.is(j, "LASTID") && more {
            j += 1;
            last_id = parse_strict(argv.get(j))?;
        } else {
            return Err(CmdError::other(format!("ERR Unrecognized XCLAIM option '{}'", lossy(argv.get(j)))));
        }
        j += 1;
    }
    if delivery < 0 || delivery > now {
        delivery = now;
    }
    let s = write(cx.core, db, key)?.expect("looked up");
    {
        let g = s.groups.get_mut(name).expect("looked up");
        if last_id > g.last_id {
            g.last_id = last_id;
        }
    }
    let out = &mut *cx.out;
    let at = out.defer();
    let (mut n, mut created) = (0usize, false);
    for id in ids {
        let exists = s.get(id).is_some();
        let g = s.groups.get_mut(name).expect("looked up");
        if !exists {
            g.ack(id);
            continue;
        }
        let had = g.pel.get(&id).map(|nack| nack.delivery_time);
        if had.is_none() && !force {
            continue;
        }
        if let Some(t) = had {
            if min_idle != 0 && now - (t as i64) < min_idle {
                continue;
            }
        }
        if !g.consumers.contains_key(consumer) {
            g.create_consumer(consumer, now as u64);
            created = true;
        }
        seen(g, consumer, now as u64);
        if had.is_none() {
            // FORCE: a fresh pending entry, delivered once (and once more below, as Redis).
            g.add_pending(id, consumer, now as u64);
        } else {
            g.transfer(id, consumer);
        }
        let nack = g.pel.get_mut(&id).expect("pending");
        nack.delivery_time = delivery as u64;
        if retry >= 0 {
            nack.delivery_count = retry as u64;
        } else if !justid {
            nack.delivery_count += 1;
        }
        if justid {
            id_reply(out, id);
        } else {
            match s.get(id) {
                Some(e) => entry_reply(out, &e),
                None => out.null(),
            }
        }
        n += 1;
    }
    out.set_array_len(at, n);
    if created {
        cx.core.notify(STREAM, "xgroup-createconsumer", db, key);
    }
    Ok(())
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
fn xautoclaim(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let min_idle = super::parse_i64(argv.get(4))
        .ok_or_else(|| CmdError::other("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = parse_bound(argv.get(5), true)?;
    let (mut count, mut justid) = (100i64, false);
    let mut j = 6;
    while j < argv.len() {
        if argv.is(j, "COUNT") && j + 1 < argv.len() {
            let max = i64::MAX / 16;
            count = match super::parse_i64(argv.get(j + 1)) {
                Some(n) if (1..=max).contains(&n) => n,
                _ => return Err(CmdError::other("ERR COUNT must be > 0")),
            };
            j += 1;
        } else if argv.is(j, "JUSTID") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let (key, name, consumer, db) = (argv.get(1), argv.get(2), argv.get(3), cx.db);
    let now = cx.core.now_ms;
    let s = group_of(cx.core, db, key, name)?;
    let mut attempts = count * 10;
    let mut deleted = Vec::new();
    let mut claimed = Vec::new();
    let mut created = false;
    let mut cursor = StreamId::MIN;
    let candidates: Vec<(StreamId, u64)> =
        s.groups[name].pel.range(start..).map(|(id, nack)| (*id, nack.delivery_time)).collect();
    let mut it = candidates.into_iter().peekable();
    loop {
        if attempts == 0 || count == 0 {
            break;
        }
        attempts -= 1;
        let Some((id, delivered)) = it.next() else { break };
        let exists = s.get(id).is_some();
        let g = s.groups.get_mut(name).expect("looked up");
        if !exists {
            g.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if min_idle != 0 && (now as i64 - delivered as i64) < min_idle {
            continue;
        }
        if !g.consumers.contains_key(consumer) {
            g.create_consumer(consumer, now);
            created = true;
        }
        seen(g, consumer, now);
        g.transfer(id, consumer);
        let nack = g.pel.get_mut(&id).expect("pending");
        nack.delivery_time = now;
        if !justid {
            nack.delivery_count += 1;
        }
        claimed.push(id);
        count -= 1;
    }
    if let Some((id, _)) = it.next() {
        cursor = id;
    }
    let out = &mut *cx.out;
    out.array(3);
    id_reply(out, cursor);
    out.array(claimed.len());
    for id in claimed {
        if justid {
            id_reply(out, id);
        } else {
            match s.get(id) {
                Some(e) => entry_reply(out, &e),
                None => out.null(),
            }
        }
    }
    out.array(deleted.len());
    for id in deleted {
        id_reply(out, id);
    }
    if created {
        cx.core.notify(STREAM, "xgroup-createconsumer", db, key);
    }
    Ok(())
}

/// The XGROUP subcommands' shared start: options after the ID (CREATE: MKSTREAM and
/// ENTRIESREAD; SETID: ENTRIESREAD), the stream (WRONGTYPE), and the group where it must exist.
struct GroupCx {
    mkstream: bool,
    entries_read: i64,
    exists: bool,
}

fn xgroup_start(cx: &mut KeyCx, sub: &str, need_group: bool) -> Result<GroupCx, CmdError> {
    let argv = cx.argv;
    let mut g = GroupCx { mkstream: false, entries_read: INVALID_READ, exists: false };
    let (create, setid) = (sub == "create", sub == "setid");
    let mut i = 5;
    while (create || setid) && i < argv.len() {
        if create && argv.is(i, "MKSTREAM") {
            g.mkstream = true;
            i += 1;
        } else if argv.is(i, "ENTRIESREAD") && i + 1 < argv.len() {
            let n = int_arg(argv.get(i + 1))?;
            if n < 0 && n != INVALID_READ {
                return Err(CmdError::other("ERR value for ENTRIESREAD must be positive or -1"));
            }
            g.entries_read = n;
            i += 2;
        } else {
            return Err(subcommand_syntax(argv.get(1)));
        }
    }
    let (key, name, db) = (argv.get(2), argv.get(3), cx.db);
    let s = write(cx.core, db, key)?;
    g.exists = s.is_some();
    if s.is_none() && !(create && g.mkstream) {
        return Err(CmdError::other(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
        ));
    }
    if need_group && !s.is_some_and(|s| s.groups.contains_key(name)) {
        return Err(no_such_group(key, name));
    }
    Ok(g)
}

/// Redis's addReplySubcommandSyntaxError, naming the subcommand as the client wrote it.
fn subcommand_syntax(sub: &[u8]) -> CmdError {
    CmdError::other(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        lossy(sub)
    ))
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
fn xgroup_create(cx: &mut KeyCx) -> R {
    if cx.argv.len() > 8 {
        return Err(subcommand_syntax(cx.argv.get(1)));
    }
    let g = xgroup_start(cx, "create", false)?;
    let (argv, db) = (cx.argv, cx.db);
    let (key, name) = (argv.get(2), argv.get(3));
    let id = if argv.get(4) == b"$" {
        write(cx.core, db, key)?.map_or(StreamId::MIN, |s| s.last_id)
    } else {
        parse_strict(argv.get(4))?
    };
    if !g.exists {
        cx.core.put(db, key, Value::stream(Stream::default()), 0);
        cx.core.signal_modified(db, key);
    }
    let s = write(cx.core, db, key)?.expect("present or just stored");
    if s.groups.contains_key(name) {
        return Err(CmdError::other("BUSYGROUP Consumer Group name already exists"));
    }
    s.groups.insert(name.to_vec(), Group::new(id, g.entries_read));
    cx.out.ok();
    cx.core.notify(STREAM, "xgroup-create", db, key);
    Ok(())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
fn xgroup_setid(cx: &mut KeyCx) -> R {
    if cx.argv.len() != 5 && cx.argv.len() != 7 {
        return Err(subcommand_syntax(cx.argv.get(1)));
    }
    let g = xgroup_start(cx, "setid", true)?;
    let (argv, db) = (cx.argv, cx.db);
    let (key, name) = (argv.get(2), argv.get(3));
    let s = write(cx.core, db, key)?.expect("checked");
    let id = if argv.get(4) == b"$" { s.last_id } else { parse_id(argv.get(4), 0)? };
    let group = s.groups.get_mut(name).expect("checked");
    group.last_id = id;
    group.entries_read = g.entries_read;
    cx.out.ok();
    cx.core.notify(STREAM, "xgroup-setid", db, key);
    Ok(())
}

/// XGROUP DESTROY key group
fn xgroup_destroy(cx: &mut KeyCx) -> R {
    xgroup_start(cx, "destroy", false)?;
    let (argv, db) = (cx.argv, cx.db);
    let (key, name) = (argv.get(2), argv.get(3));
    let s = write(cx.core, db, key)?.expect("checked");
    if s.groups.remove(name).is_some() {
        cx.core.notify(STREAM, "xgroup-destroy", db, key);
        // Readers blocked on the group get -NOGROUP.
        cx.core.blocking.signal(db, key);
        cx.out.int(1);
    } else {
        cx.out.int(0);
    }
    Ok(())
}

/// The group (argument 3) of the stream (argument 2) that [`xgroup_start`] found.
fn checked_group<'a>(cx: &'a mut KeyCx) -> &'a mut Group {
    let (db, key, name) = (cx.db, cx.argv.get(2), cx.argv.get(3));
    write(cx.core, db, key).ok().flatten().and_then(|s| s.groups.get_mut(name)).expect("checked by xgroup_start")
}

/// XGROUP CREATECONSUMER key group consumer
fn xgroup_createconsumer(cx: &mut KeyCx) -> R {
    xgroup_start(cx, "createconsumer", true)?;
    let (argv, db, now) = (cx.argv, cx.db, cx.core.now_ms);
    let key = argv.get(2);
    let created = checked_group(cx).create_consumer(argv.get(4), now);
    if created {
        cx.core.notify(STREAM, "xgroup-createconsumer", db, key);
    }
    cx.out.int(created as i64);
    Ok(())
}

/// XGROUP DELCONSUMER key group consumer
fn xgroup_delconsumer(cx: &mut KeyCx) -> R {
    xgroup_start(cx, "delconsumer", true)?;
    let (argv, db) = (cx.argv, cx.db);
    let key = argv.get(2);
    match checked_group(cx).delete_consumer(argv.get(4)) {
        Some(pending) => {
            cx.out.int(pending as i64);
            cx.core.notify(STREAM, "xgroup-delconsumer", db, key);
        }
        None => cx.out.int(0),
    }
    Ok(())
}

fn xgroup_help(cx: &mut super::Cx) -> Result<super::Flow, CmdError> {
    super::help(
        cx.out(),
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(super::Flow::Done)
}

fn xinfo_help(cx: &mut super::Cx) -> Result<super::Flow, CmdError> {
    super::help(
        cx.out(),
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(super::Flow::Done)
}

/// The stream for XINFO: `ERR no such key` when missing.
fn info_stream<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<&'a mut Stream, CmdError> {
    core.typed(db, key, true, Value::as_stream_mut)?.ok_or_else(|| CmdError::other("ERR no such key"))
}

/// XINFO STREAM key [FULL [COUNT count]]
fn xinfo_stream(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let db = cx.db;
    // Options are checked once the key is known to be there.
    let s = info_stream(cx.core, db, argv.get(2))?;
    let syntax = || {
        CmdError::other(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
            lossy(argv.get(1))
        ))
    };
    let (mut full, mut count) = (false, 10i64);
    match argv.len() {
        3 => {}
        4 | 6 if argv.is(3, "FULL") => {
            full = true;
            if argv.len() == 6 {
                if !argv.is(4, "COUNT") {
                    return Err(syntax());
                }
                // A negative COUNT is the default, 0 is everything.
                count = match int_arg(argv.get(5))? {
                    n if n < 0 => 10,
                    n => n,
                };
            }
        }
        _ => return Err(syntax()),
    }
    let out = &mut *cx.out;
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.nodes() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(s.radix_tree_nodes() as i64);
    out.bulk(b"last-generated-id");
    id_reply(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    id_reply(out, s.max_deleted);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    id_reply(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        for last in [false, true] {
            out.bulk(if last { b"last-entry" } else { b"first-entry" });
            match s.edge(last) {
                Some(e) => entry_reply(out, &e),
                None => out.null(),
            }
        }
        return Ok(());
    }
    out.bulk(b"entries");
    range_reply(out, s, StreamId::MIN, StreamId::MAX, count as u64, false);
    out.bulk(b"groups");
    out.array(s.groups.len());
    let limit = |n: usize| if count == 0 { n } else { n.min(count as usize) };
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        id_reply(out, g.last_id);
        out.bulk(b"entries-read");
        read_counter(out, g.entries_read);
        out.bulk(b"lag");
        lag_reply(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        out.array(limit(g.pel.len()));
        for (id, nack) in g.pel.iter().take(limit(g.pel.len())) {
            out.array(4);
            id_reply(out, *id);
            out.bulk(&nack.consumer);
            out.int(nack.delivery_time as i64);
            out.int(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            out.array(limit(c.pel.len()));
            for id in c.pel.iter().take(limit(c.pel.len())) {
                let nack = &g.pel[id];
                out.array(3);
                id_reply(out, *id);
                out.int(nack.delivery_time as i64);
                out.int(nack.delivery_count as i64);
            }
        }
    }
    Ok(())
}

fn read_counter(out: &mut Out, n: i64) {
    if n == INVALID_READ {
        out.null();
    } else {
        out.int(n);
    }
}

fn lag_reply(out: &mut Out, s: &Stream, g: &Group) {
    match s.lag(g) {
        Some(n) => out.int(n),
        None => out.null(),
    }
}

/// XINFO GROUPS key
fn xinfo_groups(cx: &mut KeyCx) -> R {
    let db = cx.db;
    let s = info_stream(cx.core, db, cx.argv.get(2))?;
    let out = &mut *cx.out;
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        id_reply(out, g.last_id);
        out.bulk(b"entries-read");
        read_counter(out, g.entries_read);
        out.bulk(b"lag");
        lag_reply(out, s, g);
    }
    Ok(())
}

/// XINFO CONSUMERS key group
fn xinfo_consumers(cx: &mut KeyCx) -> R {
    let (argv, db, now) = (cx.argv, cx.db, cx.core.now_ms);
    let (key, name) = (argv.get(2), argv.get(3));
    let s = info_stream(cx.core, db, key)?;
    let Some(g) = s.groups.get(name) else {
        return Err(no_such_group(key, name));
    };
    let out = &mut *cx.out;
    out.array(g.consumers.len());
    for (cname, c) in &g.consumers {
        out.map(3);
        out.bulk(b"name");
        out.bulk(cname);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int((now as i64 - c.seen_time as i64).max(0));
    }
    Ok(())
}

const W: &[&str] = &["@write", "@stream", "@fast"];
const WS: &[&str] = &["@write", "@stream", "@slow"];
const RF: &[&str] = &["@read", "@stream", "@fast"];
const RS: &[&str] = &["@read", "@stream", "@slow"];
const RB: &[&str] = &["@read", "@stream", "@slow", "@blocking"];
const WB: &[&str] = &["@write", "@stream", "@slow", "@blocking"];

const XGROUP_SUBS: &[Spec] = &[
    cmd("create", -5, WRITE | DENYOOM | SIGNALS, (2, 2, 1), WS, Handler::Key(xgroup_create)),
    cmd("createconsumer", 5, WRITE | DENYOOM | SIGNALS, (2, 2, 1), WS, Handler::Key(xgroup_createconsumer)),
    cmd("delconsumer", 5, WRITE | SIGNALS, (2, 2, 1), WS, Handler::Key(xgroup_delconsumer)),
    cmd("destroy", 4, WRITE | SIGNALS, (2, 2, 1), WS, Handler::Key(xgroup_destroy)),
    cmd("setid", -5, WRITE | SIGNALS, (2, 2, 1), WS, Handler::Key(xgroup_setid)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@stream", "@slow"], Handler::Conn(xgroup_help)),
];

const XINFO_SUBS: &[Spec] = &[
    cmd("groups", 3, READONLY, (2, 2, 1), RS, Handler::Key(xinfo_groups)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@stream", "@slow"], Handler::Conn(xinfo_help)),
    cmd("stream", -3, READONLY, (2, 2, 1), RS, Handler::Key(xinfo_stream)),
    cmd("consumers", 4, READONLY, (2, 2, 1), RS, Handler::Key(xinfo_consumers)),
];

pub const SPECS: &[Spec] = &[
    cmd("xadd", -5, WRITE | SIGNALS | DENYOOM | FAST, (1, 1, 1), W, Handler::Key(xadd)),
    cmd("xrange", -4, READONLY, (1, 1, 1), RS, Handler::Key(xrange)),
    cmd("xrevrange", -4, READONLY, (1, 1, 1), RS, Handler::Key(xrevrange)),
    cmd("xlen", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(xlen)),
    cmd("xdel", -3, WRITE | SIGNALS | FAST, (1, 1, 1), W, Handler::Key(xdel)),
    cmd("xtrim", -4, WRITE | SIGNALS, (1, 1, 1), WS, Handler::Key(xtrim)),
    cmd("xsetid", -3, WRITE | SIGNALS | DENYOOM | FAST, (1, 1, 1), W, Handler::Key(xsetid)),
    cmd("xack", -4, WRITE | SIGNALS | FAST, (1, 1, 1), W, Handler::Key(xack)),
    cmd("xpending", -3, READONLY, (1, 1, 1), RS, Handler::Key(xpending)),
    cmd("xclaim", -6, WRITE | SIGNALS | FAST, (1, 1, 1), W, Handler::Key(xclaim)),
    cmd("xautoclaim", -6, WRITE | SIGNALS | FAST, (1, 1, 1), W, Handler::Key(xautoclaim)),
    cmd("xread", -4, READONLY | BLOCKING | MOVABLEKEYS, (0, 0, 0), RB, Handler::Conn(super::xread::xread)),
    cmd("xreadgroup", -7, WRITE | BLOCKING | MOVABLEKEYS, (0, 0, 0), WB, Handler::Conn(super::xread::xreadgroup)),
    container("xgroup", -2, 0, &["@slow"], XGROUP_SUBS),
    container("xinfo", -2, 0, &["@slow"], XINFO_SUBS),
];
