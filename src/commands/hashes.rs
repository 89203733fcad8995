//! Hash commands: HSET HSETNX HGET HMSET HMGET HGETALL HDEL HEXISTS HLEN HKEYS HVALS HSTRLEN
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
//!
//! Every command names one key and runs on its owner. The value's encodings (listpack-like while
//! small, a table past `hash-max-listpack-*`) live in [`crate::store::hash`]; here are the
//! argument checks, the reply shapes and the error texts, each as Redis 7.0 has them.

use super::flag::*;
use super::{cmd, int_arg, Handler, KeyCx, Spec};
use crate::config::glob_match;
use crate::error::CmdError;
use crate::pubsub::notify::class::HASH;
use crate::store::hash::{Hash, Limits};
use crate::store::value::{long_double_add, FloatError, Kind, Value};

type R = Result<(), CmdError>;

/// The hash at `key`, if any (WRONGTYPE for another type), counting a keyspace hit or miss.
fn read<'a>(cx: &'a mut KeyCx, key: &[u8]) -> Result<Option<&'a mut Hash>, CmdError> {
    cx.core.typed(cx.db, key, true, Value::as_hash_mut)
}

/// The hash at `key` for writing, created empty (not yet stored) when missing.
fn write<'a>(cx: &'a mut KeyCx, key: &[u8]) -> Result<&'a mut Hash, CmdError> {
    match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::Hash => return Err(CmdError::WrongType),
        Some(_) => {}
        None => cx.core.put(cx.db, key, Value::hash(Hash::default()), 0),
    }
    let (v, _) = cx.core.live(cx.db, key).expect("present or just stored");
    Ok(v.as_hash_mut().expect("checked to be a hash"))
}

fn limits(cx: &KeyCx) -> Limits {
    limits_of(cx.core)
}

pub(crate) fn limits_of(core: &crate::shard::Core) -> Limits {
    Limits { entries: core.config.hash_max_listpack_entries, value: core.config.hash_max_listpack_value }
}

/// Sets the field/value pairs from argument 2 on; returns how many fields were new.
fn set_pairs(cx: &mut KeyCx, name: &str) -> Result<i64, CmdError> {
    if !cx.argv.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(name.into()));
    }
    let (argv, limits) = (cx.argv, limits(cx));
    let hash = write(cx, argv.get(1))?;
    let mut added = 0;
    for i in (2..argv.len()).step_by(2) {
        added += hash.set(argv.get(i), argv.get(i + 1), limits) as i64;
    }
    cx.core.notify(HASH, "hset", cx.db, argv.get(1));
    Ok(added)
}

/// HSET key field value [field value ...]
fn hset(cx: &mut KeyCx) -> R {
    let added = set_pairs(cx, "hset")?;
    cx.out.int(added);
    Ok(())
}

/// HMSET key field value [field value ...]
fn hmset(cx: &mut KeyCx) -> R {
    set_pairs(cx, "hmset")?;
    cx.out.ok();
    Ok(())
}

/// HSETNX key field value
fn hsetnx(cx: &mut KeyCx) -> R {
    let (argv, limits) = (cx.argv, limits(cx));
    let (key, field) = (argv.get(1), argv.get(2));
    let exists = match cx.core.live(cx.db, key) {
        Some((v, _)) => v.as_hash().ok_or(CmdError::WrongType)?.contains(field),
        None => false,
    };
    if !exists {
        write(cx, key)?.set(field, argv.get(3), limits);
        cx.core.notify(HASH, "hset", cx.db, key);
    }
    cx.out.int(!exists as i64);
    Ok(())
}

