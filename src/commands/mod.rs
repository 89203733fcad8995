//! The command table and what a handler sees.
//!
//! Every command is one [`Spec`] row in its family's table (the `SPECS` constant at the bottom of
//! each family file): name, arity, flags, key positions, ACL categories, handler, subcommands.
//! Dispatch, key extraction and routing, `COMMAND` and `INFO commandstats` all read the same rows.
//!
//! Handlers come in two kinds, as [`Handler`] says:
//! - `Conn` handlers run on the connection's own core with its client state (PING, CLIENT, CONFIG,
//!   INFO...). They may fan work out to every shard and finish when the answers are back.
//! - `Key` handlers run on the core that owns the command's keys, with no client state and no
//!   socket: they take the shard's data and write a reply. The connection's core calls them in
//!   place when the keys are its own, or ships them (batched) to the owner.

pub mod acl;
pub mod bits;
pub mod blocking;
pub mod connection;
pub mod docs;
pub mod expire;
pub mod geo;
pub mod hashes;
pub mod hll;
pub mod introspection;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod mpop;
pub mod persist;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod xread;
pub mod zsets;

use std::sync::OnceLock;

use hashbrown::HashMap;

use crate::error::CmdError;
use crate::protocol::Out;
use crate::server::conn::Conn;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;

/// Command flags, as `COMMAND INFO` names them.
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const SENTINEL: u32 = 1 << 16;
    pub const NO_ASYNC_LOADING: u32 = 1 << 17;
    /// Key positions come from the arguments (numkeys), not from first/last/step.
    pub const MOVABLEKEYS: u32 = 1 << 18;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 19;

    // Our own flags, never shown by COMMAND (they are not in NAMES).
    /// Runs at once inside MULTI instead of being queued (MULTI EXEC DISCARD WATCH QUIT RESET).
    pub const TX_CONTROL: u32 = 1 << 24;
    /// Shown to MONITOR when it has finished, after what it ran (EXEC), not before.
    pub const MONITOR_AFTER: u32 = 1 << 25;
    /// Refused unless `enable-debug-command` allows the client (DEBUG).
    pub const PROTECTED: u32 = 1 << 26;
    /// Signals the keys it changes itself (`Core::signal_modified`), precisely: the dispatcher
    /// does not signal its keys for it (DEL of several keys, the *STORE commands).
    pub const SIGNALS: u32 = 1 << 27;
    /// Runs a script (EVAL, FCALL...): shown to MONITOR although `skip_monitor`, as Redis shows
    /// it (its calls follow, from the script's client).
    pub const SCRIPT: u32 = 1 << 28;

    /// Names in the order Redis lists them in `COMMAND INFO`.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLEKEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// One command, or one subcommand of a container command.
pub struct Spec {
    /// Lower case; a subcommand's own name (`setname`), not `client|setname`.
    pub name: &'static str,
    /// Redis's arity: N means exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: u32,
    /// First key, last key (negative counts from the end), step; all 0 when keyless.
    pub keys: (i32, i32, i32),
    /// ACL categories, as COMMAND INFO lists them (`@keyspace`...).
    pub acl: &'static [&'static str],
    pub handler: Handler,
    pub subs: &'static [Spec],
    /// For a `Key` command with several keys: how it runs when they live on different shards
    /// (on the connection's core, through a [`crate::coord::Tx`]).
    pub spread: Option<ConnFn>,
    /// For a `Key` command whose arguments may name one more key (GEORADIUS's STORE): where it
    /// is, so that routing and locks see it.
    pub more_keys: Option<fn(&Argv<'_>) -> Option<usize>>,
}

impl Spec {
    pub const fn more_keys(mut self, f: fn(&Argv<'_>) -> Option<usize>) -> Spec {
        self.more_keys = Some(f);
        self
    }
}

/// A command row (no subcommands).
pub const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    acl: &'static [&'static str],
    handler: Handler,
) -> Spec {
    Spec { name, arity, flags, keys, acl, handler, subs: &[], spread: None, more_keys: None }
}

