//! Running a connection's commands: parse, look up, check, route, run or ship, reply in order.
//!
//! Order is the invariant: a connection's command is looked at only after all its earlier
//! commands have run. A command for a key on another shard is shipped there; the commands right
//! after it that go to the same shard join it in one batch (one hop there and back for many
//! commands: the "hop tax" of a pipeline is paid once per run of same-shard commands, not per
//! command). Any other command ends the batch and waits until its replies are back.

use crate::clock;
use crate::commands::{arity_ok, flag, key_positions, keys_at, registry, Argv, Cx, FanOut, Flow, Handler, KeyCx};
use crate::error::{self, CmdError};
use crate::protocol::{parse_command, Limits, Out, ParseError};
use crate::server::conn::{Closing, Conn, ReplyMode, Wait};
use crate::shard::mesh::{Batch, JobOut, Msg};
use crate::shard::Core;

/// Commands per batch at most, so one hop never carries an unbounded amount of work.
const MAX_BATCH: usize = 1024;

/// Commands being gathered for one remote shard.
struct Open {
    shard: usize,
    batch: Batch,
}

impl Open {
    fn new(shard: usize, conn: &Conn) -> Self {
        let batch = Batch {
            cmds: Default::default(),
            db: conn.db,
            resp3: conn.resp3(),
            peer: conn.peer.clone(),
            name: conn.name.clone(),
            no_touch: conn.no_touch,
            client: conn.id,
            reader: None,
        };
        Open { shard, batch }
    }

    fn push(&mut self, id: usize, argv: &Argv<'_>) {
        self.batch.cmds.push(id, argv);
    }
}

/// Where a parsed command goes.
enum Route {
    /// Reply now with this error (unknown command, arity, auth...). `id` is set once the
    /// command is known, for its `rejected_calls`.
    Reject(Option<usize>, String),
    /// Run here.
    Local(usize),
    /// Run on that shard.
    Remote(usize, usize),
    /// Keys on several shards: run the command's `spread` form here.
    Spread(usize),
    /// Held by CLIENT PAUSE.
    Paused,
    /// A key it touches is locked by a multi-shard transaction.
    Locked,
    /// Inside MULTI: queued for EXEC.
    Queue(usize),
}

