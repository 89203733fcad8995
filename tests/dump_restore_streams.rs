//! DUMP and RESTORE of streams against the reference redis-server 7.0.15: payloads move both
//! ways with equal contents (XINFO STREAM FULL, XINFO GROUPS, XRANGE), shardis's DUMP of a
//! stream equals Redis's for the same history (node listpacks, metadata, groups; delivery and
//! seen times aside, which are each server's clock), Redis 5's and 7.2's stream types restore
//! as described by the format, corrupt payloads are refused with Redis's error, and COPY,
//! RENAME, TYPE, OBJECT ENCODING and MEMORY USAGE handle streams.
//!
//! The payloads of the older and newer types are built here from the format itself (see
//! `StreamSpec`), not by shardis's writer.

mod common;

use common::{dump, restore, Proc};
use redis::Value as V;
use shardis::persistence::listpack::Builder;
use shardis::persistence::rdb::{self, Reader, Writer};

fn redis_ref() -> Proc {
    Proc::redis(&["--sanitize-dump-payload", "yes"])
}

fn run(con: &mut redis::Connection, line: &str) -> V {
    let args = common::line_args(line);
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// A command's reply or error, as text.
fn try_run(con: &mut redis::Connection, line: &str) -> String {
    let args = common::line_args(line);
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    match c.query::<V>(con) {
        Ok(v) => text_of(&v),
        Err(e) => format!("error {:?} {:?}", e.code(), e.detail()),
    }
}

/// A reply as text; integers that are millisecond clock readings (delivery and seen times)
/// show as `T` when `mask`, since two servers building the same history read different clocks.
fn text(v: &V, mask: bool, out: &mut String) {
    match v {
        V::Nil => out.push_str("nil"),
        V::Int(n) if mask && *n > 100_000_000_000 => out.push('T'),
        V::Int(n) => out.push_str(&n.to_string()),
        V::BulkString(b) => out.push_str(&String::from_utf8_lossy(b)),
        V::SimpleString(s) => out.push_str(s),
        V::Okay => out.push_str("OK"),
        V::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                text(item, mask, out);
            }
            out.push(']');
        }
        other => out.push_str(&format!("{other:?}")),
    }
}

/// What a stream key holds, as text: its type and encoding, XINFO STREAM (short and FULL),
/// XINFO GROUPS and XRANGE.
fn state(con: &mut redis::Connection, key: &str, mask: bool) -> String {
    let mut out = String::new();
    for line in [
        format!("TYPE {key}"),
        format!("OBJECT ENCODING {key}"),
        format!("XINFO STREAM {key}"),
        format!("XINFO STREAM {key} FULL"),
        format!("XINFO GROUPS {key}"),
        format!("XRANGE {key} - +"),
    ] {
        text(&run(con, &line), mask, &mut out);
        out.push('\n');
    }
    out
}

/// The payload's stream object with every string rewritten uncompressed and, when `mask`,
/// every delivery, seen and active time zeroed: two payloads compare by what they hold (LZF
/// output may legitimately differ) but byte for byte in every structure. Walks the format
/// independently of shardis's stream codec (it uses only the primitive reader and writer).
fn canonical(payload: &[u8], mask: bool) -> Vec<u8> {
    let object = rdb::verify_payload(payload).expect("valid footer");
    let mut r = Reader::new(object);
    let mut w = Writer::new().with_compression(false);
    let t = r.object_type().unwrap();
    assert!([15, 19, 21].contains(&t), "type {t}");
    w.u8(t);
    let copy_len = |r: &mut Reader, w: &mut Writer| {
        let n = r.len().unwrap();
        w.len(n);
        n
    };
    let copy_time = |r: &mut Reader, w: &mut Writer| {
        let t = r.u64_le().unwrap();
        w.u64_le(if mask { 0 } else { t });
    };
    let nodes = copy_len(&mut r, &mut w);
    for _ in 0..2 * nodes {
        w.string(&r.string().unwrap());
    }
    for _ in 0..if t == 15 { 3 } else { 8 } {
        copy_len(&mut r, &mut w);
    }
    let groups = copy_len(&mut r, &mut w);
    for _ in 0..groups {
        w.string(&r.string().unwrap());
        for _ in 0..if t == 15 { 2 } else { 3 } {
            copy_len(&mut r, &mut w);
        }
        let pel = copy_len(&mut r, &mut w);
        for _ in 0..pel {
            w.bytes(r.bytes(16).unwrap());
            copy_time(&mut r, &mut w);
            copy_len(&mut r, &mut w);
        }
        let consumers = copy_len(&mut r, &mut w);
        for _ in 0..consumers {
            w.string(&r.string().unwrap());
            copy_time(&mut r, &mut w);
            if t == 21 {
                copy_time(&mut r, &mut w);
            }
            let n = copy_len(&mut r, &mut w);
            w.bytes(r.bytes(16 * n as usize).unwrap());
        }
    }
    assert!(r.is_at_end(), "trailing bytes in {payload:02x?}");
    w.into_inner()
}