/// A multi-key command row: `handler` when all keys are on one shard, `spread` otherwise.
pub const fn multi(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    acl: &'static [&'static str],
    handler: Handler,
    spread: ConnFn,
) -> Spec {
    Spec { name, arity, flags, keys, acl, handler, subs: &[], spread: Some(spread), more_keys: None }
}

/// A container row (CLIENT, CONFIG...): dispatches to `subs`.
pub const fn container(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    subs: &'static [Spec],
) -> Spec {
    Spec {
        name,
        arity,
        flags,
        keys: (0, 0, 0),
        acl,
        handler: Handler::Container(None),
        subs,
        spread: None,
        more_keys: None,
    }
}

/// A handler that runs on the connection's core.
pub type ConnFn = fn(&mut Cx<'_>) -> Result<Flow, CmdError>;

/// How a command runs.
pub enum Handler {
    /// On the connection's core, with client state.
    Conn(ConnFn),
    /// On the core owning the keys.
    Key(fn(&mut KeyCx<'_>) -> Result<(), CmdError>),
    /// Dispatches on its first argument to `subs`; the function, if any, answers the bare
    /// command (`COMMAND` with no subcommand).
    Container(Option<ConnFn>),
}

/// What a `Conn` handler asks the connection to do next.
pub enum Flow {
    Done,
    /// Send the reply, then close the connection (QUIT).
    Close,
    /// Wait for jobs on other shards; `finish` writes the reply or starts the next round.
    Wait(FanOut),
    /// Go on at once with this step (a round that turned out to need no other shard).
    Then(Step),
}

/// Jobs for several shards and what to do with their answers (in the order of `jobs`).
pub struct FanOut {
    pub jobs: Vec<(usize, Job)>,
    pub finish: Finish,
}

pub type Finish = Box<dyn FnOnce(&mut Core, &mut Conn, Vec<JobOut>) -> Flow>;

/// A step that continues a command on the connection's core.
pub type Step = Box<dyn FnOnce(&mut Core, &mut Conn) -> Flow>;

impl FanOut {
    /// One job per shard, built by `job(shard)`.
    pub fn all(shards: usize, mut job: impl FnMut(usize) -> Job, finish: Finish) -> Flow {
        Flow::Wait(FanOut { jobs: (0..shards).map(|s| (s, job(s))).collect(), finish })
    }

    /// Runs `f` on every other shard, then `then`.
    pub fn others(core: &Core, f: impl Fn(&mut Core) + Clone + Send + 'static, then: Finish) -> Flow {
        let jobs = (0..core.shards())
            .filter(|&s| s != core.id)
            .map(|s| {
                let f = f.clone();
                let job: Job = Box::new(move |core: &mut Core| -> JobOut {
                    f(core);
                    Box::new(())
                });
                (s, job)
            })
            .collect();
        Flow::Wait(FanOut { jobs, finish: then })
    }

    /// Runs `f` on every shard, then replies +OK.
    pub fn apply(shards: usize, f: impl Fn(&mut Core) + Clone + Send + 'static) -> Flow {
        Self::all(
            shards,
            |_| {
                let f = f.clone();
                Box::new(move |core: &mut Core| -> JobOut {
                    f(core);
                    Box::new(())
                })
            },
            Box::new(|_core, conn, _| {
                conn.out.ok();
                Flow::Done
            }),
        )
    }

    /// Replies with the sum over shards of `f`.
    pub fn sum(shards: usize, f: impl Fn(&mut Core) -> i64 + Clone + Send + 'static) -> Flow {
        Self::all(
            shards,
            |_| {
                let f = f.clone();
                Box::new(move |core: &mut Core| -> JobOut { Box::new(f(core)) })
            },
            Box::new(|_core, conn, parts| {
                let total: i64 = parts.into_iter().filter_map(|p| p.downcast::<i64>().ok()).map(|n| *n).sum();
                conn.out.int(total);
                Flow::Done
            }),
        )
    }
}

/// The arguments of one command: ranges into one buffer. `get(0)` is the command name.
#[derive(Clone, Copy)]
pub struct Argv<'a> {
    buf: &'a [u8],
    ranges: &'a [(u32, u32)],
}

impl<'a> Argv<'a> {
    pub fn new(buf: &'a [u8], ranges: &'a [(u32, u32)]) -> Self {
        Argv { buf, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn get(&self, i: usize) -> &'a [u8] {
        let (start, end) = self.ranges[i];
        &self.buf[start as usize..end as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The arguments after `skip`, copied (for slow log entries, MONITOR, jobs).
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(|a| a.to_vec()).collect()
    }

    /// The arguments from `from` on (ACL DRYRUN's command).
    pub fn tail(&self, from: usize) -> Argv<'a> {
        Argv { buf: self.buf, ranges: &self.ranges[from..] }
    }

    /// `self.get(i)` upper-cased matches `word`.
    pub fn is(&self, i: usize, word: &str) -> bool {
        i < self.len() && self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }
}

/// Commands copied out of a connection's input: every argument in one byte buffer, plus ranges,
/// so many small commands cost three allocations, not one per argument. A batch bound for
/// another shard and a MULTI queue are this.
#[derive(Default)]
pub struct Cmds {
    data: Vec<u8>,
    ranges: Vec<(u32, u32)>,
    /// (command id, first range, end range)
    cmds: Vec<(usize, u32, u32)>,
}

impl Cmds {
    pub fn push(&mut self, id: usize, argv: &Argv<'_>) {
        let first = self.ranges.len() as u32;
        for arg in argv.iter() {
            let start = self.data.len() as u32;
            self.data.extend_from_slice(arg);
            self.ranges.push((start, self.data.len() as u32));
        }
        self.cmds.push((id, first, self.ranges.len() as u32));
    }

    pub fn len(&self) -> usize {
        self.cmds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// Empty again, keeping the buffers.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ranges.clear();
        self.cmds.clear();
    }

    /// Command `i`: its id and arguments.
    pub fn get(&self, i: usize) -> (usize, Argv<'_>) {
        let (id, first, end) = self.cmds[i];
        (id, Argv::new(&self.data, &self.ranges[first as usize..end as usize]))
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, Argv<'_>)> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Bytes held (CLIENT LIST's `multi-mem`).
    pub fn mem(&self) -> usize {
        self.data.capacity() + self.ranges.capacity() * 8 + self.cmds.capacity() * 16
    }
}

/// A `Conn` handler's view: this core, the calling connection, its arguments.
pub struct Cx<'a> {
    pub core: &'a mut Core,
    pub conn: &'a mut Conn,
    pub argv: Argv<'a>,
}

impl Cx<'_> {
    pub fn out(&mut self) -> &mut Out {
        &mut self.conn.out
    }
}

/// A `Key` handler's view: the owning core, the database, the arguments, the reply.
pub struct KeyCx<'a> {
    pub core: &'a mut Core,
    pub db: usize,
    pub argv: Argv<'a>,
    pub out: &'a mut Out,
}

