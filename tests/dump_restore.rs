//! DUMP and RESTORE of every type against the reference redis-server 7.0.15: payloads move both
//! ways with equal contents and encodings, DUMP bytes equal Redis's wherever Redis is
//! deterministic, old RDB encodings restore as Redis restores them, and corrupt payloads are
//! refused with Redis's error while the server keeps running.
//!
//! Redis runs with `sanitize-dump-payload yes`, the deep checks shardis always makes.

mod common;

use common::{dump, restore, Proc};
use redis::Value as V;
use shardis::persistence::rdb::{self, Reader, Writer};

fn redis_ref() -> Proc {
    Proc::redis(&["--sanitize-dump-payload", "yes"])
}

fn cmd(con: &mut redis::Connection, args: &[&[u8]]) -> redis::RedisResult<V> {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

fn run(con: &mut redis::Connection, line: &str) {
    let args = common::line_args(line);
    cmd(con, &args).unwrap_or_else(|e| panic!("{line}: {e}"));
}

/// A value's contents in a comparable form (hash and set members sorted), and its encoding.
fn contents(con: &mut redis::Connection, key: &str) -> (String, String) {
    contents_of(con, key, false)
}

/// [`contents`], with every type's items sorted when `sort_all` (a corrupt listpack sorted set
/// out of order stays out of order in Redis, which never checks; shardis sorts it).
fn contents_of(con: &mut redis::Connection, key: &str, sort_all: bool) -> (String, String) {
    let kind: String = redis::cmd("TYPE").arg(key).query(con).unwrap();
    let encoding: String = redis::cmd("OBJECT").arg("ENCODING").arg(key).query(con).unwrap();
    let mut items: Vec<Vec<u8>> = match kind.as_str() {
        "string" => vec![redis::cmd("GET").arg(key).query(con).unwrap()],
        "list" => redis::cmd("LRANGE").arg(key).arg(0).arg(-1).query(con).unwrap(),
        "hash" => {
            let pairs: Vec<(Vec<u8>, Vec<u8>)> = redis::cmd("HGETALL").arg(key).query(con).unwrap();
            pairs.into_iter().map(|(f, v)| [f, b"=".to_vec(), v].concat()).collect()
        }
        "set" => redis::cmd("SMEMBERS").arg(key).query(con).unwrap(),
        "zset" => {
            let pairs: Vec<(Vec<u8>, Vec<u8>)> =
                redis::cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES").query(con).unwrap();
            pairs.into_iter().map(|(m, s)| [m, b"=".to_vec(), s].concat()).collect()
        }
        other => panic!("unexpected type {other}"),
    };
    if kind == "hash" || kind == "set" || (sort_all && kind == "zset") {
        items.sort();
    }
    let text = items.iter().map(|i| String::from_utf8_lossy(i).into_owned()).collect::<Vec<_>>().join(",");
    (format!("{kind}:{text}"), encoding)
}

/// The payload's object with every string rewritten uncompressed, so that two payloads compare
/// by what they hold (LZF output may legitimately differ, see rdb.rs) but byte for byte in
/// every structure: lengths, integer encodings, listpack and intset blobs.
fn canonical(payload: &[u8]) -> Vec<u8> {
    let object = rdb::verify_payload(payload).expect("valid footer");
    let mut r = Reader::new(object);
    let mut w = Writer::new().with_compression(false);
    let t = r.object_type().unwrap();
    w.u8(t);
    let copy_string = |r: &mut Reader, w: &mut Writer| {
        // Integer-encoded strings stay integers: the writer picks the same encoding again.
        let s = r.string().unwrap();
        w.string(&s);
    };
    match t {
        rdb::RDB_TYPE_STRING | rdb::RDB_TYPE_HASH_LISTPACK | rdb::RDB_TYPE_ZSET_LISTPACK | rdb::RDB_TYPE_SET_INTSET => {
            copy_string(&mut r, &mut w)
        }
        rdb::RDB_TYPE_LIST_QUICKLIST_2 => {
            let n = r.len().unwrap();
            w.len(n);
            for _ in 0..n {
                w.len(r.len().unwrap());
                copy_string(&mut r, &mut w);
            }
        }
        rdb::RDB_TYPE_SET | rdb::RDB_TYPE_HASH | rdb::RDB_TYPE_ZSET_2 => {
            let n = r.len().unwrap();
            w.len(n);
            for _ in 0..n {
                copy_string(&mut r, &mut w);
                match t {
                    rdb::RDB_TYPE_HASH => copy_string(&mut r, &mut w),
                    rdb::RDB_TYPE_ZSET_2 => w.f64_le(r.f64_le().unwrap()),
                    _ => {}
                }
            }
        }
        other => panic!("type {other}"),
    }
    assert!(r.is_at_end(), "trailing bytes in {payload:02x?}");
    w.into_inner()
}

/// Whether the payload holds an LZF-compressed string anywhere (its canonical form differs).
fn compressed(payload: &[u8]) -> bool {
    canonical(payload) != payload[..payload.len() - 10]
}

struct Case {
    name: &'static str,
    /// Commands building the key `k` (on both servers).
    setup: Vec<String>,
    /// Whether Redis's DUMP is a function of the contents (no hash-table iteration order).
    deterministic: bool,
}

fn case(name: &'static str, deterministic: bool, setup: &[String]) -> Case {
    Case { name, setup: setup.to_vec(), deterministic }
}

fn words(prefix: &str, items: impl IntoIterator<Item = String>) -> String {
    let mut line = prefix.to_string();
    for i in items {
        line.push(' ');
        line.push_str(&i);
    }
    line
}

fn cases() -> Vec<Case> {
    let long = "x".repeat(100);
    let lzf = "abcdefghij".repeat(10);
    let ints = [
        "0",
        "1",
        "-1",
        "127",
        "128",
        "-4096",
        "4095",
        "4096",
        "-32769",
        "8388608",
        "2147483648",
        "-9223372036854775808",
    ];
    let mixed: Vec<String> = ints
        .iter()
        .map(|s| s.to_string())
        .chain(["a", "007", "-0", "+5", "1.5", "''", "hello"].map(String::from))
        .collect();
    vec![
        // The remaining types are strings and sorted sets in Redis's own formats.
        case("sparse HyperLogLog", true, &[words("PFADD k", (0..50).map(|i| format!("e{i}")))]),
        case("dense HyperLogLog", true, &[words("PFADD k", (0..3000).map(|i| format!("e{i}")))]),
        case("bitmap", true, &["SETBIT k 1000 1".into(), "SETBIT k 3 1".into()]),
        case("geo set", true, &["GEOADD k 13.361389 38.115556 Palermo 15.087269 37.502669 Catania".into()]),
        case("small list", true, &[words("RPUSH k", mixed.clone())]),
        case(
            "list with a long compressible string",
            true,
            &[words("RPUSH k", [lzf.clone(), "x".into(), long.clone()])],
        ),
        case("multi-node list", true, &[words("RPUSH k", (0..3000).map(|i| format!("element-{i}")))]),
        case("multi-node list of integers", true, &[words("RPUSH k", (0..5000).map(|i| (i * 7919).to_string()))]),
        case(
            "list of 10-byte strings",
            true,
            &[words("RPUSH k", (0..2000).map(|i| format!("{:010}", i * 3 + 1_000_000_000)))],
        ),
        case(
            "list with big elements",
            true,
            &[words("RPUSH k", (0..40).map(|i| format!("{i}{}", "y".repeat(500 + i * 97))))],
        ),
        case(
            "list with fill 5",
            true,
            &["CONFIG SET list-max-listpack-size 5".into(), words("RPUSH k", (0..23).map(|i| i.to_string()))],
        ),
        case(
            "list with fill -1",
            true,
            &["CONFIG SET list-max-listpack-size -1".into(), words("RPUSH k", (0..900).map(|i| format!("v{i}")))],
        ),
        case("small hash", true, &[words("HSET k", mixed.iter().enumerate().map(|(i, v)| format!("f{i} {v}")))]),
        case("hash with integer fields", true, &[words("HSET k", ints.iter().map(|i| format!("{i} {i}")))]),
        case("hash with a compressible value", true, &[format!("HSET k a {} b {}", "z".repeat(60), "z".repeat(60))]),
        case(
            "hash rewritten and trimmed",
            true,
            &["HSET k a 1 b 2 c 3 d 4".into(), "HSET k b 20".into(), "HDEL k c".into()],
        ),
        case("hash with a long value", false, &[format!("HSET k a {long} b 2")]),
        case("big hash", false, &[words("HSET k", (0..600).map(|i| format!("field:{i} {i}")))]),
        case("intset", true, &["SADD k 1 5 -3 300 70000".into()]),
        case("wide intset", true, &["SADD k 1 -9223372036854775808 9223372036854775807".into()]),
        case("intset of 32-bit members", true, &["SADD k 1 -2147483648 65536".into()]),
        case("big intset", true, &[words("SADD k", (0..400).map(|i| (i * 1000 - 7).to_string()))]),
        case("set of strings", false, &["SADD k a b c 1".into()]),
        case("set past the intset limit", false, &[words("SADD k", (0..600).map(|i| i.to_string()))]),
        case(
            "small zset",
            true,
            &["ZADD k 1 a 1.5 b 0.1 c 0 d 1e20 e 4503599627370497 f inf g -inf h 3 i -2.5e-300 j 123456789012 k 0 l"
                .into()],
        ),
        case("zset with integer members", true, &["ZADD k 1 10 2 20 2 -5 3 70000 3 x".into()]),
        case("big zset", true, &[words("ZADD k", (0..300).map(|i| format!("{} m{}", (i % 37) as f64 * 0.7 - 3.0, i)))]),
        case("zset with a long member", true, &[format!("ZADD k 1 {long} 2 b 1.25 c")]),
        case("zset of thirds", true, &[words("ZADD k", (0..50).map(|i| format!("{} t{i}", f64::from(i) / 3.0)))]),
    ]
}

#[test]
fn dumps_match_redis_and_restore_both_ways() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let (mut exact, mut compared) = (0, 0);
    for c in cases() {
        for con in [&mut r, &mut s] {
            run(con, "FLUSHALL");
            run(con, "CONFIG SET list-max-listpack-size -2");
            for line in &c.setup {
                run(con, line);
            }
        }
        let name = c.name;
        let want = contents(&mut r, "k");
        assert_eq!(contents(&mut s, "k"), want, "{name}: built alike");
        let theirs = dump(&mut r, "k");
        let ours = dump(&mut s, "k");
        assert_eq!(ours[0], theirs[0], "{name}: RDB type");
        if c.deterministic {
            assert_eq!(canonical(&ours), canonical(&theirs), "{name}: DUMP contents");
            compared += 1;
            if !compressed(&theirs) || ours == theirs {
                assert_eq!(ours, theirs, "{name}: DUMP bytes");
                exact += 1;
            }
        }
        // Redis's payload into shardis, and ours into Redis.
        assert_eq!(restore(&mut s, "from_redis", &theirs), "OK", "{name}");
        assert_eq!(contents(&mut s, "from_redis"), want, "{name}: restored in shardis");
        assert_eq!(restore(&mut r, "from_shardis", &ours), "OK", "{name}");
        assert_eq!(contents(&mut r, "from_shardis"), want, "{name}: restored in redis");
        // Both restore each payload into the same encoding.
        for payload in [&theirs, &ours] {
            restore(&mut r, "again", payload);
            restore(&mut s, "again", payload);
            assert_eq!(contents(&mut s, "again"), contents(&mut r, "again"), "{name}: restored alike");
        }
        // A payload restored in shardis dumps the same again.
        if c.deterministic {
            assert_eq!(canonical(&dump(&mut s, "from_redis")), canonical(&ours), "{name}: DUMP after RESTORE");
        }
    }
    eprintln!("{exact} of {compared} payloads byte-identical");
    assert!(exact * 4 >= compared * 3, "only {exact} of {compared} payloads were byte-identical");
}

