//! MEMORY's subcommands against redis-server 7.0.15: the same errors, help and reports where
//! the numbers do not show, the same STATS fields, and MEMORY USAGE close to what a key really
//! costs here.

mod common;
use common::*;

#[test]
fn memory_subcommands_answer_as_redis_does() {
    let cases: &[&[&str]] = &[&[
        "MEMORY HELP",
        "MEMORY DOCTOR",
        "MEMORY PURGE",
        "MEMORY STATS x",
        "MEMORY DOCTOR x",
        "MEMORY PURGE x",
        "MEMORY MALLOC-STATS x",
        "MEMORY NOPE",
        "MEMORY USAGE",
        "MEMORY USAGE nokey",
    ]];
    run_cases_then(cases, &[]);
}

/// STATS's names, in order (the numbers are each server's own).
fn stats_names(port: u16) -> Vec<String> {
    let mut r = Raw::connect(port);
    assert_eq!(r.words("SET k v"), b"+OK\r\n");
    let (_, items) = flat(&r.cmd(&[b"MEMORY", b"STATS"]));
    // Scalars come as name, value pairs, but db.0's map is a name followed by its own pairs.
    items.iter().map(|i| s(i)).filter(|i| i.chars().next().is_some_and(|c| c.is_ascii_alphabetic())).collect()
}

#[test]
fn memory_stats_has_redis_fields_and_the_malloc_report_is_jemalloc_s() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&["--shards", "4"]);
    assert_eq!(stats_names(shardis.port), stats_names(redis.port));
    let mut r = shardis.raw();
    let report = s(&r.cmd(&[b"MEMORY", b"MALLOC-STATS"]));
    assert!(report.contains("___ Begin jemalloc statistics ___"), "{}", &report[..report.len().min(200)]);
    let mut con = shardis.client();
    let doctor: String = redis::cmd("MEMORY").arg("DOCTOR").query(&mut con).unwrap();
    assert!(doctor.starts_with("Hi Sam"), "{doctor}");
}

/// MEMORY USAGE is within 20% of what keys of each kind really cost (used_memory grows by).
#[test]
fn memory_usage_is_close_to_the_real_cost() {
    let shardis = Proc::shardis(&["--shards", "1"]);
    let mut con = shardis.client();
    let used = |con: &mut redis::Connection| -> f64 {
        let text: String = redis::cmd("INFO").arg("memory").query(con).unwrap();
        text.lines().find_map(|l| l.strip_prefix("used_memory:")).unwrap().trim().parse().unwrap()
    };
    type Maker<'a> = &'a dyn Fn(&str) -> redis::Cmd;
    let kinds: &[(&str, Maker)] = &[
        ("string", &|k| redis::cmd("SET").arg(k).arg("x".repeat(100)).clone()),
        ("list", &|k| redis::cmd("RPUSH").arg(k).arg((0..50).map(|i| format!("item{i}")).collect::<Vec<_>>()).clone()),
        ("hash", &|k| {
            redis::cmd("HSET")
                .arg(k)
                .arg((0..20).flat_map(|i| [format!("f{i}"), format!("v{i}")]).collect::<Vec<_>>())
                .clone()
        }),
        ("set", &|k| {
            redis::cmd("SADD").arg(k).arg((0..200).map(|i| format!("member:{i}")).collect::<Vec<_>>()).clone()
        }),
        ("zset", &|k| {
            redis::cmd("ZADD")
                .arg(k)
                .arg((0..200).flat_map(|i| [i.to_string(), format!("m{i}")]).collect::<Vec<_>>())
                .clone()
        }),
    ];
    // A lone key does not carry its whole table (redis-server says 160 bytes here).
    let _: () = redis::cmd("SET").arg("lone").arg("v".repeat(100)).query(&mut con).unwrap();
    let lone: i64 = redis::cmd("MEMORY").arg("USAGE").arg("lone").query(&mut con).unwrap();
    assert!((100..400).contains(&lone), "MEMORY USAGE of a lone 100-byte string: {lone}");
    const N: usize = 3000;
    for (kind, make) in kinds {
        let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
        let before = used(&mut con);
        for i in 0..N {
            let _: () = make(&format!("{kind}:{i:06}")).query(&mut con).unwrap();
        }
        let real = (used(&mut con) - before) / N as f64;
        let mut reported = 0.0;
        for i in (0..N).step_by(30) {
            let n: i64 = redis::cmd("MEMORY").arg("USAGE").arg(format!("{kind}:{i:06}")).query(&mut con).unwrap();
            reported += n as f64;
        }
        reported /= (N / 30) as f64;
        let off = (reported - real).abs() / real;
        assert!(off <= 0.2, "{kind}: MEMORY USAGE says {reported:.0} bytes, a key costs {real:.0}");
    }
}

/// MEMORY DOCTOR's findings, on both servers: after a peak of 40 MB, with 8 MB left, it
/// reports the peak (Redis's text and frame); a client holding a 1 MB reply it does not read
/// adds the big client buffers finding on shardis (Redis's average over its clients).
#[test]
fn memory_doctor_reports_a_peak_as_redis_does() {
    for server in [Proc::redis(&[]), Proc::shardis(&["--shards", "4"])] {
        let mut con = server.client();
        let value = "x".repeat(100_000);
        for i in 0..400 {
            let _: () = redis::cmd("SET").arg(format!("big:{i}")).arg(&value).query(&mut con).unwrap();
        }
        for i in 80..400 {
            let _: () = redis::cmd("DEL").arg(format!("big:{i}")).query(&mut con).unwrap();
        }
        let doctor: String = redis::cmd("MEMORY").arg("DOCTOR").query(&mut con).unwrap();
        assert!(
            doctor.starts_with("Sam, I detected a few issues in this Redis instance memory implants:\n\n"),
            "{doctor}"
        );
        assert!(
            doctor.contains("\n\n * Peak memory: In the past this instance used more than 150% the memory"),
            "{doctor}"
        );
        assert!(doctor.ends_with(".\n\nI'm here to keep you safe, Sam. I want to help you.\n"), "{doctor}");
    }
    let shardis = Proc::shardis(&["--shards", "4"]);
    let mut con = shardis.client();
    let _: () = redis::cmd("SET").arg("v").arg("y".repeat(2_000_000)).query(&mut con).unwrap();
    let mut slow = shardis.raw();
    // 6 MB and more of replies this client does not read.
    for _ in 0..4 {
        slow.send(b"*2\r\n$3\r\nGET\r\n$1\r\nv\r\n");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let doctor: String = redis::cmd("MEMORY").arg("DOCTOR").query(&mut con).unwrap();
    assert!(
        doctor.contains(" * Big client buffers: The clients output buffers in this instance are greater than 200K"),
        "{doctor}"
    );
}
