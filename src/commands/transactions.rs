//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! The handlers here keep the connection's side (is it in MULTI, which keys it watches); how a
//! queue runs across shards and how watches are kept on the keys' owners is
//! [`crate::coord::multi`] and [`crate::coord::watch`].

use super::flag::*;
use super::{cmd, Cx, FanOut, Flow, Handler, Spec};
use crate::coord::multi;
use crate::error::CmdError;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;

type R = Result<Flow, CmdError>;

/// MULTI
fn multi_cmd(cx: &mut Cx) -> R {
    if cx.conn.multi.is_some() {
        return Err(CmdError::other("ERR MULTI calls can not be nested"));
    }
    cx.conn.multi = Some(cx.conn.spare_queue.take().unwrap_or_default());
    cx.out().ok();
    Ok(Flow::Done)
}

/// EXEC
fn exec(cx: &mut Cx) -> R {
    let Some(queue) = cx.conn.multi.take() else {
        return Err(CmdError::other("ERR EXEC without MULTI"));
    };
    multi::exec(cx, queue)
}

/// DISCARD
fn discard(cx: &mut Cx) -> R {
    if cx.conn.multi.take().is_none() {
        return Err(CmdError::other("ERR DISCARD without MULTI"));
    }
    unwatch_all(cx);
    cx.out().ok();
    Ok(Flow::Done)
}

/// Forgets every key the connection watches.
pub fn unwatch_all(cx: &mut Cx) {
    let watched = std::mem::take(&mut cx.conn.watched);
    multi::forget_watches(cx.core, cx.conn.cref(cx.core.id), &watched);
}

/// WATCH key [key ...]: registered on each key's owner before the reply, so any write that
/// follows `+OK` is seen.
fn watch(cx: &mut Cx) -> R {
    if cx.conn.multi.is_some() {
        return Err(CmdError::other("ERR WATCH inside MULTI is not allowed"));
    }
    let (db, me) = (cx.conn.db, cx.conn.cref(cx.core.id));
    let mut remote: Vec<Vec<Vec<u8>>> = vec![Vec::new(); cx.core.shards()];
    for key in cx.argv.iter().skip(1) {
        if cx.conn.watched.iter().any(|(d, k)| *d == db && k == key) {
            continue;
        }
        cx.conn.watched.push((db, key.to_vec()));
        let owner = cx.core.owner(key);
        if owner == cx.core.id {
            let expired = cx.core.expired_in_place(db, key);
            cx.core.watches.add(me, db, key, expired);
        } else {
            remote[owner].push(key.to_vec());
        }
    }
    let jobs: Vec<(usize, Job)> = remote
        .into_iter()
        .enumerate()
        .filter(|(_, keys)| !keys.is_empty())
        .map(|(shard, keys)| {
            let job: Job = Box::new(move |core: &mut Core| -> JobOut {
                for key in keys {
                    let expired = core.expired_in_place(db, &key);
                    core.watches.add(me, db, &key, expired);
                }
                Box::new(())
            });
            (shard, job)
        })
        .collect();
    if jobs.is_empty() {
        cx.out().ok();
        return Ok(Flow::Done);
    }
    Ok(Flow::Wait(FanOut {
        jobs,
        finish: Box::new(|_core, conn, _| {
            conn.out.ok();
            Flow::Done
        }),
    }))
}

/// UNWATCH
fn unwatch(cx: &mut Cx) -> R {
    unwatch_all(cx);
    cx.out().ok();
    Ok(Flow::Done)
}

const TX: &[&str] = &["@fast", "@transaction"];
const NS: u32 = NOSCRIPT | LOADING | STALE;

pub const SPECS: &[Spec] = &[
    cmd("multi", 1, NS | FAST | ALLOW_BUSY | TX_CONTROL, (0, 0, 0), TX, Handler::Conn(multi_cmd)),
    cmd(
        "exec",
        1,
        NS | SKIP_SLOWLOG | TX_CONTROL | MONITOR_AFTER,
        (0, 0, 0),
        &["@slow", "@transaction"],
        Handler::Conn(exec),
    ),
    cmd("discard", 1, NS | FAST | ALLOW_BUSY | TX_CONTROL, (0, 0, 0), TX, Handler::Conn(discard)),
    cmd("watch", -2, NS | FAST | ALLOW_BUSY | TX_CONTROL, (1, -1, 1), TX, Handler::Conn(watch)),
    cmd("unwatch", 1, NS | FAST | ALLOW_BUSY, (0, 0, 0), TX, Handler::Conn(unwatch)),
];
