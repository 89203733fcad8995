//! The RDB encoding of streams: written as Redis 7.0 writes it (`RDB_TYPE_STREAM_LISTPACKS_2`),
//! read in the forms of Redis 5 and 6 (`RDB_TYPE_STREAM_LISTPACKS`), 7.0 (`_2`) and 7.2 (`_3`).
//!
//! # The object
//!
//! - The node count, then each node in ID order: its master ID as a 16-byte big-endian string
//!   (Redis's radix-tree key) and the node as a listpack string (layout below).
//! - The length (live entries), the last generated ID (ms, seq as two lengths); from `_2` on,
//!   the first live entry's ID, the largest deleted ID and the count of entries ever added.
//! - The group count, then each group in name order: its name, its last delivered ID; from
//!   `_2` on its read counter (a length holding the 64 bits of the signed counter, so -1 for
//!   "unknown" takes 9 bytes); its pending entries list: a count, then per entry the raw
//!   16-byte ID, the delivery time (8 bytes little-endian, ms) and the delivery count; its
//!   consumers: a count, then per consumer in name order its name, its seen time (8 bytes
//!   little-endian, ms), in `_3` also its active time, and the IDs it holds as a count and raw
//!   16-byte IDs. A pending entry's owner is only known from the consumers' lists.
//!
//! # A node's listpack
//!
//! A master entry: the live count, the deleted count, the master field count, the field names,
//! and a 0. Then every entry, deleted ones too: its flags (1: deleted, 2: same fields as the
//! master), its ID as the differences from the master ID of ms and seq (each the 64-bit
//! wrapping difference read as signed), then either its values alone (same fields) or its
//! field count and field/value pairs, and last its "lp-count", how many listpack entries it
//! took before that one (values + 3, or 2 * fields + 4), so that it can be walked backwards.
//! Strings that are canonical integers are listpack integers, as always in a listpack.
//!
//! Our nodes are cut where Redis cuts them and remember their master fields (see
//! [`crate::store::stream`]), so a stream with the same history as a Redis stream is written
//! byte for byte as Redis writes it, delivery and seen times aside.
//!
//! # Reading
//!
//! Checked as Redis checks a stream with `sanitize-dump-payload yes` (every listpack deep, a
//! master ID that is not 16 bytes, a node without entries, a node, group, consumer or pending
//! entry that repeats, a consumer's pending entry missing from its group's list, a group
//! pending entry nobody holds), and further on what no writer produces and our stream could
//! not hold consistently: node counters or lp-counts that disagree with the entries, unknown
//! flag bits, IDs out of order (inside a node, below its master ID, across nodes, past the
//! last generated ID), a length that is not the count of live entries, fewer entries added
//! than live ones or more than 2^63, a read counter below -1, and a pending entry two
//! consumers hold.
//!
//! An old (`RDB_TYPE_STREAM_LISTPACKS`) stream gets what Redis derives for it: no deleted ID,
//! entries added = length, the first live entry's ID as first ID (the largest ID when it has
//! none, as redis-server 7.0.15 shows it), and each group's read counter estimated from its
//! last delivered ID. A 7.2 consumer's active time is read and
//! dropped: our consumers keep their seen time only.

use std::borrow::Cow;
use std::sync::Arc;

use super::listpack::{self, Entry};
use super::rdb::{
    RdbError, Reader, Writer, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2, RDB_TYPE_STREAM_LISTPACKS_3,
};
use crate::protocol::string2ll;
use crate::store::stream::{Group, NodeView, Stream, StreamId, INVALID_READ};

/// An entry flagged deleted.
const FLAG_DELETED: i64 = 1;
/// An entry whose fields are the master entry's: only its values are stored.
const FLAG_SAME_FIELDS: i64 = 2;
/// Listpack entries before an entry's values: flags, ms delta, seq delta.
const ENTRY_HEADER: i64 = 3;

/// Writes `s` as `RDB_TYPE_STREAM_LISTPACKS_2`, type byte first (`rdbSaveObject`).
pub(super) fn write(w: &mut Writer, s: &Stream) {
    write_as(w, s, RDB_TYPE_STREAM_LISTPACKS_2);
}