#[test]
fn restored_encodings_follow_the_configuration() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    for con in [&mut r, &mut s] {
        run(con, "HSET h a 1 b 2 c 3");
        run(con, "SADD st 1 2 3");
        run(con, "ZADD z 1 a 2 b 3 c");
        run(con, &words("HSET bigh", (0..20).map(|i| format!("f{i} v"))));
        run(con, &words("SADD bigs", (0..20).map(|i| i.to_string())));
        run(con, &words("ZADD bigz", (0..20).map(|i| format!("{i} m{i}"))));
    }
    let keys = ["h", "st", "z", "bigh", "bigs", "bigz"];
    let payloads: Vec<Vec<u8>> = keys.iter().map(|k| dump(&mut r, k)).collect();
    for config in [
        "CONFIG SET hash-max-listpack-entries 2 set-max-intset-entries 2 zset-max-listpack-entries 2",
        "CONFIG SET hash-max-listpack-entries 512 set-max-intset-entries 512 zset-max-listpack-entries 128",
        "CONFIG SET hash-max-listpack-value 0 zset-max-listpack-value 0",
    ] {
        for con in [&mut r, &mut s] {
            run(con, config);
        }
        for (k, p) in keys.iter().zip(&payloads) {
            let key = format!("{k}-copy");
            assert_eq!(restore(&mut s, &key, p), restore(&mut r, &key, p), "{config} {k}");
            assert_eq!(contents(&mut s, &key), contents(&mut r, &key), "{config} {k}");
        }
    }
}

