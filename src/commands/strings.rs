//! String commands. For now the routing skeleton's GET, SET and DBSIZE on a plain per-shard map;
//! the keyspace issue brings the real table and every option.

use super::flag::*;
use super::{cmd, Cx, FanOut, Flow, Handler, KeyCx, Spec};
use crate::error::CmdError;
use crate::shard::Core;

/// GET key
fn get(cx: &mut KeyCx) -> Result<(), CmdError> {
    match cx.core.dbs[cx.db].get(cx.argv.get(1)) {
        Some(value) => {
            cx.core.stats.keyspace_hits += 1;
            cx.out.bulk(value)
        }
        None => {
            cx.core.stats.keyspace_misses += 1;
            cx.out.null()
        }
    }
    Ok(())
}

/// SET key value
fn set(cx: &mut KeyCx) -> Result<(), CmdError> {
    if cx.argv.len() != 3 {
        return Err(CmdError::Syntax);
    }
    let (key, value) = (cx.argv.get(1), cx.argv.get(2));
    cx.core.dbs[cx.db].insert(key.into(), value.into());
    cx.out.ok();
    Ok(())
}

/// DBSIZE
fn dbsize(cx: &mut Cx) -> Result<Flow, CmdError> {
    let db = cx.conn.db;
    Ok(FanOut::sum(cx.core.shards(), move |core: &mut Core| core.dbs[db].len() as i64))
}

pub const SPECS: &[Spec] = &[
    cmd("get", 2, READONLY | FAST, (1, 1, 1), &["@read", "@string", "@fast"], Handler::Key(get)),
    cmd("set", -3, WRITE | DENYOOM, (1, 1, 1), &["@write", "@string", "@slow"], Handler::Key(set)),
    cmd("dbsize", 1, READONLY | FAST, (0, 0, 0), &["@keyspace", "@read", "@fast"], Handler::Conn(dbsize)),
];
