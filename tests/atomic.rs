//! Multi-shard commands are atomic and isolated: money moved between keys on different shards
//! (MSET, RENAME) while readers MGET the set never shows a wrong total.

mod common;
use common::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

#[test]
fn transfers_between_shards_never_show_a_wrong_total() {
    let server = Proc::shardis(&[]);
    let accounts: Vec<String> = (0..SHARDS).map(|s| key_on_shard("acct:", s, SHARDS)).collect();
    let tokens: Vec<String> = (0..2).map(|s| key_on_shard("token:", s, SHARDS)).collect();
    let mut con = server.client();
    for a in &accounts {
        let _: () = redis::cmd("SET").arg(a).arg(100).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("SET").arg(&tokens[0]).arg("t").query(&mut con).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    // Two writers on disjoint pairs of accounts (each pair spans two shards).
    for pair in [(0, 1), (2, 3)] {
        let (a, b) = (accounts[pair.0].clone(), accounts[pair.1].clone());
        let mut con = server.client();
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0..1500u64 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let (va, vb): (i64, i64) = redis::cmd("MGET").arg(&a).arg(&b).query(&mut con).unwrap();
                let amount = (i % 7) as i64 - 3;
                let _: () =
                    redis::cmd("MSET").arg(&a).arg(va - amount).arg(&b).arg(vb + amount).query(&mut con).unwrap();
            }
        }));
    }
    // A token renamed back and forth between two shards: exactly one of the names exists.
    {
        let (t0, t1) = (tokens[0].clone(), tokens[1].clone());
        let mut con = server.client();
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0..1500 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let (from, to) = if i % 2 == 0 { (&t0, &t1) } else { (&t1, &t0) };
                let _: () = redis::cmd("RENAME").arg(from).arg(to).query(&mut con).unwrap();
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..3 {
        let accounts = accounts.clone();
        let tokens = tokens.clone();
        let mut con = server.client();
        let (stop, reads) = (stop.clone(), reads.clone());
        readers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let values: Vec<i64> = redis::cmd("MGET").arg(&accounts).query(&mut con).unwrap();
                assert_eq!(values.iter().sum::<i64>(), 100 * SHARDS as i64, "torn read: {values:?}");
                let n: i64 = redis::cmd("EXISTS").arg(&tokens).query(&mut con).unwrap();
                assert_eq!(n, 1, "a RENAME was seen half done");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 100, "readers ran concurrently with the writers");
    let values: Vec<i64> = redis::cmd("MGET").arg(&accounts).query(&mut con).unwrap();
    assert_eq!(values.iter().sum::<i64>(), 100 * SHARDS as i64);
}

