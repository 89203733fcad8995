//! SORT and SORT_RO byte for byte against redis-server 7.0.15, with keys on four shards: the
//! BY and GET keys of one command live on different shards from each other, from the source
//! and from the destination.

mod common;
use common::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

const DATA: &[&str] = &[
    "RPUSH l 3 1 2 10 -4.5 1e2",
    "RPUSH words banana Apple cherry apple 10 2",
    "ZADD z 1 a 2 b 3 c 0 d",
    "ZADD nums 5 30 1 100 3 2",
    "SADD ints 5 3 9 -1 20",
    "SADD names b a c",
    "MSET w_3 5 w_1 -1 w_2 1e3 w_10 0.5 w_-4.5 7 w_1e2 -inf",
    "HSET h_3 f 9 g x",
    "HSET h_1 f 1 g y",
    "HSET h_10 f 9",
    "HSET h_2 f apple",
    "MSET a_a z a_b y a_c x",
];

#[test]
fn sort_as_redis() {
    let mut case: Vec<&str> = DATA.to_vec();
    case.extend([
        // Numbers, strings, directions, LIMIT.
        "SORT l",
        "SORT l DESC",
        "SORT l ASC DESC ASC",
        "SORT l LIMIT 1 3",
        "SORT l LIMIT -5 2",
        "SORT l LIMIT 2 -1",
        "SORT l LIMIT 0 0",
        "SORT l LIMIT 6 1",
        "SORT l LIMIT 5 100",
        "SORT l LIMIT 1 9223372036854775807",
        "SORT l DESC LIMIT 1 2",
        "SORT words",
        "SORT words ALPHA",
        "SORT words ALPHA DESC LIMIT 1 3",
        "SORT z",
        "SORT z ALPHA",
        "SORT z ALPHA DESC",
        "SORT nums",
        "SORT nums DESC LIMIT 1 1",
        "SORT ints",
        "SORT ints DESC",
        "SORT ints BY nosort",
        "SORT nosuch",
        "SORT nosuch BY w_* GET #",
        // BY: string keys and hash fields on other shards, missing ones as 0 (or first with ALPHA).
        "SORT l BY w_*",
        "SORT l BY w_* DESC",
        "SORT l BY w_* LIMIT 1 2",
        "SORT l BY w_* GET # GET w_* GET h_*->f GET h_*->g GET nostar",
        "SORT l BY h_*->f",
        "SORT l BY h_*->f ALPHA GET h_*->f",
        "SORT l BY h_*->nosuchfield",
        "SORT l BY h_*->g ALPHA DESC",
        "SORT l BY w_*-> GET w_*->",
        "SORT z BY a_* ALPHA",
        "SORT z BY a_* ALPHA DESC GET a_*",
        "SORT ints BY w_* GET #",
        "SORT l BY nosuch_*",
        "SORT l BY nosort",
        "SORT l BY nosort DESC",
        "SORT l BY nosort LIMIT 2 3",
        "SORT l BY nosort DESC LIMIT 2 3",
        "SORT l BY nosort LIMIT 10 3",
        "SORT z BY nosort DESC",
        "SORT z BY nosort LIMIT 1 2",
        "SORT z BY nosort DESC LIMIT 1 2 GET a_*",
        "SORT l BY nosort BY w_*",
        "SORT l BY # GET #",
        "SORT ints BY nosort GET w_*",
        // GET alone.
        "SORT l GET w_*",
        "SORT l GET # GET #",
        "SORT l GET h_*->f LIMIT 0 3",
        // Errors, in Redis's order: the options first, then the key's type, then the scores.
        "SORT words BY w_*",
        "SORT words",
        "SORT l BY h_*->g",
        "SET str x",
        "SORT str",
        "SORT str LIMIT x 1",
        "SORT str BADOPTION",
        "SORT l LIMIT 1",
        "SORT l LIMIT a 1",
        "SORT l LIMIT 1 1.5",
        "SORT l STORE",
        "SORT l GET",
        "SORT l BY",
        "SORT l foo",
        "SORT_RO l STORE d",
        "SORT",
        "SET w_big 1e400",
        "RPUSH big x",
        "SORT big BY w_*",
        "SET w_x nan",
        "RPUSH nanl x",
        "SORT nanl BY w_*",
        "SORT nanl BY w_* ALPHA",
        // SORT_RO.
        "SORT_RO l BY w_* GET # GET h_*->f",
        "SORT_RO words ALPHA LIMIT 0 2",
        // The zset source is converted for good.
        "ZADD small 1 x",
        "OBJECT ENCODING small",
        "SORT small ALPHA",
        "OBJECT ENCODING small",
        // RESP3: a missing GET is a null.
        "HELLO 3",
        "SORT l BY w_* GET w_* GET #",
    ]);
    run_cases(&[&case]);
}