/// Runs what can run of `conn`'s buffered input. `conn` has been taken out of `core.conns`.
pub fn process(core: &mut Core, conn: &mut Conn) {
    if conn.wait.is_some() || conn.closing != Closing::Open || enforce_output_limit(core, conn) {
        return;
    }
    if conn.blocked.is_some() {
        // Blocked: nothing runs but a serve round for an offer from a key's owner.
        if let Some(flow) = crate::coord::block::on_turn(core, conn) {
            let before = conn.out.buf.len();
            follow(core, conn, flow, before, ReplyMode::On);
        }
        if conn.blocked.is_some() || conn.wait.is_some() {
            return;
        }
    }
    core.acl.refresh(conn);
    // The argument ranges borrow the input buffer while handlers borrow the connection; move the
    // buffers out for the duration (three words each) and put them back at the end.
    let input = std::mem::take(&mut conn.input);
    let mut args = std::mem::take(&mut conn.args);
    let mut batch: Option<Open> = None;
    let limits = Limits {
        max_bulk_len: core.config.proto_max_bulk_len as usize,
        authenticated: conn.authenticated,
        ..Limits::default()
    };
    conn.paused = false;
    while conn.closing == Closing::Open && conn.pos < input.len() {
        let pending = &input[conn.pos..];
        let consumed = match parse_command(pending, &limits, &mut args) {
            Ok(n) => n,
            Err(ParseError::Incomplete) => break,
            Err(ParseError::Protocol(text)) => {
                if batch.is_some() {
                    break;
                }
                crate::verbose!("Protocol error ({}) from client: id={} addr={}", text, conn.id, conn.peer);
                conn.out.error(text.as_bytes());
                core.stats.total_error_replies += 1;
                *core.stats.errors.entry(error::error_code(text.as_bytes()).to_vec()).or_insert(0) += 1;
                conn.closing = Closing::AfterFlush;
                conn.pos = input.len();
                break;
            }
        };
        if args.is_empty() {
            conn.pos += consumed;
            continue;
        }
        let buf = if args.inline { &args.scratch[..] } else { pending };
        let argv = Argv::new(buf, &args.ranges);
        let route = route(core, conn, &argv);
        if let Some(open) = &mut batch {
            match route {
                Route::Remote(id, shard) if shard == open.shard && open.batch.cmds.len() < MAX_BATCH => {
                    conn.last_cmd = leak_name(id);
                    open.push(id, &argv);
                    conn.pos += consumed;
                    continue;
                }
                // Anything else waits until the batch's replies are in.
                _ => break,
            }
        }
        match route {
            Route::Paused => {
                conn.paused = true;
                break;
            }
            Route::Locked => {
                conn.paused = true;
                core.lock_parked.push(conn.slot);
                break;
            }
            Route::Reject(id, text) => {
                conn.pos += consumed;
                // Redis's lastcmd is the command named, even one refused or queued (NULL: none).
                conn.last_cmd = id.map_or("NULL", leak_name);
                if let Some(id) = id {
                    core.stats.commands[id].rejected_calls += 1;
                }
                let text = match conn.multi.as_mut() {
                    _ if id.is_some_and(|id| registry().entries[id].full_name == "exec") => {
                        // A rejected EXEC discards any transaction, naming why (even outside
                        // MULTI, as Redis words it), and MONITOR sees it.
                        feed_monitors(core, conn, id.expect("checked"), &argv);
                        conn.multi = None;
                        let watched = std::mem::take(&mut conn.watched);
                        crate::coord::multi::forget_watches(core, conn.cref(core.id), &watched);
                        let why = text.strip_prefix("ERR ").unwrap_or(&text);
                        format!("EXECABORT Transaction discarded because of: {why}")
                    }
                    Some(queue) => {
                        queue.aborted = true;
                        text
                    }
                    None => text,
                };
                let (before, mode) = (conn.out.buf.len(), conn.reply);
                conn.out.error(text.as_bytes());
                count_error(core, text.as_bytes());
                after_reply(conn, before, mode);
            }
            Route::Queue(id) => {
                conn.pos += consumed;
                conn.last_cmd = leak_name(id);
                conn.multi.as_mut().expect("routed as Queue").push(id, &argv);
                let (before, mode) = (conn.out.buf.len(), conn.reply);
                conn.out.simple(b"QUEUED");
                after_reply(conn, before, mode);
            }
            Route::Remote(id, shard) => {
                conn.last_cmd = leak_name(id);
                feed_monitors(core, conn, id, &argv);
                let mut open = Open::new(shard, conn);
                if let Some((reader, first_only)) =
                    conn.tracking.as_ref().map(|m| (m.reader(conn, core.id), m.caching.is_some()))
                {
                    open.batch.reader = reader.map(|t| (t, first_only));
                    if let Some(mode) = conn.tracking.as_mut() {
                        mode.caching = None;
                    }
                }
                open.push(id, &argv);
                conn.pos += consumed;
                batch = Some(open);
                if conn.reply != ReplyMode::On {
                    // Replies are dropped one command at a time: no batching.
                    break;
                }
            }
            Route::Local(id) | Route::Spread(id) => {
                let spread = matches!(route, Route::Spread(_));
                conn.pos += consumed;
                if registry().entries[id].spec.flags & flag::MONITOR_AFTER == 0 {
                    feed_monitors(core, conn, id, &argv);
                }
                let (before, mode) = (conn.out.buf.len(), conn.reply);
                core.client_now = conn.id;
                // Only a read command's keys are remembered (run_key checks each batched one).
                let reads = registry().entries[id].spec.flags & flag::READONLY != 0;
                core.reader = conn.tracking.as_ref().filter(|_| reads).and_then(|m| m.reader(conn, core.id));
                let flow = run_local(core, conn, id, argv, spread);
                (core.client_now, core.reader) = (0, None);
                if registry().entries[id].full_name != "client|caching" {
                    if let Some(mode) = conn.tracking.as_mut() {
                        mode.caching = None;
                    }
                }
                follow(core, conn, flow, before, mode);
                if core.blocking.has_ready() {
                    crate::coord::block::serve_ready(core);
                }
                // Like Redis, a client that went past its output limit runs nothing more.
                if conn.wait.is_some() || conn.blocked.is_some() || enforce_output_limit(core, conn) {
                    break;
                }
            }
        }
    }
    if let Some(batch) = batch {
        ship(core, conn, batch);
    }
    let mut input = input;
    if conn.pos == input.len() {
        conn.pos = 0;
        input.clear();
        if input.capacity() > 1024 * 1024 {
            input = Vec::new();
        }
    } else if conn.pos >= input.len() / 2 {
        // Moving the unparsed tail down costs at most what was parsed: amortised O(1) a byte.
        input.drain(..conn.pos);
        conn.pos = 0;
    }
    conn.input = input;
    conn.args = args;
}