/// XADDs of `n` entries to `key` with explicit IDs `first + i` ms, fields by `fields(i)`.
fn xadds(key: &str, range: std::ops::Range<u64>, fields: impl Fn(u64) -> String) -> Vec<String> {
    range.map(|i| format!("XADD {key} {}-{} {}", 1000 + i, i % 3, fields(i))).collect()
}

struct Case {
    name: &'static str,
    setup: Vec<String>,
    /// Whether the payloads hold no clock readings, so that equal histories dump equal bytes.
    timeless: bool,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name, timeless, setup: Vec<String>| cases.push(Case { name, setup, timeless });
    add(
        "plain stream",
        true,
        xadds("k", 0..150, |i| match i % 5 {
            0 => format!("temp {} unit c", i * 7),
            1 => format!("temp -{i} unit c"),
            2 => format!("name sensor-{i} 12345678901 x"),
            3 => format!("temp {i}.5 unit f"),
            _ => "temp 9223372036854775807 unit ''".to_string(),
        }),
    );
    let mut deleted = vec!["CONFIG SET stream-node-max-entries 3".to_string()];
    deleted.extend(xadds("k", 0..20, |i| format!("f {i} g v{i}")));
    deleted.extend(
        ["XDEL k 1000-0", "XDEL k 1004-1 1005-2", "XDEL k 1009-0 1010-1 1011-2", "XDEL k 1014-2", "XTRIM k MAXLEN 13"]
            .map(String::from),
    );
    deleted.push("XADD k 2000-0 f x".into());
    add("deleted entries and several nodes", true, deleted);
    // A MINID trim that leaves a node whose entries are all deleted (Redis keeps it).
    add(
        "a node of deleted entries",
        true,
        [
            "CONFIG SET stream-node-max-entries 3",
            "XADD k 1-0 a 1",
            "XADD k 2-0 a 2",
            "XADD k 3-0 a 3",
            "XADD k 4-0 a 4",
            "XDEL k 3-0",
            "XTRIM k MINID 3",
            "XADD k 5-0 a 5",
        ]
        .map(String::from)
        .to_vec(),
    );
    add(
        "big values cut by bytes",
        true,
        xadds("k", 0..40, |i| format!("v {} w {}", "x".repeat(150 + i as usize * 7), "ab".repeat(i as usize))),
    );
    let mut by_bytes =
        vec!["CONFIG SET stream-node-max-entries 0".to_string(), "CONFIG SET stream-node-max-bytes 300".into()];
    by_bytes.extend(xadds("k", 0..60, |i| format!("field{} value{}", i % 4, i * 131)));
    add("node byte limit only", true, by_bytes);
    add(
        "wide IDs",
        true,
        [
            "XADD k 5-18446744073709551615 a 1",
            "XADD k 6-0 a 2",
            "XADD k 1700000000000-5 a 3",
            "XADD k 1700000000000-100000 b 4",
            "XADD k 18446744073709551615-18446744073709551615 c 5",
        ]
        .map(String::from)
        .to_vec(),
    );
    add(
        "emptied stream",
        true,
        ["XADD k 1-1 a 1", "XADD k 1-2 a 2", "XDEL k 1-1 1-2", "XGROUP CREATE k g 0"].map(String::from).to_vec(),
    );
    add("empty stream with a group", true, vec!["XGROUP CREATE k g $ MKSTREAM".into()]);
    add(
        "groups without consumers",
        true,
        [
            "XADD k 1-1 a 1",
            "XADD k 2-1 a 2",
            "XADD k 3-1 a 3",
            "XGROUP CREATE k g1 0",
            "XGROUP CREATE k g2 $",
            "XGROUP CREATE k 123 2-1 ENTRIESREAD 2",
            "XGROUP CREATE k '' 1-1",
            "XDEL k 2-1",
        ]
        .map(String::from)
        .to_vec(),
    );
    let mut groups = vec!["CONFIG SET stream-node-max-entries 4".to_string()];
    groups.extend(xadds("k", 0..12, |i| format!("n {i}")));
    groups.extend(
        [
            "XGROUP CREATE k g1 0",
            "XGROUP CREATE k g2 0",
            "XREADGROUP GROUP g1 alice COUNT 3 STREAMS k >",
            "XREADGROUP GROUP g1 bob COUNT 4 STREAMS k >",
            "XREADGROUP GROUP g1 42 COUNT 1 STREAMS k >",
            "XACK k g1 1001-1",
            "XCLAIM k g1 alice 0 1004-1 1005-2 TIME 1700000000000",
            "XCLAIM k g1 alice 0 1000-0 RETRYCOUNT 7",
            "XGROUP CREATECONSUMER k g1 idle",
            "XREADGROUP GROUP g2 carol STREAMS k >",
            "XDEL k 1002-2 1010-1",
            "XGROUP DELCONSUMER k g2 nobody",
        ]
        .map(String::from),
    );
    add("groups, consumers and pending entries", false, groups);
    cases
}

