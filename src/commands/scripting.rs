//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. Where a script runs and how it stays atomic
//! is [`crate::scripting`]'s business; these handlers parse, cache and route.

use std::sync::Arc;

use super::flag::*;
use super::{cmd, container, Cx, FanOut, Flow, Handler, Spec};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::scripting::{self, script_flag, Call, Outcome, Sha, What};
use crate::server::conn::Conn;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;

type R = Result<Flow, CmdError>;

/// A script call's owned parts, for a job or a later round.
#[derive(Clone)]
struct Owned {
    sha: Sha,
    /// FCALL's function (then `sha` is unused).
    function: Option<String>,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
    db: usize,
    read_only: bool,
    /// `allow-oom`: writes may run past maxmemory (Redis's SCRIPT_ALLOW_OOM).
    allow_oom: bool,
    resp3: bool,
    /// Called inside EXEC, whose transaction (this id) holds every shard for it.
    exec: Option<u64>,
    /// Called as FCALL_RO / EVAL_RO.
    ro_command: bool,
    /// The caller's id (NOLOOP) and tracking reader (CLIENT TRACKING).
    client: u64,
    reader: Option<crate::pubsub::tracking::Tracker>,
    /// The caller's ACL user: the script's calls are checked against it.
    user: std::sync::Arc<crate::acl::User>,
    caller_info: Option<String>,
}

impl Owned {
    fn run(&self, core: &mut Core, wide: bool, out: &mut crate::protocol::Out) -> Outcome {
        let keys: Vec<&[u8]> = self.keys.iter().map(Vec::as_slice).collect();
        let args: Vec<&[u8]> = self.args.iter().map(Vec::as_slice).collect();
        let what = match &self.function {
            Some(name) => What::Function(name),
            None => What::Script(&self.sha),
        };
        let command = match (&self.function, self.ro_command) {
            (Some(_), true) => "fcall_ro",
            (Some(_), false) => "fcall",
            (None, _) => "eval",
        };
        let call = Call {
            what,
            keys: &keys,
            args: &args,
            db: self.db,
            read_only: self.read_only,
            allow_oom: self.allow_oom,
            command,
            reader: self.reader,
            user: self.user.clone(),
            caller_info: self.caller_info.clone(),
        };
        let saved = core.client_now;
        core.client_now = self.client;
        let outcome = scripting::execute(core, &call, wide, out);
        core.client_now = saved;
        outcome
    }
}

fn noscript() -> CmdError {
    CmdError::other("NOSCRIPT No matching script. Please use EVAL.")
}