/// One registered command or subcommand.
pub struct Entry {
    pub spec: &'static Spec,
    /// `get`, or `client|list` for a subcommand.
    pub full_name: String,
    pub parent: Option<usize>,
    /// Subcommands by lower-case name.
    pub subs: HashMap<&'static [u8], usize>,
}

/// Every command and subcommand with a dense id (for per-command statistics).
pub struct Registry {
    pub entries: Vec<Entry>,
    /// Top-level commands bucketed by (name length, first letter & 31): `& 31` maps a letter
    /// and its upper case to the same bucket, so lookup needs no lower-casing and no hashing,
    /// just a case-insensitive compare against the one or two names in the bucket.
    top: Vec<Vec<(&'static [u8], usize)>>,
}

/// All family tables, in the order COMMAND lists them.
const FAMILIES: &[&[Spec]] = &[
    connection::SPECS,
    acl::SPECS,
    server::SPECS,
    introspection::SPECS,
    strings::SPECS,
    bits::SPECS,
    hll::SPECS,
    keys::SPECS,
    expire::SPECS,
    lists::SPECS,
    blocking::SPECS,
    hashes::SPECS,
    sets::SPECS,
    zsets::SPECS,
    geo::SPECS,
    sort::SPECS,
    streams::SPECS,
    transactions::SPECS,
    scripting::SPECS,
    pubsub::SPECS,
];

impl Registry {
    fn build() -> Self {
        let mut reg = Registry { entries: Vec::new(), top: vec![Vec::new(); 32 * 32] };
        for family in FAMILIES {
            for spec in family.iter() {
                let id = reg.add(spec, None);
                let name = spec.name.as_bytes();
                reg.top[bucket(name)].push((name, id));
            }
        }
        reg
    }