fn reset(con: &mut redis::Connection) {
    run(con, "FLUSHALL");
    run(con, "CONFIG SET stream-node-max-entries 100");
    run(con, "CONFIG SET stream-node-max-bytes 4096");
}

#[test]
fn stream_dumps_match_redis_and_restore_both_ways() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let mut exact = 0;
    for c in cases() {
        let name = c.name;
        for con in [&mut r, &mut s] {
            reset(con);
            for line in &c.setup {
                run(con, line);
            }
        }
        let want = state(&mut r, "k", true);
        assert_eq!(state(&mut s, "k", true), want, "{name}: built alike");
        let theirs = dump(&mut r, "k");
        let ours = dump(&mut s, "k");
        assert_eq!(theirs[0], rdb::RDB_TYPE_STREAM_LISTPACKS_2, "{name}");
        assert_eq!(canonical(&ours, true), canonical(&theirs, true), "{name}: DUMP contents");
        let compressed = canonical(&theirs, false) != theirs[..theirs.len() - 10];
        if c.timeless && (!compressed || ours == theirs) {
            assert_eq!(ours, theirs, "{name}: DUMP bytes");
            exact += 1;
        }
        // Redis's payload into shardis: the same stream, times included, and dumped again as
        // Redis dumped it.
        assert_eq!(restore(&mut s, "from_redis", &theirs), "OK", "{name}");
        assert_eq!(state(&mut s, "from_redis", false), state(&mut r, "k", false), "{name}: restored in shardis");
        let again = dump(&mut s, "from_redis");
        assert_eq!(canonical(&again, false), canonical(&theirs, false), "{name}: DUMP after RESTORE");
        if !compressed {
            assert_eq!(again, theirs, "{name}: DUMP bytes after RESTORE");
        }
        // Ours into Redis.
        assert_eq!(restore(&mut r, "from_shardis", &ours), "OK", "{name}");
        assert_eq!(state(&mut r, "from_shardis", false), state(&mut s, "k", false), "{name}: restored in redis");
        assert_eq!(canonical(&dump(&mut r, "from_shardis"), false), canonical(&ours, false), "{name}");
        // Both go on alike from Redis's payload restored.
        for con in [&mut r, &mut s] {
            assert_eq!(restore(con, "again", &theirs), "OK");
        }
        for line in [
            "XADD again 18446744073709551615-18446744073709551615 after 1",
            "XDEL again 1001-1",
            "XTRIM again MAXLEN 2",
            "XADD again 18446744073709551615-18446744073709551615 after 2",
        ] {
            assert_eq!(try_run(&mut s, line), try_run(&mut r, line), "{name}: {line}");
            assert_eq!(state(&mut s, "again", false), state(&mut r, "again", false), "{name}: after {line}");
        }
    }
    eprintln!("{exact} timeless payloads byte-identical");
    assert!(exact >= 6, "only {exact} timeless payloads were byte-identical");
}

/// A group of a hand-built stream payload.
struct GroupSpec {
    name: &'static str,
    last: (u64, u64),
    entries_read: i64,
    /// (ID, delivery time, delivery count).
    pel: Vec<((u64, u64), u64, u64)>,
    consumers: Vec<ConsumerSpec>,
}

