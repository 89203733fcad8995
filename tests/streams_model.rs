//! Streams and consumer groups against a model: a seeded random sequence of stream commands on
//! three streams, one on each of three shards, each reply checked against an in-memory model
//! written here, and after every command the whole state of the streams it touched (EXISTS, XLEN,
//! XRANGE - +, and every group's pending entries through XPENDING - + 1000) compared as well.
//!
//! The model is the specification: entries by ID, the stream's last ID (which XDEL and trimming
//! leave alone), and per group its last delivered ID, its consumers and its pending entries list
//! (ID -> owner and delivery count). `streams_model_redis` runs the same sequence against the
//! reference redis-server 7.0.15, so the model itself is checked against Redis; the shardis test
//! then holds shardis to it. Idle times are the only thing not compared (XPENDING's extended form
//! shows them; they depend on the clock). `~` trimming is left out: what it removes depends on how
//! the entries happen to be packed into nodes.
//!
//! A failure prints the seed, the step, the reply against the model's and the last commands sent;
//! `STREAMS_MODEL_SEED=0x...` replays one seed, `STREAMS_MODEL_STEPS=N` changes the length.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound::{Excluded, Included, Unbounded};

/// A stream entry ID: (milliseconds, sequence).
type Id = (u64, u64);

const GROUPS: [&str; 2] = ["g1", "g2"];
const CONSUMERS: [&str; 3] = ["c1", "c2", "c3"];

fn show(id: Id) -> String {
    format!("{}-{}", id.0, id.1)
}

fn parse_id(text: &str) -> Id {
    let (ms, seq) = text.split_once('-').unwrap_or_else(|| panic!("not an ID: {text:?}"));
    (ms.parse().unwrap(), seq.parse().unwrap())
}

fn incr(id: Id) -> Id {
    if id.1 == u64::MAX {
        (id.0 + 1, 0)
    } else {
        (id.0, id.1 + 1)
    }
}

fn decr(id: Id) -> Id {
    if id.1 == 0 {
        (id.0 - 1, u64::MAX)
    } else {
        (id.0, id.1 - 1)
    }
}

/// One RESP2 reply as a tree; the two nulls kept apart (a deleted entry in XREADGROUP's history
/// is `*-1`, an empty XPENDING summary has `$-1` and `*-1`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum V {
    Bulk(String),
    Int(i64),
    Arr(Vec<V>),
    /// `$-1`
    Nil,
    /// `*-1`
    NilArr,
    Status(String),
    Err(String),
}

fn parse(buf: &[u8]) -> (V, usize) {
    let end = buf.windows(2).position(|w| w == b"\r\n").expect("a line");
    let line = std::str::from_utf8(&buf[1..end]).unwrap();
    let after = end + 2;
    match buf[0] {
        b'+' => (V::Status(line.to_string()), after),
        b'-' => (V::Err(line.to_string()), after),
        b':' => (V::Int(line.parse().unwrap()), after),
        b'$' => match line.parse::<i64>().unwrap() {
            n if n < 0 => (V::Nil, after),
            n => (V::Bulk(s(&buf[after..after + n as usize])), after + n as usize + 2),
        },
        b'*' => match line.parse::<i64>().unwrap() {
            n if n < 0 => (V::NilArr, after),
            n => {
                let mut at = after;
                let mut items = Vec::new();
                for _ in 0..n {
                    let (item, used) = parse(&buf[at..]);
                    items.push(item);
                    at += used;
                }
                (V::Arr(items), at)
            }
        },
        other => panic!("unexpected reply type {:?}", other as char),
    }
}

fn bulk(text: impl Into<String>) -> V {
    V::Bulk(text.into())
}

fn ok() -> V {
    V::Status("OK".into())
}

fn err(text: impl Into<String>) -> V {
    V::Err(text.into())
}

fn nogroup(key: &str, group: &str) -> V {
    err(format!("NOGROUP No such key '{key}' or consumer group '{group}'"))
}

/// An entry as XRANGE shows it: [id, [field, value...]].
fn entry_of(entries: &BTreeMap<Id, Vec<String>>, id: Id) -> V {
    let fields = entries[&id].iter().map(|f| bulk(f.as_str())).collect();
    V::Arr(vec![bulk(show(id)), V::Arr(fields)])
}

#[derive(Clone, Debug)]
struct Nack {
    owner: String,
    deliveries: i64,
}

#[derive(Default, Debug)]
struct Group {
    last: Id,
    consumers: BTreeSet<String>,
    pel: BTreeMap<Id, Nack>,
}

#[derive(Default, Debug)]
struct Stream {
    /// ID -> field, value, field, value...
    entries: BTreeMap<Id, Vec<String>>,
    /// The largest ID ever added (XDEL and trimming leave it).
    last: Id,
    groups: BTreeMap<String, Group>,
}

impl Stream {
    fn entry(&self, id: Id) -> V {
        entry_of(&self.entries, id)
    }

