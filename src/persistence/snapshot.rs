//! Snapshot sets on disk: one RDB file per shard and a manifest naming them, and loading a set
//! (or a Redis `dump.rdb`) at start.
//!
//! # Files
//!
//! In `dir`, for `dbfilename` `dump.rdb`, a save of generation G (its start, in ms) with N shards
//! writes `dump-G-0.rdb` ... `dump-G-(N-1).rdb`, each a whole RDB file that redis-server loads
//! alone, then the manifest `dump.rdb.manifest` naming them. Every file is written under a
//! temporary name, fsynced, renamed into place, and the directory fsynced; the manifest is
//! renamed last, so a crash before that leaves the previous manifest and its files intact (the
//! new files are orphans the next save removes). After the manifest is in place the files of the
//! generation it replaced, and any orphan of ours, are removed.
//!
//! # Loading
//!
//! At start the manifest's set is loaded if there is one; otherwise `dbfilename` itself, a file
//! Redis wrote, if it exists (the manifest wins when both exist). The files are read in parallel
//! and every key is routed to the shard that owns it under the running shard count, so a set
//! loads with any number of shards. Everything is read before anything is stored: a bad file
//! stops the start with its name and the offset, and nothing is half-loaded.
//!
//! SAVE (and SHUTDOWN's save) writes the whole set in the foreground under an exclusive hold of
//! every database (as FLUSHALL takes it), so a multi-shard command is wholly in or out of it.
//! BGSAVE writes it in the background, without fork: see "Background saves" below.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::file::{read_file, FileWriter, Item};
use super::rdb::Encodings;
use crate::config::Config;
use crate::shard::mesh::{JobOut, Msg};
use crate::shard::Core;
use crate::store::value::Value;

const MANIFEST_HEADER: &str = "shardis-snapshot 1";

/// A shard's part in snapshots.
#[derive(Default)]
pub struct ShardSnapshot {
    /// Keys changed since this shard's last save (INFO's `rdb_changes_since_last_save`).
    pub changes: u64,
    /// The background save this shard is writing, if any.
    active: Option<Box<Active>>,
    /// Tests (DEBUG SNAPSHOT-PACE): segments per slice and the pause between slices.
    pub pace: Option<(usize, Duration)>,
    /// Background saves started on this shard (each one's mark).
    epochs: u32,
    /// The set is still loading at start: commands without the `loading` flag get -LOADING.
    pub loading: bool,
    /// The event loop's last wait brought no work: a background save's next slice may be long.
    pub idle: bool,
}

/// The server's saves: how many succeeded, when the last one did (Unix s, 0: none yet), and
/// the background save in progress.
pub struct Saves {
    pub count: AtomicU64,
    pub last: AtomicU64,
    /// A BGSAVE is running (claimed by the BGSAVE that starts it, cleared when it ends).
    pub in_progress: AtomicBool,
    /// When the running BGSAVE started (ms), for `rdb_current_bgsave_time_sec`.
    pub started_ms: AtomicU64,
    /// The last BGSAVE's outcome (`rdb_last_bgsave_status`) and length (s, -1: none yet).
    pub last_failed: AtomicBool,
    pub last_secs: AtomicI64,
    /// When a background save was last started (Unix s): after a failure, save points wait a
    /// while before trying again.
    pub tried: AtomicU64,
    /// Each shard's changes since its last save, as of its last tick (save points).
    pub changes: Vec<AtomicU64>,
    /// The load at start, while it runs.
    pub loading: Loading,
}

impl Saves {
    pub fn new(shards: usize) -> Self {
        Saves {
            count: AtomicU64::new(0),
            last: AtomicU64::new(0),
            in_progress: AtomicBool::new(false),
            started_ms: AtomicU64::new(0),
            last_failed: AtomicBool::new(false),
            last_secs: AtomicI64::new(-1),
            tried: AtomicU64::new(0),
            changes: (0..shards).map(|_| AtomicU64::new(0)).collect(),
            loading: Loading::default(),
        }
    }
}

/// Where a snapshot set lives: `dir` and the `dbfilename` it is named after.
pub struct Paths {
    pub dir: PathBuf,
    pub dbfilename: PathBuf,
}

impl Paths {
    pub fn of(config: &Config) -> Paths {
        Paths { dir: config.dir.clone(), dbfilename: config.dbfilename.clone() }
    }

    /// The manifest: `<dbfilename>.manifest`.
    pub fn manifest(&self) -> PathBuf {
        let mut name = self.dbfilename.as_os_str().to_owned();
        name.push(".manifest");
        self.dir.join(name)
    }

    /// Shard `i`'s file of generation `gen`: `<stem>-<gen>-<i>.rdb`.
    pub fn shard_file(&self, gen: u64, i: usize) -> String {
        let stem = self.dbfilename.file_stem().map_or("dump".into(), |s| s.to_string_lossy().into_owned());
        format!("{stem}-{gen}-{i}.rdb")
    }

    /// Redis's single file, `dbfilename` in `dir`.
    pub fn redis_file(&self) -> PathBuf {
        self.dir.join(&self.dbfilename)
    }
}

/// The temporary name `path` is written under.
fn tmp_name(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    PathBuf::from(tmp)
}

