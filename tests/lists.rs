//! Lists, byte for byte against Redis 7.0.15, plus a model test against a VecDeque. Each case
//! is a sequence of commands on a fresh connection after FLUSHALL on both servers (`''` is an
//! empty argument). With 4 shards `a`, `b` and `c` live on three shards, so LMOVE, RPOPLPUSH
//! and LMPOP over them take the cross-shard path (see `keys_spread_over_shards`).

mod common;
use common::*;

use std::collections::VecDeque;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

#[test]
fn push_pop_len() {
    run_cases(&[
        &[
            "LPUSH a 1 2 3",
            "RPUSH a 4 5",
            "LRANGE a 0 -1",
            "LLEN a",
            "LLEN nosuch",
            "LPUSHX nosuch x",
            "RPUSHX nosuch x",
        ],
        &["LPUSHX a x", "RPUSH a ''", "LPUSHX a y z", "RPUSHX a w", "LRANGE a 0 -1", "EXISTS nosuch"],
        &["RPUSH a 1 2 3 4 5", "LPOP a", "RPOP a", "LPOP a 2", "RPOP a 5", "EXISTS a", "LPOP a", "RPOP a 1"],
        &["RPUSH a 1 2", "LPOP a 0", "LPOP nosuch 0", "LPOP nosuch", "RPOP nosuch 3", "LPOP a -1", "LPOP a x"],
        &["RPUSH a 1", "LPOP a 1 2", "RPOP a 9223372036854775807", "LPOP a 1", "EXISTS a"],
        &["SET s v", "LPUSH s x", "RPUSH s x", "LPUSHX s x", "RPUSHX s x", "LPOP s", "RPOP s 2", "LLEN s"],
        &["LPUSH a", "RPUSH", "LLEN", "LLEN a b", "LPOP"],
        &["RPUSH a 1 2 3", "EXPIRE a 100", "RPOP a", "TTL a", "TYPE a", "OBJECT ENCODING a"],
    ]);
}

#[test]
fn resp3_pops() {
    run_cases(&[
        &["HELLO 3", "RPUSH a 1 2", "LPOP nosuch", "LPOP nosuch 2", "LPOP a 0", "RPOP a 5", "LMPOP 2 a b LEFT"],
        &["HELLO 3", "LINDEX nosuch 0", "LPOS nosuch x", "LPOS nosuch x COUNT 0", "LMOVE nosuch b LEFT LEFT"],
        &["HELLO 3", "RPUSH b x", "LMPOP 1 b RIGHT COUNT 3", "RPOPLPUSH nosuch b", "LRANGE nosuch 0 -1"],
    ]);
}

#[test]
fn range_index_set() {
    run_cases(&[
        &["RPUSH a 0 1 2 3 4 5", "LRANGE a 0 2", "LRANGE a -3 -1", "LRANGE a -100 100", "LRANGE a 5 2"],
        &["RPUSH a 0 1 2", "LRANGE a 3 10", "LRANGE a -1 -3", "LRANGE a x 1", "LRANGE a 0 y", "LRANGE nosuch 0 -1"],
        &["RPUSH a 0 1 2", "LRANGE a -9223372036854775808 9223372036854775807", "LRANGE a 1 1", "LRANGE a 0 0"],
        &["RPUSH a 0 1 2", "LINDEX a 0", "LINDEX a -1", "LINDEX a 3", "LINDEX a -4", "LINDEX a x", "LINDEX nosuch x"],
        &["RPUSH a 0 1 2", "LSET a 0 z", "LSET a -1 y", "LSET a 3 q", "LSET a -4 q", "LSET a x q", "LRANGE a 0 -1"],
        &["LSET nosuch 0 a", "LSET nosuch x a", "SET s v", "LSET s 0 a", "LINDEX s 0", "LRANGE s 0 1"],
    ]);
}

