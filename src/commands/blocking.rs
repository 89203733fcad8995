//! Blocking commands: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN BZPOPMAX BZMPOP WAIT.
//!
//! Each parses its arguments here, on the connection's core, then takes one of three paths to
//! the first, atomic look at its keys (the first key in argument order that has data is
//! served, as in Redis):
//!
//! - every key here: look and, if nothing is there, register, in one step;
//! - every key on one other shard: one job there does the same;
//! - keys on several shards (or a BLMOVE whose destination lives elsewhere, or a key a
//!   multi-shard transaction holds): a [`Tx`] locks them all, one round looks, and the last
//!   round either serves the chosen key or registers the client on every shard, under the locks,
//!   so no push slips in between the look and the registration.
//!
//! Inside MULTI (EXEC) they never block: they answer as if the timeout had passed.
//! What happens once blocked is [`crate::coord::block`].

use std::time::{Duration, Instant};

use super::flag::*;
use super::{cmd, lists, mpop, Cx, FanOut, Flow, Handler, Spec};
use crate::coord::block::{self, Blocked, First, Serve};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::server::conn::Conn;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;

type R = Result<Flow, CmdError>;

extern "C" {
    fn shardis_timeout_ms(s: *const u8, len: usize, out: *mut i64) -> i32;
}

/// A timeout in seconds (a float), as 7.0 reads it: None waits forever (0, or a deadline past
/// what the clock can hold).
fn timeout_secs(arg: &[u8]) -> Result<Option<Instant>, CmdError> {
    let mut ms = 0i64;
    // SAFETY: a live buffer and its length; the C side writes one i64.
    if unsafe { shardis_timeout_ms(arg.as_ptr(), arg.len(), &mut ms) } == 0 {
        return Err(CmdError::other("ERR timeout is not a float or out of range"));
    }
    deadline_in(ms)
}

/// A timeout in milliseconds (an integer, WAIT).
pub(crate) fn timeout_ms(arg: &[u8]) -> Result<Option<Instant>, CmdError> {
    let ms = super::parse_i64(arg).ok_or_else(|| CmdError::other("ERR timeout is not an integer or out of range"))?;
    deadline_in(ms)
}

fn deadline_in(ms: i64) -> Result<Option<Instant>, CmdError> {
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    if ms == 0 {
        return Ok(None);
    }
    Ok(Instant::now().checked_add(Duration::from_millis(ms as u64)))
}

/// What one shard found at its keys in the first look.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Missing,
    WrongType,
    Data,
}

/// A blocking pop over `keys` of the connection's database.
fn pop(cx: &mut Cx, keys: Vec<Vec<u8>>, serve: Serve, deadline: Option<Instant>) -> R {
    let (core, conn) = (&mut *cx.core, &mut *cx.conn);
    let db = conn.db;
    let in_exec = core.exec_tx.is_some();
    let dst_owner = match &serve {
        Serve::Move { dst, .. } => Some(core.owner(dst)),
        _ => None,
    };
    let first_owner = core.owner(&keys[0]);
    let one_shard = keys.iter().all(|k| core.owner(k) == first_owner) && dst_owner.is_none_or(|d| d == first_owner);
    if in_exec || !one_shard {
        return Ok(across(core, conn, keys, serve, deadline));
    }
    let mut all = keys.clone();
    if let Serve::Move { dst, .. } = &serve {
        all.push(dst.clone());
    }
    let (me, resp3, wait) = (conn.cref(core.id), conn.resp3(), block::next_wait_id());
    let blocked = Blocked::pop(wait, db, serve.clone(), vec![first_owner], false, deadline);
    if first_owner == core.id {
        if block::locked(core, db, &all) {
            return Ok(across(core, conn, keys, serve, deadline));
        }
        match block::first_here(core, db, &keys, &serve, resp3) {
            First::Served(reply) => conn.out.raw(&reply),
            First::WrongType => return Err(CmdError::WrongType),
            First::Empty => {
                block::register(core, me, wait, serve.kind(), db, &keys);
                block::block(core, conn, blocked);
            }
        }
        return Ok(Flow::Done);
    }
    // One hop: the owner looks and registers in one job. The client counts as blocked from
    // now, so an offer that overtakes the job's answer finds it.
    block::block(core, conn, blocked);
    let (job_keys, job_serve, kind) = (keys.clone(), serve.clone(), serve.kind());
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        if block::locked(core, db, &all) {
            return Box::new(None::<First>);
        }
        let first = block::first_here(core, db, &job_keys, &job_serve, resp3);
        if let First::Empty = first {
            block::register(core, me, wait, kind, db, &job_keys);
        }
        Box::new(Some(first))
    });
    Ok(Flow::Wait(FanOut {
        jobs: vec![(first_owner, job)],
        finish: Box::new(move |core, conn, mut parts| {
            let first = parts.pop().and_then(|p| p.downcast::<Option<First>>().ok()).and_then(|f| *f);
            match first {
                Some(First::Empty) => Flow::Done,
                Some(First::Served(reply)) => {
                    conn.out.raw(&reply);
                    block::unblock(core, conn);
                    Flow::Done
                }
                Some(First::WrongType) => {
                    conn.out.error(CmdError::WrongType.to_string().as_bytes());
                    block::unblock(core, conn);
                    Flow::Done
                }
                None => {
                    // A transaction holds a key there: take the locked path.
                    block::unblock(core, conn);
                    across(core, conn, keys, serve, deadline)
                }
            }
        }),
    }))
}

