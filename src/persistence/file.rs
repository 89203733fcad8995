//! Whole RDB files: the writer of one shard's snapshot file and the reader of any RDB file
//! Redis 1.x to 7.4 writes, both on the object codec of [`super::rdb`] (there is no second one).
//!
//! # Writing
//!
//! [`FileWriter`] streams a file as Redis 7.0 writes it (RDB version 10) into any `Write`: the
//! `REDIS0010` header, the AUX fields Redis writes (`redis-ver`, `redis-bits`, `ctime`,
//! `used-mem`, `aof-base`), the function libraries (FUNCTION2 opcode) where the caller gives
//! them, then per database SELECTDB, RESIZEDB and its keys (EXPIRETIME_MS before a key with a
//! deadline), then EOF and the CRC-64 of everything before it (0 when `rdbchecksum no`, as
//! Redis). `redis-ver` says 7.0.15: the format is 7.0's, whatever INFO reports. A value is
//! encoded into a reused buffer, passed on in runs of 64 KB, so the writer holds at most that
//! plus one value's encoding (a huge value costs its encoded size once, while it is written).
//!
//! # Reading
//!
//! [`read_file`] walks a whole file held in memory and hands every live key (with its database,
//! deadline, idle time and frequency) and every function library to a sink. Keys already past
//! their deadline are left out, as Redis's loader does for a master. Module aux data is skipped
//! (with a note in the summary); the pre-7.0 FUNCTION opcode, module values and types newer than
//! the codec knows (7.4's hash-field TTLs) are refused. Every error names the byte offset where
//! it was found; the caller names the file.

use std::io::{self, Write};

use super::rdb::{self, Encodings, RdbError, Reader, Writer};
use crate::store::value::Value;

/// The AUX field `redis-ver` our files carry: the version whose format they are.
const FORMAT_VERSION: &str = "7.0.15";
/// Strings a snapshot tries to compress are longer than this (see [`Writer::compressing_over`]):
/// measured, compressing 32-byte values cost 55% of a shard's time during a BGSAVE, all of it
/// in liblzf's table reset.
const SNAPSHOT_COMPRESS_OVER: usize = 1024;
/// The writer passes its encoded items on in runs of at least this many bytes.
const PASS_ON_AT: usize = 64 * 1024;
/// The newest RDB version the reader takes (Redis 7.4).
pub const READ_VERSION_MAX: u16 = 12;

/// Streams one RDB file into `out`.
pub struct FileWriter<W: Write> {
    out: W,
    crc: crc_fast::Digest,
    checksum: bool,
    /// Reused encoding room for one item.
    w: Writer,
    written: u64,
    /// What each key's access word is written as, if anything (see [`FileWriter::with_access`]).
    access: Option<SavedAccess>,
}

/// A key's access word in the file, as Redis writes it under an LRU or LFU policy.
#[derive(Clone, Copy, Debug)]
pub enum SavedAccess {
    /// IDLE: seconds since the access, against the LRU clock at the save.
    Idle(u32),
    /// FREQ: the LFU counter, decayed to the save's time.
    Freq(crate::store::value::Lfu),
}

impl<W: Write> FileWriter<W> {
    /// Starts a file: the header and the AUX fields. `ctime` is the save's Unix time (s),
    /// `used_mem` what INFO reports as `used_memory`.
    pub fn new(out: W, compression: bool, checksum: bool, ctime: u64, used_mem: u64) -> io::Result<Self> {
        let mut f = FileWriter {
            out,
            crc: rdb::crc64_digest(),
            checksum,
            w: Writer::new().with_compression(compression).compressing_over(SNAPSHOT_COMPRESS_OVER),
            written: 0,
            access: None,
        };
        f.w.bytes(format!("REDIS{:04}", rdb::RDB_VERSION).as_bytes());
        f.aux(b"redis-ver", FORMAT_VERSION.as_bytes());
        f.aux_int(b"redis-bits", 64);
        f.aux_int(b"ctime", ctime as i64);
        f.aux_int(b"used-mem", used_mem as i64);
        f.aux_int(b"aof-base", 0);
        f.flush_item()?;
        Ok(f)
    }