    fn trim(&mut self, how: &Trim) -> i64 {
        let before = self.entries.len();
        match *how {
            Trim::MaxLen(n) => {
                while self.entries.len() > n {
                    self.entries.pop_first();
                }
            }
            Trim::MinId(min) => self.entries.retain(|id, _| *id >= min),
        }
        (before - self.entries.len()) as i64
    }
}

enum Trim {
    MaxLen(usize),
    MinId(Id),
}

impl Trim {
    fn args(&self) -> String {
        match self {
            Trim::MaxLen(n) => format!("MAXLEN = {n}"),
            Trim::MinId(id) => format!("MINID = {}", show(*id)),
        }
    }
}

struct Run {
    raw: Raw,
    rng: fastrand::Rng,
    seed: u64,
    step: usize,
    keys: Vec<String>,
    model: BTreeMap<String, Stream>,
    recent: VecDeque<String>,
    /// How often each case in [`CASES`] came up.
    seen: BTreeMap<&'static str, usize>,
}

/// Cases the random sequence must reach (counted over the default seeds), so that a change to
/// the generator cannot quietly stop testing them.
const CASES: &[&str] = &[
    "XADD *",
    "XADD ms-*",
    "XADD with a refused ID",
    "XADD NOMKSTREAM on a missing key",
    "XADD trimming",
    "XRANGE COUNT 0",
    "XREADGROUP on two streams",
    "XREADGROUP NOGROUP",
    "> with NOACK",
    "> taking over a pending entry",
    "history with a deleted entry",
    "history delivering again",
    "XPENDING summary of several consumers",
    "XGROUP DELCONSUMER dropping pending entries",
    "XCLAIM from another consumer",
    "XCLAIM dropping a deleted entry",
    "XCLAIM FORCE",
    "XAUTOCLAIM claiming",
    "XAUTOCLAIM deleting",
    "XAUTOCLAIM cursor",
];

macro_rules! saw {
    ($run:expr, $case:expr) => {{
        debug_assert!(CASES.contains(&$case));
        *$run.seen.entry($case).or_default() += 1;
    }};
}

impl Run {
    /// Sends a command written as space-separated words (no argument here holds a space).
    fn call(&mut self, line: &str) -> V {
        self.recent.push_back(format!("{}: {line}", self.step));
        if self.recent.len() > 30 {
            self.recent.pop_front();
        }
        self.send(line)
    }

    /// [`Run::call`] for the state checks, which the failure report leaves out.
    fn send(&mut self, line: &str) -> V {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let reply = self.raw.cmd(&args);
        let (v, used) = parse(&reply);
        assert_eq!(used, reply.len(), "one reply");
        v
    }

    fn fail(&self, what: String) -> ! {
        let recent: Vec<&str> = self.recent.iter().map(String::as_str).collect();
        panic!(
            "seed {:#x} step {}: {what}\nlast commands (state checks left out):\n  {}\n(replay with STREAMS_MODEL_SEED={:#x})",
            self.seed,
            self.step,
            recent.join("\n  "),
            self.seed
        );
    }

    fn expect(&mut self, line: &str, want: V) {
        let got = self.call(line);
        if got != want {
            self.fail(format!("{line}\n   got: {got:?}\n  want: {want:?}"));
        }
    }

    fn key(&mut self) -> String {
        self.keys[self.rng.usize(..self.keys.len())].clone()
    }