/// Ends a file written under `tmp`: flushes and fsyncs it, renames it to `path` and fsyncs the
/// directory.
fn put_in_place(out: BufWriter<std::fs::File>, tmp: &Path, path: &Path) -> io::Result<()> {
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Writes `path` through `write` under a temporary name, then puts it in place; a failure
/// leaves no temporary file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = tmp_name(path);
    let result = (|| {
        let mut out = BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?);
        write(&mut out)?;
        put_in_place(out, &tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes this shard's keys, every database, to `path` (shard 0 also carries the function
/// libraries); returns how many keys it wrote.
pub fn write_shard(core: &Core, path: &Path, functions: &[Vec<u8>]) -> io::Result<u64> {
    let (compression, checksum) = (core.config.rdbcompression, core.config.rdbchecksum);
    let now = core.now_ms;
    let mut keys = 0u64;
    write_atomically(path, |out| {
        let mut f = FileWriter::new(out, compression, checksum, now / 1000, 0)?.with_access(&core.config, now);
        for code in functions {
            f.function(code)?;
        }
        let mut current = None;
        for (db, table) in core.dbs.iter().enumerate() {
            let sizes = (table.len() as u64, table.expires_len() as u64);
            for (key, value, deadline) in table.iter() {
                if !crate::shard::keyspace::expired(deadline, now) {
                    key_in_db(&mut f, &mut current, (db, sizes), key, value, deadline)?;
                    keys += 1;
                }
            }
        }
        f.finish()?;
        Ok(())
    })?;
    Ok(keys)
}

/// Writes one key of database `db` (whose sizes at the save's start are `sizes`, for RESIZEDB,
/// a hint as in Redis), after its database's SELECTDB when the key written before was in
/// another (`current`).
fn key_in_db<W: Write>(
    f: &mut FileWriter<W>,
    current: &mut Option<usize>,
    (db, (keys, expires)): (usize, (u64, u64)),
    key: &[u8],
    value: &Value,
    deadline: u64,
) -> io::Result<()> {
    if *current != Some(db) {
        f.select_db(db, keys, expires)?;
        *current = Some(db);
    }
    f.key(key, value, deadline)
}

/// Puts the manifest of generation `gen` (`files`, in shard order) in place, then removes the
/// files of the set it replaces.
pub fn commit(paths: &Paths, gen: u64, files: &[String]) -> io::Result<()> {
    let old = read_manifest(paths).unwrap_or_default();
    write_atomically(&paths.manifest(), |out| {
        writeln!(out, "{MANIFEST_HEADER}")?;
        writeln!(out, "generation {gen}")?;
        for f in files {
            writeln!(out, "file {f}")?;
        }
        Ok(())
    })?;
    for f in old.iter().filter(|f| !files.contains(f)) {
        let _ = std::fs::remove_file(paths.dir.join(f));
    }
    // Files of saves that never reached their manifest (a crash, a failed write).
    let stem = paths.shard_file(0, 0);
    let prefix = &stem[..stem.find('-').map_or(0, |i| i + 1)];
    for entry in std::fs::read_dir(&paths.dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(prefix) && (name.ends_with(".rdb") || name.contains(".rdb.tmp-"));
        if ours && !files.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The files the manifest names, if there is a manifest.
fn read_manifest(paths: &Paths) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(paths.manifest()).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEADER) {
        return None;
    }
    Some(lines.filter_map(|l| l.strip_prefix("file ").map(str::to_string)).collect())
}

/// One loaded key: its database, name, value and deadline (ms, 0: none).
pub type LoadedKey = (usize, Vec<u8>, Value, u64);

/// DEBUG RELOAD on one shard: reads the set (every file: each shard keeps its own keys),
/// empties this shard's databases if `flush`, and stores its keys.
pub fn reload_here(core: &mut Core, flush: bool) -> Result<(), String> {
    let mut loaded = load(&core.config, core.shards())?;
    let mine = std::mem::take(&mut loaded.per_shard[core.id]);
    if flush {
        for db in 0..core.dbs.len() {
            before_db_replaced(core, db);
            core.signal_db_replaced(db, None);
            core.dbs[db] = Default::default();
        }
    }
    for (db, key, value, deadline) in mine {
        core.dbs[db].insert(&key, value, deadline);
    }
    Ok(())
}

/// What loading found: each shard's keys, the function libraries, and which files were read.
#[derive(Default)]
pub struct Loaded {
    pub per_shard: Vec<Vec<LoadedKey>>,
    pub functions: Vec<Vec<u8>>,
    pub files: Vec<PathBuf>,
}

/// A load at start under way: INFO's `loading` fields, and the -LOADING answer meanwhile.
#[derive(Default)]
pub struct Loading {
    pub active: AtomicBool,
    /// When it started (Unix s).
    pub started: AtomicU64,
    /// Bytes of every file, and bytes read so far.
    pub total: AtomicU64,
    pub loaded: AtomicU64,
}

/// The files a start loads from `dir`: the manifest's set, else a Redis `dbfilename`, else none.
pub fn files_to_load(config: &Config) -> Vec<PathBuf> {
    let paths = Paths::of(config);
    match read_manifest(&paths) {
        Some(names) => names.iter().map(|n| paths.dir.join(n)).collect(),
        None if paths.redis_file().exists() => vec![paths.redis_file()],
        None => Vec::new(),
    }
}

/// Loads the snapshot set in `dir` (see [`files_to_load`]), routing every key to its owner
/// among `shards`. Nothing at all: an empty result. A file that cannot be read whole: an error
/// naming it and the offset.
pub fn load(config: &Config, shards: usize) -> Result<Loaded, String> {
    load_files(config, shards, files_to_load(config), None)
}

/// How often a long load logs how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Reads `files` in parallel (a thread each, each file mapped), routing every key to its owner
/// among `shards`. When `streaming` at start, the keys go to their shards in chunks as they are
/// read (the shards insert while the files are parsed; a bad file stops the process, so
/// nothing half-loaded is ever served), the bytes read are counted and logged while that
/// takes long, and the result holds only the function libraries. Each key waits
/// `key-load-delay` (tests), as in Redis.
pub fn load_files(
    config: &Config,
    shards: usize,
    files: Vec<PathBuf>,
    streaming: Option<(&Loading, &crate::shard::mesh::Mesh)>,
) -> Result<Loaded, String> {
    let progress = streaming.map(|(p, _)| p);
    let mesh = streaming.map(|(_, m)| m);
    let enc = Encodings::from_config(config);
    let now = crate::shard::now_ms();
    let databases = config.databases.max(1);
    let delay = config.key_load_delay;
    // A loaded key's access word, as Redis's objectSetLRUOrLFU sets it from the file's FREQ or
    // IDLE (a key without one counts as created now).
    let lfu = config.maxmemory_policy.is_lfu().then(|| crate::store::value::Lfu::new(now, 0, 0));
    let access = move |idle: Option<u64>, freq: Option<u8>| match lfu {
        Some(lfu) => lfu.word(freq.unwrap_or(crate::store::value::Lfu::INITIAL)),
        None => {
            let ticks = idle.unwrap_or(0).min(u64::from(u32::MAX / 2 / crate::store::value::LRU_TICKS_PER_SEC));
            crate::store::value::lru_clock(now).wrapping_sub(ticks as u32 * crate::store::value::LRU_TICKS_PER_SEC)
        }
    };
    type Parts = (Vec<Vec<LoadedKey>>, Vec<Vec<u8>>);
    let parsed: Vec<Result<Parts, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|path| {
                let enc = &enc;
                scope.spawn(move || -> Result<Parts, String> {
                    let data = map_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let data: &[u8] = data.as_deref().unwrap_or_default();
                    let mut per: Vec<Vec<_>> = (0..shards).map(|_| Vec::new()).collect();
                    let mut functions = Vec::new();
                    let (mut counted, mut n) = (0usize, 0u64);
                    let summary = read_file(data, enc, now, |item| {
                        match item {
                            Item::Key { db, key, mut value, deadline_ms, end, idle, freq } => {
                                value.set_access_word(access(idle, freq));
                                if db >= databases {
                                    return Err(super::file::FileError {
                                        offset: 0,
                                        what: format!("database {db} is out of range (databases {databases})"),
                                    });
                                }
                                let owner = crate::shard::route::key_shard(&key, shards);
                                per[owner].push((db, key, value, deadline_ms));
                                if let Some(mesh) = mesh.filter(|_| per[owner].len() >= LOAD_CHUNK) {
                                    hand_over(mesh, owner, std::mem::take(&mut per[owner]));
                                }
                                if let Some(p) = progress.filter(|_| end - counted >= 64 * 1024) {
                                    p.loaded.fetch_add((end - counted) as u64, Ordering::Relaxed);
                                    counted = end;
                                }
                                n += 1;
                                key_load_delay(delay, n);
                            }
                            Item::Function(code) => functions.push(code),
                        }
                        Ok(())
                    })
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                    if summary.module_aux_skipped > 0 {
                        crate::warning!(
                            "{}: skipped {} module aux record(s): modules are not supported",
                            path.display(),
                            summary.module_aux_skipped
                        );
                    }
                    if let Some(p) = progress {
                        p.loaded.fetch_add((data.len() - counted) as u64, Ordering::Relaxed);
                    }
                    if let Some(mesh) = mesh {
                        for (owner, keys) in per.iter_mut().enumerate().filter(|(_, k)| !k.is_empty()) {
                            hand_over(mesh, owner, std::mem::take(keys));
                        }
                    }
                    Ok((per, functions))
                })
            })
            .collect();
        if let Some(p) = progress {
            let mut last_line = Instant::now();
            while !handles.iter().all(|h| h.is_finished()) {
                std::thread::sleep(Duration::from_millis(20));
                if last_line.elapsed() >= PROGRESS_EVERY {
                    last_line = Instant::now();
                    let (done, total) = (p.loaded.load(Ordering::Relaxed), p.total.load(Ordering::Relaxed));
                    let mb = |bytes: u64| bytes as f64 / (1 << 20) as f64;
                    crate::notice!(
                        "Loading: {:.1} of {:.1} MB read ({:.0}%)",
                        mb(done),
                        mb(total),
                        done as f64 * 100.0 / total.max(1) as f64
                    );
                }
            }
        }
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a loader thread panicked".into()))).collect()
    });
    let mut loaded = Loaded { per_shard: (0..shards).map(|_| Vec::new()).collect(), files, ..Loaded::default() };
    for part in parsed {
        let (per, functions) = part?;
        for (mine, theirs) in loaded.per_shard.iter_mut().zip(per) {
            mine.extend(theirs);
        }
        loaded.functions.extend(functions);
    }
    Ok(loaded)
}

