//! Lua scripting: EVAL/EVALSHA/SCRIPT, one Lua 5.1 VM per shard.
//!
//! # Where a script runs, and why it is atomic
//!
//! Every shard has its own VM ([`vm`]) and its own copy of the script cache. SCRIPT LOAD and
//! the first EVAL of a body compile it on the connection's shard, then hand the body to every
//! other shard and wait for all of them before replying, so an EVALSHA on any connection finds
//! what was just loaded.
//!
//! A script runs in one of two ways:
//!
//! - **On one shard, holding nothing.** When every declared key lives on one shard (or there
//!   are none, or there is only one shard), the script runs on that shard: in place when it is
//!   the connection's own, else in one hop. It runs to its end on that thread, so nothing else
//!   sees it half done, and it costs no coordinator round. Each call still checks its keys:
//!   one owned by another shard, or held by a multi-shard transaction here, cannot be touched
//!   this way, so the run *escalates* (below).
//! - **Holding every shard.** A script whose declared keys span shards, one that escalated, and
//!   one that escalated lately (in its last [`WIDE_RUNS`] runs on that shard, so that a script
//!   that always spans pays for a wasted first try only once in a while, and one that spanned
//!   once, on keys it computed, goes back to one shard soon), runs on the
//!   connection's shard under a transaction ([`crate::coord::Tx`]) that holds every database
//!   of every shard exclusively. Its calls on other shards' keys are jobs on those shards whose
//!   answers the script waits for. While it runs, commands on any shard that touch its
//!   databases wait for the release, so no client sees part of it, whatever keys it computed.
//!
//! Escalation: the failing call raises an error that every later call raises too (a `pcall`
//! cannot swallow it for good); when the script ends, whatever it wrote is put back from the
//! run's undo log ([`undo`]: kept only where an escalation can happen; the value of each key
//! before its first write, or for a big collection only the members, fields or entries each
//! write changes, so a queue script's ZADD to a big sorted set does not copy it), and the
//! script runs again, holding every shard. Nobody saw the undone writes: the first run held
//! its thread the whole time.
//!
//! Why the choice: the queue libraries' scripts (BullMQ, Celery, RQ) mostly declare their keys
//! or compute them from a prefix whose keys share a hash tag, so the one-shard path serves
//! them at the cost of a plain command; a script that really spans shards pays for holding
//! them all, once it is known to, instead of every script paying for guessing.
//!
//! Deadlock: only a script holding every shard waits for other shards, and while it holds
//! them no other such script runs and no transaction holds anything, so no shard it waits for
//! is waiting for it: every job it sends runs when it arrives.
//!
//! # What a running script holds up
//!
//! A one-shard script holds up its shard's thread for its whole run; a script holding every
//! shard holds up its own shard's thread, and every command that touches its databases on any
//! shard.
//!
//! Past `busy-reply-threshold` (`lua-time-limit`) the script's hook, every 100k Lua
//! instructions, runs a turn of its shard's I/O (`server::reactor::busy_turn`): that shard's
//! clients get -BUSY for everything but SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE and the
//! allow-busy commands, as in Redis; commands other shards route to it get -BUSY at once (a
//! shared atomic per shard, [`Running`]), and commands that need only other shards keep
//! running, which Redis cannot do. What other shards had already queued for the busy shard
//! (batches, transaction rounds) waits for the script to end. SCRIPT KILL and FUNCTION KILL,
//! from any shard, stop a script that has not written (the kill error is raised on every
//! line from then on, so `pcall` cannot keep it alive); one that wrote is UNKILLABLE, and
//! SHUTDOWN NOSAVE exits the process.
//!
//! # math.random
//!
//! See [`rand`]: each shard's VM has its own generator, so a script sees the sequence of the
//! shard it runs on.

pub mod call;
pub mod functions;
pub mod libs;
pub mod rand;
pub mod reply;
pub mod undo;
pub mod vm;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use hashbrown::HashMap;
use mlua::ffi;

use crate::protocol::Out;
use crate::server::conn::Conn;
use crate::shard::{now_ms, Core};

