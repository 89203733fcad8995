//! Persistence commands: SAVE, BGSAVE, LASTSAVE and SHUTDOWN; and the saves the server starts on
//! its own, as Redis 7.0 does: a BGSAVE when a save point (`save <seconds> <changes>`) is due, a
//! save before exiting on SIGTERM or SIGINT, and a save right after FLUSHALL.
//!
//! Every save cuts the keyspace under an exclusive hold of every database of every shard (as
//! FLUSHALL takes it), so a multi-shard command is wholly in the set or wholly out. SAVE writes
//! the set while it holds them; BGSAVE only starts every shard's part under the hold and writes
//! while the shards serve (see [`crate::persistence::snapshot`]). Saves the server starts on
//! its own run as tasks ([`crate::server::task`]) of shard 0.
//!
//! While the last background save failed and save points are set, write commands (and PING)
//! are refused with `-MISCONF` unless `stop-writes-on-bgsave-error` is off, as in Redis.

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Cx, Flow};
use crate::coord::Tx;
use crate::error::CmdError;
use crate::persistence::snapshot::{self, Job, Paths};
use crate::server::conn::Conn;
use crate::shard::mesh::JobOut;
use crate::shard::{Core, Shared};

type R = Result<Flow, CmdError>;

/// What runs after a save, with its outcome.
pub type AfterSave = Box<dyn FnOnce(&mut Core, &mut Conn, Result<(), String>) -> Flow>;

/// What a background save's start tells whoever asked for it.
type Started = Box<dyn FnOnce(&mut Conn, Result<(), String>)>;

const IN_PROGRESS: &str = "ERR Background save already in progress";

/// Redis's reply to writes while its last background save failed.
pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// How long after a failed background save a save point may try again (Redis's
/// CONFIG_BGSAVE_RETRY_DELAY), in seconds.
const RETRY_AFTER_FAILURE: u64 = 5;

/// Are writes refused with [`MISCONF`]?
#[inline]
pub fn writes_denied(core: &Core) -> bool {
    core.shared.saves.last_failed.load(Ordering::Relaxed)
        && core.config.stop_writes_on_bgsave_error
        && !core.config.save.is_empty()
}

/// A transaction holding every database of every shard, touching nothing: the cut of a save
/// (a multi-shard command is wholly before it or wholly after).
fn hold_every_db(core: &Core) -> Tx {
    let mut tx = Tx::dbs(core, (0..core.dbs.len()).collect());
    tx.touch = false;
    tx
}

/// The function libraries shard `shard`'s file carries: shard 0's carries them all (a library
/// loaded twice fails), the others none.
fn libraries_for(core: &Core, shard: usize) -> Vec<Vec<u8>> {
    if shard != 0 {
        return Vec::new();
    }
    core.scripting.libraries.by_name.values().map(|lib| lib.code.to_vec()).collect()
}