    fn add(&mut self, spec: &'static Spec, parent: Option<usize>) -> usize {
        let id = self.entries.len();
        let full_name = match parent {
            Some(p) => format!("{}|{}", self.entries[p].spec.name, spec.name),
            None => spec.name.to_string(),
        };
        self.entries.push(Entry { spec, full_name, parent, subs: HashMap::new() });
        for sub in spec.subs {
            let sid = self.add(sub, Some(id));
            self.entries[id].subs.insert(sub.name.as_bytes(), sid);
        }
        id
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Top-level command by name, any case, without allocating.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        if name.is_empty() {
            return None;
        }
        self.top[bucket(name)].iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, id)| id)
    }

    /// Subcommand of `parent` by name, any case.
    pub fn lookup_sub(&self, parent: usize, name: &[u8]) -> Option<usize> {
        with_lower(name, |lower| self.entries[parent].subs.get(lower).copied())
    }

    /// Top-level entries in table order.
    pub fn top_level(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate().filter(|(_, e)| e.parent.is_none())
    }
}

fn bucket(name: &[u8]) -> usize {
    (name.len() & 31) * 32 + (name[0] & 31) as usize
}

/// Runs `f` on the lower-cased `name` (on the stack; names longer than any command match none).
fn with_lower<T>(name: &[u8], f: impl FnOnce(&[u8]) -> Option<T>) -> Option<T> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    f(&buf[..name.len()])
}

/// Command names changed by `rename-command`: each renamed or removed name, lower case, and the
/// command it now names (None: no command). Lookups go through this only when there are any.
#[derive(Clone, Debug, Default)]
pub struct Renames {
    names: HashMap<Vec<u8>, Option<usize>>,
}

impl Renames {
    pub fn new(renames: &[(Vec<u8>, Vec<u8>)]) -> Renames {
        let mut r = Renames::default();
        for (old, new) in renames {
            let id = r.lookup(old);
            r.names.insert(old.to_ascii_lowercase(), None);
            if !new.is_empty() {
                r.names.insert(new.to_ascii_lowercase(), id);
            }
        }
        r
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether some name still reaches registry entry `id` (a subcommand through its
    /// container): COMMAND, COMMAND COUNT, DOCS and LIST leave out the removed ones. Their
    /// entries keep their own names, as Redis's keep `fullname`.
    pub fn reaches(&self, id: usize) -> bool {
        if self.names.is_empty() {
            return true;
        }
        let reg = registry();
        let top = reg.entries[id].parent.unwrap_or(id);
        match self.names.get(reg.entries[top].full_name.as_bytes()) {
            None => true,
            Some(to) => *to == Some(top) || self.names.values().any(|to| *to == Some(top)),
        }
    }

    /// The top-level command a client names with `name`.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        if self.names.is_empty() {
            return registry().lookup(name);
        }
        match self.names.get(&name.to_ascii_lowercase()) {
            Some(id) => *id,
            None => registry().lookup(name),
        }
    }
}

/// The process-wide command registry, built on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::build)
}

/// Checks arity: `argc` arguments including the name.
pub fn arity_ok(arity: i32, argc: usize) -> bool {
    if arity >= 0 {
        argc == arity as usize
    } else {
        argc >= (-arity) as usize
    }
}

/// Positions of the keys of a command with `argc` arguments, per its spec.
pub fn key_positions(spec: &Spec, argc: usize) -> impl Iterator<Item = usize> {
    let (first, last, step) = spec.keys;
    let (first, step) = (first.max(0) as usize, step.max(1) as usize);
    let last = if last < 0 { argc as i64 + last as i64 } else { last as i64 };
    let end = if first == 0 { 0 } else { (last.max(0) as usize + 1).min(argc) };
    (first..end).step_by(step).filter(move |_| first > 0)
}