/// EVAL script numkeys [key ...] [arg ...]
fn eval(cx: &mut Cx) -> R {
    eval_generic(cx, false, false)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
fn evalsha(cx: &mut Cx) -> R {
    eval_generic(cx, true, false)
}

/// EVAL_RO script numkeys [key ...] [arg ...]
fn eval_ro(cx: &mut Cx) -> R {
    eval_generic(cx, false, true)
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
fn evalsha_ro(cx: &mut Cx) -> R {
    eval_generic(cx, true, true)
}

/// The sha EVALSHA names: 40 characters, any case (anything else is simply not found).
fn sha_arg(arg: &[u8]) -> Option<Sha> {
    let mut sha = [0u8; 40];
    if arg.len() != 40 {
        return None;
    }
    for (d, s) in sha.iter_mut().zip(arg) {
        *d = s.to_ascii_lowercase();
    }
    Some(sha)
}

/// EVAL's and FCALL's shared arguments: `numkeys` (non-integer: `not_int`), the keys, the
/// arguments, and what the call needs from the connection.
fn owned_call(cx: &Cx, not_int: CmdError, sha: Sha, function: Option<String>, ro: bool) -> Result<Owned, CmdError> {
    let argv = cx.argv;
    let numkeys = super::parse_i64(argv.get(2)).ok_or(not_int)?;
    if numkeys > (argv.len() - 3) as i64 {
        return Err(CmdError::other("ERR Number of keys can't be greater than number of args"));
    }
    if numkeys < 0 {
        return Err(CmdError::other("ERR Number of keys can't be negative"));
    }
    let numkeys = numkeys as usize;
    Ok(Owned {
        sha,
        function,
        keys: (3..3 + numkeys).map(|i| argv.get(i).to_vec()).collect(),
        args: (3 + numkeys..argv.len()).map(|i| argv.get(i).to_vec()).collect(),
        db: cx.conn.db,
        read_only: ro,
        allow_oom: false,
        resp3: cx.conn.resp3(),
        exec: cx.core.exec_tx.filter(|&t| t != scripting::ONE_SHARD_RUN),
        ro_command: ro,
        client: cx.conn.id,
        reader: cx.conn.tracking.as_ref().and_then(|m| m.reader(cx.conn, cx.core.id)),
        user: cx.conn.user.clone(),
        caller_info: (!cx.conn.user.unrestricted()).then(|| cx.conn.info_line(std::time::Instant::now())),
    })
}

fn eval_generic(cx: &mut Cx, by_sha: bool, ro: bool) -> R {
    let argv = cx.argv;
    // Redis checks numkeys before it looks the script up.
    let mut owned = owned_call(cx, CmdError::NotInteger, [0; 40], None, ro)?;
    let (sha, body) = if by_sha {
        (sha_arg(argv.get(1)).ok_or_else(noscript)?, None)
    } else {
        (scripting::sha1_hex(argv.get(1)), Some(argv.get(1)))
    };
    owned.sha = sha;
    let core = &mut *cx.core;
    if !core.scripting.contains(&sha) {
        let Some(body) = body else { return Err(noscript()) };
        let body: Arc<[u8]> = Arc::from(body);
        let flags = scripting::shebang_flags(&body).map_err(CmdError::other)?;
        core.scripting.add(sha, body.clone(), flags, true).map_err(CmdError::other)?;
        return Ok(share(core, sha, body, flags, Box::new(move |core, conn, _| start(core, conn, owned))));
    }
    Ok(start(core, cx.conn, owned))
}

/// Hands a script just added here to every other shard, then goes on with `then`.
fn share(core: &Core, sha: Sha, body: Arc<[u8]>, flags: u32, then: super::Finish) -> Flow {
    let add = move |core: &mut Core| {
        if !core.scripting.contains(&sha) {
            let _ = core.scripting.add(sha, body.clone(), flags, false);
        }
    };
    FanOut::others(core, add, then)
}

/// Checks the script's flags against the call, then runs it where it belongs.
fn start(core: &mut Core, conn: &mut Conn, mut owned: Owned) -> Flow {
    let flags = match &owned.function {
        None => match core.scripting.scripts.get(&owned.sha) {
            Some(script) => script.flags,
            None => {
                conn.out.error(noscript().to_string().as_bytes());
                return Flow::Done;
            }
        },
        Some(name) => match core.scripting.libraries.functions.get(name) {
            Some((_, flags)) => flags | script_flag::SHEBANG,
            None => {
                conn.out.error(b"ERR Function not found");
                return Flow::Done;
            }
        },
    };
    if owned.read_only && flags & script_flag::SHEBANG != 0 && flags & script_flag::NO_WRITES == 0 {
        conn.out.error(b"ERR Can not execute a script with write flag using *_ro command.");
        return Flow::Done;
    }
    if flags & (script_flag::SHEBANG | script_flag::NO_WRITES) == script_flag::SHEBANG
        && crate::commands::persist::writes_denied(core)
    {
        conn.out.error(crate::commands::persist::MISCONF.as_bytes());
        return Flow::Done;
    }
    // A script with a shebang declares whether it may run past maxmemory; one without is
    // checked at its first write instead (call.rs), as Redis 7.0 does.
    if flags & (script_flag::SHEBANG | script_flag::NO_WRITES | script_flag::ALLOW_OOM) == script_flag::SHEBANG
        && crate::shard::evict::out_of_memory(core)
    {
        conn.out.error(crate::shard::evict::OOM.as_bytes());
        return Flow::Done;
    }
    owned.allow_oom = flags & script_flag::ALLOW_OOM != 0;
    owned.read_only |= flags & script_flag::NO_WRITES != 0;
    let wide_known = core.scripting.wide_turn(&owned.sha, owned.function.as_deref());
    if let Some(txid) = owned.exec {
        // Inside EXEC, which holds every shard for a script (see coord::multi); a round of
        // jobs (sharing a new script) may have come between, so its id is set again.
        let saved = core.exec_tx.replace(txid);
        let flow = run_here(core, conn, &owned, true);
        core.exec_tx = saved;
        return flow;
    }
    let mut owners = owned.keys.iter().map(|k| core.owner(k));
    let target = owners.next().unwrap_or(core.id);
    let one_shard = core.shards() == 1 || (!wide_known && owners.all(|o| o == target));
    if !one_shard {
        return wide(core, owned);
    }
    if target == core.id {
        return match run_here(core, conn, &owned, false) {
            Flow::Then(_) => wide(core, owned),
            flow => flow,
        };
    }
    let owned = Arc::new(owned);
    let job_owned = owned.clone();
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        // Declared keys held by a transaction here: not run (it would only escalate); the
        // connection's core asks again.
        let db = job_owned.db;
        if core.locks.holds_any(job_owned.keys.iter().map(|k| (db, k.as_slice()))) {
            return Box::new((Some(false), false, Vec::<u8>::new()));
        }
        let mut out = crate::protocol::Out::new(job_owned.resp3);
        let outcome = job_owned.run(core, false, &mut out);
        let escalate = match outcome {
            Outcome::Escalate(spans) => Some(spans),
            _ => None,
        };
        Box::new((escalate, matches!(outcome, Outcome::NoScript), out.buf))
    });
    Flow::Wait(FanOut {
        jobs: vec![(target, job)],
        finish: Box::new(move |core, conn, mut parts| {
            let Some(Ok(part)) = parts.pop().map(|p| p.downcast::<(Option<bool>, bool, Vec<u8>)>()) else {
                return Flow::Done;
            };
            let (escalate, missing, bytes) = *part;
            if missing {
                missing_reply(conn, &owned);
                return Flow::Done;
            }
            if let Some(spans) = escalate {
                if spans {
                    core.scripting.escalated(&owned.sha, owned.function.as_deref());
                }
                let retry = !spans;
                let owned = Arc::try_unwrap(owned).unwrap_or_else(|o| (*o).clone());
                if retry {
                    // A transaction held a key there: one-shard work, so ask again (holding
                    // every shard for it would only make more one-shard scripts wait).
                    return start(core, conn, owned);
                }
                return wide(core, owned);
            }
            conn.out.raw(&bytes);
            Flow::Done
        }),
    })
}

