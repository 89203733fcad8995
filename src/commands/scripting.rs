//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. Where a script runs and how it stays atomic
//! is [`crate::scripting`]'s business; these handlers parse, cache and route.

use std::sync::Arc;

use super::flag::*;
use super::{cmd, container, Cx, FanOut, Flow, Handler, Spec};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::scripting::{self, script_flag, Call, Outcome, Sha};
use crate::server::conn::Conn;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;

type R = Result<Flow, CmdError>;

/// A script call's owned parts, for a job or a later round.
struct Owned {
    sha: Sha,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
    db: usize,
    read_only: bool,
    resp3: bool,
    /// Called inside EXEC, whose transaction (this id) holds every shard for it.
    exec: Option<u64>,
}

impl Owned {
    fn run(&self, core: &mut Core, wide: bool, out: &mut crate::protocol::Out) -> Outcome {
        let keys: Vec<&[u8]> = self.keys.iter().map(Vec::as_slice).collect();
        let args: Vec<&[u8]> = self.args.iter().map(Vec::as_slice).collect();
        let call = Call { sha: &self.sha, keys: &keys, args: &args, db: self.db, read_only: self.read_only };
        scripting::execute(core, &call, wide, out)
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

fn eval_generic(cx: &mut Cx, by_sha: bool, ro: bool) -> R {
    let argv = cx.argv;
    let numkeys = super::int_arg(argv.get(2))?;
    if numkeys > (argv.len() - 3) as i64 {
        return Err(CmdError::other("ERR Number of keys can't be greater than number of args"));
    }
    if numkeys < 0 {
        return Err(CmdError::other("ERR Number of keys can't be negative"));
    }
    let numkeys = numkeys as usize;
    let (sha, body) = if by_sha {
        (sha_arg(argv.get(1)).ok_or_else(noscript)?, None)
    } else {
        (scripting::sha1_hex(argv.get(1)), Some(argv.get(1)))
    };
    let owned = Owned {
        sha,
        keys: (3..3 + numkeys).map(|i| argv.get(i).to_vec()).collect(),
        args: (3 + numkeys..argv.len()).map(|i| argv.get(i).to_vec()).collect(),
        db: cx.conn.db,
        read_only: ro,
        resp3: cx.conn.resp3(),
        exec: cx.core.exec_tx.filter(|&t| t != scripting::ONE_SHARD_RUN),
    };
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
    let jobs = (0..core.shards())
        .filter(|&s| s != core.id)
        .map(|s| {
            let body = body.clone();
            let job: Job = Box::new(move |core: &mut Core| -> JobOut {
                if !core.scripting.contains(&sha) {
                    let _ = core.scripting.add(sha, body, flags, false);
                }
                Box::new(())
            });
            (s, job)
        })
        .collect();
    Flow::Wait(FanOut { jobs, finish: then })
}

/// Checks the script's flags against the call, then runs it where it belongs.
fn start(core: &mut Core, conn: &mut Conn, mut owned: Owned) -> Flow {
    let Some(script) = core.scripting.scripts.get(&owned.sha) else {
        conn.out.error(noscript().to_string().as_bytes());
        return Flow::Done;
    };
    let flags = script.flags;
    if owned.read_only && flags & script_flag::SHEBANG != 0 && flags & script_flag::NO_WRITES == 0 {
        conn.out.error(b"ERR Can not execute a script with write flag using *_ro command.");
        return Flow::Done;
    }
    owned.read_only |= flags & script_flag::NO_WRITES != 0;
    let wide_known = script.wide;
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
        let mut out = crate::protocol::Out::new(job_owned.resp3);
        let outcome = job_owned.run(core, false, &mut out);
        Box::new((matches!(outcome, Outcome::Escalate), matches!(outcome, Outcome::NoScript), out.buf))
    });
    Flow::Wait(FanOut {
        jobs: vec![(target, job)],
        finish: Box::new(move |core, conn, mut parts| {
            let Some(Ok(part)) = parts.pop().map(|p| p.downcast::<(bool, bool, Vec<u8>)>()) else {
                return Flow::Done;
            };
            let (escalate, missing, bytes) = *part;
            if missing {
                conn.out.error(noscript().to_string().as_bytes());
                return Flow::Done;
            }
            if escalate {
                if let Some(s) = core.scripting.scripts.get_mut(&owned.sha) {
                    s.wide = true;
                }
                let owned = Arc::try_unwrap(owned).unwrap_or_else(|o| Owned {
                    sha: o.sha,
                    keys: o.keys.clone(),
                    args: o.args.clone(),
                    db: o.db,
                    read_only: o.read_only,
                    resp3: o.resp3,
                    exec: o.exec,
                });
                return wide(core, owned);
            }
            conn.out.raw(&bytes);
            Flow::Done
        }),
    })
}

/// Runs the script on this core. An escalation comes back as `Flow::Then` (a marker the
/// caller replaces by the wide run).
fn run_here(core: &mut Core, conn: &mut Conn, owned: &Owned, wide: bool) -> Flow {
    match owned.run(core, wide, &mut conn.out) {
        Outcome::Done => Flow::Done,
        Outcome::NoScript => {
            conn.out.error(noscript().to_string().as_bytes());
            Flow::Done
        }
        Outcome::Escalate => Flow::Then(Box::new(|_, _| Flow::Done)),
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
            conn.out.error(noscript().to_string().as_bytes());
        }
        tx.release(Box::new(|_, _, _| Flow::Done))
    }))
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

/// SCRIPT FLUSH [ASYNC | SYNC]
fn script_flush(cx: &mut Cx) -> R {
    if cx.argv.len() > 3 || (cx.argv.len() == 3 && !cx.argv.is(2, "ASYNC") && !cx.argv.is(2, "SYNC")) {
        return Err(CmdError::other("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    Ok(FanOut::apply(cx.core.shards(), |core: &mut Core| core.scripting.flush()))
}

/// SCRIPT KILL
fn script_kill(_cx: &mut Cx) -> R {
    Err(CmdError::other("NOTBUSY No scripts in execution right now."))
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

pub const SPECS: &[Spec] = &[
    cmd("eval", -3, EVAL_FLAGS, (0, 0, 0), SCRIPTING, Handler::Conn(eval)),
    cmd("evalsha", -3, EVAL_FLAGS, (0, 0, 0), SCRIPTING, Handler::Conn(evalsha)),
    cmd("eval_ro", -3, EVAL_FLAGS | READONLY, (0, 0, 0), SCRIPTING, Handler::Conn(eval_ro)),
    cmd("evalsha_ro", -3, EVAL_FLAGS | READONLY, (0, 0, 0), SCRIPTING, Handler::Conn(evalsha_ro)),
    container("script", -2, 0, &["@slow"], SCRIPT_SUBS),
];
