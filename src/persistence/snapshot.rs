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
//! This is the first piece of issue 12: SAVE runs under an exclusive hold of every database
//! (as FLUSHALL takes it), so a multi-shard command is wholly in or out of the set; the
//! fork-free background writer with copy-on-write comes next.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::file::{read_file, FileWriter, Item};
use super::rdb::Encodings;
use crate::config::Config;
use crate::shard::Core;
use crate::store::value::Value;

const MANIFEST_HEADER: &str = "shardis-snapshot 1";

/// A shard's part in snapshots.
#[derive(Default)]
pub struct ShardSnapshot {
    /// Keys changed since this shard's last save (INFO's `rdb_changes_since_last_save`).
    pub changes: u64,
}

/// The server's saves: how many succeeded and when the last one did (Unix s, 0: none yet).
#[derive(Default)]
pub struct Saves {
    pub count: std::sync::atomic::AtomicU64,
    pub last: std::sync::atomic::AtomicU64,
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

/// Writes `bytes` under a temporary name next to `path`, fsyncs, renames into place and fsyncs
/// the directory.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut out = BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
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
        let mut f = FileWriter::new(out, compression, checksum, now / 1000, 0)?;
        for code in functions {
            f.function(code)?;
        }
        for (db, table) in core.dbs.iter().enumerate() {
            let live: Vec<(&[u8], &Value, u64)> =
                table.iter().filter(|(_, _, d)| !crate::shard::keyspace::expired(*d, now)).collect();
            if live.is_empty() {
                continue;
            }
            let expires = live.iter().filter(|(_, _, d)| *d != 0).count() as u64;
            f.select_db(db, live.len() as u64, expires)?;
            for (key, value, deadline) in live {
                f.key(key, value, deadline)?;
                keys += 1;
            }
        }
        f.finish()?;
        Ok(())
    })?;
    Ok(keys)
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

/// What loading found: each shard's keys, the function libraries, and which files were read.
#[derive(Default)]
pub struct Loaded {
    pub per_shard: Vec<Vec<LoadedKey>>,
    pub functions: Vec<Vec<u8>>,
    pub files: Vec<PathBuf>,
}

/// Loads the snapshot set in `dir` (the manifest's, else a Redis `dbfilename`), routing every
/// key to its owner among `shards`. Nothing at all: an empty result. A file that cannot be read
/// whole: an error naming it and the offset.
pub fn load(config: &Config, shards: usize) -> Result<Loaded, String> {
    let paths = Paths::of(config);
    let files: Vec<PathBuf> = match read_manifest(&paths) {
        Some(names) => names.iter().map(|n| paths.dir.join(n)).collect(),
        None if paths.redis_file().exists() => vec![paths.redis_file()],
        None => return Ok(Loaded { per_shard: (0..shards).map(|_| Vec::new()).collect(), ..Loaded::default() }),
    };
    let enc = Encodings::from_config(config);
    let now = crate::shard::now_ms();
    let databases = config.databases.max(1);
    type Parts = (Vec<Vec<LoadedKey>>, Vec<Vec<u8>>);
    let parsed: Vec<Result<Parts, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|path| {
                let enc = &enc;
                scope.spawn(move || -> Result<Parts, String> {
                    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let mut per: Vec<Vec<_>> = (0..shards).map(|_| Vec::new()).collect();
                    let mut functions = Vec::new();
                    read_file(&data, enc, now, |item| {
                        match item {
                            Item::Key { db, key, value, deadline_ms, .. } => {
                                if db >= databases {
                                    return Err(super::file::FileError {
                                        offset: 0,
                                        what: format!("database {db} is out of range (databases {databases})"),
                                    });
                                }
                                let owner = crate::shard::route::key_shard(&key, shards);
                                per[owner].push((db, key, value, deadline_ms));
                            }
                            Item::Function(code) => functions.push(code),
                        }
                        Ok(())
                    })
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                    Ok((per, functions))
                })
            })
            .collect();
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