/// The reply when the script or function disappeared meanwhile (SCRIPT/FUNCTION FLUSH).
fn missing_reply(conn: &mut Conn, owned: &Owned) {
    match owned.function {
        Some(_) => conn.out.error(b"ERR Function not found"),
        None => conn.out.error(noscript().to_string().as_bytes()),
    }
}

/// Runs the script on this core. An escalation comes back as `Flow::Then` (a marker the
/// caller replaces by the wide run).
fn run_here(core: &mut Core, conn: &mut Conn, owned: &Owned, wide: bool) -> Flow {
    match owned.run(core, wide, &mut conn.out) {
        Outcome::Done => Flow::Done,
        Outcome::NoScript => {
            missing_reply(conn, owned);
            Flow::Done
        }
        Outcome::Escalate(_) => Flow::Then(Box::new(|_, _| Flow::Done)),
    }
}

/// Runs the script holding every database of every shard.
fn wide(core: &mut Core, owned: Owned) -> Flow {
    let dbs = (0..core.dbs.len()).collect();
    let tx = Tx::dbs(core, dbs);
    tx.lock(Box::new(move |core, conn, tx| {
        let saved = core.exec_tx.replace(tx.txid);
        let outcome = owned.run(core, true, &mut conn.out);
        core.exec_tx = saved;
        if let Outcome::NoScript = outcome {
            missing_reply(conn, &owned);
        }
        tx.release(Box::new(|_, _, _| Flow::Done))
    }))
}

/// FCALL function numkeys [key ...] [arg ...]
fn fcall(cx: &mut Cx) -> R {
    fcall_generic(cx, false)
}

/// FCALL_RO function numkeys [key ...] [arg ...]
fn fcall_ro(cx: &mut Cx) -> R {
    fcall_generic(cx, true)
}

fn fcall_generic(cx: &mut Cx, ro: bool) -> R {
    let function = String::from_utf8_lossy(cx.argv.get(1)).into_owned();
    let owned = owned_call(cx, CmdError::other("ERR Bad number of keys provided"), [0; 40], Some(function), ro)?;
    Ok(start(cx.core, cx.conn, owned))
}