/// A consumer of a hand-built group: name, seen time, active time, the IDs it holds.
type ConsumerSpec = (&'static str, u64, u64, Vec<(u64, u64)>);

/// A stream payload written from the format, in any of the three stream types.
struct StreamSpec {
    /// (master ID, listpack).
    nodes: Vec<((u64, u64), Vec<u8>)>,
    length: u64,
    last: (u64, u64),
    first: (u64, u64),
    max_deleted: (u64, u64),
    entries_added: u64,
    groups: Vec<GroupSpec>,
}

fn raw_id(id: (u64, u64)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&id.0.to_be_bytes());
    b[8..].copy_from_slice(&id.1.to_be_bytes());
    b
}

impl StreamSpec {
    fn payload(&self, t: u8, version: u16) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(t);
        w.len(self.nodes.len() as u64);
        for (master, lp) in &self.nodes {
            w.string(&raw_id(*master));
            w.string(lp);
        }
        w.len(self.length);
        w.len(self.last.0);
        w.len(self.last.1);
        if t != 15 {
            for n in [self.first.0, self.first.1, self.max_deleted.0, self.max_deleted.1, self.entries_added] {
                w.len(n);
            }
        }
        w.len(self.groups.len() as u64);
        for g in &self.groups {
            w.string(g.name.as_bytes());
            w.len(g.last.0);
            w.len(g.last.1);
            if t != 15 {
                w.len(g.entries_read as u64);
            }
            w.len(g.pel.len() as u64);
            for (id, time, count) in &g.pel {
                w.bytes(&raw_id(*id));
                w.u64_le(*time);
                w.len(*count);
            }
            w.len(g.consumers.len() as u64);
            for (name, seen, active, ids) in &g.consumers {
                w.string(name.as_bytes());
                w.u64_le(*seen);
                if t == 21 {
                    w.u64_le(*active);
                }
                w.len(ids.len() as u64);
                for id in ids {
                    w.bytes(&raw_id(*id));
                }
            }
        }
        let mut p = w.into_inner();
        p.extend_from_slice(&version.to_le_bytes());
        let crc = rdb::crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    }
}

/// One entry of a hand-built node: ID, deleted, field/value pairs.
type EntrySpec<'a> = ((u64, u64), bool, &'a [(&'a str, &'a str)]);