/// The script running on one shard, as the other shards see it (atomics: written by that
/// shard, read by SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE and routing anywhere).
#[derive(Default)]
pub struct Running {
    /// When it started (ms since the epoch); 0 when none runs.
    pub started_ms: AtomicU64,
    pub function: AtomicBool,
    /// It has run a write command: it cannot be killed.
    pub wrote: AtomicBool,
    /// SCRIPT KILL or FUNCTION KILL asked it to stop.
    pub kill: AtomicBool,
}

/// Redis's -BUSY text for a running script (`function`: a function's).
pub fn busy_text(function: bool) -> &'static str {
    if function {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    }
}

/// The -BUSY refusal for a command that needs `shard` while a script has run there past
/// `busy-reply-threshold`.
#[inline]
pub fn busy_on(core: &Core, shard: usize) -> Option<&'static str> {
    let running = &core.shared.scripts[shard];
    let started = running.started_ms.load(Ordering::Relaxed);
    if started == 0 || core.now_ms.saturating_sub(started) < core.config.busy_reply_threshold.max(0) as u64 {
        return None;
    }
    Some(busy_text(running.function.load(Ordering::Relaxed)))
}

/// SCRIPT KILL (`function` false) or FUNCTION KILL: stops every running script of that kind
/// that has not written. The reply, as Redis words it.
pub fn kill(shared: &crate::shard::Shared, function: bool) -> Result<(), String> {
    let (mut killed, mut unkillable, mut other) = (false, false, false);
    for running in &shared.scripts {
        if running.started_ms.load(Ordering::Acquire) == 0 {
            continue;
        }
        if running.function.load(Ordering::Relaxed) != function {
            other = true;
        } else if running.wrote.load(Ordering::Acquire) {
            unkillable = true;
        } else {
            running.kill.store(true, Ordering::Release);
            killed = true;
        }
    }
    if killed {
        Ok(())
    } else if unkillable {
        Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into())
    } else if other {
        Err(busy_text(!function).into())
    } else {
        Err("NOTBUSY No scripts in execution right now.".into())
    }
}

/// Whether a script runs on any shard (SHUTDOWN NOSAVE then exits at once).
pub fn any_running(shared: &crate::shard::Shared) -> bool {
    shared.scripts.iter().any(|r| r.started_ms.load(Ordering::Relaxed) != 0)
}

/// A script's SHA1, in lower-case hex.
pub type Sha = [u8; 40];

/// Lower-case hex SHA1 of `data`.
pub fn sha1_hex(data: &[u8]) -> Sha {
    let hex = sha1_smol::Sha1::from(data).hexdigest();
    let mut sha = [0u8; 40];
    sha.copy_from_slice(hex.as_bytes());
    sha
}

thread_local! {
    /// This shard's `math.random` generator (one VM per shard thread).
    static RNG: Cell<rand::Rand48> = Cell::new(rand::Rand48::default());
}

/// Runs `f` on this shard's `math.random` generator.
pub fn with_rng<T>(f: impl FnOnce(&mut rand::Rand48) -> T) -> T {
    RNG.with(|cell| {
        let mut rng = cell.get();
        let out = f(&mut rng);
        cell.set(rng);
        out
    })
}

/// Flags from a `#!lua flags=...` shebang.
pub mod script_flag {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// The script has a shebang (without one, Redis's older rules apply).
    pub const SHEBANG: u32 = 1 << 8;
}

/// Reads a script's shebang line, as Redis 7.0 does: its flags, or the error to reply.
pub fn shebang_flags(body: &[u8]) -> Result<u32, String> {
    if !body.starts_with(b"#!") {
        return Ok(0);
    }
    let Some(end) = memchr::memchr(b'\n', body) else { return Err("ERR Invalid script shebang".into()) };
    let line = String::from_utf8_lossy(&body[..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = script_flag::SHEBANG;
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {part}"));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            flags |= match flag {
                "no-writes" => script_flag::NO_WRITES,
                "allow-oom" => script_flag::ALLOW_OOM,
                "allow-stale" => script_flag::ALLOW_STALE,
                "no-cluster" => script_flag::NO_CLUSTER,
                "allow-cross-slot-keys" => script_flag::ALLOW_CROSS_SLOT,
                other => return Err(format!("ERR Unexpected flag in script shebang: {other}")),
            };
        }
    }
    Ok(flags)
}