/// Keys handed to a shard in one go while loading at start (the shard answers -LOADING
/// between two chunks).
const LOAD_CHUNK: usize = 64 * 1024;

/// Loads `files` at start while the shards already serve (answering -LOADING until every shard
/// holds its keys, as Redis does while it loads): reads them on this thread's helpers, then
/// hands each shard its keys in chunks and the function libraries; the last shard to finish
/// ends the loading everywhere. A bad file stops the server, naming the file and the offset.
pub fn load_at_start(shared: Arc<crate::shard::Shared>, config: Config, files: Vec<PathBuf>) {
    let started = Instant::now();
    let shards = shared.shards();
    let loaded = match load_files(&config, shards, files, Some((&shared.saves.loading, &shared.mesh))) {
        Ok(loaded) => loaded,
        Err(e) => {
            crate::warning!("Fatal error loading the DB: {e}. Exiting.");
            if let Some(pidfile) = &config.pidfile {
                let _ = std::fs::remove_file(pidfile);
            }
            std::process::exit(1);
        }
    };
    let files = loaded.files.len();
    let functions: Arc<Vec<Arc<[u8]>>> = Arc::new(loaded.functions.into_iter().map(Arc::from).collect());
    let remaining = Arc::new(AtomicUsize::new(shards));
    let keys = Arc::new(AtomicUsize::new(0));
    // Each shard's last job: after every chunk in its inbox (sent by the threads now done).
    for shard in 0..shards {
        let (functions, remaining, keys) = (functions.clone(), remaining.clone(), keys.clone());
        shared.mesh.send(
            shard,
            Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                keys.fetch_add(core.dbs.iter().map(|t| t.len()).sum(), Ordering::SeqCst);
                for code in functions.iter() {
                    if let Err(e) = core.scripting.load_library(code.clone(), false) {
                        crate::warning!("Fatal error loading the DB: a function library: {e}. Exiting.");
                        std::process::exit(1);
                    }
                }
                if remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
                    crate::notice!(
                        "DB loaded from disk: {:.3} seconds, {} keys from {files} file(s)",
                        started.elapsed().as_secs_f64(),
                        keys.load(Ordering::SeqCst)
                    );
                    core.shared.saves.loading.active.store(false, Ordering::SeqCst);
                    core.shared.mesh.broadcast(|| {
                        Box::new(|core: &mut Core| -> JobOut {
                            core.snapshot.loading = false;
                            Box::new(())
                        })
                    });
                }
                Box::new(())
            })),
        );
    }
}