/// A ziplist of string entries (and small integers, as Redis 6 wrote them).
fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let (mut prev, mut last) = (0usize, 10usize);
    for e in entries {
        let start = body.len();
        last = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(254);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match std::str::from_utf8(e).ok().and_then(|s| s.parse::<u8>().ok()).filter(|_| e.len() == 1) {
            Some(d) if d <= 9 => body.push(0xf1 + d),
            _ if e.len() < 64 => {
                body.push(e.len() as u8);
                body.extend_from_slice(e);
            }
            _ => {
                body.push(0x40 | (e.len() >> 8) as u8);
                body.push(e.len() as u8);
                body.extend_from_slice(e);
            }
        }
        prev = body.len() - start;
    }
    let mut zl = Vec::new();
    zl.extend_from_slice(&((11 + body.len()) as u32).to_le_bytes());
    zl.extend_from_slice(&(last as u32).to_le_bytes());
    zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xff);
    zl
}

/// A payload of type `t` whose object is written by `f`, with an RDB version of 9 (an older
/// writer) and a right CRC.
fn payload(t: u8, f: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(t);
    f(&mut w);
    let mut p = w.into_inner();
    p.extend_from_slice(&9u16.to_le_bytes());
    let crc = rdb::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn strings(w: &mut Writer, items: &[&[u8]]) {
    w.len(items.len() as u64);
    items.iter().for_each(|i| w.string(i));
}

fn old_payloads() -> Vec<(&'static str, Vec<u8>)> {
    let long = vec![b'L'; 300];
    let items: Vec<&[u8]> = vec![b"a", b"1", b"", b"hello", b"12345678901", &long, b"7"];
    let pairs: Vec<&[u8]> = vec![b"f1", b"v1", b"2", b"3", b"f3", b""];
    let zpairs: Vec<&[u8]> = vec![b"c", b"-inf", b"a", b"1", b"b", b"2.5", b"d", b"3"];
    let zipmap = b"\x02\x03foo\x03\x02barXX\x05hello\x05\x00world\xff".to_vec();
    vec![
        ("plain list", payload(rdb::RDB_TYPE_LIST, |w| strings(w, &items))),
        ("ziplist list", payload(rdb::RDB_TYPE_LIST_ZIPLIST, |w| w.string(&ziplist(&items)))),
        (
            "quicklist of ziplists",
            payload(rdb::RDB_TYPE_LIST_QUICKLIST, |w| {
                w.len(2);
                w.string(&ziplist(&items[..3]));
                w.string(&ziplist(&items[3..]));
            }),
        ),
        ("plain set", payload(rdb::RDB_TYPE_SET, |w| strings(w, &[b"1", b"2", b"-5"]))),
        ("plain set of strings", payload(rdb::RDB_TYPE_SET, |w| strings(w, &[b"1", b"x"]))),
        ("plain hash", payload(rdb::RDB_TYPE_HASH, |w| strings(w, &[b"a", b"1", b"b", b"2"]))),
        ("plain hash, long value", payload(rdb::RDB_TYPE_HASH, |w| strings(w, &[b"a", &long]))),
        ("zipmap hash", payload(rdb::RDB_TYPE_HASH_ZIPMAP, |w| w.string(&zipmap))),
        ("ziplist hash", payload(rdb::RDB_TYPE_HASH_ZIPLIST, |w| w.string(&ziplist(&pairs)))),
        ("ziplist hash, long value", payload(rdb::RDB_TYPE_HASH_ZIPLIST, |w| w.string(&ziplist(&[b"a", &long])))),
        (
            "text-score zset",
            payload(rdb::RDB_TYPE_ZSET, |w| {
                w.len(4);
                for (m, s) in [(&b"a"[..], &b"1.5"[..]), (b"b", b"-3"), (b"c", b"1e3")] {
                    w.string(m);
                    w.u8(s.len() as u8);
                    w.bytes(s);
                }
                w.string(b"inf");
                w.u8(254);
            }),
        ),
        (
            "binary-score zset",
            payload(rdb::RDB_TYPE_ZSET_2, |w| {
                w.len(2);
                w.string(b"x");
                w.f64_le(0.25);
                w.string(&long);
                w.f64_le(-7.0);
            }),
        ),
        ("ziplist zset", payload(rdb::RDB_TYPE_ZSET_ZIPLIST, |w| w.string(&ziplist(&zpairs)))),
    ]
}

/// Payloads that are well-formed RDB but that Redis refuses or treats specially.
fn edge_payloads() -> Vec<(&'static str, Vec<u8>)> {
    let lp = |items: &[&[u8]]| {
        let mut b = shardis::persistence::listpack::Builder::new();
        items.iter().for_each(|i| b.push(i));
        b.finish()
    };
    let quicklist = |nodes: Vec<(u64, Vec<u8>)>| {
        payload(rdb::RDB_TYPE_LIST_QUICKLIST_2, move |w| {
            w.len(nodes.len() as u64);
            for (container, blob) in &nodes {
                w.len(*container);
                w.string(blob);
            }
        })
    };
    let zset2 = |pairs: &[(&[u8], f64)]| {
        let pairs: Vec<(Vec<u8>, f64)> = pairs.iter().map(|(m, s)| (m.to_vec(), *s)).collect();
        payload(rdb::RDB_TYPE_ZSET_2, move |w| {
            w.len(pairs.len() as u64);
            for (m, s) in &pairs {
                w.string(m);
                w.f64_le(*s);
            }
        })
    };
    vec![
        ("quicklist with an empty node", quicklist(vec![(2, lp(&[])), (2, lp(&[b"a", b"1"]))])),
        ("quicklist of empty nodes", quicklist(vec![(2, lp(&[])), (2, lp(&[]))])),
        ("quicklist without nodes", quicklist(vec![])),
        ("quicklist with a plain node", quicklist(vec![(2, lp(&[b"a"])), (1, b"plain".to_vec()), (2, lp(&[b"z"]))])),
        ("quicklist node of container 3", quicklist(vec![(3, lp(&[b"a"]))])),
        ("quicklist node that is an empty string", quicklist(vec![(2, Vec::new())])),
        ("empty list", payload(rdb::RDB_TYPE_LIST, |w| w.len(0))),
        ("empty set", payload(rdb::RDB_TYPE_SET, |w| w.len(0))),
        ("empty hash listpack", payload(rdb::RDB_TYPE_HASH_LISTPACK, |w| w.string(&lp(&[])))),
        ("odd hash listpack", payload(rdb::RDB_TYPE_HASH_LISTPACK, |w| w.string(&lp(&[b"a", b"1", b"b"])))),
        (
            "hash listpack with a repeated field",
            payload(rdb::RDB_TYPE_HASH_LISTPACK, |w| w.string(&lp(&[b"a", b"1", b"a", b"2"]))),
        ),
        (
            "zset listpack with a repeated member",
            payload(rdb::RDB_TYPE_ZSET_LISTPACK, |w| w.string(&lp(&[b"a", b"1", b"a", b"2"]))),
        ),
        ("hash with a repeated field", payload(rdb::RDB_TYPE_HASH, |w| strings(w, &[b"a", b"1", b"a", b"2"]))),
        ("set with a repeated integer", payload(rdb::RDB_TYPE_SET, |w| strings(w, &[b"1", b"2", b"1"]))),
        ("set with a repeated string", payload(rdb::RDB_TYPE_SET, |w| strings(w, &[b"x", b"y", b"x"]))),
        ("zset with a repeated member", zset2(&[(b"a", 1.0), (b"a", 2.0)])),
        ("zset with a NaN score", zset2(&[(b"a", f64::NAN)])),
        ("zset with -0", zset2(&[(b"a", -0.0), (b"b", 1.0)])),
        ("empty intset", payload(rdb::RDB_TYPE_SET_INTSET, |w| w.string(b"\x02\x00\x00\x00\x00\x00\x00\x00"))),
        (
            "unsorted intset",
            payload(rdb::RDB_TYPE_SET_INTSET, |w| w.string(b"\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00")),
        ),
        ("stream type", payload(rdb::RDB_TYPE_STREAM_LISTPACKS, |w| w.len(0))),
        ("module type", payload(rdb::RDB_TYPE_MODULE_2, |w| w.len(0))),
    ]
}

#[test]
fn older_encodings_restore_as_in_redis() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    for (name, p) in old_payloads().into_iter().chain(edge_payloads()) {
        let want = restore(&mut r, "k", &p);
        assert_eq!(restore(&mut s, "k", &p), want, "{name}");
        if want == "OK" {
            assert_eq!(contents(&mut s, "k"), contents(&mut r, "k"), "{name}");
        }
    }
}

