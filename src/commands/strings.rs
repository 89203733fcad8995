//! String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR
//! INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE SUBSTR LCS.
//!
//! Single-key commands run on the key's owner (`op` functions with no client state). MGET, MSET,
//! MSETNX and LCS have a `spread` form for keys on several shards, run as a [`Tx`].

use super::flag::*;
use super::{cmd, int_arg, multi, Cx, Flow, Handler, KeyCx, Spec};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::protocol::Out;
use crate::pubsub::notify::class::{GENERIC, STRING};
use crate::shard::mesh::JobOut;
use crate::shard::Core;
use crate::store::value::{long_double_add, FloatError, Kind, Value};

type R = Result<(), CmdError>;

/// The value of `key` if it is a string (WRONGTYPE otherwise), counting a hit or miss.
fn read_string<'a>(cx: &'a mut KeyCx, key: &[u8]) -> Result<Option<(&'a mut Value, u64)>, CmdError> {
    match cx.core.read(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => Err(CmdError::WrongType),
        found => Ok(found),
    }
}

fn reply_value(cx: &mut KeyCx, value: Option<&Value>) {
    match value {
        Some(v) => {
            let mut scratch = itoa::Buffer::new();
            cx.out.bulk(v.as_bytes(&mut scratch));
        }
        None => cx.out.null(),
    }
}

/// GET key
fn get(cx: &mut KeyCx) -> R {
    let KeyCx { core, db, argv, out } = cx;
    match core.read(*db, argv.get(1)) {
        Some((v, _)) if v.kind() != Kind::String => return Err(CmdError::WrongType),
        Some((v, _)) => out.bulk(v.as_bytes(&mut itoa::Buffer::new())),
        None => out.null(),
    }
    Ok(())
}

/// How a command changes a key's deadline.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Ttl {
    /// Clear it (plain SET) or keep it as is (GETEX without options).
    Unchanged,
    Keep,
    Persist,
    At(i64),
}

/// Parses an EX/PX/EXAT/PXAT argument into an absolute deadline in ms, with Redis's checks
/// (`name` for the "invalid expire time in '...' command" text).
fn deadline(arg: &[u8], unit_ms: i64, relative: bool, now: u64, name: &str) -> Result<i64, CmdError> {
    let invalid = || CmdError::other(format!("ERR invalid expire time in '{name}' command"));
    let n = int_arg(arg)?;
    if n <= 0 || (unit_ms == 1000 && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = n * unit_ms;
    let at = if relative { ms.checked_add(now as i64).ok_or_else(invalid)? } else { ms };
    if at <= 0 {
        return Err(invalid());
    }
    Ok(at)
}

/// Options of SET (and GETEX's subset): NX XX GET EX PX EXAT PXAT KEEPTTL PERSIST.
#[derive(Default)]
struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    ttl: Option<Ttl>,
}