    /// Writes each key's access as IDLE or FREQ, as Redis does under an LRU (`volatile-lru`,
    /// `allkeys-lru`) or LFU policy (`config`'s), at `now_ms`.
    pub fn with_access(mut self, config: &crate::config::Config, now_ms: u64) -> Self {
        use crate::config::MaxmemoryPolicy::{AllkeysLru, VolatileLru};
        let policy = config.maxmemory_policy;
        self.access = if policy.is_lfu() {
            let lfu = crate::store::value::Lfu::new(now_ms, config.lfu_log_factor, config.lfu_decay_time);
            Some(SavedAccess::Freq(lfu))
        } else if matches!(policy, AllkeysLru | VolatileLru) {
            Some(SavedAccess::Idle(crate::store::value::lru_clock(now_ms)))
        } else {
            None
        };
        self
    }

    fn aux(&mut self, key: &[u8], value: &[u8]) {
        self.w.u8(rdb::RDB_OPCODE_AUX);
        self.w.string(key);
        self.w.string(value);
    }

    fn aux_int(&mut self, key: &[u8], value: i64) {
        self.w.u8(rdb::RDB_OPCODE_AUX);
        self.w.string(key);
        self.w.int_string(value);
    }

    /// An item is encoded: passes the buffer on once it holds [`PASS_ON_AT`] bytes (per-item
    /// writes and checksum updates cost more than the encoding of a small key).
    fn item_done(&mut self) -> io::Result<()> {
        if self.w.as_bytes().len() >= PASS_ON_AT {
            self.flush_item()?;
        }
        Ok(())
    }

    /// Passes what the encoding buffer holds on to the output (and the checksum).
    fn flush_item(&mut self) -> io::Result<()> {
        let bytes = self.w.as_bytes();
        if self.checksum {
            self.crc.update(bytes);
        }
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        self.w.clear();
        Ok(())
    }

    /// One function library's code (FUNCTION2).
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.w.u8(rdb::RDB_OPCODE_FUNCTION2);
        self.w.string(code);
        self.item_done()
    }

    /// Starts database `db`, which holds `keys` keys, `expires` of them with a deadline.
    pub fn select_db(&mut self, db: usize, keys: u64, expires: u64) -> io::Result<()> {
        self.w.u8(rdb::RDB_OPCODE_SELECTDB);
        self.w.len(db as u64);
        self.w.u8(rdb::RDB_OPCODE_RESIZEDB);
        self.w.len(keys);
        self.w.len(expires);
        self.item_done()
    }

    /// One key of the current database, with its deadline (ms since the epoch, 0: none).
    pub fn key(&mut self, key: &[u8], value: &Value, deadline_ms: u64) -> io::Result<()> {
        if deadline_ms != 0 {
            self.w.u8(rdb::RDB_OPCODE_EXPIRETIME_MS);
            self.w.u64_le(deadline_ms);
        }
        match self.access {
            None => {}
            Some(SavedAccess::Idle(clock)) => {
                self.w.u8(rdb::RDB_OPCODE_IDLE);
                self.w.len(u64::from(value.idle_secs(clock)));
            }
            Some(SavedAccess::Freq(lfu)) => {
                self.w.u8(rdb::RDB_OPCODE_FREQ);
                self.w.u8(lfu.count(value.access_word()));
            }
        }
        rdb::write_keyed_object(&mut self.w, key, value);
        self.item_done()
    }

    /// The output (a background save looks at its backlog); up to [`PASS_ON_AT`] bytes of
    /// encoded items may still wait here.
    pub fn output(&mut self) -> &mut W {
        &mut self.out
    }

    /// Ends the file: EOF and the checksum. Returns the output and the bytes written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.w.u8(rdb::RDB_OPCODE_EOF);
        self.flush_item()?;
        let sum = if self.checksum { self.crc.finalize() } else { 0 };
        self.out.write_all(&sum.to_le_bytes())?;
        self.out.flush()?;
        Ok((self.out, self.written + 8))
    }
}