/// Rewrites a payload's footer after its object was changed.
fn refooter(mut object: Vec<u8>) -> Vec<u8> {
    object.extend_from_slice(&10u16.to_le_bytes());
    let crc = rdb::crc64(&object);
    object.extend_from_slice(&crc.to_le_bytes());
    object
}

#[test]
fn corrupt_payloads_are_refused_like_redis() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let mut seeds: Vec<Vec<u8>> = old_payloads().into_iter().map(|(_, p)| p).collect();
    for c in cases().into_iter().filter(|c| !c.name.contains("multi-node") && !c.name.starts_with("big")) {
        run(&mut r, "FLUSHALL");
        run(&mut r, "CONFIG SET list-max-listpack-size -2");
        for line in &c.setup {
            run(&mut r, line);
        }
        seeds.push(dump(&mut r, "k"));
    }
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n.max(1) as u64) as usize
    };
    let (mut same, mut stricter, mut total) = (0, 0, 0);
    for seed in &seeds {
        let object = &seed[..seed.len() - 10];
        let mut variants: Vec<Vec<u8>> = Vec::new();
        // Truncated, footer redone.
        for cut in [1, 2, object.len() / 2, object.len() - 1] {
            variants.push(refooter(object[..cut.min(object.len())].to_vec()));
        }
        // A changed byte, CRC fixed up; counts and lengths sit near the front.
        for _ in 0..25 {
            let mut o = object.to_vec();
            let at = if next(2) == 0 { 1 + next(4.min(o.len() - 1)) } else { next(o.len()) };
            o[at] = match next(3) {
                0 => o[at] ^ (1 << next(8)),
                1 => o[at].wrapping_add(1),
                _ => next(256) as u8,
            };
            variants.push(refooter(o));
        }
        // A wrong CRC, and a truncated footer.
        let mut bad_crc = seed.clone();
        *bad_crc.last_mut().unwrap() ^= 1;
        variants.push(bad_crc);
        variants.push(seed[..seed.len() - 3].to_vec());
        for v in variants {
            total += 1;
            let want = restore(&mut r, "k", &v);
            let got = restore(&mut s, "k", &v);
            assert!(
                got == "OK" || got == "ERR Bad data format" || got == "ERR DUMP payload version or checksum are wrong",
                "{got}"
            );
            if got == want {
                same += 1;
                if got == "OK" {
                    assert_eq!(contents_of(&mut s, "k", true), contents_of(&mut r, "k", true), "{v:02x?}");
                }
            } else {
                // shardis may refuse what Redis takes, never the other way round, and only where
                // it means to: an object that reads on into the payload's footer (Redis reads
                // the object from the whole payload) or a score that is not a number.
                assert_eq!((want.as_str(), got.as_str()), ("OK", "ERR Bad data format"), "{v:02x?}");
                let reads_into_footer = rdb::read_payload_value(&v, &rdb::Encodings::default()).is_ok();
                let score_type = [rdb::RDB_TYPE_ZSET, rdb::RDB_TYPE_ZSET_ZIPLIST, rdb::RDB_TYPE_ZSET_LISTPACK];
                assert!(reads_into_footer || score_type.contains(&v[0]), "refused by shardis only: {v:02x?}");
                stricter += 1;
            }
            // Whatever happened, the server answers and the key is usable or absent.
            let pong: String = redis::cmd("PING").query(&mut s).unwrap();
            assert_eq!(pong, "PONG");
            if got == "OK" {
                contents(&mut s, "k");
            }
        }
    }
    assert!(same + stricter == total && same * 10 >= total * 9, "{same} of {total} answered alike");
}