/// A node's listpack as Redis lays it out (see src/persistence/stream.rs's module docs).
fn node_lp(master: (u64, u64), fields: &[&str], entries: &[EntrySpec<'_>]) -> Vec<u8> {
    let mut lp = Builder::new();
    let live = entries.iter().filter(|e| !e.1).count();
    lp.push_int(live as i64);
    lp.push_int((entries.len() - live) as i64);
    lp.push_int(fields.len() as i64);
    fields.iter().for_each(|f| lp.push(f.as_bytes()));
    lp.push_int(0);
    for (id, deleted, pairs) in entries {
        let same = pairs.len() == fields.len() && pairs.iter().zip(fields).all(|((f, _), m)| f == m);
        lp.push_int(i64::from(*deleted) | if same { 2 } else { 0 });
        lp.push_int(id.0.wrapping_sub(master.0) as i64);
        lp.push_int(id.1.wrapping_sub(master.1) as i64);
        if same {
            pairs.iter().for_each(|(_, v)| lp.push(v.as_bytes()));
            lp.push_int(pairs.len() as i64 + 3);
        } else {
            lp.push_int(pairs.len() as i64);
            for (f, v) in pairs.iter() {
                lp.push(f.as_bytes());
                lp.push(v.as_bytes());
            }
            lp.push_int(2 * pairs.len() as i64 + 4);
        }
    }
    lp.finish()
}

/// Two nodes (one entry deleted, one of other fields), two groups with pending entries.
fn spec() -> StreamSpec {
    let ab: &[(&str, &str)] = &[("a", "1"), ("b", "x")];
    let ab2: &[(&str, &str)] = &[("a", "2"), ("b", "y")];
    let c: &[(&str, &str)] = &[("c", "z")];
    let ab3: &[(&str, &str)] = &[("a", "-70000"), ("b", "q")];
    let ab4: &[(&str, &str)] = &[("a", "10"), ("b", "")];
    StreamSpec {
        nodes: vec![
            ((1, 0), node_lp((1, 0), &["a", "b"], &[((1, 0), false, ab), ((1, 5), true, ab2), ((3, 0), false, c)])),
            ((5, 0), node_lp((5, 0), &["a", "b"], &[((5, 0), false, ab3), ((6, 1), false, ab4)])),
        ],
        length: 4,
        last: (7, 0),
        first: (1, 0),
        max_deleted: (1, 5),
        entries_added: 6,
        groups: vec![
            GroupSpec {
                name: "g1",
                last: (5, 0),
                entries_read: 4,
                pel: vec![
                    ((1, 0), 1_700_000_000_001, 2),
                    ((3, 0), 1_700_000_000_002, 1),
                    ((5, 0), 1_700_000_000_003, 5),
                ],
                consumers: vec![
                    ("alice", 1_700_000_000_010, 1_700_000_000_005, vec![(1, 0), (5, 0)]),
                    ("bob", 1_700_000_000_011, 1_700_000_000_006, vec![(3, 0)]),
                    ("idle", 1_700_000_000_012, 1_700_000_000_007, vec![]),
                ],
            },
            GroupSpec { name: "g2", last: (0, 0), entries_read: -1, pel: vec![], consumers: vec![] },
        ],
    }
}

/// Redis 5's type (15): Redis derives the counters it lacks; shardis derives the same.
#[test]
fn redis5_streams_restore_as_in_redis() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let mut empty = spec();
    empty.nodes.clear();
    empty.length = 0;
    empty.groups.truncate(1);
    empty.groups[0].pel.clear();
    empty.groups[0].consumers.clear();
    for (name, spec) in [("stream", spec()), ("empty stream", empty)] {
        let p = spec.payload(rdb::RDB_TYPE_STREAM_LISTPACKS, 9);
        assert_eq!(restore(&mut r, "k", &p), "OK", "{name}");
        assert_eq!(restore(&mut s, "k", &p), "OK", "{name}");
        let want = state(&mut r, "k", false);
        assert_eq!(state(&mut s, "k", false), want, "{name}");
        // Both write it as 7.0's type, the derived counters included.
        assert_eq!(canonical(&dump(&mut s, "k"), false), canonical(&dump(&mut r, "k"), false), "{name}");
    }
}

/// Redis 7.2's type (21, RDB version 11): consumers have an active time after their seen time.
/// Redis 7.0 refuses the payload's version; shardis takes it and holds what Redis 7.0 holds for
/// the same stream as its own type (19, version 10), the active times dropped.
#[test]
fn redis72_streams_restore() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let spec = spec();
    let v72 = spec.payload(rdb::RDB_TYPE_STREAM_LISTPACKS_3, 11);
    let v70 = spec.payload(rdb::RDB_TYPE_STREAM_LISTPACKS_2, 10);
    assert_eq!(restore(&mut r, "k", &v72), "ERR DUMP payload version or checksum are wrong");
    assert_eq!(restore(&mut r, "k", &v70), "OK");
    assert_eq!(restore(&mut s, "k", &v72), "OK");
    assert_eq!(state(&mut s, "k", false), state(&mut r, "k", false));
    // Written back as 7.0 writes it: byte for byte the 7.0 form of the same stream.
    assert_eq!(dump(&mut s, "k"), v70);
    assert_eq!(canonical(&dump(&mut r, "k"), false), canonical(&v70, false));
    // Version 12 (Redis 7.4) is refused.
    let v74 = spec.payload(rdb::RDB_TYPE_STREAM_LISTPACKS_2, 12);
    assert_eq!(restore(&mut s, "k", &v74), "ERR DUMP payload version or checksum are wrong");
    // 7.2's listpack set (type 20) restores as the set it holds.
    let mut lp = Builder::new();
    for m in ["a", "1", "b"] {
        lp.push(m.as_bytes());
    }
    let mut w = Writer::new();
    w.u8(rdb::RDB_TYPE_SET_LISTPACK);
    w.string(&lp.finish());
    let mut p = w.into_inner();
    p.extend_from_slice(&11u16.to_le_bytes());
    let crc = rdb::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(restore(&mut s, "set", &p), "OK");
    let mut members: Vec<String> = redis::cmd("SMEMBERS").arg("set").query(&mut s).unwrap();
    members.sort();
    assert_eq!(members, ["1", "a", "b"]);
}