/// The locked path: look at every key under a [`Tx`], then serve or register.
fn across(core: &mut Core, conn: &mut Conn, keys: Vec<Vec<u8>>, serve: Serve, deadline: Option<Instant>) -> Flow {
    let db = conn.db;
    let non_blocking = core.exec_tx.is_some();
    let dst = match &serve {
        Serve::Move { dst, .. } => Some(dst.clone()),
        _ => None,
    };
    // Serving signals the keys it changes; looking and registering change nothing.
    let mut tx = Tx::keys(core, keys.iter().chain(dst.iter()).map(|k| (db, k.as_slice())), true);
    tx.touch = false;
    let kind = serve.kind();
    tx.lock(Box::new(move |_core, _conn, tx| {
        let look_keys = keys.clone();
        let look_dst = dst.clone();
        tx.run(
            move |_, scope| {
                let mine: Vec<Vec<u8>> = scope.keys();
                let (srcs, dst) = (look_keys.clone(), look_dst.clone());
                Box::new(move |core: &mut Core| -> JobOut {
                    let states: Vec<(Vec<u8>, State)> = mine
                        .into_iter()
                        .filter(|k| srcs.contains(k))
                        .map(|k| {
                            let state = match core.live(db, &k) {
                                None => State::Missing,
                                Some((v, _)) if v.kind() != kind => State::WrongType,
                                Some(_) => State::Data,
                            };
                            (k, state)
                        })
                        .collect();
                    let dst_wrong =
                        dst.as_ref().is_some_and(|d| core.owner(d) == core.id && lists::wrong_type(core, db, d));
                    Box::new((states, dst_wrong))
                })
            },
            move |core, conn, parts, tx| {
                let mut states = hashbrown::HashMap::new();
                let mut dst_wrong = false;
                for part in parts {
                    if let Ok(found) = part.downcast::<(Vec<(Vec<u8>, State)>, bool)>() {
                        let (found, wrong) = *found;
                        states.extend(found);
                        dst_wrong |= wrong;
                    }
                }
                let chosen = keys.iter().find(|k| states.get(*k).is_some_and(|s| *s != State::Missing));
                match chosen.map(|k| (k.clone(), states[k])) {
                    Some((_, State::WrongType)) => release_with(tx, Err(CmdError::WrongType)),
                    Some((key, _)) => {
                        if dst_wrong {
                            return release_with(tx, Err(CmdError::WrongType));
                        }
                        serve_under(core, tx, db, key, serve, conn.resp3())
                    }
                    // BLMOVE and BRPOPLPUSH answer a null string here, a null array on timeout.
                    None if non_blocking && dst.is_some() => tx.release(Box::new(|_core, conn, _| {
                        conn.out.null();
                        Flow::Done
                    })),
                    None if non_blocking => release_with(tx, Ok(None)),
                    None => {
                        let wait = block::next_wait_id();
                        let me = conn.cref(core.id);
                        let shards: Vec<usize> = tx.shards().collect();
                        let move_across = dst.as_ref().is_some_and(|d| core.owner(d) != core.owner(&keys[0]));
                        block::block(core, conn, Blocked::pop(wait, db, serve, shards, move_across, deadline));
                        let srcs = keys.clone();
                        tx.run_and_release(
                            move |_, scope| {
                                let mine: Vec<Vec<u8>> =
                                    scope.keys().into_iter().filter(|k| srcs.contains(k)).collect();
                                Box::new(move |core: &mut Core| -> JobOut {
                                    block::register(core, me, wait, kind, db, &mine);
                                    Box::new(())
                                })
                            },
                            Box::new(|_core, _conn, _| Flow::Done),
                        )
                    }
                }
            },
        )
    }))
}