/// How many runs after an escalation start holding every shard.
pub const WIDE_RUNS: u8 = 8;

/// One cached script on one shard.
pub struct Script {
    pub body: Arc<[u8]>,
    pub flags: u32,
    /// Escalated here lately: this many more runs hold every shard from the start (see
    /// [`Scripting::wide_turn`]).
    pub wide: u8,
    /// Compiled into this shard's VM (done on first use).
    compiled: bool,
}

/// One shard's scripting: its VM, its copy of the script cache, the script client.
#[derive(Default)]
pub struct Scripting {
    vm: Option<vm::Vm>,
    pub scripts: HashMap<Sha, Script>,
    /// Redis's "lua client": the database and protocol a script's calls use.
    client: Option<Box<Conn>>,
    /// Bytes of the cached bodies (INFO used_memory_scripts).
    bodies: usize,
    /// FUNCTION libraries (see [`functions`]).
    pub libraries: functions::Libraries,
    /// The function running now, if any.
    pub running_function: Option<RunningFunction>,
}

/// What running a script came to.
pub enum Outcome {
    /// The reply is written.
    Done,
    /// The script needs every shard: nothing it did remains (see the module docs). True when
    /// it touched another shard's key (false: a transaction held a key here).
    Escalate(bool),
    /// Not in this shard's cache (SCRIPT FLUSH raced it).
    NoScript,
}

impl Scripting {
    pub(crate) fn vm(&mut self) -> &mut vm::Vm {
        self.vm.get_or_insert_with(|| vm::Vm::new(crate::REDIS_VERSION, version_num()))
    }

    /// Adds `body` to this shard's cache; with `compile`, compiles it now and returns Lua's
    /// error as Redis words it.
    pub fn add(&mut self, sha: Sha, body: Arc<[u8]>, flags: u32, compile: bool) -> Result<(), String> {
        if compile {
            self.compile(&sha, &body)?;
        }
        if let Some(old) = self.scripts.insert(sha, Script { body, flags, wide: 0, compiled: compile }) {
            self.bodies -= old.body.len();
        }
        self.bodies += self.scripts[&sha].body.len();
        Ok(())
    }

    pub fn contains(&self, sha: &Sha) -> bool {
        self.scripts.contains_key(sha)
    }