/// Sends `keys` read at start to their shard `owner`, to insert.
fn hand_over(mesh: &crate::shard::mesh::Mesh, owner: usize, keys: Vec<LoadedKey>) {
    mesh.send(
        owner,
        Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
            insert_loaded(core, keys);
            Box::new(())
        })),
    );
}

/// `path`'s bytes, mapped (None for an empty file, which cannot be mapped).
fn map_file(path: &Path) -> io::Result<Option<memmap2::Mmap>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    // SAFETY: nothing of ours writes a file while it loads (saves write new names and
    // rename); another process truncating it meanwhile is the one risk any mmap reader takes.
    unsafe { memmap2::Mmap::map(&file) }.map(Some)
}

fn insert_loaded(core: &mut Core, keys: Vec<LoadedKey>) {
    for (db, key, value, deadline) in keys {
        core.dbs[db].insert(&key, value, deadline);
    }
}

/// `key-load-delay` after the `n`th key: that many microseconds, or when negative, one
/// microsecond every that many keys (Redis sleeps with that probability).
fn key_load_delay(delay: i64, n: u64) {
    let micros = match delay {
        0 => return,
        d if d > 0 => d as u64,
        d => u64::from(n.is_multiple_of(d.unsigned_abs())),
    };
    if micros > 0 {
        std::thread::sleep(Duration::from_micros(micros));
    }
}

// Background saves.
//
// The cut. BGSAVE starts on every shard in one round under an exclusive hold of every
// database, the lock FLUSHALL takes: a multi-shard command (MSET, EXEC, a script) is wholly
// before it or wholly after. Taking that hold waits, like any exclusive lock, for the
// transactions holding keys now to finish: at most the longest running EXEC or script (a
// script past `busy-reply-threshold` can be killed with SCRIPT KILL), and new ones queue
// behind the save's start, which is one round of jobs.
//
// The walk. Each shard then writes its file while it serves. The event loop gives the walk a
// slice per pass (`step`): 1 ms when its last wait brought no work, else a 16th of the time
// since the last slice, 10 to 50 us (a slice delays the replies behind it), so a saturated
// shard gives it about 6% of its time and an idle one most of it. The walk goes segment by segment through the table, writing each entry in place
// and marking it with the save's epoch (`Value::snapshot_mark`, in bytes the value layout
// leaves spare); a slice may end inside a segment and the next resumes there.
//
// Copy-on-write. Before anything changes or removes an entry of a segment the walk has not
// finished, the entry is written first, as it stood, and marked: the lookup the command makes
// anyway hands the entry over (`ShardSnapshot::before_change`, from `Core::put` and the
// keyspace's lookups), a new key checks its segment (`before_insert`), and the few paths that
// do not look up first call `before_write`. A key
// stored after the start carries the mark from the start and is left out. A new key that
// would split an unwritten segment has the whole segment written first, so segments made by
// splits after the start always come from segments already written. Keys past their deadline
// at the start are left out; the active expiry cycle pauses while a shard writes (lazy expiry
// goes through the lookups). FLUSHALL aborts the save, as in Redis 7.0; FLUSHDB and SWAPDB
// first write what is left of their databases.
//
// The disk. The bytes go to a writer thread per shard in 256 KB pieces through a channel of 16
// pieces, so a slow disk holds up the file, not the shard: when the channel is full the walk
// pauses, and only copy-on-write still adds to a backlog, bounded by what is written during
// the save. The writer fsyncs and renames; the last shard to end puts the manifest in place.
// The save keeps no copy of the data and no set of keys of its own.
//
// Huge values. A value is encoded whole when its turn comes (walk or copy-on-write): the
// shard stops for that long and holds its encoding once. Measured (BENCHMARKS.md): a sorted
// set of 2M members, 49 MB encoded, 0.23 s; a 300 MB string, 0.3 s.

