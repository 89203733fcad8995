//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SSCAN SMOVE,
//! SINTER SUNION SDIFF SINTERCARD and the *STORE forms.
//!
//! Single-key commands run on the key's owner. The multi-key ones run there too when all their
//! keys share a shard; otherwise their `spread` form runs on the connection's core: it locks the
//! keys, reads a copy of every source set in one round, computes here, and writes the
//! destination (if any) in the final round that releases the locks. SINTERCARD has its keys
//! after a count, so it always runs that way. The encodings live in [`crate::store::set`].

use super::flag::*;
use super::{cmd, int_arg, multi, Cx, Flow, Handler, KeyCx, Spec};
use crate::config::glob_match;
use crate::coord::{gather, Tx};
use crate::error::CmdError;
use crate::protocol::Out;
use crate::pubsub::notify::class::{GENERIC, SET};
use crate::shard::mesh::JobOut;
use crate::shard::Core;
use crate::store::set::Set;
use crate::store::value::{Kind, Value};

type R = Result<(), CmdError>;
type F = Result<Flow, CmdError>;

fn max_ints(core: &Core) -> usize {
    core.config.set_max_intset_entries
}

/// The set at `key` for writing, created empty (not yet stored) when missing.
fn write<'a>(cx: &'a mut KeyCx, key: &[u8]) -> Result<&'a mut Set, CmdError> {
    match cx.core.live(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::Set => return Err(CmdError::WrongType),
        Some(_) => {}
        None => cx.core.put(cx.db, key, Value::set(Set::default()), 0),
    }
    let (v, _) = cx.core.live(cx.db, key).expect("present or just stored");
    Ok(v.as_set_mut().expect("checked to be a set"))
}

/// Writes a set reply header: `~n` in RESP3, `*n` in RESP2.
fn set_header(out: &mut Out, n: usize) {
    out.set(n);
}

