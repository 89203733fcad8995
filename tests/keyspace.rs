//! Keyspace behaviour that a byte comparison cannot show: SCAN's guarantee across shards,
//! expiry without touching, KEYS/RANDOMKEY/DBSIZE over every shard, and a model-based test of
//! random commands (TTLs included) against a plain map.

mod common;
use common::*;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

#[test]
fn scan_returns_every_key_across_shards_while_keys_are_added() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    for chunk in (0..5000).collect::<Vec<_>>().chunks(500) {
        let mut cmd = redis::cmd("MSET");
        for i in chunk {
            cmd.arg(format!("scan:{i}")).arg(i);
        }
        let _: () = cmd.query(&mut con).unwrap();
    }
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    let mut calls = 0;
    let mut added = 0;
    loop {
        let (next, keys): (u64, Vec<String>) =
            redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(100).query(&mut con).unwrap();
        seen.extend(keys);
        calls += 1;
        // Keys added during the scan may or may not be returned; the old ones must all be.
        let _: () = redis::cmd("SET").arg(format!("late:{added}")).arg(1).query(&mut con).unwrap();
        added += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
        assert!(calls < 10_000);
    }
    for i in 0..5000 {
        assert!(seen.contains(&format!("scan:{i}")), "scan:{i} missing after {calls} calls");
    }
    // MATCH and TYPE filter; COUNT is a hint.
    let mut matched = HashSet::new();
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("scan:1??")
            .arg("TYPE")
            .arg("string")
            .query(&mut con)
            .unwrap();
        matched.extend(keys);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(matched.len(), 100);
}

#[test]
fn keys_randomkey_dbsize_cover_every_shard() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    let names: Vec<String> = (0..SHARDS * 5).map(|i| key_on_shard(&format!("k{i}:"), i % SHARDS, SHARDS)).collect();
    for n in &names {
        let _: () = redis::cmd("SET").arg(n).arg(1).query(&mut con).unwrap();
    }
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    keys.sort();
    let mut want = names.clone();
    want.sort();
    assert_eq!(keys, want);
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, names.len() as i64);
    let mut picked = HashSet::new();
    for _ in 0..400 {
        let k: String = redis::cmd("RANDOMKEY").query(&mut con).unwrap();
        assert!(names.contains(&k));
        picked.insert(k);
    }
    let shards: HashSet<usize> =
        picked.iter().map(|k| shardis::shard::route::key_shard(k.as_bytes(), SHARDS)).collect();
    assert_eq!(shards.len(), SHARDS, "RANDOMKEY never picked some shard");
}

#[test]
fn expired_keys_vanish_without_being_touched() {
    let server = Proc::shardis(&["--hz", "100"]);
    let mut con = server.client();
    for i in 0..2000 {
        let _: () = redis::cmd("SET").arg(format!("ttl:{i}")).arg(i).arg("PX").arg(3000).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("SET").arg("forever").arg(1).query(&mut con).unwrap();
    let info: String = redis::cmd("INFO").arg("keyspace").query(&mut con).unwrap();
    assert!(info.contains("db0:keys=2001,expires=2000,"), "{info}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
        if n == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "active expiry left {n} keys");
        std::thread::sleep(Duration::from_millis(50));
    }
    let stats: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(stats.contains("expired_keys:2000"), "{stats}");
    // Lazy expiry: with the active cycle unable to keep up, a read still never sees a dead key.
    let _: () = redis::cmd("SET").arg("short").arg(1).arg("PX").arg(1).query(&mut con).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let v: Option<String> = redis::cmd("GET").arg("short").query(&mut con).unwrap();
    assert_eq!(v, None);
}