/// Hand-built payloads that are corrupt. `redis_too`: Redis (with `sanitize-dump-payload yes`)
/// refuses it as well; the others are nonsense Redis takes and shardis refuses (see
/// src/persistence/stream.rs).
fn corrupt_specs() -> Vec<(&'static str, bool, Vec<u8>)> {
    let v70 = |f: &dyn Fn(&mut StreamSpec)| {
        let mut spec = spec();
        f(&mut spec);
        spec.payload(rdb::RDB_TYPE_STREAM_LISTPACKS_2, 10)
    };
    let one: &[(&str, &str)] = &[("a", "1")];
    let mut short_key = {
        let mut w = Writer::new();
        w.u8(rdb::RDB_TYPE_STREAM_LISTPACKS_2);
        w.len(1);
        w.string(&[0u8; 15]);
        w.string(&node_lp((0, 1), &["a"], &[((0, 1), false, one)]));
        for n in [1, 0, 1, 0, 1, 0, 0, 1, 0] {
            w.len(n);
        }
        w.into_inner()
    };
    short_key.extend_from_slice(&10u16.to_le_bytes());
    let crc = rdb::crc64(&short_key);
    short_key.extend_from_slice(&crc.to_le_bytes());
    vec![
        ("master ID of 15 bytes", true, short_key),
        ("empty listpack", true, v70(&|s| s.nodes[1].1 = Builder::new().finish())),
        ("node that is an empty string", true, v70(&|s| s.nodes[1].1.clear())),
        ("node twice", true, v70(&|s| s.nodes[1].0 = s.nodes[0].0)),
        (
            "bad lp-count",
            true,
            v70(&|s| {
                let lp = &mut s.nodes[1].1;
                // The last entry's lp-count (a small integer) is the byte before its backlen.
                let at = lp.len() - 3;
                lp[at] += 1;
            }),
        ),
        ("group twice", true, v70(&|s| s.groups[1].name = "g1")),
        ("consumer twice", true, v70(&|s| s.groups[0].consumers[1].0 = "alice")),
        ("pending entry twice", true, v70(&|s| s.groups[0].pel[1].0 = (1, 0))),
        ("consumer entry not pending", true, v70(&|s| s.groups[0].consumers[2].3.push((6, 1)))),
        ("pending entry held by nobody", true, v70(&|s| s.groups[0].consumers[1].3.clear())),
        (
            "a consumer left out",
            true,
            v70(&|s| {
                s.groups.truncate(1);
                s.groups[0].consumers.truncate(1);
            }),
        ),
        ("length not the live entries", false, v70(&|s| s.length = 5)),
        ("last ID below the entries", false, v70(&|s| s.last = (6, 0))),
        ("fewer entries added than live", false, v70(&|s| s.entries_added = 3)),
        ("nodes out of order", false, v70(&|s| s.nodes.swap(0, 1))),
        ("pending entry held twice", false, v70(&|s| s.groups[0].consumers[1].3.push((1, 0)))),
        ("read counter below -1", false, v70(&|s| s.groups[0].entries_read = -5)),
        (
            "entries out of order",
            false,
            v70(&|s| {
                let e: &[(&str, &str)] = &[("a", "1"), ("b", "x")];
                s.nodes[1].1 = node_lp((5, 0), &["a", "b"], &[((6, 1), false, e), ((5, 0), false, e)]);
            }),
        ),
    ]
}

