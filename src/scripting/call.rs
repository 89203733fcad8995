//! `redis.call` and the other `redis.*` functions that need the running script's context.
//!
//! A script runs on one core with a [`Run`]: that core, the script's own client (Redis's "lua
//! client": its database, its protocol), and what the script may touch. A call:
//!
//! 1. checks the command as Redis checks it for scripts (unknown, arity, `noscript`, writes
//!    from a read-only script);
//! 2. checks its keys against what the run holds ([`Run::wide`]: every shard; otherwise only
//!    this shard's keys that no transaction holds). A key outside makes the run *escalate*:
//!    the call fails, every later call fails, and whatever the script wrote is undone from the
//!    run's undo log; the caller then runs the script again holding every shard;
//! 3. runs the command: in place when its keys are here, by a job on the owner (waiting for the
//!    answer) when the run holds every shard, and a connection command on the script's client,
//!    its rounds of jobs driven to the end before the call returns;
//! 4. reads the reply back into Lua ([`super::reply`]).

use std::cell::Cell;
use std::ffi::c_int;
use std::ptr;

use mlua::ffi;
use mlua::ffi::lua_State;

use super::vm::{raise_err_table, raise_static, to_bytes};
use crate::commands::{arity_ok, flag, keys_at, registry, Argv, FanOut, Flow, Handler};
use crate::server::conn::Conn;
use crate::shard::mesh::{JobOut, Msg};
use crate::shard::Core;

thread_local! {
    /// The run in progress on this thread's VM, if any.
    static CURRENT: Cell<*mut Run> = const { Cell::new(ptr::null_mut()) };
    /// While a FUNCTION LOAD runs library code: when it must have ended (ms since the epoch).
    pub(crate) static LOAD_DEADLINE: Cell<u64> = const { Cell::new(0) };
}

/// How long library code may run at FUNCTION LOAD, as in Redis.
pub(crate) const LOAD_TIMEOUT_MS: u64 = 500;

/// A script's run on one core.
pub struct Run {
    pub core: *mut Core,
    /// The script's own client.
    pub client: *mut Conn,
    /// Holds every shard: any key may be touched, on any shard.
    pub wide: bool,
    /// EVAL_RO, FCALL_RO, or a `no-writes` script.
    pub read_only: bool,
    /// Set when a call needed more than the run holds; see the module docs.
    pub escalate: bool,
    /// The escalation was for another shard's key (not for a key a transaction held here):
    /// worth remembering for the script's next runs.
    pub spans: bool,
    /// A write command has run.
    pub wrote: bool,
    /// `allow-oom`: denyoom commands run even past maxmemory.
    pub allow_oom: bool,
    /// The caller's CLIENT INFO line, for the ACL LOG entry of a denied call (Redis logs the
    /// caller, not the script's client). Only kept for a restricted user.
    pub caller_info: Option<String>,
    /// Values before the script's writes, to undo them on escalation (only kept where an
    /// escalation can happen: a run that is not wide, with more than one shard).
    pub undo: Option<super::undo::Undo>,
    /// A read command has run (CLIENT TRACKING then remembers the script's declared keys for
    /// its caller, as Redis does).
    pub read: bool,
    /// The arguments of the call being made: bytes and ranges, and its key positions (reused).
    args: Vec<u8>,
    ranges: Vec<(u32, u32)>,
    positions: Vec<usize>,
}

impl Run {
    pub fn new(core: *mut Core, client: *mut Conn, wide: bool, read_only: bool, undo: bool) -> Run {
        Run {
            core,
            client,
            wide,
            read_only,
            escalate: false,
            spans: false,
            wrote: false,
            allow_oom: false,
            caller_info: None,
            undo: undo.then(Default::default),
            read: false,
            args: Vec::new(),
            ranges: Vec::new(),
            positions: Vec::new(),
        }
    }

    /// Makes this run the current one for the duration of `f`.
    pub fn enter<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let before = CURRENT.with(|c| c.replace(self as *mut Run));
        let out = f();
        CURRENT.with(|c| c.set(before));
        out
    }

    /// Puts back every value the script changed.
    pub fn rollback(&mut self, core: &mut Core) {
        if let Some(undo) = self.undo.take() {
            undo.rollback(core);
        }
    }
}

/// The text of the error that stops an escalating script (never seen by a client).
const ESCALATE: &std::ffi::CStr = c"ERR shardis: this script runs again holding every shard";

