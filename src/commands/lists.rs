//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
//! LPOS LMOVE RPOPLPUSH LMPOP.
//!
//! Single-key commands run on the key's owner. LMOVE and RPOPLPUSH run there too when both keys
//! live on one shard, and as a [`Tx`] otherwise: lock both keys, peek the element on the source
//! and check the destination's type, then pop and push in the last round. LMPOP's keys are
//! movable (`numkeys`), so the router cannot place it: it always runs as a [`Tx`] over its keys.
//! A list that loses its last element loses its key, as in Redis.

use super::flag::*;
use super::{cmd, int_arg, mpop, multi, Argv, Cx, Flow, Handler, KeyCx, Spec};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::pubsub::notify::class::LIST;
use crate::shard::mesh::JobOut;
use crate::shard::Core;
use crate::store::list::List;
use crate::store::value::{Kind, Value};

type R = Result<(), CmdError>;

/// The list at `key` for writing (no hit counted): None when missing, WRONGTYPE on another type.
pub(crate) fn write_list<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a mut List>, CmdError> {
    core.typed(db, key, false, Value::as_list_mut)
}

/// The list at `key` for reading (counts a hit or miss).
fn read_list<'a>(core: &'a mut Core, db: usize, key: &[u8]) -> Result<Option<&'a mut List>, CmdError> {
    core.typed(db, key, true, Value::as_list_mut)
}

/// LEFT or RIGHT: true for LEFT.
pub(crate) fn side(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"LEFT") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"RIGHT") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// A non-negative integer argument, or the error `msg` (Redis's getPositiveLongFromObjectOrReply).
fn non_negative(arg: &[u8], msg: &str) -> Result<i64, CmdError> {
    match super::parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(CmdError::other(msg)),
    }
}

fn push_generic(cx: &mut KeyCx, left: bool, only_existing: bool) -> R {
    let key = cx.argv.get(1);
    let fill = cx.core.config.list_max_listpack_size;
    let argv = cx.argv;
    let push_all = |l: &mut List| {
        for i in 2..argv.len() {
            if left {
                l.push_front(argv.get(i));
            } else {
                l.push_back(argv.get(i));
            }
        }
        l.len() as i64
    };
    match write_list(cx.core, cx.db, key)? {
        Some(l) => {
            let n = push_all(l);
            cx.out.int(n);
        }
        None if only_existing => {
            cx.out.int(0);
            return Ok(());
        }
        None => {
            let mut l = List::new(fill);
            let n = push_all(&mut l);
            cx.core.put(cx.db, key, Value::list(l), 0);
            cx.out.int(n);
        }
    }
    cx.core.notify(LIST, push_event(left), cx.db, key);
    Ok(())
}

/// LPUSH key element [element ...]
fn lpush(cx: &mut KeyCx) -> R {
    push_generic(cx, true, false)
}

/// RPUSH key element [element ...]
fn rpush(cx: &mut KeyCx) -> R {
    push_generic(cx, false, false)
}

/// LPUSHX key element [element ...]
fn lpushx(cx: &mut KeyCx) -> R {
    push_generic(cx, true, true)
}

/// RPUSHX key element [element ...]
fn rpushx(cx: &mut KeyCx) -> R {
    push_generic(cx, false, true)
}

/// The events of a push and a pop at one end (`true`: LEFT).
pub(crate) fn push_event(left: bool) -> &'static str {
    if left {
        "lpush"
    } else {
        "rpush"
    }
}

pub(crate) fn pop_event(left: bool) -> &'static str {
    if left {
        "lpop"
    } else {
        "rpop"
    }
}

/// Pops up to `count` elements from one end.
pub(crate) fn pop_n(l: &mut List, left: bool, count: usize) -> Vec<Vec<u8>> {
    let n = count.min(l.len());
    (0..n).filter_map(|_| if left { l.pop_front() } else { l.pop_back() }).collect()
}

