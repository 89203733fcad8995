//! Key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY MOVE KEYS SCAN RANDOMKEY
//! DBSIZE FLUSHDB FLUSHALL SWAPDB OBJECT MEMORY DUMP RESTORE (payloads: [`crate::persistence::rdb`]).
//!
//! Multi-key forms whose keys live on several shards run as a [`Tx`]; whole-database commands
//! lock the databases on every shard first, so they never interleave with a transaction.

use super::flag::*;
use super::{cmd, container, help, int_arg, multi, Cx, FanOut, Finish, Flow, Handler, KeyCx, Spec};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::persistence::rdb;
use crate::pubsub::notify::class::GENERIC;
use crate::shard::keyspace::expired;
use crate::shard::mesh::JobOut;
use crate::shard::Core;
use crate::store::value::Value;

type R = Result<(), CmdError>;
type F = Result<Flow, CmdError>;

/// Counts the live keys among `keys` (with repeats) and applies `act` to each.
fn count_keys(core: &mut Core, db: usize, keys: &[Vec<u8>], act: fn(&mut Core, usize, &[u8]) -> bool) -> i64 {
    keys.iter().filter(|k| act(core, db, k)).count() as i64
}

fn act_del(core: &mut Core, db: usize, key: &[u8]) -> bool {
    let deleted = core.del(db, key).is_some();
    if deleted {
        core.signal_modified(db, key);
        core.notify(GENERIC, "del", db, key);
    }
    deleted
}

/// Values at least this big are freed off the shard's thread by UNLINK (Redis's
/// LAZYFREE_THRESHOLD counts elements; for a string the cost is its size).
const LAZY_FREE_BYTES: usize = 1 << 20;

/// UNLINK's delete: a big value is handed to a short-lived thread to free, so the shard never
/// stalls on it.
fn act_unlink(core: &mut Core, db: usize, key: &[u8]) -> bool {
    match core.del(db, key) {
        Some((value, _)) => {
            core.signal_modified(db, key);
            core.notify(GENERIC, "del", db, key);
            if value.heap_bytes() >= LAZY_FREE_BYTES {
                std::thread::spawn(move || drop(value));
            }
            true
        }
        None => false,
    }
}

fn act_exists(core: &mut Core, db: usize, key: &[u8]) -> bool {
    core.look(db, key, false).is_some()
}

/// TOUCH: a counted read, always an access (whatever CLIENT NO-TOUCH says).
fn act_touch(core: &mut Core, db: usize, key: &[u8]) -> bool {
    let access = core.access();
    core.look(db, key, false).map(|(v, _)| v.touch(access)).is_some()
}

fn key_args(cx: &KeyCx) -> Vec<Vec<u8>> {
    cx.argv.iter().skip(1).map(|k| k.to_vec()).collect()
}

/// DEL key [key ...] (all keys here)
fn del(cx: &mut KeyCx) -> R {
    let keys = key_args(cx);
    let n = count_keys(cx.core, cx.db, &keys, act_del);
    cx.out.int(n);
    Ok(())
}

/// TOUCH key [key ...] (all keys here)
fn touch(cx: &mut KeyCx) -> R {
    let keys = key_args(cx);
    let n = count_keys(cx.core, cx.db, &keys, act_touch);
    cx.out.int(n);
    Ok(())
}

fn touch_spread(cx: &mut Cx) -> F {
    count_spread(cx, false, act_touch)
}

/// UNLINK key [key ...] (all keys here)
fn unlink(cx: &mut KeyCx) -> R {
    let keys = key_args(cx);
    let n = count_keys(cx.core, cx.db, &keys, act_unlink);
    cx.out.int(n);
    Ok(())
}

/// EXISTS key [key ...] and TOUCH key [key ...] (all keys here)
fn exists(cx: &mut KeyCx) -> R {
    let keys = key_args(cx);
    let n = count_keys(cx.core, cx.db, &keys, act_exists);
    cx.out.int(n);
    Ok(())
}