/// `client-output-buffer-limit` (the normal class): a client past it is closed at once and its
/// pending replies dropped, as Redis closes it "ASAP"; returns true when that happened.
pub fn enforce_output_limit(core: &Core, conn: &mut Conn) -> bool {
    // A subscriber is in the pubsub class, as Redis's getClientType puts it.
    let limit = core.config.client_output_buffer_limit[if conn.subs.total() > 0 { 2 } else { 0 }];
    if conn.closing == Closing::Now || limit == (0, 0, 0) || !conn.over_output_limit(limit, core.now_ms / 1000) {
        return false;
    }
    conn.close_for_output_limit()
}

/// Applies CLIENT REPLY OFF/SKIP, as it stood before the command (`mode`), to the reply written
/// since `before`.
fn after_reply(conn: &mut Conn, before: usize, mode: ReplyMode) {
    match mode {
        ReplyMode::On => {}
        // CLIENT REPLY ON itself is answered.
        ReplyMode::Off if conn.reply == ReplyMode::On => {}
        ReplyMode::Off => conn.out.buf.truncate(before),
        ReplyMode::SkipNext => {
            conn.out.buf.truncate(before);
            if conn.reply == ReplyMode::SkipNext {
                conn.reply = ReplyMode::On;
            }
        }
    }
}

fn count_error(core: &mut Core, text: &[u8]) {
    core.stats.total_error_replies += 1;
    let code = error::error_code(text);
    match core.stats.errors.get_mut(code) {
        Some(n) => *n += 1,
        None => {
            core.stats.errors.insert(code.to_vec(), 1);
        }
    }
}