/// Random string and key commands against shardis and a model (a map of key -> (value, has TTL)).
/// TTLs are long (100 s) so that time does not make the model drift; expiry itself is tested
/// above and against Redis.
#[test]
fn model_based_random_commands() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    let mut model: HashMap<String, (String, bool)> = HashMap::new();
    let mut rng = fastrand::Rng::with_seed(0x5eed_1234_abcd_0001);
    let key = |rng: &mut fastrand::Rng| format!("m{}", rng.u64(..40));
    for step in 0..4000 {
        let op = rng.u64(..12);
        let k = key(&mut rng);
        match op {
            0 | 1 => {
                let v = format!("v{}", rng.u64(..1000));
                let ttl = rng.u64(..4) == 0;
                let mut cmd = redis::cmd("SET");
                cmd.arg(&k).arg(&v);
                if ttl {
                    cmd.arg("EX").arg(100);
                }
                let _: () = cmd.query(&mut con).unwrap();
                model.insert(k, (v, ttl));
            }
            2 => {
                let got: Option<String> = redis::cmd("GET").arg(&k).query(&mut con).unwrap();
                assert_eq!(got, model.get(&k).map(|e| e.0.clone()), "step {step} GET {k}");
            }
            3 => {
                let k2 = key(&mut rng);
                let n: i64 = redis::cmd("DEL").arg(&k).arg(&k2).query(&mut con).unwrap();
                let want = model.remove(&k).is_some() as i64 + (k2 != k && model.remove(&k2).is_some()) as i64;
                assert_eq!(n, want, "step {step} DEL");
            }
            4 => {
                let r: redis::RedisResult<i64> = redis::cmd("INCRBY").arg(&k).arg(5).query(&mut con);
                match model.get_mut(&k) {
                    // Redis takes only the canonical form ("+3" or "05" are not integers).
                    Some((v, _)) => match v.parse::<i64>().ok().filter(|n| n.to_string() == *v).ok_or(()) {
                        Ok(n) => {
                            *v = (n + 5).to_string();
                            assert_eq!(r.unwrap(), n + 5);
                        }
                        Err(_) => assert!(r.is_err()),
                    },
                    None => {
                        assert_eq!(r.unwrap(), 5);
                        model.insert(k, ("5".into(), false));
                    }
                }
            }
            5 => {
                let dst = key(&mut rng);
                let r: redis::RedisResult<()> = redis::cmd("RENAME").arg(&k).arg(&dst).query(&mut con);
                match model.remove(&k) {
                    Some(e) => {
                        r.unwrap();
                        model.insert(dst, e);
                    }
                    None => assert!(r.is_err()),
                }
            }
            6 => {
                let keys: Vec<String> = (0..3).map(|_| key(&mut rng)).collect();
                let got: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query(&mut con).unwrap();
                let want: Vec<Option<String>> = keys.iter().map(|k| model.get(k).map(|e| e.0.clone())).collect();
                assert_eq!(got, want, "step {step} MGET");
            }
            7 => {
                let pairs: Vec<(String, String)> =
                    (0..3).map(|_| (key(&mut rng), format!("p{}", rng.u64(..99)))).collect();
                let mut cmd = redis::cmd("MSET");
                for (k, v) in &pairs {
                    cmd.arg(k).arg(v);
                }
                let _: () = cmd.query(&mut con).unwrap();
                for (k, v) in pairs {
                    model.insert(k, (v, false));
                }
            }
            8 => {
                let ttl: i64 = redis::cmd("TTL").arg(&k).query(&mut con).unwrap();
                let want = match model.get(&k) {
                    None => -2,
                    Some((_, false)) => -1,
                    Some((_, true)) => 100,
                };
                if want == 100 {
                    assert!((95..=100).contains(&ttl), "step {step} TTL {ttl}");
                } else {
                    assert_eq!(ttl, want, "step {step} TTL");
                }
            }
            9 => {
                let n: i64 = redis::cmd("EXPIRE").arg(&k).arg(100).query(&mut con).unwrap();
                assert_eq!(n, model.contains_key(&k) as i64);
                if let Some(e) = model.get_mut(&k) {
                    e.1 = true;
                }
            }
            10 => {
                let n: i64 = redis::cmd("PERSIST").arg(&k).query(&mut con).unwrap();
                let had = model.get(&k).is_some_and(|e| e.1);
                assert_eq!(n, had as i64);
                if let Some(e) = model.get_mut(&k) {
                    e.1 = false;
                }
            }
            _ => {
                let suffix = format!("+{}", rng.u64(..9));
                let n: i64 = redis::cmd("APPEND").arg(&k).arg(&suffix).query(&mut con).unwrap();
                let e = model.entry(k).or_insert((String::new(), false));
                e.0.push_str(&suffix);
                assert_eq!(n, e.0.len() as i64);
            }
        }
    }
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, model.len() as i64);
}

