//! The shape LMPOP and ZMPOP share: `numkeys key [key ...] <end> [COUNT count]`, popping from the
//! first key (in argument order) that exists, wherever the keys live.
//!
//! The keys may sit on several shards, so the command runs as a [`Tx`] holding every key
//! exclusively: one round asks each shard which of its keys exist and with which type, the
//! connection's core picks the first, and a second round pops on that key's shard. No other
//! command sees the keys between the two rounds, so the pick is still true when the pop runs.

use super::{parse_i64, Argv, Cx, Flow};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::protocol::Out;
use crate::shard::mesh::JobOut;
use crate::shard::Core;
use crate::store::value::Kind;

/// A parsed `numkeys key [key ...] <end> [COUNT count]`.
pub struct Args {
    pub keys: Vec<Vec<u8>>,
    /// True for the first of the two end words (LEFT, MIN), false for the second.
    pub first_end: bool,
    pub count: usize,
}

/// Parses the arguments after the command name, with Redis's errors; `ends` are the two words
/// naming where to pop (LEFT/RIGHT, MIN/MAX).
pub fn parse(cx: &Cx, ends: [&str; 2]) -> Result<Args, CmdError> {
    parse_from(&cx.argv, 1, ends)
}

/// [`parse`] with `numkeys` at argument `at` (BLMPOP and BZMPOP put the timeout first).
pub fn parse_from(argv: &Argv<'_>, at: usize, ends: [&str; 2]) -> Result<Args, CmdError> {
    let argv = *argv;
    let numkeys = match parse_i64(argv.get(at)) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::other("ERR numkeys should be greater than 0")),
    };
    let end_at = numkeys.saturating_add(at as u64 + 1);
    if end_at >= argv.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let end_at = end_at as usize;
    let first_end = if argv.is(end_at, ends[0]) {
        true
    } else if argv.is(end_at, ends[1]) {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = None;
    let mut j = end_at + 1;
    while j < argv.len() {
        if count.is_none() && argv.is(j, "COUNT") && j + 1 < argv.len() {
            count = match parse_i64(argv.get(j + 1)) {
                Some(n) if n >= 1 => Some(n as usize),
                _ => return Err(CmdError::other("ERR count should be greater than 0")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys = (at + 1..end_at).map(|i| argv.get(i).to_vec()).collect();
    Ok(Args { keys, first_end, count: count.unwrap_or(1) })
}

/// What one shard found at its keys: None missing, Some(true) of the wanted kind, Some(false)
/// of another.
type Found = Vec<(Vec<u8>, Option<bool>)>;

/// Runs the pop: WRONGTYPE if the first existing key holds another kind, a null array if no key
/// exists, else `pop(core, db, key)` on the key's shard (the key is deleted once empty) and the
/// reply `[key, [element ...]]`, each element written by `reply_one`. A null array too if the
/// key expired between the two rounds and nothing was popped.
pub fn run<E: Send + 'static>(
    cx: &mut Cx,
    keys: Vec<Vec<u8>>,
    kind: Kind,
    pop: impl Fn(&mut Core, usize, &[u8]) -> Vec<E> + Clone + Send + 'static,
    reply_one: impl Fn(&mut Out, &E) + Send + 'static,
) -> Flow {
    let db = cx.conn.db;
    // Only the key popped from changes: it is signalled by the pop, not every locked key.
    let mut tx = Tx::keys(cx.core, keys.iter().map(|k| (db, k.as_slice())), true);
    tx.touch = false;
    tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run(
            |_, scope| {
                let mine: Vec<Vec<u8>> = scope.keys();
                Box::new(move |core: &mut Core| -> JobOut {
                    let found: Found = mine
                        .into_iter()
                        .map(|k| {
                            let state = core.live(db, &k).map(|(v, _)| v.kind() == kind);
                            (k, state)
                        })
                        .collect();
                    Box::new(found)
                })
            },
            move |core, _conn, parts, tx| {
                let mut states = hashbrown::HashMap::new();
                for part in parts {
                    if let Ok(found) = part.downcast::<Found>() {
                        states.extend(*found);
                    }
                }
                let chosen = keys.iter().find_map(|k| states.get(k).copied().flatten().map(|ok| (k, ok)));
                let key = match chosen {
                    None => {
                        return tx.release(Box::new(|_core, conn, _| {
                            conn.out.null_array();
                            Flow::Done
                        }))
                    }
                    Some((_, false)) => {
                        return tx.release(Box::new(|_core, conn, _| {
                            conn.out.error(CmdError::WrongType.to_string().as_bytes());
                            Flow::Done
                        }))
                    }
                    Some((k, true)) => k.clone(),
                };
                let owner = core.owner(&key);
                let k = key.clone();
                tx.run_and_release(
                    |shard, _| {
                        let (k, pop) = (k.clone(), pop.clone());
                        Box::new(move |core: &mut Core| -> JobOut {
                            if shard == owner {
                                let popped = pop(core, db, &k);
                                core.del_if_empty(db, &k);
                                if !popped.is_empty() {
                                    core.signal_modified(db, &k);
                                }
                                Box::new(Some(popped))
                            } else {
                                Box::new(None::<Vec<E>>)
                            }
                        })
                    },
                    Box::new(move |_core, conn, parts| {
                        let popped = parts
                            .into_iter()
                            .filter_map(|p| p.downcast::<Option<Vec<E>>>().ok())
                            .find_map(|p| *p)
                            .expect("the owner's part");
                        let out = &mut conn.out;
                        if popped.is_empty() {
                            out.null_array();
                        } else {
                            out.array(2);
                            out.bulk(&key);
                            out.array(popped.len());
                            popped.iter().for_each(|e| reply_one(out, e));
                        }
                        Flow::Done
                    }),
                )
            },
        )
    }))
}
