//! At-least-once delivery through a consumer group, under concurrency, with a consumer that goes
//! away holding entries and readers that go away while blocked.
//!
//! `at_least_once_*`: a producer XADDs about 6000 numbered entries, in pipelined bursts, while
//! three consumers of one group loop on `XREADGROUP ... COUNT k BLOCK 100 STREAMS <all> > ...`
//! and XACK what they get, one entry at a time; on one stream, and on three streams of three
//! shards. Mid-run one consumer (c3) reads a batch and disconnects without acknowledging it; a
//! survivor (c2) takes the batch over with XAUTOCLAIM (min-idle 0) and acknowledges it. While it
//! does, the other survivor (c1) stands still between two reads, so that it holds nothing: the
//! group's pending entries must then be exactly c3's batch, and XAUTOCLAIM must claim exactly
//! that, each entry then delivered twice. At the end:
//! every entry was delivered by `>` to exactly one consumer (none twice, none never), its payload
//! intact; every XACK answered 1 (each one acknowledges an entry nobody else held), one per
//! entry; nothing is pending. A server that delivered an entry to two consumers shows it twice
//! among the `>` deliveries (or answers 0 to the second XACK); one that lost an entry (or dropped
//! the vanished consumer's pending entries) leaves it unacknowledged, and the run times out
//! waiting for it; one that delivers past a gap in `>` leaves entries undelivered.
//!
//! `a_reader_that_disconnects_while_blocked_*`: readers block in `XREADGROUP ... BLOCK 0` on
//! streams of every shard (their connections land on whichever shards the kernel picks), then
//! disconnect; a live reader blocked behind them must get the next entry, and entries added with
//! nobody waiting stay undelivered until a fresh consumer reads them: none is ever pending under
//! a reader that left.
//!
//! Each test runs against the reference redis-server too (`*_redis`), which checks the tests'
//! expectations.

mod common;
use common::*;

use redis::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// An entry: (index of its stream, its ID).
type Entry = (usize, String);

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).unwrap(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other:?}"),
    }
}

/// The entries of an XREADGROUP reply (nil: none) or of XAUTOCLAIM's claimed list, each with
/// its payload (the entry must be `n <payload>`).
fn entries_in(streams: &[String], per_stream: &[(String, &[Value])]) -> Vec<(Entry, u64)> {
    let mut out = Vec::new();
    for (key, entries) in per_stream {
        let at = streams.iter().position(|s| s == key).unwrap_or_else(|| panic!("unknown stream {key}"));
        for e in *entries {
            let parts = items(e);
            assert_eq!(parts.len(), 2, "entry {e:?}");
            let fields = items(&parts[1]);
            assert_eq!(fields.len(), 2, "entry {e:?}");
            assert_eq!(text(&fields[0]), "n", "entry {e:?}");
            out.push(((at, text(&parts[0])), text(&fields[1]).parse().unwrap()));
        }
    }
    out
}

fn read_reply(streams: &[String], reply: &Value) -> Vec<(Entry, u64)> {
    if *reply == Value::Nil {
        return Vec::new();
    }
    let per_stream: Vec<(String, &[Value])> = items(reply)
        .iter()
        .map(|s| {
            let pair = items(s);
            assert_eq!(pair.len(), 2, "{s:?}");
            (text(&pair[0]), items(&pair[1]))
        })
        .collect();
    entries_in(streams, &per_stream)
}

fn xreadgroup(group: &str, consumer: &str, count: Option<usize>, block_ms: u64, streams: &[String]) -> redis::Cmd {
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP").arg(group).arg(consumer);
    if let Some(n) = count {
        cmd.arg("COUNT").arg(n);
    }
    cmd.arg("BLOCK").arg(block_ms).arg("STREAMS").arg(streams);
    for _ in streams {
        cmd.arg(">");
    }
    cmd
}

/// XACKs each entry on its own (in one pipeline): their answers, in order.
fn ack_each(con: &mut redis::Connection, streams: &[String], entries: &[Entry]) -> Vec<i64> {
    let mut pipe = redis::pipe();
    for (s, id) in entries {
        pipe.cmd("XACK").arg(&streams[*s]).arg("g").arg(id);
    }
    pipe.query(con).unwrap()
}