    fn group(&mut self) -> &'static str {
        GROUPS[self.rng.usize(..GROUPS.len())]
    }

    /// A group for commands on `key`: mostly one that exists there, if any does.
    fn group_of(&mut self, key: &str) -> &'static str {
        let there: Vec<&'static str> = GROUPS
            .iter()
            .copied()
            .filter(|g| self.model.get(key).is_some_and(|st| st.groups.contains_key(*g)))
            .collect();
        if there.is_empty() || self.rng.u32(..8) == 0 {
            self.group()
        } else {
            there[self.rng.usize(..there.len())]
        }
    }

    fn consumer(&mut self) -> &'static str {
        CONSUMERS[self.rng.usize(..CONSUMERS.len())]
    }

    /// An ID near the interesting ones of `key`: an entry's, a pending one's (perhaps of a
    /// deleted entry), the stream's last, or one beside them.
    fn some_id(&mut self, key: &str) -> Id {
        let mut pool: Vec<Id> = Vec::new();
        if let Some(st) = self.model.get(key) {
            pool.extend(st.entries.keys());
            for g in st.groups.values() {
                pool.extend(g.pel.keys());
            }
            pool.push(st.last);
        }
        let base = match pool.len() {
            0 => (1 + self.rng.u64(..4), self.rng.u64(..3)),
            n => pool[self.rng.usize(..n)],
        };
        match self.rng.u32(..8) {
            0 => (base.0, base.1 + 1),
            1 => (base.0, base.1.saturating_sub(1)),
            2 => (base.0 + 1, 0),
            3 => (base.0.saturating_sub(1), base.1),
            _ => base,
        }
    }

    /// A pending ID of `group` on `key` if it has any (owned by `owner` when given and it has
    /// some), else [`Run::some_id`].
    fn pending_id(&mut self, key: &str, group: &str, owner: Option<&str>) -> Id {
        let pel: Vec<Id> = self
            .model
            .get(key)
            .and_then(|st| st.groups.get(group))
            .map(|g| {
                let all: Vec<Id> = g.pel.keys().copied().collect();
                let own: Vec<Id> =
                    g.pel.iter().filter(|(_, n)| Some(n.owner.as_str()) == owner).map(|(i, _)| *i).collect();
                if own.is_empty() {
                    all
                } else {
                    own
                }
            })
            .unwrap_or_default();
        if pel.is_empty() || self.rng.u32(..4) == 0 {
            self.some_id(key)
        } else {
            pel[self.rng.usize(..pel.len())]
        }
    }

    /// One end of a range for XRANGE, XREVRANGE and XPENDING: its text and the inclusive ID it
    /// stands for (an ID alone means ms-0 as a start and ms-18446744073709551615 as an end; `(`
    /// excludes the ID; an exclusive end of 0-0, an error, is not generated).
    fn bound(&mut self, key: &str, start: bool) -> (String, Id) {
        match self.rng.u32(..10) {
            0 => ("-".into(), (0, 0)),
            1 => ("+".into(), (u64::MAX, u64::MAX)),
            2 | 3 => {
                let ms = self.some_id(key).0;
                (ms.to_string(), if start { (ms, 0) } else { (ms, u64::MAX) })
            }
            4 | 5 => {
                let id = self.some_id(key);
                if start {
                    (format!("({}", show(id)), incr(id))
                } else if id != (0, 0) {
                    (format!("({}", show(id)), decr(id))
                } else {
                    (show(id), id)
                }
            }
            _ => {
                let id = self.some_id(key);
                (show(id), id)
            }
        }
    }

    fn id_spec(&mut self, key: &str) -> (String, Id) {
        let last = self.model.get(key).map_or((0, 0), |st| st.last);
        match self.rng.u32(..4) {
            0 => ("$".into(), last),
            1 => ("0".into(), (0, 0)),
            _ => {
                let id = self.some_id(key);
                (show(id), id)
            }
        }
    }

    fn fields(&mut self) -> Vec<String> {
        let n = 1 + self.rng.usize(..2);
        (0..n).flat_map(|_| [format!("f{}", self.rng.u32(..3)), format!("v{}", self.rng.u32(..1000))]).collect()
    }

    /// One random command, checked; returns the keys it may have changed.
    fn one(&mut self) -> Vec<String> {
        let key = self.key();
        match self.rng.u32(..100) {
            0..=23 => self.xadd(&key),
            24..=28 => self.xdel(&key),
            29..=31 => self.xtrim(&key),
            32..=39 => self.xrange(&key),
            40..=49 => self.xgroup(&key),
            50..=63 => return self.xreadgroup(false),
            64..=70 => return self.xreadgroup(true),
            71..=78 => self.xack(&key),
            79..=86 => self.xpending(&key),
            87..=92 => self.xclaim(&key),
            93..=98 => self.xautoclaim(&key),
            _ => {
                let existed = self.model.remove(&key).is_some();
                self.expect(&format!("DEL {key}"), V::Int(existed as i64));
            }
        }
        vec![key]
    }

    /// XADD key [NOMKSTREAM] [MAXLEN = n | MINID = id] id|ms-*|* field value...
    fn xadd(&mut self, key: &str) {
        let exists = self.model.contains_key(key);
        let last = self.model.get(key).map_or((0, 0), |st| st.last);
        let nomkstream = self.rng.u32(..if exists { 8 } else { 3 }) == 0;
        let trim = match self.rng.u32(..8) {
            0 | 1 => Some(Trim::MaxLen(self.rng.usize(..10))),
            2 => Some(Trim::MinId(self.some_id(key))),
            _ => None,
        };
        let fields = self.fields();
        // What the ID argument is and the ID it must give: None for "*" (any ID above the last).
        let (id_arg, want_id, error) = match self.rng.u32(..12) {
            0 | 1 => ("*".to_string(), None, None),
            2 => {
                let ms = last.0 + self.rng.u64(..2);
                let id = if ms == last.0 { (ms, last.1 + 1) } else { (ms, 0) };
                (format!("{ms}-*"), Some(id), None)
            }
            3 if last == (0, 0) => ("0-0".into(), None, Some("ERR The ID specified in XADD must be greater than 0-0")),
            3 => {
                let id = match self.rng.u32(..3) {
                    0 if last.1 > 0 => (last.0, last.1 - 1),
                    1 if last.0 > 0 => (last.0 - 1, last.1 + 5),
                    _ => last,
                };
                (
                    show(id),
                    None,
                    Some("ERR The ID specified in XADD is equal or smaller than the target stream top item"),
                )
            }
            _ => {
                let id = if self.rng.bool() {
                    (last.0, last.1 + 1 + self.rng.u64(..3))
                } else {
                    (last.0 + 1 + self.rng.u64(..3), self.rng.u64(..3))
                };
                (show(id), Some(id), None)
            }
        };
        let mut line = format!("XADD {key}");
        if nomkstream {
            line += " NOMKSTREAM";
        }
        if let Some(t) = &trim {
            line = format!("{line} {}", t.args());
        }
        line = format!("{line} {id_arg} {}", fields.join(" "));
        // 0-0 is refused before the key is looked up; NOMKSTREAM then answers nil for a missing key.
        if id_arg == "0-0" {
            return self.expect(&line, err("ERR The ID specified in XADD must be greater than 0-0"));
        }
        if nomkstream && !exists {
            saw!(self, "XADD NOMKSTREAM on a missing key");
            return self.expect(&line, V::Nil);
        }
        if let Some(e) = error {
            saw!(self, "XADD with a refused ID");
            return self.expect(&line, err(e));
        }
        let id = match want_id {
            Some(id) => {
                if id_arg.ends_with("-*") {
                    saw!(self, "XADD ms-*");
                }
                self.expect(&line, bulk(show(id)));
                id
            }
            None => match self.call(&line) {
                V::Bulk(text) => {
                    saw!(self, "XADD *");
                    let id = parse_id(&text);
                    if id <= last {
                        self.fail(format!("{line}: {text} is not above the last ID {}", show(last)));
                    }
                    id
                }
                other => self.fail(format!("{line}: {other:?}")),
            },
        };
        let st = self.model.entry(key.to_string()).or_default();
        st.entries.insert(id, fields);
        st.last = id;
        if let Some(t) = &trim {
            if st.trim(t) > 0 {
                saw!(self, "XADD trimming");
            }
        }
    }

    /// XDEL key id...
    fn xdel(&mut self, key: &str) {
        let n = 1 + self.rng.usize(..3);
        let ids: Vec<Id> = (0..n).map(|_| self.some_id(key)).collect();
        let deleted = match self.model.get_mut(key) {
            Some(st) => ids.iter().filter(|id| st.entries.remove(id).is_some()).count(),
            None => 0,
        };
        let line = format!("XDEL {key} {}", ids.iter().map(|i| show(*i)).collect::<Vec<_>>().join(" "));
        self.expect(&line, V::Int(deleted as i64));
    }

    /// XTRIM key MAXLEN = n | MINID = id
    fn xtrim(&mut self, key: &str) {
        let trim = if self.rng.bool() { Trim::MaxLen(self.rng.usize(..8)) } else { Trim::MinId(self.some_id(key)) };
        let removed = self.model.get_mut(key).map_or(0, |st| st.trim(&trim));
        self.expect(&format!("XTRIM {key} {}", trim.args()), V::Int(removed));
    }

    /// XLEN, XRANGE and XREVRANGE with random bounds and COUNT.
    fn xrange(&mut self, key: &str) {
        let len = self.model.get(key).map_or(0, |st| st.entries.len());
        if self.rng.u32(..5) == 0 {
            return self.expect(&format!("XLEN {key}"), V::Int(len as i64));
        }
        let (lo_text, lo) = self.bound(key, true);
        let (hi_text, hi) = self.bound(key, false);
        let count = match self.rng.u32(..6) {
            0 => Some(0),
            1..=3 => Some(1 + self.rng.usize(..4)),
            _ => None,
        };
        let rev = self.rng.bool();
        let mut ids: Vec<Id> = match self.model.get(key) {
            Some(st) if lo <= hi => st.entries.range(lo..=hi).map(|(id, _)| *id).collect(),
            _ => Vec::new(),
        };
        if rev {
            ids.reverse();
        }
        let count_arg = count.map_or(String::new(), |n| format!(" COUNT {n}"));
        let line = if rev {
            format!("XREVRANGE {key} {hi_text} {lo_text}{count_arg}")
        } else {
            format!("XRANGE {key} {lo_text} {hi_text}{count_arg}")
        };
        // COUNT 0 answers a null array (Redis 7.0), on a stream that exists.
        let want = match count {
            _ if len == 0 && !self.model.contains_key(key) => V::Arr(Vec::new()),
            Some(0) => {
                saw!(self, "XRANGE COUNT 0");
                V::NilArr
            }
            _ => {
                let st = self.model.get(key);
                V::Arr(ids.iter().take(count.unwrap_or(usize::MAX)).map(|id| st.unwrap().entry(*id)).collect())
            }
        };
        self.expect(&line, want);
    }

    /// XGROUP CREATE [MKSTREAM] / DESTROY / SETID / CREATECONSUMER / DELCONSUMER.
    fn xgroup(&mut self, key: &str) {
        let (group, consumer) = (self.group(), self.consumer());
        let no_key =
            err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the \
             MKSTREAM option to create an empty stream automatically.");
        let no_group = err(format!("NOGROUP No such consumer group '{group}' for key name '{key}'"));
        let has_group = self.model.get(key).is_some_and(|st| st.groups.contains_key(group));
        // CREATE 5 in 12, the others 1 or 2 in 12 each.
        let sub = match self.rng.u32(..12) {
            0..=4 => 0,
            n => n - 2,
        };
        match sub {
            0 => {
                let (spec, id) = self.id_spec(key);
                let mkstream = self.rng.bool();
                let line = format!("XGROUP CREATE {key} {group} {spec}{}", if mkstream { " MKSTREAM" } else { "" });
                if !self.model.contains_key(key) && !mkstream {
                    return self.expect(&line, no_key);
                }
                if has_group {
                    return self.expect(&line, err("BUSYGROUP Consumer Group name already exists"));
                }
                let st = self.model.entry(key.to_string()).or_default();
                st.groups.insert(group.to_string(), Group { last: id, ..Group::default() });
                self.expect(&line, ok());
            }
            3 => {
                let line = format!("XGROUP DESTROY {key} {group}");
                match self.model.get_mut(key) {
                    None => self.expect(&line, no_key),
                    Some(st) => {
                        let gone = st.groups.remove(group).is_some();
                        self.expect(&line, V::Int(gone as i64));
                    }
                }
            }
            sub => {
                let line = match sub {
                    4 | 5 => format!("XGROUP SETID {key} {group} {}", self.id_spec(key).0),
                    6 | 7 => format!("XGROUP CREATECONSUMER {key} {group} {consumer}"),
                    _ => format!("XGROUP DELCONSUMER {key} {group} {consumer}"),
                };
                if !self.model.contains_key(key) {
                    return self.expect(&line, no_key);
                }
                if !has_group {
                    return self.expect(&line, no_group);
                }
                let st = self.model.get_mut(key).unwrap();
                let last = st.last;
                let g = st.groups.get_mut(group).unwrap();
                let want = match sub {
                    4 | 5 => {
                        let spec = line.rsplit(' ').next().unwrap();
                        g.last = match spec {
                            "$" => last,
                            "0" => (0, 0),
                            id => parse_id(id),
                        };
                        ok()
                    }
                    6 | 7 => V::Int(g.consumers.insert(consumer.to_string()) as i64),
                    _ => {
                        // Deleting a consumer drops its pending entries and says how many.
                        let existed = g.consumers.remove(consumer);
                        let before = g.pel.len();
                        g.pel.retain(|_, n| n.owner != consumer);
                        assert!(existed || before == g.pel.len());
                        if before > g.pel.len() {
                            saw!(self, "XGROUP DELCONSUMER dropping pending entries");
                        }
                        V::Int((before - g.pel.len()) as i64)
                    }
                };
                self.expect(&line, want);
            }
        }
    }

    /// XREADGROUP GROUP g c [COUNT n] [NOACK] STREAMS key [key2] id [id2], with `>` (new
    /// entries) or, when `history`, an ID (the consumer's own pending entries after it). Two
    /// streams live on two shards.
    fn xreadgroup(&mut self, history: bool) -> Vec<String> {
        let mut keys = vec![self.key()];
        let (group, consumer) = (self.group_of(&keys[0]), self.consumer());
        if self.rng.u32(..4) == 0 {
            let other = self.key();
            if other != keys[0] {
                keys.push(other);
                saw!(self, "XREADGROUP on two streams");
            }
        }
        let count = if self.rng.u32(..10) < 7 { Some(1 + self.rng.usize(..4)) } else { None };
        let noack = self.rng.u32(..5) == 0;
        // Per stream: None for ">", else the ID the history starts after.
        let mut starts: Vec<Option<Id>> = Vec::new();
        let mut id_args: Vec<String> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            // With two streams, the second one's ID is drawn on its own.
            let from_history = if i == 0 { history } else { self.rng.u32(..3) == 0 };
            if !from_history {
                starts.push(None);
                id_args.push(">".into());
            } else if self.rng.bool() {
                starts.push(Some((0, 0)));
                id_args.push("0".into());
            } else {
                let id = self.pending_id(key, group, Some(consumer));
                starts.push(Some(id));
                id_args.push(show(id));
            }
        }
        let line = format!(
            "XREADGROUP GROUP {group} {consumer}{}{} STREAMS {} {}",
            count.map_or(String::new(), |n| format!(" COUNT {n}")),
            if noack { " NOACK" } else { "" },
            keys.join(" "),
            id_args.join(" ")
        );
        // Every key and group is looked up before anything is served.
        for key in &keys {
            if !self.model.get(key).is_some_and(|st| st.groups.contains_key(group)) {
                let e =
                    format!("NOGROUP No such key '{key}' or consumer group '{group}' in XREADGROUP with GROUP option");
                saw!(self, "XREADGROUP NOGROUP");
                self.expect(&line, err(e));
                return keys;
            }
        }
        let limit = count.unwrap_or(usize::MAX);
        let mut served = Vec::new();
        for (key, start) in keys.iter().zip(&starts) {
            let st = self.model.get_mut(key).unwrap();
            let g = st.groups.get_mut(group).unwrap();
            // Reading creates the consumer when it is served: always for its history; for `>`
            // only if there is something new (Redis 7.0: a `>` that finds nothing and does not
            // block creates nobody).
            if start.is_some() {
                g.consumers.insert(consumer.to_string());
            }
            match start {
                None => {
                    let new: Vec<Id> =
                        st.entries.range((Excluded(g.last), Unbounded)).map(|(id, _)| *id).take(limit).collect();
                    if new.is_empty() {
                        continue; // A stream with nothing new is left out of the reply.
                    }
                    g.consumers.insert(consumer.to_string());
                    for id in &new {
                        // A pending entry delivered again (after SETID moved back) changes
                        // owner and starts counting again; NOACK leaves the PEL alone.
                        if noack {
                            saw!(self, "> with NOACK");
                        } else if g.pel.insert(*id, Nack { owner: consumer.to_string(), deliveries: 1 }).is_some() {
                            saw!(self, "> taking over a pending entry");
                        }
                    }
                    g.last = *new.last().unwrap();
                    let entries = new.iter().map(|id| st.entry(*id)).collect();
                    served.push(V::Arr(vec![bulk(key.as_str()), V::Arr(entries)]));
                }
                Some(after) => {
                    let own: Vec<Id> = g
                        .pel
                        .range((Excluded(*after), Unbounded))
                        .filter(|(_, n)| n.owner == consumer)
                        .map(|(id, _)| *id)
                        .take(limit)
                        .collect();
                    let mut entries = Vec::new();
                    for id in own {
                        if st.entries.contains_key(&id) {
                            saw!(self, "history delivering again");
                            g.pel.get_mut(&id).unwrap().deliveries += 1;
                            entries.push(entry_of(&st.entries, id));
                        } else {
                            // Deleted since: its ID with a null array, and no delivery counted.
                            saw!(self, "history with a deleted entry");
                            entries.push(V::Arr(vec![bulk(show(id)), V::NilArr]));
                        }
                    }
                    // The history always answers for its stream, even when empty.
                    served.push(V::Arr(vec![bulk(key.as_str()), V::Arr(entries)]));
                }
            }
        }
        let want = if served.is_empty() { V::NilArr } else { V::Arr(served) };
        self.expect(&line, want);
        keys
    }

    /// XACK key group id...
    fn xack(&mut self, key: &str) {
        let group = self.group_of(key);
        let n = 1 + self.rng.usize(..4);
        let ids: Vec<Id> = (0..n).map(|_| self.pending_id(key, group, None)).collect();
        let acked = match self.model.get_mut(key).and_then(|st| st.groups.get_mut(group)) {
            Some(g) => ids.iter().filter(|id| g.pel.remove(id).is_some()).count(),
            None => 0, // A missing key or group acknowledges nothing, without an error.
        };
        let line = format!("XACK {key} {group} {}", ids.iter().map(|i| show(*i)).collect::<Vec<_>>().join(" "));
        self.expect(&line, V::Int(acked as i64));
    }

    /// XPENDING key group: the summary; or the extended form with a range, COUNT and perhaps a
    /// consumer (idle times not compared).
    fn xpending(&mut self, key: &str) {
        let group = self.group_of(key);
        if self.rng.bool() {
            let line = format!("XPENDING {key} {group}");
            let want = match self.model.get(key).and_then(|st| st.groups.get(group)) {
                None => nogroup(key, group),
                Some(g) if g.pel.is_empty() => V::Arr(vec![V::Int(0), V::Nil, V::Nil, V::NilArr]),
                Some(g) => {
                    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
                    for n in g.pel.values() {
                        *per.entry(n.owner.as_str()).or_default() += 1;
                    }
                    // Counts per consumer come as bulk strings, consumers in name order.
                    if per.len() > 1 {
                        saw!(self, "XPENDING summary of several consumers");
                    }
                    let per = per.into_iter().map(|(c, n)| V::Arr(vec![bulk(c), bulk(n.to_string())])).collect();
                    V::Arr(vec![
                        V::Int(g.pel.len() as i64),
                        bulk(show(*g.pel.keys().next().unwrap())),
                        bulk(show(*g.pel.keys().next_back().unwrap())),
                        V::Arr(per),
                    ])
                }
            };
            return self.expect(&line, want);
        }
        let (lo_text, lo) = self.bound(key, true);
        let (hi_text, hi) = self.bound(key, false);
        let count = self.rng.usize(..6);
        let consumer = if self.rng.u32(..3) == 0 { Some(self.consumer()) } else { None };
        let line = format!(
            "XPENDING {key} {group} {lo_text} {hi_text} {count}{}",
            consumer.map_or(String::new(), |c| format!(" {c}"))
        );
        let want = match self.model.get(key).and_then(|st| st.groups.get(group)) {
            None => nogroup(key, group),
            Some(_) if lo > hi => V::Arr(Vec::new()),
            Some(g) => V::Arr(
                g.pel
                    .range((Included(lo), Included(hi)))
                    .filter(|(_, n)| consumer.is_none_or(|c| n.owner == c))
                    .take(count)
                    .map(|(id, n)| pending_row(*id, n))
                    .collect(),
            ),
        };
        let got = without_idle(self.call(&line));
        if got != want {
            self.fail(format!("{line}\n   got: {got:?}\n  want: {want:?}"));
        }
    }

    /// XCLAIM key group consumer 0 id... [JUSTID] [FORCE]
    fn xclaim(&mut self, key: &str) {
        let (group, consumer) = (self.group_of(key), self.consumer());
        let n = 1 + self.rng.usize(..3);
        let mut ids: Vec<Id> = Vec::new();
        for _ in 0..n {
            let id = if self.rng.bool() { self.pending_id(key, group, None) } else { self.some_id(key) };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let (justid, force) = (self.rng.u32(..3) == 0, self.rng.u32(..3) == 0);
        let line = format!(
            "XCLAIM {key} {group} {consumer} 0 {}{}{}",
            ids.iter().map(|i| show(*i)).collect::<Vec<_>>().join(" "),
            if justid { " JUSTID" } else { "" },
            if force { " FORCE" } else { "" }
        );
        let Some(st) = self.model.get_mut(key).filter(|st| st.groups.contains_key(group)) else {
            return self.expect(&line, nogroup(key, group));
        };
        let g = st.groups.get_mut(group).unwrap();
        let mut claimed = Vec::new();
        for id in ids {
            if !st.entries.contains_key(&id) {
                // Redis 7.0: a pending entry whose entry is gone leaves the PEL, unreported.
                if g.pel.remove(&id).is_some() {
                    saw!(self, "XCLAIM dropping a deleted entry");
                }
                continue;
            }
            if force && !g.pel.contains_key(&id) {
                saw!(self, "XCLAIM FORCE");
                g.pel.insert(id, Nack { owner: consumer.to_string(), deliveries: 1 });
            }
            let Some(nack) = g.pel.get_mut(&id) else { continue };
            // The consumer is created only when it claims something.
            g.consumers.insert(consumer.to_string());
            if nack.owner != consumer {
                saw!(self, "XCLAIM from another consumer");
            }
            nack.owner = consumer.to_string();
            if !justid {
                nack.deliveries += 1;
            }
            claimed.push(if justid { bulk(show(id)) } else { entry_of(&st.entries, id) });
        }
        self.expect(&line, V::Arr(claimed));
    }

    /// XAUTOCLAIM key group consumer 0 start [COUNT n] [JUSTID]
    fn xautoclaim(&mut self, key: &str) {
        let (group, consumer) = (self.group_of(key), self.consumer());
        let start = if self.rng.u32(..3) == 0 { (0, 0) } else { self.pending_id(key, group, None) };
        let count = if self.rng.u32(..4) == 0 { None } else { Some(1 + self.rng.usize(..4)) };
        let justid = self.rng.u32(..3) == 0;
        let line = format!(
            "XAUTOCLAIM {key} {group} {consumer} 0 {}{}{}",
            show(start),
            count.map_or(String::new(), |n| format!(" COUNT {n}")),
            if justid { " JUSTID" } else { "" }
        );
        let Some(st) = self.model.get_mut(key).filter(|st| st.groups.contains_key(group)) else {
            return self.expect(&line, nogroup(key, group));
        };
        let g = st.groups.get_mut(group).unwrap();
        let mut left = count.unwrap_or(100);
        let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
        let mut at = start;
        let mut cursor = (0, 0);
        while let Some(id) = g.pel.range(at..).map(|(id, _)| *id).next() {
            if left == 0 {
                // Out of COUNT: the next pending ID is where to go on from.
                cursor = id;
                saw!(self, "XAUTOCLAIM cursor");
                break;
            }
            left -= 1;
            at = incr(id);
            if !st.entries.contains_key(&id) {
                // Deleted entries leave the PEL, are listed apart, and count toward COUNT.
                g.pel.remove(&id);
                saw!(self, "XAUTOCLAIM deleting");
                deleted.push(bulk(show(id)));
                continue;
            }
            saw!(self, "XAUTOCLAIM claiming");
            g.consumers.insert(consumer.to_string());
            let nack = g.pel.get_mut(&id).unwrap();
            nack.owner = consumer.to_string();
            if !justid {
                nack.deliveries += 1;
            }
            claimed.push(if justid { bulk(show(id)) } else { entry_of(&st.entries, id) });
        }
        self.expect(&line, V::Arr(vec![bulk(show(cursor)), V::Arr(claimed), V::Arr(deleted)]));
    }

    /// The whole of `key` against the model: EXISTS, XLEN, XRANGE - +, and each group's PEL.
    fn verify(&mut self, key: &str) {
        let st = self.model.get(key);
        let exists = V::Int(st.is_some() as i64);
        let len = V::Int(st.map_or(0, |st| st.entries.len() as i64));
        let all = V::Arr(st.map_or(Vec::new(), |st| st.entries.keys().map(|id| st.entry(*id)).collect()));
        let pels: Vec<(String, V)> = GROUPS
            .iter()
            .map(|g| {
                let line = format!("XPENDING {key} {g} - + 1000");
                let want = match st.and_then(|st| st.groups.get(*g)) {
                    None => nogroup(key, g),
                    Some(g) => V::Arr(g.pel.iter().map(|(id, n)| pending_row(*id, n)).collect()),
                };
                (line, want)
            })
            .collect();
        for (line, want) in
            [(format!("EXISTS {key}"), exists), (format!("XLEN {key}"), len), (format!("XRANGE {key} - +"), all)]
                .into_iter()
                .chain(pels)
        {
            let got = without_idle(self.send(&line));
            if got != want {
                self.fail(format!("state check {line}\n   got: {got:?}\n  want: {want:?}"));
            }
        }
    }
}

