//! XREAD and XREADGROUP: reads over several streams, which may live on several shards, and
//! may block.
//!
//! The arguments are parsed here on the connection's core; then, as the blocking pops do
//! ([`super::blocking`]), one of three paths makes the first look atomic:
//!
//! - every stream here: look, serve or register, in one step;
//! - every stream on one other shard: one job there does the same;
//! - streams on several shards (or inside EXEC, or a key a transaction holds): a [`Tx`] locks
//!   them; one round checks every stream (type, group, ID: the first error in argument order
//!   wins, before anything is served) and finds which have entries to serve; a second round
//!   serves those or registers the client on every shard, under the locks.
//!
//! A blocked reader is a waiter of [`crate::coord::block`]: XREAD waits for entries after an
//! ID, and serving it takes nothing, so every XREAD waiter of a stream is served by one XADD;
//! XREADGROUP `>` waits for entries past its group's last delivered ID and takes them, so one
//! waiter at a time is served, as the pops are. A group's state (last ID, pending lists)
//! changes only on the stream's owner, in the serve. A deleted (or replaced) stream answers a
//! blocked XREADGROUP `-UNBLOCKED`, a destroyed group `-NOGROUP`; a plain XREAD stays blocked.

use std::sync::Arc;
use std::time::Instant;

use super::streams::{entry_reply, id_reply, range_reply};
use super::{Cx, FanOut, Flow};
use crate::coord::block::{self, Blocked, Serve, StreamRead, Want};
use crate::coord::{Scope, Tx};
use crate::error::{lossy, CmdError};
use crate::protocol::Out;
use crate::pubsub::notify::class::STREAM;
use crate::server::conn::Conn;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;
use crate::store::stream::StreamId;
use crate::store::value::Kind;

type R = Result<Flow, CmdError>;

/// Entries a blocked read gets at most when it gave no COUNT (Redis's
/// XREAD_BLOCKED_DEFAULT_COUNT).
const BLOCKED_DEFAULT_COUNT: u64 = 1000;

/// One stream's ID argument.
#[derive(Clone, Debug)]
enum IdArg {
    Id(StreamId),
    /// `$`: the stream's last ID now.
    Last,
    /// `>`: entries never delivered to the group.
    New,
    /// An argument that is wrong for this command (its error, reported in argument order).
    Bad(String),
}

/// The group of an XREADGROUP.
#[derive(Clone, Debug)]
struct GroupArg {
    name: Arc<[u8]>,
    consumer: Vec<u8>,
    noack: bool,
}

/// What the first look found at one stream.
#[derive(Clone, Debug)]
enum Look {
    Error(String),
    /// Entries after this ID can be served now (`true`: from the consumer's pending list).
    Serve(StreamId, bool),
    /// Nothing to serve: what a blocked reader would wait for.
    Wait(Want),
}

struct Args {
    count: u64,
    /// BLOCK given: its deadline (None: forever).
    block: Option<Option<Instant>>,
    group: Option<GroupArg>,
    keys: Vec<Vec<u8>>,
    ids: Vec<IdArg>,
}

