//! Sets, byte for byte against Redis 7.0.15: every command, option and error text, RESP3
//! shapes, the intset -> hashtable conversion, the multi-key commands with keys on several
//! shards; SPOP/SRANDMEMBER by shape and membership; a model-based random test against a
//! plain set.

mod common;
use common::*;

use std::collections::{BTreeSet, HashMap, HashSet};

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &["CONFIG SET set-max-intset-entries 512"]);
}

#[test]
fn add_remove_members() {
    run_cases(&[
        &["SADD s 3 1 2", "SADD s 2 4", "SMEMBERS s", "SCARD s", "SISMEMBER s 4", "SISMEMBER s 5", "SCARD no"],
        &["SADD s a b c", "SADD s a d", "sorted SMEMBERS s", "SCARD s", "SISMEMBER s a", "SISMEMBER no a"],
        &["SADD s 1 2 3", "SREM s 2 9", "SMEMBERS s", "SREM s 1 3", "EXISTS s", "SREM s 1", "SREM no a"],
        &["SADD s a b", "SMISMEMBER s a x b", "SMISMEMBER no a b", "SADD s '' ''", "SISMEMBER s ''", "SCARD s"],
        &["SADD s -5 0 9223372036854775807 -9223372036854775808 5", "SMEMBERS s", "OBJECT ENCODING s"],
        &["SADD s 01 +1 1.0 ' 1' 1", "sorted SMEMBERS s", "SISMEMBER s 1", "SISMEMBER s 01", "OBJECT ENCODING s"],
        &["SADD s 9223372036854775808 -0", "OBJECT ENCODING s", "sorted SMEMBERS s"],
        &["SADD s a", "EXPIRE s 100", "SADD s b", "TTL s", "SREM s a b", "TTL s", "EXISTS s", "TYPE s"],
        &["SADD s", "SREM s", "SMEMBERS", "SMEMBERS s x", "SISMEMBER s", "SMISMEMBER s", "SCARD", "SCARD a b"],
        &["SMEMBERS no", "SADD s 5", "TYPE s", "OBJECT ENCODING s", "SMEMBERS s"],
    ]);
}

#[test]
fn wrong_type() {
    run_cases(&[
        &["SET x v", "SADD x a", "SREM x a", "SMEMBERS x", "SISMEMBER x a", "SMISMEMBER x a", "SCARD x"],
        &["SET x v", "SPOP x", "SPOP x 2", "SRANDMEMBER x", "SRANDMEMBER x 2", "SSCAN x 0", "SSCAN x y"],
        &["SET x v", "SADD s 1", "SINTER s x", "SINTER x s", "SUNION s x", "SDIFF s x", "SDIFF no x"],
        &["SET x v", "SADD s 1", "SINTER no x", "SINTERSTORE d s x", "SUNIONSTORE d x", "SDIFFSTORE d s x"],
        &["SET x v", "SADD s 1", "SINTERSTORE x s", "GET x", "TYPE x", "SMEMBERS x"],
        &["SET x v", "SADD s 1", "SMOVE s x 1", "SMOVE x s 1", "SMOVE no x 1", "SMOVE s no 1", "SMEMBERS no"],
        &["SADD s a", "GET s", "HSET s a 1", "INCR s", "SPOP x -1", "SET x v", "SPOP x -1"],
    ]);
}

#[test]
fn pop_and_random_arguments() {
    run_cases(&[
        &["SADD s 1 2 3", "SPOP s 0", "SPOP s 10", "EXISTS s", "SPOP s", "SPOP s 3", "SPOP no", "SPOP no 0"],
        &["SADD s 1", "SPOP s -1", "SPOP s x", "SPOP s 1 2", "SPOP s 1.5", "SPOP no -1", "SPOP s", "EXISTS s"],
        &["SADD s 1 2 3", "SRANDMEMBER s 3", "SRANDMEMBER s 10", "SRANDMEMBER s 0", "SRANDMEMBER no 5"],
        &["SADD s 7", "SRANDMEMBER s", "SRANDMEMBER s -3", "SRANDMEMBER s 1", "SRANDMEMBER s x", "SRANDMEMBER s 1 2"],
        &["SADD s 7", "SRANDMEMBER s -9223372036854775808", "SRANDMEMBER no", "SRANDMEMBER no -2", "SRANDMEMBER no x"],
        &["SADD s a b c", "sorted SRANDMEMBER s 5", "sorted SPOP s 5", "EXISTS s", "SPOP s"],
        &["SADD s a", "SPOP s 1", "EXISTS s", "SADD s a", "EXPIRE s 100", "SPOP s", "EXISTS s"],
    ]);
}