/// Looks the command up and decides where it runs.
fn route(core: &mut Core, conn: &Conn, argv: &Argv<'_>) -> Route {
    let reg = registry();
    let name = argv.get(0);
    let found = if core.renames.is_empty() { reg.lookup(name) } else { core.renames.lookup(name) };
    let Some(mut id) = found else {
        return Route::Reject(None, error::unknown_command(name, &mut argv.iter().skip(1)));
    };
    let mut spec = reg.entries[id].spec;
    if !arity_ok(spec.arity, argv.len()) {
        return Route::Reject(Some(id), CmdError::WrongArity(reg.entries[id].full_name.clone()).to_string());
    }
    if let (Handler::Container(_), true) = (&spec.handler, argv.len() > 1) {
        let sub = argv.get(1);
        match reg.lookup_sub(id, sub) {
            Some(sid) => {
                id = sid;
                spec = reg.entries[id].spec;
                if !arity_ok(spec.arity, argv.len()) {
                    return Route::Reject(
                        Some(id),
                        CmdError::WrongArity(reg.entries[id].full_name.clone()).to_string(),
                    );
                }
            }
            None => {
                return Route::Reject(None, CmdError::unknown_subcommand(spec.name, sub).to_string());
            }
        }
    }
    if !conn.authenticated && spec.flags & flag::NO_AUTH == 0 {
        return Route::Reject(Some(id), CmdError::NoAuth.to_string());
    }
    if !conn.user.unrestricted() {
        if let Err(denied) = crate::acl::check::check(&conn.user, id, argv) {
            let context =
                if conn.multi.is_some() { crate::acl::log::Context::Multi } else { crate::acl::log::Context::Toplevel };
            let info = conn.info_line_running(std::time::Instant::now(), leak_name(id));
            crate::acl::check::log_denied(core, conn, info, denied, id, argv, context);
            return Route::Reject(Some(id), denied.text(id));
        }
    }
    if core.eviction.oom && core.config.maxmemory != 0 {
        // As Redis: denyoom commands, EXEC of a transaction that queued one, and anything
        // else a transaction would queue (queuing takes memory too).
        let multi = conn.multi.as_ref();
        let denied = spec.flags & flag::DENYOOM != 0
            || match spec.name {
                "exec" => multi.is_some_and(|q| q.any_has(flag::DENYOOM)),
                "discard" | "quit" | "reset" => false,
                _ => multi.is_some(),
            };
        if denied {
            return Route::Reject(Some(id), crate::shard::evict::OOM.into());
        }
    }
    if crate::commands::persist::writes_denied(core) {
        let exec_writes = || spec.name == "exec" && conn.multi.as_ref().is_some_and(|q| q.writes());
        if spec.flags & flag::WRITE != 0 || spec.name == "ping" || exec_writes() {
            return Route::Reject(Some(id), crate::commands::persist::MISCONF.into());
        }
    }
    if !conn.out.resp3 && conn.subs.total() > 0 && !allowed_when_subscribed(spec.name) {
        let name = &reg.entries[id].full_name;
        return Route::Reject(
            Some(id),
            format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            ),
        );
    }
    if core.snapshot.loading {
        let exec_denied = || spec.name == "exec" && conn.multi.as_ref().is_some_and(|q| !q.all_have(flag::LOADING));
        if spec.flags & flag::LOADING == 0 || exec_denied() {
            return Route::Reject(Some(id), "LOADING Redis is loading the dataset in memory".into());
        }
    }
    if let Some(function) = core.busy_script {
        // A script holds this shard (see `reactor::busy_turn`): only what Redis allows then.
        let shutdown_nosave = spec.name == "shutdown" && argv.iter().skip(1).any(|a| a.eq_ignore_ascii_case(b"nosave"));
        if spec.flags & flag::ALLOW_BUSY == 0 && !shutdown_nosave {
            return Route::Reject(Some(id), crate::scripting::busy_text(function).into());
        }
    }
    if spec.flags & flag::PROTECTED != 0 {
        if let Some(text) = crate::commands::server::protected_refusal(core, conn) {
            return Route::Reject(Some(id), text);
        }
    }
    if core.pause.until.is_some() && core.pause.blocks(spec.flags & flag::WRITE != 0) {
        return Route::Paused;
    }
    // Inside MULTI everything but the transaction's own commands is queued, once the checks
    // above passed: this is where queue-time checks live (a rejection aborts the transaction).
    if conn.multi.is_some() && spec.flags & flag::TX_CONTROL == 0 {
        if spec.flags & flag::NO_MULTI != 0 {
            return Route::Reject(Some(id), "ERR Command not allowed inside a transaction".into());
        }
        return Route::Queue(id);
    }
    match spec.handler {
        Handler::Key(_) => {
            let mut positions = keys_at(spec, argv);
            let Some(first) = positions.next() else { return Route::Local(id) };
            let owner = core.owner(argv.get(first));
            if positions.any(|p| core.owner(argv.get(p)) != owner) {
                return match spec.spread {
                    Some(_) => Route::Spread(id),
                    None => Route::Reject(Some(id), "ERR keys of this command live on different shards".into()),
                };
            }
            if owner != core.id {
                match crate::scripting::busy_on(core, owner) {
                    Some(text) if spec.flags & flag::ALLOW_BUSY == 0 => Route::Reject(Some(id), text.into()),
                    _ => Route::Remote(id, owner),
                }
            } else if !core.locks.is_empty() && keys_blocked(core, conn.db, spec, argv) {
                Route::Locked
            } else {
                Route::Local(id)
            }
        }
        // A script whose declared keys here are held by a multi-shard transaction waits for
        // the release like a key command (instead of running, escalating and holding every
        // shard); the check costs nothing while no transaction holds anything here.
        Handler::Conn(_) if spec.flags & flag::SCRIPT != 0 && !core.locks.is_empty() => {
            let blocked = crate::commands::introspection::keys_of(id, argv).is_some_and(|found| {
                found.iter().any(|&p| {
                    let key = argv.get(p);
                    core.owner(key) == core.id && core.locks.blocks(conn.db, key, true)
                })
            });
            if blocked {
                Route::Locked
            } else {
                Route::Local(id)
            }
        }
        _ => Route::Local(id),
    }
}

