//! Hashes, byte for byte against Redis 7.0.15: every command, option and error text, RESP3
//! shapes, the listpack -> hashtable conversion; HRANDFIELD by shape and membership; a
//! model-based random test against a plain map.

mod common;
use common::*;

use std::collections::{HashMap, HashSet};

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &["CONFIG SET hash-max-listpack-entries 512", "CONFIG SET hash-max-listpack-value 64"]);
}

#[test]
fn set_get_delete() {
    run_cases(&[
        &["HSET h a 1 b 2", "HSET h a 3 c 4", "HGET h a", "HGET h zz", "HGET nosuch a", "HGETALL h", "HLEN h"],
        &["HSET h a", "HSET h a 1 b", "HMSET h a", "HMSET h a 1 b", "HMSET h a 1 b 2", "HGETALL h", "EXISTS h"],
        &["HSETNX h a 1", "HSETNX h a 2", "HGET h a", "HSETNX h b ''", "HGETALL h", "HSTRLEN h b", "HSTRLEN h a"],
        &["HMSET h a 1 b 2 c 3", "HMGET h a zz c", "HMGET nosuch a b", "HKEYS h", "HVALS h", "HKEYS no", "HVALS no"],
        &["HSET h a 1 b 2 c 3", "HDEL h a zz", "HDEL h a", "HGETALL h", "HDEL h b c", "EXISTS h", "HDEL h a"],
        &["HSET h a 1", "HEXISTS h a", "HEXISTS h b", "HEXISTS no a", "HLEN no", "HSTRLEN no a", "HGETALL no"],
        &["HSET h '' ''", "HGET h ''", "HGETALL h", "HSET h a 1 a 2 a 3", "HGETALL h", "HLEN h"],
        &["HSET h a 1 b 2 c 3 d 4", "HSET h b x", "HDEL h c", "HSET h c y e 5", "HGETALL h", "HKEYS h", "HVALS h"],
        &["HSET h a 1", "EXPIRE h 100", "HSET h b 2", "TTL h", "HDEL h a b", "TTL h", "EXISTS h"],
        &["HGET h", "HMGET h", "HDEL h", "HLEN", "HEXISTS h", "HSTRLEN h", "HSETNX h a", "HGETALL", "HKEYS h x"],
    ]);
}

#[test]
fn wrong_type() {
    run_cases(&[
        &["SET s x", "HSET s a 1", "HMSET s a 1", "HSETNX s a 1", "HGET s a", "HMGET s a", "HGETALL s", "HDEL s a"],
        &["SET s x", "HEXISTS s a", "HLEN s", "HKEYS s", "HVALS s", "HSTRLEN s a", "HINCRBY s a 1"],
        &["SET s x", "HINCRBYFLOAT s a 1", "HRANDFIELD s", "HRANDFIELD s 1", "HSCAN s 0", "HSCAN s x", "HSCAN s 0 X"],
        &["SET s x", "HRANDFIELD s x", "HSET h a 1", "GET h", "INCR h", "APPEND h x", "TYPE h", "GET s"],
    ]);
}

#[test]
fn counters() {
    run_cases(&[
        &["HINCRBY h a 5", "HINCRBY h a -7", "HGET h a", "HINCRBY h a x", "HINCRBY h a 1.5", "HINCRBY no a x"],
        &["HSET h a 9223372036854775807", "HINCRBY h a 1", "HSET h b -9223372036854775808", "HINCRBY h b -1"],
        &["HSET h a abc b 012 d 1x", "HINCRBY h a 1", "HINCRBY h b 1", "HINCRBY h d 1", "HGETALL h"],
        &["HSET h a 10", "HINCRBY h a 9223372036854775807", "HINCRBY h a -9223372036854775808", "HGET h a"],
        &["HINCRBYFLOAT h f 1.5", "HINCRBYFLOAT h f 0.1", "HSET h g 3000", "HINCRBYFLOAT h g 1.1", "HGET h g"],
        &["HINCRBYFLOAT h f x", "HINCRBYFLOAT h f inf", "HINCRBYFLOAT h f nan", "HINCRBYFLOAT h f 1e5000", "EXISTS h"],
        &["HSET h x abc i inf", "HINCRBYFLOAT h x 1", "HINCRBYFLOAT h i 1", "HINCRBYFLOAT h z 0x10", "HGETALL h"],
        &["HSET h a 10.5", "HINCRBYFLOAT h a -10.5", "HINCRBYFLOAT h a 5.0e3", "HINCRBYFLOAT h a 1e100", "HGETALL h"],
        &["HINCRBYFLOAT h a 1e100", "OBJECT ENCODING h", "HINCRBY h b 1", "OBJECT ENCODING h"],
        &["HINCRBY h a", "HINCRBYFLOAT h a", "HINCRBY h a 1 2"],
    ]);
}