#[test]
fn sscan_small() {
    run_cases(&[
        &["SADD s 10 2 30", "SSCAN s 0", "SSCAN s 5", "SSCAN s 0 MATCH *0", "SSCAN s 0 COUNT 1", "SSCAN s 0 MATCH *"],
        &["SADD s 1", "SSCAN s x", "SSCAN s -1", "SSCAN s +3", "SSCAN s ''", "SSCAN s 1.5"],
        &["SADD s 1", "SSCAN s 0 COUNT 0", "SSCAN s 0 COUNT x", "SSCAN s 0 MATCH", "SSCAN s 0 TYPE set"],
        &["SADD s a", "SSCAN s 0 FOO bar", "SSCAN s 0 match [a] count 5", "SSCAN no 0", "SSCAN no 0 COUNT 0"],
        &["SSCAN no x", "SSCAN s", "SSCAN s 18446744073709551616"],
    ]);
}

#[test]
fn algebra_one_shard() {
    // `{t}`-less keys on one shard are not guaranteed; these use one key twice or a few keys
    // whichever way they land: the spread and local forms must agree with Redis either way.
    run_cases(&[
        &["SADD a 1 2 3 4", "SADD b 3 4 5", "SADD c 4 5 6", "SINTER a b", "SINTER a b c", "SUNION a b c"],
        &["SADD a 1 2 3 4", "SADD b 3 4 5", "SDIFF a b", "SDIFF a b a", "SDIFF b a", "SINTER a", "SDIFF a"],
        &["SADD a 1 2 3", "SINTER a no", "SUNION a no", "SDIFF a no", "SDIFF no a", "SINTER no", "SUNION no no"],
        &["SADD a x y z", "SADD b y z w", "sorted SINTER a b", "sorted SUNION a b", "sorted SDIFF a b"],
        &["SADD a 1 2 3", "SADD b 2 3 4", "SINTERSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d", "TYPE d"],
        &["SADD a 1 x", "SADD b 2 3", "SUNIONSTORE d a b", "sorted SMEMBERS d", "OBJECT ENCODING d"],
        &["SADD a 1 x", "SADD b x", "SDIFFSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d"],
        &["SADD a 1", "SET d v", "EXPIRE d 100", "SINTERSTORE d a no", "EXISTS d", "SUNIONSTORE d a", "TTL d"],
        &["SADD a 1", "SADD d 9", "SDIFFSTORE d a a", "EXISTS d", "SUNIONSTORE a a no", "SMEMBERS a"],
        &[
            "SADD a 1 2",
            "SINTERSTORE a a",
            "SMEMBERS a",
            "SDIFFSTORE a a",
            "SMEMBERS a",
            "SUNIONSTORE d no",
            "EXISTS d",
        ],
        &["SINTER", "SUNION", "SDIFF", "SINTERSTORE d", "SUNIONSTORE d", "SDIFFSTORE d"],
    ]);
}

#[test]
fn smove() {
    run_cases(&[
        &["SADD a 1 2", "SADD b 3", "SMOVE a b 1", "SMEMBERS a", "SMEMBERS b", "SMOVE a b 2", "EXISTS a"],
        &["SADD a 1 2", "SMOVE a b 9", "SMOVE a b 1", "SMEMBERS b", "SMOVE a a 2", "SMOVE a a 9", "SMOVE no a 1"],
        &["SADD a x", "SADD b 1", "SMOVE a b x", "OBJECT ENCODING b", "sorted SMEMBERS b", "SMOVE b a x"],
        &["SADD a 1", "SADD b 1", "SMOVE a b 1", "EXISTS a", "SMEMBERS b", "SMOVE a b", "SMOVE a b 1 2"],
    ]);
}