/// DEL/UNLINK/EXISTS/TOUCH over several shards: each shard counts its keys (repeats included).
fn count_spread(cx: &mut Cx, exclusive: bool, act: fn(&mut Core, usize, &[u8]) -> bool) -> F {
    let db = cx.conn.db;
    // Each key with its place in the command: the order of its `del` event.
    let mut per: Vec<Vec<(u32, Vec<u8>)>> = vec![Vec::new(); cx.core.shards()];
    for (i, k) in cx.argv.iter().enumerate().skip(1) {
        per[cx.core.owner(k)].push((i as u32, k.to_vec()));
    }
    // DEL and UNLINK signal the keys they delete; the others change nothing.
    let mut tx = Tx::keys(cx.core, cx.argv.iter().skip(1).map(|k| (db, k)), exclusive);
    tx.touch = false;
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run_and_release(
            |shard, _| {
                let mine = std::mem::take(&mut per[shard]);
                Box::new(move |core: &mut Core| -> JobOut {
                    let mut n = 0i64;
                    for (i, k) in &mine {
                        core.event_seq = *i;
                        n += act(core, db, k) as i64;
                    }
                    Box::new(n)
                })
            },
            Box::new(|_core, conn, parts| {
                let n: i64 = parts.into_iter().filter_map(|p| p.downcast::<i64>().ok()).map(|n| *n).sum();
                conn.out.int(n);
                Flow::Done
            }),
        )
    })))
}

fn del_spread(cx: &mut Cx) -> F {
    count_spread(cx, true, act_del)
}

fn unlink_spread(cx: &mut Cx) -> F {
    count_spread(cx, true, act_unlink)
}

fn exists_spread(cx: &mut Cx) -> F {
    count_spread(cx, false, act_exists)
}

/// TYPE key
fn type_cmd(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    match cx.core.look(cx.db, key, false) {
        Some((v, _)) => {
            let name = v.kind().name();
            cx.out.simple(name.as_bytes());
        }
        None => cx.out.simple(b"none"),
    }
    Ok(())
}

/// RENAME / RENAMENX with both keys here.
fn rename_generic(cx: &mut KeyCx, nx: bool) -> R {
    let (src, dst) = (cx.argv.get(1), cx.argv.get(2));
    let Some((_, _)) = cx.core.live(cx.db, src) else {
        return Err(CmdError::other("ERR no such key"));
    };
    if src == dst {
        if nx {
            cx.out.int(0);
        } else {
            cx.out.ok();
        }
        return Ok(());
    }
    if nx && cx.core.exists(cx.db, dst) {
        cx.out.int(0);
        return Ok(());
    }
    let (value, ttl) = cx.core.dbs[cx.db].remove(src).expect("live above");
    // An overwritten destination goes first, so the key is added anew (`new`), as in Redis.
    cx.core.dbs[cx.db].remove(dst);
    cx.core.put(cx.db, dst, value, ttl);
    cx.core.notify(GENERIC, "rename_from", cx.db, src);
    cx.core.notify(GENERIC, "rename_to", cx.db, dst);
    if nx {
        cx.out.int(1);
    } else {
        cx.out.ok();
    }
    Ok(())
}

/// RENAME key newkey
fn rename(cx: &mut KeyCx) -> R {
    rename_generic(cx, false)
}

/// RENAMENX key newkey
fn renamenx(cx: &mut KeyCx) -> R {
    rename_generic(cx, true)
}

/// What a cross-shard move of one key does at its destination.
#[derive(Clone, Copy)]
enum Move {
    Rename,
    RenameNx,
    Copy { replace: bool },
}