#[test]
fn encodings() {
    let long = "x".repeat(65);
    let edge = "y".repeat(64);
    let lines: Vec<String> = vec![
        "HSET h a 1".into(),
        "OBJECT ENCODING h".into(),
        format!("HSET h b {edge}"),
        "OBJECT ENCODING h".into(),
        format!("HSET h {edge} 1"),
        "OBJECT ENCODING h".into(),
        format!("HSET h c {long}"),
        "OBJECT ENCODING h".into(),
        "HDEL h c".into(),
        "OBJECT ENCODING h".into(),
        "HSET e a 1".into(),
        format!("HSETNX e a {long}"),
        "OBJECT ENCODING e".into(),
        format!("HSETNX g {long} 1"),
        "OBJECT ENCODING g".into(),
        format!("HMSET f a 1 b {long}"),
        "OBJECT ENCODING f".into(),
        "HGET f b".into(),
        "HSTRLEN f b".into(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    run_cases(&[
        &lines,
        &[
            "CONFIG SET hash-max-listpack-entries 2",
            "HSET h a 1 b 2",
            "OBJECT ENCODING h",
            "HSET h c 3",
            "OBJECT ENCODING h",
            "HDEL h a b",
            "OBJECT ENCODING h",
            "HGET h c",
            "HSET k a 1 b 2 c 3",
            "OBJECT ENCODING k",
            "HINCRBY j a 1",
            "HINCRBY j b 1",
            "HINCRBY j c 1",
            "OBJECT ENCODING j",
        ],
        &[
            "CONFIG SET hash-max-listpack-value 3",
            "HSET h abc 123",
            "OBJECT ENCODING h",
            "HSETNX h abcd 1",
            "OBJECT ENCODING h",
            "HINCRBYFLOAT k a 1",
            "OBJECT ENCODING k",
            "HINCRBYFLOAT k a 1.25",
            "OBJECT ENCODING k",
        ],
        &["CONFIG SET hash-max-listpack-entries 0", "HSET h a 1", "OBJECT ENCODING h", "HGETALL h"],
        &["CONFIG SET hash-max-listpack-entries 2", "HSET h a 1 a 2 a 3", "OBJECT ENCODING h", "TYPE h", "HGETALL h"],
    ]);
}

#[test]
fn resp3_replies() {
    run_cases(&[
        &[
            "HELLO 3",
            "HSET h a 1 b 2",
            "HGETALL h",
            "HGETALL nosuch",
            "HKEYS h",
            "HVALS h",
            "HGET h zz",
            "HMGET h a zz",
        ],
        &["HELLO 3", "HSET h a 1 b 2", "HRANDFIELD nosuch", "HRANDFIELD nosuch 3", "HRANDFIELD h 5", "HRANDFIELD h 0"],
        &["HELLO 3", "HSET h a 1 b 2", "HRANDFIELD h 5 WITHVALUES", "HRANDFIELD h 2 WITHVALUES", "HSCAN h 0"],
        &["HELLO 3", "HINCRBYFLOAT h a 1.5", "HINCRBY h b 2", "HSCAN nosuch 0"],
    ]);
}

#[test]
fn hrandfield_arguments() {
    run_cases(&[
        &[
            "HSET h a 1 b 2 c 3",
            "HRANDFIELD h 3",
            "HRANDFIELD h 10 WITHVALUES",
            "HRANDFIELD h 0",
            "HRANDFIELD h 0 WITHVALUES",
        ],
        &["HSET h a 1", "HRANDFIELD h", "HRANDFIELD h 1", "HRANDFIELD h -3", "HRANDFIELD h -2 WITHVALUES"],
        &["HSET h a 1", "HRANDFIELD h x", "HRANDFIELD h 1 foo", "HRANDFIELD h 1 WITHVALUES x", "HRANDFIELD h 1.5"],
        &["HSET h a 1", "HRANDFIELD h -9223372036854775808", "HRANDFIELD h -4611686018427387904 WITHVALUES"],
        &["HRANDFIELD no", "HRANDFIELD no 5", "HRANDFIELD no -5 WITHVALUES", "HRANDFIELD no x", "HRANDFIELD no 1 x"],
        &["HRANDFIELD no -4611686018427387904 WITHVALUES", "HRANDFIELD no -9223372036854775808"],
    ]);
}

#[test]
fn hscan_small() {
    run_cases(&[
        &[
            "HSET h a 1 b 2 ab 3",
            "HSCAN h 0",
            "HSCAN h 5",
            "HSCAN h 0 MATCH a*",
            "HSCAN h 0 COUNT 1",
            "HSCAN h 0 MATCH *",
        ],
        &["HSET h a 1", "HSCAN h x", "HSCAN h -1", "HSCAN h +3", "HSCAN h ''", "HSCAN h 1.5"],
        &["HSET h a 1", "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT x", "HSCAN h 0 MATCH", "HSCAN h 0 TYPE hash"],
        &["HSET h a 1", "HSCAN h 0 FOO bar", "HSCAN h 0 match [a] count 5", "HSCAN no 0", "HSCAN no 0 COUNT 0"],
        &["HSCAN no x", "HSCAN h", "HSCAN h 18446744073709551616"],
    ]);
}

#[test]
fn hrandfield_random_shapes() {
    let shardis = Proc::shardis(&[]);
    for resp3 in [false, true] {
        let mut raw = Raw::connect(shardis.port);
        if resp3 {
            raw.words("HELLO 3");
        }
        raw.words("DEL small big");
        let mut model = HashMap::new();
        for i in 0..10 {
            raw.words(&format!("HSET small f{i} v{i}"));
            model.insert(format!("f{i}").into_bytes(), format!("v{i}").into_bytes());
        }
        let mut big = HashMap::new();
        for i in 0..600 {
            raw.words(&format!("HSET big g{i} w{i}"));
            big.insert(format!("g{i}").into_bytes(), format!("w{i}").into_bytes());
        }
        assert_eq!(raw.words("OBJECT ENCODING big"), b"$9\r\nhashtable\r\n");
        for (key, model) in [("small", &model), ("big", &big)] {
            let one = flat(&raw.words(&format!("HRANDFIELD {key}"))).1;
            assert!(model.contains_key(&one[0]));
            for (count, values) in [(5i64, false), (5, true), (-20, false), (-20, true), (1, true), (-1, false)] {
                let cmd = format!("HRANDFIELD {key} {count}{}", if values { " WITHVALUES" } else { "" });
                let reply = raw.words(&cmd);
                let (head, items) = flat(&reply);
                assert_eq!(head, b'*', "{cmd}");
                let n = count.unsigned_abs() as usize;
                let step = if values { 2 } else { 1 };
                assert_eq!(items.len(), n * step, "{cmd}");
                if values && resp3 {
                    // An array of [field, value] pairs.
                    assert!(reply.starts_with(format!("*{n}\r\n*2\r\n").as_bytes()), "{cmd}");
                }
                let mut seen = HashSet::new();
                for pair in items.chunks(step) {
                    assert!(model.contains_key(&pair[0]), "{cmd}");
                    if values {
                        assert_eq!(model[&pair[0]], pair[1], "{cmd}");
                    }
                    seen.insert(pair[0].clone());
                }
                if count > 0 {
                    assert_eq!(seen.len(), n, "distinct fields for {cmd}");
                }
            }
            let (_, all) = flat(&raw.words(&format!("HRANDFIELD {key} 100000")));
            assert_eq!(all.len(), model.len());
            assert_eq!(all.iter().collect::<HashSet<_>>().len(), model.len());
        }
        // Many distinct picks from the big hash: all distinct, all members.
        let (_, items) = flat(&raw.words("HRANDFIELD big 400"));
        assert_eq!(items.iter().collect::<HashSet<_>>().len(), 400);
    }
}

#[test]
fn hscan_big_misses_nothing() {
    let shardis = Proc::shardis(&[]);
    let mut raw = Raw::connect(shardis.port);
    for i in 0..1000 {
        raw.words(&format!("HSET h f{i} {i}"));
    }
    let mut seen = HashSet::new();
    let mut cursor = b"0".to_vec();
    let mut round = 0;
    loop {
        let (_, items) = flat(&raw.cmd(&[b"HSCAN", b"h", &cursor, b"COUNT", b"17"]));
        cursor = items[0].clone();
        for pair in items[1..].chunks(2).filter(|p| p[0][0] == b'f') {
            let i: usize = std::str::from_utf8(&pair[0][1..]).unwrap().parse().unwrap();
            assert_eq!(pair[1], i.to_string().into_bytes());
            seen.insert(i);
        }
        // Churn while scanning: remove fields 0, 7, 14... (gone for good) and add new ones.
        raw.words(&format!("HDEL h f{}", round * 7));
        raw.words(&format!("HSET h n{round} x"));
        round += 1;
        if cursor == b"0" {
            break;
        }
    }
    for i in 0..1000 {
        if i % 7 != 0 || i / 7 >= round {
            assert!(seen.contains(&i), "HSCAN missed f{i}");
        }
    }
    let (_, items) = flat(&raw.words("HSCAN h 0 MATCH f99* COUNT 100000"));
    assert_eq!(items[0], b"0");
    let mut want: Vec<_> = (990..1000).chain([99]).filter(|i| i % 7 != 0 || i / 7 >= round).collect();
    want.sort();
    let mut got: Vec<usize> =
        items[1..].chunks(2).map(|p| std::str::from_utf8(&p[0][1..]).unwrap().parse().unwrap()).collect();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn model_based_random_ops() {
    let shardis = Proc::shardis(&[]);
    let mut raw = Raw::connect(shardis.port);
    raw.words("CONFIG SET hash-max-listpack-entries 16");
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let mut model: HashMap<String, HashMap<String, String>> = HashMap::new();
    let bulk = |v: Option<&String>| match v {
        Some(v) => format!("${}\r\n{v}\r\n", v.len()),
        None => "$-1\r\n".to_string(),
    };
    for step in 0..4000 {
        let key = format!("k{}", rng.u64(..4));
        let field = format!("f{}", rng.u64(..40));
        let value = if rng.u64(..10) == 0 { "v".repeat(70) } else { format!("{}", rng.u64(..1000)) };
        let h = model.entry(key.clone()).or_default();
        let (cmd, want) = match rng.u64(..7) {
            0 | 1 => {
                let new = h.insert(field.clone(), value.clone()).is_none();
                (format!("HSET {key} {field} {value}"), format!(":{}\r\n", new as i32))
            }
            2 => (format!("HDEL {key} {field}"), format!(":{}\r\n", h.remove(&field).is_some() as i32)),
            3 => (format!("HGET {key} {field}"), bulk(h.get(&field))),
            4 => (format!("HLEN {key}"), format!(":{}\r\n", h.len())),
            5 => {
                let n: i64 = match h.get(&field).map(|v| v.parse::<i64>()) {
                    Some(Ok(n)) => n,
                    Some(Err(_)) => {
                        let cmd = format!("HINCRBY {key} {field} 3");
                        assert_eq!(s(&raw.words(&cmd)), "-ERR hash value is not an integer\r\n", "{cmd}");
                        continue;
                    }
                    None => 0,
                };
                h.insert(field.clone(), (n + 3).to_string());
                (format!("HINCRBY {key} {field} 3"), format!(":{}\r\n", n + 3))
            }
            _ => (format!("HEXISTS {key} {field}"), format!(":{}\r\n", h.contains_key(&field) as i32)),
        };
        if h.is_empty() {
            model.remove(&key);
        }
        assert_eq!(s(&raw.words(&cmd)), want, "step {step}: {cmd}");
        if step % 500 == 499 {
            for (key, h) in &model {
                let (_, items) = flat(&raw.words(&format!("HGETALL {key}")));
                let got: HashMap<String, String> = items
                    .chunks(2)
                    .map(|p| (String::from_utf8(p[0].clone()).unwrap(), String::from_utf8(p[1].clone()).unwrap()))
                    .collect();
                assert_eq!(&got, h, "HGETALL {key} at step {step}");
            }
            for k in 0..4 {
                let key = format!("k{k}");
                let want = if model.contains_key(&key) { ":1\r\n" } else { ":0\r\n" };
                assert_eq!(s(&raw.words(&format!("EXISTS {key}"))), want);
            }
        }
    }
}

/// A hash value with a NUL inside is no float (C's strtold would stop at the NUL and read 1);
/// ZINCRBY and ZADD read their own arguments the same whole-string way.
#[test]
fn float_values_with_a_nul_inside() {
    same_on_both(&[&[]], |port, _| {
        let mut raw = Raw::connect(port);
        assert_eq!(raw.words("FLUSHALL"), b"+OK\r\n");
        let mut out = String::new();
        let cases: &[&[&[u8]]] = &[
            &[b"HSET", b"h", b"g", b"1\x002"],
            &[b"HINCRBYFLOAT", b"h", b"g", b"1"],
            &[b"HINCRBY", b"h", b"g", b"1"],
            &[b"HGET", b"h", b"g"],
            &[b"HINCRBYFLOAT", b"h", b"f", b"1\x002"],
            &[b"ZADD", b"z", b"1\x002", b"m"],
            &[b"ZADD", b"z", b"1", b"m"],
            &[b"ZINCRBY", b"z", b"1\x002", b"m"],
            &[b"ZRANGEBYSCORE", b"z", b"1\x002", b"+inf"],
            &[b"INCRBYFLOAT", b"s", b"1\x002"],
        ];
        for args in cases {
            out.push_str(&format!("{:?} -> {}\n", args, s(&raw.cmd(args))));
        }
        out
    });
}