fn parse(cx: &Cx, xreadgroup: bool) -> Result<Args, CmdError> {
    let argv = cx.argv;
    let (mut count, mut block, mut group, mut noack, mut streams) = (0u64, None, None, false, None);
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if argv.is(i, "BLOCK") && more > 0 {
            if cx.core.shared.scripts[cx.core.id].started_ms.load(std::sync::atomic::Ordering::Relaxed) != 0 {
                return Err(CmdError::other(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    lossy(argv.get(0))
                )));
            }
            i += 1;
            block = Some(super::blocking::timeout_ms(argv.get(i))?);
        } else if argv.is(i, "COUNT") && more > 0 {
            i += 1;
            count = super::int_arg(argv.get(i))?.max(0) as u64;
        } else if argv.is(i, "STREAMS") && more > 0 {
            let n = argv.len() - i - 1;
            if !n.is_multiple_of(2) {
                // 7.0 names XREAD and `$` for XREADGROUP too.
                return Err(CmdError::other(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            streams = Some(i + 1);
            break;
        } else if argv.is(i, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::other(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((argv.get(i + 1).to_vec(), argv.get(i + 2).to_vec()));
            i += 2;
        } else if argv.is(i, "NOACK") {
            if !xreadgroup {
                return Err(CmdError::other(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let Some(first) = streams else { return Err(CmdError::Syntax) };
    if xreadgroup && group.is_none() {
        return Err(CmdError::other("ERR Missing GROUP option for XREADGROUP"));
    }
    let n = (argv.len() - first) / 2;
    let keys = (first..first + n).map(|i| argv.get(i).to_vec()).collect();
    let ids = (first + n..argv.len())
        .map(|i| match argv.get(i) {
            b"$" if xreadgroup => IdArg::Bad(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
                    .into(),
            ),
            b"$" => IdArg::Last,
            b">" if !xreadgroup => IdArg::Bad(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
                    .into(),
            ),
            b">" => IdArg::New,
            arg => match super::streams::parse_strict(arg) {
                Ok(id) => IdArg::Id(id),
                Err(e) => IdArg::Bad(e.to_string()),
            },
        })
        .collect();
    let group = group.map(|(name, consumer)| GroupArg { name: name.into(), consumer, noack });
    Ok(Args { count, block, group, keys, ids })
}

/// The first look at `key` on its owner: checks it and finds whether it can be served now.
fn look(core: &mut Core, db: usize, a: &Reading, i: usize) -> Look {
    let (key, id, group) = (&a.keys[i][..], &a.ids[i], a.group.as_ref());
    let stream = match core.read(db, key) {
        Some((v, _)) => match v.as_stream() {
            Some(s) => Some(s),
            None => return Look::Error(CmdError::WrongType.to_string()),
        },
        None => None,
    };
    if let Some(g) = group {
        let Some(found) = stream.and_then(|s| s.groups.get(&g.name[..])) else {
            return Look::Error(format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                lossy(key),
                lossy(&g.name)
            ));
        };
        let s = stream.expect("has a group");
        return match id {
            IdArg::Bad(e) => Look::Error(e.clone()),
            IdArg::Id(id) => Look::Serve(*id, true),
            _ if s.has_after(found.last_id) => Look::Serve(found.last_id, false),
            _ => Look::Wait(Want::Group(g.name.clone())),
        };
    }
    let after = match id {
        IdArg::Bad(e) => return Look::Error(e.clone()),
        IdArg::Last => stream.map_or(StreamId::MIN, |s| s.last_id),
        IdArg::Id(id) => *id,
        IdArg::New => unreachable!("refused for XREAD by the parser"),
    };
    match stream {
        Some(s) if s.has_after(after) => Look::Serve(after, false),
        _ => Look::Wait(Want::After { id: after, count: a.blocked_count, resp3: a.resp3 }),
    }
}

/// Serves `key` (checked by [`look`]) from after `gt` (`history`: from the consumer's pending
/// list): `key` then its entries, as one element of the reply (RESP2: a 2-element array;
/// RESP3: a map entry).
fn serve_part(
    core: &mut Core,
    db: usize,
    key: &[u8],
    (gt, history): (StreamId, bool),
    count: u64,
    group: Option<&GroupArg>,
    resp3: bool,
) -> Vec<u8> {
    let mut out = Out::new(resp3);
    if !resp3 {
        out.array(2);
    }
    out.bulk(key);
    let now = core.now_ms;
    let Some(g) = group else {
        let s = core.live(db, key).and_then(|(v, _)| v.as_stream()).expect("looked at");
        let start = gt.next().unwrap_or(StreamId::MAX);
        range_reply(&mut out, s, start, StreamId::MAX, count, false);
        return out.buf;
    };
    let s = core.live(db, key).and_then(|(v, _)| v.as_stream_mut()).expect("looked at");
    let group = s.groups.get_mut(&g.name[..]).expect("looked at");
    let created = group.create_consumer(&g.consumer, now);
    if let Some(c) = group.consumers.get_mut(&g.consumer) {
        c.seen_time = now;
    }
    let start = gt.next().unwrap_or(StreamId::MAX);
    if history {
        let ids: Vec<StreamId> = group.consumers[&g.consumer]
            .pel
            .range(start..)
            .take(if count == 0 { usize::MAX } else { count as usize })
            .copied()
            .collect();
        out.array(ids.len());
        for id in ids {
            match s.get(id) {
                Some(e) => {
                    entry_reply(&mut out, &e);
                    let nack = s.groups.get_mut(&g.name[..]).and_then(|g| g.pel.get_mut(&id)).expect("pending");
                    nack.delivery_time = now;
                    nack.delivery_count += 1;
                }
                None => {
                    out.array(2);
                    id_reply(&mut out, id);
                    out.null_array();
                }
            }
        }
    } else {
        let mut ids = Vec::new();
        let at = out.defer();
        s.range(start, StreamId::MAX, false, |e| {
            entry_reply(&mut out, &e);
            ids.push(e.id);
            count == 0 || (ids.len() as u64) < count
        });
        out.set_array_len(at, ids.len());
        for id in ids {
            s.advance_group(&g.name, id);
            if !g.noack {
                s.groups.get_mut(&g.name[..]).expect("looked at").add_pending(id, &g.consumer, now);
            }
        }
    }
    if created {
        core.notify(STREAM, "xgroup-createconsumer", db, key);
    }
    out.buf
}

/// The reply of a read that served `parts` (in argument order).
fn reply_of(parts: &[Vec<u8>], resp3: bool) -> Vec<u8> {
    let mut out = Out::new(resp3);
    if resp3 {
        out.map(parts.len());
    } else {
        out.array(parts.len());
    }
    for p in parts {
        out.raw(p);
    }
    out.buf
}

/// What one shard's look and serve answer: the first error, or the parts it served (by
/// argument index), or what each of its streams would wait for.
enum Found {
    Error(String),
    Served(Vec<(usize, Vec<u8>)>),
    Wait(Vec<(usize, Want)>),
}

/// Looks at the streams `indexes` (all here).
fn look_here(core: &mut Core, db: usize, a: &Reading, indexes: &[usize]) -> Vec<(usize, Look)> {
    indexes.iter().map(|&i| (i, look(core, db, a, i))).collect()
}

/// After the looks of this shard's streams: the first error, or the parts served, or what a
/// blocked reader waits for.
fn serve_here(core: &mut Core, db: usize, a: &Reading, looks: &[(usize, Look)], resp3: bool) -> Found {
    if let Some((_, Look::Error(e))) = looks.iter().find(|(_, l)| matches!(l, Look::Error(_))) {
        return Found::Error(e.clone());
    }
    let served: Vec<(usize, Vec<u8>)> = looks
        .iter()
        .filter_map(|(i, l)| match l {
            Look::Serve(gt, history) => {
                Some((*i, serve_part(core, db, &a.keys[*i], (*gt, *history), a.count, a.group.as_ref(), resp3)))
            }
            _ => None,
        })
        .collect();
    if !served.is_empty() {
        return Found::Served(served);
    }
    Found::Wait(
        looks
            .iter()
            .filter_map(|(i, l)| match l {
                Look::Wait(w) => Some((*i, w.clone())),
                _ => None,
            })
            .collect(),
    )
}

/// The parsed arguments, shared by the jobs of one read.
struct Reading {
    count: u64,
    /// What a blocked read serves at most (COUNT, or Redis's default for a blocked read).
    blocked_count: u64,
    /// The reader's protocol, which a blocked XREAD's reply is built in on the stream's owner.
    resp3: bool,
    group: Option<GroupArg>,
    keys: Vec<Vec<u8>>,
    ids: Vec<IdArg>,
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
pub fn xread(cx: &mut Cx) -> R {
    let args = parse(cx, false)?;
    read(cx, args)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key
/// [key ...] id [id ...]
pub fn xreadgroup(cx: &mut Cx) -> R {
    let args = parse(cx, true)?;
    read(cx, args)
}

fn read(cx: &mut Cx, args: Args) -> R {
    let (core, conn) = (&mut *cx.core, &mut *cx.conn);
    let db = conn.db;
    let non_blocking = core.exec_tx.is_some();
    let first_owner = core.owner(&args.keys[0]);
    let one_shard = args.keys.iter().all(|k| core.owner(k) == first_owner);
    let Args { count, block, group, keys, ids } = args;
    let blocked_count = if count == 0 { BLOCKED_DEFAULT_COUNT } else { count };
    let resp3 = conn.resp3();
    let shared = Arc::new(Reading { count, blocked_count, resp3, group, keys, ids });
    let block = if non_blocking { None } else { block };
    if !one_shard || non_blocking || block::locked(core, db, &shared.keys) {
        return Ok(across(core, conn, shared, block, blocked_count));
    }
    let all: Vec<usize> = (0..shared.keys.len()).collect();
    let (me, wait) = (conn.cref(core.id), block::next_wait_id());
    if first_owner == core.id {
        let looks = look_here(core, db, &shared, &all);
        let found = serve_here(core, db, &shared, &looks, resp3);
        match found {
            Found::Error(e) => conn.out.error(e.as_bytes()),
            Found::Served(parts) => {
                let parts: Vec<Vec<u8>> = parts.into_iter().map(|(_, p)| p).collect();
                conn.out.raw(&reply_of(&parts, resp3));
            }
            Found::Wait(wants) => match block {
                None => conn.out.null_array(),
                Some(deadline) => {
                    let keyed = keyed_wants(&shared, &wants);
                    block::register_wants(core, me, wait, db, &keyed);
                    let serve = serve_of(&shared, &wants, blocked_count);
                    block::block(core, conn, Blocked::pop(wait, db, serve, vec![core.id], false, deadline));
                }
            },
        }
        return Ok(Flow::Done);
    }
    // One hop: the owner looks, serves or registers, in one job. The client counts as blocked
    // from now when it may block, so an offer that overtakes the job's answer finds it.
    if let Some(deadline) = block {
        let serve = Serve::Stream(Box::new(StreamRead { count: blocked_count, group: None, after: Vec::new() }));
        block::block(core, conn, Blocked::pop(wait, db, serve, vec![first_owner], false, deadline));
    }
    let job_shared = shared.clone();
    let may_block = block.is_some();
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        if block::locked(core, db, &job_shared.keys) {
            return Box::new(None::<Found>);
        }
        let looks = look_here(core, db, &job_shared, &all);
        let found = serve_here(core, db, &job_shared, &looks, resp3);
        if let (Found::Wait(wants), true) = (&found, may_block) {
            block::register_wants(core, me, wait, db, &keyed_wants(&job_shared, wants));
        }
        Box::new(Some(found))
    });
    Ok(Flow::Wait(FanOut {
        jobs: vec![(first_owner, job)],
        finish: Box::new(move |core, conn, mut parts| {
            let found = parts.pop().and_then(|p| p.downcast::<Option<Found>>().ok()).and_then(|f| *f);
            match found {
                Some(Found::Wait(wants)) => {
                    match conn.blocked.as_mut() {
                        // The real serve (with the resolved IDs) replaces the placeholder.
                        Some(b) if b.wait == wait => b.serve = Some(serve_of(&shared, &wants, blocked_count)),
                        Some(_) => {}
                        None if block.is_none() => conn.out.null_array(),
                        None => {}
                    }
                    Flow::Done
                }
                Some(Found::Served(parts)) => {
                    let parts: Vec<Vec<u8>> = parts.into_iter().map(|(_, p)| p).collect();
                    conn.out.raw(&reply_of(&parts, resp3));
                    block::unblock(core, conn);
                    Flow::Done
                }
                Some(Found::Error(e)) => {
                    conn.out.error(e.as_bytes());
                    block::unblock(core, conn);
                    Flow::Done
                }
                None => {
                    // A transaction holds a key there: take the locked path.
                    block::unblock(core, conn);
                    across(core, conn, shared, block, blocked_count)
                }
            }
        }),
    }))
}

/// The keys and what a blocked reader waits for at each.
fn keyed_wants(a: &Reading, wants: &[(usize, Want)]) -> Vec<(Vec<u8>, Want)> {
    wants.iter().map(|(i, w)| (a.keys[*i].clone(), w.clone())).collect()
}

/// How a blocked reader is served.
fn serve_of(a: &Reading, wants: &[(usize, Want)], count: u64) -> Serve {
    let after = wants
        .iter()
        .filter_map(|(i, w)| match w {
            Want::After { id, .. } => Some((a.keys[*i].clone(), *id)),
            _ => None,
        })
        .collect();
    let group = a.group.as_ref().map(|g| (g.name.clone(), g.consumer.clone(), g.noack));
    Serve::Stream(Box::new(StreamRead { count, group, after }))
}

/// The locked path: look at every stream under a [`Tx`], then serve or register.
fn across(
    core: &mut Core,
    conn: &mut Conn,
    a: Arc<Reading>,
    block: Option<Option<Instant>>,
    blocked_count: u64,
) -> Flow {
    let db = conn.db;
    let mut tx = Tx::keys(core, a.keys.iter().map(|k| (db, k.as_slice())), true);
    tx.touch = false;
    let resp3 = conn.resp3();
    tx.lock(Box::new(move |_core, _conn, tx| {
        let look_a = a.clone();
        tx.run(
            move |_, scope| {
                let mine = indexes_in(&look_a, scope);
                let a = look_a.clone();
                Box::new(move |core: &mut Core| -> JobOut { Box::new(look_here(core, db, &a, &mine)) })
            },
            move |core, conn, parts, tx| {
                let mut looks: Vec<(usize, Look)> = Vec::new();
                for part in parts {
                    if let Ok(found) = part.downcast::<Vec<(usize, Look)>>() {
                        looks.extend(*found);
                    }
                }
                looks.sort_by_key(|(i, _)| *i);
                if let Some((_, Look::Error(e))) = looks.iter().find(|(_, l)| matches!(l, Look::Error(_))) {
                    let e = e.clone();
                    return tx.release(Box::new(move |_core, conn, _| {
                        conn.out.error(e.as_bytes());
                        Flow::Done
                    }));
                }
                if looks.iter().any(|(_, l)| matches!(l, Look::Serve(..))) {
                    let serve_a = a.clone();
                    let looks = Arc::new(looks);
                    return tx.run_and_release(
                        move |_, scope| {
                            let mine = indexes_in(&serve_a, scope);
                            let (a, looks) = (serve_a.clone(), looks.clone());
                            Box::new(move |core: &mut Core| -> JobOut {
                                let here: Vec<(usize, Look)> =
                                    looks.iter().filter(|(i, _)| mine.contains(i)).cloned().collect();
                                Box::new(serve_here(core, db, &a, &here, resp3))
                            })
                        },
                        Box::new(move |_core, conn, parts| {
                            let mut served: Vec<(usize, Vec<u8>)> = Vec::new();
                            for part in parts {
                                if let Ok(found) = part.downcast::<Found>() {
                                    if let Found::Served(p) = *found {
                                        served.extend(p);
                                    }
                                }
                            }
                            served.sort_by_key(|(i, _)| *i);
                            let parts: Vec<Vec<u8>> = served.into_iter().map(|(_, p)| p).collect();
                            conn.out.raw(&reply_of(&parts, resp3));
                            Flow::Done
                        }),
                    );
                }
                let Some(deadline) = block else {
                    return tx.release(Box::new(|_core, conn, _| {
                        conn.out.null_array();
                        Flow::Done
                    }));
                };
                let wants: Vec<(usize, Want)> = looks
                    .into_iter()
                    .filter_map(|(i, l)| match l {
                        Look::Wait(w) => Some((i, w)),
                        _ => None,
                    })
                    .collect();
                let wait = block::next_wait_id();
                let me = conn.cref(core.id);
                let shards: Vec<usize> = tx.shards().collect();
                let serve = serve_of(&a, &wants, blocked_count);
                block::block(core, conn, Blocked::pop(wait, db, serve, shards, false, deadline));
                let (reg_a, wants) = (a.clone(), Arc::new(wants));
                tx.run_and_release(
                    move |_, scope| {
                        let mine = indexes_in(&reg_a, scope);
                        let keyed: Vec<(Vec<u8>, Want)> = wants
                            .iter()
                            .filter(|(i, _)| mine.contains(i))
                            .map(|(i, w)| (reg_a.keys[*i].clone(), w.clone()))
                            .collect();
                        Box::new(move |core: &mut Core| -> JobOut {
                            block::register_wants(core, me, wait, db, &keyed);
                            Box::new(())
                        })
                    },
                    Box::new(|_core, _conn, _| Flow::Done),
                )
            },
        )
    }))
}

/// The argument indexes of the streams a transaction's shard holds.
fn indexes_in(a: &Reading, scope: &Scope) -> Vec<usize> {
    match scope {
        Scope::Keys(ks) => (0..a.keys.len()).filter(|&i| ks.iter().any(|(_, k)| *k == a.keys[i])).collect(),
        Scope::Dbs(_) => Vec::new(),
    }
}

/// Serves a blocked reader on the owner of `key`, which became ready: the reply, an error for
/// a group reader whose stream or group went, or None when there is nothing for it.
pub fn serve_blocked(core: &mut Core, db: usize, key: &[u8], read: &StreamRead, resp3: bool) -> Option<Vec<u8>> {
    let mut out = Out::new(resp3);
    let stream = core.live(db, key).map(|(v, _)| v.kind() == Kind::Stream);
    match &read.group {
        Some((name, consumer, noack)) => {
            if stream != Some(true) {
                out.error(b"UNBLOCKED the stream key no longer exists");
                return Some(out.buf);
            }
            let s = core.live(db, key).and_then(|(v, _)| v.as_stream()).expect("a stream");
            let Some(g) = s.groups.get(&name[..]) else {
                out.error(b"NOGROUP the consumer group this client was blocked on no longer exists");
                return Some(out.buf);
            };
            if s.last_id <= g.last_id {
                return None;
            }
            let gt = g.last_id;
            let group = GroupArg { name: name.clone(), consumer: consumer.clone(), noack: *noack };
            let part = serve_part(core, db, key, (gt, false), read.count, Some(&group), resp3);
            Some(reply_of(&[part], resp3))
        }
        None => {
            let after = read.after.iter().find(|(k, _)| k == key).map(|(_, id)| *id)?;
            serve_after(core, db, key, after, read.count, resp3)
        }
    }
}

/// A blocked XREAD's reply from `key` (here, on its owner): its entries after `after`, or None
/// when it has none. Taking nothing, it is also built when the owner offers the entries to a
/// reader on another core, so the reader gets what the stream held right after the write that
/// woke it, as Redis serves it before the next command.
pub fn serve_after(
    core: &mut Core,
    db: usize,
    key: &[u8],
    after: StreamId,
    count: u64,
    resp3: bool,
) -> Option<Vec<u8>> {
    let s = core.live(db, key).and_then(|(v, _)| v.as_stream())?;
    if s.last_id <= after {
        return None;
    }
    let part = serve_part(core, db, key, (after, false), count, None, resp3);
    Some(reply_of(&[part], resp3))
}