#[test]
fn flushall_does_not_split_a_transaction() {
    let server = Proc::shardis(&[]);
    let keys: Vec<String> = (0..SHARDS).map(|s| key_on_shard("pair:", s, SHARDS)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let keys = keys.clone();
        let mut con = server.client();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) && i < 3000 {
                let mut cmd = redis::cmd("MSET");
                for k in &keys {
                    cmd.arg(k).arg(i);
                }
                let _: () = cmd.query(&mut con).unwrap();
                i += 1;
            }
        })
    };
    let mut con = server.client();
    for _ in 0..200 {
        let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
        // Either every key of the last MSET is there or none is.
        let n: i64 = redis::cmd("EXISTS").arg(&keys).query(&mut con).unwrap();
        assert!(n == 0 || n == SHARDS as i64, "{n} of {SHARDS} keys survived a FLUSHALL");
        let values: Vec<Option<u64>> = redis::cmd("MGET").arg(&keys).query(&mut con).unwrap();
        let present: Vec<u64> = values.iter().flatten().copied().collect();
        assert!(
            present.is_empty() || (present.len() == SHARDS && present.iter().all(|v| *v == present[0])),
            "{values:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

#[test]
fn a_client_leaving_mid_transaction_leaves_no_lock_behind() {
    let server = Proc::shardis(&[]);
    let keys: Vec<String> = (0..SHARDS).map(|s| key_on_shard("gone:", s, SHARDS)).collect();
    let mut mset = vec![b"MSET".to_vec()];
    for k in &keys {
        mset.push(k.as_bytes().to_vec());
        mset.push(b"v".to_vec());
    }
    let args: Vec<&[u8]> = mset.iter().map(|a| a.as_slice()).collect();
    for _ in 0..200 {
        let mut raw = server.raw();
        raw.send(&encode(&args));
        drop(raw);
    }
    // Every key is still readable and writable: nothing waits on a lock forever (the client's
    // read timeout fails the test if one does). A dropped connection's MSET may still run
    // after a SET of ours (connections are not ordered against each other), so the writes are
    // repeated until none of those is left to run.
    let mut con = server.client();
    let mut values = Vec::new();
    for _ in 0..100 {
        for k in &keys {
            let _: () = redis::cmd("SET").arg(k).arg("after").query(&mut con).unwrap();
        }
        values = redis::cmd("MGET").arg(&keys).query::<Vec<String>>(&mut con).unwrap();
        if values.iter().all(|v| v == "after") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{values:?}");
}

/// Money moved between accounts on four shards with WATCH / MULTI / EXEC, each transfer
/// writing absolute balances computed from what it read (so a lost update changes the total),
/// retried when EXEC answers null. Concurrent readers, through MGET and through MULTI/GET/EXEC,
/// never see a wrong total, and no update is lost. Some pairs share a hash tag, so their
/// transactions take the one-shard, one-hop path.
///
/// Checked against the mechanism switched off: with the watch check answering "unchanged",
/// the final total is wrong within the first run.
#[test]
fn watch_multi_exec_transfers_lose_no_update() {
    let server = Proc::shardis(&[]);
    let mut accounts: Vec<String> = (0..SHARDS).map(|s| key_on_shard("bal:", s, SHARDS)).collect();
    accounts.extend(["{t}one".to_string(), "{t}two".to_string()]);
    let counter = key_on_shard("transfers:", 1, SHARDS);
    let mut con = server.client();
    for a in &accounts {
        let _: () = redis::cmd("SET").arg(a).arg(1000).query(&mut con).unwrap();
    }
    let total = 1000 * accounts.len() as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicU64::new(0));
    const PER_WORKER: u64 = 250;
    let mut workers = Vec::new();
    for w in 0..4u64 {
        let (accounts, counter, retries) = (accounts.clone(), counter.clone(), retries.clone());
        let mut con = server.client();
        workers.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(w);
            for i in 0..PER_WORKER {
                let (from, to) = if i % 4 == 0 {
                    (accounts[4].clone(), accounts[5].clone())
                } else {
                    let f = rng.usize(..4);
                    (accounts[f].clone(), accounts[(f + 1 + rng.usize(..3)) % 4].clone())
                };
                loop {
                    let _: () = redis::cmd("WATCH").arg(&from).arg(&to).query(&mut con).unwrap();
                    let (vf, vt): (i64, i64) = redis::cmd("MGET").arg(&from).arg(&to).query(&mut con).unwrap();
                    let amount = rng.i64(1..20);
                    let done: Option<(String, String, i64)> = redis::pipe()
                        .atomic()
                        .set(&from, vf - amount)
                        .set(&to, vt + amount)
                        .incr(&counter, 1)
                        .query(&mut con)
                        .unwrap();
                    if done.is_some() {
                        break;
                    }
                    retries.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut readers = Vec::new();
    for r in 0..2 {
        let accounts = accounts.clone();
        let mut con = server.client();
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let values: Vec<i64> = if r == 0 {
                    redis::cmd("MGET").arg(&accounts).query(&mut con).unwrap()
                } else {
                    let mut pipe = redis::pipe();
                    pipe.atomic();
                    for a in &accounts {
                        pipe.get(a);
                    }
                    pipe.query(&mut con).unwrap()
                };
                assert_eq!(values.iter().sum::<i64>(), total, "a transaction seen half done: {values:?}");
                reads += 1;
            }
            reads
        }));
    }
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 50, "readers ran concurrently with the transfers");
    }
    let values: Vec<i64> = redis::cmd("MGET").arg(&accounts).query(&mut con).unwrap();
    assert_eq!(values.iter().sum::<i64>(), total, "an update was lost: {values:?}");
    let count: u64 = redis::cmd("GET").arg(&counter).query(&mut con).unwrap();
    assert_eq!(count, 4 * PER_WORKER, "a transfer ran twice or not at all");
    assert!(retries.load(Ordering::Relaxed) > 0, "workers contended (some EXEC answered null)");
}