/// Bytes handed to the writer thread at a time.
const PIECE: usize = 256 * 1024;

/// One BGSAVE, shared by every shard's part.
pub struct Job {
    pub paths: Paths,
    pub generation: u64,
    shards: usize,
    /// Shards still writing.
    remaining: AtomicUsize,
    failed: AtomicBool,
    /// FLUSHALL or a shutdown gave it up: not a failure (`rdb_last_bgsave_status` keeps its value).
    aborted: AtomicBool,
}

impl Job {
    pub fn new(paths: Paths, generation: u64, shards: usize) -> Arc<Job> {
        Arc::new(Job {
            paths,
            generation,
            shards,
            remaining: AtomicUsize::new(shards),
            failed: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
        })
    }
}

/// What a writer thread gets.
enum Piece {
    Bytes(Vec<u8>),
    /// The file is whole: fsync and rename it. A channel closed without this aborts the file.
    Finish,
}

/// Pieces the channel to a writer thread holds at most (4 MB): past that, pieces wait in the
/// shard's backlog and the walk pauses until the disk catches up.
const CHANNEL_PIECES: usize = 16;

/// A busy shard gives the save (walk and copy-on-write) 1/(WALK_SHARE + 1) of its time.
const WALK_SHARE: u32 = 16;
/// A busy shard's walk slices: 10 to 50 us.
const SLICE_MIN_NS: i64 = 10_000;
const SLICE_MAX_NS: i64 = 50_000;
/// What copy-on-write may leave the walk owing at most.
const CREDIT_OWED_MAX_NS: i64 = 1_000_000;
/// A key's cost to the save until the walk has measured its own.
const COPY_COST_NS: i64 = 150;

/// The shard's end of a writer thread's channel. Never blocks: what the channel cannot take
/// yet waits in `backlog`.
struct Sink {
    buf: Vec<u8>,
    tx: mpsc::SyncSender<Piece>,
    backlog: std::collections::VecDeque<Vec<u8>>,
}

