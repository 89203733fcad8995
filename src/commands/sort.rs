//! SORT and SORT_RO, as Redis 7.0's sort.c: a list, set or sorted set sorted numerically or
//! (ALPHA) as strings, by the elements or BY the values of other keys (`weight_*`, or a hash
//! field `weight_*->f`), cut by LIMIT, answered as the elements or GET the values of other keys
//! (`#` is the element), or stored as a list (STORE).
//!
//! # Keys the command does not declare
//!
//! BY and GET name keys that are known only once the source is read, and they may live on any
//! shard. A SORT with such lookups holds its whole database on every shard for its run (shared
//! for SORT and SORT_RO, exclusive with STORE), as a script that spans shards does, so no
//! client sees it read one key before a write and another after: it is as isolated as Redis's
//! single thread makes it. It then runs in rounds through [`Tx`]: the source read on its owner,
//! the BY values read on their owners (each shard the keys it owns, in one job), the sort on
//! the connection's core, the GET values for the elements in the LIMIT range, and the store. A
//! SORT without lookups locks only its source (and destination). Inside a script that holds one
//! shard, a lookup round makes the script run again holding every shard (see
//! [`crate::scripting`]); in EXEC, SORT holds the whole database.
//!
//! # Redis's quirks kept
//!
//! - A BY pattern without `*` means no sorting, and no lookups: the source's own order (a list
//!   or a sorted set from its end with DESC; LIMIT taken there), except a set stored or sorted
//!   in a script, which is sorted ALPHA so the result does not depend on the set's layout.
//! - A sorted-set source is converted to the big encoding (`skiplist`) for good, as 7.0 does.
//! - Numeric sorting breaks ties by comparing the elements as binary strings; an element (or BY
//!   value) that is not a number fails the whole command with `One or more scores can't be
//!   converted into double`, while a missing BY key counts as 0. ALPHA compares as `strcoll` in
//!   the C locale (up to a NUL byte) when answering and as binary strings when storing; ALPHA BY
//!   puts missing values first.
//! - Ties the comparison leaves (ALPHA BY with equal values) keep the source's order, as glibc's
//!   merge sort keeps them. Two known differences: with LIMIT, Redis's partial quicksort may
//!   order those ties otherwise; and a set or sorted set in the big encoding is read here in
//!   our layout's order, not Redis's hash table order.

use std::cmp::Ordering;
use std::sync::Arc;

use super::flag::*;
use super::{cmd, int_arg, strtod, Argv, Cx, Flow, Handler, Spec};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::protocol::Out;
use crate::pubsub::notify::class::{GENERIC, LIST};
use crate::server::conn::Conn;
use crate::shard::mesh::JobOut;
use crate::shard::Core;
use crate::store::list::List;
use crate::store::value::{Kind, Value};

type F = Result<Flow, CmdError>;

/// A BY or GET pattern, as Redis's lookupKeyByPattern reads it (a C string: up to a NUL byte,
/// except a hash field, which runs to the end).
#[derive(Clone, Debug, PartialEq)]
enum Pattern {
    /// `#`: the element itself.
    Element,
    /// No `*`: no key (GET answers nil, BY means no sorting).
    Nothing,
    /// `prefix*suffix`, or a hash's field with `prefix*suffix->field`.
    Key { prefix: Vec<u8>, suffix: Vec<u8>, field: Option<Vec<u8>> },
}

impl Pattern {
    fn parse(p: &[u8]) -> Pattern {
        let c = &p[..p.iter().position(|&b| b == 0).unwrap_or(p.len())];
        if c == b"#" {
            return Pattern::Element;
        }
        let Some(star) = memchr::memchr(b'*', c) else { return Pattern::Nothing };
        let after = star + 1;
        // `->` after the star, followed by at least one byte, names a hash field.
        let arrow = memchr::memmem::find(&c[after..], b"->").map(|f| after + f).filter(|&f| f + 2 < c.len());
        let (suffix, field) = match arrow {
            Some(f) => (p[after..f].to_vec(), Some(p[f + 2..].to_vec())),
            None => (p[after..].to_vec(), None),
        };
        Pattern::Key { prefix: p[..star].to_vec(), suffix, field }
    }

    fn looks_up(&self) -> bool {
        matches!(self, Pattern::Key { .. })
    }

