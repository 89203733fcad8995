//! Snapshots on disk against redis-server 7.0.15: SAVE writes one RDB file per shard and a
//! manifest; the set reloads with any shard count; every file passes redis-check-rdb and, loaded
//! into redis-server, the files together hold what shardis held; a dump.rdb that Redis wrote (and
//! the fixture files of older Redis versions) load into shardis as Redis reads them; a bad file
//! stops the start with its name and the offset.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory of its own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shardis-snap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ok(r: &mut Raw, line: &str) {
    let reply = r.cmd(&line_args(line));
    assert!(reply[0] != b'-', "{line}: {}", s(&reply));
}

/// Every type in its compact and its big encoding, deadlines, three databases, a stream with a
/// group and pending entries, a function library.
fn fill(port: u16) {
    let mut r = Raw::connect(port);
    for line in [
        "SET str hello",
        "SET num 12345",
        "SET neg -7",
        "SET ttl v EX 100000",
        "RPUSH list a b c",
        "HSET hash f1 v1 f2 v2",
        "SADD ints 1 2 3",
        "SADD strs a b c",
        "ZADD zset 1 a 2.5 b -3 c",
        "XADD stream 1-1 f v",
        "XADD stream 2-1 f w g x",
        "XGROUP CREATE stream g 0",
        "XREADGROUP GROUP g alice COUNT 1 STREAMS stream >",
        "PEXPIRE hash 99999999",
        "SELECT 1",
        "SET other one",
        "SELECT 3",
        "RPUSH three x",
        "SELECT 0",
    ] {
        ok(&mut r, line);
    }
    let big = |cmd: &str, key: &str, n: usize, item: &dyn Fn(usize) -> Vec<String>| {
        let mut args: Vec<String> = vec![cmd.into(), key.into()];
        args.extend((0..n).flat_map(item));
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut r = Raw::connect(port);
        let reply = r.cmd(&refs);
        assert!(reply[0] != b'-', "{cmd} {key}: {}", s(&reply));
    };
    big("RPUSH", "biglist", 300, &|i| vec![format!("element-{i}")]);
    big("HSET", "bighash", 600, &|i| vec![format!("field-{i}"), format!("value-{i}")]);
    big("SADD", "bigset", 600, &|i| vec![format!("member-{i}")]);
    big("SADD", "bigints", 600, &|i| vec![format!("{i}")]);
    big("ZADD", "bigzset", 200, &|i| vec![format!("{i}.5"), format!("m-{i}")]);
    r.send(&encode(&[
        b"FUNCTION",
        b"LOAD",
        b"#!lua name=snaplib\nredis.register_function('snapfn', function() return 7 end)",
    ]));
    assert!(r.reply()[0] == b'$');
}