/// What a call produced.
enum Called {
    /// A reply is in the client's output.
    Reply,
    /// The run must escalate.
    Escalate,
}

/// redis.call(...)
pub(crate) unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    generic(l, true)
}

/// redis.pcall(...)
pub(crate) unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    generic(l, false)
}

unsafe fn current<'a>(l: *mut lua_State) -> &'a mut Run {
    let run = CURRENT.with(|c| c.get());
    if run.is_null() {
        raise_static(l, c"ERR redis.call is available only while a script runs");
    }
    &mut *run
}

unsafe fn generic(l: *mut lua_State, raise: bool) -> c_int {
    let run = current(l);
    if run.escalate {
        raise_static(l, ESCALATE);
    }
    check_killed(l, run);
    if let Err(e) = take_args(l, run) {
        return fail(l, raise, e);
    }
    let called = call(run);
    if let Called::Escalate = called {
        run.escalate = true;
        raise_static(l, ESCALATE);
    }
    let client = &mut *run.client;
    let pushed = super::reply::push(l, &client.out.buf);
    client.out.buf.clear();
    if pushed.is_none() {
        return fail(l, raise, c"ERR reply of a command called from script could not be read");
    }
    if raise && ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        ffi::lua_getfield_(l, -1, c"err".as_ptr());
        let is_err = ffi::lua_type(l, -1) == ffi::LUA_TSTRING;
        ffi::lua_pop(l, 1);
        if is_err {
            ffi::lua_error(l);
        }
    }
    1
}

/// Copies the Lua call's arguments into `run.args` as Redis makes them (luaArgsToRedisArgv).
unsafe fn take_args(l: *mut lua_State, run: &mut Run) -> Result<(), &'static std::ffi::CStr> {
    let argc = ffi::lua_gettop(l);
    if argc == 0 {
        return Err(c"ERR Please specify at least one argument for this redis lib call");
    }
    run.args.clear();
    run.ranges.clear();
    for i in 1..=argc {
        let t = ffi::lua_type(l, i);
        if t != ffi::LUA_TSTRING && t != ffi::LUA_TNUMBER {
            return Err(c"ERR Lua redis lib command arguments must be strings or integers");
        }
        let start = run.args.len() as u32;
        if t == ffi::LUA_TNUMBER {
            // As Redis writes a number argument: %.17g.
            let mut buf = [0u8; 32];
            let n = libc::snprintf(buf.as_mut_ptr() as *mut _, buf.len(), c"%.17g".as_ptr(), ffi::lua_tonumber(l, i));
            run.args.extend_from_slice(&buf[..(n.max(0) as usize).min(buf.len() - 1)]);
        } else {
            run.args.extend_from_slice(to_bytes(l, i).unwrap_or_default());
        }
        run.ranges.push((start, run.args.len() as u32));
    }
    Ok(())
}

/// The text a killed script stops with (both kinds say SCRIPT KILL, as Redis 7.0 does).
const KILLED: &std::ffi::CStr = c"ERR Script killed by user with SCRIPT KILL...";

/// Raises the kill error when SCRIPT KILL or FUNCTION KILL asked this run to stop.
unsafe fn check_killed(l: *mut lua_State, run: &Run) {
    let core = &*run.core;
    if core.shared.scripts[core.id].kill.load(std::sync::atomic::Ordering::Acquire) {
        raise_static(l, KILLED);
    }
}

/// The count hook: every so many instructions, a killed script gets the kill error (again
/// and again, so a `pcall` cannot keep it alive).
pub(crate) unsafe extern "C-unwind" fn hook(l: *mut lua_State, _ar: *mut ffi::lua_Debug) {
    let run = CURRENT.with(|c| c.get());
    if run.is_null() {
        let deadline = LOAD_DEADLINE.with(|d| d.get());
        if deadline != 0 && crate::shard::now_ms() > deadline {
            ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKLINE, 0);
            raise_static(l, c"ERR FUNCTION LOAD timeout");
        }
        return;
    }
    let core = &mut *(*run).core;
    let running = &core.shared.scripts[core.id];
    if running.kill.load(std::sync::atomic::Ordering::Acquire) {
        // From now on every line raises it, so a script that catches it in a loop still ends
        // (the next line outside the pcall raises it where nothing catches it).
        ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKLINE, 0);
        raise_static(l, KILLED);
    }
    let started = running.started_ms.load(std::sync::atomic::Ordering::Relaxed);
    let threshold = core.config.busy_reply_threshold.max(0) as u64;
    if core.busy_script.is_none() && crate::shard::now_ms().saturating_sub(started) >= threshold {
        core.busy_script = Some(running.function.load(std::sync::atomic::Ordering::Relaxed));
    }
    if core.busy_script.is_some() {
        // Serve this shard's clients: -BUSY, or SCRIPT KILL, which this very hook then sees.
        crate::server::reactor::busy_turn(core);
        if core.shared.scripts[core.id].kill.load(std::sync::atomic::Ordering::Acquire) {
            ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKLINE, 0);
            raise_static(l, KILLED);
        }
    }
}