/// What a RESP2 connection with subscriptions may still send.
fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Runs command `id` here, timing it for `INFO commandstats` and the slow log.
fn run_local(core: &mut Core, conn: &mut Conn, id: usize, argv: Argv<'_>, spread: bool) -> Flow {
    let entry = &registry().entries[id];
    conn.last_cmd = leak_name(id);
    let _running = crate::crash::Running::set(conn.last_cmd);
    let start = clock::ticks();
    let before = conn.out.buf.len();
    core.no_touch = conn.no_touch;
    let result = match entry.spec.handler {
        _ if spread => (entry.spec.spread.expect("routed as Spread"))(&mut Cx { core, conn, argv }),
        Handler::Conn(f) => f(&mut Cx { core, conn, argv }),
        Handler::Key(f) => {
            let db = conn.db;
            let result = f(&mut KeyCx { core, db, argv, out: &mut conn.out });
            if result.is_ok() {
                signal_written(core, entry.spec, db, &argv, &conn.out.buf[before..]);
            }
            track_reads(core, entry.spec, &argv);
            result.map(|()| Flow::Done)
        }
        Handler::Container(Some(bare)) => bare(&mut Cx { core, conn, argv }),
        Handler::Container(None) => Ok(Flow::Done),
    };
    core.no_touch = false;
    core.flush_expired();
    let flow = match result {
        Ok(flow) => flow,
        Err(e) => {
            conn.out.error(e.to_string().as_bytes());
            Flow::Done
        }
    };
    if let Flow::Wait(_) | Flow::Then(_) = flow {
        // Counted when the answers are in, so that e.g. SLOWLOG GET does not see itself.
        conn.running = Some((id, start, argv.to_vec()));
        return flow;
    }
    finished(core, conn, id, start, &|| argv.to_vec(), before);
    flow
}

/// Statistics and slow log for a command that has just written its reply after `before`.
fn finished(core: &mut Core, conn: &Conn, id: usize, start: u64, args: &dyn Fn() -> Vec<Vec<u8>>, before: usize) {
    let micros = clock::micros_since(start);
    account(core, id, micros, conn.out.buf.get(before..).unwrap_or_default());
    if registry().entries[id].spec.flags & flag::MONITOR_AFTER != 0 && monitoring(core) {
        feed_monitor_args(core, conn, id, args().iter().map(Vec::as_slice));
    }
    if registry().entries[id].spec.flags & flag::SKIP_SLOWLOG == 0 && core.is_slow(micros) {
        core.slowlog_push(micros, args(), &conn.peer, &conn.name);
    }
}

