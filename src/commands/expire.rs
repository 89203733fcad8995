//! Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT) TTL PTTL EXPIRETIME
//! PEXPIRETIME PERSIST.
//!
//! Deadlines are absolute milliseconds since the Unix epoch, kept in the key's table entry.
//! A deadline at or before now deletes the key at once, as Redis does.

use super::flag::*;
use super::{cmd, int_arg, Handler, KeyCx, Spec};
use crate::error::CmdError;
use crate::pubsub::notify::class::GENERIC;

type R = Result<(), CmdError>;

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key n [NX | XX | GT | LT]
fn expire_generic(cx: &mut KeyCx, unit_ms: i64, relative: bool, name: &str) -> R {
    let argv = cx.argv;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for i in 3..argv.len() {
        if argv.is(i, "NX") {
            nx = true;
        } else if argv.is(i, "XX") {
            xx = true;
        } else if argv.is(i, "GT") {
            gt = true;
        } else if argv.is(i, "LT") {
            lt = true;
        } else {
            return Err(CmdError::other(format!("ERR Unsupported option {}", String::from_utf8_lossy(argv.get(i)))));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::other("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if gt && lt {
        return Err(CmdError::other("ERR GT and LT options at the same time are not compatible"));
    }
    let invalid = || CmdError::other(format!("ERR invalid expire time in '{name}' command"));
    let mut when = int_arg(argv.get(2))?;
    if unit_ms == 1000 {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let now = cx.core.now_ms as i64;
    if relative {
        when = when.checked_add(now).ok_or_else(invalid)?;
    }
    let key = argv.get(1);
    let Some((_, current)) = cx.core.live(cx.db, key) else {
        cx.out.int(0);
        return Ok(());
    };
    // A key without a deadline counts as expiring never (infinitely late) for GT and LT.
    let refused = (nx && current != 0)
        || (xx && current == 0)
        || (gt && (current == 0 || when <= current as i64))
        || (lt && current != 0 && when >= current as i64);
    if refused {
        cx.out.int(0);
        return Ok(());
    }
    if when <= now {
        cx.core.dbs[cx.db].remove(key);
        cx.core.notify(GENERIC, "del", cx.db, key);
    } else {
        cx.core.dbs[cx.db].set_expire(key, when as u64);
        cx.core.notify(GENERIC, "expire", cx.db, key);
    }
    cx.out.int(1);
    Ok(())
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(cx: &mut KeyCx) -> R {
    expire_generic(cx, 1000, true, "expire")
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(cx: &mut KeyCx) -> R {
    expire_generic(cx, 1, true, "pexpire")
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(cx: &mut KeyCx) -> R {
    expire_generic(cx, 1000, false, "expireat")
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(cx: &mut KeyCx) -> R {
    expire_generic(cx, 1, false, "pexpireat")
}

/// TTL/PTTL (`absolute` false) and EXPIRETIME/PEXPIRETIME (`absolute` true): -2 for a missing
/// key, -1 for one without a deadline.
fn ttl_generic(cx: &mut KeyCx, ms: bool, absolute: bool) -> R {
    let key = cx.argv.get(1);
    let now = cx.core.now_ms;
    let reply = match cx.core.look(cx.db, key, false) {
        None => -2,
        Some((_, 0)) => -1,
        Some((_, deadline)) if absolute => {
            if ms {
                deadline as i64
            } else {
                (deadline / 1000) as i64
            }
        }
        Some((_, deadline)) => {
            let left = deadline.saturating_sub(now) as i64;
            if ms {
                left
            } else {
                (left + 500) / 1000
            }
        }
    };
    cx.out.int(reply);
    Ok(())
}

/// TTL key
fn ttl(cx: &mut KeyCx) -> R {
    ttl_generic(cx, false, false)
}

/// PTTL key
fn pttl(cx: &mut KeyCx) -> R {
    ttl_generic(cx, true, false)
}

/// EXPIRETIME key
fn expiretime(cx: &mut KeyCx) -> R {
    ttl_generic(cx, false, true)
}

/// PEXPIRETIME key
fn pexpiretime(cx: &mut KeyCx) -> R {
    ttl_generic(cx, true, true)
}

/// PERSIST key
fn persist(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let had = matches!(cx.core.live(cx.db, key), Some((_, d)) if d != 0);
    if had {
        cx.core.dbs[cx.db].set_expire(key, 0);
        cx.core.notify(GENERIC, "persist", cx.db, key);
    }
    cx.out.int(had as i64);
    Ok(())
}

const KWF: &[&str] = &["@keyspace", "@write", "@fast"];
const KRF: &[&str] = &["@keyspace", "@read", "@fast"];

pub const SPECS: &[Spec] = &[
    cmd("expire", -3, WRITE | FAST, (1, 1, 1), KWF, Handler::Key(expire)),
    cmd("pexpire", -3, WRITE | FAST, (1, 1, 1), KWF, Handler::Key(pexpire)),
    cmd("expireat", -3, WRITE | FAST, (1, 1, 1), KWF, Handler::Key(expireat)),
    cmd("pexpireat", -3, WRITE | FAST, (1, 1, 1), KWF, Handler::Key(pexpireat)),
    cmd("ttl", 2, READONLY | FAST, (1, 1, 1), KRF, Handler::Key(ttl)),
    cmd("pttl", 2, READONLY | FAST, (1, 1, 1), KRF, Handler::Key(pttl)),
    cmd("expiretime", 2, READONLY | FAST, (1, 1, 1), KRF, Handler::Key(expiretime)),
    cmd("pexpiretime", 2, READONLY | FAST, (1, 1, 1), KRF, Handler::Key(pexpiretime)),
    cmd("persist", 2, WRITE | FAST, (1, 1, 1), KWF, Handler::Key(persist)),
];