/// RENAME, RENAMENX and COPY with the two keys on two shards: lock both, read the source and
/// check the destination, then write the destination (and drop the source for a rename).
fn move_spread(cx: &mut Cx, src_db: usize, dst_db: usize, how: Move) -> F {
    let (src, dst) = (cx.argv.get(1).to_vec(), cx.argv.get(2).to_vec());
    let (src_shard, dst_shard) = (cx.core.owner(&src), cx.core.owner(&dst));
    // Signalled below when the move happens: the destination, and the source of a rename.
    let mut tx = Tx::keys(cx.core, [(src_db, src.as_slice()), (dst_db, dst.as_slice())].into_iter(), true);
    tx.touch = false;
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        let (s1, d1) = (src.clone(), dst.clone());
        tx.run(
            move |shard, _| {
                let (s, d) = (s1.clone(), d1.clone());
                Box::new(move |core: &mut Core| -> JobOut {
                    if shard == src_shard {
                        Box::new(core.live(src_db, &s).map(|(v, ttl)| (v.clone(), ttl)))
                    } else {
                        Box::new(core.exists(dst_db, &d))
                    }
                })
            },
            move |_core, _conn, parts, tx| {
                let mut found: Option<(Value, u64)> = None;
                let mut dst_exists = false;
                for part in parts {
                    match part.downcast::<Option<(Value, u64)>>() {
                        Ok(v) => found = *v,
                        Err(other) => dst_exists = other.downcast::<bool>().map(|b| *b).unwrap_or(false),
                    }
                }
                let outcome: Result<i64, CmdError> = match (&found, how) {
                    (None, Move::Copy { .. }) => Ok(0),
                    (None, _) => Err(CmdError::other("ERR no such key")),
                    (Some(_), Move::RenameNx) | (Some(_), Move::Copy { replace: false }) if dst_exists => Ok(0),
                    _ => Ok(1),
                };
                let proceed = matches!(outcome, Ok(1));
                let mut value = if proceed { found } else { None };
                let (src_key, dst_key) = (src.clone(), dst.clone());
                tx.run_and_release(
                    |shard, _| {
                        let write = if shard == dst_shard { value.take() } else { None };
                        let (s, d) = (src.clone(), dst.clone());
                        Box::new(move |core: &mut Core| -> JobOut {
                            if let Some((v, ttl)) = write {
                                crate::persistence::snapshot::before_write(core, dst_db, &d);
                                core.dbs[dst_db].remove(&d);
                                core.put(dst_db, &d, v, ttl);
                                core.signal_modified(dst_db, &d);
                            }
                            if proceed && shard == src_shard && !matches!(how, Move::Copy { .. }) {
                                crate::persistence::snapshot::before_write(core, src_db, &s);
                                core.dbs[src_db].remove(&s);
                                core.signal_modified(src_db, &s);
                            }
                            Box::new(())
                        })
                    },
                    Box::new(move |core, conn, _| {
                        // The jobs' own events (`new`) are out; the command's follow.
                        if proceed {
                            if let Move::Copy { .. } = how {
                                core.notify(GENERIC, "copy_to", dst_db, &dst_key);
                            } else {
                                core.notify(GENERIC, "rename_from", src_db, &src_key);
                                core.notify(GENERIC, "rename_to", dst_db, &dst_key);
                            }
                        }
                        match outcome {
                            Err(e) => conn.out.error(e.to_string().as_bytes()),
                            Ok(n) if matches!(how, Move::Rename) => {
                                let _ = n;
                                conn.out.ok()
                            }
                            Ok(n) => conn.out.int(n),
                        }
                        Flow::Done
                    }),
                )
            },
        )
    })))
}

fn rename_spread(cx: &mut Cx) -> F {
    let db = cx.conn.db;
    move_spread(cx, db, db, Move::Rename)
}

fn renamenx_spread(cx: &mut Cx) -> F {
    let db = cx.conn.db;
    move_spread(cx, db, db, Move::RenameNx)
}