fn parse_set_opts(cx: &KeyCx, from: usize, getex: bool) -> Result<SetOpts, CmdError> {
    let argv = cx.argv;
    let name = if getex { "getex" } else { "set" };
    let mut o = SetOpts::default();
    let mut i = from;
    while i < argv.len() {
        let has_next = i + 1 < argv.len();
        let unit = |j: usize| -> Option<(i64, bool)> {
            if argv.is(j, "EX") {
                Some((1000, true))
            } else if argv.is(j, "PX") {
                Some((1, true))
            } else if argv.is(j, "EXAT") {
                Some((1000, false))
            } else if argv.is(j, "PXAT") {
                Some((1, false))
            } else {
                None
            }
        };
        if !getex && argv.is(i, "NX") && !o.xx {
            o.nx = true;
        } else if !getex && argv.is(i, "XX") && !o.nx {
            o.xx = true;
        } else if !getex && argv.is(i, "GET") {
            o.get = true;
        } else if !getex && argv.is(i, "KEEPTTL") && o.ttl.is_none() {
            o.ttl = Some(Ttl::Keep);
        } else if getex && argv.is(i, "PERSIST") && o.ttl.is_none() {
            o.ttl = Some(Ttl::Persist);
        } else if let (Some((ms, relative)), true, None) = (unit(i), has_next, o.ttl) {
            o.ttl = Some(Ttl::At(deadline(argv.get(i + 1), ms, relative, cx.core.now_ms, name)?));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// Stores `value` at `key` with the deadline `ttl` asks for (`old` is the previous deadline).
fn store(cx: &mut KeyCx, key: &[u8], value: Value, ttl: Ttl, old: u64) {
    match ttl {
        // A deadline already past is set too, as Redis 7.0 sets it: the key is gone at its
        // next lookup (`expired` then) or to active expiry.
        Ttl::At(at) => cx.core.put(cx.db, key, value, at.max(1) as u64),
        Ttl::Keep => cx.core.put(cx.db, key, value, old),
        Ttl::Unchanged | Ttl::Persist => cx.core.put(cx.db, key, value, 0),
    }
    cx.core.notify(STRING, "set", cx.db, key);
    if let Ttl::At(_) = ttl {
        cx.core.notify(GENERIC, "expire", cx.db, key);
    }
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
fn set(cx: &mut KeyCx) -> R {
    let (key, value) = (cx.argv.get(1), cx.argv.get(2));
    if cx.argv.len() == 3 {
        // Plain SET: one insert, no lookup first.
        cx.core.put(cx.db, key, Value::from_bytes(value), 0);
        cx.core.notify(STRING, "set", cx.db, key);
        cx.out.ok();
        return Ok(());
    }
    let o = parse_set_opts(cx, 3, false)?;
    // The old value is copied only when GET asks for it.
    let (found, old_value, old_ttl) = match cx.core.live(cx.db, key) {
        Some((v, ttl)) => (true, o.get.then(|| v.clone()), ttl),
        None => (false, None, 0),
    };
    if o.get {
        if old_value.as_ref().is_some_and(|v| v.kind() != Kind::String) {
            return Err(CmdError::WrongType);
        }
        reply_value(cx, old_value.as_ref());
    }
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            cx.out.null();
        }
        return Ok(());
    }
    store(cx, key, Value::from_bytes(value), o.ttl.unwrap_or(Ttl::Unchanged), old_ttl);
    if !o.get {
        cx.out.ok();
    }
    Ok(())
}

/// SETNX key value
fn setnx(cx: &mut KeyCx) -> R {
    let (key, value) = (cx.argv.get(1), cx.argv.get(2));
    if cx.core.exists(cx.db, key) {
        cx.out.int(0);
    } else {
        cx.core.put(cx.db, key, Value::from_bytes(value), 0);
        cx.core.notify(STRING, "set", cx.db, key);
        cx.out.int(1);
    }
    Ok(())
}

fn setex_generic(cx: &mut KeyCx, unit_ms: i64, name: &str) -> R {
    let at = deadline(cx.argv.get(2), unit_ms, true, cx.core.now_ms, name)?;
    let (key, value) = (cx.argv.get(1), cx.argv.get(3));
    store(cx, key, Value::from_bytes(value), Ttl::At(at), 0);
    cx.out.ok();
    Ok(())
}

/// SETEX key seconds value
fn setex(cx: &mut KeyCx) -> R {
    setex_generic(cx, 1000, "setex")
}

/// PSETEX key milliseconds value
fn psetex(cx: &mut KeyCx) -> R {
    setex_generic(cx, 1, "psetex")
}

/// GETSET key value
fn getset(cx: &mut KeyCx) -> R {
    let (key, value) = (cx.argv.get(1), cx.argv.get(2));
    let old = read_string(cx, key)?.map(|(v, _)| v.clone());
    reply_value(cx, old.as_ref());
    cx.core.put(cx.db, key, Value::from_bytes(value), 0);
    cx.core.notify(STRING, "set", cx.db, key);
    Ok(())
}

/// GETDEL key
fn getdel(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let old = read_string(cx, key)?.map(|(v, _)| v.clone());
    reply_value(cx, old.as_ref());
    if old.is_some() {
        cx.core.dbs[cx.db].remove(key);
        cx.core.notify(GENERIC, "del", cx.db, key);
    }
    Ok(())
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
fn getex(cx: &mut KeyCx) -> R {
    let o = parse_set_opts(cx, 2, true)?;
    let key = cx.argv.get(1);
    let Some((value, deadline)) = read_string(cx, key)? else {
        cx.out.null();
        return Ok(());
    };
    let value = value.clone();
    reply_value(cx, Some(&value));
    match o.ttl {
        Some(Ttl::At(at)) if at as u64 <= cx.core.now_ms => {
            cx.core.dbs[cx.db].remove(key);
            cx.core.notify(GENERIC, "del", cx.db, key);
        }
        Some(Ttl::At(at)) => {
            cx.core.dbs[cx.db].set_expire(key, at as u64);
            cx.core.notify(GENERIC, "expire", cx.db, key);
        }
        Some(Ttl::Persist) if deadline != 0 => {
            cx.core.dbs[cx.db].set_expire(key, 0);
            cx.core.notify(GENERIC, "persist", cx.db, key);
        }
        _ => {}
    }
    Ok(())
}

/// MGET key [key ...] (all keys on this shard)
fn mget(cx: &mut KeyCx) -> R {
    let n = cx.argv.len() - 1;
    cx.out.array(n);
    for i in 1..=n {
        let key = cx.argv.get(i);
        let value = match cx.core.read(cx.db, key) {
            Some((v, _)) if v.kind() == Kind::String => Some(v.clone()),
            _ => None,
        };
        reply_value(cx, value.as_ref());
    }
    Ok(())
}

/// Values of `keys` read on one shard, for a spread MGET or LCS.
fn read_values(core: &mut Core, db: usize, keys: &[Vec<u8>]) -> Vec<(Vec<u8>, Option<Value>)> {
    keys.iter()
        .map(|k| {
            let v = match core.read(db, k) {
                Some((v, _)) if v.kind() == Kind::String => Some(v.clone()),
                _ => None,
            };
            (k.clone(), v)
        })
        .collect()
}

/// Collects the per-shard `(key, value)` lists of a spread read.
fn gather(parts: Vec<JobOut>) -> hashbrown::HashMap<Vec<u8>, Option<Value>> {
    let mut all = hashbrown::HashMap::new();
    for part in parts {
        if let Ok(pairs) = part.downcast::<Vec<(Vec<u8>, Option<Value>)>>() {
            all.extend(*pairs);
        }
    }
    all
}

/// MGET over several shards: shared locks, read, reply in argument order.
fn mget_spread(cx: &mut Cx) -> Result<Flow, CmdError> {
    let db = cx.conn.db;
    let keys: Vec<Vec<u8>> = cx.argv.iter().skip(1).map(|k| k.to_vec()).collect();
    let tx = Tx::keys(cx.core, keys.iter().map(|k| (db, k.as_slice())), false);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run_and_release(
            |_, scope| {
                let mine = scope.keys();
                Box::new(move |core: &mut Core| -> JobOut { Box::new(read_values(core, db, &mine)) })
            },
            Box::new(move |_core, conn, parts| {
                let values = gather(parts);
                conn.out.array(keys.len());
                let mut scratch = itoa::Buffer::new();
                for k in &keys {
                    match values.get(k).and_then(|v| v.as_ref()) {
                        Some(v) => conn.out.bulk(v.as_bytes(&mut scratch)),
                        None => conn.out.null(),
                    }
                }
                Flow::Done
            }),
        )
    })))
}