    /// SCRIPT FLUSH: forgets every script (and their compiled functions).
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.bodies = 0;
        if let Some(vm) = &mut self.vm {
            // SAFETY: the VM's own state; the stack stays balanced.
            unsafe {
                ffi::lua_createtable(vm.state, 0, 0);
                vm::registry_set(vm.state, vm::SCRIPTS);
                ffi::lua_gc(vm.state, ffi::LUA_GCCOLLECT, 0);
            }
        }
    }

    /// Whether this run of a script (`sha`) or function (`function`) starts holding every
    /// shard: it escalated here within its last [`WIDE_RUNS`] runs. A script that always
    /// escalates then tries one shard once in `WIDE_RUNS + 1` runs; one that escalated once,
    /// on a key it computed, goes back to one shard soon.
    pub fn wide_turn(&mut self, sha: &Sha, function: Option<&str>) -> bool {
        let left = match function {
            Some(name) => self.libraries.wide.get_mut(name),
            None => self.scripts.get_mut(sha).map(|s| &mut s.wide),
        };
        match left {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// A run of it escalated here.
    pub fn escalated(&mut self, sha: &Sha, function: Option<&str>) {
        match function {
            Some(name) => {
                self.libraries.wide.insert(name.to_string(), WIDE_RUNS);
            }
            None => {
                if let Some(s) = self.scripts.get_mut(sha) {
                    s.wide = WIDE_RUNS;
                }
            }
        }
    }

    /// INFO's used_memory_lua.
    pub fn used_memory_lua(&self) -> usize {
        self.vm.as_ref().map_or(0, |vm| vm.used_memory())
    }

    /// INFO's used_memory_scripts.
    pub fn used_memory_scripts(&self) -> usize {
        self.bodies
    }

    fn compile(&mut self, sha: &Sha, body: &[u8]) -> Result<(), String> {
        let vm = self.vm();
        let l = vm.state;
        // The shebang line stays as a comment, so line numbers are the script's own.
        let source: std::borrow::Cow<[u8]> = match body.strip_prefix(b"#!") {
            Some(rest) => [b"--".as_slice(), rest].concat().into(),
            None => body.into(),
        };
        // SAFETY: the VM's own state; every path pops what it pushed.
        unsafe {
            vm::registry_get(l, vm::SCRIPTS);
            if ffi::luaL_loadbuffer(l, source.as_ptr() as *const _, source.len(), c"@user_script".as_ptr()) != 0 {
                let msg = vm::to_bytes(l, -1).map(|m| String::from_utf8_lossy(m).into_owned()).unwrap_or_default();
                ffi::lua_pop(l, 2);
                return Err(format!("ERR Error compiling script (new function): {msg}"));
            }
            vm::registry_get(l, vm::ENV);
            ffi::lua_setfenv(l, -2);
            vm::push_bytes(l, sha);
            ffi::lua_insert(l, -2);
            ffi::lua_rawset(l, -3);
            ffi::lua_pop(l, 1);
        }
        Ok(())
    }
}

/// REDIS_VERSION_NUM for a dotted version: 0x00MMmmpp.
fn version_num() -> i64 {
    let mut parts = crate::REDIS_VERSION.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a << 16) | (b << 8) | c
}

/// Sentinel transaction id a one-shard run sets as `Core::exec_tx`: multi-shard commands it
/// calls join it (taking no locks) and escalate as soon as they need another shard.
pub const ONE_SHARD_RUN: u64 = u64::MAX;

/// What runs: a cached script or a library's function.
#[derive(Clone, Copy)]
pub enum What<'a> {
    Script(&'a Sha),
    Function(&'a str),
}

/// What a script is called with.
pub struct Call<'a> {
    pub what: What<'a>,
    pub keys: &'a [&'a [u8]],
    pub args: &'a [&'a [u8]],
    pub db: usize,
    pub read_only: bool,
    /// The script's `allow-oom` flag.
    pub allow_oom: bool,
    /// The command that called it (`fcall`, `fcall_ro`...), for FUNCTION STATS.
    pub command: &'static str,
    /// The caller's tracking reader: what the script reads is remembered for it.
    pub reader: Option<crate::pubsub::tracking::Tracker>,
    /// The caller's ACL user, which the script's calls run as.
    pub user: std::sync::Arc<crate::acl::User>,
    /// The caller's CLIENT INFO line when its user is restricted (for ACL LOG).
    pub caller_info: Option<String>,
}

/// The function running on this shard, for FUNCTION STATS (answered by this shard's own
/// clients while the function is busy).
pub struct RunningFunction {
    pub name: String,
    pub command: Vec<Vec<u8>>,
    pub started_ms: u64,
}