/// Everything a server holds in databases 0 to 3, read through commands: key -> a canonical
/// text (with whether it has a deadline), so two servers compare whatever their encodings.
fn contents(port: u16) -> BTreeMap<String, String> {
    let mut r = Raw::connect(port);
    let mut all = BTreeMap::new();
    for db in 0..4 {
        ok(&mut r, &format!("SELECT {db}"));
        let (_, keys) = flat(&r.cmd(&[b"KEYS", b"*"]));
        for key in keys {
            let kind = s(&r.cmd(&[b"TYPE", &key]));
            let sorted = |mut items: Vec<Vec<u8>>| {
                items.sort();
                items.iter().map(|i| s(i)).collect::<Vec<_>>().join(",")
            };
            let pairs = |items: Vec<Vec<u8>>| {
                let mut p: Vec<String> = items.chunks(2).map(|c| format!("{}={}", s(&c[0]), s(&c[1]))).collect();
                p.sort();
                p.join(",")
            };
            let text = match kind.trim() {
                "+string" => s(&r.cmd(&[b"GET", &key])),
                "+list" => format!("{:?}", flat(&r.cmd(&[b"LRANGE", &key, b"0", b"-1"])).1),
                "+hash" => pairs(flat(&r.cmd(&[b"HGETALL", &key])).1),
                "+set" => sorted(flat(&r.cmd(&[b"SMEMBERS", &key])).1),
                "+zset" => format!("{:?}", flat(&r.cmd(&[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"])).1),
                "+stream" => format!(
                    "{:?} {:?} {:?}",
                    flat(&r.cmd(&[b"XRANGE", &key, b"-", b"+"])).1,
                    flat(&r.cmd(&[b"XINFO", b"GROUPS", &key])).1,
                    flat(&r.cmd(&[b"XPENDING", &key, b"g"])).1,
                ),
                other => panic!("type {other}"),
            };
            let ttl = s(&r.cmd(&[b"PTTL", &key]));
            let deadline = if ttl.starts_with(":-1") { "" } else { " (deadline)" };
            all.insert(format!("{db}/{}", s(&key)), format!("{text}{deadline}"));
        }
    }
    let (_, lib) = flat(&r.cmd(&[b"FCALL", b"snapfn", b"0"]));
    all.insert("fcall snapfn".into(), format!("{lib:?}"));
    all
}

fn shardis_in(dir: &Path, shards: usize) -> Proc {
    let dir = dir.to_str().unwrap().to_string();
    let shards = shards.to_string();
    Proc::shardis(&["--dir", &dir, "--shards", &shards])
}

fn redis_in(dir: &Path, file: &str) -> Proc {
    Proc::redis(&["--dir", dir.to_str().unwrap(), "--dbfilename", file])
}

fn manifest_files(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("dump.rdb.manifest")).expect("a manifest");
    text.lines().filter_map(|l| l.strip_prefix("file ").map(str::to_string)).collect()
}

#[test]
fn save_reloads_with_any_shard_count() {
    let dir = scratch("reload");
    let before = {
        let s4 = shardis_in(&dir, 4);
        fill(s4.port);
        let mut r = s4.raw();
        let first = s(&r.words("LASTSAVE"));
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(r.words("SAVE"), b"+OK\r\n");
        assert_ne!(s(&r.words("LASTSAVE")), first, "LASTSAVE moves");
        contents(s4.port)
    };
    assert_eq!(manifest_files(&dir).len(), 4);
    for shards in [4, 1, 3] {
        let again = shardis_in(&dir, shards);
        assert_eq!(contents(again.port), before, "{shards} shard(s)");
    }
    // A second save replaces the set: the old generation's files go.
    let old = manifest_files(&dir);
    let s2 = shardis_in(&dir, 2);
    assert_eq!(s2.raw().words("SET late 1"), b"+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(s2.raw().words("SAVE"), b"+OK\r\n");
    let new = manifest_files(&dir);
    assert_eq!(new.len(), 2);
    assert!(old.iter().all(|f| !dir.join(f).exists()), "old files removed");
    drop(s2);
    let last = shardis_in(&dir, 4);
    assert_eq!(last.raw().words("GET late"), b"$1\r\n1\r\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn our_files_pass_redis_check_rdb_and_load_into_redis() {
    let dir = scratch("into-redis");
    let want = {
        let s4 = shardis_in(&dir, 4);
        fill(s4.port);
        assert_eq!(s4.raw().words("SAVE"), b"+OK\r\n");
        contents(s4.port)
    };
    let mut got = BTreeMap::new();
    for (i, file) in manifest_files(&dir).iter().enumerate() {
        let check = Command::new("redis-check-rdb").arg(dir.join(file)).output().unwrap();
        let text = String::from_utf8_lossy(&check.stdout).into_owned();
        assert!(text.contains("RDB looks OK"), "{file}: {text}");
        let redis = redis_in(&dir, file);
        let mut part = contents(redis.port);
        // Only shard 0's file carries the function library.
        let fcall = part.remove("fcall snapfn").unwrap();
        if i == 0 {
            got.insert("fcall snapfn".to_string(), fcall);
        }
        got.extend(part);
    }
    assert_eq!(got, want);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_dump_rdb_written_by_redis_loads_into_shardis() {
    let dir = scratch("from-redis");
    let want = {
        let redis = redis_in(&dir, "dump.rdb");
        fill(redis.port);
        assert_eq!(redis.raw().words("SAVE"), b"+OK\r\n");
        contents(redis.port)
    };
    assert!(want.len() > 15, "{want:?}");
    let shardis = shardis_in(&dir, 4);
    assert_eq!(contents(shardis.port), want);
    // Both a manifest and a dump.rdb: the manifest wins.
    assert_eq!(shardis.raw().words("SET only-in-the-set 1"), b"+OK\r\n");
    assert_eq!(shardis.raw().words("SAVE"), b"+OK\r\n");
    drop(shardis);
    let again = shardis_in(&dir, 4);
    assert_eq!(again.raw().words("EXISTS only-in-the-set"), b":1\r\n");
    std::fs::remove_dir_all(&dir).ok();
}

/// The fixture files older Redis versions wrote: shardis holds what redis-server 7.0 holds
/// after loading each (FCALL aside: they carry no library).
#[test]
fn fixture_files_load_as_redis_loads_them() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/rdb");
    if !fixtures.exists() {
        return;
    }
    for name in ["encodings.rdb", "hash-zipmap.rdb", "hash-ziplist.rdb", "list-quicklist.rdb", "zset-ziplist.rdb"] {
        let dir = scratch(&format!("fixture-{name}"));
        std::fs::copy(fixtures.join(name), dir.join("dump.rdb")).unwrap();
        let want = contents(redis_in(&dir, "dump.rdb").port);
        assert!(want.len() > 1, "{name}: redis loaded nothing");
        let got = contents(shardis_in(&dir, 4).port);
        assert_eq!(got, want, "{name}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A corrupt or truncated file stops the start, naming the file and the offset.
#[test]
fn bad_files_stop_the_start() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/rdb");
    if !fixtures.exists() {
        return;
    }
    for name in ["corrupt_empty_keys.rdb", "corrupt_ziplist.rdb"] {
        let dir = scratch(&format!("bad-{name}"));
        std::fs::copy(fixtures.join(name), dir.join("dump.rdb")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_shardis-server"))
            .args(["--port", "0", "--dir", dir.to_str().unwrap(), "--shards", "2"])
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "{name}: {text}");
        assert!(text.contains("dump.rdb") && text.contains("offset"), "{name}: {text}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// INFO persistence: changes since the last save (on every shard), saves, their time.
#[test]
fn info_persistence_counts_changes_and_saves() {
    let dir = scratch("info");
    let server = shardis_in(&dir, 4);
    let mut r = server.raw();
    assert_eq!(persistence_field(&mut r, "rdb_changes_since_last_save"), "0");
    assert_eq!(persistence_field(&mut r, "rdb_saves"), "0");
    assert_eq!(r.words("MSET a 1 b 2 c 3 d 4"), b"+OK\r\n");
    assert_eq!(persistence_field(&mut r, "rdb_changes_since_last_save"), "4");
    assert_eq!(r.words("SAVE"), b"+OK\r\n");
    assert_eq!(persistence_field(&mut r, "rdb_changes_since_last_save"), "0");
    assert_eq!(persistence_field(&mut r, "rdb_saves"), "1");
    let lastsave = s(&r.words("LASTSAVE"));
    assert_eq!(format!(":{}\r\n", persistence_field(&mut r, "rdb_last_save_time")), lastsave);
    std::fs::remove_dir_all(&dir).ok();
}

/// SIGKILL while SAVE writes: the next start loads one whole set, the old one or the new one,
/// never a mix; the next save clears what the killed one left behind.
#[test]
fn a_save_killed_midway_leaves_a_whole_set() {
    let dir = scratch("killed");
    let keys = 200_000;
    {
        let mut server = shardis_in(&dir, 4);
        let mut r = server.raw();
        assert_eq!(r.words("SET gen 1"), b"+OK\r\n");
        assert_eq!(r.words("SAVE"), b"+OK\r\n");
        let mut batch = Vec::new();
        for chunk in (0..keys).collect::<Vec<_>>().chunks(1000) {
            let mut args: Vec<String> = vec!["MSET".into()];
            for i in chunk {
                args.push(format!("key:{i}"));
                args.push(format!("value:{i}"));
            }
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            batch.extend(encode(&refs));
        }
        r.send(&batch);
        for _ in 0..keys / 1000 {
            assert_eq!(r.reply(), b"+OK\r\n");
        }
        assert_eq!(r.words("SET gen 2"), b"+OK\r\n");
        r.send(&encode(&[b"SAVE"]));
        std::thread::sleep(std::time::Duration::from_millis(30));
        unsafe { libc::kill(server.pid() as i32, libc::SIGKILL) };
        assert!(server.wait_exit(std::time::Duration::from_secs(5)));
    }
    let server = shardis_in(&dir, 4);
    let mut r = server.raw();
    let gen = s(&r.words("GET gen"));
    let dbsize = s(&r.words("DBSIZE"));
    eprintln!("after the kill: gen {gen:?}, {dbsize:?}");
    match gen.as_str() {
        "$1\r\n1\r\n" => assert_eq!(dbsize, ":1\r\n"),
        "$1\r\n2\r\n" => assert_eq!(dbsize, format!(":{}\r\n", keys + 1)),
        other => panic!("gen {other}"),
    }
    assert_eq!(r.words("SAVE"), b"+OK\r\n");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut want = manifest_files(&dir);
    want.push("dump.rdb.manifest".into());
    want.sort();
    assert_eq!(names, want, "only the last set is left");
    std::fs::remove_dir_all(&dir).ok();
}

fn persistence_field(r: &mut Raw, name: &str) -> String {
    let (_, items) = flat(&r.words("INFO persistence"));
    let text = s(&items.concat());
    let line = text.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap_or("").to_string();
    line.split(':').nth(1).unwrap_or("").trim().to_string()
}

fn wait_bgsave_done(r: &mut Raw) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while persistence_field(r, "rdb_bgsave_in_progress") != "0" {
        assert!(std::time::Instant::now() < deadline, "BGSAVE did not end");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn shardis_paced(dir: &Path) -> Proc {
    Proc::shardis_env(
        &["--dir", dir.to_str().unwrap(), "--enable-debug-command", "yes"],
        &[("SHARDIS_TEST_HOOKS", "1")],
    )
}

/// Sends `MSET` of `pairs(i)` for i in `range`, 500 keys a command, and reads the replies.
fn mset_all(r: &mut Raw, range: std::ops::Range<usize>, pairs: impl Fn(usize) -> Vec<String>) {
    let mut bytes = Vec::new();
    let mut commands = 0;
    let items: Vec<usize> = range.collect();
    for chunk in items.chunks(500) {
        let mut args: Vec<String> = vec!["MSET".into()];
        for &i in chunk {
            args.extend(pairs(i));
        }
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        bytes.extend(encode(&refs));
        commands += 1;
    }
    r.send(&bytes);
    for _ in 0..commands {
        assert_eq!(r.reply(), b"+OK\r\n");
    }
}

/// A BGSAVE is the state at its start: every key overwritten while it runs (on every shard,
/// the save slowed down so that the writes surely overlap it) keeps its old value in the files,
/// keys added while it runs stay out, and cross-shard MSETs are wholly out.
#[test]
fn bgsave_is_a_point_in_time() {
    let dir = scratch("bgsave");
    let n = 60_000;
    {
        let server = shardis_paced(&dir);
        let mut r = server.raw();
        mset_all(&mut r, 0..n, |i| vec![format!("k:{i}"), format!("old:{i}")]);
        mset_all(&mut r, 0..1000, |i| vec![format!("{{a{i}}}x"), "0".into(), format!("{{b{i}}}y"), "0".into()]);
        assert_eq!(r.words("DEBUG SNAPSHOT-PACE 1 40"), b"+OK\r\n");
        assert_eq!(r.words("BGSAVE"), b"+Background saving started\r\n");
        assert_eq!(r.words("BGSAVE"), b"-ERR Background save already in progress\r\n");
        assert_eq!(r.words("SAVE"), b"-ERR Background save already in progress\r\n");
        assert_eq!(r.words("BGSAVE SCHEDULE"), b"+Background saving scheduled\r\n");
        // A first few writes land while the save has written almost nothing (one segment a
        // shard every 40 ms): it is still running after them. (Each write makes its segment be
        // written first, so a bigger wave would finish the save by itself.)
        assert_eq!(persistence_field(&mut r, "rdb_bgsave_in_progress"), "1");
        assert_eq!(r.words("MSET {a0}x 1 {b0}y 1 k:5 new:5"), b"+OK\r\n");
        assert_eq!(r.words("DEL k:0 k:1"), b":2\r\n");
        assert_eq!(persistence_field(&mut r, "rdb_bgsave_in_progress"), "1");
        // Then everything else, while the save may or may not still run.
        mset_all(&mut r, 0..1000, |i| vec![format!("{{a{i}}}x"), "1".into(), format!("{{b{i}}}y"), "1".into()]);
        mset_all(&mut r, 2..n, |i| vec![format!("k:{i}"), format!("new:{i}")]);
        mset_all(&mut r, n..n + 1000, |i| vec![format!("k:{i}"), "added".into()]);
        assert_eq!(r.words("DEBUG SNAPSHOT-PACE 0 0"), b"+OK\r\n");
        wait_bgsave_done(&mut r);
        assert_eq!(persistence_field(&mut r, "rdb_last_bgsave_status"), "ok");
        assert_eq!(persistence_field(&mut r, "rdb_saves"), "1");
    }
    let server = shardis_in(&dir, 4);
    let mut r = server.raw();
    assert_eq!(s(&r.words("DBSIZE")), format!(":{}\r\n", n + 2000));
    let mut wrong = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut args: Vec<String> = vec!["MGET".into()];
        args.extend(chunk.iter().map(|i| format!("k:{i}")));
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let (_, values) = flat(&r.cmd(&refs));
        for (i, v) in chunk.iter().zip(values) {
            if v != format!("old:{i}").as_bytes() {
                wrong.push(format!("k:{i}={}", s(&v)));
            }
        }
    }
    assert!(wrong.is_empty(), "{} keys not as at the start, e.g. {:?}", wrong.len(), &wrong[..wrong.len().min(5)]);
    for i in 0..1000 {
        let (_, v) = flat(&r.cmd(&[b"MGET", format!("{{a{i}}}x").as_bytes(), format!("{{b{i}}}y").as_bytes()]));
        assert_eq!(v, vec![b"0".to_vec(), b"0".to_vec()], "pair {i}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// FLUSHALL gives a running BGSAVE up (as Redis 7.0 kills its child): the previous set stays,
/// the status keeps its value, and a new BGSAVE can start.
#[test]
fn flushall_aborts_a_bgsave() {
    let dir = scratch("bgsave-flushall");
    let server = shardis_paced(&dir);
    let mut r = server.raw();
    mset_all(&mut r, 0..20_000, |i| vec![format!("k:{i}"), "v".into()]);
    assert_eq!(r.words("SAVE"), b"+OK\r\n");
    let set = manifest_files(&dir);
    assert_eq!(r.words("DEBUG SNAPSHOT-PACE 1 50"), b"+OK\r\n");
    assert_eq!(r.words("BGSAVE"), b"+Background saving started\r\n");
    assert_eq!(r.words("FLUSHALL"), b"+OK\r\n");
    wait_bgsave_done(&mut r);
    assert_eq!(persistence_field(&mut r, "rdb_last_bgsave_status"), "ok");
    assert_eq!(manifest_files(&dir), set);
    assert_eq!(r.words("DEBUG SNAPSHOT-PACE 0 0"), b"+OK\r\n");
    assert_eq!(r.words("SET after 1"), b"+OK\r\n");
    assert_eq!(r.words("BGSAVE"), b"+Background saving started\r\n");
    wait_bgsave_done(&mut r);
    drop(server);
    let again = shardis_in(&dir, 2);
    assert_eq!(again.raw().words("DBSIZE"), b":1\r\n");
    std::fs::remove_dir_all(&dir).ok();
}

/// SHUTDOWN saves when asked to (SAVE) or when save points are set, not with NOSAVE; a save
/// that fails keeps the server up unless FORCE.
#[test]
fn shutdown_saves() {
    let dir = scratch("shutdown");
    let d = dir.to_str().unwrap().to_string();
    let mut server = Proc::shardis(&["--dir", &d]);
    assert_eq!(server.raw().words("SET a 1"), b"+OK\r\n");
    let mut r = server.raw();
    r.send(b"SHUTDOWN SAVE\r\n");
    assert!(server.wait_exit(std::time::Duration::from_secs(10)));
    let mut server = Proc::shardis(&["--dir", &d, "--save", "3600 1"]);
    assert_eq!(server.raw().words("GET a"), b"$1\r\n1\r\n");
    assert_eq!(server.raw().words("SET b 2"), b"+OK\r\n");
    server.raw().send(b"SHUTDOWN\r\n");
    assert!(server.wait_exit(std::time::Duration::from_secs(10)));
    let mut server = Proc::shardis(&["--dir", &d, "--save", "3600 1"]);
    assert_eq!(server.raw().words("GET b"), b"$1\r\n2\r\n");
    assert_eq!(server.raw().words("SET c 3"), b"+OK\r\n");
    server.raw().send(b"SHUTDOWN NOSAVE\r\n");
    assert!(server.wait_exit(std::time::Duration::from_secs(10)));
    let mut server = Proc::shardis(&["--dir", &d, "--save", "3600 1"]);
    assert_eq!(server.raw().words("EXISTS c"), b":0\r\n");
    // A directory that went away: the save fails, the server stays, FORCE exits anyway.
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(server.raw().words("SHUTDOWN"), b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    assert_eq!(server.raw().words("PING"), b"+PONG\r\n");
    server.raw().send(b"SHUTDOWN FORCE\r\n");
    assert!(server.wait_exit(std::time::Duration::from_secs(10)));
}

/// shardis-rdb-merge turns a set into the one dump.rdb redis-server loads, holding everything.
#[test]
fn a_set_merges_into_one_dump_rdb_for_redis() {
    let dir = scratch("merge");
    let want = {
        let s4 = shardis_in(&dir, 4);
        fill(s4.port);
        assert_eq!(s4.raw().words("SAVE"), b"+OK\r\n");
        contents(s4.port)
    };
    let out = Command::new(env!("CARGO_BIN_EXE_shardis-rdb-merge"))
        .args([dir.to_str().unwrap(), dir.join("merged.rdb").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let check = Command::new("redis-check-rdb").arg(dir.join("merged.rdb")).output().unwrap();
    assert!(String::from_utf8_lossy(&check.stdout).contains("RDB looks OK"));
    let redis = redis_in(&dir, "merged.rdb");
    assert_eq!(contents(redis.port), want);
    std::fs::remove_dir_all(&dir).ok();
}

/// DEBUG RELOAD saves and loads the set back (every shard keeps its own keys); NOSAVE loads
/// the last set, dropping what came after it.
#[test]
fn debug_reload() {
    let dir = scratch("reload-debug");
    let server = Proc::shardis(&["--dir", dir.to_str().unwrap(), "--enable-debug-command", "yes"]);
    fill(server.port);
    let before = contents(server.port);
    let mut r = server.raw();
    assert_eq!(r.words("DEBUG RELOAD"), b"+OK\r\n");
    assert_eq!(contents(server.port), before);
    assert_eq!(r.words("SET later 1"), b"+OK\r\n");
    assert_eq!(r.words("DEBUG RELOAD NOSAVE"), b"+OK\r\n");
    assert_eq!(r.words("EXISTS later"), b":0\r\n");
    assert_eq!(contents(server.port), before);
    assert_eq!(
        s(&r.words("DEBUG RELOAD FOO")),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// BGSAVE inside EXEC answers as Redis does (scheduled) and saves the state the transaction
/// left.
#[test]
fn bgsave_inside_exec() {
    let dir = scratch("bgsave-exec");
    {
        let server = shardis_in(&dir, 4);
        let mut r = server.raw();
        assert_eq!(r.words("MULTI"), b"+OK\r\n");
        assert_eq!(r.words("MSET a 1 b 2 c 3"), b"+QUEUED\r\n");
        assert_eq!(r.words("BGSAVE"), b"+QUEUED\r\n");
        assert_eq!(s(&r.words("EXEC")), "*2\r\n+OK\r\n+Background saving scheduled\r\n");
        wait_bgsave_done(&mut r);
    }
    let again = shardis_in(&dir, 2);
    assert_eq!(again.raw().words("MGET a b c"), b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
    std::fs::remove_dir_all(&dir).ok();
}

/// Waits until INFO persistence's `name` reads `want` (at most `secs` seconds).
fn wait_field(r: &mut Raw, name: &str, want: impl Fn(&str) -> bool, secs: u64) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let value = persistence_field(r, name);
        if want(&value) || std::time::Instant::now() > deadline {
            return value;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A save point starts a BGSAVE by itself once enough keys changed and enough time went by,
/// with no client asking; FLUSHALL saves the emptied set at once when save points are set.
#[test]
fn save_points_save_by_themselves() {
    let dir = scratch("points");
    let d = dir.to_str().unwrap().to_string();
    let server = Proc::shardis(&["--dir", &d, "--save", "1 3"]);
    let mut r = server.raw();
    let keys: Vec<String> = (0..SHARDS).map(|s| key_on_shard("point:", s, SHARDS)).collect();
    ok(&mut r, &format!("SET {} 1", keys[0]));
    // One change is not enough for `1 3`.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(persistence_field(&mut r, "rdb_saves"), "0");
    for k in &keys {
        ok(&mut r, &format!("SET {k} 2"));
    }
    assert_eq!(wait_field(&mut r, "rdb_saves", |v| v == "1", 10), "1", "{}", server.log_text());
    wait_bgsave_done(&mut r);
    assert_eq!(persistence_field(&mut r, "rdb_changes_since_last_save"), "0");
    assert!(server.log_text().contains("changes in 1 seconds. Saving..."), "{}", server.log_text());
    let saved = manifest_files(&dir);
    // Killed without a chance to save: the set the save point wrote loads.
    drop(server);
    let server = Proc::shardis(&["--dir", &d, "--save", "1 3"]);
    let mut r = server.raw();
    for k in &keys {
        assert_eq!(r.words(&format!("GET {k}")), b"$1\r\n2\r\n");
    }
    // FLUSHALL writes the empty set before its +OK.
    ok(&mut r, "FLUSHALL");
    assert_ne!(manifest_files(&dir), saved);
    assert_eq!(persistence_field(&mut r, "rdb_changes_since_last_save"), "1");
    drop(server);
    let server = Proc::shardis(&["--dir", &d]);
    assert_eq!(server.raw().words("DBSIZE"), b":0\r\n");
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

/// SIGTERM saves before exiting when save points are set; when that save fails the server
/// stays up, and the next signal tries again.
#[test]
fn sigterm_saves_before_exiting() {
    let dir = scratch("sigterm");
    let d = dir.to_str().unwrap().to_string();
    let mut server = Proc::shardis(&["--dir", &d, "--save", "3600 1"]);
    mset_all(&mut server.raw(), 0..2000, |i| vec![format!("k{i}"), format!("v{i}")]);
    unsafe { libc::kill(server.pid() as i32, libc::SIGTERM) };
    assert!(server.wait_exit(std::time::Duration::from_secs(10)));
    assert!(server.log_text().contains("Saving the final RDB snapshot"), "{}", server.log_text());
    let mut server = Proc::shardis(&["--dir", &d, "--save", "3600 1"]);
    let mut r = server.raw();
    assert_eq!(r.words("DBSIZE"), b":2000\r\n");
    assert_eq!(r.words("GET k1999"), b"$5\r\nv1999\r\n");
    ok(&mut r, "SET after 1");
    // The directory went away: the save fails and the server stays.
    std::fs::remove_dir_all(&dir).unwrap();
    unsafe { libc::kill(server.pid() as i32, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.log_text().contains("Errors trying to shut down the server") {
        assert!(std::time::Instant::now() < deadline, "{}", server.log_text());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(r.words("PING"), b"+PONG\r\n");
    std::fs::create_dir_all(&dir).unwrap();
    unsafe { libc::kill(server.pid() as i32, libc::SIGINT) };
    assert!(server.wait_exit(std::time::Duration::from_secs(10)), "{}", server.log_text());
    let server = Proc::shardis(&["--dir", &d]);
    assert_eq!(server.raw().words("DBSIZE"), b":2001\r\n");
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

/// After a background save failed, with save points set, writes (and PING, EXEC of writes,
/// scripts that may write) are refused with -MISCONF, as redis-server refuses them; reads go
/// on; `stop-writes-on-bgsave-error no` lets writes through again.
#[test]
fn a_failed_bgsave_refuses_writes() {
    let lines: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["PING"],
        &["GET", "a"],
        &["MULTI"],
        &["SET", "b", "2"],
        &["EXEC"],
        &["MULTI"],
        &["GET", "a"],
        &["EXEC"],
        &["EVAL", "return redis.call('set','x','y')", "0"],
        &["EVAL", "return redis.call('get','x')", "0"],
        &["EVAL", "#!lua\nreturn 1", "0"],
        &["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
        &["SET", "a", "2"],
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
        &["DEL", "a"],
        &["CONFIG", "SET", "save", ""],
        &["SET", "a", "3"],
    ];
    let run = |proc: &Proc, dir: &Path| -> String {
        let mut r = proc.raw();
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(r.words("BGSAVE"), b"+Background saving started\r\n");
        wait_bgsave_done(&mut r);
        assert_eq!(persistence_field(&mut r, "rdb_last_bgsave_status"), "err");
        let mut out = String::new();
        for line in lines {
            let args: Vec<&[u8]> = line.iter().map(|a| a.as_bytes()).collect();
            let reply = s(&r.cmd(&args));
            // Redis names the script in the error of a write it refused inside one.
            let reply = match reply.find(" script: ") {
                Some(at) => format!("{}<script>", &reply[..at]),
                None => reply,
            };
            out.push_str(&format!("> {line:?}\n{reply}"));
        }
        out
    };
    let (ours, theirs) = (scratch("misconf-ours"), scratch("misconf-redis"));
    let shardis = Proc::shardis(&["--dir", ours.to_str().unwrap(), "--save", "3600 1"]);
    let redis = Proc::redis(&["--dir", theirs.to_str().unwrap(), "--save", "3600 1"]);
    let want = run(&redis, &theirs);
    assert!(want.contains("MISCONF"), "{want}");
    assert_eq!(run(&shardis, &ours), want);
}

/// While the set loads at start, commands get -LOADING (those Redis allows then still run)
/// and INFO shows the load's progress; once every shard holds its keys, everything is there.
#[test]
fn commands_get_loading_until_the_set_is_in() {
    let dir = scratch("loading");
    let d = dir.to_str().unwrap().to_string();
    let server = Proc::shardis(&["--dir", &d]);
    let mut r = server.raw();
    mset_all(&mut r, 0..20_000, |i| vec![format!("k{i}"), format!("v{i}")]);
    ok(&mut r, "SAVE");
    drop(server);
    // At least two seconds per file (5000 keys each), so the checks below surely run first.
    let server = Proc::shardis_loading(&["--dir", &d, "--key-load-delay", "400"]);
    let mut r = server.raw();
    let loading = b"-LOADING Redis is loading the dataset in memory\r\n";
    assert_eq!(r.words("GET k1"), loading);
    assert_eq!(r.words("PING"), loading);
    assert_eq!(r.words("DBSIZE"), loading);
    assert_eq!(persistence_field(&mut r, "loading"), "1");
    let total: u64 = persistence_field(&mut r, "loading_total_bytes").parse().unwrap();
    assert!(total > 20_000 * 8, "{total}");
    assert!(!persistence_field(&mut r, "loading_loaded_perc").is_empty());
    assert_eq!(s(&r.words("CONFIG GET databases")), "*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n");
    assert_eq!(wait_field(&mut r, "loading", |v| v == "0", 30), "0", "{}", server.log_text());
    assert_eq!(persistence_field(&mut r, "loading_total_bytes"), "");
    assert_eq!(r.words("DBSIZE"), b":20000\r\n");
    for i in (0..20_000).step_by(997) {
        assert_eq!(s(&r.words(&format!("GET k{i}"))), format!("${}\r\nv{i}\r\n", format!("v{i}").len()));
    }
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

/// Under an LRU or LFU policy each key's idle time or counter goes into the file (IDLE, FREQ)
/// and comes back from it, in shardis and in redis-server; the files pass redis-check-rdb.
#[test]
fn idle_times_and_lfu_counters_travel_in_the_files() {
    for (policy, key_args, ask, want) in [
        ("allkeys-lru", "RESTORE k 0 {} IDLETIME 1000", "IDLETIME", 1000),
        ("allkeys-lfu", "RESTORE k 0 {} FREQ 42", "FREQ", 42),
    ] {
        let dir = scratch(&format!("access-{policy}"));
        let d = dir.to_str().unwrap().to_string();
        let payload = {
            let server = Proc::shardis(&[]);
            let mut r = server.raw();
            assert_eq!(r.words("SET k v"), b"+OK\r\n");
            let (_, items) = flat(&r.cmd(&[b"DUMP", b"k"]));
            items[0].clone()
        };
        let ask_of = |port: u16| -> i64 {
            let mut r = Raw::connect(port);
            let reply = s(&r.cmd(&[b"OBJECT", ask.as_bytes(), b"k"]));
            reply.trim_start_matches(':').trim().parse().unwrap_or_else(|_| panic!("{policy}: {reply}"))
        };
        {
            let server = Proc::shardis(&["--dir", &d, "--shards", "2", "--maxmemory-policy", policy]);
            let mut r = server.raw();
            let words: Vec<&[u8]> =
                key_args.split(' ').map(|w| if w == "{}" { payload.as_slice() } else { w.as_bytes() }).collect();
            assert_eq!(r.cmd(&words), b"+OK\r\n", "{policy}");
            assert!((want..want + 2).contains(&ask_of(server.port)), "{policy}");
            assert_eq!(r.words("SAVE"), b"+OK\r\n");
        }
        let server = Proc::shardis(&["--dir", &d, "--shards", "3", "--maxmemory-policy", policy]);
        assert!((want..want + 3).contains(&ask_of(server.port)), "{policy} after a restart");
        for file in manifest_files(&dir) {
            let check = Command::new("redis-check-rdb").arg(dir.join(&file)).output().unwrap();
            let text = String::from_utf8_lossy(&check.stdout).into_owned();
            assert!(text.contains("RDB looks OK"), "{file}: {text}");
            let redis = Proc::redis(&["--dir", &d, "--dbfilename", &file, "--maxmemory-policy", policy]);
            if Raw::connect(redis.port).words("EXISTS k") == b":1\r\n" {
                assert!((want..want + 3).contains(&ask_of(redis.port)), "{policy} in redis-server");
            }
        }
    }
}