/// Whole-keyspace reads (DBSIZE, KEYS) never see a multi-shard transaction half done: one
/// client moves a key between two shards with MULTI/DEL/SET/EXEC, another renames a token
/// between two shards, and readers always count the same number of keys.
///
/// Checked against the mechanism switched off: with DBSIZE and KEYS as plain fan-outs (no
/// shared database lock) readers see wrong counts within the first run.
#[test]
fn keys_and_dbsize_never_see_half_a_transaction() {
    let server = Proc::shardis(&[]);
    let spot: Vec<String> = (0..2).map(|s| key_on_shard("spot:", s, SHARDS)).collect();
    let token: Vec<String> = (2..4).map(|s| key_on_shard("token:", s, SHARDS)).collect();
    let mut con = server.client();
    let _: () = redis::cmd("SET").arg(&spot[0]).arg(1).query(&mut con).unwrap();
    let _: () = redis::cmd("SET").arg(&token[0]).arg(1).query(&mut con).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    {
        let mut con = server.client();
        let spot = spot.clone();
        writers.push(std::thread::spawn(move || {
            for i in 0..1500 {
                let (from, to) = if i % 2 == 0 { (&spot[0], &spot[1]) } else { (&spot[1], &spot[0]) };
                let _: () = redis::pipe().atomic().del(from).ignore().set(to, i).ignore().query(&mut con).unwrap();
            }
        }));
    }
    {
        let mut con = server.client();
        let token = token.clone();
        writers.push(std::thread::spawn(move || {
            for i in 0..1500 {
                let (from, to) = if i % 2 == 0 { (&token[0], &token[1]) } else { (&token[1], &token[0]) };
                let _: () = redis::cmd("RENAME").arg(from).arg(to).query(&mut con).unwrap();
            }
        }));
    }
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let mut con = server.client();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let n: usize = if r == 0 {
                        redis::cmd("DBSIZE").query(&mut con).unwrap()
                    } else {
                        redis::cmd("KEYS").arg("*").query::<Vec<String>>(&mut con).unwrap().len()
                    };
                    assert_eq!(n, 2, "a transaction seen half done");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 50, "readers ran concurrently with the writers");
    }
}

/// A STORE command whose source and destination live on different shards (GEOSEARCHSTORE,
/// GEORADIUS STORE, ZRANGESTORE) stores what it read before anyone else reads or writes either
/// key: while one client grows the source point by point, three clients store searches of it
/// into one destination and another drops its connection right after sending one; readers
/// never see the destination shrink (a store that read an older source landing after a newer
/// one would), and at the end a last search stores every point. The writer's GEOADDs get
/// through although the stores keep the source locked: a plain command waiting for a key runs
/// before the transactions queued for it are granted (it waited past the client's timeout
/// before).
///
/// Checked against the mechanism switched off: with the store's transaction taking no locks
/// (`tx.nested = true` in `zsets::spread`) readers saw the destination shrink within the first
/// run.
#[test]
fn cross_shard_stores_land_in_the_order_they_read() {
    let server = Proc::shardis(&[]);
    let src = key_on_shard("points:", 0, SHARDS);
    let dst = key_on_shard("found:", 1, SHARDS);
    let points = 1500;
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    {
        let (src, mut con) = (src.clone(), server.client());
        threads.push(std::thread::spawn(move || {
            for i in 0..points {
                let (lon, lat) = (15.0 + (i % 100) as f64 * 0.001, 37.0 + (i / 100) as f64 * 0.001);
                let _: i64 = redis::cmd("GEOADD").arg(&src).arg(lon).arg(lat).arg(i).query(&mut con).unwrap();
            }
        }));
    }
    let stores: [&[&str]; 3] = [
        &["GEOSEARCHSTORE", "{dst}", "{src}", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"],
        &["GEORADIUS", "{src}", "15", "37", "500", "km", "STORE", "{dst}"],
        &["ZRANGESTORE", "{dst}", "{src}", "0", "-1"],
    ];
    for store in stores {
        let args: Vec<String> = store.iter().map(|a| a.replace("{dst}", &dst).replace("{src}", &src)).collect();
        let (stop, mut con) = (stop.clone(), server.client());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _: i64 = redis::cmd(&args[0]).arg(&args[1..]).query(&mut con).unwrap();
            }
        }));
    }
    {
        let (src, dst, stop) = (src.clone(), dst.clone(), stop.clone());
        let port = server.port;
        threads.push(std::thread::spawn(move || {
            let line = encode(&line_args(&format!("GEOSEARCHSTORE {dst} {src} FROMLONLAT 15 37 BYRADIUS 500 km")));
            while !stop.load(Ordering::Relaxed) {
                let mut raw = Raw::connect(port);
                raw.send(&line);
                drop(raw);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (dst, stop, reads, mut con) = (dst.clone(), stop.clone(), reads.clone(), server.client());
        readers.push(std::thread::spawn(move || {
            let mut last = 0;
            while !stop.load(Ordering::Relaxed) {
                let n: i64 = redis::cmd("ZCARD").arg(&dst).query(&mut con).unwrap();
                assert!(n >= last, "the destination shrank from {last} to {n}: an older read stored later");
                last = n;
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    threads.remove(0).join().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in threads.into_iter().chain(readers) {
        t.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 100, "readers ran concurrently with the stores");
    let mut con = server.client();
    let n: i64 = redis::cmd("GEOSEARCHSTORE")
        .arg(&dst)
        .arg(&src)
        .arg(&["FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"][..])
        .query(&mut con)
        .unwrap();
    assert_eq!(n, points as i64);
    let card: i64 = redis::cmd("ZCARD").arg(&dst).query(&mut con).unwrap();
    assert_eq!(card, points as i64);
}