/// Serves `key` (chosen by the first look) with every lock held, then releases.
fn serve_under(core: &mut Core, tx: Tx, db: usize, key: Vec<u8>, serve: Serve, resp3: bool) -> Flow {
    let owner = core.owner(&key);
    if let Serve::Move { dst, from_left, to_left } = serve.clone() {
        let dst_owner = core.owner(&dst);
        if dst_owner != owner {
            // Pop on one shard, push on the other, both under the locks.
            let (src, d) = (key.clone(), dst.clone());
            return tx.run(
                move |shard, _| {
                    let src = src.clone();
                    Box::new(move |core: &mut Core| -> JobOut {
                        // The pop's events follow the push's (see lists::move_one).
                        core.event_seq = 1;
                        let popped = if shard == owner { lists::pop_one(core, db, &src, from_left) } else { None };
                        if popped.is_some() {
                            core.signal_modified(db, &src);
                        }
                        Box::new(popped)
                    })
                },
                move |_core, _conn, parts, tx| {
                    let value = parts.into_iter().find_map(|p| p.downcast::<Option<Vec<u8>>>().ok().and_then(|v| *v));
                    let Some(value) = value else { return release_with(tx, Ok(None)) };
                    let pushed = value.clone();
                    tx.run_and_release(
                        move |shard, _| {
                            let (d, v) = (d.clone(), pushed.clone());
                            Box::new(move |core: &mut Core| -> JobOut {
                                if shard == dst_owner {
                                    lists::push_one(core, db, &d, &v, to_left);
                                    core.signal_modified(db, &d);
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
            );
        }
    }
    tx.run_and_release(
        move |shard, _| {
            let (key, serve) = (key.clone(), serve.clone());
            Box::new(move |core: &mut Core| -> JobOut {
                Box::new(if shard == owner { block::serve_key(core, db, &key, &serve, resp3) } else { None })
            })
        },
        Box::new(move |_core, conn, parts| {
            let reply = parts.into_iter().find_map(|p| p.downcast::<Option<Vec<u8>>>().ok().and_then(|r| *r));
            match reply {
                Some(bytes) => conn.out.raw(&bytes),
                None => conn.out.null_array(),
            }
            Flow::Done
        }),
    )
}

/// Releases the transaction and answers: an error, a timeout (None), or a reply.
fn release_with(tx: Tx, answer: Result<Option<Vec<u8>>, CmdError>) -> Flow {
    tx.release(Box::new(move |_core, conn, _| {
        match answer {
            Err(e) => conn.out.error(e.to_string().as_bytes()),
            Ok(None) => conn.out.null_array(),
            Ok(Some(bytes)) => conn.out.raw(&bytes),
        }
        Flow::Done
    }))
}

/// BLPOP / BRPOP / BZPOPMIN / BZPOPMAX key [key ...] timeout
fn pop_keys(cx: &mut Cx, serve: Serve) -> R {
    let deadline = timeout_secs(cx.argv.get(cx.argv.len() - 1))?;
    let keys = (1..cx.argv.len() - 1).map(|i| cx.argv.get(i).to_vec()).collect();
    pop(cx, keys, serve, deadline)
}

/// BLPOP key [key ...] timeout
fn blpop(cx: &mut Cx) -> R {
    pop_keys(cx, Serve::Pop { left: true })
}

/// BRPOP key [key ...] timeout
fn brpop(cx: &mut Cx) -> R {
    pop_keys(cx, Serve::Pop { left: false })
}

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(cx: &mut Cx) -> R {
    pop_keys(cx, Serve::ZPop { min: true })
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(cx: &mut Cx) -> R {
    pop_keys(cx, Serve::ZPop { min: false })
}

/// BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout
fn blmove(cx: &mut Cx) -> R {
    let (from_left, to_left) = (lists::side(cx.argv.get(3))?, lists::side(cx.argv.get(4))?);
    let deadline = timeout_secs(cx.argv.get(5))?;
    let (src, dst) = (cx.argv.get(1).to_vec(), cx.argv.get(2).to_vec());
    pop(cx, vec![src], Serve::Move { dst, from_left, to_left }, deadline)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(cx: &mut Cx) -> R {
    let deadline = timeout_secs(cx.argv.get(3))?;
    let (src, dst) = (cx.argv.get(1).to_vec(), cx.argv.get(2).to_vec());
    pop(cx, vec![src], Serve::Move { dst, from_left: false, to_left: true }, deadline)
}

/// BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]
fn blmpop(cx: &mut Cx) -> R {
    // Redis reads numkeys, the end and COUNT before the timeout.
    let mpop::Args { keys, first_end: left, count } = mpop::parse_from(&cx.argv, 2, ["LEFT", "RIGHT"])?;
    let deadline = timeout_secs(cx.argv.get(1))?;
    pop(cx, keys, Serve::MPop { left, count }, deadline)
}

/// BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
fn bzmpop(cx: &mut Cx) -> R {
    let mpop::Args { keys, first_end: min, count } = mpop::parse_from(&cx.argv, 2, ["MIN", "MAX"])?;
    let deadline = timeout_secs(cx.argv.get(1))?;
    pop(cx, keys, Serve::ZMPop { min, count }, deadline)
}

/// WAIT numreplicas timeout: there are no replicas, so `:0`, at once when no replica is asked
/// for (or inside MULTI), else when the timeout passes (0: never) or CLIENT UNBLOCK.
fn wait(cx: &mut Cx) -> R {
    let wanted = super::int_arg(cx.argv.get(1))?;
    let deadline = timeout_ms(cx.argv.get(2))?;
    if wanted <= 0 || cx.core.exec_tx.is_some() {
        cx.out().int(0);
        return Ok(Flow::Done);
    }
    let blocked = Blocked::wait_replicas(block::next_wait_id(), cx.conn.db, deadline);
    block::block(cx.core, cx.conn, blocked);
    Ok(Flow::Done)
}

const L: &[&str] = &["@write", "@list", "@slow", "@blocking"];
const Z: &[&str] = &["@write", "@sortedset", "@fast", "@blocking"];
const ZS: &[&str] = &["@write", "@sortedset", "@slow", "@blocking"];

pub const SPECS: &[Spec] = &[
    cmd("blpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), L, Handler::Conn(blpop)),
    cmd("brpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), L, Handler::Conn(brpop)),
    cmd("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), L, Handler::Conn(brpoplpush)),
    cmd("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), L, Handler::Conn(blmove)),
    cmd("blmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, (0, 0, 0), L, Handler::Conn(blmpop)),
    cmd("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1), Z, Handler::Conn(bzpopmin)),
    cmd("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1), Z, Handler::Conn(bzpopmax)),
    cmd("bzmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, (0, 0, 0), ZS, Handler::Conn(bzmpop)),
    cmd("wait", 3, NOSCRIPT, (0, 0, 0), &["@slow", "@connection"], Handler::Conn(wait)),
];