#[test]
fn insert_rem_trim() {
    run_cases(&[
        &["RPUSH a 1 2 3", "LINSERT a BEFORE 2 x", "LINSERT a after 3 y", "LINSERT a BEFORE 9 z", "LRANGE a 0 -1"],
        &["RPUSH a 1", "LINSERT a MIDDLE 1 x", "LINSERT nosuch BEFORE 1 x", "LINSERT nosuch FOO 1 x", "EXISTS nosuch"],
        &["SET s v", "LINSERT s BEFORE 1 x", "LREM s 0 x", "LTRIM s 0 1", "LINSERT a BEFORE ''"],
        &[
            "RPUSH a x y x z x x",
            "LREM a 2 x",
            "LRANGE a 0 -1",
            "LREM a -1 x",
            "LRANGE a 0 -1",
            "LREM a 0 x",
            "LRANGE a 0 -1",
        ],
        &["RPUSH a x x", "LREM a 0 x", "EXISTS a", "LREM a 0 x", "LREM a y x", "RPUSH b 1", "LREM b 5 2"],
        &["RPUSH a 0 1 2 3 4 5", "LTRIM a 1 -2", "LRANGE a 0 -1", "LTRIM a -2 100", "LRANGE a 0 -1", "LTRIM a 1 0"],
        &[
            "RPUSH a 0 1 2",
            "LTRIM a 5 10",
            "EXISTS a",
            "LTRIM nosuch 0 1",
            "LTRIM a x 1",
            "RPUSH b 1 2",
            "LTRIM b 0 -5",
        ],
        &["RPUSH a 0 1 2", "LTRIM a -9223372036854775808 9223372036854775807", "LRANGE a 0 -1", "LTRIM a 0 y"],
    ]);
}

#[test]
fn lpos() {
    run_cases(&[
        &["RPUSH a a b c a b c a", "LPOS a a", "LPOS a c", "LPOS a z", "LPOS a a RANK 2", "LPOS a a RANK -1"],
        &["RPUSH a a b a b a", "LPOS a a COUNT 0", "LPOS a a COUNT 2", "LPOS a a RANK -2 COUNT 0", "LPOS a b COUNT 5"],
        &["RPUSH a a b a b a", "LPOS a a MAXLEN 1 COUNT 0", "LPOS a a RANK -1 MAXLEN 2 COUNT 0", "LPOS a a RANK 9"],
        &[
            "RPUSH a a b",
            "LPOS a a RANK 0",
            "LPOS a a RANK x",
            "LPOS a a COUNT -1",
            "LPOS a a COUNT x",
            "LPOS a a MAXLEN -1",
        ],
        &[
            "RPUSH a a b",
            "LPOS a a MAXLEN x",
            "LPOS a a FOO",
            "LPOS a a RANK",
            "LPOS a a COUNT 1 RANK",
            "LPOS nosuch a",
        ],
        &[
            "RPUSH a a b",
            "LPOS a a RANK -9223372036854775808",
            "LPOS a a RANK -9223372036854775807",
            "LPOS a z COUNT 0",
        ],
        &[
            "RPUSH a a a a",
            "LPOS a a RANK -9223372036854775808 COUNT 2",
            "LPOS nosuch a COUNT 1",
            "LPOS a a RANK 2 RANK 1",
        ],
        &["SET s v", "LPOS s a", "LPOS s a RANK 0", "LPOS a a MAXLEN 0 COUNT 0"],
    ]);
}

#[test]
fn moves() {
    run_cases(&[
        &["RPUSH a 1 2 3", "LMOVE a b LEFT RIGHT", "LMOVE a b RIGHT LEFT", "LRANGE a 0 -1", "LRANGE b 0 -1"],
        &["RPUSH a 1", "LMOVE a b left left", "EXISTS a", "LMOVE a b LEFT LEFT", "LRANGE b 0 -1"],
        &["RPUSH a 1 2 3", "LMOVE a a LEFT RIGHT", "LRANGE a 0 -1", "RPOPLPUSH a a", "LRANGE a 0 -1"],
        &["RPUSH a 1 2", "LMOVE a b UP LEFT", "LMOVE a b LEFT DOWN", "SET s v", "LMOVE a s LEFT LEFT", "LRANGE a 0 -1"],
        &["SET s v", "LMOVE s b LEFT LEFT", "LMOVE nosuch s LEFT LEFT", "RPOPLPUSH s b", "RPUSH a x", "RPOPLPUSH a s"],
        &["RPUSH a 1 2 3", "RPOPLPUSH a b", "RPOPLPUSH a c", "RPOPLPUSH a {t}a", "LRANGE b 0 -1", "LRANGE {t}a 0 -1"],
        &["RPUSH {t}a 1 2", "LMOVE {t}a {t}b RIGHT RIGHT", "LRANGE {t}b 0 -1", "RPOPLPUSH nosuch a", "LMOVE a"],
        &[
            "RPUSH a x",
            "EXPIRE a 100",
            "RPUSH b y",
            "EXPIRE b 50",
            "LMOVE a b LEFT LEFT",
            "TTL a",
            "TTL b",
            "LRANGE b 0 -1",
        ],
    ]);
}