/// The registry's full name with a 'static lifetime (the registry lives for the process).
fn leak_name(id: usize) -> &'static str {
    &registry().entries[id].full_name
}

/// Counts a run of command `id` whose reply is `reply`.
fn account(core: &mut Core, id: usize, micros: u64, reply: &[u8]) {
    let stat = &mut core.stats.commands[id];
    stat.calls += 1;
    stat.usec += micros;
    core.stats.record_latency(id, micros);
    core.stats.total_commands += 1;
    if reply.first() == Some(&b'-') {
        core.stats.commands[id].failed_calls += 1;
        let end = memchr::memchr(b'\r', reply).unwrap_or(reply.len());
        count_error(core, &reply[1..end]);
    }
}

/// Carries on with `flow` for a client whose replies nobody reads (a server task).
pub fn drive(core: &mut Core, conn: &mut Conn, flow: Flow) {
    follow(core, conn, flow, conn.out.buf.len(), ReplyMode::On);
}

/// Carries on with what a command asked for after it wrote (part of) its reply.
fn follow(core: &mut Core, conn: &mut Conn, mut flow: Flow, before: usize, mode: ReplyMode) {
    loop {
        match flow {
            Flow::Done => return after_reply(conn, before, mode),
            Flow::Close => {
                after_reply(conn, before, mode);
                conn.closing = Closing::AfterFlush;
                return;
            }
            Flow::Wait(fan) => return start_fanout(core, conn, fan, mode),
            Flow::Then(step) => flow = step(core, conn),
        }
    }
}

/// Would any command of `batch` touch a key a transaction holds here?
pub fn batch_blocked(core: &Core, batch: &Batch) -> bool {
    if core.locks.is_empty() {
        return false;
    }
    batch.cmds.iter().any(|(id, argv)| keys_blocked(core, batch.db, registry().entries[id].spec, &argv))
}

fn keys_blocked(core: &Core, db: usize, spec: &crate::commands::Spec, argv: &Argv<'_>) -> bool {
    let write = spec.flags & flag::WRITE != 0;
    keys_at(spec, argv).any(|p| core.locks.blocks(db, argv.get(p), write))
}

/// Runs a shipped batch on its owner; returns the encoded replies.
pub fn run_batch(core: &mut Core, batch: &Batch) -> Vec<u8> {
    let mut out = Out::new(batch.resp3);
    core.no_touch = batch.no_touch;
    for (i, (id, argv)) in batch.cmds.iter().enumerate() {
        core.client_now = batch.client;
        // A CLIENT CACHING answer is for the first command only.
        core.reader = batch.reader.filter(|&(_, first_only)| i == 0 || !first_only).map(|(t, _)| t);
        run_key(core, id, batch.db, argv, &mut out, &batch.peer, &batch.name);
        core.reader = None;
        core.client_now = 0;
        if core.blocking.has_ready() {
            crate::coord::block::serve_ready(core);
        }
    }
    core.no_touch = false;
    out.buf
}

/// Runs key command `id` on the shard that owns its keys, writing its reply to `out`: timing,
/// statistics, slow log, and the modification signal for WATCH.
pub fn run_key(core: &mut Core, id: usize, db: usize, argv: Argv<'_>, out: &mut Out, peer: &str, name: &str) {
    let spec = registry().entries[id].spec;
    let Handler::Key(f) = spec.handler else { return };
    let _running = crate::crash::Running::set(leak_name(id));
    let start = clock::ticks();
    let before = out.buf.len();
    match f(&mut KeyCx { core, db, argv, out }) {
        Ok(()) => signal_written(core, spec, db, &argv, &out.buf[before..]),
        Err(e) => out.error(e.to_string().as_bytes()),
    }
    track_reads(core, spec, &argv);
    core.flush_expired();
    let micros = clock::micros_since(start);
    account(core, id, micros, &out.buf[before..]);
    if spec.flags & flag::SKIP_SLOWLOG == 0 && core.is_slow(micros) {
        core.slowlog_push(micros, argv.to_vec(), peer, name);
    }
}