#[test]
fn encodings() {
    let ints: Vec<String> = (0..513).map(|i| i.to_string()).collect();
    let big = format!("SADD big {}", ints.join(" "));
    let edge = format!("SADD edge {}", ints[..512].join(" "));
    run_cases(&[
        &[&edge, "OBJECT ENCODING edge", "SADD edge 600", "OBJECT ENCODING edge", "SCARD edge"],
        &[&big, "OBJECT ENCODING big", "SREM big 1", "OBJECT ENCODING big", "sorted SMEMBERS big"],
        &["SADD s 1 2", "SADD s x", "OBJECT ENCODING s", "SREM s x", "OBJECT ENCODING s", "sorted SMEMBERS s"],
        &["CONFIG SET set-max-intset-entries 2", "SADD s 1 2", "OBJECT ENCODING s", "SADD s 3", "OBJECT ENCODING s"],
        &["CONFIG SET set-max-intset-entries 0", "SADD s 1", "OBJECT ENCODING s", "SMEMBERS s"],
        &["CONFIG SET set-max-intset-entries 2", "SADD a 1 2", "SADD b 3", "SUNIONSTORE d a b", "OBJECT ENCODING d"],
        &[
            "CONFIG SET set-max-intset-entries 2",
            "SADD s 1 1 1",
            "OBJECT ENCODING s",
            "SMOVE s d 1",
            "OBJECT ENCODING d",
        ],
    ]);
}

#[test]
fn resp3_replies() {
    run_cases(&[
        &["HELLO 3", "SADD s 1 2", "SMEMBERS s", "SMEMBERS no", "SISMEMBER s 1", "SMISMEMBER s 1 9"],
        &["HELLO 3", "SADD s 1 2", "SRANDMEMBER s 5", "SRANDMEMBER no 5", "SRANDMEMBER s 0", "SRANDMEMBER no"],
        &["HELLO 3", "SADD s 1 2", "SPOP s 0", "SPOP no 2", "SPOP s 5", "SPOP s", "SPOP no"],
        &["HELLO 3", "SADD a 1 2", "SADD b 2 3", "SINTER a b", "SUNION a b", "SDIFF a b", "SINTER a no"],
        &["HELLO 3", "SADD s 1", "SSCAN s 0", "SSCAN no 0", "SINTERSTORE d s", "SMOVE s d 1"],
    ]);
}

#[test]
fn sintercard() {
    run_cases(&[
        &["SADD a 1 2 3 4", "SADD b 2 3 4 5", "SADD c 3 4", "SINTERCARD 2 a b", "SINTERCARD 3 a b c"],
        &["SADD a 1 2 3", "SADD b 1 2 3", "SINTERCARD 2 a b LIMIT 2", "SINTERCARD 2 a b LIMIT 0", "SINTERCARD 1 no"],
        &["SADD a 1", "SINTERCARD 0 a", "SINTERCARD 2 a", "SINTERCARD x a", "SINTERCARD -1 a", "SINTERCARD 1"],
        &[
            "SADD a 1",
            "SINTERCARD 1 a LIMIT -1",
            "SINTERCARD 1 a LIMIT x",
            "SINTERCARD 1 a foo",
            "SINTERCARD 1 a LIMIT",
        ],
        &["SET x v", "SADD a 1", "SINTERCARD 2 a x", "SINTERCARD 2 no x", "SINTERCARD 1 a limit 5 LIMIT 1"],
    ]);
}

