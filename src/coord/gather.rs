//! Commands that read keys on several shards and may store one result: SUNIONSTORE and the set
//! algebra, ZUNIONSTORE and its family, BITOP, PFCOUNT and PFMERGE. One transaction holds every
//! source and the destination; each source is read on its owner, the result is computed on the
//! connection's core, and the last round writes it on the destination's owner and lets go.

use super::{Scope, Tx};
use crate::commands::{in_key_order, Cx, Flow};
use crate::error::CmdError;
use crate::protocol::Out;
use crate::shard::mesh::JobOut;
use crate::shard::Core;

/// What the sources make: a value for the destination (None: nothing to write) and the reply.
pub struct Outcome<S> {
    pub store: Option<S>,
    pub reply: Box<dyn FnOnce(&mut Out) + Send>,
}

impl<S> Outcome<S> {
    /// Writes nothing and answers `e`.
    pub fn error(e: CmdError) -> Outcome<S> {
        Outcome { store: None, reply: Box::new(move |out: &mut Out| out.error(e.to_string().as_bytes())) }
    }
}

/// Locks `sources` (shared) and `dst` (exclusive, when there is one), reads each source with
/// `read(core, db, key)` on its owner and hands the values, in `sources` order, to `then`.
/// What `then` returns for the destination is written there by `store`; an error from `store`
/// replaces the reply.
///
/// The transaction does not signal the keys it holds: `store` signals the destination when it
/// changes it, and the sources are only read.
pub fn read_then_store<V, S>(
    cx: &mut Cx,
    sources: Vec<Vec<u8>>,
    dst: Option<Vec<u8>>,
    read: impl Fn(&mut Core, usize, &[u8]) -> V + Clone + Send + 'static,
    then: impl FnOnce(Vec<Option<V>>) -> Outcome<S> + 'static,
    store: impl FnOnce(&mut Core, usize, &[u8], S) -> Result<(), CmdError> + Send + 'static,
) -> Result<Flow, CmdError>
where
    V: Clone + Send + 'static,
    S: Send + 'static,
{
    let db = cx.conn.db;
    let dst_shard = dst.as_ref().map(|d| cx.core.owner(d));
    let all = sources.iter().chain(dst.iter()).map(|k| (db, k.as_slice()));
    let mut tx = Tx::keys(cx.core, all, dst.is_some());
    tx.touch = false;
    let wanted: hashbrown::HashSet<Vec<u8>> = sources.iter().cloned().collect();
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run(
            |_, scope: &Scope| {
                let mine: Vec<Vec<u8>> = scope.keys().into_iter().filter(|k| wanted.contains(k)).collect();
                let read = read.clone();
                Box::new(move |core: &mut Core| -> JobOut {
                    let values: Vec<(Vec<u8>, V)> = mine
                        .into_iter()
                        .map(|k| {
                            let v = read(core, db, &k);
                            (k, v)
                        })
                        .collect();
                    Box::new(values)
                })
            },
            move |_core, _conn, parts, tx| {
                let mut found: hashbrown::HashMap<Vec<u8>, V> = hashbrown::HashMap::new();
                for part in parts {
                    if let Ok(values) = part.downcast::<Vec<(Vec<u8>, V)>>() {
                        found.extend(*values);
                    }
                }
                let Outcome { store: mut value, reply } = then(in_key_order(found, &sources));
                let mut store = Some(store);
                tx.run_and_release(
                    |shard, _| {
                        let write = match (&dst, value.take()) {
                            (Some(d), Some(v)) if Some(shard) == dst_shard => {
                                store.take().map(|store| (store, d.clone(), v))
                            }
                            (_, v) => {
                                value = v;
                                None
                            }
                        };
                        Box::new(move |core: &mut Core| -> JobOut {
                            let stored = match write {
                                Some((store, d, v)) => store(core, db, &d, v),
                                None => Ok(()),
                            };
                            Box::new(stored)
                        })
                    },
                    Box::new(move |_core, conn, parts| {
                        let failed = parts
                            .into_iter()
                            .filter_map(|p| p.downcast::<Result<(), CmdError>>().ok())
                            .find_map(|r| r.err());
                        match failed {
                            Some(e) => conn.out.error(e.to_string().as_bytes()),
                            None => reply(&mut conn.out),
                        }
                        Flow::Done
                    }),
                )
            },
        )
    })))
}