/// An ID as numbers, for ordering as the server does (not as text: 5-10 comes after 5-9).
fn numeric(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap();
    (ms.parse().unwrap(), seq.parse().unwrap())
}

fn empty_summary() -> Value {
    Value::Array(vec![Value::Int(0), Value::Nil, Value::Nil, Value::Nil])
}

/// What happened, in order of being recorded.
#[derive(Default)]
struct Log {
    /// Delivered by `>`: entry, consumer, payload.
    read: Vec<(Entry, &'static str, u64)>,
    /// Claimed by XAUTOCLAIM: entry, consumer, payload.
    claimed: Vec<(Entry, &'static str, u64)>,
    /// XACK of one entry: entry, consumer, answer.
    acked: Vec<(Entry, &'static str, i64)>,
    /// What c3 held when it left.
    held: Vec<Entry>,
}

/// Asks c1 to stand still between two reads (holding nothing) while c2 recovers c3's entries.
#[derive(Default)]
struct Pause {
    /// (asked, standing still)
    state: Mutex<(bool, bool)>,
    changed: Condvar,
}

impl Pause {
    /// Called by c1 between reads: stands still for as long as it is asked to.
    fn stand_still_if_asked(&self) {
        let mut st = self.state.lock().unwrap();
        if st.0 {
            st.1 = true;
            self.changed.notify_all();
            let deadline = Instant::now() + Duration::from_secs(30);
            while st.0 {
                assert!(Instant::now() < deadline, "c2 never let c1 go on");
                st = self.changed.wait_timeout(st, Duration::from_millis(50)).unwrap().0;
            }
            st.1 = false;
        }
    }

    fn ask(&self) {
        let mut st = self.state.lock().unwrap();
        st.0 = true;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !st.1 {
            assert!(Instant::now() < deadline, "c1 never stood still");
            st = self.changed.wait_timeout(st, Duration::from_millis(50)).unwrap().0;
        }
    }

    fn release(&self) {
        self.state.lock().unwrap().0 = false;
        self.changed.notify_all();
    }
}

/// The at-least-once run on `port` with the given streams (all read by each XREADGROUP). c3
/// leaves with its first batch of 5 entries or more after 1000 entries have been delivered.
fn at_least_once(port: u16, streams: Vec<String>) {
    const FIRST: u64 = 3000; // entries before c3 leaves (about)
    const THEN: u64 = 3000; // entries after
    let client = || {
        let con = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
        con.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        con
    };
    let mut con = client();
    let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
    for s in &streams {
        let _: () =
            redis::cmd("XGROUP").arg("CREATE").arg(s).arg("g").arg("$").arg("MKSTREAM").query(&mut con).unwrap();
    }
    let streams = Arc::new(streams);
    let log: Arc<Mutex<Log>> = Arc::default();
    let pause: Arc<Pause> = Arc::default();
    let c3_gone = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let acked_once = Arc::new(AtomicUsize::new(0));

    let mut consumers = Vec::new();
    for (n, name) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let mut con = client();
        let (streams, log, pause, c3_gone, done, acked_once) =
            (streams.clone(), log.clone(), pause.clone(), c3_gone.clone(), done.clone(), acked_once.clone());
        consumers.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(n as u64);
            let mut batches = 0;
            let mut recovered = false;
            loop {
                if name == "c1" {
                    pause.stand_still_if_asked();
                }
                if name == "c2" && !recovered && c3_gone.load(Ordering::SeqCst) {
                    pause.ask();
                    recover(&mut con, &streams, &log, &acked_once);
                    pause.release();
                    recovered = true;
                }
                let count = 1 + rng.usize(..20);
                let reply: Value = xreadgroup("g", name, Some(count), 100, &streams).query(&mut con).unwrap();
                let got = read_reply(&streams, &reply);
                if got.is_empty() {
                    if done.load(Ordering::SeqCst) {
                        return;
                    }
                    continue;
                }
                {
                    let mut log = log.lock().unwrap();
                    log.read.extend(got.iter().map(|(e, p)| (e.clone(), name, *p)));
                }
                batches += 1;
                let entries: Vec<Entry> = got.into_iter().map(|(e, _)| e).collect();
                if name == "c3" && batches > 3 && entries.len() >= 5 && log.lock().unwrap().read.len() >= 1000 {
                    // Leaves with this batch unacknowledged.
                    log.lock().unwrap().held = entries;
                    drop(con);
                    c3_gone.store(true, Ordering::SeqCst);
                    return;
                }
                let answers = ack_each(&mut con, &streams, &entries);
                let mut log = log.lock().unwrap();
                for (e, a) in entries.into_iter().zip(answers) {
                    acked_once.fetch_add((a == 1) as usize, Ordering::SeqCst);
                    log.acked.push((e, name, a));
                }
            }
        }));
    }

    // The producer, in pipelined bursts of 1 to 40 entries (so that batches of several entries
    // wait for the consumers): FIRST entries, then a burst every 2 ms until c3 has left, then
    // THEN more. Entry n has payload n and goes to stream n % streams.
    let mut produced: BTreeMap<Entry, u64> = BTreeMap::new();
    let mut rng = fastrand::Rng::with_seed(7);
    let burst = |con: &mut redis::Connection, produced: &mut BTreeMap<Entry, u64>, rng: &mut fastrand::Rng| {
        let first = produced.len() as u64;
        let n = 1 + rng.u64(..40);
        let mut pipe = redis::pipe();
        for payload in first..first + n {
            pipe.cmd("XADD").arg(&streams[payload as usize % streams.len()]).arg("*").arg("n").arg(payload);
        }
        let ids: Vec<String> = pipe.query(con).unwrap();
        for (payload, id) in (first..).zip(ids) {
            produced.insert((payload as usize % streams.len(), id), payload);
        }
    };
    while (produced.len() as u64) < FIRST {
        burst(&mut con, &mut produced, &mut rng);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !c3_gone.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "c3 never got a batch to leave with");
        burst(&mut con, &mut produced, &mut rng);
        std::thread::sleep(Duration::from_millis(2));
    }
    let last = produced.len() as u64 + THEN;
    while (produced.len() as u64) < last {
        burst(&mut con, &mut produced, &mut rng);
    }
    let total = produced.len();

    // Everything is acknowledged soon after.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked_once.load(Ordering::SeqCst) < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    done.store(true, Ordering::SeqCst);
    let panicked = consumers.into_iter().map(|c| c.join()).filter(Result::is_err).count();
    assert_eq!(panicked, 0, "consumer threads panicked (see above)");
    let log = log.lock().unwrap();
    let per: BTreeMap<&str, usize> = log.read.iter().fold(BTreeMap::new(), |mut m, (_, who, _)| {
        *m.entry(*who).or_default() += 1;
        m
    });
    eprintln!("{total} entries; delivered by >: {per:?}; c3 left holding {}", log.held.len());

    // Every entry was delivered by `>` exactly once, with its payload.
    let mut by_read: HashMap<&Entry, Vec<&str>> = HashMap::new();
    for (e, who, p) in &log.read {
        assert_eq!(produced.get(e), Some(p), "{e:?} delivered to {who} with payload {p}");
        by_read.entry(e).or_default().push(who);
    }
    let twice: Vec<_> = by_read.iter().filter(|(_, w)| w.len() > 1).collect();
    assert!(twice.is_empty(), "delivered by > to more than one consumer (or twice): {twice:?}");
    let never: Vec<_> = produced.keys().filter(|e| !by_read.contains_key(e)).collect();
    assert!(
        never.is_empty(),
        "{} of {total} entries never delivered, e.g. {:?}",
        never.len(),
        &never[..never.len().min(5)]
    );

    // c3's batch, and nothing else, was claimed by c2.
    assert!(!log.held.is_empty(), "c3 left holding nothing");
    let held: BTreeSet<&Entry> = log.held.iter().collect();
    let claimed: BTreeSet<&Entry> = log.claimed.iter().map(|(e, _, _)| e).collect();
    assert_eq!(claimed.len(), log.claimed.len(), "an entry claimed twice: {:?}", log.claimed);
    assert_eq!(claimed, held, "XAUTOCLAIM claimed other than what c3 held");
    for (e, who, p) in &log.claimed {
        assert_eq!((*who, produced.get(e)), ("c2", Some(p)), "claimed {e:?}");
    }

    // Every XACK answered 1, once per entry, by the consumer that held it.
    let zeros: Vec<_> = log.acked.iter().filter(|(_, _, a)| *a != 1).collect();
    assert!(zeros.is_empty(), "XACKs that acknowledged nothing: {zeros:?}");
    let mut by_ack: HashMap<&Entry, &str> = HashMap::new();
    for (e, who, _) in &log.acked {
        assert!(by_ack.insert(e, who).is_none(), "{e:?} acknowledged twice");
    }
    assert_eq!(by_ack.len(), total, "acknowledged {} of {total}", by_ack.len());
    for (e, who) in &by_ack {
        let holder = if held.contains(e) { "c2" } else { by_read[e][0] };
        assert_eq!(*who, holder, "{e:?} acknowledged by another consumer than its holder");
    }

    // Nothing pending, nothing lost from the streams.
    for (i, s) in streams.iter().enumerate() {
        let summary: Value = redis::cmd("XPENDING").arg(s).arg("g").query(&mut con).unwrap();
        assert_eq!(summary, empty_summary(), "XPENDING {s} g");
        let len: usize = redis::cmd("XLEN").arg(s).query(&mut con).unwrap();
        assert_eq!(len, produced.keys().filter(|(at, _)| *at == i).count(), "XLEN {s}");
    }
}