/// An error before the command ran: raised by redis.call, returned by redis.pcall.
unsafe fn fail(l: *mut lua_State, raise: bool, msg: &std::ffi::CStr) -> c_int {
    ffi::lua_pushstring_(l, msg.as_ptr());
    if raise {
        raise_err_table(l);
    }
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_insert(l, -2);
    ffi::lua_setfield(l, -2, c"err".as_ptr());
    1
}

/// Checks and runs the command in `run.args`, leaving its reply in the client's output.
fn call(run: &mut Run) -> Called {
    // SAFETY: the run's pointers are live for the whole run (set by the runner, which holds
    // the core and the client and does not touch them while the script runs).
    let (core, client) = unsafe { (&mut *run.core, &mut *run.client) };
    let argv = Argv::new(&run.args, &run.ranges);
    let out = &mut client.out;
    let reg = registry();
    let Some(mut id) = core.renames.lookup(argv.get(0)) else {
        out.error(b"ERR Unknown Redis command called from script");
        return Called::Reply;
    };
    if !arity_ok(reg.entries[id].spec.arity, argv.len()) {
        out.error(b"ERR Wrong number of args calling Redis command from script");
        return Called::Reply;
    }
    if let (Handler::Container(_), true) = (&reg.entries[id].spec.handler, argv.len() > 1) {
        match reg.lookup_sub(id, argv.get(1)) {
            Some(sid) if arity_ok(reg.entries[sid].spec.arity, argv.len()) => id = sid,
            Some(_) => {
                out.error(b"ERR Wrong number of args calling Redis command from script");
                return Called::Reply;
            }
            None => {
                let name = reg.entries[id].spec.name;
                out.error(crate::error::CmdError::unknown_subcommand(name, argv.get(1)).to_string().as_bytes());
                return Called::Reply;
            }
        }
    }
    let spec = reg.entries[id].spec;
    if spec.flags & flag::NOSCRIPT != 0 {
        out.error(b"ERR This Redis command is not allowed from script");
        return Called::Reply;
    }
    // The script runs as its caller's user (Redis's scriptVerifyACL).
    if !client.user.unrestricted() {
        if let Err(denied) = crate::acl::check::check(&client.user, id, &argv) {
            let info = run.caller_info.clone().unwrap_or_else(|| client.info_line(std::time::Instant::now()));
            crate::acl::check::log_denied(core, client, info, denied, id, &argv, crate::acl::log::Context::Lua);
            client.out.error(denied.script_text().as_bytes());
            return Called::Reply;
        }
    }
    let write = spec.flags & flag::WRITE != 0;
    if write && run.read_only {
        out.error(b"ERR Write commands are not allowed from read-only scripts.");
        return Called::Reply;
    }
    if write && crate::commands::persist::writes_denied(core) {
        out.error(crate::commands::persist::MISCONF.as_bytes());
        return Called::Reply;
    }
    // Redis's scriptVerifyOOM: only before the script's first write (it cannot stop halfway).
    if spec.flags & flag::DENYOOM != 0 && !run.allow_oom && !run.wrote && crate::shard::evict::out_of_memory(core) {
        out.error(crate::shard::evict::OOM.as_bytes());
        return Called::Reply;
    }
    let db = client.db;
    let positions = &mut run.positions;
    positions.clear();
    if spec.flags & flag::MOVABLEKEYS != 0 && spec.more_keys.is_none() {
        positions.extend(crate::commands::introspection::keys_of(id, &argv).unwrap_or_default());
    } else {
        positions.extend(keys_at(spec, &argv));
    }
    let mut owner = None;
    let mut one_owner = true;
    for &p in positions.iter() {
        let key = argv.get(p);
        let o = core.owner(key);
        if !run.wide && o != core.id {
            run.spans = true;
            return Called::Escalate;
        }
        if !run.wide && core.locks.blocks(db, key, write) {
            return Called::Escalate;
        }
        match owner {
            None => owner = Some(o),
            Some(first) if first != o => one_owner = false,
            _ => {}
        }
    }
    if write {
        if !run.wrote {
            run.wrote = true;
            core.shared.scripts[core.id].wrote.store(true, std::sync::atomic::Ordering::Release);
        }
        if let Some(undo) = &mut run.undo {
            undo.record(core, db, spec.name, &argv, positions);
        }
    }
    crate::server::exec::feed_monitors(core, client, id, &argv);
    run.read |= spec.flags & flag::READONLY != 0;
    match spec.handler {
        Handler::Key(_) if one_owner => {
            let owner = owner.unwrap_or(core.id);
            if owner == core.id {
                crate::server::exec::run_key(core, id, db, argv, &mut client.out, "?:0", "");
            } else {
                let (buf, ranges, resp3) = (run.args.clone(), run.ranges.clone(), client.out.resp3);
                let client_id = core.client_now;
                let job: crate::shard::mesh::Job = Box::new(move |core: &mut Core| -> JobOut {
                    let mut out = crate::protocol::Out::new(resp3);
                    core.client_now = client_id;
                    crate::server::exec::run_key(core, id, db, Argv::new(&buf, &ranges), &mut out, "?:0", "");
                    Box::new(out.buf)
                });
                let mut parts = run_jobs(core, vec![(owner, job)]);
                if let Some(bytes) = parts.pop().and_then(|p| p.downcast::<Vec<u8>>().ok()) {
                    client.out.raw(&bytes);
                }
            }
            Called::Reply
        }
        Handler::Key(_) => {
            // Keys on several shards: the command's multi-shard form, joining the run's hold.
            let Some(spread) = spec.spread else {
                client.out.error(b"ERR keys of this command live on different shards");
                return Called::Reply;
            };
            let flow = spread(&mut crate::commands::Cx { core, conn: client, argv }).unwrap_or_else(|e| {
                client.out.error(e.to_string().as_bytes());
                Flow::Done
            });
            let called = drive(core, client, flow, run.wide);
            run.spans |= matches!(called, Called::Escalate);
            called
        }
        _ => {
            let flow = crate::server::exec::run_in_exec(core, client, id, argv, false);
            let called = drive(core, client, flow, run.wide);
            run.spans |= matches!(called, Called::Escalate);
            called
        }
    }
}