/// A read command of a tracking client ran (`core.reader`): its keys are remembered for it.
#[inline]
fn track_reads(core: &mut Core, spec: &crate::commands::Spec, argv: &Argv<'_>) {
    if let (Some(reader), true) = (core.reader, spec.flags & flag::READONLY != 0) {
        for p in key_positions(spec, argv.len()) {
            core.remember_read(argv.get(p), reader);
        }
    }
}

/// A write command ran without error: the keys it writes are modified (WATCH, blocked
/// clients, the count of changes save points look at), unless its reply says it changed
/// nothing (see `coord::watch::unchanged`).
#[inline]
fn signal_written(core: &mut Core, spec: &crate::commands::Spec, db: usize, argv: &Argv<'_>, reply: &[u8]) {
    if spec.flags & (flag::WRITE | flag::SIGNALS) != flag::WRITE
        || reply.first() == Some(&b'-')
        || crate::coord::watch::unchanged(spec.name, argv, reply)
    {
        return;
    }
    if core.watches.is_empty() && core.blocking.is_empty() && core.tracking.is_empty() {
        // Nobody to tell: only the count.
        core.snapshot.changes += key_positions(spec, argv.len()).count() as u64;
        return;
    }
    for p in key_positions(spec, argv.len()) {
        if !crate::coord::watch::only_read(spec.name, p) {
            core.signal_modified(db, argv.get(p));
        }
    }
}

/// Runs a connection command (or the multi-shard form of a key command) queued in a
/// transaction, on the connection's core. Its statistics are counted now, its reply is part
/// of EXEC's.
pub fn run_in_exec(core: &mut Core, conn: &mut Conn, id: usize, argv: Argv<'_>, spread: bool) -> Flow {
    let entry = &registry().entries[id];
    let _running = crate::crash::Running::set(leak_name(id));
    let start = clock::ticks();
    let before = conn.out.buf.len();
    let result = match entry.spec.handler {
        _ if spread => match entry.spec.spread {
            Some(f) => f(&mut Cx { core, conn, argv }),
            None => Err(CmdError::other("ERR keys of this command live on different shards")),
        },
        Handler::Conn(f) => f(&mut Cx { core, conn, argv }),
        Handler::Key(_) => unreachable!("key commands run through run_key"),
        Handler::Container(Some(bare)) => bare(&mut Cx { core, conn, argv }),
        Handler::Container(None) => Ok(Flow::Done),
    };
    let flow = result.unwrap_or_else(|e| {
        conn.out.error(e.to_string().as_bytes());
        Flow::Done
    });
    let micros = clock::micros_since(start);
    account(core, id, micros, conn.out.buf.get(before..).unwrap_or_default());
    if entry.spec.flags & flag::SKIP_SLOWLOG == 0 && core.is_slow(micros) {
        core.slowlog_push(micros, argv.to_vec(), &conn.peer, &conn.name);
    }
    flow
}

fn ship(core: &mut Core, conn: &mut Conn, open: Open) {
    conn.wait = Some(Wait { remaining: 1, parts: vec![None], finish: None, suppress: conn.reply != ReplyMode::On });
    if conn.reply == ReplyMode::SkipNext {
        conn.reply = ReplyMode::On;
    }
    core.shared.mesh.send(open.shard, Msg::Batch { reply_to: conn.cref(core.id), batch: Box::new(open.batch) });
}