/// c2 takes over c3's entries: while c1 stands still, the group's pending entries are exactly
/// what c3 held; XAUTOCLAIM (min-idle 0, a small COUNT, following the cursor) claims them all,
/// deleting none; each then shows 2 deliveries under c2, and c2 acknowledges it.
fn recover(con: &mut redis::Connection, streams: &[String], log: &Mutex<Log>, acked_once: &AtomicUsize) {
    let held: BTreeSet<Entry> = log.lock().unwrap().held.iter().cloned().collect();
    for (i, s) in streams.iter().enumerate() {
        let pending: Value = redis::cmd("XPENDING").arg(s).arg("g").arg("-").arg("+").arg(10_000).query(con).unwrap();
        let rows: Vec<(String, String, i64)> = items(&pending)
            .iter()
            .map(|r| {
                let f = items(r);
                let Value::Int(n) = f[3] else { panic!("{r:?}") };
                (text(&f[0]), text(&f[1]), n)
            })
            .collect();
        let mut want: Vec<(String, String, i64)> =
            held.iter().filter(|(at, _)| *at == i).map(|(_, id)| (id.clone(), "c3".to_string(), 1)).collect();
        want.sort_by_key(|(id, _, _)| numeric(id));
        assert_eq!(rows, want, "pending on {s} while c1 stands still: only c3's batch, delivered once");

        let mut cursor = "0-0".to_string();
        let mut claimed = Vec::new();
        loop {
            let reply: Value = redis::cmd("XAUTOCLAIM")
                .arg(s)
                .arg("g")
                .arg("c2")
                .arg(0)
                .arg(&cursor)
                .arg("COUNT")
                .arg(3)
                .query(con)
                .unwrap();
            let parts = items(&reply);
            assert_eq!(parts.len(), 3, "XAUTOCLAIM reply {reply:?}");
            assert!(items(&parts[2]).is_empty(), "XAUTOCLAIM says entries were deleted: {reply:?}");
            claimed.extend(entries_in(streams, &[(s.clone(), items(&parts[1]))]));
            cursor = text(&parts[0]);
            if cursor == "0-0" {
                break;
            }
        }
        log.lock().unwrap().claimed.extend(claimed.iter().map(|(e, p)| (e.clone(), "c2", *p)));
        let entries: Vec<Entry> = claimed.into_iter().map(|(e, _)| e).collect();
        let pending: Value = redis::cmd("XPENDING").arg(s).arg("g").arg("-").arg("+").arg(10_000).query(con).unwrap();
        let rows: Vec<(String, String, i64)> = items(&pending)
            .iter()
            .map(|r| {
                let f = items(r);
                let Value::Int(n) = f[3] else { panic!("{r:?}") };
                (text(&f[0]), text(&f[1]), n)
            })
            .collect();
        let want: Vec<(String, String, i64)> =
            entries.iter().map(|(_, id)| (id.clone(), "c2".to_string(), 2)).collect();
        assert_eq!(rows, want, "pending on {s} after XAUTOCLAIM: c3's batch under c2, delivered twice");
        let answers = ack_each(con, streams, &entries);
        let mut log = log.lock().unwrap();
        for (e, a) in entries.into_iter().zip(answers) {
            acked_once.fetch_add((a == 1) as usize, Ordering::SeqCst);
            log.acked.push((e, "c2", a));
        }
    }
}