/// FUNCTION LOAD [REPLACE] code
fn function_load(cx: &mut Cx) -> R {
    let (replace, code) = match cx.argv.len() {
        3 => (false, cx.argv.get(2)),
        4 if cx.argv.is(2, "REPLACE") => (true, cx.argv.get(3)),
        4 => {
            return Err(CmdError::other(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(cx.argv.get(2))
            )))
        }
        _ => return Err(CmdError::WrongArity("function|load".into())),
    };
    let code: Arc<[u8]> = Arc::from(code);
    let name = cx.core.scripting.load_library(code.clone(), replace).map_err(CmdError::other)?;
    Ok(FanOut::others(
        cx.core,
        move |core: &mut Core| {
            let _ = core.scripting.load_library(code.clone(), true);
        },
        Box::new(move |_core, conn, _| {
            conn.out.bulk(name.as_bytes());
            Flow::Done
        }),
    ))
}

/// FUNCTION DELETE library
fn function_delete(cx: &mut Cx) -> R {
    let name = String::from_utf8_lossy(cx.argv.get(2)).into_owned();
    if !cx.core.scripting.remove_library(&name) {
        return Err(CmdError::other("ERR Library not found"));
    }
    Ok(FanOut::others(
        cx.core,
        move |core: &mut Core| {
            core.scripting.remove_library(&name);
        },
        Box::new(|_core, conn, _| {
            conn.out.ok();
            Flow::Done
        }),
    ))
}