#[test]
fn dump_payloads_move_between_redis_and_shardis() {
    let redis = Proc::redis(&[]);
    let server = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), server.client());
    let values = ["hello", "12345", "-1", "", &"x".repeat(100), &"abc".repeat(50), "3.14"];
    for (i, v) in values.iter().enumerate() {
        let key = format!("d{i}");
        let _: () = redis::cmd("SET").arg(&key).arg(*v).query(&mut r).unwrap();
        let payload: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut r).unwrap();
        let _: () = redis::cmd("RESTORE").arg(&key).arg(0).arg(&payload).query(&mut s).unwrap();
        let got: String = redis::cmd("GET").arg(&key).query(&mut s).unwrap();
        assert_eq!(got, *v);
        let ours: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut s).unwrap();
        assert_eq!(ours, payload, "DUMP of {v:?}");
        let _: () = redis::cmd("RESTORE").arg(&key).arg(0).arg(&ours).arg("REPLACE").query(&mut r).unwrap();
    }
    // TTLs: relative and ABSTTL.
    let payload: Vec<u8> = redis::cmd("DUMP").arg("d0").query(&mut s).unwrap();
    let _: () = redis::cmd("RESTORE").arg("t1").arg(50_000).arg(&payload).query(&mut s).unwrap();
    let ttl: i64 = redis::cmd("TTL").arg("t1").query(&mut s).unwrap();
    assert!((49..=50).contains(&ttl));
    let _: () = redis::cmd("RESTORE").arg("t2").arg(1).arg(&payload).arg("ABSTTL").query(&mut s).unwrap();
    let n: i64 = redis::cmd("EXISTS").arg("t2").query(&mut s).unwrap();
    assert_eq!(n, 0, "an ABSTTL in the past restores nothing");
    let mut bad = payload.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let err = redis::cmd("RESTORE").arg("t3").arg(0).arg(&bad).query::<()>(&mut s).unwrap_err();
    assert!(err.to_string().contains("DUMP payload version or checksum are wrong"), "{err}");
}

#[test]
fn unlink_frees_big_values_and_flushall_async_empties_every_shard() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    let big = vec![b'x'; 4 << 20];
    for s in 0..SHARDS {
        let k = key_on_shard("big:", s, SHARDS);
        let _: () = redis::cmd("SET").arg(&k).arg(&big).query(&mut con).unwrap();
    }
    let keys: Vec<String> = (0..SHARDS).map(|s| key_on_shard("big:", s, SHARDS)).collect();
    let n: i64 = redis::cmd("UNLINK").arg(&keys).arg("nosuch").query(&mut con).unwrap();
    assert_eq!(n, SHARDS as i64);
    for i in 0..1000 {
        let _: () = redis::cmd("SET").arg(format!("f{i}")).arg(i).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut con).unwrap();
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn object_idletime_tracks_access_and_respects_no_touch() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    let _: () = redis::cmd("SET").arg("idle").arg("v").query(&mut con).unwrap();
    let _: () = redis::cmd("SET").arg("idle2").arg("v").query(&mut con).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    // OBJECT, TYPE and TTL do not count as accesses.
    let _: String = redis::cmd("TYPE").arg("idle").query(&mut con).unwrap();
    let idle: i64 = redis::cmd("OBJECT").arg("IDLETIME").arg("idle").query(&mut con).unwrap();
    assert!((1..=3).contains(&idle), "{idle}");
    // A NO-TOUCH client reads without touching; TOUCH always touches.
    let mut quiet = server.client();
    let _: () = redis::cmd("CLIENT").arg("NO-TOUCH").arg("ON").query(&mut quiet).unwrap();
    let _: String = redis::cmd("GET").arg("idle").query(&mut quiet).unwrap();
    let idle: i64 = redis::cmd("OBJECT").arg("IDLETIME").arg("idle").query(&mut con).unwrap();
    assert!(idle >= 1, "{idle}");
    let _: i64 = redis::cmd("TOUCH").arg("idle2").query(&mut quiet).unwrap();
    let idle: i64 = redis::cmd("OBJECT").arg("IDLETIME").arg("idle2").query(&mut con).unwrap();
    assert_eq!(idle, 0);
    let _: String = redis::cmd("GET").arg("idle").query(&mut con).unwrap();
    let idle: i64 = redis::cmd("OBJECT").arg("IDLETIME").arg("idle").query(&mut con).unwrap();
    assert_eq!(idle, 0);
    let none: Option<i64> = redis::cmd("OBJECT").arg("IDLETIME").arg("nosuch").query(&mut con).unwrap();
    assert_eq!(none, None);
}