/// Runs cached script `call.sha` on this core, writing its reply to `out` (in `out`'s
/// protocol). `wide`: the caller holds every shard.
pub fn execute(core: &mut Core, call: &Call<'_>, wide: bool, out: &mut Out) -> Outcome {
    if let What::Script(sha) = call.what {
        let Some(script) = core.scripting.scripts.get(sha) else { return Outcome::NoScript };
        if !script.compiled {
            let body = script.body.clone();
            if let Err(e) = core.scripting.compile(sha, &body) {
                out.error(e.as_bytes());
                return Outcome::Done;
            }
            if let Some(s) = core.scripting.scripts.get_mut(sha) {
                s.compiled = true;
            }
        }
    }
    let l = core.scripting.vm().state;
    let client: *mut Conn = &mut **core.scripting.client.get_or_insert_with(|| {
        // Redis's script client shows as `?:0` in SLOWLOG (and as `lua` to MONITOR).
        let mut c = Box::new(Conn::new(-1, 0, false, "?:0".into(), String::new(), true));
        c.name = String::new();
        c.script = true;
        c
    });
    let undo = !wide && core.shards() > 1;
    // A run that may escalate keeps its events until it is known to stand.
    let held = if undo { crate::pubsub::notify::hold(core) } else { crate::pubsub::notify::Held::none() };
    let saved_tx = core.exec_tx.replace(core.exec_tx.unwrap_or(ONE_SHARD_RUN));
    let (shared, me) = (core.shared.clone(), core.id);
    let core_ptr: *mut Core = core;
    let mut run = call::Run::new(core_ptr, client, wide, call.read_only, undo);
    run.allow_oom = call.allow_oom;
    run.caller_info = call.caller_info.clone();
    // SAFETY: `l` is this core's VM state; the stack is restored to `base` on every path. The
    // run's pointers stay valid while the script runs: nothing here touches `core` or the
    // client until `enter` returns.
    let (status, base) = unsafe {
        let base = ffi::lua_gettop(l);
        (*client).db = call.db;
        (*client).user = call.user.clone();
        (*client).out.resp3 = false;
        (*client).out.buf.clear();
        vm::registry_get(l, vm::ERR_HANDLER);
        let nargs = match call.what {
            What::Script(sha) => {
                set_array(l, c"KEYS", call.keys);
                set_array(l, c"ARGV", call.args);
                vm::registry_get(l, vm::SCRIPTS);
                vm::push_bytes(l, sha);
                0
            }
            What::Function(name) => {
                vm::registry_get(l, vm::FUNCTIONS);
                vm::push_bytes(l, name.as_bytes());
                2
            }
        };
        ffi::lua_rawget_(l, -2);
        ffi::lua_remove(l, -2);
        if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
            ffi::lua_settop(l, base);
            return Outcome::NoScript;
        }
        if nargs == 2 {
            push_array(l, call.keys);
            push_array(l, call.args);
        }
        let running = &shared.scripts[me];
        running.function.store(matches!(call.what, What::Function(_)), Ordering::Relaxed);
        running.wrote.store(false, Ordering::Relaxed);
        running.kill.store(false, Ordering::Relaxed);
        running.started_ms.store(now_ms().max(1), Ordering::Release);
        if let What::Function(name) = call.what {
            let mut command = vec![call.command.as_bytes().to_vec(), name.as_bytes().to_vec()];
            command.push(call.keys.len().to_string().into_bytes());
            command.extend(call.keys.iter().chain(call.args).map(|a| a.to_vec()));
            let started_ms = now_ms();
            (*core_ptr).scripting.running_function =
                Some(RunningFunction { name: name.to_string(), command, started_ms });
        }
        ffi::lua_sethook(l, Some(call::hook), ffi::LUA_MASKCOUNT, vm::HOOK_EVERY);
        let status = run.enter(|| ffi::lua_pcall(l, nargs, 1, base + 1));
        running.started_ms.store(0, Ordering::Release);
        (*core_ptr).busy_script = None;
        (*core_ptr).scripting.running_function = None;
        (status, base)
    };
    core.exec_tx = saved_tx;
    crate::pubsub::notify::unhold(core, held, !run.escalate);
    if run.escalate {
        run.rollback(core);
        if run.spans {
            match call.what {
                What::Script(sha) => core.scripting.escalated(sha, None),
                What::Function(name) => core.scripting.escalated(&[0; 40], Some(name)),
            }
        }
        // SAFETY: as above.
        unsafe { ffi::lua_settop(l, base) };
        return Outcome::Escalate(run.spans);
    }
    if let (Some(reader), true) = (call.reader, run.read) {
        remember_declared(core, call, reader);
    }
    // SAFETY: as above; the result (or the error handler's table) is on top.
    unsafe {
        if status == 0 {
            reply::write(l, -1, out, (*client).out.resp3);
        } else {
            script_error(l, call.what, out);
        }
        ffi::lua_settop(l, base);
        ffi::lua_gc(l, ffi::LUA_GCSTEP, 0);
    }
    Outcome::Done
}