/// The cross-shard cases need `a`, `b` and `c` on three shards; `{t}a` shares `a`'s, so
/// `RPOPLPUSH a {t}a` takes the one-shard path and `LMPOP 2 c {t}a` the cross-shard one.
#[test]
fn keys_spread_over_shards() {
    let shard = |k: &str| shardis::shard::route::key_shard(k.as_bytes(), 4);
    assert_ne!(shard("a"), shard("b"));
    assert_ne!(shard("a"), shard("c"));
    assert_ne!(shard("b"), shard("c"));
    assert_eq!(shard("a"), shard("{t}a"));
}

#[test]
fn lmpop() {
    run_cases(&[
        &["RPUSH b 1 2 3", "LMPOP 3 a b c LEFT", "LMPOP 3 a b c RIGHT COUNT 5", "EXISTS b", "LMPOP 1 b LEFT"],
        &["RPUSH c 1 2", "RPUSH {t}a 9", "LMPOP 2 c {t}a RIGHT COUNT 1", "LMPOP 2 {t}a c LEFT count 10"],
        &["SET s v", "RPUSH b 1", "LMPOP 2 a s LEFT", "LMPOP 2 b s LEFT", "LMPOP 2 s b LEFT"],
        &["LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT", "LMPOP 2 a LEFT", "LMPOP 1 a UP", "LMPOP 1 a"],
        &["LMPOP 1 a LEFT COUNT 0", "LMPOP 1 a LEFT COUNT -1", "LMPOP 1 a LEFT COUNT x", "LMPOP 1 a LEFT COUNT"],
        &["LMPOP 1 a LEFT COUNT 1 COUNT 2", "LMPOP 1 a LEFT FOO", "LMPOP 9223372036854775807 a LEFT", "LMPOP 1 a b"],
        &["RPUSH a 1 2", "LMPOP 2 a a LEFT COUNT 9223372036854775807", "EXISTS a", "LMPOP 1 a RIGHT"],
    ]);
}

#[test]
fn wrong_arity() {
    run_cases(&[&[
        "LRANGE a 0",
        "LINDEX a",
        "LSET a 0",
        "LINSERT a BEFORE x",
        "LREM a 0",
        "LTRIM a 0",
        "LPOS a",
        "LMOVE a b LEFT",
        "RPOPLPUSH a",
        "LMPOP 1 a",
        "LPUSHX a",
        "RPOP a 1 2",
    ]]);
}

#[test]
fn big_lists() {
    let mut cases: Vec<String> = Vec::new();
    let many: Vec<String> = (0..300).map(|i| format!("element-{i:04}")).collect();
    cases.push(format!("RPUSH a {}", many.join(" ")));
    cases.push("LPUSH a x".to_string());
    let big = "v".repeat(10000);
    cases.push(format!("RPUSH a {big} {big}"));
    for line in [
        "LLEN a",
        "LINDEX a 150",
        "LINDEX a -150",
        "LRANGE a 140 160",
        "LSET a 200 z",
        "LINSERT a BEFORE element-0100 q",
        "LREM a -1 q",
        "LPOS a element-0299",
        "LPOS a z RANK -1",
        "LTRIM a 10 -20",
        "LRANGE a 0 3",
        "LLEN a",
        "OBJECT ENCODING a",
        "CONFIG SET list-max-listpack-size 4",
        "RPUSH c 1 2 3 4 5 6 7 8 9",
        "LINSERT c AFTER 5 x",
        "LRANGE c 0 -1",
        "OBJECT ENCODING c",
        "CONFIG SET list-max-listpack-size -2",
    ] {
        cases.push(line.to_string());
    }
    let lines: Vec<&str> = cases.iter().map(String::as_str).collect();
    run_cases(&[&lines]);
}

/// A position for the model test: any index of a `len`-element list, or up to 3 past either end.
fn index(rng: &mut fastrand::Rng, len: usize) -> i64 {
    rng.i64(-(len as i64) - 3..len as i64 + 3)
}
fn elements(reply: &[u8]) -> Vec<String> {
    s(reply).lines().filter(|l| !l.starts_with('*') && !l.starts_with('$')).map(str::to_string).collect()
}