/// COPY's options: destination database and REPLACE.
fn copy_opts(argv: &super::Argv, current: usize, dbs: usize) -> Result<(usize, bool), CmdError> {
    let (mut db, mut replace) = (current, false);
    let mut i = 3;
    while i < argv.len() {
        if argv.is(i, "REPLACE") {
            replace = true;
        } else if argv.is(i, "DB") && i + 1 < argv.len() {
            let n = super::int32_arg(argv.get(i + 1))?;
            if n < 0 || n as usize >= dbs {
                return Err(CmdError::DbIndexOutOfRange);
            }
            db = n as usize;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok((db, replace))
}

/// COPY source destination [DB destination-db] [REPLACE] (both keys here)
fn copy(cx: &mut KeyCx) -> R {
    let (dst_db, replace) = copy_opts(&cx.argv, cx.db, cx.core.dbs.len())?;
    let (src, dst) = (cx.argv.get(1), cx.argv.get(2));
    if src == dst && dst_db == cx.db {
        return Err(CmdError::other("ERR source and destination objects are the same"));
    }
    let Some((value, ttl)) = cx.core.live(cx.db, src).map(|(v, t)| (v.clone(), t)) else {
        cx.out.int(0);
        return Ok(());
    };
    if cx.core.exists(dst_db, dst) && !replace {
        cx.out.int(0);
        return Ok(());
    }
    crate::persistence::snapshot::before_write(cx.core, dst_db, dst);
    cx.core.dbs[dst_db].remove(dst);
    cx.core.put(dst_db, dst, value, ttl);
    cx.core.signal_modified(dst_db, dst);
    cx.core.notify(GENERIC, "copy_to", dst_db, dst);
    cx.out.int(1);
    Ok(())
}

fn copy_spread(cx: &mut Cx) -> F {
    let (dst_db, replace) = copy_opts(&cx.argv, cx.conn.db, cx.core.dbs.len())?;
    let db = cx.conn.db;
    move_spread(cx, db, dst_db, Move::Copy { replace })
}

/// MOVE key db (the same key in another database: always this shard)
fn move_cmd(cx: &mut KeyCx) -> R {
    let n = super::int32_arg(cx.argv.get(2))?;
    if n < 0 || n as usize >= cx.core.dbs.len() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    let (key, to) = (cx.argv.get(1), n as usize);
    if to == cx.db {
        return Err(CmdError::other("ERR source and destination objects are the same"));
    }
    if cx.core.live(cx.db, key).is_none() || cx.core.exists(to, key) {
        cx.out.int(0);
        return Ok(());
    }
    let (value, ttl) = cx.core.dbs[cx.db].remove(key).expect("live above");
    cx.core.put(to, key, value, ttl);
    cx.core.notify(GENERIC, "move_from", cx.db, key);
    cx.core.notify(GENERIC, "move_to", to, key);
    // The dispatcher signals the key in the current database; the target is this one's.
    cx.core.signal_modified(to, key);
    cx.out.int(1);
    Ok(())
}

/// Keys of `db` on this shard matching `pattern` (None: all) and `kind`, expired ones skipped.
fn matching(now: u64, key: &[u8], value: &Value, deadline: u64, pattern: Option<&[u8]>, kind: Option<&str>) -> bool {
    !expired(deadline, now)
        && kind.is_none_or(|k| value.kind().name() == k)
        && pattern.is_none_or(|p| crate::config::glob_match(p, key, false))
}

/// KEYS pattern
fn keys(cx: &mut Cx) -> F {
    let db = cx.conn.db;
    let pattern = cx.argv.get(1).to_vec();
    let all = pattern == b"*";
    Ok(read_whole_db(
        cx,
        move |core: &mut Core| -> JobOut {
            let now = core.now_ms;
            let table = &core.dbs[db];
            let pat = if all { None } else { Some(pattern.as_slice()) };
            let found: Vec<Vec<u8>> = table
                .iter()
                .filter(|(k, v, d)| matching(now, k, v, *d, pat, None))
                .map(|(k, _, _)| k.to_vec())
                .collect();
            Box::new(found)
        },
        Box::new(|_core, conn, parts| {
            let lists: Vec<Vec<Vec<u8>>> = parts.into_iter().filter_map(|p| p.downcast().ok()).map(|b| *b).collect();
            conn.out.array(lists.iter().map(|l| l.len()).sum());
            for k in lists.iter().flatten() {
                conn.out.bulk(k);
            }
            Flow::Done
        }),
    ))
}

/// Runs `job` on every shard under a shared lock of the connection's database, so a
/// multi-shard transaction is seen whole or not at all, then `finish` with the outputs.
fn read_whole_db(cx: &mut Cx, job: impl Fn(&mut Core) -> JobOut + Clone + Send + 'static, finish: Finish) -> Flow {
    let tx = Tx::db_shared(cx.core, cx.conn.db);
    tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run_and_release(
            |_, _| {
                let job = job.clone();
                Box::new(move |core: &mut Core| -> JobOut { job(core) })
            },
            finish,
        )
    }))
}

/// Cursor layout: shard in the bits above the table's 54-bit cursor.
const CURSOR_BITS: u32 = 54;

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(cx: &mut Cx) -> F {
    let argv = cx.argv;
    let cursor = super::scan_cursor(argv.get(1))?;
    let (mut pattern, mut count, mut kind) = (None, 10usize, None);
    let mut i = 2;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Err(CmdError::Syntax);
        }
        let v = argv.get(i + 1);
        if argv.is(i, "MATCH") {
            pattern = Some(v.to_vec()).filter(|p| p != b"*");
        } else if argv.is(i, "COUNT") {
            let n = int_arg(v)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = n as usize;
        } else if argv.is(i, "TYPE") {
            kind = Some(String::from_utf8_lossy(v).to_ascii_lowercase());
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let shards = cx.core.shards() as u64;
    let shard = cursor >> CURSOR_BITS;
    if shard >= shards {
        let out = cx.out();
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(Flow::Done);
    }
    let filter = ScanFilter { db: cx.conn.db, count, pattern, kind, shards };
    Ok(scan_step(filter, shard, cursor & ((1 << CURSOR_BITS) - 1), Vec::new()))
}

/// What a SCAN call is looking for.
#[derive(Clone)]
struct ScanFilter {
    db: usize,
    count: usize,
    pattern: Option<Vec<u8>>,
    kind: Option<String>,
    shards: u64,
}