/// Random histories of small collections (one quicklist node, listpack hashes, sorted sets,
/// 16-bit intsets): Redis's DUMP is a function of their contents (hash tables aside), so the
/// bytes must match.
#[test]
fn random_small_collections_dump_alike() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n.max(1) as u64) as usize
    };
    let word = |next: &mut dyn FnMut(usize) -> usize| -> String {
        match next(6) {
            0 => (next(300) as i64 - 150).to_string(),
            1 => (next(100_000) as i64 * 977 - 40_000_000).to_string(),
            2 => format!("w{}", next(40)),
            3 => "z".repeat(next(70)),
            4 => format!("{}.{}", next(10), next(1000)),
            _ => format!("0{}", next(50)),
        }
    };
    for round in 0..150 {
        let mut lines = Vec::new();
        for _ in 0..1 + next(25) {
            let (a, b) = (word(&mut next), word(&mut next));
            let a = if a.is_empty() { "e".to_string() } else { a };
            let b = if b.is_empty() { "e".to_string() } else { b };
            let small_int = (next(2000) as i64 - 1000).to_string();
            let line = match next(14) {
                0 => format!("RPUSH l {a} {b}"),
                1 => format!("LPUSH l {a}"),
                2 => "LPOP l".to_string(),
                3 => "RPOP l".to_string(),
                4 => format!("LINSERT l BEFORE {b} {a}"),
                5 => format!("LREM l 0 {a}"),
                6 => format!("HSET h {a} {b}"),
                7 => format!("HDEL h {a}"),
                8 => format!("SADD s {small_int}"),
                9 => format!("SREM s {small_int}"),
                10 => format!("ZADD z {} {a}", next(50) as f64 / 4.0 - 3.0),
                11 => format!("ZINCRBY z 0.3 {a}"),
                12 => format!("ZREM z {a}"),
                _ => format!("LSET l 0 {a}"),
            };
            lines.push(line);
        }
        for con in [&mut r, &mut s] {
            run(con, "FLUSHALL");
            for line in &lines {
                // LSET on a missing key and the like fail alike on both; only the state matters.
                let _ = cmd(con, &common::line_args(line));
            }
        }
        for key in ["l", "h", "s", "z"] {
            let theirs: Option<Vec<u8>> = redis::cmd("DUMP").arg(key).query(&mut r).unwrap();
            let ours: Option<Vec<u8>> = redis::cmd("DUMP").arg(key).query(&mut s).unwrap();
            let (Some(theirs), Some(ours)) = (theirs, ours) else {
                assert_eq!(contents_or_none(&mut r, key), contents_or_none(&mut s, key), "round {round}: {lines:?}");
                continue;
            };
            assert_eq!(ours[0], theirs[0], "round {round} key {key}: {lines:?}");
            if theirs[0] == rdb::RDB_TYPE_HASH {
                // A hash table: its order is the table's.
                assert_eq!(contents(&mut s, key), contents(&mut r, key), "round {round} key {key}: {lines:?}");
                continue;
            }
            assert_eq!(canonical(&ours), canonical(&theirs), "round {round} key {key}: {lines:?}");
            if !compressed(&theirs) {
                assert_eq!(ours, theirs, "round {round} key {key}: {lines:?}");
            }
        }
    }
}