/// SADD key member [member ...]
fn sadd(cx: &mut KeyCx) -> R {
    let (argv, max) = (cx.argv, max_ints(cx.core));
    let set = write(cx, argv.get(1))?;
    let added = (2..argv.len()).filter(|&i| set.add(argv.get(i), max)).count();
    if added > 0 {
        cx.core.notify(SET, "sadd", cx.db, argv.get(1));
    }
    cx.out.int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
fn srem(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    let removed = match cx.core.live(cx.db, key) {
        Some((v, _)) => {
            let set = v.as_set_mut().ok_or(CmdError::WrongType)?;
            (2..argv.len()).filter(|&i| set.remove(argv.get(i))).count()
        }
        None => 0,
    };
    if removed > 0 {
        cx.core.notify(SET, "srem", cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    cx.out.int(removed as i64);
    Ok(())
}

/// The set at argument 1, read (counting a hit or miss), WRONGTYPE for another type.
fn read_arg<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a Set>, CmdError> {
    Ok(core.typed(db, key, true, Value::as_set_mut)?.map(|s| &*s))
}

fn reply_members<'a>(out: &mut Out, members: impl ExactSizeIterator<Item = std::borrow::Cow<'a, [u8]>>) {
    set_header(out, members.len());
    for m in members {
        out.bulk(&m);
    }
}

/// SMEMBERS key
fn smembers(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let KeyCx { core, db, out, .. } = cx;
    match read_arg(core, *db, key)? {
        Some(set) => reply_members(out, (0..set.len()).map(|i| set.at(i))),
        None => set_header(out, 0),
    }
    Ok(())
}

/// SISMEMBER key member
fn sismember(cx: &mut KeyCx) -> R {
    let (key, member) = (cx.argv.get(1), cx.argv.get(2));
    let found = read_arg(cx.core, cx.db, key)?.is_some_and(|s| s.contains(member));
    cx.out.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]
fn smismember(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let KeyCx { core, db, out, .. } = cx;
    let set = read_arg(core, *db, argv.get(1))?;
    out.array(argv.len() - 2);
    for i in 2..argv.len() {
        out.int(set.is_some_and(|s| s.contains(argv.get(i))) as i64);
    }
    Ok(())
}

/// SCARD key
fn scard(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let n = read_arg(cx.core, cx.db, key)?.map_or(0, Set::len);
    cx.out.int(n as i64);
    Ok(())
}

/// SPOP key [count]
fn spop(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if argv.len() == 2 {
        let popped = match cx.core.live(cx.db, key) {
            Some((v, _)) => {
                let set = v.as_set_mut().ok_or(CmdError::WrongType)?;
                let i = fastrand::usize(..set.len());
                Some(set.remove_at(i))
            }
            None => None,
        };
        if popped.is_some() {
            cx.core.notify(SET, "spop", cx.db, key);
        }
        cx.core.del_if_empty(cx.db, key);
        cx.out.bulk_opt(popped.as_deref());
        return Ok(());
    }
    let count = match int_arg(argv.get(2)) {
        Ok(n) if n >= 0 => n as usize,
        _ => return Err(CmdError::other("ERR value is out of range, must be positive")),
    };
    let KeyCx { core, db, out, .. } = cx;
    let set = match core.live(*db, key) {
        Some((v, _)) => v.as_set_mut().ok_or(CmdError::WrongType)?,
        None => {
            set_header(out, 0);
            return Ok(());
        }
    };
    if count == 0 {
        set_header(out, 0);
        return Ok(());
    }
    if count >= set.len() {
        reply_members(out, (0..set.len()).map(|i| set.at(i)));
        core.notify(SET, "spop", *db, key);
        core.del(*db, key);
        core.notify(GENERIC, "del", *db, key);
        return Ok(());
    }
    set_header(out, count);
    for _ in 0..count {
        let i = fastrand::usize(..set.len());
        out.bulk(&set.remove_at(i));
    }
    core.notify(SET, "spop", *db, key);
    Ok(())
}

/// SRANDMEMBER key [count]
fn srandmember(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let key = argv.get(1);
    if argv.len() == 2 {
        let KeyCx { core, db, out, .. } = cx;
        match read_arg(core, *db, key)? {
            Some(set) => out.bulk(&set.at(fastrand::usize(..set.len()))),
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
    let KeyCx { core, db, out, .. } = cx;
    let cap = super::picks_cap(core);
    let set = match read_arg(core, *db, key)? {
        Some(set) if l != 0 => set,
        _ => {
            out.array(0);
            return Ok(());
        }
    };
    let size = set.len();
    let count = l.unsigned_abs() as usize;
    if l < 0 {
        out.array(count);
        for i in 0..count {
            if i % 1024 == 0 && out.len() > cap {
                break;
            }
            out.bulk(&set.at(fastrand::usize(..size)));
        }
    } else if count >= size {
        out.array(size);
        for m in set.iter() {
            out.bulk(&m);
        }
    } else {
        out.array(count);
        for i in super::distinct_positions(size, count) {
            out.bulk(&set.at(i));
        }
    }
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let cursor = super::scan_cursor(argv.get(2))?;
    let KeyCx { core, db, out, .. } = cx;
    let Some(set) = read_arg(core, *db, argv.get(1))? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let (pattern, count) = super::scan_options(&argv, 3)?;
    let mut found = Vec::new();
    let next = set.scan(cursor, count, |m| {
        if pattern.is_none_or(|p| glob_match(p, &m, false)) {
            found.push(m);
        }
    });
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len());
    for m in found {
        out.bulk(&m);
    }
    Ok(())
}

/// The set algebra of SINTER, SUNION and SDIFF.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// A copy of the set at `key` (None when missing), WRONGTYPE for another type.
/// A source set, read as Redis reads one (a hit or a miss, and `keymiss`), STORE forms too.
fn snapshot(core: &mut Core, db: usize, key: &[u8]) -> Result<Option<Set>, CmdError> {
    let found = core.read(db, key);
    match found {
        Some((v, _)) => v.as_set().cloned().map(Some).ok_or(CmdError::WrongType),
        None => Ok(None),
    }
}

/// Combines the source sets (in argument order; None for a missing key) by `op`, stopping
/// once the result has `limit` members (0: no limit).
fn compute(op: Op, sets: &[Option<&Set>], max: usize, limit: usize) -> Set {
    let mut result = Set::default();
    let full = |r: &Set| limit != 0 && r.len() >= limit;
    match op {
        Op::Inter => {
            if sets.iter().any(Option::is_none) {
                return result;
            }
            let sets: Vec<&Set> = sets.iter().flatten().copied().collect();
            let Some(smallest) = sets.iter().min_by_key(|s| s.len()) else { return result };
            for m in smallest.iter() {
                if full(&result) {
                    break;
                }
                if sets.iter().all(|s| s.contains(&m)) {
                    result.add(&m, max);
                }
            }
        }
        Op::Union => {
            for m in sets.iter().flatten().flat_map(|s| s.iter()) {
                result.add(&m, max);
            }
        }
        Op::Diff => {
            let Some(Some(first)) = sets.first() else { return result };
            for m in first.iter() {
                if !sets[1..].iter().flatten().any(|s| s.contains(&m)) {
                    result.add(&m, max);
                }
            }
        }
    }
    result
}

/// Replies with a computed set (SINTER/SUNION/SDIFF).
fn reply_set(out: &mut Out, set: &Set) {
    reply_members(out, (0..set.len()).map(|i| set.at(i)));
}

/// Stores a computed set at `dst` (deleting it when empty); returns its size.
/// Signals `dst` when it changed (an empty result over a missing key changes nothing).
fn store(core: &mut Core, db: usize, dst: &[u8], set: Set, op: Op) -> usize {
    let n = set.len();
    let changed = if n == 0 {
        let deleted = core.del(db, dst).is_some();
        if deleted {
            core.notify(GENERIC, "del", db, dst);
        }
        deleted
    } else {
        core.put(db, dst, Value::set(set), 0);
        let event = match op {
            Op::Inter => "sinterstore",
            Op::Union => "sunionstore",
            Op::Diff => "sdiffstore",
        };
        core.notify(SET, event, db, dst);
        true
    };
    if changed {
        core.signal_modified(db, dst);
    }
    n
}

/// SINTER/SUNION/SDIFF and their STORE forms with every key on this shard: a first pass
/// looks every source key up (counting hits and misses, expiring, checking types), a second
/// borrows the sets without copying them.
fn algebra(cx: &mut KeyCx, op: Op, stores: bool) -> R {
    let argv = cx.argv;
    let first = if stores { 2 } else { 1 };
    let mut wrong = false;
    for i in first..argv.len() {
        let found = cx.core.read(cx.db, argv.get(i));
        wrong |= found.is_some_and(|(v, _)| v.kind() != Kind::Set);
    }
    if wrong {
        return Err(CmdError::WrongType);
    }
    let max = max_ints(cx.core);
    let table = &cx.core.dbs[cx.db];
    let sets: Vec<Option<&Set>> =
        (first..argv.len()).map(|i| table.get(argv.get(i)).and_then(|(v, _)| v.as_set())).collect();
    let result = compute(op, &sets, max, 0);
    if stores {
        let n = store(cx.core, cx.db, argv.get(1), result, op);
        cx.out.int(n as i64);
    } else {
        reply_set(cx.out, &result);
    }
    Ok(())
}

fn sinter(cx: &mut KeyCx) -> R {
    algebra(cx, Op::Inter, false)
}

fn sunion(cx: &mut KeyCx) -> R {
    algebra(cx, Op::Union, false)
}

fn sdiff(cx: &mut KeyCx) -> R {
    algebra(cx, Op::Diff, false)
}

fn sinterstore(cx: &mut KeyCx) -> R {
    algebra(cx, Op::Inter, true)
}

fn sunionstore(cx: &mut KeyCx) -> R {
    algebra(cx, Op::Union, true)
}

fn sdiffstore(cx: &mut KeyCx) -> R {
    algebra(cx, Op::Diff, true)
}

/// Locks `sources` (+ `dst`), reads every source set, and hands the sets (in `sources` order;
/// WRONGTYPE if any key has another type) to `then`, which returns what is written at `dst` and
/// how to reply.
fn spread_read(
    cx: &mut Cx,
    op: Op,
    sources: Vec<Vec<u8>>,
    dst: Option<Vec<u8>>,
    then: impl FnOnce(Result<Vec<Option<Set>>, CmdError>, usize) -> (Option<Set>, Box<dyn FnOnce(&mut Out) + Send>)
        + 'static,
) -> F {
    let max = max_ints(cx.core);
    gather::read_then_store(
        cx,
        sources,
        dst,
        snapshot,
        move |sets| {
            let sets = sets.into_iter().map(|s| s.unwrap_or(Ok(None))).collect();
            let (store, reply) = then(sets, max);
            gather::Outcome { store, reply }
        },
        move |core, db, dst, set| {
            store(core, db, dst, set, op);
            Ok(())
        },
    )
}

fn error_reply(e: CmdError) -> Box<dyn FnOnce(&mut Out) + Send> {
    Box::new(move |out: &mut Out| out.error(e.to_string().as_bytes()))
}

/// SINTER/SUNION/SDIFF and the STORE forms over several shards.
fn algebra_spread(cx: &mut Cx, op: Op, stores: bool) -> F {
    let first = if stores { 2 } else { 1 };
    let sources: Vec<Vec<u8>> = (first..cx.argv.len()).map(|i| cx.argv.get(i).to_vec()).collect();
    let dst = stores.then(|| cx.argv.get(1).to_vec());
    spread_read(cx, op, sources, dst, move |sets, max| match sets {
        Err(e) => (None, error_reply(e)),
        Ok(sets) => {
            let result = compute(op, &sets.iter().map(Option::as_ref).collect::<Vec<_>>(), max, 0);
            if stores {
                // An empty result deletes the destination (store() does that for an empty set).
                let n = result.len() as i64;
                (Some(result), Box::new(move |out: &mut Out| out.int(n)))
            } else {
                (None, Box::new(move |out: &mut Out| reply_set(out, &result)))
            }
        }
    })
}

fn sinter_spread(cx: &mut Cx) -> F {
    algebra_spread(cx, Op::Inter, false)
}

fn sunion_spread(cx: &mut Cx) -> F {
    algebra_spread(cx, Op::Union, false)
}

fn sdiff_spread(cx: &mut Cx) -> F {
    algebra_spread(cx, Op::Diff, false)
}

fn sinterstore_spread(cx: &mut Cx) -> F {
    algebra_spread(cx, Op::Inter, true)
}

fn sunionstore_spread(cx: &mut Cx) -> F {
    algebra_spread(cx, Op::Union, true)
}

fn sdiffstore_spread(cx: &mut Cx) -> F {
    algebra_spread(cx, Op::Diff, true)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: its keys follow a count, so it always runs
/// on the connection's core through a transaction (one shard or several).
fn sintercard(cx: &mut Cx) -> F {
    let argv = cx.argv;
    let numkeys = match int_arg(argv.get(1)) {
        Ok(n) if n > 0 => n as usize,
        _ => return Err(CmdError::other("ERR numkeys should be greater than 0")),
    };
    if numkeys > argv.len() - 2 {
        return Err(CmdError::other("ERR Number of keys can't be greater than number of args"));
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < argv.len() {
        if argv.is(i, "LIMIT") && i + 1 < argv.len() {
            limit = match int_arg(argv.get(i + 1)) {
                Ok(n) if n >= 0 => n as usize,
                _ => return Err(CmdError::other("ERR LIMIT can't be negative")),
            };
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let sources: Vec<Vec<u8>> = (2..2 + numkeys).map(|i| argv.get(i).to_vec()).collect();
    spread_read(cx, Op::Inter, sources, None, move |sets, max| match sets {
        Err(e) => (None, error_reply(e)),
        Ok(sets) => {
            let sets: Vec<Option<&Set>> = sets.iter().map(Option::as_ref).collect();
            let n = compute(Op::Inter, &sets, max, limit).len() as i64;
            (None, Box::new(move |out: &mut Out| out.int(n)))
        }
    })
}

/// SMOVE source destination member (both keys on this shard)
fn smove(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let (src, dst, member) = (argv.get(1), argv.get(2), argv.get(3));
    let at_src = found_at(cx.core, cx.db, src, member);
    let at_dst = found_at(cx.core, cx.db, dst, member);
    let moved = match decide(at_src, at_dst, src == dst)? {
        Move::Move => {
            if let Some((v, _)) = cx.core.live(cx.db, src) {
                v.as_set_mut().expect("checked").remove(member);
            }
            cx.core.notify(SET, "srem", cx.db, src);
            cx.core.del_if_empty(cx.db, src);
            let max = max_ints(cx.core);
            if write(cx, dst)?.add(member, max) {
                cx.core.notify(SET, "sadd", cx.db, dst);
            }
            1
        }
        Move::Answer(n) => n,
    };
    cx.out.int(moved);
    Ok(())
}

/// What SMOVE found at a key: missing, a set (holding the member or not), or another type.
#[derive(Clone, Copy, Debug)]
enum Found {
    Missing,
    Set { has: bool },
    Other,
}

/// What SMOVE does.
enum Move {
    Move,
    Answer(i64),
}

fn found_at(core: &mut Core, db: usize, key: &[u8], member: &[u8]) -> Found {
    match core.live(db, key) {
        None => Found::Missing,
        Some((v, _)) => match v.as_set() {
            Some(s) => Found::Set { has: s.contains(member) },
            None => Found::Other,
        },
    }
}

/// SMOVE's decision, in Redis's order: a missing source answers 0; then WRONGTYPE for either
/// key; source == destination answers membership; a missing member answers 0.
fn decide(src: Found, dst: Found, same: bool) -> Result<Move, CmdError> {
    match (src, dst) {
        (Found::Missing, _) => Ok(Move::Answer(0)),
        (Found::Other, _) | (_, Found::Other) => Err(CmdError::WrongType),
        (Found::Set { has }, _) if same => Ok(Move::Answer(has as i64)),
        (Found::Set { has: false }, _) => Ok(Move::Answer(0)),
        _ => Ok(Move::Move),
    }
}

/// SMOVE with its keys on two shards: exclusive locks, look at both, then move.
fn smove_spread(cx: &mut Cx) -> F {
    let db = cx.conn.db;
    let (src, dst, member) = (cx.argv.get(1).to_vec(), cx.argv.get(2).to_vec(), cx.argv.get(3).to_vec());
    let (src_shard, dst_shard) = (cx.core.owner(&src), cx.core.owner(&dst));
    // Both keys are signalled when the member moves, neither when it does not.
    let mut tx = Tx::keys(cx.core, [(db, src.as_slice()), (db, dst.as_slice())].into_iter(), true);
    tx.touch = false;
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        let (s1, d1, m1) = (src.clone(), dst.clone(), member.clone());
        tx.run(
            move |shard, _| {
                let key = if shard == src_shard { s1.clone() } else { d1.clone() };
                let m = m1.clone();
                Box::new(move |core: &mut Core| -> JobOut { Box::new((shard, found_at(core, db, &key, &m))) })
            },
            move |_core, _conn, parts, tx| {
                let (mut at_src, mut at_dst) = (Found::Missing, Found::Missing);
                for part in parts {
                    if let Ok(p) = part.downcast::<(usize, Found)>() {
                        if p.0 == src_shard {
                            at_src = p.1;
                        } else {
                            at_dst = p.1;
                        }
                    }
                }
                let outcome = decide(at_src, at_dst, false);
                let proceed = matches!(outcome, Ok(Move::Move));
                tx.run_and_release(
                    |shard, _| {
                        let (s, d, m) = (src.clone(), dst.clone(), member.clone());
                        Box::new(move |core: &mut Core| -> JobOut {
                            if proceed && shard == src_shard {
                                if let Some((v, _)) = core.live(db, &s) {
                                    if let Some(set) = v.as_set_mut() {
                                        set.remove(&m);
                                    }
                                }
                                core.notify(SET, "srem", db, &s);
                                core.del_if_empty(db, &s);
                                core.signal_modified(db, &s);
                            }
                            if proceed && shard == dst_shard {
                                let max = max_ints(core);
                                // After the source's events (see smove).
                                core.event_seq = 1;
                                if core.live(db, &d).is_none() {
                                    core.put(db, &d, Value::set(Set::default()), 0);
                                }
                                if let Some((v, _)) = core.live(db, &d) {
                                    if v.as_set_mut().is_some_and(|set| set.add(&m, max)) {
                                        core.notify(SET, "sadd", db, &d);
                                    }
                                }
                                core.signal_modified(db, &d);
                            }
                            Box::new(())
                        })
                    },
                    Box::new(move |_core, conn, _| {
                        match outcome {
                            Err(e) => conn.out.error(e.to_string().as_bytes()),
                            Ok(Move::Move) => conn.out.int(1),
                            Ok(Move::Answer(n)) => conn.out.int(n),
                        }
                        Flow::Done
                    }),
                )
            },
        )
    })))
}

const RF: &[&str] = &["@read", "@set", "@fast"];
const RS: &[&str] = &["@read", "@set", "@slow"];
const WF: &[&str] = &["@write", "@set", "@fast"];
const WS: &[&str] = &["@write", "@set", "@slow"];

pub const SPECS: &[Spec] = &[
    cmd("sadd", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(sadd)),
    cmd("srem", -3, WRITE | FAST, (1, 1, 1), WF, Handler::Key(srem)),
    cmd("smembers", 2, READONLY, (1, 1, 1), RS, Handler::Key(smembers)),
    cmd("sismember", 3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(sismember)),
    cmd("smismember", -3, READONLY | FAST, (1, 1, 1), RF, Handler::Key(smismember)),
    cmd("scard", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(scard)),
    cmd("spop", -2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(spop)),
    cmd("srandmember", -2, READONLY, (1, 1, 1), RS, Handler::Key(srandmember)),
    cmd("sscan", -3, READONLY, (1, 1, 1), RS, Handler::Key(sscan)),
    multi("sinter", -2, READONLY, (1, -1, 1), RS, Handler::Key(sinter), sinter_spread),
    multi("sunion", -2, READONLY, (1, -1, 1), RS, Handler::Key(sunion), sunion_spread),
    multi("sdiff", -2, READONLY, (1, -1, 1), RS, Handler::Key(sdiff), sdiff_spread),
    multi("sinterstore", -3, WRITE | DENYOOM | SIGNALS, (1, -1, 1), WS, Handler::Key(sinterstore), sinterstore_spread),
    multi("sunionstore", -3, WRITE | DENYOOM | SIGNALS, (1, -1, 1), WS, Handler::Key(sunionstore), sunionstore_spread),
    multi("sdiffstore", -3, WRITE | DENYOOM | SIGNALS, (1, -1, 1), WS, Handler::Key(sdiffstore), sdiffstore_spread),
    multi("smove", 4, WRITE | FAST, (1, 2, 1), WF, Handler::Key(smove), smove_spread),
    // Keys follow a count, so the command finds them itself and always runs as a transaction.
    cmd("sintercard", -3, READONLY | MOVABLEKEYS, (0, 0, 0), RS, Handler::Conn(sintercard)),
];