/// One thing a file holds, as [`read_file`] hands it over.
pub enum Item {
    Key {
        db: usize,
        key: Vec<u8>,
        value: Value,
        /// Ms since the epoch, 0: none.
        deadline_ms: u64,
        /// The IDLE opcode's seconds, if the file had it for this key.
        idle: Option<u64>,
        /// The FREQ opcode's counter, if the file had it for this key.
        freq: Option<u8>,
        /// Where the key's record ends in the file (progress while loading).
        end: usize,
    },
    /// A function library's code.
    Function(Vec<u8>),
}

/// What a file held besides its items.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    pub version: u16,
    /// Keys left out because their deadline had passed.
    pub expired: u64,
    /// AUX fields, in file order (the `lua` scripts of old files included, not acted on).
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Module aux records skipped.
    pub module_aux_skipped: u64,
}

/// Why a file could not be read: what, and the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at offset {offset}")]
pub struct FileError {
    pub offset: usize,
    pub what: String,
}

impl From<RdbError> for FileError {
    fn from(e: RdbError) -> Self {
        let text = e.to_string();
        let offset = text.rsplit("offset ").next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let what = text.rsplit_once(" at offset ").map_or(text.clone(), |(w, _)| w.to_string());
        FileError { offset, what }
    }
}

fn fail(offset: usize, what: impl Into<String>) -> FileError {
    FileError { offset, what: what.into() }
}

/// Reads a whole RDB file, handing each item to `sink` in file order. `now_ms` decides which
/// keys have expired. Nothing is handed over past the first error, but what was handed over
/// before it was: a caller that must load all or nothing collects first.
pub fn read_file(
    data: &[u8],
    enc: &Encodings,
    now_ms: u64,
    mut sink: impl FnMut(Item) -> Result<(), FileError>,
) -> Result<Summary, FileError> {
    if data.len() < 9 || &data[..5] != b"REDIS" {
        return Err(fail(0, "not an RDB file (no REDIS signature)"));
    }
    let version: u16 = std::str::from_utf8(&data[5..9])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| fail(5, "bad RDB version digits"))?;
    if !(1..=READ_VERSION_MAX).contains(&version) {
        return Err(fail(5, format!("RDB version {version} is not supported")));
    }
    let mut summary = Summary { version, ..Summary::default() };
    let mut r = Reader::new(data);
    r.bytes(9)?;
    let (mut db, mut deadline, mut idle, mut freq) = (0usize, 0u64, None, None);
    loop {
        let at = r.offset();
        let op = r.u8()?;
        match op {
            rdb::RDB_OPCODE_EXPIRETIME_MS => deadline = r.u64_le()?,
            rdb::RDB_OPCODE_EXPIRETIME => deadline = u64::from(r.u32_le()?) * 1000,
            rdb::RDB_OPCODE_IDLE => idle = Some(r.len()?),
            rdb::RDB_OPCODE_FREQ => freq = Some(r.u8()?),
            rdb::RDB_OPCODE_SELECTDB => db = r.len()? as usize,
            rdb::RDB_OPCODE_RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            rdb::RDB_OPCODE_AUX => {
                let key = r.string()?;
                let value = r.string()?;
                summary.aux.push((key, value));
            }
            rdb::RDB_OPCODE_MODULE_AUX => {
                skip_module_value(&mut r)?;
                summary.module_aux_skipped += 1;
            }
            rdb::RDB_OPCODE_FUNCTION2 => sink(Item::Function(r.string()?))?,
            rdb::RDB_OPCODE_FUNCTION => {
                return Err(fail(at, "the pre-7.0 FUNCTION format is not supported"));
            }
            rdb::RDB_OPCODE_EOF => break,
            rdb::RDB_TYPE_MODULE | rdb::RDB_TYPE_MODULE_2 => {
                return Err(fail(at, "module values are not supported"));
            }
            rdb_type => {
                let key = r.string()?;
                let value = rdb::read_value(&mut r, rdb_type, enc).map_err(|e| match e {
                    RdbError::BadType { offset, tag } | RdbError::Unsupported { offset, tag } if tag > 21 => {
                        fail(offset, format!("object type {tag} (hash field TTLs, Redis 7.4) is not supported"))
                    }
                    e => e.into(),
                })?;
                let expired = deadline != 0 && deadline < now_ms;
                if expired {
                    summary.expired += 1;
                } else {
                    sink(Item::Key { db, key, value, deadline_ms: deadline, idle, freq, end: r.offset() })?;
                }
                (deadline, idle, freq) = (0, None, None);
            }
        }
    }
    if version >= 5 {
        let at = r.offset();
        let sum = r.u64_le()?;
        if sum != 0 && sum != rdb::crc64(&data[..at]) {
            return Err(fail(at, "wrong RDB checksum"));
        }
    }
    Ok(summary)
}