/// Writes a snapshot set in the foreground under the hold of every database, each shard first
/// running `before` under the same hold (FLUSHALL's flush, SHUTDOWN's end of a background
/// save), then `done` with the outcome.
pub fn save_flow(core: &Core, before: impl Fn(&mut Core) + Clone + Send + 'static, done: AfterSave) -> Flow {
    let paths = std::sync::Arc::new(Paths::of(&core.config));
    let generation = crate::shard::now_ms();
    let tx = hold_every_db(core);
    let shards = core.shards();
    tx.lock(Box::new(move |_core, _conn, tx| {
        let job_paths = paths.clone();
        tx.run_and_release(
            move |shard, _| {
                let (paths, before) = (job_paths.clone(), before.clone());
                Box::new(move |core: &mut Core| -> JobOut {
                    before(core);
                    let name = paths.shard_file(generation, shard);
                    let functions = libraries_for(core, shard);
                    let written = snapshot::write_shard(core, &paths.dir.join(&name), &functions);
                    if written.is_ok() {
                        core.snapshot.changes = 0;
                    }
                    Box::new(written.map(|_| (shard, name)).map_err(|e| e.to_string()))
                })
            },
            Box::new(move |core, conn, parts| {
                let mut files = vec![String::new(); shards];
                let mut failed = None;
                for part in parts {
                    match part.downcast::<Result<(usize, String), String>>().map(|r| *r) {
                        Ok(Ok((shard, name))) => files[shard] = name,
                        Ok(Err(e)) => failed = Some(e),
                        Err(_) => {}
                    }
                }
                let result = match failed {
                    Some(e) => Err(e),
                    None => snapshot::commit(&paths, generation, &files).map_err(|e| e.to_string()),
                };
                match &result {
                    Ok(()) => {
                        crate::notice!("DB saved on disk");
                        core.shared.saves.last.store(generation / 1000, Ordering::Relaxed);
                        core.shared.saves.count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => crate::warning!("Failed saving the DB: {e}"),
                }
                done(core, conn, result)
            }),
        )
    }))
}

/// SAVE: every shard writes its file of a new snapshot set under the hold of every database,
/// then the manifest naming the set is put in place.
pub(super) fn save(cx: &mut Cx) -> R {
    if cx.core.shared.saves.in_progress.load(Ordering::SeqCst) {
        return Err(CmdError::other(IN_PROGRESS));
    }
    Ok(save_flow(
        cx.core,
        |_| {},
        Box::new(|_core, conn, result| {
            match result {
                Ok(()) => conn.out.ok(),
                Err(_) => conn.out.error(b"ERR"),
            }
            Flow::Done
        }),
    ))
}

/// Claims the one background save that may run; false when one runs already.
fn claim_bgsave(core: &Core) -> bool {
    let saves = &core.shared.saves;
    let claimed = saves.in_progress.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok();
    if claimed {
        saves.tried.store(crate::shard::now_ms() / 1000, Ordering::Relaxed);
    }
    claimed
}

/// Starts a background save (its caller claimed it): every shard starts its part in one round
/// under the hold of every database, then `started` learns whether all of them did (a shard
/// that could not ends its part as failed).
fn bgsave_flow(core: &Core, started: Started) -> Flow {
    let generation = crate::shard::now_ms();
    core.shared.saves.started_ms.store(generation, Ordering::Relaxed);
    let job = Job::new(Paths::of(&core.config), generation, core.shards());
    hold_every_db(core).lock(Box::new(move |_core, _conn, tx| {
        tx.run_and_release(
            move |shard, _| {
                let job = job.clone();
                Box::new(move |core: &mut Core| -> JobOut {
                    let functions = libraries_for(core, shard);
                    Box::new(snapshot::start(core, job, &functions))
                })
            },
            Box::new(move |_core, conn, parts| {
                // Shards that did start go on and end the job as failed.
                let failed = parts.into_iter().find_map(|p| p.downcast::<Result<(), String>>().ok()?.err());
                match &failed {
                    Some(e) => crate::warning!("Can't save in background: {e}"),
                    None => crate::notice!("Background saving started"),
                }
                started(conn, failed.map_or(Ok(()), Err));
                Flow::Done
            }),
        )
    }))
}

/// BGSAVE [SCHEDULE]
pub(super) fn bgsave(cx: &mut Cx) -> R {
    let schedule = match cx.argv.len() {
        1 => false,
        2 if cx.argv.is(1, "SCHEDULE") => true,
        _ => return Err(CmdError::Syntax),
    };
    if !claim_bgsave(cx.core) {
        if schedule {
            cx.out().simple(b"Background saving scheduled");
            return Ok(Flow::Done);
        }
        return Err(CmdError::other(IN_PROGRESS));
    }
    // Inside EXEC Redis schedules the save for after the transaction; here it starts at the
    // transaction's own cut (it holds every database already), answering as Redis does.
    let answer: &[u8] =
        if cx.core.exec_tx.is_some() { b"Background saving scheduled" } else { b"Background saving started" };
    // A shard that could not start (no file) ends the save as failed, which INFO and the log
    // show: Redis's child opens its file after the fork, so its BGSAVE answers the same.
    Ok(bgsave_flow(cx.core, Box::new(move |conn, _| conn.out.simple(answer))))
}

/// When the last save ended (Unix s), the start's time until the first.
pub fn last_save(core: &Core) -> u64 {
    match core.shared.saves.last.load(Ordering::Relaxed) {
        0 => core.shared.started_unix,
        at => at,
    }
}

/// LASTSAVE
pub(super) fn lastsave(cx: &mut Cx) -> R {
    let at = last_save(cx.core);
    cx.out().int(at as i64);
    Ok(Flow::Done)
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
pub(super) fn shutdown(cx: &mut Cx) -> R {
    let argv = cx.argv;
    // Parsed as Redis's shutdownCommand: any word may repeat; then ABORT with any other flag,
    // or NOSAVE with SAVE, is a syntax error.
    let (mut nosave, mut save, mut other, mut abort) = (false, false, false, false);
    for i in 1..argv.len() {
        if argv.is(i, "NOSAVE") {
            nosave = true;
        } else if argv.is(i, "SAVE") {
            save = true;
        } else if argv.is(i, "NOW") || argv.is(i, "FORCE") {
            other = true;
        } else if argv.is(i, "ABORT") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::other("ERR No shutdown in progress."));
    }
    crate::warning!("User requested shutdown...");
    // As Redis: save when asked to, or when save points are set, unless NOSAVE.
    if save || (!nosave && !cx.core.config.save.is_empty()) {
        let force = (1..argv.len()).any(|i| argv.is(i, "FORCE"));
        return Ok(save_and_exit(
            cx.core,
            force,
            Box::new(|conn| conn.out.error(b"ERR Errors trying to SHUTDOWN. Check logs.")),
        ));
    }
    if nosave && crate::scripting::any_running(&cx.core.shared) {
        // A shard is running a script and will not look at its inbox until it ends: nothing
        // to save, so exit now, as Redis does for SHUTDOWN NOSAVE during a busy script.
        crate::warning!("Redis is now ready to exit, bye bye...");
        std::process::exit(0);
    }
    crate::server::stop_all(&cx.core.shared);
    Ok(Flow::Close)
}

/// Saves the set in the foreground (a background save under way is given up first, as Redis
/// kills its child), then stops the server; when the save fails and not `force`, the server
/// keeps running and `refused` says so.
fn save_and_exit(core: &Core, force: bool, refused: Box<dyn FnOnce(&mut Conn)>) -> Flow {
    crate::notice!("Saving the final RDB snapshot before exiting.");
    save_flow(
        core,
        |core| snapshot::abort(core, "shutdown"),
        Box::new(move |core, conn, result| {
            if result.is_err() && !force {
                crate::warning!("Error trying to save the DB, can't exit.");
                refused(conn);
                return Flow::Done;
            }
            crate::server::stop_all(&core.shared);
            Flow::Close
        }),
    )
}

/// A shutdown asked for by a signal is under way (its save runs).
static SIGNALLED: AtomicBool = AtomicBool::new(false);

/// SIGTERM or SIGINT (from the signal thread): exits, saving first when save points are set.
/// A SIGINT while that save runs exits at once; a save that fails keeps the server up, and the
/// next signal tries again, as in Redis.
pub fn on_signal(shared: &Shared, name: &'static str, save: bool) {
    if SIGNALLED.swap(true, Ordering::SeqCst) && name == "SIGINT" {
        crate::warning!("You insist... exiting now.");
        std::process::exit(1);
    }
    crate::warning!("Received {name} scheduling shutdown...");
    if !save {
        crate::server::stop_all(shared);
        return;
    }
    let job = move |core: &mut Core| -> JobOut {
        crate::server::task::start(core, |core| {
            save_and_exit(
                core,
                false,
                Box::new(|_| {
                    crate::warning!("Errors trying to shut down the server. Check the logs for more information.");
                    SIGNALLED.store(false, Ordering::SeqCst);
                }),
            )
        });
        Box::new(())
    };
    shared.mesh.send(0, crate::shard::mesh::Msg::Post(Box::new(job)));
}

/// Every tick of the event loop: publishes this shard's count of changes, and on shard 0
/// starts a background save when a save point is due, as Redis's serverCron: at least
/// `changes` changes over all shards and more than `seconds` since the last save, and if the
/// last background save failed, not again within five seconds of trying.
pub fn cron(core: &mut Core) {
    let saves = &core.shared.saves;
    saves.changes[core.id].store(core.snapshot.changes, Ordering::Relaxed);
    if core.id != 0 || core.config.save.is_empty() || saves.in_progress.load(Ordering::Relaxed) {
        return;
    }
    let changes: u64 = saves.changes.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    let now = crate::shard::now_ms() / 1000;
    let since = now.saturating_sub(last_save(core));
    let may_retry = !saves.last_failed.load(Ordering::Relaxed)
        || now.saturating_sub(saves.tried.load(Ordering::Relaxed)) > RETRY_AFTER_FAILURE;
    let Some(&(seconds, wanted)) = core.config.save.iter().find(|&&(s, n)| changes >= n && since > s) else {
        return;
    };
    if !may_retry || !claim_bgsave(core) {
        return;
    }
    crate::notice!("{wanted} changes in {seconds} seconds. Saving...");
    crate::server::task::start(core, |core| bgsave_flow(core, Box::new(|_, _| {})));
}