/// A tracking client's script read something: Redis remembers the script's declared keys
/// for it (what the caller names, not what the script computed), each on its owner. A
/// remote owner gets it by a post that arrives before anything this run holds is released.
fn remember_declared(core: &mut Core, call: &Call<'_>, reader: crate::pubsub::tracking::Tracker) {
    for key in call.keys {
        let owner = core.owner(key);
        if owner == core.id {
            core.remember_read(key, reader);
        } else {
            let key = key.to_vec();
            core.shared.mesh.send(
                owner,
                crate::shard::mesh::Msg::Post(Box::new(move |core: &mut Core| -> crate::shard::mesh::JobOut {
                    core.remember_read(&key, reader);
                    Box::new(())
                })),
            );
        }
    }
}

/// Sets global `name` to an array of `items`.
unsafe fn set_array(l: *mut ffi::lua_State, name: &std::ffi::CStr, items: &[&[u8]]) {
    ffi::lua_pushstring_(l, name.as_ptr());
    push_array(l, items);
    ffi::lua_rawset(l, ffi::LUA_GLOBALSINDEX);
}

/// Pushes an array of `items`.
unsafe fn push_array(l: *mut ffi::lua_State, items: &[&[u8]]) {
    ffi::lua_createtable(l, items.len() as i32, 0);
    for (i, item) in items.iter().enumerate() {
        vm::push_bytes(l, item);
        ffi::lua_rawseti(l, -2, (i + 1) as ffi::lua_Integer);
    }
}

/// The message of error value `idx` as Redis words it: a table's `err` field as it is, a
/// string (or number) after the generic code.
pub(crate) unsafe fn error_message(l: *mut ffi::lua_State, idx: i32) -> Vec<u8> {
    let mut text = Vec::new();
    match ffi::lua_type(l, idx) {
        ffi::LUA_TTABLE => {
            ffi::lua_getfield_(l, idx, c"err".as_ptr());
            match vm::to_bytes(l, -1) {
                Some(err) => text.extend_from_slice(err),
                None => text.extend_from_slice(b"ERR unknown error"),
            }
            ffi::lua_pop(l, 1);
        }
        ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
            text.extend_from_slice(b"ERR ");
            text.extend_from_slice(vm::to_bytes(l, idx).unwrap_or_default());
        }
        ffi::LUA_TBOOLEAN => {
            text.extend_from_slice(if ffi::lua_toboolean(l, idx) != 0 { b"ERR true" } else { b"ERR false" });
        }
        _ => text.extend_from_slice(b"ERR nil"),
    }
    text
}

/// Writes the error reply for a script that raised an error: the error handler left
/// `{e = <error>, line = N}` on top.
unsafe fn script_error(l: *mut ffi::lua_State, what: What<'_>, out: &mut Out) {
    let top = ffi::lua_gettop(l);
    let mut line = 0i64;
    let mut text = if ffi::lua_type(l, top) == ffi::LUA_TTABLE {
        ffi::lua_getfield_(l, top, c"line".as_ptr());
        line = ffi::lua_tonumber(l, -1) as i64;
        ffi::lua_pop(l, 1);
        ffi::lua_getfield_(l, top, c"e".as_ptr());
        let text = error_message(l, ffi::lua_gettop(l));
        ffi::lua_pop(l, 1);
        text
    } else {
        b"ERR unknown error".to_vec()
    };
    let suffix = match what {
        What::Script(sha) => format!(" script: {}, on @user_script:{line}.", String::from_utf8_lossy(sha)),
        What::Function(name) => format!(" script: {name}, on @user_function:{line}."),
    };
    text.extend_from_slice(suffix.as_bytes());
    out.error(&text);
}