/// FUNCTION FLUSH [ASYNC | SYNC]
fn function_flush(cx: &mut Cx) -> R {
    if !flush_mode_ok(cx) {
        return Err(CmdError::other("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    Ok(FanOut::apply(cx.core.shards(), |core: &mut Core| core.scripting.flush_libraries()))
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn function_list(cx: &mut Cx) -> R {
    let (mut pattern, mut code) = (None, false);
    let mut i = 2;
    while i < cx.argv.len() {
        if cx.argv.is(i, "WITHCODE") && !code {
            code = true;
        } else if cx.argv.is(i, "LIBRARYNAME") && pattern.is_none() {
            if i + 1 >= cx.argv.len() {
                return Err(CmdError::other("ERR library name argument was not given"));
            }
            pattern = Some(cx.argv.get(i + 1));
            i += 1;
        } else {
            return Err(CmdError::other(format!("ERR Unknown argument {}", String::from_utf8_lossy(cx.argv.get(i)))));
        }
        i += 1;
    }
    let libs: Vec<&scripting::functions::Library> = cx
        .core
        .scripting
        .libraries
        .by_name
        .values()
        .filter(|lib| pattern.is_none_or(|p| crate::config::string_match(p, lib.name.as_bytes(), false)))
        .collect();
    let out = &mut cx.conn.out;
    out.array(libs.len());
    for lib in libs {
        out.map(if code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for f in &lib.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.description {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = scripting::functions::FLAG_NAMES
                .iter()
                .filter(|(bit, _)| f.flags & bit != 0)
                .map(|(_, n)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n.as_bytes());
            }
        }
        if code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
    Ok(Flow::Done)
}

/// FUNCTION STATS
fn function_stats(cx: &mut Cx) -> R {
    let libs = &cx.core.scripting.libraries;
    let (nlibs, nfuncs) = (libs.by_name.len(), libs.function_count());
    let out = &mut cx.conn.out;
    out.map(2);
    out.bulk(b"running_script");
    match &cx.core.scripting.running_function {
        Some(f) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"command");
            out.array(f.command.len());
            for arg in &f.command {
                out.bulk(arg);
            }
            out.bulk(b"duration_ms");
            out.int(crate::shard::now_ms().saturating_sub(f.started_ms) as i64);
        }
        None => out.null(),
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(nlibs as i64);
    out.bulk(b"functions_count");
    out.int(nfuncs as i64);
    Ok(Flow::Done)
}

/// FUNCTION DUMP
fn function_dump(cx: &mut Cx) -> R {
    let codes = cx.core.scripting.libraries.by_name.values().map(|lib| &lib.code[..]);
    let payload = crate::persistence::rdb::dump_functions(codes, cx.core.config.rdbcompression);
    cx.conn.out.bulk(&payload);
    Ok(Flow::Done)
}

/// FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE]
fn function_restore(cx: &mut Cx) -> R {
    #[derive(Clone, Copy, PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    let policy = match cx.argv.len() {
        3 => Policy::Append,
        4 if cx.argv.is(3, "FLUSH") => Policy::Flush,
        4 if cx.argv.is(3, "APPEND") => Policy::Append,
        4 if cx.argv.is(3, "REPLACE") => Policy::Replace,
        4 => {
            return Err(CmdError::other(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ))
        }
        _ => return Err(CmdError::WrongArity("function|restore".into())),
    };
    let codes = crate::persistence::rdb::read_functions(cx.argv.get(2)).map_err(CmdError::other)?;
    let codes: Vec<Arc<[u8]>> = codes.into_iter().map(Arc::from).collect();
    // Checked as a whole on this shard first: nothing changes when any library fails.
    let scripting = &mut cx.core.scripting;
    let before: Vec<scripting::functions::Library> = scripting.libraries.by_name.values().cloned().collect();
    if policy == Policy::Flush {
        scripting.flush_libraries();
    }
    let mut failed = None;
    if policy == Policy::Append {
        // RESTORE words this one without quotes.
        failed = codes.iter().filter_map(|code| scripting::functions::library_name(code).ok()).find_map(|name| {
            scripting.libraries.by_name.contains_key(&name).then(|| format!("ERR Library {name} already exists"))
        });
    }
    for code in codes.iter().take(if failed.is_some() { 0 } else { codes.len() }) {
        if let Err(e) = scripting.load_library(code.clone(), policy != Policy::Append) {
            failed = Some(e);
            break;
        }
    }
    if let Some(e) = failed {
        scripting.flush_libraries();
        for lib in before {
            let _ = scripting.load_library(lib.code, true);
        }
        return Err(CmdError::other(e));
    }
    Ok(FanOut::others(
        cx.core,
        move |core: &mut Core| {
            if policy == Policy::Flush {
                core.scripting.flush_libraries();
            }
            for code in &codes {
                let _ = core.scripting.load_library(code.clone(), true);
            }
        },
        Box::new(|_core, conn, _| {
            conn.out.ok();
            Flow::Done
        }),
    ))
}

/// FUNCTION KILL
fn function_kill(cx: &mut Cx) -> R {
    scripting::kill(&cx.core.shared, true).map_err(CmdError::other)?;
    cx.conn.out.ok();
    Ok(Flow::Done)
}

/// FUNCTION HELP
fn function_help(cx: &mut Cx) -> R {
    super::help(
        &mut cx.conn.out,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(Flow::Done)
}

/// SCRIPT LOAD script
fn script_load(cx: &mut Cx) -> R {
    let body = cx.argv.get(2);
    let sha = scripting::sha1_hex(body);
    let core = &mut *cx.core;
    if core.scripting.contains(&sha) {
        cx.conn.out.bulk(&sha);
        return Ok(Flow::Done);
    }
    let body: Arc<[u8]> = Arc::from(body);
    let flags = scripting::shebang_flags(&body).map_err(CmdError::other)?;
    core.scripting.add(sha, body.clone(), flags, true).map_err(CmdError::other)?;
    Ok(share(
        core,
        sha,
        body,
        flags,
        Box::new(move |_core, conn, _| {
            conn.out.bulk(&sha);
            Flow::Done
        }),
    ))
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(cx: &mut Cx) -> R {
    let n = cx.argv.len() - 2;
    cx.conn.out.array(n);
    for i in 2..cx.argv.len() {
        let found = sha_arg(cx.argv.get(i)).is_some_and(|sha| cx.core.scripting.contains(&sha));
        cx.conn.out.int(found as i64);
    }
    Ok(Flow::Done)
}

/// SCRIPT FLUSH's and FUNCTION FLUSH's optional ASYNC | SYNC (both flush at once here).
fn flush_mode_ok(cx: &Cx) -> bool {
    match cx.argv.len() {
        2 => true,
        3 => cx.argv.is(2, "ASYNC") || cx.argv.is(2, "SYNC"),
        _ => false,
    }
}

/// SCRIPT FLUSH [ASYNC | SYNC]
fn script_flush(cx: &mut Cx) -> R {
    if !flush_mode_ok(cx) {
        return Err(CmdError::other("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    Ok(FanOut::apply(cx.core.shards(), |core: &mut Core| core.scripting.flush()))
}

/// SCRIPT KILL
fn script_kill(cx: &mut Cx) -> R {
    scripting::kill(&cx.core.shared, false).map_err(CmdError::other)?;
    cx.conn.out.ok();
    Ok(Flow::Done)
}

/// SCRIPT DEBUG YES | SYNC | NO
fn script_debug(cx: &mut Cx) -> R {
    if cx.argv.is(2, "NO") {
        cx.conn.out.ok();
        return Ok(Flow::Done);
    }
    Err(CmdError::other("ERR SCRIPT DEBUG (the Lua debugger) is not supported by shardis"))
}

/// SCRIPT HELP
fn script_help(cx: &mut Cx) -> R {
    super::help(
        &mut cx.conn.out,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(Flow::Done)
}

const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS | SCRIPT;
const SCRIPTING: &[&str] = &["@slow", "@scripting"];

const SCRIPT_SUBS: &[Spec] = &[
    cmd("debug", 3, NOSCRIPT, (0, 0, 0), SCRIPTING, Handler::Conn(script_debug)),
    cmd("exists", -3, NOSCRIPT, (0, 0, 0), SCRIPTING, Handler::Conn(script_exists)),
    cmd("flush", -2, NOSCRIPT, (0, 0, 0), SCRIPTING, Handler::Conn(script_flush)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), SCRIPTING, Handler::Conn(script_help)),
    cmd("kill", 2, NOSCRIPT | ALLOW_BUSY, (0, 0, 0), SCRIPTING, Handler::Conn(script_kill)),
    cmd("load", 3, NOSCRIPT | STALE, (0, 0, 0), SCRIPTING, Handler::Conn(script_load)),
];

const FUNCTION_SUBS: &[Spec] = &[
    cmd("delete", 3, NOSCRIPT | WRITE, (0, 0, 0), &["@write", "@slow", "@scripting"], Handler::Conn(function_delete)),
    cmd("dump", 2, NOSCRIPT, (0, 0, 0), SCRIPTING, Handler::Conn(function_dump)),
    cmd("flush", -2, NOSCRIPT | WRITE, (0, 0, 0), &["@write", "@slow", "@scripting"], Handler::Conn(function_flush)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), SCRIPTING, Handler::Conn(function_help)),
    cmd("kill", 2, NOSCRIPT | ALLOW_BUSY, (0, 0, 0), SCRIPTING, Handler::Conn(function_kill)),
    cmd("list", -2, NOSCRIPT, (0, 0, 0), SCRIPTING, Handler::Conn(function_list)),
    cmd(
        "load",
        -3,
        NOSCRIPT | WRITE | DENYOOM,
        (0, 0, 0),
        &["@write", "@slow", "@scripting"],
        Handler::Conn(function_load),
    ),
    cmd(
        "restore",
        -3,
        NOSCRIPT | WRITE | DENYOOM,
        (0, 0, 0),
        &["@write", "@slow", "@scripting"],
        Handler::Conn(function_restore),
    ),
    cmd("stats", 2, NOSCRIPT | ALLOW_BUSY, (0, 0, 0), SCRIPTING, Handler::Conn(function_stats)),
];

pub const SPECS: &[Spec] = &[
    cmd("fcall", -3, EVAL_FLAGS, (0, 0, 0), SCRIPTING, Handler::Conn(fcall)),
    cmd("fcall_ro", -3, EVAL_FLAGS | READONLY, (0, 0, 0), SCRIPTING, Handler::Conn(fcall_ro)),
    container("function", -2, 0, &["@slow"], FUNCTION_SUBS),
    cmd("eval", -3, EVAL_FLAGS, (0, 0, 0), SCRIPTING, Handler::Conn(eval)),
    cmd("evalsha", -3, EVAL_FLAGS, (0, 0, 0), SCRIPTING, Handler::Conn(evalsha)),
    cmd("eval_ro", -3, EVAL_FLAGS | READONLY, (0, 0, 0), SCRIPTING, Handler::Conn(eval_ro)),
    cmd("evalsha_ro", -3, EVAL_FLAGS | READONLY, (0, 0, 0), SCRIPTING, Handler::Conn(evalsha_ro)),
    container("script", -2, 0, &["@slow"], SCRIPT_SUBS),
];