fn contents_or_none(con: &mut redis::Connection, key: &str) -> Option<(String, String)> {
    let n: i64 = redis::cmd("EXISTS").arg(key).query(con).unwrap();
    (n == 1).then(|| contents(con, key))
}

/// RESTORE's options as Redis parses them (IDLETIME and FREQ exclude each other), and IDLETIME
/// setting the key's access time, so OBJECT IDLETIME reports it at once.
#[test]
fn restore_idletime_and_freq() {
    let (redis, shardis) = (redis_ref(), Proc::shardis(&[]));
    let mut transcripts = Vec::new();
    for server in [&redis, &shardis] {
        let mut raw = server.raw();
        assert_eq!(raw.words("SET src v"), b"+OK\r\n");
        let payload = common::flat(&raw.words("DUMP src")).1.remove(0);
        let mut out = String::new();
        let options: &[&[&str]] = &[
            &["IDLETIME", "1", "FREQ", "1"],
            &["FREQ", "1", "IDLETIME", "1"],
            &["IDLETIME", "-1"],
            &["IDLETIME", "x"],
            &["IDLETIME"],
            &["FREQ", "1", "FREQ", "300"],
            &["FREQ", "5"],
            &["IDLETIME", "7", "IDLETIME", "1000", "REPLACE"],
        ];
        for opts in options {
            let mut args: Vec<&[u8]> = vec![b"RESTORE", b"k", b"0", &payload];
            args.extend(opts.iter().map(|o| o.as_bytes()));
            out.push_str(&format!("{opts:?} -> {}", common::s(&raw.cmd(&args))));
        }
        let idle = common::s(&raw.words("OBJECT IDLETIME k"));
        assert!([":1000\r\n", ":1001\r\n"].contains(&idle.as_str()), "{idle}");
        transcripts.push(out);
    }
    assert_eq!(transcripts[1], transcripts[0]);
}