/// Sends a fan-out's jobs; every job, this shard's included, goes through the inbox so it runs
/// when no connection is checked out of `core.conns`.
fn start_fanout(core: &mut Core, conn: &mut Conn, fan: FanOut, mode: ReplyMode) {
    let FanOut { jobs, finish } = fan;
    let suppress = mode != ReplyMode::On;
    if mode == ReplyMode::SkipNext {
        conn.reply = ReplyMode::On;
    }
    if jobs.is_empty() {
        let before = conn.out.buf.len();
        let flow = finish(core, conn, Vec::new());
        follow(core, conn, flow, before, if suppress { ReplyMode::Off } else { ReplyMode::On });
        return;
    }
    let me = conn.cref(core.id);
    conn.wait = Some(Wait {
        remaining: jobs.len(),
        parts: (0..jobs.len()).map(|_| None).collect(),
        finish: Some(finish),
        suppress,
    });
    for (part, (shard, job)) in jobs.into_iter().enumerate() {
        core.shared.mesh.send(shard, Msg::Run { reply_to: me, part, job });
    }
}

/// An answer for `conn` arrived. Returns true when the connection may run commands again.
pub fn deliver(core: &mut Core, conn: &mut Conn, part: usize, out: JobOut) -> bool {
    let Some(wait) = &mut conn.wait else { return false };
    if part < wait.parts.len() && wait.parts[part].is_none() {
        wait.parts[part] = Some(out);
        wait.remaining -= 1;
    }
    if wait.remaining > 0 {
        return false;
    }
    let wait = conn.wait.take().expect("checked above");
    let parts: Vec<JobOut> = wait.parts.into_iter().map(|p| p.expect("all parts arrived")).collect();
    match wait.finish {
        None => {
            if !wait.suppress {
                for part in parts {
                    if let Ok(bytes) = part.downcast::<Vec<u8>>() {
                        conn.out.buf.extend_from_slice(&bytes);
                    }
                }
            }
        }
        Some(finish) => {
            let before = conn.out.buf.len();
            let mode = if wait.suppress { ReplyMode::Off } else { ReplyMode::On };
            let flow = finish(core, conn, parts);
            follow(core, conn, flow, before, mode);
            if conn.wait.is_some() {
                // Another round started; the command is not finished yet.
                return false;
            }
            if let Some((id, start, args)) = conn.running.take() {
                finished(core, conn, id, start, &|| args.clone(), before);
            }
        }
    }
    true
}

/// Sends the command to every MONITOR client, as Redis formats it.
pub fn feed_monitors(core: &mut Core, conn: &Conn, id: usize, argv: &Argv<'_>) {
    if monitoring(core) {
        feed_monitor_args(core, conn, id, argv.iter());
    }
}

/// Is any client in MONITOR?
fn monitoring(core: &Core) -> bool {
    core.shared.monitors.load(std::sync::atomic::Ordering::Relaxed) > 0
}

fn feed_monitor_args<'a>(core: &mut Core, conn: &Conn, id: usize, args: impl Iterator<Item = &'a [u8]>) {
    let spec = registry().entries[id].spec;
    if spec.flags & (flag::SKIP_MONITOR | flag::ADMIN) != 0 && spec.flags & flag::SCRIPT == 0 {
        return;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let addr = if conn.fd < 0 {
        // The script client (see crate::scripting).
        "lua".to_string()
    } else if conn.unix {
        format!("unix:{}", conn.local.trim_end_matches(":0"))
    } else {
        conn.peer.clone()
    };
    let mut line = format!("{}.{:06} [{} {}]", now.as_secs(), now.subsec_micros(), conn.db, addr);
    for arg in args {
        line.push(' ');
        line.push_str(&crate::config::repr(arg));
    }
    let line = std::sync::Arc::new(line);
    core.shared.mesh.broadcast(|| {
        let line = line.clone();
        Box::new(move |core: &mut Core| {
            for c in core.conns.iter_mut().filter(|c| c.monitor) {
                c.out.simple(line.as_bytes());
                core.dirty.push(c.slot);
            }
            Box::new(())
        })
    });
}