/// Scans shard `shard` from `at`; when that shard is done and fewer than COUNT keys were found,
/// goes on with the next shard in the same call, so a small keyspace is scanned in one call.
fn scan_step(f: ScanFilter, shard: u64, at: u64, mut found: Vec<Vec<u8>>) -> Flow {
    let job_filter = f.clone();
    let want = f.count.saturating_sub(found.len()).max(1);
    let job = Box::new(move |core: &mut Core| -> JobOut {
        let f = job_filter;
        let now = core.now_ms;
        let table = &core.dbs[f.db];
        let mut keys = Vec::new();
        let next = table.scan(at, want, |k, v, d| {
            if matching(now, k, v, d, f.pattern.as_deref(), f.kind.as_deref()) {
                keys.push(k.to_vec());
            }
        });
        Box::new((next, keys))
    });
    Flow::Wait(FanOut {
        jobs: vec![(shard as usize, job)],
        finish: Box::new(move |_core, conn, parts| {
            let (next, keys) = parts
                .into_iter()
                .next()
                .and_then(|p| p.downcast::<(u64, Vec<Vec<u8>>)>().ok())
                .map(|b| *b)
                .unwrap_or((0, Vec::new()));
            found.extend(keys);
            let more_shards = shard + 1 < f.shards;
            if next == 0 && more_shards && found.len() < f.count {
                return scan_step(f, shard + 1, 0, found);
            }
            let cursor = match (next, more_shards) {
                (0, true) => (shard + 1) << CURSOR_BITS,
                (0, false) => 0,
                (n, _) => shard << CURSOR_BITS | n,
            };
            conn.out.array(2);
            conn.out.bulk(cursor.to_string().as_bytes());
            conn.out.array(found.len());
            for k in found {
                conn.out.bulk(&k);
            }
            Flow::Done
        }),
    })
}

/// RANDOMKEY: every shard offers one random live key and its key count; one is picked with
/// probability proportional to that count.
fn randomkey(cx: &mut Cx) -> F {
    let db = cx.conn.db;
    Ok(FanOut::all(
        cx.core.shards(),
        |_| {
            Box::new(move |core: &mut Core| -> JobOut {
                let now = core.now_ms;
                let mut rng = fastrand::Rng::new();
                let table = &core.dbs[db];
                let mut pick = None;
                for _ in 0..16 {
                    match table.random(&mut rng) {
                        Some((k, _, d)) if !expired(d, now) => {
                            pick = Some(k.to_vec());
                            break;
                        }
                        Some(_) => continue,
                        None => break,
                    }
                }
                Box::new((table.len() as u64, pick))
            })
        },
        Box::new(|core, conn, parts| {
            let offers: Vec<(u64, Option<Vec<u8>>)> = parts
                .into_iter()
                .filter_map(|p| p.downcast().ok())
                .map(|b| *b)
                .filter(|o: &(u64, Option<Vec<u8>>)| o.1.is_some())
                .collect();
            let total: u64 = offers.iter().map(|o| o.0).sum();
            if total == 0 {
                conn.out.null();
                return Flow::Done;
            }
            let mut roll = (core.now_ms ^ conn.id.wrapping_mul(0x2545_f491_4f6c_dd1d)) % total;
            for (n, key) in offers {
                if roll < n {
                    conn.out.bulk(&key.expect("filtered"));
                    return Flow::Done;
                }
                roll -= n;
            }
            conn.out.null();
            Flow::Done
        }),
    ))
}

/// DBSIZE
fn dbsize(cx: &mut Cx) -> F {
    let db = cx.conn.db;
    Ok(read_whole_db(
        cx,
        move |core: &mut Core| -> JobOut { Box::new(core.dbs[db].len() as i64) },
        Box::new(|_core, conn, parts| {
            conn.out.int(parts.into_iter().filter_map(|p| p.downcast::<i64>().ok()).map(|n| *n).sum());
            Flow::Done
        }),
    ))
}

/// Empties databases on this shard; a big table is dropped on a helper thread (ASYNC, and
/// UNLINK-style lazy freeing), so the shard does not stall freeing millions of values.
fn empty(core: &mut Core, dbs: &[usize], lazy: bool) {
    crate::pubsub::tracking::on_flush(core);
    for &db in dbs {
        crate::persistence::snapshot::before_db_replaced(core, db);
        let old = std::mem::take(&mut core.dbs[db]);
        if lazy && old.len() > 64 {
            std::thread::spawn(move || drop(old));
        }
    }
    if !lazy {
        // As Redis 7.0 after a synchronous flush: jemalloc gives the freed pages back now
        // instead of keeping them until more allocations come.
        crate::memory::purge();
    }
}