/// Positions of the keys of `argv`: the spec's, and the one `more_keys` finds.
pub fn keys_at<'s>(spec: &'s Spec, argv: &Argv<'_>) -> impl Iterator<Item = usize> + 's {
    key_positions(spec, argv.len()).chain(spec.more_keys.and_then(|f| f(argv)))
}

pub use crate::protocol::string2ll as parse_i64;

/// An integer argument, or Redis's "not an integer" error.
pub fn int_arg(bytes: &[u8]) -> Result<i64, CmdError> {
    parse_i64(bytes).ok_or(CmdError::NotInteger)
}

/// An `int` argument as Redis's getIntFromObjectOrReply reads it: not an integer at all is
/// [`CmdError::NotInteger`], an integer outside C's `int` is [`CmdError::NotInt32`].
pub fn int32_arg(bytes: &[u8]) -> Result<i32, CmdError> {
    i32::try_from(int_arg(bytes)?).map_err(|_| CmdError::NotInt32)
}

/// C's strtod over `bytes` (up to an embedded NUL, as C sees the string): the value, how many
/// bytes it read, and whether errno said ERANGE.
pub fn strtod(bytes: &[u8]) -> (f64, usize, bool) {
    // Short strings (numbers are) go through a buffer on the stack, not an allocation.
    let mut small = [0u8; 64];
    let mut big = Vec::new();
    let c: &[u8] = if bytes.len() < small.len() {
        small[..bytes.len()].copy_from_slice(bytes);
        &small[..=bytes.len()]
    } else {
        big.reserve_exact(bytes.len() + 1);
        big.extend_from_slice(bytes);
        big.push(0);
        &big
    };
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated and outlives the call; strtod only reads it and writes `end`
    // (a pointer into `c`); errno is this thread's.
    unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(c.as_ptr() as *const libc::c_char, &mut end);
        let erange = *libc::__errno_location() == libc::ERANGE;
        (v, end.offset_from(c.as_ptr() as *const libc::c_char) as usize, erange)
    }
}

/// A SCAN cursor as Redis's strtoul reads it: optional sign, decimal digits, nothing else
/// (an empty string is 0; a minus wraps around).
pub fn scan_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::other("ERR invalid cursor");
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        n = n.checked_mul(10).and_then(|n| n.checked_add((d - b'0') as u64)).ok_or_else(invalid)?;
    }
    if digits.is_empty() && !arg.is_empty() {
        return Err(invalid());
    }
    Ok(if negative { n.wrapping_neg() } else { n })
}

/// HSCAN/SSCAN/ZSCAN options from argument `from` on: `[MATCH pattern] [COUNT count]`, as
/// (pattern, None for `*`; count, default 10).
pub fn scan_options<'a>(argv: &Argv<'a>, from: usize) -> Result<(Option<&'a [u8]>, usize), CmdError> {
    let (mut pattern, mut count) = (None, 10usize);
    let mut i = from;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Err(CmdError::Syntax);
        }
        let v = argv.get(i + 1);
        if argv.is(i, "MATCH") {
            pattern = Some(v).filter(|p| *p != b"*");
        } else if argv.is(i, "COUNT") {
            let n = int_arg(v)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = n as usize;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok((pattern, count))
}

/// `count` distinct positions below `size` (`count < size`), in random order: SRANDMEMBER,
/// HRANDFIELD and ZRANDMEMBER with a positive count. A partial Fisher-Yates shuffle when many
/// are wanted; when few are wanted from many, draws until `count` different ones came up, so
/// 10 picks from a million members cost 10 draws, not a million-entry array.
pub fn distinct_positions(size: usize, count: usize) -> Vec<usize> {
    debug_assert!(count < size);
    if count * 3 > size {
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..count {
            positions.swap(i, i + fastrand::usize(..size - i));
        }
        positions.truncate(count);
        positions
    } else {
        let mut seen = hashbrown::HashSet::with_capacity(count);
        let mut picks = Vec::with_capacity(count);
        while picks.len() < count {
            let p = fastrand::usize(..size);
            if seen.insert(p) {
                picks.push(p);
            }
        }
        picks
    }
}

