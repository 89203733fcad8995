//! Keyspace notifications byte for byte against redis-server 7.0.15: the same commands on
//! both, with keys on different shards (4), a subscriber to every event on yet another
//! connection; the events it gets, in order, must be the same.

mod common;
use common::*;

use std::time::Duration;

/// Runs `lines` on one connection with `notify-keyspace-events` set to `flags`, and returns
/// what a pattern subscriber to every keyspace and keyevent channel received, up to the
/// events of a last `SET end 1`.
fn events(port: u16, flags: &str, lines: &[&str]) -> Vec<String> {
    let mut admin = Raw::connect(port);
    admin.words("FLUSHALL");
    assert_eq!(s(&admin.cmd(&[b"CONFIG", b"SET", b"notify-keyspace-events", flags.as_bytes()])), "+OK\r\n");
    let mut sub = Raw::connect(port);
    sub.words("PSUBSCRIBE __key*__:*");
    let mut c = Raw::connect(port);
    for line in lines {
        c.cmd(&line_args(line));
    }
    c.words("SET end 1");
    let mut got = Vec::new();
    loop {
        let frame = sub.reply_within(Duration::from_secs(5)).expect("the events of SET end");
        let (_, items) = flat(&frame);
        let text = format!("{} {}", s(&items[2]), s(&items[3]));
        if text == "__keyspace@0__:end set" || text == "__keyevent@0__:set end" && !flags.contains('K') {
            break;
        }
        got.push(text);
    }
    admin.cmd(&[b"CONFIG", b"SET", b"notify-keyspace-events", b""]);
    got
}

fn compare(flags: &str, lines: &[&str]) {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let want = events(redis.port, flags, lines);
    let got = events(shardis.port, flags, lines);
    assert!(!want.is_empty());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "event {i} (flags {flags}); redis sent {want:#?}\nshardis sent {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "flags {flags}; redis sent {want:#?}\nshardis sent {got:#?}");
}

const STRINGS: &[&str] = &[
    "SET s1 v",
    "SET s1 v2 EX 100",
    "SET s1 v3 KEEPTTL",
    "SET s2 v NX",
    "SET s2 v NX",
    "SET s3 v XX",
    "SET s2 w GET",
    "SET s4 v PXAT 1",
    "SETNX s5 v",
    "SETNX s5 v",
    "SETEX s6 100 v",
    "PSETEX s7 100000 v",
    "GETSET s6 w",
    "GETDEL s6",
    "GETDEL s6",
    "GETEX s7 EX 100",
    "GETEX s7 PERSIST",
    "GETEX s7 PERSIST",
    "GETEX s7",
    "GETEX s7 PXAT 1",
    "MSET m1 a m2 b m3 c",
    "MSETNX m1 a m9 b",
    "MSETNX n1 a n2 b",
    "INCR i1",
    "DECR i1",
    "INCRBY i1 5",
    "DECRBY i1 5",
    "INCRBYFLOAT f1 1.5",
    "APPEND a1 x",
    "APPEND a1 y",
    "SETRANGE r1 2 x",
    "SETRANGE r1 0 ''",
    "SETRANGE r9 0 ''",
    "GET nosuch",
    "GET s1",
    "MGET s1 nosuch m2",
    "STRLEN nosuch",
];

#[test]
fn string_events_match_redis() {
    compare("KEA", STRINGS);
    compare("Kg$", STRINGS);
    compare("KEAnm", STRINGS);
}