fn check_pairs(cx_argc: usize, name: &str) -> R {
    if cx_argc.is_multiple_of(2) {
        return Err(CmdError::WrongArity(name.into()));
    }
    Ok(())
}

/// MSET key value [key value ...] (all keys on this shard)
fn mset(cx: &mut KeyCx) -> R {
    check_pairs(cx.argv.len(), "mset")?;
    for i in (1..cx.argv.len()).step_by(2) {
        let (key, value) = (cx.argv.get(i), cx.argv.get(i + 1));
        cx.core.put(cx.db, key, Value::from_bytes(value), 0);
        cx.core.notify(STRING, "set", cx.db, key);
    }
    cx.out.ok();
    Ok(())
}

/// MSETNX key value [key value ...] (all keys on this shard)
fn msetnx(cx: &mut KeyCx) -> R {
    check_pairs(cx.argv.len(), "msetnx")?;
    let any = (1..cx.argv.len()).step_by(2).any(|i| {
        let key = cx.argv.get(i);
        cx.core.exists(cx.db, key)
    });
    if any {
        cx.out.int(0);
        return Ok(());
    }
    for i in (1..cx.argv.len()).step_by(2) {
        let (key, value) = (cx.argv.get(i), cx.argv.get(i + 1));
        cx.core.put(cx.db, key, Value::from_bytes(value), 0);
        cx.core.notify(STRING, "set", cx.db, key);
    }
    cx.out.int(1);
    Ok(())
}