fn pop_generic(cx: &mut KeyCx, left: bool, name: &str) -> R {
    if cx.argv.len() > 3 {
        return Err(CmdError::WrongArity(name.into()));
    }
    let count = match cx.argv.len() {
        3 => Some(non_negative(cx.argv.get(2), "ERR value is out of range, must be positive")?),
        _ => None,
    };
    let key = cx.argv.get(1);
    let Some(l) = write_list(cx.core, cx.db, key)? else {
        match count {
            Some(_) => cx.out.null_array(),
            None => cx.out.null(),
        }
        return Ok(());
    };
    let popped = match count {
        None => {
            let v = pop_n(l, left, 1);
            cx.out.bulk(&v[0]);
            true
        }
        Some(n) => {
            let items = pop_n(l, left, n as usize);
            cx.out.array(items.len());
            for v in &items {
                cx.out.bulk(v);
            }
            !items.is_empty()
        }
    };
    if popped {
        cx.core.notify(LIST, pop_event(left), cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    Ok(())
}

/// LPOP key [count]
fn lpop(cx: &mut KeyCx) -> R {
    pop_generic(cx, true, "lpop")
}

/// RPOP key [count]
fn rpop(cx: &mut KeyCx) -> R {
    pop_generic(cx, false, "rpop")
}

/// LLEN key
fn llen(cx: &mut KeyCx) -> R {
    let n = read_list(cx.core, cx.db, cx.argv.get(1))?.map_or(0, |l| l.len());
    cx.out.int(n as i64);
    Ok(())
}

/// Redis's start/end normalisation for LRANGE and LTRIM: Some((start, end)) in range, or None
/// when the range is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len.saturating_add(start) } else { start }.max(0);
    let end = if end < 0 { len.saturating_add(end) } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// LRANGE key start stop
fn lrange(cx: &mut KeyCx) -> R {
    let start = int_arg(cx.argv.get(2))?;
    let end = int_arg(cx.argv.get(3))?;
    let KeyCx { core, db, argv, out } = cx;
    match read_list(core, *db, argv.get(1))? {
        Some(l) => match clamp_range(start, end, l.len()) {
            Some((s, e)) => {
                out.array(e - s + 1);
                for v in l.range(s, e) {
                    out.bulk(v);
                }
            }
            None => out.array(0),
        },
        None => out.array(0),
    }
    Ok(())
}

/// LINDEX key index
fn lindex(cx: &mut KeyCx) -> R {
    let KeyCx { core, db, argv, out } = cx;
    let Some(l) = read_list(core, *db, argv.get(1))? else {
        out.null();
        return Ok(());
    };
    let index = int_arg(argv.get(2))?;
    match l.get(index) {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
    Ok(())
}

/// LSET key index element
fn lset(cx: &mut KeyCx) -> R {
    let Some(l) = write_list(cx.core, cx.db, cx.argv.get(1))? else {
        return Err(CmdError::other("ERR no such key"));
    };
    let index = int_arg(cx.argv.get(2))?;
    if !l.set(index, cx.argv.get(3)) {
        return Err(CmdError::other("ERR index out of range"));
    }
    cx.core.notify(LIST, "lset", cx.db, cx.argv.get(1));
    cx.out.ok();
    Ok(())
}

/// LINSERT key BEFORE | AFTER pivot element
fn linsert(cx: &mut KeyCx) -> R {
    let after = if cx.argv.is(2, "AFTER") {
        true
    } else if cx.argv.is(2, "BEFORE") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(l) = write_list(cx.core, cx.db, cx.argv.get(1))? else {
        cx.out.int(0);
        return Ok(());
    };
    let n = if l.insert_by_pivot(cx.argv.get(3), cx.argv.get(4), after) { l.len() as i64 } else { -1 };
    if n > 0 {
        cx.core.notify(LIST, "linsert", cx.db, cx.argv.get(1));
    }
    cx.out.int(n);
    Ok(())
}

/// LREM key count element
fn lrem(cx: &mut KeyCx) -> R {
    let count = int_arg(cx.argv.get(2))?;
    let key = cx.argv.get(1);
    let Some(l) = write_list(cx.core, cx.db, key)? else {
        cx.out.int(0);
        return Ok(());
    };
    let n = l.remove(cx.argv.get(3), count);
    cx.out.int(n as i64);
    if n > 0 {
        cx.core.notify(LIST, "lrem", cx.db, key);
    }
    cx.core.del_if_empty(cx.db, key);
    Ok(())
}

/// LTRIM key start stop
fn ltrim(cx: &mut KeyCx) -> R {
    let start = int_arg(cx.argv.get(2))?;
    let end = int_arg(cx.argv.get(3))?;
    let key = cx.argv.get(1);
    if let Some(l) = write_list(cx.core, cx.db, key)? {
        let len = l.len();
        match clamp_range(start, end, len) {
            Some((s, e)) => l.trim(s, len - e - 1),
            None => l.trim(len, 0),
        }
        cx.core.notify(LIST, "ltrim", cx.db, key);
        cx.core.del_if_empty(cx.db, key);
    }
    cx.out.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if argv.is(i, "RANK") && more {
            rank = int_arg(argv.get(i + 1))?;
            if rank == 0 {
                return Err(CmdError::other(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use \
                     negative to start from the end of the list",
                ));
            }
        } else if argv.is(i, "COUNT") && more {
            count = Some(non_negative(argv.get(i + 1), "ERR COUNT can't be negative")?);
        } else if argv.is(i, "MAXLEN") && more {
            maxlen = non_negative(argv.get(i + 1), "ERR MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let KeyCx { core, db, out, .. } = cx;
    let Some(l) = read_list(core, *db, argv.get(1))? else {
        match count {
            Some(_) => out.array(0),
            None => out.null(),
        }
        return Ok(());
    };
    let matches = positions(l, argv.get(2), rank, count, maxlen);
    match count {
        Some(_) => {
            out.array(matches.len());
            for m in matches {
                out.int(m as i64);
            }
        }
        None => match matches.first() {
            Some(&m) => out.int(m as i64),
            None => out.null(),
        },
    }
    Ok(())
}

/// Redis's LPOS scan, overflow quirks included (RANK i64::MIN acts as "first from the tail").
fn positions(l: &List, ele: &[u8], rank: i64, count: Option<i64>, maxlen: i64) -> Vec<usize> {
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let len = l.len();
    let mut found = Vec::new();
    let mut matches = 0i64;
    let entries: Box<dyn Iterator<Item = &[u8]>> =
        if from_tail { Box::new(l.iter().rev()) } else { Box::new(l.iter()) };
    for (index, e) in entries.enumerate() {
        if maxlen != 0 && index as i64 >= maxlen {
            break;
        }
        if e != ele {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        found.push(if from_tail { len - index - 1 } else { index });
        match count {
            None => break,
            Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
            Some(_) => {}
        }
    }
    found
}

/// What the source of a move holds.
enum Source {
    Missing,
    WrongType,
    /// The element the move would pop.
    Next(Vec<u8>),
}

fn peek_source(core: &mut Core, db: usize, key: &[u8], left: bool) -> Source {
    match write_list(core, db, key) {
        Err(_) => Source::WrongType,
        Ok(None) => Source::Missing,
        Ok(Some(l)) => Source::Next(l.get(if left { 0 } else { -1 }).unwrap_or_default().to_vec()),
    }
}

/// Whether `key` holds something other than a list.
pub(crate) fn wrong_type(core: &mut Core, db: usize, key: &[u8]) -> bool {
    core.live(db, key).is_some_and(|(v, _)| v.kind() != Kind::List)
}

/// Pushes `v` onto `key`'s list at one end, creating the list if needed.
pub(crate) fn push_one(core: &mut Core, db: usize, key: &[u8], v: &[u8], left: bool) {
    let fill = core.config.list_max_listpack_size;
    match write_list(core, db, key) {
        Ok(Some(l)) if left => l.push_front(v),
        Ok(Some(l)) => l.push_back(v),
        _ => {
            let mut l = List::new(fill);
            l.push_back(v);
            core.put(db, key, Value::list(l), 0);
        }
    }
    core.notify(LIST, push_event(left), db, key);
}

/// Pops one element from `key`'s list end, deleting the key when it empties.
pub(crate) fn pop_one(core: &mut Core, db: usize, key: &[u8], left: bool) -> Option<Vec<u8>> {
    let l = write_list(core, db, key).ok()??;
    let v = if left { l.pop_front() } else { l.pop_back() };
    if v.is_some() {
        core.notify(LIST, pop_event(left), db, key);
    }
    core.del_if_empty(db, key);
    v
}

/// LMOVE's move with both keys here: pop, push, then the events in Redis's order (the push's,
/// then the pop's, then the `del` of an emptied source).
pub(crate) fn move_one(
    core: &mut Core,
    db: usize,
    src: &[u8],
    dst: &[u8],
    from_left: bool,
    to_left: bool,
) -> Option<Vec<u8>> {
    let l = write_list(core, db, src).ok()??;
    let v = if from_left { l.pop_front() } else { l.pop_back() }?;
    push_one(core, db, dst, &v, to_left);
    core.notify(LIST, pop_event(from_left), db, src);
    core.del_if_empty(db, src);
    Some(v)
}

/// The source and destination ends of LMOVE (`true` = LEFT) or RPOPLPUSH.
fn move_ends(argv: &Argv) -> Result<(bool, bool), CmdError> {
    if argv.len() == 5 {
        Ok((side(argv.get(3))?, side(argv.get(4))?))
    } else {
        Ok((false, true))
    }
}

/// LMOVE source destination LEFT | RIGHT LEFT | RIGHT (and RPOPLPUSH source destination), with
/// both keys on this shard.
fn lmove(cx: &mut KeyCx) -> R {
    let (from_left, to_left) = move_ends(&cx.argv)?;
    let (src, dst) = (cx.argv.get(1), cx.argv.get(2));
    match peek_source(cx.core, cx.db, src, from_left) {
        Source::WrongType => return Err(CmdError::WrongType),
        Source::Missing => {
            cx.out.null();
            return Ok(());
        }
        Source::Next(_) => {}
    }
    if wrong_type(cx.core, cx.db, dst) {
        return Err(CmdError::WrongType);
    }
    let v = move_one(cx.core, cx.db, src, dst, from_left, to_left).unwrap_or_default();
    cx.out.bulk(&v);
    Ok(())
}

/// LMOVE / RPOPLPUSH with source and destination on two shards.
fn lmove_spread(cx: &mut Cx) -> Result<Flow, CmdError> {
    let (from_left, to_left) = move_ends(&cx.argv)?;
    let db = cx.conn.db;
    let (src, dst) = (cx.argv.get(1).to_vec(), cx.argv.get(2).to_vec());
    let (src_shard, dst_shard) = (cx.core.owner(&src), cx.core.owner(&dst));
    let tx = Tx::keys(cx.core, [(db, src.as_slice()), (db, dst.as_slice())].into_iter(), true);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        let (s, d) = (src.clone(), dst.clone());
        tx.run(
            move |shard, _| {
                let (s, d) = (s.clone(), d.clone());
                Box::new(move |core: &mut Core| -> JobOut {
                    if shard == src_shard {
                        Box::new(peek_source(core, db, &s, from_left))
                    } else {
                        Box::new(wrong_type(core, db, &d))
                    }
                })
            },
            move |_core, _conn, parts, tx| {
                let (mut source, mut dst_wrong) = (Source::Missing, false);
                for part in parts {
                    match part.downcast::<Source>() {
                        Ok(s) => source = *s,
                        Err(other) => dst_wrong = other.downcast::<bool>().map(|b| *b).unwrap_or(false),
                    }
                }
                let value = match source {
                    Source::Missing => None,
                    Source::WrongType => return release_with_error(&tx, CmdError::WrongType),
                    Source::Next(_) if dst_wrong => return release_with_error(&tx, CmdError::WrongType),
                    Source::Next(v) => Some(v),
                };
                let Some(value) = value else {
                    return tx.release(Box::new(|_core, conn, _| {
                        conn.out.null();
                        Flow::Done
                    }));
                };
                let pushed = value.clone();
                tx.run_and_release(
                    |shard, _| {
                        let (s, d, v) = (src.clone(), dst.clone(), pushed.clone());
                        Box::new(move |core: &mut Core| -> JobOut {
                            if shard == src_shard {
                                // The pop's events follow the push's (see move_one).
                                core.event_seq = 1;
                                pop_one(core, db, &s, from_left);
                            } else if shard == dst_shard {
                                push_one(core, db, &d, &v, to_left);
                            }
                            Box::new(())
                        })
                    },
                    Box::new(move |_core, conn, _| {
                        conn.out.bulk(&value);
                        Flow::Done
                    }),
                )
            },
        )
    })))
}

fn release_with_error(tx: &Tx, e: CmdError) -> Flow {
    tx.release(Box::new(move |_core, conn, _| {
        conn.out.error(e.to_string().as_bytes());
        Flow::Done
    }))
}

/// LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]
fn lmpop(cx: &mut Cx) -> Result<Flow, CmdError> {
    let mpop::Args { keys, first_end: left, count } = mpop::parse(cx, ["LEFT", "RIGHT"])?;
    let pop = move |core: &mut Core, db: usize, key: &[u8]| match write_list(core, db, key) {
        Ok(Some(l)) => {
            let popped = pop_n(l, left, count);
            if !popped.is_empty() {
                core.notify(LIST, pop_event(left), db, key);
            }
            popped
        }
        _ => Vec::new(),
    };
    Ok(mpop::run(cx, keys, Kind::List, pop, |out, v: &Vec<u8>| out.bulk(v)))
}

const RS: &[&str] = &["@read", "@list", "@slow"];
const RF: &[&str] = &["@read", "@list", "@fast"];
const WS: &[&str] = &["@write", "@list", "@slow"];
const WF: &[&str] = &["@write", "@list", "@fast"];

pub const SPECS: &[Spec] = &[
    cmd("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(lpush)),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(rpush)),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(lpushx)),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, Handler::Key(rpushx)),
    cmd("lpop", -2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(lpop)),
    cmd("rpop", -2, WRITE | FAST, (1, 1, 1), WF, Handler::Key(rpop)),
    cmd("llen", 2, READONLY | FAST, (1, 1, 1), RF, Handler::Key(llen)),
    cmd("lrange", 4, READONLY, (1, 1, 1), RS, Handler::Key(lrange)),
    cmd("lindex", 3, READONLY, (1, 1, 1), RS, Handler::Key(lindex)),
    cmd("lset", 4, WRITE | DENYOOM, (1, 1, 1), WS, Handler::Key(lset)),
    cmd("linsert", 5, WRITE | DENYOOM, (1, 1, 1), WS, Handler::Key(linsert)),
    cmd("lrem", 4, WRITE, (1, 1, 1), WS, Handler::Key(lrem)),
    cmd("ltrim", 4, WRITE, (1, 1, 1), WS, Handler::Key(ltrim)),
    cmd("lpos", -3, READONLY, (1, 1, 1), RS, Handler::Key(lpos)),
    multi("lmove", 5, WRITE | DENYOOM, (1, 2, 1), WS, Handler::Key(lmove), lmove_spread),
    multi("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), WS, Handler::Key(lmove), lmove_spread),
    // Redis also flags LMPOP `movablekeys`, which the flag table here does not carry yet.
    cmd("lmpop", -4, WRITE | MOVABLEKEYS, (0, 0, 0), WS, Handler::Conn(lmpop)),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        let mut l = List::new(2);
        for i in items {
            l.push_back(i.as_bytes());
        }
        l
    }

    #[test]
    fn lpos_scan() {
        let l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(positions(&l, b"a", 1, None, 0), vec![0]);
        assert_eq!(positions(&l, b"a", 2, None, 0), vec![2]);
        assert_eq!(positions(&l, b"a", -1, None, 0), vec![4]);
        assert_eq!(positions(&l, b"a", 1, Some(0), 0), vec![0, 2, 4]);
        assert_eq!(positions(&l, b"a", -2, Some(2), 0), vec![2, 0]);
        assert_eq!(positions(&l, b"a", 1, Some(0), 2), vec![0]);
        assert_eq!(positions(&l, b"a", i64::MIN, None, 0), vec![4]);
        assert!(positions(&l, b"z", 1, None, 0).is_empty());
    }

    #[test]
    fn ranges() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(clamp_range(0, 0, 0), None);
    }
}