fn flush_mode(cx: &Cx) -> Result<bool, CmdError> {
    match cx.argv.len() {
        1 => Ok(false),
        2 if cx.argv.is(1, "ASYNC") => Ok(true),
        2 if cx.argv.is(1, "SYNC") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

/// Locks `dbs` on every shard, runs `f` there, releases, replies +OK.
fn whole_db(cx: &mut Cx, dbs: Vec<usize>, f: impl Fn(&mut Core) + Clone + Send + 'static) -> F {
    let tx = Tx::dbs(cx.core, dbs);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        tx.run_and_release(
            |_, _| {
                let f = f.clone();
                Box::new(move |core: &mut Core| -> JobOut {
                    f(core);
                    Box::new(())
                })
            },
            Box::new(|_core, conn, _| {
                conn.out.ok();
                Flow::Done
            }),
        )
    })))
}

/// FLUSHDB [ASYNC | SYNC]
fn flushdb(cx: &mut Cx) -> F {
    let lazy = flush_mode(cx)?;
    let db = cx.conn.db;
    whole_db(cx, vec![db], move |core| {
        core.signal_db_replaced(db, None);
        empty(core, &[db], lazy)
    })
}

/// FLUSHALL [ASYNC | SYNC]
fn flushall(cx: &mut Cx) -> F {
    let lazy = flush_mode(cx)?;
    let all: Vec<usize> = (0..cx.core.dbs.len()).collect();
    let dbs = all.clone();
    let flush = move |core: &mut Core| {
        // As Redis 7.0 kills its saving child.
        crate::persistence::snapshot::abort(core, "FLUSHALL");
        for &db in &all {
            core.signal_db_replaced(db, None);
        }
        empty(core, &all, lazy)
    };
    if cx.core.config.save.is_empty() {
        return whole_db(cx, dbs, flush);
    }
    // With save points, Redis 7.0 saves the emptied set at once (whatever comes of it, the
    // reply is +OK), and counts the flush itself as a change after the save.
    Ok(super::persist::save_flow(
        cx.core,
        flush,
        Box::new(|core, conn, _| {
            core.snapshot.changes += 1;
            conn.out.ok();
            Flow::Done
        }),
    ))
}

/// SWAPDB index1 index2
fn swapdb(cx: &mut Cx) -> F {
    // Redis asks for a C `int` here with its own message for any failure, out of range included.
    let a = super::int32_arg(cx.argv.get(1)).map_err(|_| CmdError::other("ERR invalid first DB index"))?;
    let b = super::int32_arg(cx.argv.get(2)).map_err(|_| CmdError::other("ERR invalid second DB index"))?;
    let n = cx.core.dbs.len() as i32;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::DbIndexOutOfRange);
    }
    let (a, b) = (a as usize, b as usize);
    whole_db(cx, vec![a, b], move |core| {
        core.signal_db_replaced(a, Some(b));
        core.signal_db_replaced(b, Some(a));
        crate::persistence::snapshot::before_db_replaced(core, a);
        crate::persistence::snapshot::before_db_replaced(core, b);
        core.dbs.swap(a, b)
    })
}

/// OBJECT ENCODING key
fn object_encoding(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(2);
    match cx.core.look(cx.db, key, true) {
        Some((v, _)) => {
            let enc = v.encoding();
            cx.out.bulk(enc.as_bytes());
        }
        None => cx.out.null(),
    }
    Ok(())
}

/// OBJECT REFCOUNT key: Redis shares the integers 0..9999 (refcount INT_MAX) unless an LRU/LFU
/// maxmemory policy needs per-object access data.
fn object_refcount(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(2);
    let shared_ints = cx.core.config.maxmemory == 0 || !cx.core.config.maxmemory_policy.name().contains("l");
    match cx.core.look(cx.db, key, true) {
        Some((v, _)) if shared_ints && v.stored_int().is_some_and(|n| (0..10000).contains(&n)) => {
            cx.out.int(i32::MAX as i64)
        }
        Some(_) => cx.out.int(1),
        None => cx.out.null(),
    }
    Ok(())
}