/// Writes `s` as stream type `rdb_type`, as the Redis version that writes that type would
/// (only `_2` is ever written; tests make the others).
fn write_as(w: &mut Writer, s: &Stream, rdb_type: u8) {
    let v2 = rdb_type != RDB_TYPE_STREAM_LISTPACKS;
    w.u8(rdb_type);
    w.len(s.nodes() as u64);
    for node in s.node_views() {
        w.string(&node.master.to_be_bytes());
        w.string(&node_listpack(&node));
    }
    w.len(s.len());
    write_id(w, s.last_id);
    if v2 {
        write_id(w, s.first_id);
        write_id(w, s.max_deleted);
        w.len(s.entries_added);
    }
    w.len(s.groups.len() as u64);
    for (name, g) in &s.groups {
        w.string(name);
        write_id(w, g.last_id);
        if v2 {
            w.len(g.entries_read as u64);
        }
        w.len(g.pel.len() as u64);
        for (id, nack) in &g.pel {
            w.bytes(&id.to_be_bytes());
            w.u64_le(nack.delivery_time);
            w.len(nack.delivery_count);
        }
        w.len(g.consumers.len() as u64);
        for (name, c) in &g.consumers {
            w.string(name);
            w.u64_le(c.seen_time);
            if rdb_type == RDB_TYPE_STREAM_LISTPACKS_3 {
                w.u64_le(c.seen_time);
            }
            w.len(c.pel.len() as u64);
            for id in &c.pel {
                w.bytes(&id.to_be_bytes());
            }
        }
    }
}

/// An ID as two lengths, ms then seq.
fn write_id(w: &mut Writer, id: StreamId) {
    w.len(id.ms);
    w.len(id.seq);
}

/// Redis's listpack of a node (see the module docs).
fn node_listpack(node: &NodeView<'_>) -> Vec<u8> {
    let mut lp = listpack::Builder::new();
    let (live, deleted) = node.counts();
    lp.push_int(live.into());
    lp.push_int(deleted.into());
    let fields = node.fields();
    lp.push_int(fields.len() as i64);
    fields.for_each(|f| lp.push(f));
    lp.push_int(0);
    let master = node.master;
    for e in node.entries() {
        let same = e.same_fields();
        let flags = if e.is_deleted() { FLAG_DELETED } else { 0 } | if same { FLAG_SAME_FIELDS } else { 0 };
        lp.push_int(flags);
        lp.push_int(e.id.ms.wrapping_sub(master.ms) as i64);
        lp.push_int(e.id.seq.wrapping_sub(master.seq) as i64);
        let n = e.len() as i64;
        if same {
            e.pairs().for_each(|(_, v)| lp.push(v));
            lp.push_int(n + ENTRY_HEADER);
        } else {
            lp.push_int(n);
            for (f, v) in e.pairs() {
                lp.push(f);
                lp.push(v);
            }
            lp.push_int(2 * n + 1 + ENTRY_HEADER);
        }
    }
    lp.finish()
}

/// Reads a stream object of type `rdb_type` (one of the three stream types, already read).
pub(super) fn read(r: &mut Reader<'_>, rdb_type: u8) -> Result<Stream, RdbError> {
    debug_assert!(matches!(
        rdb_type,
        RDB_TYPE_STREAM_LISTPACKS | RDB_TYPE_STREAM_LISTPACKS_2 | RDB_TYPE_STREAM_LISTPACKS_3
    ));
    let v2 = rdb_type != RDB_TYPE_STREAM_LISTPACKS;
    let corrupt = |offset, what| RdbError::Corrupt { offset, what };
    let mut s = Stream::default();
    // The ID of the last entry read, deleted or not.
    let mut last_entry: Option<StreamId> = None;
    let nodes = r.count(2)?;
    for _ in 0..nodes {
        let at = r.offset();
        let master = StreamId::from_be_bytes(&r.string_bytes()?).ok_or(corrupt(at, "stream node key"))?;
        if last_entry.is_some_and(|last| master <= last) {
            return Err(corrupt(at, "stream node out of order"));
        }
        let at = r.offset();
        let blob = r.string_bytes()?;
        let node = parse_node(&blob, master).ok_or(corrupt(at, "stream listpack"))?;
        let names: Vec<&[u8]> = node.names.iter().map(|n| &n[..]).collect();
        let entries: Vec<_> =
            node.entries.iter().map(|e| (e.id, e.deleted, e.pairs.iter().map(|p| &p[..]).collect())).collect();
        last_entry = entries.last().map(|e| e.0);
        s.load_node(master, &names, &entries);
    }
    let at = r.offset();
    let length = r.len()?;
    s.last_id = read_id(r)?;
    if length != s.len() {
        return Err(corrupt(at, "stream length"));
    }
    if last_entry.is_some_and(|last| last > s.last_id) {
        return Err(corrupt(at, "stream last ID"));
    }
    if v2 {
        s.first_id = read_id(r)?;
        s.max_deleted = read_id(r)?;
        let at = r.offset();
        s.entries_added = r.len()?;
        if s.entries_added < s.len() || s.entries_added > i64::MAX as u64 {
            return Err(corrupt(at, "stream entries added"));
        }
    } else {
        // Redis looks for the first live entry and, finding none, takes the largest ID.
        s.first_id = s.edge(false).map_or(StreamId::MAX, |e| e.id);
        s.entries_added = s.len();
    }
    let groups = r.count(6)?;
    for _ in 0..groups {
        let at = r.offset();
        let name = r.string()?;
        let last_id = read_id(r)?;
        let entries_read = if v2 {
            let at = r.offset();
            let n = r.len()? as i64;
            if n < INVALID_READ {
                return Err(corrupt(at, "stream group read counter"));
            }
            n
        } else {
            s.estimate_distance(last_id)
        };
        if s.groups.contains_key(&name) {
            return Err(corrupt(at, "duplicate stream group"));
        }
        let group = read_group(r, Group::new(last_id, entries_read), rdb_type == RDB_TYPE_STREAM_LISTPACKS_3)?;
        s.groups.insert(name, group);
    }
    Ok(s)
}