/// The key/value pairs of an MSET-like command, grouped by owning shard (argument order kept,
/// so a later pair for the same key wins).
/// Each pair carries its place in the command, the order its `set` event takes.
type Pairs = Vec<Vec<(u32, Vec<u8>, Vec<u8>)>>;

fn pairs_by_shard(cx: &Cx) -> Pairs {
    let mut per = vec![Vec::new(); cx.core.shards()];
    for i in (1..cx.argv.len()).step_by(2) {
        let (k, v) = (cx.argv.get(i), cx.argv.get(i + 1));
        per[cx.core.owner(k)].push((i as u32, k.to_vec(), v.to_vec()));
    }
    per
}

/// The last round of a spread MSET/MSETNX: every shard writes its pairs and releases its
/// locks; then `reply` answers.
fn write_pairs(tx: &Tx, mut per: Pairs, db: usize, reply: fn(&mut Out)) -> Flow {
    tx.run_and_release(
        |shard, _| {
            let pairs = std::mem::take(&mut per[shard]);
            Box::new(move |core: &mut Core| -> JobOut {
                for (i, k, v) in pairs {
                    core.event_seq = i;
                    core.put(db, &k, Value::from_bytes(&v), 0);
                    core.notify(STRING, "set", db, &k);
                }
                Box::new(())
            })
        },
        Box::new(move |_core, conn, _| {
            reply(&mut conn.out);
            Flow::Done
        }),
    )
}

/// MSET over several shards: exclusive locks, write everywhere, release.
fn mset_spread(cx: &mut Cx) -> Result<Flow, CmdError> {
    check_pairs(cx.argv.len(), "mset")?;
    let db = cx.conn.db;
    let per = pairs_by_shard(cx);
    let tx = Tx::keys(cx.core, (1..cx.argv.len()).step_by(2).map(|i| (db, cx.argv.get(i))), true);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| write_pairs(&tx, per, db, |out| out.ok()))))
}

/// MSETNX over several shards: lock, check every key, then write all or nothing.
fn msetnx_spread(cx: &mut Cx) -> Result<Flow, CmdError> {
    check_pairs(cx.argv.len(), "msetnx")?;
    let db = cx.conn.db;
    let per = pairs_by_shard(cx);
    let tx = Tx::keys(cx.core, (1..cx.argv.len()).step_by(2).map(|i| (db, cx.argv.get(i))), true);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run(
            |_, scope| {
                let mine = scope.keys();
                Box::new(move |core: &mut Core| -> JobOut { Box::new(mine.iter().any(|k| core.exists(db, k))) })
            },
            move |_core, _conn, parts, tx| {
                let any = parts.into_iter().any(|p| p.downcast::<bool>().map(|b| *b).unwrap_or(false));
                if any {
                    return tx.release(Box::new(|_core, conn, _| {
                        conn.out.int(0);
                        Flow::Done
                    }));
                }
                write_pairs(&tx, per, db, |out| out.int(1))
            },
        )
    })))
}