/// Skips a module's serialized value (MODULE_AUX): its id, then typed items to an EOF.
fn skip_module_value(r: &mut Reader<'_>) -> Result<(), FileError> {
    r.len()?; // module id
    r.len()?; // when
    loop {
        let at = r.offset();
        match r.len()? {
            0 => return Ok(()),
            1 | 2 => {
                r.len()?;
            }
            3 => {
                r.bytes(4)?;
            }
            4 => {
                r.bytes(8)?;
            }
            5 => {
                r.string()?;
            }
            other => return Err(fail(at, format!("unknown module value opcode {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::hash::Hash;

    /// (database, key, value, deadline) of each key read.
    type Keys = Vec<(usize, Vec<u8>, Value, u64)>;

    fn keys_of(data: &[u8]) -> Result<(Summary, Keys, Vec<Vec<u8>>), FileError> {
        let (mut keys, mut functions) = (Vec::new(), Vec::new());
        let summary = read_file(data, &Encodings::default(), 1_000, |item| {
            match item {
                Item::Key { db, key, value, deadline_ms, .. } => keys.push((db, key, value, deadline_ms)),
                Item::Function(code) => functions.push(code),
            }
            Ok(())
        })?;
        Ok((summary, keys, functions))
    }

    #[test]
    fn writes_and_reads_back() {
        let mut f = FileWriter::new(Vec::new(), true, true, 1_700_000_000, 12345).unwrap();
        f.function(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)").unwrap();
        f.select_db(0, 2, 1).unwrap();
        f.key(b"s", &Value::from_bytes(b"hello"), 0).unwrap();
        let mut h = Hash::default();
        h.set(b"f", b"v", crate::store::hash::Limits { entries: 128, value: 64 });
        f.key(b"h", &Value::hash(h), 5_000).unwrap();
        f.select_db(3, 1, 0).unwrap();
        f.key(b"gone", &Value::int(7), 500).unwrap();
        let (data, n) = f.finish().unwrap();
        assert_eq!(n as usize, data.len());
        assert_eq!(&data[..9], b"REDIS0010");
        let (summary, keys, functions) = keys_of(&data).unwrap();
        assert_eq!(summary.version, 10);
        assert_eq!(summary.expired, 1);
        assert_eq!(summary.aux[0], (b"redis-ver".to_vec(), b"7.0.15".to_vec()));
        assert_eq!(functions.len(), 1);
        assert_eq!(keys.len(), 2);
        assert_eq!((keys[1].0, keys[1].1.as_slice(), keys[1].3), (0, &b"h"[..], 5_000));
        // A damaged byte is caught by the checksum (or the structure), never a panic.
        for i in 9..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0x5a;
            assert!(keys_of(&bad).is_err(), "byte {i}");
        }
        // Every truncation is refused with an offset inside the file.
        for len in 0..data.len() {
            let e = keys_of(&data[..len]).expect_err("refused");
            assert!(e.offset <= len, "{e}");
        }
    }

    /// redis-check-rdb (Debian's redis-tools, 7.0.15) accepts a file of every type, and
    /// redis-server loads it with the same contents.
    #[test]
    fn redis_reads_our_files() {
        use crate::store::{list::List, set::Set, stream, zset::ZSet};
        if std::process::Command::new("redis-check-rdb").arg("--version").output().is_err() {
            return;
        }
        let mut f = FileWriter::new(Vec::new(), true, true, 1_700_000_000, 0).unwrap();
        f.select_db(0, 6, 1).unwrap();
        f.key(b"str", &Value::string(&[b'x'; 200]), 0).unwrap();
        f.key(b"int", &Value::int(-42), 4_000_000_000_000).unwrap();
        let mut l = List::new(-2);
        for i in 0..300 {
            l.push_back(format!("e{i}").as_bytes());
        }
        f.key(b"list", &Value::list(l), 0).unwrap();
        let mut set = Set::default();
        for i in 0..10 {
            set.add(format!("{i}").as_bytes(), 512);
        }
        f.key(b"set", &Value::set(set), 0).unwrap();
        let mut z = ZSet::default();
        z.insert(b"m", 1.5, crate::store::zset::Limits::DEFAULT);
        f.key(b"zset", &Value::zset(z), 0).unwrap();
        let mut st = stream::Stream::default();
        st.append(stream::StreamId::new(1, 1), &[b"f", b"v"], stream::Limits::DEFAULT);
        f.key(b"stream", &Value::stream(st), 0).unwrap();
        let (data, _) = f.finish().unwrap();
        let dir = std::env::temp_dir().join(format!("shardis-file-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dump.rdb");
        std::fs::write(&path, &data).unwrap();
        let out = std::process::Command::new("redis-check-rdb").arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        std::fs::remove_dir_all(&dir).ok();
        assert!(text.contains("RDB looks OK"), "{text}");
        assert!(text.contains("keys read: 6") || text.contains("6 keys read"), "{text}");
    }

    #[test]
    fn checksum_off_writes_zero() {
        let f = FileWriter::new(Vec::new(), false, false, 0, 0).unwrap();
        let (data, _) = f.finish().unwrap();
        assert_eq!(&data[data.len() - 8..], &[0; 8]);
        assert!(keys_of(&data).is_ok());
    }

    /// The files Redis versions wrote (../shared/fixtures/rdb): the good ones read, the two
    /// corrupt ones are refused at the offset redis-check-rdb names or before.
    #[test]
    fn fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/rdb");
        if !dir.exists() {
            return;
        }
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        let (s, keys, _) = keys_of(&read("encodings.rdb")).unwrap();
        assert_eq!(s.version, 4);
        assert_eq!(keys.len() as u64 + s.expired, 13);
        for name in ["hash-zipmap.rdb", "hash-ziplist.rdb", "zset-ziplist.rdb"] {
            let (_, keys, _) = keys_of(&read(name)).unwrap();
            assert_eq!(keys.len(), 1, "{name}");
        }
        let (_, keys, _) = keys_of(&read("list-quicklist.rdb")).unwrap();
        assert!(!keys.is_empty());
        let (s, keys, _) = keys_of(&read("scriptbackup.rdb")).unwrap();
        assert!(keys.is_empty() && s.aux.iter().any(|(k, _)| k == b"lua"));
        let e = keys_of(&read("corrupt_empty_keys.rdb")).expect_err("refused");
        assert!(e.offset <= 100, "{e}");
        assert!(keys_of(&read("corrupt_ziplist.rdb")).is_err());
    }
}