/// Carries a connection command's flow to its end, synchronously: every round of jobs runs
/// (this core's in place, others' by the mesh) and its answers are waited for. A round that
/// needs another shard makes a run that does not hold every shard escalate; nothing has run
/// then.
fn drive(core: &mut Core, client: &mut Conn, mut flow: Flow, wide: bool) -> Called {
    loop {
        match flow {
            Flow::Done | Flow::Close => return Called::Reply,
            Flow::Then(step) => flow = step(core, client),
            Flow::Wait(FanOut { jobs, finish }) => {
                if !wide && jobs.iter().any(|(s, _)| *s != core.id) {
                    return Called::Escalate;
                }
                let parts = run_jobs(core, jobs);
                flow = finish(core, client, parts);
            }
        }
    }
}

/// Runs jobs, this core's in place and the others on their shards, and waits for all of them.
/// Only a run that holds every shard sends jobs away, and no other core then waits for this
/// one, so the wait cannot deadlock (see the module docs of [`super`]).
pub fn run_jobs(core: &mut Core, jobs: Vec<(usize, crate::shard::mesh::Job)>) -> Vec<JobOut> {
    let n = jobs.len();
    let mut parts: Vec<Option<JobOut>> = (0..n).map(|_| None).collect();
    let (tx, rx) = std::sync::mpsc::channel::<(usize, JobOut)>();
    let mut remote = 0;
    let mut local = Vec::new();
    for (i, (shard, job)) in jobs.into_iter().enumerate() {
        if shard == core.id {
            local.push((i, job));
        } else {
            remote += 1;
            let tx = tx.clone();
            core.shared.mesh.send(
                shard,
                Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                    let _ = tx.send((i, job(core)));
                    Box::new(())
                })),
            );
        }
    }
    for (i, job) in local {
        parts[i] = Some(job(core));
    }
    drop(tx);
    for (i, out) in rx.iter().take(remote) {
        parts[i] = Some(out);
    }
    parts.into_iter().map(|p| p.unwrap_or_else(|| Box::new(()))).collect()
}

