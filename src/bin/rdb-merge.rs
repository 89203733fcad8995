//! `shardis-rdb-merge DIR [DBFILENAME] OUT`: one RDB file for Redis from a shardis snapshot set.
//!
//! shardis writes one file per shard and a manifest (`DBFILENAME.manifest`, default
//! `dump.rdb.manifest`) naming them; redis-server loads one file. This reads every file of the
//! set and writes all their keys, with their deadlines, and the function libraries, into OUT,
//! an RDB file of Redis 7.0's format (written under a temporary name, fsynced, renamed). It holds
//! the whole data set in memory while it works.

use std::io::Write;
use std::path::PathBuf;

use shardis::persistence::file::{read_file, FileWriter, Item};
use shardis::persistence::rdb::Encodings;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, dbfilename, out) = match args.as_slice() {
        [dir, out] => (PathBuf::from(dir), "dump.rdb".to_string(), PathBuf::from(out)),
        [dir, name, out] => (PathBuf::from(dir), name.clone(), PathBuf::from(out)),
        _ => {
            eprintln!("usage: shardis-rdb-merge DIR [DBFILENAME] OUT");
            std::process::exit(2);
        }
    };
    if let Err(e) = merge(&dir, &dbfilename, &out) {
        eprintln!("shardis-rdb-merge: {e}");
        std::process::exit(1);
    }
}

fn merge(dir: &std::path::Path, dbfilename: &str, out: &std::path::Path) -> Result<(), String> {
    let manifest = dir.join(format!("{dbfilename}.manifest"));
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let files: Vec<PathBuf> = text.lines().filter_map(|l| l.strip_prefix("file ")).map(|f| dir.join(f)).collect();
    let mut dbs: std::collections::BTreeMap<usize, Vec<_>> = Default::default();
    let mut functions = Vec::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    for path in &files {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        read_file(&data, &Encodings::default(), now, |item| {
            match item {
                Item::Key { db, key, value, deadline_ms, .. } => {
                    dbs.entry(db).or_default().push((key, value, deadline_ms))
                }
                Item::Function(code) => functions.push(code),
            }
            Ok(())
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let tmp = out.with_extension("tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let io = |e: std::io::Error| e.to_string();
    let mut w = FileWriter::new(std::io::BufWriter::new(file), true, true, now / 1000, 0).map_err(io)?;
    for code in &functions {
        w.function(code).map_err(io)?;
    }
    for (db, keys) in &dbs {
        let expires = keys.iter().filter(|(_, _, d)| *d != 0).count() as u64;
        w.select_db(*db, keys.len() as u64, expires).map_err(io)?;
        for (key, value, deadline) in keys {
            w.key(key, value, *deadline).map_err(io)?;
        }
    }
    let (mut buffered, _) = w.finish().map_err(io)?;
    buffered.flush().map_err(io)?;
    buffered.get_ref().sync_all().map_err(io)?;
    std::fs::rename(&tmp, out).map_err(io)?;
    let keys: usize = dbs.values().map(Vec::len).sum();
    eprintln!("{}: {keys} keys and {} function libraries from {} files", out.display(), functions.len(), files.len());
    Ok(())
}