impl Run {
    /// At the end: each group's consumers (CREATECONSUMER answers 0 for one that exists) and
    /// last delivered ID (a new consumer's `>` gets exactly the entries after it), which only
    /// commands that change them show.
    fn verify_groups(&mut self, key: &str) {
        let Some(st) = self.model.get(key) else { return };
        let groups: Vec<(String, V, BTreeSet<String>)> = st
            .groups
            .iter()
            .map(|(name, g)| {
                let new: Vec<V> =
                    st.entries.range((Excluded(g.last), Unbounded)).map(|(id, _)| st.entry(*id)).collect();
                let want = match new.len() {
                    0 => V::NilArr,
                    _ => V::Arr(vec![V::Arr(vec![bulk(key), V::Arr(new)])]),
                };
                (name.clone(), want, g.consumers.clone())
            })
            .collect();
        for (name, new, consumers) in groups {
            for c in CONSUMERS {
                self.expect(&format!("XGROUP CREATECONSUMER {key} {name} {c}"), V::Int(!consumers.contains(c) as i64));
            }
            self.expect(&format!("XREADGROUP GROUP {name} last NOACK STREAMS {key} >"), new);
        }
    }
}

/// A row of XPENDING's extended form, idle time shown as 0 (see [`without_idle`]).
fn pending_row(id: Id, n: &Nack) -> V {
    V::Arr(vec![bulk(show(id)), bulk(n.owner.as_str()), V::Int(0), V::Int(n.deliveries)])
}