/// INCR/DECR/INCRBY/DECRBY: adds `by` keeping the key's deadline.
fn incr_by(cx: &mut KeyCx, by: i64) -> R {
    let key = cx.argv.get(1);
    let (current, ttl) = match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => return Err(CmdError::WrongType),
        Some((v, ttl)) => (v.as_int().ok_or(CmdError::NotInteger)?, ttl),
        None => (0, 0),
    };
    let new = current.checked_add(by).ok_or_else(|| CmdError::other("ERR increment or decrement would overflow"))?;
    cx.core.put(cx.db, key, Value::int(new), ttl);
    cx.core.notify(STRING, "incrby", cx.db, key);
    cx.out.int(new);
    Ok(())
}

/// INCR key
fn incr(cx: &mut KeyCx) -> R {
    incr_by(cx, 1)
}

/// DECR key
fn decr(cx: &mut KeyCx) -> R {
    incr_by(cx, -1)
}

/// INCRBY key increment
fn incrby(cx: &mut KeyCx) -> R {
    let by = int_arg(cx.argv.get(2))?;
    incr_by(cx, by)
}

/// DECRBY key decrement
fn decrby(cx: &mut KeyCx) -> R {
    let by = int_arg(cx.argv.get(2))?;
    if by == i64::MIN {
        return Err(CmdError::other("ERR decrement would overflow"));
    }
    incr_by(cx, -by)
}

/// INCRBYFLOAT key increment (long double arithmetic, as Redis)
fn incrbyfloat(cx: &mut KeyCx) -> R {
    let (key, incr) = (cx.argv.get(1), cx.argv.get(2));
    let mut scratch = itoa::Buffer::new();
    let (current, ttl) = match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => return Err(CmdError::WrongType),
        Some((v, ttl)) => (v.as_bytes(&mut scratch).to_vec(), ttl),
        None => (b"0".to_vec(), 0),
    };
    let sum = long_double_add(&current, incr).map_err(|e| match e {
        FloatError::NotFloat => CmdError::other("ERR value is not a valid float"),
        FloatError::NanOrInf => CmdError::other("ERR increment would produce NaN or Infinity"),
    })?;
    cx.out.bulk(&sum);
    cx.core.put(cx.db, key, Value::string(&sum), ttl);
    cx.core.notify(STRING, "incrbyfloat", cx.db, key);
    Ok(())
}