/// An ID as two lengths, ms then seq.
fn read_id(r: &mut Reader<'_>) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(r.len()?, r.len()?))
}

/// A raw 16-byte big-endian ID.
fn read_raw_id(r: &mut Reader<'_>) -> Result<StreamId, RdbError> {
    let raw = r.bytes(16)?;
    Ok(StreamId::from_be_bytes(raw).expect("16 bytes"))
}

/// Reads a group's pending entries list and consumers into `g`. `active_time`: each consumer
/// has one after its seen time (`RDB_TYPE_STREAM_LISTPACKS_3`).
fn read_group(r: &mut Reader<'_>, mut g: Group, active_time: bool) -> Result<Group, RdbError> {
    let corrupt = |offset, what| RdbError::Corrupt { offset, what };
    // The owner of a pending entry until a consumer's list names it.
    let nobody: Arc<[u8]> = Arc::from(&b""[..]);
    let pending = r.count(16 + 8 + 1)?;
    for _ in 0..pending {
        let at = r.offset();
        let id = read_raw_id(r)?;
        let delivery_time = r.u64_le()?;
        let delivery_count = r.len()?;
        let nack = crate::store::stream::Nack { consumer: nobody.clone(), delivery_time, delivery_count };
        if g.pel.insert(id, nack).is_some() {
            return Err(corrupt(at, "duplicate stream pending entry"));
        }
    }
    let mut owned = 0usize;
    let consumers = r.count(1 + 8 + 1)?;
    for _ in 0..consumers {
        let at = r.offset();
        let name = r.string()?;
        let seen_time = r.u64_le()?;
        if active_time {
            r.u64_le()?;
        }
        if !g.create_consumer(&name, seen_time) {
            return Err(corrupt(at, "duplicate stream consumer"));
        }
        let held = r.count(16)?;
        let consumer = g.consumers.get_mut(&name).expect("just created");
        for _ in 0..held {
            let at = r.offset();
            let id = read_raw_id(r)?;
            let nack = g.pel.get_mut(&id).ok_or(corrupt(at, "consumer entry not in the group's pending list"))?;
            if !Arc::ptr_eq(&nack.consumer, &nobody) {
                return Err(corrupt(at, "stream pending entry held twice"));
            }
            nack.consumer = consumer.name.clone();
            consumer.pel.insert(id);
            owned += 1;
        }
    }
    if owned != g.pel.len() {
        return Err(corrupt(r.offset(), "stream pending entry without consumer"));
    }
    Ok(g)
}

/// A node's contents as read from its listpack.
struct NodeData<'a> {
    names: Vec<Cow<'a, [u8]>>,
    entries: Vec<EntryData<'a>>,
}

/// One entry of a node as read.
struct EntryData<'a> {
    id: StreamId,
    deleted: bool,
    /// Field, value, field, value...
    pairs: Vec<Cow<'a, [u8]>>,
}