/// OBJECT FREQ key: needs an LFU policy, as in Redis (a missing key is a null first).
fn object_freq(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(2);
    let Some(word) = cx.core.look(cx.db, key, true).map(|(v, _)| v.access_word()) else {
        cx.out.null();
        return Ok(());
    };
    if !cx.core.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::other(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    cx.out.int(i64::from(cx.core.lfu().count(word)));
    Ok(())
}

/// OBJECT IDLETIME key: seconds since the key was last read or written (not with an LFU policy,
/// as in Redis).
fn object_idletime(cx: &mut KeyCx) -> R {
    if cx.core.look(cx.db, cx.argv.get(2), true).is_none() {
        cx.out.null();
        return Ok(());
    }
    if cx.core.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::other(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
             between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let key = cx.argv.get(2);
    let clock = cx.core.lru_clock();
    match cx.core.peek(cx.db, key) {
        Some((v, _)) => {
            let idle = v.idle_secs(clock) as i64;
            cx.out.int(idle);
        }
        None => cx.out.null(),
    }
    Ok(())
}

/// OBJECT HELP
fn object_help(cx: &mut Cx) -> F {
    help(
        cx.out(),
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(Flow::Done)
}

/// MEMORY USAGE key [SAMPLES count]: the bytes this key costs here (entry, key, value).
fn memory_usage(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    // As Redis's memoryCommand: SAMPLES may repeat; a negative count is a syntax error (0 means
    // "all", which is what this exact count always does).
    let mut i = 3;
    while i < argv.len() {
        if !(argv.is(i, "SAMPLES") && i + 1 < argv.len()) || int_arg(argv.get(i + 1))? < 0 {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let key = argv.get(2);
    // The key's share of its table: the average, but no more than an entry and its index
    // slots cost in a table that has grown (a table of a few keys has segments to amortise).
    const TABLE_SHARE_MAX: usize = 72;
    let table_bytes = (cx.core.dbs[cx.db].memory_bytes() / cx.core.dbs[cx.db].len().max(1)).min(TABLE_SHARE_MAX);
    match cx.core.live(cx.db, key) {
        Some((v, _)) => {
            let heap_key = if key.len() > 22 { key.len() } else { 0 };
            cx.out.int((table_bytes + heap_key + v.heap_bytes()) as i64);
        }
        None => cx.out.null(),
    }
    Ok(())
}

/// MEMORY HELP
fn memory_help(cx: &mut Cx) -> F {
    help(
        cx.out(),
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(Flow::Done)
}

/// DUMP key: the value in Redis's DUMP payload format (RDB v10 object, version, CRC64).
fn dump(cx: &mut KeyCx) -> R {
    let key = cx.argv.get(1);
    let compression = cx.core.config.rdbcompression;
    match cx.core.read(cx.db, key) {
        Some((v, _)) => {
            let payload = rdb::dump_value(v, compression);
            cx.out.bulk(&payload);
        }
        None => cx.out.null(),
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let (mut replace, mut absttl) = (false, false);
    // IDLETIME and FREQ exclude each other, as in Redis's restoreCommand (either may repeat).
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut i = 4;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        if argv.is(i, "REPLACE") {
            replace = true;
        } else if argv.is(i, "ABSTTL") {
            absttl = true;
        } else if argv.is(i, "IDLETIME") && has_value && freq.is_none() {
            let n = int_arg(argv.get(i + 1))?;
            if n < 0 {
                return Err(CmdError::other("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(n);
            i += 1;
        } else if argv.is(i, "FREQ") && has_value && idle.is_none() {
            let f = int_arg(argv.get(i + 1))?;
            if !(0..=255).contains(&f) {
                return Err(CmdError::other("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(f);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let ttl = int_arg(argv.get(2))?;
    if ttl < 0 {
        return Err(CmdError::other("ERR Invalid TTL value, must be >= 0"));
    }
    let key = argv.get(1);
    if !replace && cx.core.exists(cx.db, key) {
        return Err(CmdError::other("BUSYKEY Target key name already exists."));
    }
    let object = rdb::verify_payload(argv.get(3)).map_err(|_| CmdError::other(rdb::ERR_PAYLOAD_VERSION_OR_CHECKSUM))?;
    let encodings = rdb::Encodings::from_config(&cx.core.config);
    let value = rdb::read_payload_value(object, &encodings).map_err(|_| CmdError::other(rdb::ERR_BAD_DATA_FORMAT))?;
    let now = cx.core.now_ms as i64;
    let deadline = match ttl {
        0 => 0,
        t if absttl => t,
        t => t.saturating_add(now),
    };
    if deadline != 0 && deadline <= now {
        if cx.core.del(cx.db, key).is_some() {
            cx.core.notify(GENERIC, "del", cx.db, key);
        }
    } else {
        cx.core.dbs[cx.db].remove(key);
        cx.core.put(cx.db, key, value, deadline as u64);
        cx.core.notify(GENERIC, "restore", cx.db, key);
        // As Redis's objectSetLRUOrLFU: FREQ with an LFU policy, IDLETIME with any other.
        if cx.core.config.maxmemory_policy.is_lfu() {
            if let Some(freq) = freq {
                let word = cx.core.lfu().word(freq as u8);
                cx.core.set_access_word(cx.db, key, word);
            }
        } else if let Some(idle) = idle {
            // Redis keeps the access time in a 24-bit clock of seconds, so an idle time past
            // 2^24 s comes back modulo 2^24 from OBJECT IDLETIME; ours is 32-bit, so do the same
            // modulo here.
            let idle = (idle as u64 % (1 << 24)) as u32;
            let accessed = cx.core.lru_clock().wrapping_sub(idle * crate::store::value::LRU_TICKS_PER_SEC);
            cx.core.set_access_word(cx.db, key, accessed);
        }
    }
    cx.out.ok();
    Ok(())
}

const KW: &[&str] = &["@keyspace", "@write", "@slow"];
const KWF: &[&str] = &["@keyspace", "@write", "@fast"];
const KR: &[&str] = &["@keyspace", "@read", "@slow"];
const KRF: &[&str] = &["@keyspace", "@read", "@fast"];
const DANGER_W: &[&str] = &["@keyspace", "@write", "@slow", "@dangerous"];

const OBJECT_SUBS: &[Spec] = &[
    cmd("encoding", 3, READONLY, (2, 2, 1), KR, Handler::Key(object_encoding)),
    cmd("freq", 3, READONLY, (2, 2, 1), KR, Handler::Key(object_freq)),
    cmd("idletime", 3, READONLY, (2, 2, 1), KR, Handler::Key(object_idletime)),
    cmd("refcount", 3, READONLY, (2, 2, 1), KR, Handler::Key(object_refcount)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@keyspace", "@slow"], Handler::Conn(object_help)),
];

const MEMORY_SUBS: &[Spec] = &[
    cmd("usage", -3, READONLY, (2, 2, 1), &["@read", "@slow"], Handler::Key(memory_usage)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@slow"], Handler::Conn(memory_help)),
    cmd("stats", 2, 0, (0, 0, 0), &["@slow"], Handler::Conn(super::memory::stats)),
    cmd("doctor", 2, 0, (0, 0, 0), &["@slow"], Handler::Conn(super::memory::doctor)),
    cmd("purge", 2, 0, (0, 0, 0), &["@slow"], Handler::Conn(super::memory::purge)),
    cmd("malloc-stats", 2, 0, (0, 0, 0), &["@slow"], Handler::Conn(super::memory::malloc_stats)),
];

pub const SPECS: &[Spec] = &[
    multi("del", -2, WRITE | SIGNALS, (1, -1, 1), KW, Handler::Key(del), del_spread),
    multi("unlink", -2, WRITE | FAST | SIGNALS, (1, -1, 1), KWF, Handler::Key(unlink), unlink_spread),
    multi("exists", -2, READONLY | FAST, (1, -1, 1), KRF, Handler::Key(exists), exists_spread),
    multi("touch", -2, READONLY | FAST, (1, -1, 1), KRF, Handler::Key(touch), touch_spread),
    cmd("type", 2, READONLY | FAST, (1, 1, 1), KRF, Handler::Key(type_cmd)),
    multi("rename", 3, WRITE, (1, 2, 1), KW, Handler::Key(rename), rename_spread),
    multi("renamenx", 3, WRITE | FAST, (1, 2, 1), KWF, Handler::Key(renamenx), renamenx_spread),
    multi("copy", -3, WRITE | DENYOOM, (1, 2, 1), KW, Handler::Key(copy), copy_spread),
    cmd("move", 3, WRITE | FAST, (1, 1, 1), KWF, Handler::Key(move_cmd)),
    cmd("keys", 2, READONLY, (0, 0, 0), &["@keyspace", "@read", "@slow", "@dangerous"], Handler::Conn(keys)),
    cmd("scan", -2, READONLY, (0, 0, 0), KR, Handler::Conn(scan)),
    cmd("randomkey", 1, READONLY, (0, 0, 0), KR, Handler::Conn(randomkey)),
    cmd("dbsize", 1, READONLY | FAST, (0, 0, 0), KRF, Handler::Conn(dbsize)),
    cmd("flushdb", -1, WRITE, (0, 0, 0), DANGER_W, Handler::Conn(flushdb)),
    cmd("flushall", -1, WRITE, (0, 0, 0), DANGER_W, Handler::Conn(flushall)),
    cmd("swapdb", 3, WRITE | FAST, (0, 0, 0), &["@keyspace", "@write", "@fast", "@dangerous"], Handler::Conn(swapdb)),
    cmd("dump", 2, READONLY, (1, 1, 1), KR, Handler::Key(dump)),
    cmd(
        "restore",
        -4,
        WRITE | DENYOOM,
        (1, 1, 1),
        &["@keyspace", "@write", "@slow", "@dangerous"],
        Handler::Key(restore),
    ),
    container("object", -2, 0, &["@slow"], OBJECT_SUBS),
    container("memory", -2, 0, &["@slow"], MEMORY_SUBS),
];