impl Sink {
    fn send(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE));
            self.backlog.push_back(piece);
        }
        self.pump()
    }

    /// Hands the writer thread what it can take now.
    fn pump(&mut self) -> io::Result<()> {
        while let Some(piece) = self.backlog.pop_front() {
            match self.tx.try_send(Piece::Bytes(piece)) {
                Ok(()) => {}
                Err(mpsc::TrySendError::Full(Piece::Bytes(piece))) => {
                    self.backlog.push_front(piece);
                    break;
                }
                Err(_) => return Err(io::Error::other("the snapshot writer stopped")),
            }
        }
        Ok(())
    }

    /// Is the disk behind (pieces waiting on this side)?
    fn behind(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// After the last piece: the writer thread's go to fsync and rename. False while pieces
    /// still wait (try again later).
    fn close(&mut self) -> io::Result<bool> {
        self.pump()?;
        if self.behind() {
            return Ok(false);
        }
        match self.tx.try_send(Piece::Finish) {
            Ok(()) => Ok(true),
            Err(mpsc::TrySendError::Full(_)) => Ok(false),
            Err(_) => Err(io::Error::other("the snapshot writer stopped")),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Starts the thread that writes `path` from what comes through the returned sender; the
/// receiver gets its outcome once the file is renamed into place (or abandoned).
fn spawn_writer(path: PathBuf) -> io::Result<(mpsc::SyncSender<Piece>, mpsc::Receiver<io::Result<()>>)> {
    let tmp = tmp_name(&path);
    let file = std::fs::File::create(&tmp)?;
    let (tx, rx) = mpsc::sync_channel::<Piece>(CHANNEL_PIECES);
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::Builder::new().name("snapshot-writer".into()).spawn(move || {
        let result = (|| {
            let mut out = BufWriter::with_capacity(PIECE, file);
            let mut whole = false;
            for piece in rx {
                match piece {
                    Piece::Bytes(bytes) => out.write_all(&bytes)?,
                    Piece::Finish => {
                        whole = true;
                        break;
                    }
                }
            }
            if !whole {
                return Err(io::Error::other("aborted"));
            }
            put_in_place(out, &tmp, &path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        let _ = done_tx.send(result);
    })?;
    Ok((tx, done_rx))
}

/// A shard's part of a running BGSAVE.
struct Active {
    job: Arc<Job>,
    start_ms: u64,
    /// Changes counted when it started (a success takes them off `changes`).
    changes_at_start: u64,
    /// Per database, per segment that existed at the start: written yet?
    written: Vec<Vec<bool>>,
    /// This save's mark: a value carrying it was written already, or came after the start
    /// (see [`Value::snapshot_mark`]); the walk skips it.
    epoch: u32,
    /// Per database, keys and keys with a deadline at the start (RESIZEDB).
    sizes: Vec<(u64, u64)>,
    /// The next (database, segment) the background walk looks at, and the position in it
    /// where the last slice stopped.
    cursor: (usize, usize, usize),
    /// The database of the last SELECTDB written.
    current_db: Option<usize>,
    /// None once the file is whole (or abandoned): waiting for the writer thread.
    file: Option<FileWriter<Sink>>,
    /// The file is whole; its last pieces and the go wait for the channel.
    closing: Option<Sink>,
    result: mpsc::Receiver<io::Result<()>>,
    error: Option<String>,
    last_slice: Instant,
    /// The last pass of the event loop (`step`).
    last_pass: Instant,
    /// The walk's time in hand, ns (negative: owed). A busy shard adds a [`WALK_SHARE`]th of
    /// the time between passes and takes off the walk's slices and what copy-on-write cost
    /// meanwhile (its keys, at the walk's cost per key): the save as a whole gets the share,
    /// so the walk stands back while writes do its work, at the save's start.
    credit_ns: i64,
    /// `copied` when the credit last took copy-on-write off.
    copied_counted: u64,
    /// For the log line at the end: time the walk took, its slices, and keys written by the
    /// walk and by copy-on-write.
    walk_time: Duration,
    slices: u64,
    walked: u64,
    copied: u64,
}

impl Active {
    /// Writes segment `seg` of database `db` as it is now (but the keys a write reached
    /// first), and marks it written.
    fn write_segment(&mut self, dbs: &[crate::shard::Db], db: usize, seg: usize) {
        self.written[db][seg] = true;
        let epoch = self.epoch;
        let Some(file) = self.file.as_mut() else { return };
        let result = (|| {
            for (key, value, deadline) in dbs[db].segment_iter(seg) {
                let fresh = value.snapshot_mark() != epoch;
                if fresh && !crate::shard::keyspace::expired(deadline, self.start_ms) {
                    key_in_db(file, &mut self.current_db, (db, self.sizes[db]), key, value, deadline)?;
                }
            }
            Ok::<(), io::Error>(())
        })();
        if let Err(e) = result {
            self.abandon(e.to_string());
        }
    }

    /// Before a write to `key` of `db`, in segment `seg` that is not written yet: writes the
    /// key alone as it stands (if it was there at the start) and marks it. A new key that
    /// would split its full segment makes the whole segment be written first (a split moves
    /// entries to a segment the walk does not visit); a new key is marked when stored.
    fn write_key(&mut self, dbs: &mut [crate::shard::Db], db: usize, seg: usize, key: &[u8]) {
        if let Some((value, deadline)) = dbs[db].get_mut(key) {
            self.write_value(db, key, value, deadline);
        } else if dbs[db].segment_len(seg) >= crate::store::table::SEGMENT_MAX {
            self.write_segment(dbs, db, seg);
        }
    }

    /// Writes `key`'s value as it stands, unless written already, and marks it.
    #[inline]
    fn write_value(&mut self, db: usize, key: &[u8], value: &mut Value, deadline: u64) {
        if value.snapshot_mark() == self.epoch {
            return;
        }
        value.set_snapshot_mark(self.epoch);
        if crate::shard::keyspace::expired(deadline, self.start_ms) {
            return;
        }
        let Some(file) = self.file.as_mut() else { return };
        let result = key_in_db(file, &mut self.current_db, (db, self.sizes[db]), key, value, deadline);
        if let Err(e) = result {
            self.abandon(e.to_string());
        }
    }

    /// Writes the entries of segment `seg` of database `db` that are not marked yet, marking
    /// them, from position `from` on, until `budget` since `started` is spent (looked at every
    /// 64 entries). Returns where it stopped, or None when the segment is done. A removal since
    /// the last slice may have moved an unwritten entry back before `from`: a walk that
    /// resumed ends with a pass from the start (marks only, unless it finds one).
    fn walk_segment(
        &mut self,
        dbs: &mut [crate::shard::Db],
        (db, seg, mut from): (usize, usize, usize),
        started: Instant,
        budget: Duration,
    ) -> Option<usize> {
        let mut seen = 0u32;
        loop {
            let mut out_of_time = false;
            let from_here = from.min(dbs[db].segment_len(seg));
            let stop = dbs[db].segment_walk(seg, from_here, Value::prefetch, |key, value, deadline| {
                if value.snapshot_mark() == self.epoch {
                    return true;
                }
                self.write_value(db, key, value, deadline);
                self.walked += 1;
                seen += 1;
                out_of_time = seen.is_multiple_of(64) && started.elapsed() >= budget;
                self.file.is_some() && !out_of_time
            });
            if out_of_time || self.file.is_none() {
                return Some(stop);
            }
            if from_here == 0 {
                return None;
            }
            from = 0;
        }
    }

    /// Gives the file up: the writer thread removes it.
    fn abandon(&mut self, why: String) {
        self.error.get_or_insert(why);
        self.file = None;
        self.closing = None;
    }

    /// Writes what is left of database `db`.
    fn write_db(&mut self, dbs: &[crate::shard::Db], db: usize) {
        for seg in 0..self.written.get(db).map_or(0, Vec::len) {
            if !self.written[db][seg] {
                self.write_segment(dbs, db, seg);
            }
        }
    }
}

impl ShardSnapshot {
    /// Is this shard writing a background save?
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// While a background save runs: this, for [`ShardSnapshot::before_change`].
    #[inline]
    pub fn saving(&mut self) -> Option<&mut ShardSnapshot> {
        self.active.is_some().then_some(self)
    }

    /// Before `value` (of `key` in database `db`, segment `seg`, with `deadline`), found by
    /// the caller's own lookup, changes or goes: the running save writes it as it stands if
    /// its segment is not written yet and the value is not marked. The same as
    /// [`before_write`] without a lookup of its own.
    #[inline]
    pub fn before_change(&mut self, db: usize, seg: usize, key: &[u8], value: &mut Value, deadline: u64) {
        let Some(a) = self.active.as_mut() else { return };
        if a.file.is_some()
            && a.written.get(db).and_then(|w| w.get(seg)) == Some(&false)
            && value.snapshot_mark() != a.epoch
        {
            a.copied += 1;
            a.write_value(db, key, value, deadline);
        }
    }

    /// The mark a value stored now takes: the running save's (it must leave the value out),
    /// or 0.
    #[inline]
    pub fn mark_for_new(&self) -> u32 {
        self.active.as_ref().map_or(0, |a| a.epoch)
    }
}

/// Starts this shard's part of `job` (under the hold of every database, on every shard in the
/// same round). Shard 0's file carries the function libraries. A shard that cannot start ends
/// its part at once, as failed.
pub fn start(core: &mut Core, job: Arc<Job>, functions: &[Vec<u8>]) -> Result<(), String> {
    begin(core, job.clone(), functions).inspect_err(|e| end(core, &job, Err(e.clone())))
}

fn begin(core: &mut Core, job: Arc<Job>, functions: &[Vec<u8>]) -> Result<(), String> {
    let path = job.paths.dir.join(job.paths.shard_file(job.generation, core.id));
    let (tx, result) = spawn_writer(path).map_err(|e| e.to_string())?;
    let sink = Sink { buf: Vec::with_capacity(PIECE), tx, backlog: Default::default() };
    let now = core.now_ms;
    let mut file = FileWriter::new(sink, core.config.rdbcompression, core.config.rdbchecksum, now / 1000, 0)
        .map_err(|e| e.to_string())?
        .with_access(&core.config, now);
    for code in functions {
        file.function(code).map_err(|e| e.to_string())?;
    }
    core.snapshot.active = Some(Box::new(Active {
        job,
        start_ms: now,
        changes_at_start: core.snapshot.changes,
        written: core.dbs.iter().map(|t| vec![false; t.segment_count()]).collect(),
        epoch: {
            core.snapshot.epochs += 1;
            core.snapshot.epochs
        },
        sizes: core.dbs.iter().map(|t| (t.len() as u64, t.expires_len() as u64)).collect(),
        cursor: (0, 0, 0),
        current_db: None,
        file: Some(file),
        closing: None,
        result,
        error: None,
        last_slice: Instant::now(),
        last_pass: Instant::now(),
        credit_ns: 0,
        copied_counted: 0,
        walk_time: Duration::ZERO,
        slices: 0,
        walked: 0,
        copied: 0,
    }));
    Ok(())
}

/// Before a write to `key` of `db`: if a background save has not written the key's segment
/// yet, it writes it now, as it stands.
#[inline]
pub fn before_write(core: &mut Core, db: usize, key: &[u8]) {
    if core.snapshot.active.is_some() {
        write_key_segment(core, db, key);
    }
}

fn write_key_segment(core: &mut Core, db: usize, key: &[u8]) {
    if let Some(seg) = unwritten_segment(core, db, key) {
        let a = core.snapshot.active.as_mut().expect("checked");
        a.write_key(&mut core.dbs, db, seg, key);
    }
}

/// Before `key`, absent, is stored in `db` (its lookup found nothing): if it would split a
/// segment the save has not written, the whole segment is written first.
pub fn before_insert(core: &mut Core, db: usize, key: &[u8]) {
    if let Some(seg) = unwritten_segment(core, db, key) {
        if core.dbs[db].segment_len(seg) >= crate::store::table::SEGMENT_MAX {
            let a = core.snapshot.active.as_mut().expect("checked");
            a.write_segment(&core.dbs, db, seg);
        }
    }
}

/// The segment of `key` in `db`, when a running save has not written it yet.
fn unwritten_segment(core: &Core, db: usize, key: &[u8]) -> Option<usize> {
    let a = core.snapshot.active.as_ref()?;
    if a.file.is_none() || db >= a.written.len() {
        return None;
    }
    let seg = core.dbs[db].segment_of(key);
    (seg < a.written[db].len() && !a.written[db][seg]).then_some(seg)
}

/// Before database `db` is emptied or swapped: a background save writes what is left of it.
pub fn before_db_replaced(core: &mut Core, db: usize) {
    if let Some(a) = core.snapshot.active.as_mut() {
        a.write_db(&core.dbs, db);
    }
}

/// FLUSHALL or a shutdown's save (`by`): a running background save is abandoned, as Redis 7.0
/// kills its child.
pub fn abort(core: &mut Core, by: &'static str) {
    if let Some(a) = core.snapshot.active.as_mut() {
        a.job.aborted.store(true, Ordering::SeqCst);
        a.abandon(format!("aborted by {by}"));
    }
}

/// One pass of the event loop: writes about a millisecond of segments (or what DEBUG
/// SNAPSHOT-PACE says), finishes the file when all are written, and ends this shard's part
/// when the writer thread reports. True while the shard still has a part.
pub fn step(core: &mut Core) -> bool {
    let pace = core.snapshot.pace;
    let Some(a) = core.snapshot.active.as_mut() else { return false };
    // A slow disk holds the walk back (copy-on-write writes still go to the backlog).
    let mut behind = false;
    if let Some(f) = a.file.as_mut() {
        let sink = f.output();
        if let Err(e) = sink.pump() {
            a.abandon(e.to_string());
        } else {
            behind = sink.behind();
        }
    }
    if a.file.is_some() && !behind {
        let due = pace.is_none_or(|(_, pause)| a.last_slice.elapsed() >= pause);
        if !due {
            // Tests only: the loop does not sleep while saving, so a paced save naps here.
            std::thread::sleep(Duration::from_micros(500));
        }
        let now = Instant::now();
        let since = now - std::mem::replace(&mut a.last_pass, now);
        // An idle shard (its last wait brought nothing) gives the walk 1 ms; a busy one its
        // credit, 10 to 50 us: a slice delays every reply waiting behind it, and closed-loop
        // clients (all of them) lose that throughput even when the shard has CPU to spare
        // (measured: an eighth, at least 50 us, cost a saturated shard a quarter of its
        // throughput during the save).
        let budget = if std::mem::take(&mut core.snapshot.idle) {
            a.credit_ns = 0;
            Some(Duration::from_millis(1))
        } else {
            let per_key = match a.walked {
                0..4096 => COPY_COST_NS,
                walked => (a.walk_time.as_nanos() / walked as u128) as i64,
            };
            let copied = a.copied - std::mem::replace(&mut a.copied_counted, a.copied);
            a.credit_ns += (since / WALK_SHARE).as_nanos() as i64 - copied as i64 * per_key;
            a.credit_ns = a.credit_ns.clamp(-CREDIT_OWED_MAX_NS, SLICE_MAX_NS);
            (a.credit_ns >= SLICE_MIN_NS).then(|| Duration::from_nanos(a.credit_ns as u64))
        };
        // DEBUG SNAPSHOT-PACE (tests) counts segments instead.
        if due && (budget.is_some() || pace.is_some()) {
            let budget = budget.unwrap_or_default();
            let started = Instant::now();
            let mut segments = 0;
            loop {
                let (db, seg, _) = a.cursor;
                if db >= a.written.len() {
                    finish_file(a);
                    break;
                }
                if seg >= a.written[db].len() {
                    a.cursor = (db + 1, 0, 0);
                    continue;
                }
                if a.written[db][seg] {
                    a.cursor = (db, seg + 1, 0);
                    continue;
                }
                if let Some((per_slice, _)) = pace {
                    a.write_segment(&core.dbs, db, seg);
                    a.cursor = (db, seg + 1, 0);
                    segments += 1;
                    if segments >= per_slice || a.file.is_none() {
                        break;
                    }
                    continue;
                }
                // The segment's entries in place, each marked as it is written: a slice that
                // ends inside the segment leaves the rest unmarked for the next one.
                match a.walk_segment(&mut core.dbs, a.cursor, started, budget) {
                    None => {
                        a.written[db][seg] = true;
                        a.cursor = (db, seg + 1, 0);
                    }
                    Some(stop) => a.cursor.2 = stop,
                }
                if started.elapsed() >= budget || a.file.is_none() {
                    break;
                }
            }
            a.last_slice = Instant::now();
            a.walk_time += a.last_slice - started;
            a.credit_ns -= (a.last_slice - started).as_nanos() as i64;
            a.slices += 1;
        }
    }
    if a.file.is_some() {
        return true;
    }
    if let Some(sink) = a.closing.as_mut() {
        match sink.close() {
            Ok(true) => a.closing = None,
            Ok(false) => return true,
            Err(e) => a.abandon(e.to_string()),
        }
    }
    let outcome = match a.result.try_recv() {
        Ok(r) => r.map_err(|e| a.error.clone().unwrap_or_else(|| e.to_string())),
        Err(mpsc::TryRecvError::Empty) => return true,
        Err(mpsc::TryRecvError::Disconnected) => Err("the snapshot writer stopped".to_string()),
    };
    let a = core.snapshot.active.take().expect("active");
    if outcome.is_ok() {
        core.snapshot.changes = core.snapshot.changes.saturating_sub(a.changes_at_start);
        crate::verbose!(
            "Background save, shard {}: {} keys written by the walk ({} ms in {} slices), {} by copy-on-write",
            core.id,
            a.walked,
            a.walk_time.as_millis(),
            a.slices,
            a.copied
        );
    }
    end(core, &a.job, outcome);
    false
}

/// Ends the file: EOF, the checksum, and the writer thread's go to fsync and rename.
fn finish_file(a: &mut Active) {
    let Some(file) = a.file.take() else { return };
    match file.finish() {
        Ok((sink, _)) => a.closing = Some(sink),
        Err(e) => a.abandon(e.to_string()),
    }
}

/// This shard's part ended with `outcome`; the last shard to end commits the set.
fn end(core: &Core, job: &Job, outcome: Result<(), String>) {
    if let (Err(e), false) = (&outcome, job.aborted.load(Ordering::SeqCst)) {
        crate::log::log(crate::log::Level::Warning, &format!("Background saving error on shard {}: {e}", core.id));
        job.failed.store(true, Ordering::SeqCst);
    }
    if job.remaining.fetch_sub(1, Ordering::SeqCst) != 1 {
        return;
    }
    let saves = &core.shared.saves;
    let files: Vec<String> = (0..job.shards).map(|i| job.paths.shard_file(job.generation, i)).collect();
    if job.aborted.load(Ordering::SeqCst) {
        crate::log::log(crate::log::Level::Warning, "Background saving given up (FLUSHALL or shutdown)");
        saves.in_progress.store(false, Ordering::SeqCst);
        return;
    }
    let committed = !job.failed.load(Ordering::SeqCst) && commit(&job.paths, job.generation, &files).is_ok();
    let now = crate::shard::now_ms();
    saves.last_secs.store(((now.saturating_sub(job.generation)) / 1000) as i64, Ordering::Relaxed);
    saves.last_failed.store(!committed, Ordering::Relaxed);
    if committed {
        saves.count.fetch_add(1, Ordering::Relaxed);
        saves.last.store(now / 1000, Ordering::Relaxed);
        crate::log::log(crate::log::Level::Notice, "Background saving terminated with success");
    } else {
        crate::log::log(crate::log::Level::Warning, "Background saving error");
    }
    saves.in_progress.store(false, Ordering::SeqCst);
}