/// math.random([m [, n]]) on Redis's generator.
pub(crate) unsafe extern "C-unwind" fn math_random(l: *mut lua_State) -> c_int {
    let r = super::with_rng(|rng| rng.unit());
    match ffi::lua_gettop(l) {
        0 => ffi::lua_pushnumber(l, r),
        1 => {
            let u = ffi::luaL_checknumber(l, 1) as i64;
            if u < 1 {
                ffi::luaL_argerror(l, 1, c"interval is empty".as_ptr());
            }
            ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
        }
        2 => {
            let lo = ffi::luaL_checknumber(l, 1) as i64;
            let up = ffi::luaL_checknumber(l, 2) as i64;
            if lo > up {
                ffi::luaL_argerror(l, 2, c"interval is empty".as_ptr());
            }
            ffi::lua_pushnumber(l, (r * (up - lo + 1) as f64).floor() + lo as f64);
        }
        _ => {
            ffi::luaL_error(l, c"wrong number of arguments".as_ptr());
        }
    }
    1
}

/// math.randomseed(n)
pub(crate) unsafe extern "C-unwind" fn math_randomseed(l: *mut lua_State) -> c_int {
    let seed = ffi::luaL_checkinteger(l, 1) as i32;
    super::with_rng(|rng| *rng = super::rand::Rand48::seeded(seed));
    0
}

/// redis.log(level, message...)
pub(crate) unsafe extern "C-unwind" fn redis_log(l: *mut lua_State) -> c_int {
    let argc = ffi::lua_gettop(l);
    if argc < 2 {
        raise_static(l, c"ERR redis.log() requires two arguments or more.");
    }
    if ffi::lua_isnumber(l, 1) == 0 {
        raise_static(l, c"ERR First argument must be a number (log level).");
    }
    let level = ffi::lua_tonumber(l, 1) as i64;
    if !(0..=3).contains(&level) {
        raise_static(l, c"ERR Invalid debug level.");
    }
    let mut text = Vec::new();
    for i in 2..=argc {
        if let Some(s) = to_bytes(l, i) {
            if i > 2 {
                text.push(b' ');
            }
            text.extend_from_slice(s);
        }
    }
    let line = String::from_utf8_lossy(&text).into_owned();
    drop(text);
    match level {
        0 => crate::log::log(crate::log::Level::Debug, &line),
        1 => crate::verbose!("{line}"),
        2 => crate::notice!("{line}"),
        _ => crate::warning!("{line}"),
    }
    0
}

/// redis.setresp(2|3): the protocol the script's calls reply in.
pub(crate) unsafe extern "C-unwind" fn redis_setresp(l: *mut lua_State) -> c_int {
    let run = current(l);
    if ffi::lua_gettop(l) != 1 {
        raise_static(l, c"ERR redis.setresp() requires one argument.");
    }
    let v = ffi::lua_tonumber(l, 1) as i64;
    if v != 2 && v != 3 {
        raise_static(l, c"ERR RESP version must be 2 or 3.");
    }
    (*run.client).out.resp3 = v == 3;
    0
}

/// redis.acl_check_cmd(command, args...): whether the script's caller may run the command
/// with these arguments (its name as clients use it, after `rename-command`); an unknown
/// command is an error.
pub(crate) unsafe extern "C-unwind" fn redis_acl_check_cmd(l: *mut lua_State) -> c_int {
    let run = current(l);
    if let Err(e) = take_args(l, run) {
        raise_static(l, e);
    }
    let (core, client) = (&*run.core, &*run.client);
    let argv = Argv::new(&run.args, &run.ranges);
    let reg = registry();
    let mut id = core.renames.lookup(argv.get(0));
    if let Some(top) =
        id.filter(|&top| argv.len() > 1 && matches!(reg.entries[top].spec.handler, Handler::Container(_)))
    {
        id = reg.lookup_sub(top, argv.get(1));
    }
    let Some(id) = id else {
        raise_static(l, c"ERR Invalid command passed to redis.acl_check_cmd()");
    };
    let allowed = client.user.unrestricted() || crate::acl::check::check(&client.user, id, &argv).is_ok();
    ffi::lua_pushboolean(l, allowed as c_int);
    1
}