#[test]
fn sort_store_as_redis() {
    let mut lines: Vec<String> = DATA.iter().map(|s| s.to_string()).collect();
    for to in 0..SHARDS {
        let d = key_on_shard("dst", to, SHARDS);
        for c in [
            format!("SORT l STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            format!("OBJECT ENCODING {d}"),
            format!("SORT l BY w_* GET h_*->f GET # STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            format!("SORT words ALPHA DESC LIMIT 1 3 STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            format!("SORT names BY nosort STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            format!("SORT names BY nosort DESC STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            format!("SORT ints BY nosort GET w_* STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            format!("SORT l LIMIT 0 0 STORE {d}"),
            format!("EXISTS {d}"),
            format!("SORT l LIMIT 0 0 STORE {d}"),
            format!("SET {d} string EX 100"),
            format!("SORT z ALPHA STORE {d}"),
            format!("TYPE {d}"),
            format!("TTL {d}"),
            format!("SORT nosuch STORE {d}"),
            format!("EXISTS {d}"),
            format!("SORT words STORE {d}"),
            format!("SORT words BY w_* STORE {d}"),
            format!("SORT z ALPHA STORE x STORE {d}"),
            format!("LRANGE {d} 0 -1"),
            "EXISTS x".to_string(),
            format!("SORT_RO l STORE {d}"),
            format!("COMMAND GETKEYS SORT l BY w_* STORE {d}"),
        ] {
            lines.push(c);
        }
    }
    // The source stored over itself.
    lines.push("SORT l DESC STORE l".into());
    lines.push("LRANGE l 0 -1".into());
    let case: Vec<&str> = lines.iter().map(String::as_str).collect();
    run_cases(&[&case]);
}

/// In a transaction and in a script (which sorts a set it would not sort otherwise).
#[test]
fn sort_in_multi_and_scripts_as_redis() {
    let mut case: Vec<&str> = DATA.to_vec();
    case.extend([
        "MULTI",
        "SORT l BY w_* GET h_*->f",
        "SET w_1 100",
        "SORT l BY w_* GET # STORE out",
        "LRANGE out 0 -1",
        "EXEC",
        "EVAL \"return redis.call('sort', KEYS[1], 'by', 'nosort')\" 1 names",
        "EVAL \"return redis.call('sort', KEYS[1], 'by', 'w_*', 'get', 'h_*->f')\" 1 l",
        "EVAL \"return redis.call('sort', KEYS[1], 'by', 'w_*', 'store', KEYS[2])\" 2 l out",
        "LRANGE out 0 -1",
        "EVAL \"return redis.call('sort_ro', KEYS[1], 'by', 'w_*', 'get', '#', 'get', 'w_*')\" 1 l",
        "EVAL \"return redis.pcall('sort', KEYS[1], 'by', 'w_*')\" 1 words",
    ]);
    run_cases(&[&case]);
}

/// More GET patterns than fit 16 bits: each answers its own pattern.
#[test]
fn many_get_patterns_as_redis() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for port in [redis.port, shardis.port] {
        let mut raw = Raw::connect(port);
        raw.words("RPUSH L x");
        raw.words("SET k_x VAL");
    }
    let mut args: Vec<&[u8]> = vec![b"SORT", b"L", b"BY", b"nosort"];
    for _ in 0..65_536 {
        args.extend([b"GET".as_slice(), b"k_*"]);
    }
    args.extend([b"GET".as_slice(), b"nokey_*"]);
    let (got, want) = (Raw::connect(shardis.port).cmd(&args), Raw::connect(redis.port).cmd(&args));
    assert!(got == want, "replies differ (ends {:?} / {:?})", s(&got[got.len() - 10..]), s(&want[want.len() - 10..]));
}

/// Random lists and sorted sets, random weights (string keys and hash fields, some missing,
/// some not numbers) and random SORTs against Redis.
#[test]
fn random_sorts_as_redis() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let (mut ours, mut theirs) = (shardis.raw(), redis.raw());
    let mut rng = fastrand::Rng::with_seed(7);
    let mut both = |line: &str| {
        let (got, want) = (ours.cmd(&line_args(line)), theirs.cmd(&line_args(line)));
        assert_eq!(s(&got), s(&want), "{line}");
    };
    for round in 0..20 {
        both("FLUSHALL");
        let n = rng.usize(1..60);
        let mut push = String::from("RPUSH l");
        let mut zadd = String::from("ZADD z");
        for i in 0..n {
            // Distinct elements with distinct weights where ALPHA BY could tie.
            let e = if rng.bool() { format!("{}", rng.i32(-50..50)) } else { format!("e{i}") };
            push += &format!(" {e}");
            zadd += &format!(" {} m{i}", rng.i32(-5..5));
            match rng.usize(..6) {
                0 => {}
                1 => both(&format!("SET w_{e} notanumber{round}")),
                2 => both(&format!("HSET h_{e} f {}.{i}", rng.i32(-9..9))),
                _ => both(&format!("SET w_{e} {}.{i:03}", rng.i32(-100..100))),
            }
            both(&format!("SET a_m{i} v{:03}", rng.usize(..1000) * 100 + i));
        }
        both(&push);
        both(&zadd);
        for _ in 0..30 {
            let source = if rng.bool() { "l" } else { "z" };
            let mut line = format!("SORT {source}");
            match (source, rng.usize(..5)) {
                (_, 0) => {}
                (_, 1) => line += " BY nosort",
                ("l", 2) => line += " BY w_*",
                ("l", 3) => line += " BY h_*->f",
                ("l", _) => line += " BY w_* ALPHA",
                (_, 2 | 3) => line += " BY a_* ALPHA",
                _ => line += " ALPHA",
            }
            if source == "l" && !line.contains("BY") && rng.bool() {
                line += " ALPHA";
            }
            if rng.bool() {
                line += if rng.bool() { " DESC" } else { " ASC" };
            }
            // (Not with ALPHA BY over a list, whose values tie: Redis's partial quicksort, used
            // with LIMIT, may order ties otherwise.)
            if rng.usize(..3) == 0 && !(source == "l" && line.contains("BY w_* ALPHA")) {
                line += &format!(" LIMIT {} {}", rng.i32(-2..n as i32 + 2), rng.i32(-2..n as i32 + 2));
            }
            for _ in 0..rng.usize(..3) {
                line += [" GET #", " GET w_*", " GET h_*->f", " GET a_*"][rng.usize(..4)];
            }
            if rng.usize(..4) == 0 {
                line += " STORE out";
                both(&line);
                both("LRANGE out 0 -1");
            } else {
                both(&line);
            }
        }
    }
}

/// SORT BY/GET is isolated like Redis's single thread: while transfers between weight keys on
/// four shards keep their total constant (MSET across shards), SORTs that GET the weights
/// (answered or stored) always sum to that total, and one dropping its connection mid-way
/// leaves nothing locked.
///
/// Checked against the mechanism switched off: with SORT's transaction taking no locks
/// (`tx.nested = true` in `sort_generic`), readers saw wrong totals within the first run.
#[test]
fn sort_lookups_never_see_half_a_transfer() {
    let server = Proc::shardis(&[]);
    let names: Vec<String> = (0..8).map(|i| format!("acct{i}")).collect();
    let mut con = server.client();
    let _: () = redis::cmd("DEL").arg("names").query(&mut con).unwrap();
    let _: i64 = redis::cmd("RPUSH").arg("names").arg(&names).query(&mut con).unwrap();
    for n in &names {
        let _: () = redis::cmd("SET").arg(format!("bal_{n}")).arg(100).query(&mut con).unwrap();
    }
    let total = 100 * names.len() as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for w in 0..2 {
        let (names, mut con) = (names.clone(), server.client());
        threads.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(w);
            for _ in 0..1500 {
                let (a, b) = (rng.usize(..names.len()), rng.usize(..names.len()));
                if a == b {
                    continue;
                }
                let (ka, kb) = (format!("bal_{}", names[a]), format!("bal_{}", names[b]));
                let amount = rng.i64(1..10);
                let _: () = redis::cmd("WATCH").arg(&ka).arg(&kb).query(&mut con).unwrap();
                let (va, vb): (i64, i64) = redis::cmd("MGET").arg(&ka).arg(&kb).query(&mut con).unwrap();
                let done: Option<()> = redis::pipe()
                    .atomic()
                    .cmd("MSET")
                    .arg(&ka)
                    .arg(va - amount)
                    .arg(&kb)
                    .arg(vb + amount)
                    .ignore()
                    .query(&mut con)
                    .unwrap();
                let _ = done;
            }
        }));
    }
    let mut readers = Vec::new();
    for r in 0..3 {
        let (stop, reads, mut con) = (stop.clone(), reads.clone(), server.client());
        let dst = key_on_shard("sorted", r % SHARDS, SHARDS);
        readers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let values: Vec<i64> = if r == 0 {
                    redis::cmd("SORT").arg(&["names", "BY", "bal_*", "GET", "bal_*"][..]).query(&mut con).unwrap()
                } else if r == 1 {
                    redis::cmd("SORT_RO").arg(&["names", "BY", "nosort", "GET", "bal_*"][..]).query(&mut con).unwrap()
                } else {
                    let _: i64 = redis::cmd("SORT")
                        .arg(&["names", "GET", "bal_*", "ALPHA", "STORE", &dst][..])
                        .query(&mut con)
                        .unwrap();
                    redis::cmd("LRANGE").arg(&dst).arg(0).arg(-1).query(&mut con).unwrap()
                };
                assert_eq!(values.iter().sum::<i64>(), total, "torn SORT: {values:?}");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Clients that send a SORT and leave.
    let line = encode(&line_args("SORT names BY bal_* GET bal_* STORE gone"));
    for _ in 0..100 {
        let mut raw = server.raw();
        raw.send(&line);
        drop(raw);
    }
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 50, "readers ran concurrently with the writers");
    let values: Vec<i64> =
        redis::cmd("SORT").arg(&["names", "BY", "nosort", "GET", "bal_*"][..]).query(&mut con).unwrap();
    assert_eq!(values.iter().sum::<i64>(), total);
}