/// HGET key field
fn hget(cx: &mut KeyCx) -> R {
    let (key, field) = (cx.argv.get(1), cx.argv.get(2));
    let KeyCx { core, db, out, .. } = cx;
    match core.read(*db, key) {
        Some((v, _)) => out.bulk_opt(v.as_hash().ok_or(CmdError::WrongType)?.get(field)),
        None => out.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
fn hmget(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let KeyCx { core, db, out, .. } = cx;
    let hash = match core.read(*db, argv.get(1)) {
        Some((v, _)) => Some(v.as_hash().ok_or(CmdError::WrongType)?),
        None => None,
    };
    out.array(argv.len() - 2);
    for i in 2..argv.len() {
        out.bulk_opt(hash.and_then(|h| h.get(argv.get(i))));
    }
    Ok(())
}

/// HGETALL, HKEYS and HVALS: the pairs in the hash's order, as a map (HGETALL) or an array.
fn get_all(cx: &mut KeyCx, keys: bool, values: bool) -> R {
    let key = cx.argv.get(1);
    let KeyCx { core, db, out, .. } = cx;
    let hash = match core.read(*db, key) {
        Some((v, _)) => Some(v.as_hash().ok_or(CmdError::WrongType)?),
        None => None,
    };
    let len = hash.map_or(0, Hash::len);
    if keys && values {
        out.map(len);
    } else {
        out.array(len);
    }
    for (f, v) in hash.into_iter().flat_map(Hash::iter) {
        if keys {
            out.bulk(f);
        }
        if values {
            out.bulk(v);
        }
    }
    Ok(())
}

/// HGETALL key
fn hgetall(cx: &mut KeyCx) -> R {
    get_all(cx, true, true)
}

/// HKEYS key
fn hkeys(cx: &mut KeyCx) -> R {
    get_all(cx, true, false)
}

/// HVALS key
fn hvals(cx: &mut KeyCx) -> R {
    get_all(cx, false, true)
}

/// HDEL key field [field ...]
fn hdel(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    let removed = match cx.core.live(cx.db, key) {
        Some((v, _)) => {
            let hash = v.as_hash_mut().ok_or(CmdError::WrongType)?;
            (2..argv.len()).filter(|&i| hash.remove(argv.get(i))).count()
        }
        None => 0,
    };
    if removed > 0 {
        cx.core.notify(HASH, "hdel", cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    cx.out.int(removed as i64);
    Ok(())
}

/// HLEN, HEXISTS and HSTRLEN: an integer about the hash (0 when the key is missing).
fn count(cx: &mut KeyCx, f: impl Fn(&Hash) -> usize) -> R {
    let key = cx.argv.get(1);
    let n = read(cx, key)?.map_or(0, |h| f(h));
    cx.out.int(n as i64);
    Ok(())
}

/// HLEN key
fn hlen(cx: &mut KeyCx) -> R {
    count(cx, Hash::len)
}

/// HEXISTS key field
fn hexists(cx: &mut KeyCx) -> R {
    let field = cx.argv.get(2);
    count(cx, |h| h.contains(field) as usize)
}

/// HSTRLEN key field
fn hstrlen(cx: &mut KeyCx) -> R {
    let field = cx.argv.get(2);
    count(cx, |h| h.get(field).map_or(0, <[u8]>::len))
}

/// HINCRBY key field increment
fn hincrby(cx: &mut KeyCx) -> R {
    let by = int_arg(cx.argv.get(3))?;
    let (argv, limits) = (cx.argv, limits(cx));
    let hash = write(cx, argv.get(1))?;
    let field = argv.get(2);
    let current = match hash.get(field) {
        Some(v) => crate::protocol::string2ll(v).ok_or_else(|| CmdError::other("ERR hash value is not an integer"))?,
        None => 0,
    };
    let result = current.checked_add(by).ok_or_else(|| CmdError::other("ERR increment or decrement would overflow"));
    let new = match result {
        Ok(n) => n,
        Err(e) => {
            cx.core.del_if_empty(cx.db, argv.get(1));
            return Err(e);
        }
    };
    hash.set(field, itoa::Buffer::new().format(new).as_bytes(), limits);
    cx.core.notify(HASH, "hincrby", cx.db, argv.get(1));
    cx.out.int(new);
    Ok(())
}

/// HINCRBYFLOAT key field increment (long double arithmetic, as Redis)
fn hincrbyfloat(cx: &mut KeyCx) -> R {
    let incr = cx.argv.get(3);
    match long_double_add(b"0", incr) {
        Err(FloatError::NotFloat) => return Err(CmdError::other("ERR value is not a valid float")),
        Err(FloatError::NanOrInf) => return Err(CmdError::other("ERR value is NaN or Infinity")),
        Ok(_) => {}
    }
    let (argv, limits) = (cx.argv, limits(cx));
    let key = argv.get(1);
    let field = argv.get(2);
    let hash = write(cx, key)?;
    let sum = long_double_add(hash.get(field).unwrap_or(b"0"), incr).map_err(|e| match e {
        FloatError::NotFloat => CmdError::other("ERR hash value is not a float"),
        FloatError::NanOrInf => CmdError::other("ERR increment would produce NaN or Infinity"),
    });
    match sum {
        Ok(sum) => {
            hash.set(field, &sum, limits);
            cx.core.notify(HASH, "hincrbyfloat", cx.db, key);
            cx.out.bulk(&sum);
            Ok(())
        }
        Err(e) => {
            cx.core.del_if_empty(cx.db, key);
            Err(e)
        }
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    if argv.len() == 2 {
        let KeyCx { core, db, out, .. } = cx;
        match core.read(*db, argv.get(1)) {
            Some((v, _)) => {
                let hash = v.as_hash().ok_or(CmdError::WrongType)?;
                out.bulk(hash.at(fastrand::usize(..hash.len())).0);
            }
            None => out.null(),
        }
        return Ok(());
    }
    let l = int_arg(argv.get(2))?;
    if l == i64::MIN {
        return Err(CmdError::other(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    if argv.len() > 4 || (argv.len() == 4 && !argv.is(3, "WITHVALUES")) {
        return Err(CmdError::Syntax);
    }
    let with_values = argv.len() == 4;
    // The reply would have 2 * |count| elements.
    if with_values && l < -(i64::MAX / 2) {
        return Err(CmdError::other("ERR value is out of range"));
    }
    let KeyCx { core, db, out, .. } = cx;
    let cap = super::picks_cap(core);
    let hash = match core.read(*db, argv.get(1)) {
        Some((v, _)) => v.as_hash().ok_or(CmdError::WrongType)?,
        None => {
            out.array(0);
            return Ok(());
        }
    };
    if l == 0 {
        out.array(0);
        return Ok(());
    }
    let size = hash.len();
    // Pairs by position: the compact encoding is walked once instead of once per pick.
    let compact: Vec<(&[u8], &[u8])> = if hash.is_compact() { hash.iter().collect() } else { Vec::new() };
    let at = |i: usize| if compact.is_empty() { hash.at(i) } else { compact[i] };
    let emit = |out: &mut crate::protocol::Out, (f, v): (&[u8], &[u8])| {
        if with_values && out.resp3 {
            out.array(2);
        }
        out.bulk(f);
        if with_values {
            out.bulk(v);
        }
    };
    let header = |out: &mut crate::protocol::Out, n: usize| {
        out.array(if with_values && !out.resp3 { n * 2 } else { n });
    };
    let count = l.unsigned_abs() as usize;
    if l < 0 || count == 1 {
        // Repeats allowed: `count` independent picks.
        header(out, count);
        for i in 0..count {
            if i % 1024 == 0 && out.len() > cap {
                break;
            }
            emit(out, at(fastrand::usize(..size)));
        }
    } else if count >= size {
        // The whole hash, in its own order.
        header(out, size);
        for pair in hash.iter() {
            emit(out, pair);
        }
    } else {
        header(out, count);
        for i in super::distinct_positions(size, count) {
            emit(out, at(i));
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
fn hscan(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let cursor = super::scan_cursor(argv.get(2))?;
    let KeyCx { core, db, out, .. } = cx;
    let hash = match core.read(*db, argv.get(1)) {
        Some((v, _)) => v.as_hash().ok_or(CmdError::WrongType)?,
        None => {
            out.array(2);
            out.bulk(b"0");
            out.array(0);
            return Ok(());
        }
    };
    let (pattern, count) = super::scan_options(&argv, 3)?;
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    let next = hash.scan(cursor, count, |f, v| {
        if pattern.is_none_or(|p| glob_match(p, f, false)) {
            found.push((f, v));
        }
    });
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len() * 2);
    for (f, v) in found {
        out.bulk(f);
        out.bulk(v);
    }
    Ok(())
}

const RF: &[&str] = &["@read", "@hash", "@fast"];
const RS: &[&str] = &["@read", "@hash", "@slow"];
const WF: &[&str] = &["@write", "@hash", "@fast"];

pub const SPECS: &[Spec] = &[
    cmd("hset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(hset)),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(hsetnx)),
    cmd("hget", 3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(hget)),
    cmd("hmset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(hmset)),
    cmd("hmget", -3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(hmget)),
    cmd("hgetall", 2, READONLY, (1, 1, 1), RS, Handler::Key(hgetall)),
    cmd("hdel", -3, WRITE | FAST, (1, 1, 1), WF, Handler::Key(hdel)),
    cmd("hexists", 3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(hexists)),
    cmd("hlen", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(hlen)),
    cmd("hkeys", 2, READONLY, (1, 1, 1), RS, Handler::Key(hkeys)),
    cmd("hvals", 2, READONLY, (1, 1, 1), RS, Handler::Key(hvals)),
    cmd("hstrlen", 3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(hstrlen)),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(hincrby)),
    cmd("hincrbyfloat", 4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(hincrbyfloat)),
    cmd("hrandfield", -2, READONLY, (1, 1, 1), RS, Handler::Key(hrandfield)),
    cmd("hscan", -3, READONLY, (1, 1, 1), RS, Handler::Key(hscan)),
];