fn check_size(cx: &KeyCx, len: u64) -> R {
    if len > cx.core.config.proto_max_bulk_len {
        return Err(CmdError::other("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    }
    Ok(())
}

/// APPEND key value
fn append(cx: &mut KeyCx) -> R {
    let (key, tail) = (cx.argv.get(1), cx.argv.get(2));
    let limit = cx.core.config.proto_max_bulk_len;
    match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => Err(CmdError::WrongType),
        Some((v, _)) => {
            if (v.str_len() + tail.len()) as u64 > limit {
                return Err(CmdError::other("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
            }
            let buf = v.make_raw();
            buf.extend_from_slice(tail);
            let len = buf.len() as i64;
            cx.out.int(len);
            cx.core.notify(STRING, "append", cx.db, key);
            Ok(())
        }
        None => {
            check_size(cx, tail.len() as u64)?;
            cx.core.put(cx.db, key, Value::string(tail), 0);
            cx.core.notify(STRING, "append", cx.db, key);
            cx.out.int(tail.len() as i64);
            Ok(())
        }
    }
}

/// STRLEN key
fn strlen(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let len = read_string(cx, key)?.map(|(v, _)| v.str_len()).unwrap_or(0);
    cx.out.int(len as i64);
    Ok(())
}

/// GETRANGE key start end (and SUBSTR)
fn getrange(cx: &mut KeyCx) -> R {
    let start = int_arg(cx.argv.get(2))?;
    let end = int_arg(cx.argv.get(3))?;
    let key = cx.argv.get(1);
    let mut scratch = itoa::Buffer::new();
    let bytes = match read_string(cx, key)? {
        Some((v, _)) => v.as_bytes(&mut scratch).to_vec(),
        None => Vec::new(),
    };
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        cx.out.bulk(b"");
        return Ok(());
    }
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        cx.out.bulk(b"");
    } else {
        cx.out.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

/// SETRANGE key offset value
fn setrange(cx: &mut KeyCx) -> R {
    let offset = int_arg(cx.argv.get(2))?;
    if offset < 0 {
        return Err(CmdError::other("ERR offset is out of range"));
    }
    let (key, patch) = (cx.argv.get(1), cx.argv.get(3));
    let offset = offset as usize;
    let limit = cx.core.config.proto_max_bulk_len;
    match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::String => Err(CmdError::WrongType),
        Some((v, _)) => {
            if patch.is_empty() {
                let len = v.str_len() as i64;
                cx.out.int(len);
                return Ok(());
            }
            if (offset + patch.len()) as u64 > limit {
                return Err(CmdError::other("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
            }
            let buf = v.make_raw();
            if buf.len() < offset + patch.len() {
                buf.resize(offset + patch.len(), 0);
            }
            buf[offset..offset + patch.len()].copy_from_slice(patch);
            let len = buf.len() as i64;
            cx.out.int(len);
            cx.core.notify(STRING, "setrange", cx.db, key);
            Ok(())
        }
        None => {
            if patch.is_empty() {
                cx.out.int(0);
                return Ok(());
            }
            check_size(cx, (offset + patch.len()) as u64)?;
            let mut buf = vec![0u8; offset + patch.len()];
            buf[offset..].copy_from_slice(patch);
            let len = buf.len() as i64;
            cx.core.put(cx.db, key, Value::raw(buf), 0);
            cx.core.notify(STRING, "setrange", cx.db, key);
            cx.out.int(len);
            Ok(())
        }
    }
}

/// What LCS was asked for.
#[derive(Clone, Copy, Default)]
struct LcsOpts {
    len: bool,
    idx: bool,
    min_match_len: usize,
    with_match_len: bool,
}

fn parse_lcs_opts(argv: &super::Argv) -> Result<LcsOpts, CmdError> {
    let mut o = LcsOpts::default();
    let mut i = 3;
    while i < argv.len() {
        if argv.is(i, "LEN") {
            o.len = true;
        } else if argv.is(i, "IDX") {
            o.idx = true;
        } else if argv.is(i, "WITHMATCHLEN") {
            o.with_match_len = true;
        } else if argv.is(i, "MINMATCHLEN") && i + 1 < argv.len() {
            o.min_match_len = int_arg(argv.get(i + 1))?.max(0) as usize;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if o.len && o.idx {
        return Err(CmdError::other("ERR If you want both the length and indexes, please just use IDX."));
    }
    Ok(o)
}

/// Redis's LCS: the dynamic-programming table, then a walk back from its end that emits the
/// matching ranges last-to-first.
fn lcs(a: &[u8], b: &[u8], o: LcsOpts, out: &mut crate::protocol::Out) -> R {
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells > 1 << 28 {
        return Err(CmdError::other("ERR Insufficient memory, failed allocating transient memory for LCS"));
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let total = t[alen * w + blen] as usize;
    if o.len {
        out.int(total as i64);
        return Ok(());
    }
    let mut result = vec![0u8; total];
    let mut matches: Vec<[usize; 5]> = Vec::new();
    let (mut i, mut j, mut k) = (alen, blen, total);
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0, 0, 0);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[k - 1] = a[i - 1];
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            k -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let len = a_end - a_start + 1;
            if o.min_match_len == 0 || len >= o.min_match_len {
                matches.push([a_start, a_end, b_start, b_end, len]);
            }
            a_start = alen;
        }
    }
    if !o.idx {
        out.bulk(&result);
        return Ok(());
    }
    out.map(2);
    out.bulk(b"matches");
    out.array(matches.len());
    for m in matches {
        out.array(if o.with_match_len { 3 } else { 2 });
        out.array(2);
        out.int(m[0] as i64);
        out.int(m[1] as i64);
        out.array(2);
        out.int(m[2] as i64);
        out.int(m[3] as i64);
        if o.with_match_len {
            out.int(m[4] as i64);
        }
    }
    out.bulk(b"len");
    out.int(total as i64);
    Ok(())
}

fn lcs_operand(value: Option<&Value>) -> Result<Vec<u8>, CmdError> {
    match value {
        Some(v) if v.kind() != Kind::String => {
            Err(CmdError::other("ERR The specified keys must contain string values"))
        }
        Some(v) => Ok(v.as_bytes(&mut itoa::Buffer::new()).to_vec()),
        None => Ok(Vec::new()),
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN] (both keys here)
fn lcs_cmd(cx: &mut KeyCx) -> R {
    let o = parse_lcs_opts(&cx.argv)?;
    let (ka, kb) = (cx.argv.get(1), cx.argv.get(2));
    let a = lcs_operand(cx.core.read(cx.db, ka).map(|(v, _)| &*v))?;
    let b = lcs_operand(cx.core.read(cx.db, kb).map(|(v, _)| &*v))?;
    lcs(&a, &b, o, cx.out)
}

/// LCS with its two keys on two shards.
fn lcs_spread(cx: &mut Cx) -> Result<Flow, CmdError> {
    let o = parse_lcs_opts(&cx.argv)?;
    let db = cx.conn.db;
    let (ka, kb) = (cx.argv.get(1).to_vec(), cx.argv.get(2).to_vec());
    let tx = Tx::keys(cx.core, [(db, ka.as_slice()), (db, kb.as_slice())].into_iter(), false);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run_and_release(
            |_, scope| {
                let mine = scope.keys();
                Box::new(move |core: &mut Core| -> JobOut {
                    let pairs: Vec<(Vec<u8>, Option<Value>)> = mine
                        .iter()
                        .map(|k| {
                            let v = core.read(db, k).map(|(v, _)| v.clone());
                            (k.clone(), v)
                        })
                        .collect();
                    Box::new(pairs)
                })
            },
            Box::new(move |_core, conn, parts| {
                let values = gather(parts);
                let operands = lcs_operand(values.get(&ka).and_then(|v| v.as_ref()))
                    .and_then(|a| Ok((a, lcs_operand(values.get(&kb).and_then(|v| v.as_ref()))?)));
                match operands.and_then(|(a, b)| lcs(&a, &b, o, &mut conn.out)) {
                    Ok(()) => {}
                    Err(e) => conn.out.error(e.to_string().as_bytes()),
                }
                Flow::Done
            }),
        )
    })))
}

const RS: &[&str] = &["@read", "@string", "@slow"];
const RF: &[&str] = &["@read", "@string", "@fast"];
const WS: &[&str] = &["@write", "@string", "@slow"];
const WF: &[&str] = &["@write", "@string", "@fast"];

pub const SPECS: &[Spec] = &[
    cmd("get", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(get)),
    cmd("set", -3, WRITE | DENYOOM, (1, 1, 1), WS, Handler::Key(set)),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(setnx)),
    cmd("setex", 4, WRITE | DENYOOM, (1, 1, 1), WS, Handler::Key(setex)),
    cmd("psetex", 4, WRITE | DENYOOM, (1, 1, 1), WS, Handler::Key(psetex)),
    cmd("getset", 3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(getset)),
    cmd("getdel", 2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(getdel)),
    cmd("getex", -2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(getex)),
    multi("mget", -2, READONLY | FAST, (1, -1, 1), RF, Handler::Key(mget), mget_spread),
    multi("mset", -3, WRITE | DENYOOM, (1, -1, 2), WS, Handler::Key(mset), mset_spread),
    multi("msetnx", -3, WRITE | DENYOOM, (1, -1, 2), WS, Handler::Key(msetnx), msetnx_spread),
    cmd("incr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(incr)),
    cmd("decr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(decr)),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(incrby)),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(decrby)),
    cmd("incrbyfloat", 3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(incrbyfloat)),
    cmd("append", 3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(append)),
    cmd("strlen", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(strlen)),
    cmd("getrange", 4, READONLY, (1, 1, 1), RS, Handler::Key(getrange)),
    cmd("substr", 4, READONLY, (1, 1, 1), RS, Handler::Key(getrange)),
    cmd("setrange", 4, WRITE | DENYOOM, (1, 1, 1), WS, Handler::Key(setrange)),
    multi("lcs", -3, READONLY, (1, 2, 1), RS, Handler::Key(lcs_cmd), lcs_spread),
];