#[test]
fn corrupt_stream_payloads_are_refused() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let good = spec().payload(rdb::RDB_TYPE_STREAM_LISTPACKS_2, 10);
    assert_eq!(restore(&mut r, "k", &good), "OK");
    assert_eq!(restore(&mut s, "k", &good), "OK");
    for (name, redis_too, p) in corrupt_specs() {
        assert_eq!(restore(&mut s, "k", &p), "ERR Bad data format", "{name}");
        if redis_too {
            assert_eq!(restore(&mut r, "k", &p), "ERR Bad data format", "{name}");
        }
    }
    // Random damage to real payloads: shardis answers as Redis does or refuses where it means
    // to be stricter, holds what Redis holds when both take it, and keeps serving.
    let mut seeds = vec![good];
    for c in cases() {
        reset(&mut r);
        for line in &c.setup {
            run(&mut r, line);
        }
        seeds.push(dump(&mut r, "k"));
    }
    let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
    let mut next = move |n: usize| rng.usize(..n.max(1));
    let (mut same, mut stricter, mut total) = (0, 0, 0);
    for seed in &seeds {
        let object = &seed[..seed.len() - 10];
        for i in 0..40 {
            let mut o = object.to_vec();
            if i < 4 {
                o.truncate(1 + next(o.len() - 1));
            } else {
                let at = 1 + next(o.len() - 1);
                o[at] = match next(3) {
                    0 => o[at] ^ (1 << next(8)),
                    1 => o[at].wrapping_add(1),
                    _ => next(256) as u8,
                };
            }
            o.extend_from_slice(&10u16.to_le_bytes());
            let crc = rdb::crc64(&o);
            o.extend_from_slice(&crc.to_le_bytes());
            total += 1;
            let got = restore(&mut s, "k", &o);
            let want = restore(&mut r, "k", &o);
            assert!(got == "OK" || got == "ERR Bad data format", "{got}");
            if got == want {
                same += 1;
                if got == "OK" {
                    assert_eq!(state(&mut s, "k", false), state(&mut r, "k", false), "{o:02x?}");
                }
            } else {
                assert_eq!((want.as_str(), got.as_str()), ("OK", "ERR Bad data format"), "{o:02x?}");
                stricter += 1;
            }
            let pong: String = redis::cmd("PING").query(&mut s).unwrap();
            assert_eq!(pong, "PONG");
        }
    }
    eprintln!("{same} of {total} damaged payloads answered alike, {stricter} refused by shardis only");
    assert!(same * 4 >= total * 3, "{same} of {total} answered alike");
}

/// COPY (here and across shards), RENAME, TYPE, OBJECT ENCODING and MEMORY USAGE of streams;
/// a copy is a value of its own.
#[test]
fn streams_copy_rename_and_describe() {
    let redis = redis_ref();
    let shardis = Proc::shardis(&[]);
    let (mut r, mut s) = (redis.client(), shardis.client());
    let src = common::key_on_shard("src", 0, common::SHARDS);
    let near = common::key_on_shard("near", 0, common::SHARDS);
    let far = common::key_on_shard("far", 2, common::SHARDS);
    let renamed = common::key_on_shard("renamed", 3, common::SHARDS);
    let setup = [
        format!("XADD {src} 1-1 a 1"),
        format!("XADD {src} 2-1 a 2 b 3"),
        format!("XGROUP CREATE {src} g 0"),
        format!("XREADGROUP GROUP g alice STREAMS {src} >"),
        format!("XCLAIM {src} g bob 0 1-1 TIME 1700000000000"),
    ];
    for con in [&mut r, &mut s] {
        for line in &setup {
            run(con, line);
        }
    }
    let want = state(&mut r, &src, true);
    assert_eq!(state(&mut s, &src, true), want);
    let memory: i64 = redis::cmd("MEMORY").arg("USAGE").arg(&src).query(&mut s).unwrap();
    assert!(memory > 100, "MEMORY USAGE {memory}");
    for dst in [&near, &far] {
        for con in [&mut r, &mut s] {
            assert_eq!(text_of(&run(con, &format!("COPY {src} {dst}"))), "1");
        }
        assert_eq!(state(&mut s, dst, true), state(&mut r, dst, true), "COPY to {dst}");
        assert_eq!(state(&mut s, dst, false), state(&mut s, &src, false), "COPY to {dst}");
        // Changing the copy leaves the source as it was.
        for con in [&mut r, &mut s] {
            run(con, &format!("XADD {dst} 3-1 c 4"));
            run(con, &format!("XACK {dst} g 1-1 2-1"));
            run(con, &format!("XGROUP DESTROY {dst} g"));
        }
        assert_eq!(state(&mut s, dst, true), state(&mut r, dst, true), "changed copy {dst}");
        assert_eq!(state(&mut s, &src, true), want, "source after changing {dst}");
    }
    for con in [&mut r, &mut s] {
        run(con, &format!("RENAME {src} {renamed}"));
        assert_eq!(text_of(&run(con, &format!("EXISTS {src}"))), "0");
    }
    assert_eq!(state(&mut s, &renamed, true), want);
    assert_eq!(state(&mut s, &renamed, true), state(&mut r, &renamed, true));
}

fn text_of(v: &V) -> String {
    let mut out = String::new();
    text(v, false, &mut out);
    out
}