/// Random list operations on shardis, with a VecDeque as the model; small nodes
/// (list-max-listpack-size 3) so that the node splits and merges get exercised.
#[test]
fn model_vecdeque() {
    let shardis = Proc::shardis(&[]);
    let mut raw = Raw::connect(shardis.port);
    assert_eq!(raw.words("CONFIG SET list-max-listpack-size 3"), b"+OK\r\n");
    let mut model: VecDeque<String> = VecDeque::new();
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    for step in 0..3000 {
        let v = format!("v{}", rng.u64(..8));
        let len = model.len();
        let op = rng.u64(..9);
        let what = match op {
            0 => {
                raw.cmd(&[b"LPUSH", b"m", v.as_bytes()]);
                model.push_front(v.clone());
                format!("LPUSH {v}")
            }
            1 => {
                raw.cmd(&[b"RPUSH", b"m", v.as_bytes()]);
                model.push_back(v.clone());
                format!("RPUSH {v}")
            }
            2 => {
                let got = raw.cmd(&[b"LPOP", b"m"]);
                let want = model.pop_front();
                assert_eq!(elements(&got).first().cloned(), want, "step {step} LPOP");
                "LPOP".into()
            }
            3 => {
                let got = raw.cmd(&[b"RPOP", b"m"]);
                let want = model.pop_back();
                assert_eq!(elements(&got).first().cloned(), want, "step {step} RPOP");
                "RPOP".into()
            }
            4 => {
                let i = index(&mut rng, len);
                let got = raw.cmd(&[b"LSET", b"m", i.to_string().as_bytes(), v.as_bytes()]);
                let at = if i < 0 { len as i64 + i } else { i };
                if (0..len as i64).contains(&at) {
                    assert_eq!(got, b"+OK\r\n", "step {step}");
                    model[at as usize] = v.clone();
                }
                format!("LSET {i} {v}")
            }
            5 => {
                let pivot = format!("v{}", rng.u64(..8));
                let after = rng.u64(..2) == 1;
                raw.cmd(&[b"LINSERT", b"m", if after { b"AFTER" } else { b"BEFORE" }, pivot.as_bytes(), v.as_bytes()]);
                if let Some(p) = model.iter().position(|e| *e == pivot) {
                    model.insert(p + after as usize, v.clone());
                }
                format!("LINSERT {after} {pivot} {v}")
            }
            6 => {
                let count = rng.u64(..5) as i64 - 2;
                raw.cmd(&[b"LREM", b"m", count.to_string().as_bytes(), v.as_bytes()]);
                let mut left = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
                let mut keep: Vec<bool> = vec![true; len];
                let order: Vec<usize> = if count < 0 { (0..len).rev().collect() } else { (0..len).collect() };
                for i in order {
                    if left > 0 && model[i] == v {
                        keep[i] = false;
                        left -= 1;
                    }
                }
                let mut i = 0;
                model.retain(|_| {
                    i += 1;
                    keep[i - 1]
                });
                format!("LREM {count} {v}")
            }
            7 if rng.u64(..4) == 0 => {
                let (start, end) = (index(&mut rng, len), index(&mut rng, len));
                raw.cmd(&[b"LTRIM", b"m", start.to_string().as_bytes(), end.to_string().as_bytes()]);
                let n = len as i64;
                let st = if start < 0 { n + start } else { start }.max(0);
                let en = if end < 0 { n + end } else { end }.min(n - 1);
                if st > en || st >= n {
                    model.clear();
                } else {
                    model = model.iter().skip(st as usize).take((en - st + 1) as usize).cloned().collect();
                }
                format!("LTRIM {start} {end}")
            }
            _ => {
                let i = index(&mut rng, len);
                let got = raw.cmd(&[b"LINDEX", b"m", i.to_string().as_bytes()]);
                let at = if i < 0 { len as i64 + i } else { i };
                let want = usize::try_from(at).ok().and_then(|a| model.get(a)).cloned();
                assert_eq!(elements(&got).first().cloned(), want, "step {step} LINDEX {i}");
                format!("LINDEX {i}")
            }
        };
        let all = raw.cmd(&[b"LRANGE", b"m", b"0", b"-1"]);
        assert_eq!(elements(&all), model.iter().cloned().collect::<Vec<_>>(), "after step {step}: {what}");
        let exists = raw.cmd(&[b"EXISTS", b"m"]);
        assert_eq!(exists, if model.is_empty() { &b":0\r\n"[..] } else { &b":1\r\n"[..] }, "step {step}");
    }
}