/// Keys `a`, `b` and `c` land on different shards of the test server: check that, then run
/// the multi-key commands across them (the cases above use the same names, so they already go
/// through the spread forms; this pins it down).
#[test]
fn spread_across_shards() {
    let shards = SHARDS;
    let owners: HashSet<usize> =
        ["a", "b", "c"].iter().map(|k| shardis::shard::route::key_shard(k.as_bytes(), shards)).collect();
    assert_eq!(owners.len(), 3, "a, b and c should be on three shards");
    run_cases(&[
        &[
            "SADD a 1 2 3 x",
            "SADD b 2 3 x y",
            "SADD c 3 x z",
            "sorted SINTER a b c",
            "sorted SUNION a b c",
            "SDIFF a b c",
        ],
        &["SADD a 1 2 3", "SADD b 2 3", "SINTERSTORE c a b", "SMEMBERS c", "SDIFFSTORE c a b", "SMEMBERS c"],
        &["SADD a 1", "SADD c 5", "SINTERSTORE c a b", "EXISTS c", "SUNIONSTORE c a b", "SMEMBERS c"],
        &["SADD a 1 2", "SMOVE a b 1", "SMEMBERS a", "SMEMBERS b", "SMOVE a b 2", "EXISTS a", "SMOVE a b 2"],
        &["SADD a 1", "SET b v", "SMOVE a b 1", "SMOVE b a 1", "SINTER a b", "SUNIONSTORE c a b", "SMEMBERS a"],
        &["SADD a 1", "SADD b 1", "SMOVE a b 1", "EXISTS a", "SMEMBERS b", "SMOVE a b 9", "SMOVE c b 1"],
    ]);
}

#[test]
fn spop_srandmember_shapes() {
    let shardis = Proc::shardis(&[]);
    for resp3 in [false, true] {
        let mut raw = Raw::connect(shardis.port);
        if resp3 {
            raw.words("HELLO 3");
        }
        raw.words("DEL small big");
        let small: HashSet<Vec<u8>> = (0..10).map(|i| format!("m{i}").into_bytes()).collect();
        let big: HashSet<Vec<u8>> = (0..600).map(|i| i.to_string().into_bytes()).collect();
        for m in &small {
            raw.cmd(&[b"SADD", b"small", m]);
        }
        for m in &big {
            raw.cmd(&[b"SADD", b"big", m]);
        }
        assert_eq!(raw.words("OBJECT ENCODING big"), b"$9\r\nhashtable\r\n");
        for (key, model) in [("small", &small), ("big", &big)] {
            let one = flat(&raw.words(&format!("SRANDMEMBER {key}"))).1;
            assert!(model.contains(&one[0]));
            for count in [5i64, -20, 1, -1] {
                let cmd = format!("SRANDMEMBER {key} {count}");
                let (head, items) = flat(&raw.words(&cmd));
                assert_eq!(head, b'*', "{cmd}");
                assert_eq!(items.len(), count.unsigned_abs() as usize, "{cmd}");
                assert!(items.iter().all(|m| model.contains(m)), "{cmd}");
                if count > 0 {
                    assert_eq!(items.iter().collect::<HashSet<_>>().len(), items.len(), "{cmd}");
                }
            }
        }
        let (_, items) = flat(&raw.words("SRANDMEMBER big 400"));
        assert_eq!(items.iter().collect::<HashSet<_>>().len(), 400);
        // SPOP with a count: distinct members, gone afterwards, a set in RESP3.
        let mut left = big.clone();
        for _ in 0..5 {
            let reply = raw.words("SPOP big 50");
            assert_eq!(reply[0], if resp3 { b'~' } else { b'*' });
            let (_, items) = flat(&reply);
            assert_eq!(items.len(), 50);
            for m in items {
                assert!(left.remove(&m), "popped twice or never there");
            }
        }
        let one = flat(&raw.words("SPOP big")).1.remove(0);
        assert!(left.remove(&one));
        assert_eq!(s(&raw.words("SCARD big")), format!(":{}\r\n", left.len()));
        let (_, rest) = flat(&raw.words("SPOP big 100000"));
        assert_eq!(rest.into_iter().collect::<HashSet<_>>(), left);
        assert_eq!(raw.words("EXISTS big"), b":0\r\n");
    }
}

#[test]
fn sscan_big_misses_nothing() {
    let shardis = Proc::shardis(&[]);
    let mut raw = Raw::connect(shardis.port);
    for i in 0..1000 {
        raw.words(&format!("SADD s f{i}"));
    }
    let mut seen = HashSet::new();
    let mut cursor = b"0".to_vec();
    let mut round = 0;
    loop {
        let (_, items) = flat(&raw.cmd(&[b"SSCAN", b"s", &cursor, b"COUNT", b"17"]));
        cursor = items[0].clone();
        for m in items[1..].iter().filter(|m| m[0] == b'f') {
            seen.insert(std::str::from_utf8(&m[1..]).unwrap().parse::<usize>().unwrap());
        }
        raw.words(&format!("SREM s f{}", round * 7));
        raw.words(&format!("SADD s n{round}"));
        round += 1;
        if cursor == b"0" {
            break;
        }
    }
    for i in 0..1000 {
        if i % 7 != 0 || i / 7 >= round {
            assert!(seen.contains(&i), "SSCAN missed f{i}");
        }
    }
}