    /// The key this pattern names for `elem`, into `buf` (a `Key` pattern).
    fn key_into(&self, elem: &[u8], buf: &mut Vec<u8>) {
        if let Pattern::Key { prefix, suffix, .. } = self {
            buf.clear();
            buf.extend_from_slice(prefix);
            buf.extend_from_slice(elem);
            buf.extend_from_slice(suffix);
        }
    }

    fn field(&self) -> Option<&[u8]> {
        match self {
            Pattern::Key { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// SORT's options, as sortCommandGeneric parses them.
struct Opts {
    desc: bool,
    alpha: bool,
    /// A BY pattern without `*` was given (sticky, as in Redis).
    dontsort: bool,
    /// LIMIT offset count (0, -1 without LIMIT).
    offset: i64,
    count: i64,
    by: Option<Pattern>,
    gets: Vec<Pattern>,
    store: Option<Vec<u8>>,
}

/// Parses SORT's options. `all_keys`: the user may read every key (ACL), which BY with a
/// pattern and GET need, since the keys they read are not declared.
fn parse(argv: &Argv, readonly: bool, all_keys: bool) -> Result<Opts, CmdError> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        dontsort: false,
        offset: 0,
        count: -1,
        by: None,
        gets: Vec::new(),
        store: None,
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv.get(j);
        if a.eq_ignore_ascii_case(b"asc") {
            o.desc = false;
        } else if a.eq_ignore_ascii_case(b"desc") {
            o.desc = true;
        } else if a.eq_ignore_ascii_case(b"alpha") {
            o.alpha = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            o.offset = int_arg(argv.get(j + 1))?;
            o.count = int_arg(argv.get(j + 2))?;
            j += 2;
        } else if !readonly && a.eq_ignore_ascii_case(b"store") && left >= 1 {
            o.store = Some(argv.get(j + 1).to_vec());
            j += 1;
        } else if a.eq_ignore_ascii_case(b"by") && left >= 1 {
            let p = Pattern::parse(argv.get(j + 1));
            if !p.looks_up() {
                o.dontsort = true;
            } else if !all_keys {
                return Err(CmdError::other("ERR BY option of SORT denied due to insufficient ACL permissions."));
            }
            o.by = Some(p);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"get") && left >= 1 {
            if !all_keys {
                return Err(CmdError::other("ERR GET option of SORT denied due to insufficient ACL permissions."));
            }
            o.gets.push(Pattern::parse(argv.get(j + 1)));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Elements copied out of the source, in one buffer.
#[derive(Default)]
struct Elems {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Elems {
    fn push(&mut self, e: &[u8]) {
        self.buf.extend_from_slice(e);
        self.ends.push(self.buf.len());
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

/// The source as SORT loads it: the elements, and the range of them to answer once sorted.
struct Loaded {
    elems: Elems,
    start: i64,
    end: i64,
    /// The source is a set (sorted ALPHA when it would not be sorted but is stored).
    set: bool,
}

/// Reads the source on its owner into the vector Redis sorts: with no sorting, a list or a
/// sorted set gives only the LIMIT range, in its own order (from its end with DESC).
fn load(
    core: &mut Core,
    db: usize,
    key: &[u8],
    desc: bool,
    dontsort: bool,
    offset: i64,
    count: i64,
) -> Result<Loaded, CmdError> {
    let found = core.read(db, key).map(|(v, _)| v);
    let kind = match &found {
        None => Kind::List,
        Some(v) => match v.kind() {
            k @ (Kind::List | Kind::Set | Kind::ZSet) => k,
            _ => return Err(CmdError::WrongType),
        },
    };
    let len = found.as_ref().map_or(0, |v| match kind {
        Kind::List => v.as_list().map_or(0, List::len),
        Kind::Set => v.as_set().map_or(0, |s| s.len()),
        _ => v.as_zset().map_or(0, |z| z.len()),
    }) as i64;
    let mut start = offset.max(0);
    let mut end = if count < 0 { len - 1 } else { start.saturating_add(count) - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let ranged = dontsort && kind != Kind::Set;
    let n = if ranged && (start != 0 || end != len - 1) { (end - start + 1).max(0) } else { len } as usize;
    let mut elems = Elems { buf: Vec::new(), ends: Vec::with_capacity(n) };
    match found {
        None => {}
        Some(v) => match kind {
            Kind::List => {
                let l = v.as_list().expect("a list");
                if !dontsort {
                    l.iter().for_each(|e| elems.push(e));
                } else if end >= start {
                    let s = start as usize;
                    if desc {
                        let last = len as usize - s - 1;
                        let first = (last + 1).saturating_sub(n);
                        let taken: Vec<&[u8]> = l.range(first, last).collect();
                        taken.iter().rev().for_each(|e| elems.push(e));
                    } else {
                        l.range(s, s + n - 1).for_each(|e| elems.push(e));
                    }
                    (start, end) = (0, end - start);
                }
            }
            Kind::Set => v.as_set().expect("a set").iter().for_each(|e| elems.push(&e)),
            _ => {
                // Redis 7.0 converts the source for good (zsetConvert before sorting).
                let z = v.as_zset_mut().expect("a sorted set");
                z.convert();
                if !dontsort {
                    z.iter().for_each(|(m, _)| elems.push(m));
                } else {
                    let s = start as usize;
                    if desc {
                        let last = len as usize - s;
                        let mut taken = Vec::with_capacity(n);
                        z.for_each_in(last - n, last, |m, _| taken.push(m));
                        taken.iter().rev().for_each(|e| elems.push(e));
                    } else {
                        z.for_each_in(s, s + n, |m, _| elems.push(m));
                    }
                    (start, end) = (0, end - start);
                }
            }
        },
    }
    Ok(Loaded { elems, start, end, set: kind == Kind::Set })
}

/// The value a pattern names: a string key's value, or a hash's field.
fn fetch(core: &mut Core, db: usize, key: &[u8], field: Option<&[u8]>) -> Option<Vec<u8>> {
    let (v, _) = core.read(db, key)?;
    match field {
        Some(f) => v.as_hash()?.get(f).map(<[u8]>::to_vec),
        None if v.kind() == Kind::String => Some(v.as_bytes(&mut itoa::Buffer::new()).to_vec()),
        None => None,
    }
}

/// One lookup: pattern `.0` of the element `.1`.
type Ask = (u32, u32);

/// How a round reads what a pattern names on the key's owner.
type Reader<T> = fn(&mut Core, usize, &[u8], Option<&[u8]>) -> T;

/// A round of lookups: each shard reads, with `read`, the keys it owns of `asks`; `then` gets
/// the values in `asks` order.
#[allow(clippy::too_many_arguments)]
fn lookup_round<T: Default + Send + 'static>(
    core: &Core,
    tx: Tx,
    db: usize,
    elems: Arc<Elems>,
    patterns: Arc<Vec<Pattern>>,
    asks: Vec<Ask>,
    read: Reader<T>,
    then: impl FnOnce(&mut Core, &mut Conn, Arc<Elems>, Vec<T>, Tx) -> Flow + 'static,
) -> Flow {
    let shards = core.shards();
    let total = asks.len();
    let mut per: Vec<Vec<Ask>> = vec![Vec::new(); shards];
    // Where each shard's answers go in `asks` order (not kept with one shard: all in order).
    let mut at: Vec<Vec<u32>> = vec![Vec::new(); shards];
    if shards == 1 {
        per[0] = asks;
    } else {
        let mut key = Vec::new();
        for (i, &(p, e)) in asks.iter().enumerate() {
            patterns[p as usize].key_into(elems.get(e as usize), &mut key);
            let owner = core.owner(&key);
            per[owner].push((p, e));
            at[owner].push(i as u32);
        }
    }
    let shared = elems.clone();
    tx.run(
        move |shard, _| {
            let mine = std::mem::take(&mut per[shard]);
            let (elems, patterns) = (shared.clone(), patterns.clone());
            Box::new(move |core: &mut Core| -> JobOut {
                let mut key = Vec::new();
                let values: Vec<T> = mine
                    .iter()
                    .map(|&(p, e)| {
                        let pattern = &patterns[p as usize];
                        pattern.key_into(elems.get(e as usize), &mut key);
                        read(core, db, &key, pattern.field())
                    })
                    .collect();
                Box::new(values)
            })
        },
        move |core, conn, parts, tx| {
            let shards: Vec<usize> = tx.shards().collect();
            let mut got = shards.into_iter().zip(parts).filter_map(|(s, p)| Some((s, *p.downcast::<Vec<T>>().ok()?)));
            let values = if shards_one(&at) {
                // One shard, its answers already in order.
                got.next().map(|(_, v)| v).unwrap_or_default()
            } else {
                let mut values: Vec<T> = (0..total).map(|_| T::default()).collect();
                for (shard, vals) in got {
                    for (&i, v) in at[shard].iter().zip(vals) {
                        values[i as usize] = v;
                    }
                }
                values
            };
            then(core, conn, elems, values, tx)
        },
    )
}

/// No answer positions kept: the server has one shard.
fn shards_one(at: &[Vec<u32>]) -> bool {
    at.len() == 1
}

/// A numeric BY value: 0 when missing (or not a string / hash), Bad when not a number.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Weight {
    Num(f64),
    Bad,
}

impl Default for Weight {
    fn default() -> Weight {
        Weight::Num(0.0)
    }
}

impl Weight {
    fn of(bytes: &[u8]) -> Weight {
        score_of(bytes).map_or(Weight::Bad, Weight::Num)
    }
}

/// Reads a numeric BY value on the key's owner, so only the number travels (an integer-encoded
/// string is taken as it is, as Redis casts it).
fn weight(core: &mut Core, db: usize, key: &[u8], field: Option<&[u8]>) -> Weight {
    let Some((v, _)) = core.read(db, key) else { return Weight::default() };
    match field {
        Some(f) => v.as_hash().and_then(|h| h.get(f)).map_or(Weight::default(), Weight::of),
        None if v.kind() != Kind::String => Weight::default(),
        None => match v.stored_int() {
            Some(n) => Weight::Num(n as f64),
            None => Weight::of(v.as_bytes(&mut itoa::Buffer::new())),
        },
    }
}

/// C's strcoll in the C locale: bytes compared up to a NUL.
fn coll(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| -> usize { s.iter().position(|&c| c == 0).unwrap_or(s.len()) };
    a[..cut(a)].cmp(&b[..cut(b)])
}

/// A numeric score as sortCommandGeneric reads one with strtod: the whole string (up to a NUL
/// byte) a number, not out of range, not NaN; None otherwise.
fn score_of(bytes: &[u8]) -> Option<f64> {
    let (v, n, erange) = strtod(bytes);
    let rest_ok = n >= bytes.len() || bytes[n] == 0;
    (rest_ok && !erange && !v.is_nan()).then_some(v)
}

/// What the sort needs to know after the source is read.
#[derive(Clone, Copy)]
struct How {
    desc: bool,
    alpha: bool,
    by: bool,
    store: bool,
}

/// What the sort reads of its BY keys: numbers, or (ALPHA) strings.
enum ByValues {
    Weights(Vec<Weight>),
    Strings(Vec<Option<Vec<u8>>>),
}

/// Orders `items` as `cmp` does, where only positions `start..=end` are answered: with
/// `partial`, the items outside that range are only partitioned off (what Redis's pqsort does
/// with BY and LIMIT; its ties may then come in another order, as they may in Redis).
fn order_range<T>(items: &mut [T], start: i64, end: i64, partial: bool, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if end < start {
        return;
    }
    let (lo, hi) = (start as usize, end as usize);
    if !partial || (lo == 0 && hi + 1 >= items.len()) {
        items.sort_by(cmp);
        return;
    }
    if hi + 1 < items.len() {
        items.select_nth_unstable_by(hi, &mut cmp);
    }
    if lo > 0 {
        items[..=hi].select_nth_unstable_by(lo, &mut cmp);
    }
    items[lo..=hi].sort_by(cmp);
}

/// Sorts the elements as sortCompare orders them (the positions `start..=end` at least);
/// Err when a score is not a number.
fn sorted(elems: &Elems, by: Option<ByValues>, how: How, start: i64, end: i64) -> Result<Vec<u32>, CmdError> {
    let n = elems.len();
    let text = |i: u32| elems.get(i as usize);
    let dir = |c: Ordering| if how.desc { c.reverse() } else { c };
    // A total order (ties only between equal elements) may be cut short; ALPHA BY's ties keep
    // the source's order unless Redis's pqsort would cut it short too (BY with LIMIT).
    let partial = how.by || !how.alpha || how.store;
    if !how.alpha {
        let weights = match by {
            Some(ByValues::Weights(w)) => Some(w),
            _ => None,
        };
        let mut items: Vec<(f64, u32)> = Vec::with_capacity(n);
        let mut bad = false;
        for i in 0..n as u32 {
            let w = match &weights {
                Some(w) => w[i as usize],
                None => Weight::of(text(i)),
            };
            match w {
                Weight::Num(v) => items.push((v, i)),
                Weight::Bad => {
                    bad = true;
                    items.push((0.0, i));
                }
            }
        }
        if bad {
            return Err(CmdError::other("ERR One or more scores can't be converted into double"));
        }
        order_range(&mut items, start, end, partial, |a, b| {
            dir(a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal).then_with(|| text(a.1).cmp(text(b.1))))
        });
        return Ok(items.into_iter().map(|(_, i)| i).collect());
    }
    match by {
        Some(ByValues::Strings(values)) => {
            let mut items: Vec<(Option<Vec<u8>>, u32)> = values.into_iter().zip(0..n as u32).collect();
            order_range(&mut items, start, end, partial, |a, b| {
                dir(match (&a.0, &b.0) {
                    (None, None) => Ordering::Equal,
                    (None, _) => Ordering::Less,
                    (_, None) => Ordering::Greater,
                    (Some(x), Some(y)) if how.store => x.cmp(y),
                    (Some(x), Some(y)) => coll(x, y),
                })
            });
            Ok(items.into_iter().map(|(_, i)| i).collect())
        }
        _ => {
            let mut items: Vec<u32> = (0..n as u32).collect();
            order_range(&mut items, start, end, partial, |&a, &b| {
                dir(if how.store { text(a).cmp(text(b)) } else { coll(text(a), text(b)) })
            });
            Ok(items)
        }
    }
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
fn sort(cx: &mut Cx) -> F {
    sort_generic(cx, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
fn sort_ro(cx: &mut Cx) -> F {
    sort_generic(cx, true)
}

fn sort_generic(cx: &mut Cx, readonly: bool) -> F {
    let o = parse(&cx.argv, readonly, crate::acl::check::reads_every_key(&cx.conn.user))?;
    let db = cx.conn.db;
    let src = cx.argv.get(1).to_vec();
    let sorts_by = !o.dontsort && o.by.as_ref().is_some_and(Pattern::looks_up);
    let lookups = sorts_by || o.gets.iter().any(Pattern::looks_up);
    let store = o.store.clone();
    let write = store.is_some();
    let mut tx = match (lookups, write) {
        (true, true) => Tx::dbs(cx.core, vec![db]),
        (true, false) => Tx::db_shared(cx.core, db),
        (false, _) => {
            Tx::keys(cx.core, std::iter::once((db, &src[..])).chain(store.iter().map(|d| (db, &d[..]))), write)
        }
    };
    // The destination is signalled by the store; the source is only read.
    tx.touch = false;
    let src_owner = cx.core.owner(&src);
    // A tracking client's SORT_RO remembers its source (not the BY/GET keys, as in Redis); a
    // transaction over whole databases does not do it for us.
    let reader = tx.reader.filter(|_| lookups);
    let script = cx.conn.script;
    let (desc, dontsort, offset, count) = (o.desc, o.dontsort, o.offset, o.count);
    Ok(tx.lock(Box::new(move |_core, _conn, tx| {
        let job = move |shard: usize, _: &crate::coord::Scope| -> crate::shard::mesh::Job {
            let src = src.clone();
            Box::new(move |core: &mut Core| -> JobOut {
                if shard != src_owner {
                    return Box::new(());
                }
                if let Some(reader) = reader {
                    core.remember_read(&src, reader);
                }
                Box::new(load(core, db, &src, desc, dontsort, offset, count))
            })
        };
        let pick = move |parts: Vec<JobOut>| -> Result<Loaded, CmdError> {
            parts
                .into_iter()
                .find_map(|p| p.downcast::<Result<Loaded, CmdError>>().ok())
                .map(|b| *b)
                .unwrap_or(Err(CmdError::WrongType))
        };
        if !lookups && !write {
            // Read, and let go at once: the rest needs no key.
            return tx.run_and_release(
                job,
                Box::new(move |core, conn, parts| match pick(parts) {
                    Err(e) => reply_error(conn, e),
                    Ok(loaded) => after_load(core, conn, None, loaded, o, script),
                }),
            );
        }
        tx.run(job, move |core, conn, parts, tx| match pick(parts) {
            Err(e) => release_with(&tx, e),
            Ok(loaded) => after_load(core, conn, Some(tx), loaded, o, script),
        })
    })))
}

fn reply_error(conn: &mut Conn, e: CmdError) -> Flow {
    conn.out.error(e.to_string().as_bytes());
    Flow::Done
}

/// Lets go of `tx`'s locks, then answers `e`.
fn release_with(tx: &Tx, e: CmdError) -> Flow {
    tx.release(Box::new(move |_core, conn, _| reply_error(conn, e)))
}

/// The source is read: sort it (reading the BY values first when needed), then answer or store.
fn after_load(core: &mut Core, conn: &mut Conn, tx: Option<Tx>, loaded: Loaded, mut o: Opts, script: bool) -> Flow {
    let Loaded { elems, start, end, set } = loaded;
    // A set is not left in its layout's order when stored or sorted in a script.
    if o.dontsort && set && (o.store.is_some() || script) {
        (o.dontsort, o.alpha, o.by) = (false, true, None);
    }
    let by = if o.dontsort { None } else { o.by.take() };
    let how = How { desc: o.desc, alpha: o.alpha, by: by.is_some(), store: o.store.is_some() };
    let elems = Arc::new(elems);
    let sort_then =
        move |core: &mut Core, conn: &mut Conn, elems: Arc<Elems>, by: Option<ByValues>, tx: Option<Tx>| -> Flow {
            let order =
                if o.dontsort { Ok((0..elems.len() as u32).collect()) } else { sorted(&elems, by, how, start, end) };
            match order {
                Err(e) => match tx {
                    Some(tx) => release_with(&tx, e),
                    None => reply_error(conn, e),
                },
                Ok(order) => output(core, conn, tx, elems, order, start, end, o.gets, o.store),
            }
        };
    match (by, tx) {
        (Some(pattern), Some(tx)) => {
            let db = conn.db;
            let asks = (0..elems.len() as u32).map(|e| (0u32, e)).collect();
            let patterns = Arc::new(vec![pattern]);
            if how.alpha {
                lookup_round(core, tx, db, elems, patterns, asks, fetch, move |core, conn, elems, values, tx| {
                    sort_then(core, conn, elems, Some(ByValues::Strings(values)), Some(tx))
                })
            } else {
                lookup_round(core, tx, db, elems, patterns, asks, weight, move |core, conn, elems, values, tx| {
                    sort_then(core, conn, elems, Some(ByValues::Weights(values)), Some(tx))
                })
            }
        }
        (_, tx) => sort_then(core, conn, elems, None, tx),
    }
}

/// The sorted range: GET lookups for it, then the reply or the store.
#[allow(clippy::too_many_arguments)]
fn output(
    core: &mut Core,
    conn: &mut Conn,
    tx: Option<Tx>,
    elems: Arc<Elems>,
    order: Vec<u32>,
    start: i64,
    end: i64,
    gets: Vec<Pattern>,
    store: Option<Vec<u8>>,
) -> Flow {
    let range: Vec<u32> = if end >= start { order[start as usize..=end as usize].to_vec() } else { Vec::new() };
    let asks: Vec<Ask> = range
        .iter()
        .flat_map(|&e| gets.iter().enumerate().filter(|(_, g)| g.looks_up()).map(move |(p, _)| (p as u32, e)))
        .collect();
    let patterns = Arc::new(gets.clone());
    let finish =
        move |core: &mut Core, conn: &mut Conn, elems: Arc<Elems>, values: Vec<Option<Vec<u8>>>, tx: Option<Tx>| {
            let mut values = values.into_iter();
            let mut rows: Vec<Option<Vec<u8>>> = Vec::with_capacity(range.len() * gets.len().max(1));
            for &e in &range {
                let elem = elems.get(e as usize);
                if gets.is_empty() {
                    rows.push(Some(elem.to_vec()));
                }
                for g in &gets {
                    rows.push(match g {
                        Pattern::Element => Some(elem.to_vec()),
                        Pattern::Nothing => None,
                        Pattern::Key { .. } => values.next().flatten(),
                    });
                }
            }
            finish_sort(core, conn, tx, rows, store)
        };
    match tx {
        Some(tx) if !asks.is_empty() => {
            let db = conn.db;
            lookup_round(core, tx, db, elems, patterns, asks, fetch, move |core, conn, elems, values, tx| {
                finish(core, conn, elems, values, Some(tx))
            })
        }
        tx => finish(core, conn, elems, Vec::new(), tx),
    }
}

/// The answer: the rows (nil for a missing GET), or their number once stored as a list at the
/// destination (a missing GET value is stored empty; an empty result deletes the destination).
fn finish_sort(
    core: &mut Core,
    conn: &mut Conn,
    tx: Option<Tx>,
    rows: Vec<Option<Vec<u8>>>,
    store: Option<Vec<u8>>,
) -> Flow {
    let n = rows.len() as i64;
    let (Some(dst), Some(tx)) = (store, &tx) else {
        let reply = move |out: &mut Out| {
            out.array(rows.len());
            for r in &rows {
                match r {
                    Some(v) => out.bulk(v),
                    None => out.null(),
                }
            }
        };
        return match tx {
            None => {
                reply(&mut conn.out);
                Flow::Done
            }
            Some(tx) => tx.release(Box::new(move |_core, conn, _| {
                reply(&mut conn.out);
                Flow::Done
            })),
        };
    };
    let (db, dst_owner) = (conn.db, core.owner(&dst));
    let mut rows = Some(rows.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>());
    tx.run_and_release(
        move |shard, _| {
            let job = if shard == dst_owner { rows.take() } else { None };
            let dst = dst.clone();
            Box::new(move |core: &mut Core| -> JobOut {
                if let Some(rows) = job {
                    store_list(core, db, &dst, rows);
                }
                Box::new(())
            })
        },
        Box::new(move |_core, conn, _| {
            conn.out.int(n);
            Flow::Done
        }),
    )
}

/// Stores `rows` as a new list at `dst` (deleting `dst` when there are none).
fn store_list(core: &mut Core, db: usize, dst: &[u8], rows: Vec<Vec<u8>>) {
    if rows.is_empty() {
        if core.del(db, dst).is_some() {
            core.signal_modified(db, dst);
            core.notify(GENERIC, "del", db, dst);
        }
        return;
    }
    let mut l = List::new(core.config.list_max_listpack_size);
    for r in &rows {
        l.push_back(r);
    }
    core.put(db, dst, Value::list(l), 0);
    core.signal_modified(db, dst);
    core.notify(LIST, "sortstore", db, dst);
}

const W: &[&str] = &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"];
const R: &[&str] = &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"];

pub const SPECS: &[Spec] = &[
    cmd("sort", -2, WRITE | DENYOOM | MOVABLEKEYS, (1, 1, 1), W, Handler::Conn(sort)),
    cmd("sort_ro", -2, READONLY | MOVABLEKEYS, (1, 1, 1), R, Handler::Conn(sort_ro)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_read_as_redis_reads_them() {
        assert_eq!(Pattern::parse(b"#"), Pattern::Element);
        assert_eq!(Pattern::parse(b"#\0x"), Pattern::Element);
        assert_eq!(Pattern::parse(b"nostar"), Pattern::Nothing);
        assert_eq!(Pattern::parse(b"a\0*"), Pattern::Nothing);
        let key = |p: &[u8], s: &[u8], f: Option<&[u8]>| Pattern::Key {
            prefix: p.to_vec(),
            suffix: s.to_vec(),
            field: f.map(<[u8]>::to_vec),
        };
        assert_eq!(Pattern::parse(b"w_*"), key(b"w_", b"", None));
        assert_eq!(Pattern::parse(b"w_*_x->f"), key(b"w_", b"_x", Some(b"f")));
        assert_eq!(Pattern::parse(b"w_*->"), key(b"w_", b"->", None));
        assert_eq!(Pattern::parse(b"w->_*"), key(b"w->_", b"", None));
        assert_eq!(Pattern::parse(b"*->a->b"), key(b"", b"", Some(b"a->b")));
    }

    #[test]
    fn scores_read_as_strtod_reads_them() {
        assert_eq!(score_of(b"1.5"), Some(1.5));
        assert_eq!(score_of(b""), Some(0.0));
        assert_eq!(score_of(b" 10"), Some(10.0));
        assert_eq!(score_of(b"1\0junk"), Some(1.0));
        assert_eq!(score_of(b"1x"), None);
        assert_eq!(score_of(b"nan"), None);
        assert_eq!(score_of(b"1e400"), None);
        assert_eq!(score_of(b"inf"), Some(f64::INFINITY));
    }
}
