//! Keyspace notifications byte for byte against redis-server 7.0.15: the same commands on
//! both, with keys on different shards (4), a subscriber to every event on yet another
//! connection; the events it gets, in order, must be the same.

mod common;
use common::*;

use std::time::Duration;

/// Runs `lines` (`sleep MS` pauses) on one connection with `notify-keyspace-events` set to `flags`, and returns
/// what a pattern subscriber to every keyspace and keyevent channel received, up to the
/// `del` event of a last `DEL end` (every set of flags here has `g`).
fn events(port: u16, flags: &str, lines: &[&str]) -> Vec<String> {
    let mut admin = Raw::connect(port);
    admin.words("FLUSHALL");
    assert_eq!(s(&admin.cmd(&[b"CONFIG", b"SET", b"notify-keyspace-events", flags.as_bytes()])), "+OK\r\n");
    let mut sub = Raw::connect(port);
    sub.words("PSUBSCRIBE __key*__:*");
    let mut c = Raw::connect(port);
    for line in lines {
        match line.strip_prefix("sleep ") {
            Some(ms) => std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep MS"))),
            None => {
                c.cmd(&line_args(line));
            }
        }
    }
    c.words("SET end 1");
    c.words("DEL end");
    let mut got = Vec::new();
    loop {
        let frame = sub.reply_within(Duration::from_secs(5)).expect("the events of DEL end");
        let (_, items) = flat(&frame);
        let text = format!("{} {}", s(&items[2]), s(&items[3]));
        if text == "__keyspace@0__:end del" || text == "__keyevent@0__:del end" && !flags.contains('K') {
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

const GENERIC: &[&str] = &[
    "MSET a 1 b 2 c 3 d 4 e 5",
    "DEL a nosuch b",
    "DEL c",
    "UNLINK d nosuch e",
    "SET x 1",
    "EXPIRE x 100",
    "EXPIRE x 100 NX",
    "PEXPIRE x 200000 XX",
    "EXPIREAT x 99999999999",
    "PEXPIREAT x 99999999999999 GT",
    "PERSIST x",
    "PERSIST x",
    "EXPIRE x 0",
    "EXPIRE nosuch 10",
    "SET r1 a",
    "SET r2 b",
    "RENAME r1 r2",
    "RENAME r2 r3",
    "RENAME r3 r3",
    "RENAMENX r3 r4",
    "SET r5 x",
    "RENAMENX r4 r5",
    "COPY r4 c1",
    "COPY r4 c1",
    "COPY r4 c1 REPLACE",
    "COPY r4 c2 DB 1",
    "MOVE r4 1",
    "MOVE r5 1",
    "SET t 1 PX 1",
    // Expired by the GET on both servers, however fast the two lines follow each other.
    "sleep 5",
    "GET t",
    "EXISTS t",
    "TOUCH c1 nosuch",
    "TYPE nosuch",
    "SELECT 1",
    "DEL c2 r4",
    "SELECT 0",
];

#[test]
fn generic_events_match_redis() {
    compare("KEA", GENERIC);
    compare("KEAnm", GENERIC);
    compare("Eg", GENERIC);
}

const LISTS: &[&str] = &[
    "LPUSH l1 a b c",
    "RPUSH l1 d",
    "LPUSHX nosuch a",
    "RPUSHX l1 e",
    "LPOP l1",
    "RPOP l1 2",
    "LPOP l1 0",
    "LPOP nosuch",
    "LSET l1 0 z",
    "LINSERT l1 BEFORE z y",
    "LINSERT l1 BEFORE nope y",
    "LREM l1 0 nope",
    "LREM l1 1 y",
    "RPUSH l2 a b c d",
    "LTRIM l2 1 2",
    "LTRIM l2 5 6",
    "RPUSH l3 a b",
    "LMOVE l3 l4 LEFT RIGHT",
    "LMOVE l3 l5 RIGHT LEFT",
    "RPOPLPUSH l4 l4",
    "RPUSH l6 a",
    "RPOPLPUSH l6 l7",
    "LMPOP 2 nosuch l7 RIGHT COUNT 5",
    "RPUSH l8 a b c",
    "LMPOP 1 l8 LEFT",
    "BLPOP nosuch l8 1",
    "BRPOP l8 1",
    "RPUSH l9 x",
    "BLMOVE l9 l10 LEFT LEFT 1",
    "BLMPOP 1 1 l10 LEFT COUNT 3",
    "LRANGE l1 0 -1",
    "LLEN nosuch",
];

#[test]
fn list_events_match_redis() {
    compare("KEA", LISTS);
    compare("Elg", LISTS);
    compare("KEAnm", LISTS);
}

const HASHES_SETS_ZSETS: &[&str] = &[
    "HSET h1 a 1 b 2",
    "HSET h1 a 1",
    "HMSET h1 c 3",
    "HSETNX h1 a 9",
    "HSETNX h1 d 4",
    "HINCRBY h1 n 5",
    "HINCRBYFLOAT h1 f 1.5",
    "HDEL h1 nope",
    "HDEL h1 a b",
    "HDEL h1 c d n f",
    "HGET nosuch a",
    "SADD s1 a b c",
    "SADD s1 a",
    "SREM s1 nope",
    "SREM s1 a",
    "SADD s2 x",
    "SMOVE s1 s2 b",
    "SMOVE s1 s3 c",
    "SMOVE s2 s3 zz",
    "SADD s4 1 2 3 4 5",
    "SPOP s4",
    "SPOP s4 2",
    "SPOP s4 10",
    "SADD s5 a b",
    "SADD s6 b c",
    "SINTERSTORE d1 s5 s6",
    "SUNIONSTORE d2 s5 s6",
    "SDIFFSTORE d3 s5 s6",
    "SINTERSTORE d1 s5 nosuch",
    "SINTERSTORE d9 s5 nosuch",
    "SUNIONSTORE d4 s5 nosuch",
    "SDIFFSTORE d5 s5 nosuch",
    "SINTER s5 nosuch",
    "SUNION s5 nosuch",
    "ZADD z1 1 a 2 b",
    "ZADD z1 1 a",
    "ZADD z1 XX 5 a",
    "ZADD z1 NX 5 a",
    "ZADD z1 INCR 1 a",
    "ZINCRBY z1 2 b",
    "ZREM z1 nope",
    "ZREM z1 a",
    "ZADD z2 1 a 2 b 3 c 4 d 5 e",
    "ZREMRANGEBYRANK z2 0 0",
    "ZREMRANGEBYSCORE z2 2 2",
    "ZREMRANGEBYLEX z2 [d [d",
    "ZREMRANGEBYSCORE z2 100 200",
    "ZPOPMIN z2",
    "ZPOPMAX z2 5",
    "ZADD z3 1 a 2 b 3 c",
    "ZADD z4 1 b 5 x",
    "ZUNIONSTORE u1 2 z3 z4",
    "ZINTERSTORE u2 2 z3 z4",
    "ZDIFFSTORE u3 2 z3 z4",
    "ZINTERSTORE u2 2 z3 nosuch",
    "ZRANGESTORE u4 z3 0 1",
    "ZRANGESTORE u4 z3 10 20",
    "ZMPOP 2 nosuch z3 MIN COUNT 2",
    "BZPOPMIN nosuch z3 1",
    "ZADD z5 1 a 2 b",
    "BZPOPMAX z5 1",
    "BZMPOP 1 1 z5 MAX",
];

#[test]
fn hash_set_zset_events_match_redis() {
    compare("KEA", HASHES_SETS_ZSETS);
    compare("Eghsz", HASHES_SETS_ZSETS);
    compare("KEAnm", HASHES_SETS_ZSETS);
}

/// Streams (`a`, `b`, `c`, `d` live on four shards): an XADD that trims sends `xadd` then
/// `xtrim`; commands that change nothing (XDEL of missing IDs, XTRIM with nothing to trim,
/// NOMKSTREAM on a missing key, a second CREATECONSUMER or DESTROY) send nothing; XREADGROUP,
/// XCLAIM and XAUTOCLAIM send `xgroup-createconsumer` when they create the consumer, which they
/// do only when they deliver something (or XREADGROUP reads history).
const STREAMS: &[&str] = &[
    "XADD a 1 f v",
    "XADD a 2 f v",
    "XADD a MAXLEN 1 3 f v",
    "XADD a MAXLEN 5 4 f v",
    "XADD a 2 f v",
    "XADD b NOMKSTREAM 1 f v",
    "XDEL a 3",
    "XDEL a 99",
    "XTRIM a MAXLEN 0",
    "XTRIM a MAXLEN 0",
    "XSETID a 10",
    "XGROUP CREATE a g $",
    "XGROUP CREATE c g $ MKSTREAM",
    "XGROUP CREATE c g $ MKSTREAM",
    "XGROUP CREATECONSUMER a g c",
    "XGROUP CREATECONSUMER a g c",
    "XREADGROUP GROUP g c1 STREAMS a >",
    "XADD a 11 f v",
    "XREADGROUP GROUP g c2 STREAMS a >",
    "XREADGROUP GROUP g c2 STREAMS a 0",
    "XREADGROUP GROUP g c3 STREAMS a 0",
    "XCLAIM a g c4 0 11",
    "XCLAIM a g c5 0 99",
    "XAUTOCLAIM a g c6 0 0",
    "XAUTOCLAIM a g c7 100000000 0",
    "XACK a g 11",
    "XGROUP SETID a g 0",
    "XGROUP DELCONSUMER a g c",
    "XGROUP DELCONSUMER a g nobody",
    "XGROUP DESTROY a g",
    "XGROUP DESTROY a g",
    "XADD d MAXLEN 0 1 f v",
    "XADD d MINID ~ 5 2 f v",
    "RENAME a b",
    "COPY b s",
    "EXPIRE s 100",
    "DEL b s",
    "XTRIM d MINID 0",
    "XSETID d 5 ENTRIESADDED 5",
    "XGROUP CREATE d g2 0 ENTRIESREAD 1",
    "XGROUP SETID d g2 $ ENTRIESREAD 3",
    "XREADGROUP GROUP g2 x NOACK STREAMS d >",
    "XCLAIM d g2 y 0 1 FORCE",
    "MULTI",
    "XADD a 1 f v",
    "XADD b 1 f v",
    "XDEL a 1",
    "XGROUP CREATE b g 0",
    "XREADGROUP GROUP g z STREAMS b >",
    "EXEC",
];

#[test]
fn stream_events_match_redis() {
    compare("KEA", STREAMS);
    compare("Egt", STREAMS);
    compare("KEAn", STREAMS);
}

/// Transactions and scripts whose keys live on different shards: the events come in command
/// order; a script that escalates (its first run undone) sends only its real run's events.
#[test]
fn transaction_and_script_events_match_redis() {
    let k: Vec<String> = (0..SHARDS).map(|s| key_on_shard("tx", s, SHARDS)).collect();
    let lines: Vec<String> = vec![
        "MULTI".into(),
        format!("SET {} 1", k[0]),
        format!("INCR {}", k[1]),
        format!("LPUSH {} x", k[2]),
        format!("SADD {} m", k[3]),
        format!("DEL {} {}", k[0], k[2]),
        format!("MSET {} a {} b {} c", k[3], k[1], k[0]),
        "EXEC".into(),
        format!("EVAL redis.call('set',KEYS[1],1);redis.call('set',KEYS[2],2);return(1) 2 {} {}", k[0], k[1]),
        // Declares one key, touches another shard's: escalates after its first write.
        format!("EVAL redis.call('incr',KEYS[1]);redis.call('incr',ARGV[1]);return(1) 1 {} {}", k[2], k[3]),
        format!("EVAL redis.call('incr',KEYS[1]);redis.call('incr',ARGV[1]);return(1) 1 {} {}", k[2], k[3]),
        format!("EVAL redis.call('del',KEYS[1]);return(redis.call('rpush',KEYS[1],'a')) 1 {}", k[1]),
        // Moves between shards.
        "FLUSHALL".into(),
        format!("RPUSH {} a b c", k[0]),
        format!("BLMOVE {} {} LEFT RIGHT 1", k[0], k[1]),
        format!("LMOVE {} {} RIGHT LEFT", k[0], k[2]),
        format!("RPOPLPUSH {} {}", k[0], k[3]),
        format!("SADD {} m", k[0]),
        format!("SMOVE {} {} m", k[0], k[1]),
        format!("SET {} v", k[2]),
        format!("RENAME {} {}", k[2], k[3]),
        format!("COPY {} {}", k[3], k[0]),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    compare("KEA", &lines);
    compare("KEAn", &lines);
}

/// A key nobody touches again is expired by the active cycle, which sends `expired` too.
#[test]
fn active_expiry_sends_expired() {
    for server in [Proc::redis(&[]), Proc::shardis(&[])] {
        let mut admin = Raw::connect(server.port);
        admin.words("CONFIG SET notify-keyspace-events Ex");
        let mut sub = Raw::connect(server.port);
        sub.words("SUBSCRIBE __keyevent@0__:expired");
        for i in 0..8 {
            admin.words(&format!("SET gone{i} 1 PX 20"));
        }
        let mut got: Vec<String> = (0..8)
            .map(|_| {
                let frame = sub.reply_within(Duration::from_secs(5)).expect("an expired event");
                s(&flat(&frame).1[2])
            })
            .collect();
        got.sort();
        assert_eq!(got, (0..8).map(|i| format!("gone{i}")).collect::<Vec<_>>());
    }
}

/// RESTORE's events (its payload is binary, so this one runs outside the line runner).
#[test]
fn restore_events_match_redis() {
    let mut seen = Vec::new();
    for server in [Proc::redis(&[]), Proc::shardis(&[])] {
        let mut admin = Raw::connect(server.port);
        admin.words("CONFIG SET notify-keyspace-events KEAn");
        admin.words("RPUSH src a b c");
        let payload = flat(&admin.words("DUMP src")).1.remove(0);
        let mut sub = Raw::connect(server.port);
        sub.words("PSUBSCRIBE __keyspace@0__:*");
        let mut c = Raw::connect(server.port);
        c.cmd(&[b"RESTORE", b"r1", b"0", &payload]);
        c.cmd(&[b"RESTORE", b"r1", b"0", &payload]);
        c.cmd(&[b"RESTORE", b"r1", b"0", &payload, b"REPLACE"]);
        c.cmd(&[b"RESTORE", b"r1", b"1", &payload, b"REPLACE", b"ABSTTL"]);
        c.cmd(&[b"RESTORE", b"r2", b"100000", &payload]);
        c.words("DEL end");
        c.words("SET end 1");
        let mut got = Vec::new();
        loop {
            let frame = sub.reply_within(Duration::from_secs(5)).expect("events");
            let (_, items) = flat(&frame);
            let text = format!("{} {}", s(&items[2]), s(&items[3]));
            if text == "__keyspace@0__:end set" {
                break;
            }
            got.push(text);
        }
        seen.push(got);
    }
    assert!(!seen[0].is_empty());
    assert_eq!(seen[1], seen[0]);
}

#[test]
fn bitmap_events_match_redis() {
    compare(
        "KEA",
        &[
            "SETBIT b1 7 1",
            "SETBIT b1 7 1",
            "SETBIT b1 100 0",
            "BITFIELD b2 SET u8 0 200 GET u4 0",
            "BITFIELD b2 GET u8 0",
            "BITFIELD b2 OVERFLOW FAIL INCRBY u8 0 100",
            "BITFIELD b3 OVERFLOW FAIL SET u2 0 9",
            "BITFIELD b2 SET u8 0 200",
            "BITFIELD b2 INCRBY u8 0 0",
            "BITFIELD b2 SET u8 0 200 SET u8 40 0",
            "BITFIELD b6 SET u8 0 0",
            "BITOP OR b4 b1 b2",
            "BITOP AND b4 b1 nosuch",
            "BITOP NOT b5 b1",
            "BITOP AND b5 nosuch1 nosuch2",
            "BITFIELD_RO b1 GET i8 0",
        ],
    );
}

#[test]
fn hyperloglog_events_match_redis() {
    compare(
        "KEA",
        &[
            "PFADD h1 a b c",
            "PFADD h1 a",
            "PFADD h2",
            "PFCOUNT h1",
            "PFMERGE h3 h1 h2",
            "PFMERGE h1",
            "PFCOUNT h1 h2 h3",
        ],
    );
}

#[test]
fn geo_events_match_redis() {
    compare(
        "KEA",
        &[
            "GEOADD g 13.361389 38.115556 a 15.087269 37.502669 b",
            "GEOADD g 13.361389 38.115556 a",
            "GEOADD g XX 1 1 c",
            "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
            "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
            "GEOSEARCHSTORE d nosuch FROMLONLAT 15 37 BYRADIUS 200 km",
            "GEORADIUS g 15 37 200 km STORE d2",
            "GEORADIUSBYMEMBER g a 200 km STOREDIST d3",
            "GEORADIUS g 15 37 0 km STORE d3",
            "GEORADIUS g 15 37 0 km STORE d3",
        ],
    );
}

#[test]
fn sort_events_match_redis() {
    compare(
        "KEA",
        &[
            "RPUSH l 3 1 2",
            "SET w_1 5",
            "SORT l STORE d",
            "SORT l BY w_* GET w_* STORE d2",
            "SORT l BY w_* GET nosuch_*",
            "SORT l LIMIT 0 0 STORE d",
            "SORT l LIMIT 0 0 STORE d",
            "SORT nosuch STORE d2",
            "SORT_RO l BY w_*",
        ],
    );
    // A lookup that misses is a `keymiss`, in the order SORT looks: the BY keys, then the GETs.
    compare("KEgm", &["RPUSH l 3 1 2", "SET w_1 5", "SET g_2 x", "SORT l BY w_* GET g_* GET #", "SORT_RO nosuch"]);
}