/// How far a reply of repeated picks (SRANDMEMBER, ZRANDMEMBER, HRANDFIELD with a negative
/// count) is built: to a normal client's hard output limit (none unless one is configured).
/// Past it the client is closed once the command ends, as Redis closes it (dropping what the
/// command still adds), so `SRANDMEMBER k -2000000000` stops there instead of filling memory.
pub fn picks_cap(core: &Core) -> usize {
    match core.config.client_output_buffer_limit[0].0 {
        0 => usize::MAX,
        hard => hard as usize + 16 * 1024,
    }
}

/// The values read for `keys`, in `keys` order, moved out of `all`: a key named twice
/// (`SUNION a a`) gets a copy for all but its last place, so no big set is copied needlessly.
pub fn in_key_order<V: Clone>(mut all: hashbrown::HashMap<Vec<u8>, V>, keys: &[Vec<u8>]) -> Vec<Option<V>> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| if keys[i + 1..].contains(k) { all.get(k).cloned() } else { all.remove(k) })
        .collect()
}

/// Redis's reply to `<CMD> HELP`: a status line per text line, between Redis's standard first
/// and last lines.
pub fn help(out: &mut Out, command: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").as_bytes());
    for line in lines {
        out.simple(line.as_bytes());
    }
    out.simple(b"HELP");
    out.simple(b"    Prints this help.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(scan_cursor(b"0"), Ok(0));
        assert_eq!(scan_cursor(b""), Ok(0));
        assert_eq!(scan_cursor(b"+5"), Ok(5));
        assert_eq!(scan_cursor(b"-1"), Ok(u64::MAX));
        assert!(scan_cursor(b"x").is_err());
        assert!(scan_cursor(b" 5").is_err());
        assert!(scan_cursor(b"-").is_err());
        assert!(scan_cursor(b"18446744073709551616").is_err());
    }

    #[test]
    fn distinct_positions_are_distinct_and_in_range() {
        for (size, count) in [(10, 9), (10, 1), (1_000_000, 10), (100, 34), (100, 33), (2, 1)] {
            let picks = distinct_positions(size, count);
            assert_eq!(picks.len(), count);
            assert!(picks.iter().all(|&p| p < size));
            let unique: std::collections::HashSet<_> = picks.iter().collect();
            assert_eq!(unique.len(), count, "{size} {count}");
        }
        // Every position comes up, from both methods.
        for (size, count) in [(6, 5), (30, 3)] {
            let mut seen = std::collections::HashSet::new();
            for _ in 0..500 {
                seen.extend(distinct_positions(size, count));
            }
            assert_eq!(seen.len(), size);
        }
    }

    #[test]
    fn values_in_key_order_with_duplicates() {
        let all: hashbrown::HashMap<Vec<u8>, u32> = [(b"a".to_vec(), 1), (b"b".to_vec(), 2)].into_iter().collect();
        let keys = [b"a".to_vec(), b"x".to_vec(), b"a".to_vec(), b"b".to_vec()];
        assert_eq!(in_key_order(all, &keys), vec![Some(1), None, Some(1), Some(2)]);
    }

    #[test]
    fn lookup_any_case() {
        let reg = registry();
        let get = reg.lookup(b"GeT").unwrap();
        assert_eq!(reg.entries[get].full_name, "get");
        let client = reg.lookup(b"client").unwrap();
        let list = reg.lookup_sub(client, b"LIST").unwrap();
        assert_eq!(reg.entries[list].full_name, "client|list");
        assert!(reg.lookup(b"nosuchcommand").is_none());
        assert!(reg.lookup(&[b'a'; 100]).is_none());
    }

    #[test]
    fn keys() {
        let reg = registry();
        let get = reg.entries[reg.lookup(b"get").unwrap()].spec;
        assert_eq!(key_positions(get, 2).collect::<Vec<_>>(), vec![1]);
        let ping = reg.entries[reg.lookup(b"ping").unwrap()].spec;
        assert_eq!(key_positions(ping, 2).count(), 0);
    }
}