/// A listpack entry's bytes, borrowed when it is a string.
fn bytes(e: Entry<'_>) -> Cow<'_, [u8]> {
    match e {
        Entry::Str(s) => Cow::Borrowed(s),
        Entry::Int(v) => Cow::Owned(itoa::Buffer::new().format(v).as_bytes().to_vec()),
    }
}

/// A listpack entry as an integer, as Redis's `lpGetIntegerIfValid` reads it (a string that
/// is a canonical integer counts).
fn int(e: Entry<'_>) -> Option<i64> {
    match e {
        Entry::Int(v) => Some(v),
        Entry::Str(s) => string2ll(s),
    }
}

/// Checks and decodes a node's listpack (see the module docs for what is refused). None if
/// it is corrupt.
fn parse_node(lp: &[u8], master: StreamId) -> Option<NodeData<'_>> {
    // How many listpack entries there are bounds every count below.
    let count = listpack::for_each(lp, |_| {}).ok()?;
    let mut it = listpack::iter(lp);
    let live = u64::try_from(it.next().and_then(int)?).ok()?;
    let deleted = u64::try_from(it.next().and_then(int)?).ok()?;
    let master_fields = usize::try_from(it.next().and_then(int)?).ok().filter(|&n| n <= count)?;
    let mut names = Vec::with_capacity(master_fields);
    for _ in 0..master_fields {
        names.push(bytes(it.next()?));
    }
    if it.next().and_then(int)? != 0 {
        return None;
    }
    let total = live.checked_add(deleted)?;
    if total == 0 || total > count as u64 {
        return None;
    }
    let mut entries = Vec::with_capacity(total as usize);
    let (mut live_seen, mut prev) = (0u64, None);
    for _ in 0..total {
        let flags = it.next().and_then(int)?;
        if flags & !(FLAG_DELETED | FLAG_SAME_FIELDS) != 0 {
            return None;
        }
        let ms = master.ms.wrapping_add(it.next().and_then(int)? as u64);
        let seq = master.seq.wrapping_add(it.next().and_then(int)? as u64);
        let id = StreamId::new(ms, seq);
        if id < master || prev.is_some_and(|p| id <= p) {
            return None;
        }
        prev = Some(id);
        let mut pairs = Vec::new();
        let lp_count = if flags & FLAG_SAME_FIELDS != 0 {
            pairs.reserve(2 * names.len());
            for name in &names {
                pairs.push(name.clone());
                pairs.push(bytes(it.next()?));
            }
            names.len() as i64 + ENTRY_HEADER
        } else {
            let n = usize::try_from(it.next().and_then(int)?).ok().filter(|&n| n <= count / 2)?;
            pairs.reserve(2 * n);
            for _ in 0..2 * n {
                pairs.push(bytes(it.next()?));
            }
            2 * n as i64 + 1 + ENTRY_HEADER
        };
        if it.next().and_then(int)? != lp_count {
            return None;
        }
        let is_deleted = flags & FLAG_DELETED != 0;
        live_seen += u64::from(!is_deleted);
        entries.push(EntryData { id, deleted: is_deleted, pairs });
    }
    if it.next().is_some() || live_seen != live {
        return None;
    }
    Some(NodeData { names, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::rdb::{dump_value, read_payload_value, verify_payload, wrap_payload, Encodings};
    use crate::store::stream::{Limits, Trim};
    use crate::store::value::Value;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    fn read_back(payload: &[u8]) -> Result<Stream, RdbError> {
        let object = verify_payload(payload).unwrap();
        let v = read_payload_value(object, &Encodings::default())?;
        Ok(v.as_stream().unwrap().clone())
    }

    /// A stream with several nodes, deleted entries, entries of other fields, two groups.
    fn sample() -> Stream {
        let limits = Limits { bytes: 4096, entries: 3 };
        let mut s = Stream::default();
        for i in 1..=10u64 {
            let v = format!("v{i}");
            let big = i.to_string().repeat(30);
            let pairs: Vec<&[u8]> = match i % 3 {
                0 => vec![b"other", v.as_bytes()],
                1 => vec![b"f", v.as_bytes(), b"n", big.as_bytes()],
                _ => vec![b"f", b"-12", b"n", b"123456789012"],
            };
            s.append(id(i, i % 2), &pairs, limits);
        }
        s.delete(id(2, 0));
        s.delete(id(5, 1));
        s.trim(Trim::MaxLen(7), false, 0);
        let mut g = Group::new(id(6, 0), 4);
        for c in [&b"alice"[..], b"bob", b"1234"] {
            g.create_consumer(c, 1000);
        }
        g.add_pending(id(4, 0), b"alice", 5000);
        g.add_pending(id(6, 0), b"bob", 6000);
        g.add_pending(id(7, 1), b"alice", 7000);
        s.groups.insert(b"g1".to_vec(), g);
        s.groups.insert(b"empty".to_vec(), Group::new(StreamId::MIN, INVALID_READ));
        s
    }

    #[test]
    fn streams_round_trip() {
        for s in [sample(), Stream::default()] {
            let payload = dump_value(&Value::stream(s.clone()), true);
            assert_eq!(payload[0], RDB_TYPE_STREAM_LISTPACKS_2);
            let back = read_back(&payload).unwrap();
            assert!(back == s, "{back:?} vs {s:?}");
            assert_eq!(dump_value(&Value::stream(back), false), dump_value(&Value::stream(s), false));
        }
    }

    /// `XADD s 1-1 a 1 b hello`, `XADD s 1-2 a 2 b world`, `XADD s 2-0 c x`, `XDEL s 1-2`,
    /// `XGROUP CREATE s g 0`, `XREADGROUP GROUP g alice COUNT 1 STREAMS s >`: the DUMP of
    /// redis-server 7.0.15 (delivery and seen time 1796392048535).
    const REDIS_DUMP: &str = "130110000000000000000100000000000000014048480000001900020101010201816102816202000102\
        010001000101018568656c6c6f060501030100010101020185776f726c6406050100010101dfff020101816302817802\
        0601ff0202000101010203010167010181ffffffffffffffff010000000000000001000000000000000197574f41a201\
        0000010105616c69636597574f41a201000001000000000000000100000000000000010a00cab7e2fd4d3be7ce";

    #[test]
    fn dumps_as_redis_and_reads_redis() {
        let mut s = Stream::default();
        s.append(id(1, 1), &[b"a", b"1", b"b", b"hello"], Limits::DEFAULT);
        s.append(id(1, 2), &[b"a", b"2", b"b", b"world"], Limits::DEFAULT);
        s.append(id(2, 0), &[b"c", b"x"], Limits::DEFAULT);
        assert!(s.delete(id(1, 2)));
        s.groups.insert(b"g".to_vec(), Group::new(StreamId::MIN, INVALID_READ));
        s.advance_group(b"g", id(1, 1));
        let g = s.groups.get_mut(&b"g"[..]).unwrap();
        let now = 1796392048535;
        g.create_consumer(b"alice", now);
        g.add_pending(id(1, 1), b"alice", now);
        let node = s.node_views().next().unwrap();
        assert_eq!(node_listpack(&node).len(), node.listpack_bytes());
        let redis = hex(REDIS_DUMP);
        assert_eq!(dump_value(&Value::stream(s.clone()), true), redis);
        assert!(read_back(&redis).unwrap() == s);
    }

    #[test]
    fn corrupt_streams_are_refused() {
        let good = dump_value(&Value::stream(sample()), false);
        let object = &good[..good.len() - 10];
        // Every truncation fails cleanly.
        for cut in 1..object.len() {
            let p = wrap_payload(object[..cut].to_vec());
            assert!(read_back(&p).is_err(), "cut at {cut}");
        }
        // Any single changed byte is refused or reads as some stream; nothing panics.
        for at in 1..object.len() {
            for x in [1u8, 0x80, 0xff] {
                let mut o = object.to_vec();
                o[at] ^= x;
                let _ = read_back(&wrap_payload(o));
            }
        }
    }

    #[test]
    fn damaged_streams_never_panic() {
        let seeds = [dump_value(&Value::stream(sample()), false), hex(REDIS_DUMP)];
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
        let mut next = move |n: usize| rng.usize(..n.max(1));
        let mut accepted = 0;
        for i in 0..20_000 {
            let seed = &seeds[i % seeds.len()];
            let mut o = seed[..seed.len() - 10].to_vec();
            for _ in 0..1 + next(3) {
                let at = 1 + next(o.len() - 1);
                o[at] = if next(2) == 0 { o[at] ^ (1 << next(8)) } else { next(256) as u8 };
            }
            let Ok(s) = read_back(&wrap_payload(o)) else { continue };
            accepted += 1;
            // What the commands rely on holds: walk it, and every consumer's entry is pending
            // with that consumer.
            let mut n = 0;
            s.range(StreamId::MIN, StreamId::MAX, false, |_| {
                n += 1;
                true
            });
            assert_eq!(n, s.len());
            for g in s.groups.values() {
                let _ = s.lag(g);
                for (name, c) in &g.consumers {
                    assert!(c.pel.iter().all(|id| *g.pel[id].consumer == name[..]));
                }
            }
            assert!(read_back(&dump_value(&Value::stream(s.clone()), true)).unwrap() == s);
        }
        assert!(accepted > 100, "{accepted}");
    }

    #[test]
    fn empty_and_inconsistent_nodes_are_refused() {
        let node = |items: &[&str]| {
            let mut b = listpack::Builder::new();
            items.iter().for_each(|i| b.push(i.as_bytes()));
            b.finish()
        };
        let stream = |lp: Vec<u8>, length: u64, last: StreamId| {
            let mut w = Writer::new();
            w.u8(RDB_TYPE_STREAM_LISTPACKS);
            w.len(1);
            w.string(&id(1, 0).to_be_bytes());
            w.string(&lp);
            w.len(length);
            write_id(&mut w, last);
            w.len(0);
            wrap_payload(w.into_inner())
        };
        let ok = node(&["1", "0", "1", "f", "0", "2", "0", "0", "v", "4"]);
        assert_eq!(read_back(&stream(ok.clone(), 1, id(1, 0))).unwrap().len(), 1);
        for (what, lp, length, last) in [
            ("length", ok.clone(), 2, id(1, 0)),
            ("last ID", ok.clone(), 1, id(0, 5)),
            ("empty listpack", node(&[]), 0, id(1, 0)),
            ("no entries", node(&["0", "0", "1", "f", "0"]), 0, id(1, 0)),
            ("live count", node(&["2", "0", "1", "f", "0", "2", "0", "0", "v", "4"]), 1, id(1, 0)),
            ("lp-count", node(&["1", "0", "1", "f", "0", "2", "0", "0", "v", "5"]), 1, id(1, 0)),
            ("flags", node(&["1", "0", "1", "f", "0", "6", "0", "0", "v", "4"]), 1, id(1, 0)),
            ("below master", node(&["1", "0", "1", "f", "0", "2", "0", "-1", "v", "4"]), 1, id(1, 0)),
            ("terminator", node(&["1", "0", "1", "f", "1", "2", "0", "0", "v", "4"]), 1, id(1, 0)),
            ("trailing", node(&["1", "0", "1", "f", "0", "2", "0", "0", "v", "4", "x"]), 1, id(1, 0)),
            ("order", node(&["1", "1", "1", "f", "0", "2", "0", "1", "v", "4", "3", "0", "1", "v", "4"]), 1, id(1, 1)),
        ] {
            assert!(read_back(&stream(lp, length, last)).is_err(), "{what}");
        }
    }

    #[test]
    fn older_and_newer_types_read() {
        let s = sample();
        let payload = |t: u8| {
            let mut w = Writer::new();
            write_as(&mut w, &s, t);
            wrap_payload(w.into_inner())
        };
        // 7.2's type: the active times are dropped.
        assert!(read_back(&payload(RDB_TYPE_STREAM_LISTPACKS_3)).unwrap() == s);
        // 5.0's type: the counters are derived as Redis derives them.
        let old = read_back(&payload(RDB_TYPE_STREAM_LISTPACKS)).unwrap();
        assert_eq!(old.entries_added, s.len());
        assert_eq!(old.first_id, s.edge(false).unwrap().id);
        assert_eq!(old.max_deleted, StreamId::MIN);
        let mut want = s.clone();
        want.entries_added = s.len();
        want.max_deleted = StreamId::MIN;
        let estimates: Vec<i64> = want.groups.values().map(|g| want.estimate_distance(g.last_id)).collect();
        for (g, n) in want.groups.values_mut().zip(estimates) {
            g.entries_read = n;
        }
        assert!(old == want);
        // An old empty stream.
        let mut empty = Stream::default();
        empty.last_id = id(5, 5);
        empty.entries_added = 3;
        let mut w = Writer::new();
        write_as(&mut w, &empty, RDB_TYPE_STREAM_LISTPACKS);
        let back = read_back(&wrap_payload(w.into_inner())).unwrap();
        assert_eq!((back.len(), back.last_id, back.entries_added, back.first_id), (0, id(5, 5), 0, StreamId::MAX));
    }
}