fn one_stream() -> Vec<String> {
    vec![key_on_shard("events:", 1, SHARDS)]
}

/// One stream on each of three shards, all read by every XREADGROUP.
fn three_shards() -> Vec<String> {
    (0..3).map(|shard| key_on_shard("events:", shard, SHARDS)).collect()
}

#[test]
fn at_least_once_one_stream_shardis() {
    let server = Proc::shardis(&[]);
    at_least_once(server.port, one_stream());
}

#[test]
fn at_least_once_three_shards_shardis() {
    let server = Proc::shardis(&[]);
    at_least_once(server.port, three_shards());
}

#[test]
fn at_least_once_one_stream_redis() {
    let server = Proc::redis(&[]);
    at_least_once(server.port, one_stream());
}

#[test]
fn at_least_once_three_shards_redis() {
    let server = Proc::redis(&[]);
    at_least_once(server.port, three_shards());
}

fn blocked_clients(con: &mut redis::Connection) -> usize {
    let info: String = redis::cmd("INFO").arg("clients").query(con).unwrap();
    info.lines().find_map(|l| l.strip_prefix("blocked_clients:")).unwrap().trim().parse().unwrap()
}

fn wait_blocked(con: &mut redis::Connection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while blocked_clients(con) != n {
        assert!(Instant::now() < deadline, "blocked_clients never reached {n}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn blocking_read(port: u16, consumer: &str, streams: &[&String]) -> Raw {
    let mut raw = Raw::connect(port);
    let mut args: Vec<&[u8]> = vec![b"XREADGROUP", b"GROUP", b"g", consumer.as_bytes(), b"BLOCK", b"0", b"STREAMS"];
    args.extend(streams.iter().map(|s| s.as_bytes()));
    args.extend(streams.iter().map(|_| &b">"[..]));
    raw.send(&encode(&args));
    raw
}

/// The pending entries of `stream` as (ID, consumer, deliveries).
fn pending(con: &mut redis::Connection, stream: &str) -> Vec<(String, String, i64)> {
    let reply: Value = redis::cmd("XPENDING").arg(stream).arg("g").arg("-").arg("+").arg(100).query(con).unwrap();
    items(&reply)
        .iter()
        .map(|r| {
            let f = items(r);
            let Value::Int(n) = f[3] else { panic!("{r:?}") };
            (text(&f[0]), text(&f[1]), n)
        })
        .collect()
}

fn vanished_blocked_readers(port: u16) {
    let streams: Vec<String> = (0..SHARDS).map(|shard| key_on_shard("jobs:", shard, SHARDS)).collect();
    let mut con = Raw::connect(port);
    assert_eq!(con.words("FLUSHALL"), b"+OK\r\n");
    let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
    for s in &streams {
        let _: () =
            redis::cmd("XGROUP").arg("CREATE").arg(s).arg("g").arg("$").arg("MKSTREAM").query(&mut con).unwrap();
    }
    let n = streams.len();
    for round in 0..15 {
        // Six readers block, each on the streams in its own order (every third on one stream
        // only), then leave without a word.
        let quitters: Vec<String> = (0..6).map(|i| format!("q{round}-{i}")).collect();
        let raws: Vec<Raw> = quitters
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let keys: Vec<&String> = if i % 3 == 2 {
                    vec![&streams[(round + i) % n]]
                } else {
                    streams.iter().cycle().skip(round + i).take(n).collect()
                };
                blocking_read(port, q, &keys)
            })
            .collect();
        wait_blocked(&mut con, 6);
        // A live reader blocks behind them, on every stream.
        let live = format!("live{round}");
        let mut live_raw = blocking_read(port, &live, &streams.iter().collect::<Vec<_>>());
        wait_blocked(&mut con, 7);
        for r in &raws {
            r.stream.shutdown(Shutdown::Both).unwrap();
        }
        drop(raws);
        wait_blocked(&mut con, 1);

        // An entry now goes to the live reader, and to nobody else.
        let target = &streams[round % n];
        let id: String = redis::cmd("XADD").arg(target).arg("*").arg("n").arg(1000 + round).query(&mut con).unwrap();
        let reply = match live_raw.reply_within(Duration::from_secs(5)) {
            Ok(reply) => reply,
            Err(e) => {
                panic!("round {round}: the live reader got nothing ({e:?}); pending: {:?}", pending(&mut con, target))
            }
        };
        let want = format!(
            "*1\r\n*2\r\n${}\r\n{target}\r\n*1\r\n*2\r\n${}\r\n{id}\r\n*2\r\n$1\r\nn\r\n$4\r\n{}\r\n",
            target.len(),
            id.len(),
            1000 + round
        );
        assert_eq!(s(&reply), want, "round {round}: what the live reader got");
        assert_eq!(
            pending(&mut con, target),
            vec![(id.clone(), live.clone(), 1)],
            "round {round}: pending on {target}"
        );

        // With nobody waiting, one entry per stream stays undelivered until a fresh consumer
        // reads them all.
        let mut added = Vec::new();
        for s in &streams {
            let id: String = redis::cmd("XADD").arg(s).arg("*").arg("n").arg(2000 + round).query(&mut con).unwrap();
            added.push((s.clone(), id));
        }
        for s in &streams {
            let summary: Value = redis::cmd("XPENDING").arg(s).arg("g").query(&mut con).unwrap();
            let want = if s == target {
                Value::Array(vec![
                    Value::Int(1),
                    Value::BulkString(id.clone().into_bytes()),
                    Value::BulkString(id.clone().into_bytes()),
                    Value::Array(vec![Value::Array(vec![
                        Value::BulkString(live.clone().into_bytes()),
                        Value::BulkString(b"1".to_vec()),
                    ])]),
                ])
            } else {
                empty_summary()
            };
            assert_eq!(summary, want, "round {round}: XPENDING {s} g after adding with nobody waiting");
        }
        let fresh = format!("fresh{round}");
        let reply: Value = xreadgroup("g", &fresh, Some(10), 1000, &streams).query(&mut con).unwrap();
        let got: Vec<Entry> = read_reply(&streams, &reply).into_iter().map(|(e, _)| e).collect();
        let want: Vec<Entry> = added.iter().enumerate().map(|(i, (_, id))| (i, id.clone())).collect();
        assert_eq!(got, want, "round {round}: what the fresh consumer got");
        for (i, s) in streams.iter().enumerate() {
            let rows = pending(&mut con, s);
            assert!(
                rows.iter().all(|(_, who, _)| !quitters.contains(who)),
                "round {round}: pending under a reader that left: {rows:?}"
            );
            let mut want = vec![(added[i].1.clone(), fresh.clone(), 1)];
            if s == target {
                want.insert(0, (id.clone(), live.clone(), 1));
            }
            assert_eq!(rows, want, "round {round}: pending on {s}");
            let ids: Vec<&String> = want.iter().map(|(id, _, _)| id).collect();
            let acked: usize = redis::cmd("XACK").arg(s).arg("g").arg(ids).query(&mut con).unwrap();
            assert_eq!(acked, want.len(), "round {round}: XACK on {s}");
        }
    }
}

#[test]
fn a_reader_that_disconnects_while_blocked_consumes_nothing_shardis() {
    let server = Proc::shardis(&[]);
    vanished_blocked_readers(server.port);
}

#[test]
fn a_reader_that_disconnects_while_blocked_consumes_nothing_redis() {
    let server = Proc::redis(&[]);
    vanished_blocked_readers(server.port);
}