fn members(raw: &mut Raw, cmd: &str) -> BTreeSet<String> {
    flat(&raw.words(cmd)).1.into_iter().map(|m| String::from_utf8(m).unwrap()).collect()
}

#[test]
fn model_based_random_ops() {
    let shardis = Proc::shardis(&[]);
    let mut raw = Raw::connect(shardis.port);
    raw.words("CONFIG SET set-max-intset-entries 16");
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let mut model: HashMap<String, BTreeSet<String>> = HashMap::new();
    let keys = ["a", "b", "c", "d"];
    for step in 0..3000 {
        let key = keys[rng.u64(..4) as usize].to_string();
        let other = keys[rng.u64(..4) as usize].to_string();
        let member = if rng.u64(..5) == 0 { format!("x{}", rng.u64(..30)) } else { rng.u64(..30).to_string() };
        let get = |model: &HashMap<String, BTreeSet<String>>, k: &str| model.get(k).cloned().unwrap_or_default();
        match rng.u64(..9) {
            0..=2 => {
                let new = model.entry(key.clone()).or_default().insert(member.clone());
                assert_eq!(s(&raw.words(&format!("SADD {key} {member}"))), format!(":{}\r\n", new as i32));
            }
            3 => {
                let gone = model.get_mut(&key).is_some_and(|m| m.remove(&member));
                assert_eq!(s(&raw.words(&format!("SREM {key} {member}"))), format!(":{}\r\n", gone as i32));
            }
            4 => {
                let has = get(&model, &key).contains(&member);
                assert_eq!(s(&raw.words(&format!("SISMEMBER {key} {member}"))), format!(":{}\r\n", has as i32));
            }
            5 => {
                let (x, y) = (get(&model, &key), get(&model, &other));
                let want: BTreeSet<String> = x.intersection(&y).cloned().collect();
                assert_eq!(members(&mut raw, &format!("SINTER {key} {other}")), want, "step {step}");
                let want: BTreeSet<String> = x.difference(&y).cloned().collect();
                assert_eq!(members(&mut raw, &format!("SDIFF {key} {other}")), want, "step {step}");
            }
            6 => {
                let (x, y) = (get(&model, &key), get(&model, &other));
                let union: BTreeSet<String> = x.union(&y).cloned().collect();
                let n = union.len();
                model.insert("u".into(), union);
                assert_eq!(s(&raw.words(&format!("SUNIONSTORE u {key} {other}"))), format!(":{n}\r\n"));
                assert_eq!(members(&mut raw, "SMEMBERS u"), get(&model, "u"));
            }
            7 => {
                let moved = key != other && get(&model, &key).contains(&member);
                let want = if key == other { get(&model, &key).contains(&member) } else { moved };
                if moved {
                    model.get_mut(&key).unwrap().remove(&member);
                    model.entry(other.clone()).or_default().insert(member.clone());
                }
                assert_eq!(s(&raw.words(&format!("SMOVE {key} {other} {member}"))), format!(":{}\r\n", want as i32));
            }
            _ => {
                let popped = members(&mut raw, &format!("SPOP {key} 2"));
                let set = model.entry(key.clone()).or_default();
                assert_eq!(popped.len(), set.len().min(2));
                for m in &popped {
                    assert!(set.remove(m), "step {step}: SPOP gave {m}");
                }
            }
        }
        model.retain(|_, m| !m.is_empty());
        if step % 300 == 299 {
            for k in keys.iter().chain(["u"].iter()) {
                assert_eq!(members(&mut raw, &format!("SMEMBERS {k}")), get(&model, k), "SMEMBERS {k}");
                let want = if model.contains_key(*k) { ":1\r\n" } else { ":0\r\n" };
                assert_eq!(s(&raw.words(&format!("EXISTS {k}"))), want, "EXISTS {k} at step {step}");
            }
        }
    }
}