/// XPENDING's extended reply with each row's idle time (an integer >= 0) shown as 0.
fn without_idle(v: V) -> V {
    match v {
        V::Arr(rows) => V::Arr(
            rows.into_iter()
                .map(|row| match row {
                    V::Arr(mut f) if f.len() == 4 && matches!(f[2], V::Int(ms) if ms >= 0) => {
                        f[2] = V::Int(0);
                        V::Arr(f)
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Runs `steps` random commands from `seed` against the server on `port` (after FLUSHALL); returns
/// how often each of [`CASES`] came up.
fn run(port: u16, seed: u64, steps: usize) -> BTreeMap<&'static str, usize> {
    let mut raw = Raw::connect(port);
    assert_eq!(raw.words("FLUSHALL"), b"+OK\r\n");
    // Three streams, on shards 0, 1 and 2 of shardis.
    let keys: Vec<String> = (0..3).map(|shard| key_on_shard("stream:", shard, SHARDS)).collect();
    let mut run = Run {
        raw,
        rng: fastrand::Rng::with_seed(seed),
        seed,
        step: 0,
        keys: keys.clone(),
        model: BTreeMap::new(),
        recent: VecDeque::new(),
        seen: BTreeMap::new(),
    };
    for step in 0..steps {
        run.step = step;
        for key in run.one() {
            run.verify(&key);
        }
    }
    for key in &keys {
        run.verify(key);
        run.verify_groups(key);
    }
    run.seen
}

fn seeds() -> Vec<u64> {
    match std::env::var("STREAMS_MODEL_SEED") {
        Ok(text) => {
            let text = text.trim_start_matches("0x");
            vec![u64::from_str_radix(text, 16).expect("STREAMS_MODEL_SEED in hex")]
        }
        Err(_) => vec![0x5eed_0001, 0x5eed_0002],
    }
}

fn steps() -> usize {
    std::env::var("STREAMS_MODEL_STEPS").map_or(3000, |n| n.parse().expect("STREAMS_MODEL_STEPS"))
}

/// Runs every seed on `port`; with the default seeds, every case in [`CASES`] must have come up.
fn run_seeds(port: u16) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in seeds() {
        for (case, n) in run(port, seed, steps()) {
            *seen.entry(case).or_default() += n;
        }
    }
    eprintln!("cases: {seen:?}");
    if std::env::var_os("STREAMS_MODEL_SEED").is_none() && std::env::var_os("STREAMS_MODEL_STEPS").is_none() {
        let missed: Vec<&&str> = CASES.iter().filter(|c| !seen.contains_key(**c)).collect();
        assert!(missed.is_empty(), "the random sequence never reached {missed:?}");
    }
}

/// The model against the reference Redis 7.0.15: if this fails, the model is wrong.
#[test]
fn streams_model_redis() {
    let redis = Proc::redis(&[]);
    run_seeds(redis.port);
}

#[test]
fn streams_model_shardis() {
    let shardis = Proc::shardis(&[]);
    run_seeds(shardis.port);
}
