//! The RDB value encoding: lengths, strings (integer-encoded, LZF-compressed or raw), objects of
//! every type, and the DUMP/RESTORE payload around one serialized object. Pure: no I/O, no
//! server state; the configuration comes in as [`Encodings`].
//!
//! Objects ([`read_object`], [`write_object`]) are `rdbLoadObject`/`rdbSaveObject` of Redis 7.0:
//!
//! - Written: a list as `RDB_TYPE_LIST_QUICKLIST_2` with listpack nodes, cut into nodes exactly as
//!   Redis's `quicklistPushTail` cuts them under the list's fill (our own nodes are sized by our
//!   own entry format, so they are not written as they are); a compact hash as
//!   `RDB_TYPE_HASH_LISTPACK` and a table as `RDB_TYPE_HASH`; an intset as `RDB_TYPE_SET_INTSET`
//!   and a table as `RDB_TYPE_SET`; a compact sorted set as `RDB_TYPE_ZSET_LISTPACK` and a big
//!   one as `RDB_TYPE_ZSET_2` from the highest score down. Listpacks, intsets and the order of
//!   their entries are Redis's, so payloads are byte-identical to Redis's wherever Redis's are a
//!   function of the contents (not for hash-table hashes and sets, whose order is their table's;
//!   not for a list of several nodes whose Redis nodes were shaped by anything but pushes at the
//!   tail, such as pushes at the head, pops or inserts; and an intset that once held a wider
//!   member is written narrower than Redis keeps it); a stream as `RDB_TYPE_STREAM_LISTPACKS_2`
//!   with Redis's node listpacks (see [`super::stream`]).
//! - Read: every collection type a 7.0 server takes (plain, zipmap, ziplist, listpack, intset,
//!   quicklist 1 and 2, streams of Redis 5 to 7.0; not modules), and the two types Redis 7.2
//!   added (`RDB_TYPE_SET_LISTPACK`, `RDB_TYPE_STREAM_LISTPACKS_3`), each blob checked as Redis
//!   checks it with `sanitize-dump-payload yes` (see [`super::listpack`], [`super::ziplist`] and
//!   [`super::stream`]), then built into a [`Value`] in the encoding Redis's loader would pick
//!   under the same thresholds.
//!
//! Everything here follows Redis 7.0's `rdb.c` and `cluster.c` (RDB version 10) byte for byte, LZF
//! output aside (see below), and was checked against Debian's redis-server 7.0.15:
//!
//! - A length is 1, 2, 5 or 9 bytes: two high bits `00` = 6-bit length, `01` = 14-bit length
//!   (big-endian), byte `0x80` + 4 bytes big-endian, byte `0x81` + 8 bytes big-endian; two high
//!   bits `11` ([`RDB_ENCVAL`]) mark a specially encoded string, the low six bits naming how.
//! - [`Writer::string`] is `rdbSaveRawString`: a string of at most 11 bytes that is a canonical
//!   integer (Redis's `string2ll`) fitting in 32 bits is saved as an 8/16/32-bit little-endian
//!   integer; else a string longer than 20 bytes is LZF-compressed when compression is on
//!   (`rdbcompression yes`, the default) and `lzf_compress` fits the result in `len - 4` bytes,
//!   exactly the output budget Redis gives it; else it is saved raw.
//! - A DUMP payload is `type byte + object + RDB version (2 bytes LE) + CRC-64 (8 bytes LE)`, the
//!   CRC (Jones polynomial, Redis's `crc64`) covering everything before it, version included.
//!   RESTORE takes versions up to 11 (Redis 7.2's), where Redis 7.0 takes up to its own 10: a
//!   7.2 payload holds a type of RDB 11 only for a small set of strings or a stream, and both
//!   are read (7.4's version 12 brought hash field expiry, which has no counterpart here).
//!
//! LZF is liblzf itself, through the `lzf-sys` crate (the C reference implementation built
//! statically): the same algorithm and the same `lzf_compress(in, len, out, len - 4)` call that
//! Redis makes, so the "is compression worth it" test is Redis's own. `lzf-sys` bundles a later
//! liblzf snapshot whose match-finding hash differs from the 3.6 release that Redis ships, so about
//! one compressed string in eight comes out as different (equally valid, similarly sized) LZF bytes
//! than Redis would write (measured on 6,394 strings, 1,421 of them compressed: every other
//! payload was byte-identical to redis-server 7.0.15's DUMP). Each side decompresses the other's
//! output: Redis restored all 6,394 of our payloads and we read all of its. `lzf_compress` keeps a
//! 256 KiB hash table on the stack, as in Redis: call it from threads with ordinary (2 MiB) stacks.
//!
//! Reading is strict and bounded: every read is checked against the input, errors say what went
//! wrong and at which offset, nothing panics on malformed input, and no allocation is sized by
//! untrusted input without a bound (a declared length longer than the rest of the input is an
//! error; an LZF string may not claim more than [`LZF_MAX_EXPANSION`] times its compressed size).
//! Where Redis is more lenient on nonsense that no writer produces (an encoded-value byte used as
//! a plain length, an object that reads on into the payload's footer, a sorted-set score that is
//! not a number, which `strtod` would read as 0 or a prefix), this reader refuses it; and it
//! always makes the deep checks that Redis makes only with `sanitize-dump-payload yes`.

use std::borrow::Cow;

use thiserror::Error;

use super::listpack::{self, Entry, Invalid};
use super::ziplist;
use crate::config::Config;
use crate::protocol::{format_double, string2ll};
use crate::store::hash::{Hash, Limits as HashLimits};
use crate::store::list::List;
use crate::store::set::Set;
use crate::store::stream::Stream;
use crate::store::value::{Kind, Value};
use crate::store::zset::{Limits as ZSetLimits, ZSet};

/// The RDB format version written (in file headers and DUMP payloads).
pub const RDB_VERSION: u16 = 10;
/// The newest RDB format version read (Redis 7.2's: see the module docs).
pub const RDB_VERSION_READ: u16 = 11;
/// The first five bytes of an RDB file, followed by the version as four ASCII digits.
pub const RDB_MAGIC: &[u8; 5] = b"REDIS";

// Object types: the byte before a key (in a file) or at the start of a DUMP payload.
pub const RDB_TYPE_STRING: u8 = 0;
pub const RDB_TYPE_LIST: u8 = 1;
pub const RDB_TYPE_SET: u8 = 2;
pub const RDB_TYPE_ZSET: u8 = 3;
pub const RDB_TYPE_HASH: u8 = 4;
/// Sorted set with scores as binary little-endian doubles.
pub const RDB_TYPE_ZSET_2: u8 = 5;
pub const RDB_TYPE_MODULE: u8 = 6;
/// Module value with annotations, parseable without the module loaded.
pub const RDB_TYPE_MODULE_2: u8 = 7;
// 8 is not an object type.
pub const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
pub const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
pub const RDB_TYPE_SET_INTSET: u8 = 11;
pub const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
pub const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
/// Quicklist of ziplists (RDB 7 to 9).
pub const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
pub const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;
pub const RDB_TYPE_HASH_LISTPACK: u8 = 16;
pub const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
/// Quicklist of listpacks or plain nodes, each node preceded by its container kind (RDB 10).
pub const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
/// Stream with its first and deleted IDs, entries added and groups' read counters (RDB 10).
pub const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Set as a listpack of members (RDB 11, Redis 7.2).
pub const RDB_TYPE_SET_LISTPACK: u8 = 20;
/// Stream whose consumers also have an active time (RDB 11, Redis 7.2).
pub const RDB_TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// A [`RDB_TYPE_LIST_QUICKLIST_2`] node holding one large element as a plain string.
pub const QUICKLIST_NODE_CONTAINER_PLAIN: u64 = 1;
/// A [`RDB_TYPE_LIST_QUICKLIST_2`] node holding a listpack.
pub const QUICKLIST_NODE_CONTAINER_PACKED: u64 = 2;

/// Whether `t` is an object type of RDB version 11 (Redis's `rdbIsObjectType`).
pub const fn is_object_type(t: u8) -> bool {
    matches!(t, RDB_TYPE_STRING..=RDB_TYPE_MODULE_2 | RDB_TYPE_HASH_ZIPMAP..=RDB_TYPE_STREAM_LISTPACKS_3)
}

// Opcodes: in a file, bytes in the type position that are not object types.
/// Function library (Redis 7.0 GA).
pub const RDB_OPCODE_FUNCTION2: u8 = 245;
/// Function library in the format of Redis 7.0 release candidates 1 and 2.
pub const RDB_OPCODE_FUNCTION: u8 = 246;
pub const RDB_OPCODE_MODULE_AUX: u8 = 247;
/// LRU idle time of the next key, in seconds (a length).
pub const RDB_OPCODE_IDLE: u8 = 248;
/// LFU frequency of the next key (one byte).
pub const RDB_OPCODE_FREQ: u8 = 249;
/// Auxiliary field: two strings, name and value.
pub const RDB_OPCODE_AUX: u8 = 250;
/// Hash table size hints: two lengths, keys and keys with an expiry.
pub const RDB_OPCODE_RESIZEDB: u8 = 251;
/// Expiry of the next key: unix time in milliseconds, 8 bytes little-endian.
pub const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
/// Expiry of the next key: unix time in seconds, 4 bytes little-endian (old files).
pub const RDB_OPCODE_EXPIRETIME: u8 = 253;
/// Database number of the keys that follow (a length).
pub const RDB_OPCODE_SELECTDB: u8 = 254;
/// End of the file; an 8-byte CRC-64 (little-endian, 0 when checksums are off) follows.
pub const RDB_OPCODE_EOF: u8 = 255;

// Module value opcodes (inside RDB_TYPE_MODULE_2 values and module aux data).
pub const RDB_MODULE_OPCODE_EOF: u64 = 0;
pub const RDB_MODULE_OPCODE_SINT: u64 = 1;
pub const RDB_MODULE_OPCODE_UINT: u64 = 2;
pub const RDB_MODULE_OPCODE_FLOAT: u64 = 3;
pub const RDB_MODULE_OPCODE_DOUBLE: u64 = 4;
pub const RDB_MODULE_OPCODE_STRING: u64 = 5;

// Length encodings: the two high bits of a length's first byte, or the whole first byte.
/// `00xxxxxx`: the length is the low six bits.
pub const RDB_6BITLEN: u8 = 0;
/// `01xxxxxx yyyyyyyy`: the length is 14 bits, big-endian.
pub const RDB_14BITLEN: u8 = 1;
/// `0x80` then a 32-bit big-endian length.
pub const RDB_32BITLEN: u8 = 0x80;
/// `0x81` then a 64-bit big-endian length.
pub const RDB_64BITLEN: u8 = 0x81;
/// `11xxxxxx`: not a length but a string encoding, named by the low six bits (`RDB_ENC_*`).
pub const RDB_ENCVAL: u8 = 3;

// String encodings: the low six bits after RDB_ENCVAL.
/// One signed byte.
pub const RDB_ENC_INT8: u8 = 0;
/// Two bytes, signed little-endian.
pub const RDB_ENC_INT16: u8 = 1;
/// Four bytes, signed little-endian.
pub const RDB_ENC_INT32: u8 = 2;
/// LZF: compressed length, uncompressed length, then the compressed bytes.
pub const RDB_ENC_LZF: u8 = 3;

/// Strings of at most this many bytes are tried as integers (`rdbSaveRawString`).
const INT_ENCODING_MAX_LEN: usize = 11;
/// Strings of at most this many bytes are never compressed (Redis: "under 20 bytes it's unable to
/// compress even aaaaaaaaaaaaaaaaaa").
const LZF_MIN_INPUT_EXCLUSIVE: usize = 20;
/// Compression must save at least this many bytes: `lzf_compress` gets `len - 4` bytes of room.
const LZF_MIN_SAVING: usize = 4;
/// No valid LZF stream expands more than this: a 3-byte back reference copies at most 264 bytes.
pub const LZF_MAX_EXPANSION: u64 = 88;

/// DUMP payload footer: 2 bytes of RDB version, 8 bytes of CRC-64.
const PAYLOAD_FOOTER_LEN: usize = 10;

/// Redis's `crc64`: CRC-64/REDIS (Jones polynomial, reflected, init 0, no final xor), summed
/// piece by piece (a file as it is written). crc-fast's carry-less multiplication sums at
/// memory speed; the table-driven `crc` crate cost 5% of a shard's time during a BGSAVE.
pub fn crc64_digest() -> crc_fast::Digest {
    crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Redis)
}

/// RESTORE's reply when the payload's footer is wrong (too short, newer version, bad CRC).
pub const ERR_PAYLOAD_VERSION_OR_CHECKSUM: &str = "ERR DUMP payload version or checksum are wrong";
/// RESTORE's reply when the footer is right but the object inside cannot be read.
pub const ERR_BAD_DATA_FORMAT: &str = "ERR Bad data format";

/// Redis's CRC-64 of `data` (as in DUMP payloads and at the end of RDB files).
pub fn crc64(data: &[u8]) -> u64 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Redis, data)
}

/// Why RDB-encoded data could not be read. Offsets count from the start of the input (plus the
/// reader's base offset, see [`Reader::with_base`]) and point at the item that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RdbError {
    #[error("unexpected end of data at offset {offset}")]
    Truncated { offset: usize },
    #[error("length {len} at offset {offset} is longer than the {remaining} bytes left")]
    LengthTooLarge { offset: usize, len: u64, remaining: usize },
    #[error("unknown length encoding 0x{tag:02x} at offset {offset}")]
    BadLength { offset: usize, tag: u8 },
    #[error("unknown string encoding 0x{tag:02x} at offset {offset}")]
    BadEncoding { offset: usize, tag: u8 },
    #[error("invalid LZF compressed string at offset {offset}")]
    BadLzf { offset: usize },
    #[error("unknown object type {tag} at offset {offset}")]
    BadType { offset: usize, tag: u8 },
    #[error("object type {found} at offset {offset}, expected {expected}")]
    UnexpectedType { offset: usize, expected: u8, found: u8 },
    #[error("cannot allocate {len} bytes for the value at offset {offset}")]
    OutOfMemory { offset: usize, len: u64 },
    #[error("object type {tag} at offset {offset} is not supported")]
    Unsupported { offset: usize, tag: u8 },
    /// A structure inside an object is inconsistent (a listpack, ziplist, zipmap or intset that
    /// fails its integrity check, a duplicate member, an empty collection, a NaN score...).
    #[error("corrupt {what} at offset {offset}")]
    Corrupt { offset: usize, what: &'static str },
}

impl RdbError {
    /// Where in the input the failing item starts.
    pub fn offset(&self) -> usize {
        match *self {
            RdbError::Truncated { offset }
            | RdbError::LengthTooLarge { offset, .. }
            | RdbError::BadLength { offset, .. }
            | RdbError::BadEncoding { offset, .. }
            | RdbError::BadLzf { offset }
            | RdbError::BadType { offset, .. }
            | RdbError::UnexpectedType { offset, .. }
            | RdbError::OutOfMemory { offset, .. }
            | RdbError::Unsupported { offset, .. }
            | RdbError::Corrupt { offset, .. } => offset,
        }
    }
}

/// Why a DUMP payload's footer was refused; RESTORE answers all of them with
/// [`ERR_PAYLOAD_VERSION_OR_CHECKSUM`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PayloadError {
    #[error("DUMP payload of {len} bytes is shorter than its 10-byte footer")]
    TooShort { len: usize },
    #[error("DUMP payload has RDB version {version}, newer than {RDB_VERSION_READ}")]
    Version { version: u16 },
    #[error("DUMP payload checksum is {found:016x}, the data's is {computed:016x}")]
    Checksum { computed: u64, found: u64 },
}

/// A length or, when its first byte has the two high bits set, a string encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// A plain length.
    Len(u64),
    /// One of `RDB_ENC_*` (the low six bits of an [`RDB_ENCVAL`] byte).
    Encoded(u8),
}

/// A string as read, before it is turned into bytes: integer-encoded strings stay integers so that
/// a loader can keep them in an integer representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbString<'a> {
    /// An [`RDB_ENC_INT8`], [`RDB_ENC_INT16`] or [`RDB_ENC_INT32`] string: its decimal form.
    Int(i64),
    /// A raw string, borrowed from the input.
    Raw(&'a [u8]),
    /// An LZF string, decompressed.
    Lzf(Vec<u8>),
}

impl<'a> RdbString<'a> {
    /// The string's bytes (an integer in decimal).
    pub fn into_bytes(self) -> Cow<'a, [u8]> {
        match self {
            RdbString::Int(v) => Cow::Owned(itoa::Buffer::new().format(v).as_bytes().to_vec()),
            RdbString::Raw(b) => Cow::Borrowed(b),
            RdbString::Lzf(v) => Cow::Owned(v),
        }
    }

    /// The string's bytes as an owned vector.
    pub fn into_vec(self) -> Vec<u8> {
        self.into_bytes().into_owned()
    }
}

/// Appends RDB-encoded values to a byte vector.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
    compression: bool,
    /// Strings longer than this are tried with LZF (Redis: 20).
    compress_over: usize,
    /// Reused output room for `lzf_compress`.
    scratch: Vec<u8>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// An empty writer that compresses strings as `rdbcompression yes` (Redis's default) does.
    pub fn new() -> Self {
        Writer::with_buffer(Vec::new())
    }

    /// A writer appending to `buf`, compression on.
    pub fn with_buffer(buf: Vec<u8>) -> Self {
        Writer { buf, compression: true, compress_over: LZF_MIN_INPUT_EXCLUSIVE, scratch: Vec::new() }
    }

    /// Turns LZF compression of long strings on or off (`rdbcompression`).
    pub fn with_compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Tries LZF only on strings longer than `len` bytes (Redis: 20). liblzf zeroes its
    /// 256 KB hash table on every call, which costs a short string far more than it can save:
    /// snapshot files, which need not match Redis's bytes, leave short strings raw.
    pub fn compressing_over(mut self, len: usize) -> Self {
        self.compress_over = len.max(LZF_MIN_INPUT_EXCLUSIVE);
        self
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The written bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// Empties the buffer, keeping its room.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub fn u16_le(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u32_le(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64_le(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A binary double, little-endian (`rdbSaveBinaryDoubleValue`).
    pub fn f64_le(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A length in the shortest of the four forms (`rdbSaveLen`).
    pub fn len(&mut self, len: u64) {
        if len < 1 << 6 {
            self.buf.push((RDB_6BITLEN << 6) | len as u8);
        } else if len < 1 << 14 {
            self.buf.push((RDB_14BITLEN << 6) | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else if let Ok(len) = u32::try_from(len) {
            self.buf.push(RDB_32BITLEN);
            self.buf.extend_from_slice(&len.to_be_bytes());
        } else {
            self.buf.push(RDB_64BITLEN);
            self.buf.extend_from_slice(&len.to_be_bytes());
        }
    }

    /// A string, exactly as `rdbSaveRawString` writes it: as an integer when it is a short
    /// canonical integer fitting 32 bits, LZF-compressed when that is allowed and saves at least
    /// four bytes, raw otherwise.
    pub fn string(&mut self, s: &[u8]) {
        if s.len() <= INT_ENCODING_MAX_LEN {
            if let Some(v) = string2ll(s) {
                if self.encoded_int(v) {
                    return;
                }
            }
        }
        if self.compression && s.len() > self.compress_over && self.lzf_string(s) {
            return;
        }
        self.len(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    /// An integer value as a string (`rdbSaveLongLongAsStringObject`): integer-encoded when it
    /// fits 32 bits, else its decimal digits as a raw string.
    pub fn int_string(&mut self, v: i64) {
        if !self.encoded_int(v) {
            let mut digits = itoa::Buffer::new();
            let digits = digits.format(v).as_bytes();
            self.len(digits.len() as u64);
            self.buf.extend_from_slice(digits);
        }
    }

    /// `rdbEncodeInteger`: writes `v` in the smallest of the 8/16/32-bit encodings, or nothing
    /// (returning false) when it needs more than 32 bits.
    fn encoded_int(&mut self, v: i64) -> bool {
        let tag = |enc: u8| (RDB_ENCVAL << 6) | enc;
        if let Ok(v) = i8::try_from(v) {
            self.buf.push(tag(RDB_ENC_INT8));
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = i16::try_from(v) {
            self.buf.push(tag(RDB_ENC_INT16));
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = i32::try_from(v) {
            self.buf.push(tag(RDB_ENC_INT32));
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            return false;
        }
        true
    }

    /// `rdbSaveLzfStringObject`: writes `s` LZF-compressed if the compressor fits it in
    /// `len - 4` bytes; returns whether it did.
    fn lzf_string(&mut self, s: &[u8]) -> bool {
        let Some(compressed_len) = lzf::compress(s, s.len() - LZF_MIN_SAVING, &mut self.scratch) else {
            return false;
        };
        self.buf.push((RDB_ENCVAL << 6) | RDB_ENC_LZF);
        self.len(compressed_len as u64);
        self.len(s.len() as u64);
        self.buf.extend_from_slice(&self.scratch[..compressed_len]);
        true
    }
}

/// Reads RDB-encoded values from a byte slice, keeping track of the position.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`; offsets in errors count from there.
    pub fn new(data: &'a [u8]) -> Self {
        Reader::with_base(data, 0)
    }

    /// A reader over `data` that lies at offset `base` of a larger input (a file, a payload), so
    /// that offsets in errors are offsets in that input.
    pub fn with_base(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    /// The offset of the next byte to be read.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether every byte has been read.
    pub fn is_at_end(&self) -> bool {
        self.pos == self.data.len()
    }

    /// The bytes not yet read.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// The next `n` bytes, borrowed.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() {
            return Err(RdbError::Truncated { offset: self.offset() });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.array::<1>()?[0])
    }

    /// The next byte, not consumed.
    pub fn peek_u8(&self) -> Result<u8, RdbError> {
        self.data.get(self.pos).copied().ok_or(RdbError::Truncated { offset: self.offset() })
    }

    pub fn u16_le(&mut self) -> Result<u16, RdbError> {
        self.array().map(u16::from_le_bytes)
    }

    pub fn u32_le(&mut self) -> Result<u32, RdbError> {
        self.array().map(u32::from_le_bytes)
    }

    pub fn u64_le(&mut self) -> Result<u64, RdbError> {
        self.array().map(u64::from_le_bytes)
    }

    /// A binary double, little-endian (`rdbLoadBinaryDoubleValue`).
    pub fn f64_le(&mut self) -> Result<f64, RdbError> {
        self.array().map(f64::from_le_bytes)
    }

    /// A length or a string encoding marker (`rdbLoadLenByRef`).
    pub fn length(&mut self) -> Result<Length, RdbError> {
        let offset = self.offset();
        let first = self.u8()?;
        Ok(match first >> 6 {
            RDB_6BITLEN => Length::Len(u64::from(first & 0x3f)),
            RDB_14BITLEN => Length::Len((u64::from(first & 0x3f) << 8) | u64::from(self.u8()?)),
            RDB_ENCVAL => Length::Encoded(first & 0x3f),
            _ => match first {
                RDB_32BITLEN => Length::Len(u64::from(self.array().map(u32::from_be_bytes)?)),
                RDB_64BITLEN => Length::Len(self.array().map(u64::from_be_bytes)?),
                tag => return Err(RdbError::BadLength { offset, tag }),
            },
        })
    }

    /// A plain length (`rdbLoadLen`); a string encoding marker here is an error.
    #[allow(clippy::len_without_is_empty)] // reads a length field; it is not the reader's size
    pub fn len(&mut self) -> Result<u64, RdbError> {
        let offset = self.offset();
        match self.length()? {
            Length::Len(len) => Ok(len),
            Length::Encoded(enc) => Err(RdbError::BadLength { offset, tag: (RDB_ENCVAL << 6) | enc }),
        }
    }

    /// A count of items that take at least `min_item_bytes` bytes each (at least 1 is assumed):
    /// refused when the rest of the input cannot hold that many, so the count can size an
    /// allocation.
    pub fn count(&mut self, min_item_bytes: usize) -> Result<usize, RdbError> {
        let offset = self.offset();
        let len = self.len()?;
        let remaining = self.remaining();
        match usize::try_from(len) {
            Ok(n) if n.saturating_mul(min_item_bytes.max(1)) <= remaining => Ok(n),
            _ => Err(RdbError::LengthTooLarge { offset, len, remaining }),
        }
    }

    /// `len` bytes whose length was read at `offset`.
    fn sized(&mut self, offset: usize, len: u64) -> Result<&'a [u8], RdbError> {
        let remaining = self.remaining();
        match usize::try_from(len) {
            Ok(n) if n <= remaining => self.bytes(n),
            _ => Err(RdbError::LengthTooLarge { offset, len, remaining }),
        }
    }

    /// A string in any of its encodings (`rdbGenericLoadStringObject`), integers kept as such.
    pub fn string_value(&mut self) -> Result<RdbString<'a>, RdbError> {
        let offset = self.offset();
        match self.length()? {
            Length::Len(len) => self.sized(offset, len).map(RdbString::Raw),
            Length::Encoded(RDB_ENC_INT8) => Ok(RdbString::Int(i8::from_le_bytes(self.array()?).into())),
            Length::Encoded(RDB_ENC_INT16) => Ok(RdbString::Int(i16::from_le_bytes(self.array()?).into())),
            Length::Encoded(RDB_ENC_INT32) => Ok(RdbString::Int(i32::from_le_bytes(self.array()?).into())),
            Length::Encoded(RDB_ENC_LZF) => self.lzf_string(offset).map(RdbString::Lzf),
            Length::Encoded(enc) => Err(RdbError::BadEncoding { offset, tag: (RDB_ENCVAL << 6) | enc }),
        }
    }

    /// A string in any of its encodings, as bytes (borrowed when it was stored raw).
    pub fn string_bytes(&mut self) -> Result<Cow<'a, [u8]>, RdbError> {
        self.string_value().map(RdbString::into_bytes)
    }

    /// A string in any of its encodings, as an owned vector.
    pub fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        self.string_value().map(RdbString::into_vec)
    }

    /// The body of an LZF string whose marker was at `offset` (`rdbLoadLzfStringObject`).
    fn lzf_string(&mut self, offset: usize) -> Result<Vec<u8>, RdbError> {
        // rdbLoadLen without `isencoded`: a string-encoding marker in a length slot reads as its
        // low six bits, not as an error.
        let mut lenient = || match self.length()? {
            Length::Len(len) => Ok::<u64, RdbError>(len),
            Length::Encoded(enc) => Ok(enc as u64),
        };
        let compressed_len = lenient()?;
        let len = lenient()?;
        let compressed = self.sized(offset, compressed_len)?;
        if len == 0 {
            // Redis accepts this (lzf_decompress returns 0, the expected size) whatever the bytes.
            return Ok(Vec::new());
        }
        if len > (compressed.len() as u64).saturating_mul(LZF_MAX_EXPANSION) {
            return Err(RdbError::BadLzf { offset });
        }
        let len = usize::try_from(len).map_err(|_| RdbError::BadLzf { offset })?;
        let mut out = Vec::new();
        out.try_reserve_exact(len).map_err(|_| RdbError::OutOfMemory { offset, len: len as u64 })?;
        out.resize(len, 0);
        if lzf::decompress(compressed, &mut out) {
            Ok(out)
        } else {
            Err(RdbError::BadLzf { offset })
        }
    }

    /// An object type byte, refused unless [`is_object_type`] (`rdbLoadObjectType`).
    pub fn object_type(&mut self) -> Result<u8, RdbError> {
        let offset = self.offset();
        let tag = self.u8()?;
        if is_object_type(tag) {
            Ok(tag)
        } else {
            Err(RdbError::BadType { offset, tag })
        }
    }
}

/// Adds the DUMP footer to `object` (an object type byte and the serialized object): the RDB
/// version and the CRC-64 of everything before the CRC, both little-endian (`createDumpPayload`).
pub fn wrap_payload(mut object: Vec<u8>) -> Vec<u8> {
    object.reserve(PAYLOAD_FOOTER_LEN);
    object.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&object);
    object.extend_from_slice(&crc.to_le_bytes());
    object
}

/// Checks a DUMP payload's footer as RESTORE does (`verifyDumpPayload`): at least 10 bytes, an
/// RDB version no newer than [`RDB_VERSION_READ`], a matching CRC-64. Returns the type byte and
/// object before the footer (possibly empty: reading it then fails, which RESTORE reports as
/// [`ERR_BAD_DATA_FORMAT`]).
pub fn verify_payload(payload: &[u8]) -> Result<&[u8], PayloadError> {
    let Some(object_len) = payload.len().checked_sub(PAYLOAD_FOOTER_LEN) else {
        return Err(PayloadError::TooShort { len: payload.len() });
    };
    let (object, footer) = payload.split_at(object_len);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION_READ {
        return Err(PayloadError::Version { version });
    }
    let computed = crc64(&payload[..payload.len() - 8]);
    let mut found = [0u8; 8];
    found.copy_from_slice(&footer[2..]);
    let found = u64::from_le_bytes(found);
    if computed != found {
        return Err(PayloadError::Checksum { computed, found });
    }
    Ok(object)
}

/// FUNCTION DUMP's payload: each library's code after [`RDB_OPCODE_FUNCTION2`], then the DUMP
/// footer (RDB version, CRC-64), as Redis 7.0 writes it.
pub fn dump_functions<'a>(codes: impl Iterator<Item = &'a [u8]>, compression: bool) -> Vec<u8> {
    let mut w = Writer::new().with_compression(compression);
    for code in codes {
        w.u8(RDB_OPCODE_FUNCTION2);
        w.string(code);
    }
    wrap_payload(w.into_inner())
}

/// The libraries' codes in a FUNCTION RESTORE payload, or the error Redis replies.
pub fn read_functions(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let object = verify_payload(payload).map_err(|_| ERR_PAYLOAD_VERSION_OR_CHECKSUM.to_string())?;
    let mut r = Reader::new(object);
    let mut codes = Vec::new();
    while !r.is_at_end() {
        match r.u8() {
            Ok(RDB_OPCODE_FUNCTION2) => {}
            Ok(RDB_OPCODE_FUNCTION) => return Err("ERR Pre-GA function format not supported".into()),
            _ => return Err("ERR given type is not a function".into()),
        }
        codes.push(r.string().map_err(|_| "ERR Failed loading library".to_string())?);
    }
    Ok(codes)
}

/// The DUMP payload of a string value, as Redis 7.0 writes it with `rdbcompression yes`.
pub fn dump_string(value: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_buffer(Vec::with_capacity(value.len() + 16));
    w.u8(RDB_TYPE_STRING);
    w.string(value);
    wrap_payload(w.into_inner())
}

/// The object type of a verified payload's object (its first byte), refused unless it is one.
pub fn payload_object_type(object: &[u8]) -> Result<u8, RdbError> {
    Reader::new(object).object_type()
}

/// The value of a string object (type byte [`RDB_TYPE_STRING`] and the encoded string), as
/// [`verify_payload`] returns it. Bytes after the string are ignored, as RESTORE ignores them.
pub fn read_string_object(object: &[u8]) -> Result<Vec<u8>, RdbError> {
    let mut r = Reader::new(object);
    let found = r.object_type()?;
    if found != RDB_TYPE_STRING {
        return Err(RdbError::UnexpectedType { offset: 0, expected: RDB_TYPE_STRING, found });
    }
    r.string()
}

// ---------------------------------------------------------------------------------------------
// Objects: every value type as Redis 7.0 reads (`rdbLoadObject`) and writes (`rdbSaveObject`) it.

/// `packed_threshold`: a list element at least this long gets a plain quicklist node of its own.
const LIST_PACKED_THRESHOLD: usize = 1 << 30;
/// `SIZE_SAFETY_LIMIT`: the byte cap of a quicklist node when the fill is an entry count.
const LIST_SIZE_SAFETY_LIMIT: usize = 8192;
/// `SIZE_ESTIMATE_OVERHEAD`: what quicklist assumes one entry adds beyond its bytes.
const LIST_SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Node byte budgets for fills -1..-5 (`optimization_level`).
const LIST_BYTE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// quicklist clamps its fill to this range (`quicklistSetFill`).
const LIST_FILL_RANGE: (i32, i32) = (-5, (1 << 15) - 1);

/// An object as read: its contents in Redis's terms, checked, before it becomes a [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    String(Vec<u8>),
    /// The elements, head to tail (never empty).
    List(Vec<Vec<u8>>),
    /// The pairs in the payload's order (never empty). `packed`: the payload held them in a
    /// compact blob (ziplist, listpack), which Redis keeps compact whatever the lengths of the
    /// strings inside, converting only when there are too many pairs.
    Hash {
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
        packed: bool,
    },
    /// The members (never empty).
    Set(Vec<Vec<u8>>),
    /// (member, score) pairs, scores never NaN (never empty). `packed` as for hashes.
    ZSet {
        pairs: Vec<(Vec<u8>, f64)>,
        packed: bool,
    },
    /// A stream, whole (possibly empty: a stream may have no entries).
    Stream(Box<Stream>),
}

/// The encoding thresholds a loaded collection follows (`list-max-listpack-size`,
/// `hash-max-listpack-*`, `set-max-intset-entries`, `zset-max-listpack-*`).
#[derive(Debug, Clone, Copy)]
pub struct Encodings {
    pub list_fill: i32,
    pub hash: HashLimits,
    pub set_max_intset_entries: usize,
    pub zset: ZSetLimits,
}

impl Default for Encodings {
    /// Redis's defaults.
    fn default() -> Self {
        Encodings {
            list_fill: -2,
            hash: HashLimits { entries: 512, value: 64 },
            set_max_intset_entries: 512,
            zset: ZSetLimits::DEFAULT,
        }
    }
}

impl Encodings {
    /// The thresholds of a configuration.
    pub fn from_config(c: &Config) -> Self {
        Encodings {
            list_fill: c.list_max_listpack_size,
            hash: HashLimits { entries: c.hash_max_listpack_entries, value: c.hash_max_listpack_value },
            set_max_intset_entries: c.set_max_intset_entries,
            zset: ZSetLimits { entries: c.zset_max_listpack_entries, value: c.zset_max_listpack_value },
        }
    }
}

/// A score written as text (`RDB_TYPE_ZSET`, `rdbLoadDoubleValue`): a length byte, where 253,
/// 254 and 255 stand for NaN, +inf and -inf, then that many characters.
fn text_double(r: &mut Reader<'_>) -> Result<f64, RdbError> {
    let offset = r.offset();
    match r.u8()? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        len => {
            let text = r.bytes(usize::from(len))?;
            parse_score(text).ok_or(RdbError::Corrupt { offset, what: "score" })
        }
    }
}

/// A score as text, as `strtod` reads what Redis writes (`%.17g`, integers, `inf`, `-inf`).
/// Text that is not a number is refused here (Redis would take it as 0 or a prefix).
fn parse_score(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse::<f64>().ok().filter(|s| !s.is_nan())
}

/// How Redis 7.0 spells a score inside a listpack (`zzlInsertAt`): an integral score in
/// (-2^52, 2^52) as that integer (so -0 as 0; checked against redis-server 7.0.15, which writes
/// a restored -0.0 as the listpack integer 0), infinities as `inf`/`-inf`, anything else as
/// `%.17g`. The listpack then stores the integer-looking ones as integers.
fn score_text(score: f64, buf: &mut [u8; 32]) -> &[u8] {
    let text: &[u8] = if score.is_nan() {
        b"nan"
    } else if score.is_infinite() {
        if score < 0.0 {
            b"-inf"
        } else {
            b"inf"
        }
    } else if score > -4503599627370495.0 && score < 4503599627370496.0 && score == (score as i64) as f64 {
        let mut digits = itoa::Buffer::new();
        let d = digits.format(score as i64).as_bytes();
        buf[..d.len()].copy_from_slice(d);
        return &buf[..d.len()];
    } else {
        return format_double(score, buf);
    };
    buf[..text.len()].copy_from_slice(text);
    &buf[..text.len()]
}

/// What [`read_object_into`] hands an object's contents to, element by element, so that a
/// loader can build its value without first holding a decoded copy of it (a listpack of small
/// integers would take ~16 times its size as separate strings).
pub trait ObjectSink {
    /// The object's kind, before any element. `packed`: the elements come from a compact blob
    /// (ziplist, listpack) that Redis keeps compact whatever the lengths of its strings.
    fn start(&mut self, kind: Kind, packed: bool);
    /// A string object's value.
    fn string(&mut self, s: &[u8]);
    fn list_item(&mut self, item: &[u8]);
    /// Answers false when the field was there already.
    fn hash_pair(&mut self, field: &[u8], value: &[u8]) -> bool;
    /// Answers false when the member was there already.
    fn set_member(&mut self, member: &[u8]) -> bool;
    /// Answers false when the member was there already. `score` is never NaN.
    fn zset_pair(&mut self, member: &[u8], score: f64) -> bool;
    /// A stream object, whole: its nodes are compact already, so the reader builds it (see
    /// [`super::stream`]) and hands it over after `start(Kind::Stream, true)`.
    fn stream(&mut self, stream: Stream);
}

/// Calls `f` with an entry's bytes (an integer in decimal).
fn entry_bytes<R>(e: Entry<'_>, f: impl FnOnce(&[u8]) -> R) -> R {
    match e {
        Entry::Str(s) => f(s),
        Entry::Int(v) => f(itoa::Buffer::new().format(v).as_bytes()),
    }
}

/// Reads the object of type `rdb_type` (already read) at `r` into `sink`, checking every blob
/// inside as Redis does with `sanitize-dump-payload yes`: a blob that fails its integrity check,
/// an empty collection, an odd number of entries where pairs are due, a repeated member (as the
/// sink reports it) or a NaN score is refused. On an error the sink holds part of the object.
pub fn read_object_into(r: &mut Reader<'_>, rdb_type: u8, sink: &mut impl ObjectSink) -> Result<(), RdbError> {
    let offset = r.offset();
    let corrupt = |what| RdbError::Corrupt { offset, what };
    let duplicate = corrupt("duplicate member");
    let blob_error = |what| move |_: Invalid| RdbError::Corrupt { offset, what };
    // How many elements (items, members, pairs) the object held.
    let count = match rdb_type {
        RDB_TYPE_STRING => {
            sink.start(Kind::String, false);
            sink.string(&r.string_bytes()?);
            return Ok(());
        }
        RDB_TYPE_LIST => {
            sink.start(Kind::List, false);
            let n = r.count(1)?;
            for _ in 0..n {
                sink.list_item(&r.string_bytes()?);
            }
            n
        }
        RDB_TYPE_LIST_QUICKLIST | RDB_TYPE_LIST_QUICKLIST_2 => {
            sink.start(Kind::List, false);
            let v2 = rdb_type == RDB_TYPE_LIST_QUICKLIST_2;
            let nodes = r.count(if v2 { 2 } else { 1 })?;
            let mut n = 0;
            for _ in 0..nodes {
                let container = if v2 { r.len()? } else { QUICKLIST_NODE_CONTAINER_PACKED };
                let at = r.offset();
                if container != QUICKLIST_NODE_CONTAINER_PLAIN && container != QUICKLIST_NODE_CONTAINER_PACKED {
                    return Err(RdbError::Corrupt { offset: at, what: "quicklist node container" });
                }
                let blob = r.string_bytes()?;
                if blob.is_empty() {
                    return Err(RdbError::Corrupt { offset: at, what: "empty quicklist node" });
                }
                let bad = |what| move |_: Invalid| RdbError::Corrupt { offset: at, what };
                // Empty listpacks are skipped, as Redis skips them.
                n += if container == QUICKLIST_NODE_CONTAINER_PLAIN {
                    sink.list_item(&blob);
                    1
                } else if v2 {
                    listpack::for_each(&blob, |e| entry_bytes(e, |b| sink.list_item(b))).map_err(bad("listpack"))?
                } else {
                    ziplist::for_each(&blob, |e| entry_bytes(e, |b| sink.list_item(b))).map_err(bad("ziplist"))?
                };
            }
            n
        }
        RDB_TYPE_LIST_ZIPLIST => {
            sink.start(Kind::List, false);
            let blob = r.string_bytes()?;
            ziplist::for_each(&blob, |e| entry_bytes(e, |b| sink.list_item(b))).map_err(blob_error("ziplist"))?
        }
        RDB_TYPE_SET => {
            sink.start(Kind::Set, false);
            let n = r.count(1)?;
            for _ in 0..n {
                if !sink.set_member(&r.string_bytes()?) {
                    return Err(duplicate);
                }
            }
            n
        }
        RDB_TYPE_SET_LISTPACK => {
            // Redis 7.2 keeps it a listpack; 7.0's sets are an intset or a table, picked as
            // for a plain set.
            sink.start(Kind::Set, false);
            let blob = r.string_bytes()?;
            let mut repeated = false;
            let n = listpack::for_each(&blob, |e| entry_bytes(e, |m| repeated |= !sink.set_member(m)))
                .map_err(blob_error("listpack"))?;
            if repeated {
                return Err(duplicate);
            }
            n
        }
        RDB_TYPE_STREAM_LISTPACKS | RDB_TYPE_STREAM_LISTPACKS_2 | RDB_TYPE_STREAM_LISTPACKS_3 => {
            let stream = super::stream::read(r, rdb_type)?;
            sink.start(Kind::Stream, true);
            sink.stream(stream);
            return Ok(());
        }
        RDB_TYPE_SET_INTSET => {
            sink.start(Kind::Set, false);
            let blob = r.string_bytes()?;
            let ints = ziplist::intset_members(&blob).map_err(blob_error("intset"))?;
            let mut digits = itoa::Buffer::new();
            for &v in &ints {
                // An intset is strictly ascending, so this never repeats.
                sink.set_member(digits.format(v).as_bytes());
            }
            ints.len()
        }
        RDB_TYPE_HASH => {
            sink.start(Kind::Hash, false);
            let n = r.count(2)?;
            for _ in 0..n {
                let field = r.string_bytes()?;
                if !sink.hash_pair(&field, &r.string_bytes()?) {
                    return Err(duplicate);
                }
            }
            n
        }
        RDB_TYPE_HASH_ZIPMAP => {
            // Redis checks both limits on a zipmap's strings, unlike on the later blobs.
            sink.start(Kind::Hash, false);
            let blob = r.string_bytes()?;
            let mut repeated = false;
            let n = ziplist::zipmap_for_each(&blob, |f, v| repeated |= !sink.hash_pair(f, v))
                .map_err(blob_error("zipmap"))?;
            if repeated {
                return Err(duplicate);
            }
            n
        }
        RDB_TYPE_HASH_ZIPLIST | RDB_TYPE_HASH_LISTPACK => {
            sink.start(Kind::Hash, true);
            let mut repeated = false;
            let n = packed_pairs(r, rdb_type == RDB_TYPE_HASH_LISTPACK, |f, v| {
                entry_bytes(f, |f| entry_bytes(v, |v| repeated |= !sink.hash_pair(f, v)));
            })?;
            if repeated {
                return Err(duplicate);
            }
            n
        }
        RDB_TYPE_ZSET | RDB_TYPE_ZSET_2 => {
            sink.start(Kind::ZSet, false);
            let binary = rdb_type == RDB_TYPE_ZSET_2;
            let n = r.count(if binary { 9 } else { 2 })?;
            for _ in 0..n {
                let member = r.string_bytes()?;
                let at = r.offset();
                let score = if binary { r.f64_le()? } else { text_double(r)? };
                if score.is_nan() {
                    return Err(RdbError::Corrupt { offset: at, what: "NaN score" });
                }
                if !sink.zset_pair(&member, score) {
                    return Err(duplicate);
                }
            }
            n
        }
        RDB_TYPE_ZSET_ZIPLIST | RDB_TYPE_ZSET_LISTPACK => {
            sink.start(Kind::ZSet, true);
            let (mut repeated, mut bad_score) = (false, false);
            let n = packed_pairs(r, rdb_type == RDB_TYPE_ZSET_LISTPACK, |m, s| {
                let score = match s {
                    Entry::Int(v) => Some(v as f64),
                    Entry::Str(text) => parse_score(text),
                };
                match score {
                    Some(score) => entry_bytes(m, |m| repeated |= !sink.zset_pair(m, score)),
                    None => bad_score = true,
                }
            })?;
            if bad_score {
                return Err(corrupt("sorted set score"));
            }
            if repeated {
                return Err(duplicate);
            }
            n
        }
        tag => return Err(RdbError::Unsupported { offset, tag }),
    };
    if count == 0 {
        return Err(corrupt("empty collection"));
    }
    Ok(())
}

/// Reads a ziplist or listpack string that holds pairs (an even number of entries), calling
/// `f` on each pair. Returns the number of pairs.
fn packed_pairs(
    r: &mut Reader<'_>,
    listpack: bool,
    mut f: impl FnMut(Entry<'_>, Entry<'_>),
) -> Result<usize, RdbError> {
    let offset = r.offset();
    let blob = r.string_bytes()?;
    let what = if listpack { "listpack" } else { "ziplist" };
    let mut pending = None;
    let mut each = |e| match pending.take() {
        None => pending = Some(e),
        Some(first) => f(first, e),
    };
    let n = if listpack { listpack::for_each(&blob, &mut each) } else { ziplist::for_each(&blob, &mut each) };
    let n = n.map_err(|_| RdbError::Corrupt { offset, what })?;
    if !n.is_multiple_of(2) {
        return Err(RdbError::Corrupt { offset, what: "odd number of entries in pairs" });
    }
    Ok(n / 2)
}

/// Collects an object's contents into an [`Object`] (repeats are not checked here).
#[derive(Default)]
struct Collect(Option<Object>);

impl ObjectSink for Collect {
    fn start(&mut self, kind: Kind, packed: bool) {
        self.0 = Some(match kind {
            Kind::String => Object::String(Vec::new()),
            Kind::List => Object::List(Vec::new()),
            Kind::Hash => Object::Hash { pairs: Vec::new(), packed },
            Kind::Set => Object::Set(Vec::new()),
            Kind::ZSet => Object::ZSet { pairs: Vec::new(), packed },
            Kind::Stream => Object::Stream(Box::default()),
        });
    }

    fn string(&mut self, s: &[u8]) {
        if let Some(Object::String(v)) = &mut self.0 {
            v.extend_from_slice(s);
        }
    }

    fn list_item(&mut self, item: &[u8]) {
        if let Some(Object::List(v)) = &mut self.0 {
            v.push(item.to_vec());
        }
    }

    fn hash_pair(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some(Object::Hash { pairs, .. }) = &mut self.0 {
            pairs.push((field.to_vec(), value.to_vec()));
        }
        true
    }

    fn set_member(&mut self, member: &[u8]) -> bool {
        if let Some(Object::Set(v)) = &mut self.0 {
            v.push(member.to_vec());
        }
        true
    }

    fn zset_pair(&mut self, member: &[u8], score: f64) -> bool {
        if let Some(Object::ZSet { pairs, .. }) = &mut self.0 {
            pairs.push((member.to_vec(), score));
        }
        true
    }

    fn stream(&mut self, stream: Stream) {
        if let Some(Object::Stream(s)) = &mut self.0 {
            **s = stream;
        }
    }
}

/// Reads the object of type `rdb_type` (already read) at `r` into an [`Object`], checked as
/// [`read_object_into`] checks it except for repeats, which [`Object::into_value`] finds.
pub fn read_object(r: &mut Reader<'_>, rdb_type: u8) -> Result<Object, RdbError> {
    let mut sink = Collect::default();
    read_object_into(r, rdb_type, &mut sink)?;
    sink.0.ok_or(RdbError::Unsupported { offset: r.offset(), tag: rdb_type })
}

/// Builds the value Redis would build from an object under [`Encodings`], in the encoding it
/// would pick: a list gets nodes by `list_fill`; a hash, set or sorted set starts compact and
/// converts as Redis's loader does (a packed payload keeps its long strings compact).
struct Build<'e> {
    enc: &'e Encodings,
    value: Building,
}

enum Building {
    Nothing,
    String(Vec<u8>),
    List(List),
    Hash(Hash, HashLimits),
    Set(Set),
    ZSet(ZSet, ZSetLimits),
    Stream(Box<Stream>),
}

impl<'e> Build<'e> {
    fn new(enc: &'e Encodings) -> Self {
        Build { enc, value: Building::Nothing }
    }

    fn finish(self) -> Option<Value> {
        Some(match self.value {
            Building::Nothing => return None,
            Building::String(s) => Value::from_bytes(&s),
            Building::List(l) => Value::list(l),
            Building::Hash(h, _) => Value::hash(h),
            Building::Set(s) => Value::set(s),
            Building::ZSet(z, _) => Value::zset(z),
            Building::Stream(s) => Value::stream(*s),
        })
    }
}

impl ObjectSink for Build<'_> {
    fn start(&mut self, kind: Kind, packed: bool) {
        let enc = self.enc;
        self.value = match kind {
            Kind::String => Building::String(Vec::new()),
            Kind::List => Building::List(List::new(enc.list_fill)),
            Kind::Hash => Building::Hash(
                Hash::default(),
                if packed { HashLimits { entries: enc.hash.entries, value: usize::MAX } } else { enc.hash },
            ),
            Kind::Set => Building::Set(Set::default()),
            Kind::ZSet => Building::ZSet(ZSet::default(), zset_limits(enc.zset, packed)),
            Kind::Stream => Building::Stream(Box::default()),
        };
    }

    fn string(&mut self, s: &[u8]) {
        if let Building::String(v) = &mut self.value {
            v.extend_from_slice(s);
        }
    }

    fn list_item(&mut self, item: &[u8]) {
        if let Building::List(l) = &mut self.value {
            l.push_back(item);
        }
    }

    fn hash_pair(&mut self, field: &[u8], value: &[u8]) -> bool {
        match &mut self.value {
            Building::Hash(h, limits) => h.set(field, value, *limits),
            _ => true,
        }
    }

    fn set_member(&mut self, member: &[u8]) -> bool {
        match &mut self.value {
            Building::Set(s) => s.add(member, self.enc.set_max_intset_entries),
            _ => true,
        }
    }

    fn zset_pair(&mut self, member: &[u8], score: f64) -> bool {
        match &mut self.value {
            Building::ZSet(z, limits) => z.insert(member, score, *limits),
            _ => true,
        }
    }

    fn stream(&mut self, stream: Stream) {
        if let Building::Stream(s) = &mut self.value {
            **s = stream;
        }
    }
}

/// The thresholds a loaded sorted set follows. Redis builds a skiplist from `RDB_TYPE_ZSET` and
/// `ZSET_2` and converts it to a listpack when it fits both limits; it keeps a listpack (or
/// ziplist) payload compact unless it has too many members (`packed`). Adding the members one
/// by one under these limits ends in the same encoding.
fn zset_limits(limits: ZSetLimits, packed: bool) -> ZSetLimits {
    if packed {
        ZSetLimits { entries: limits.entries, value: usize::MAX }
    } else {
        limits
    }
}

impl Object {
    /// The value Redis would build from this object under `enc`, in the encoding it would pick;
    /// None if a hash field, set member or sorted-set member repeats (Redis: "Duplicate ...
    /// detected").
    pub fn into_value(self, enc: &Encodings) -> Option<Value> {
        let mut b = Build::new(enc);
        let ok = match self {
            Object::String(s) => {
                b.start(Kind::String, false);
                b.string(&s);
                true
            }
            Object::List(items) => {
                b.start(Kind::List, false);
                items.iter().for_each(|i| b.list_item(i));
                true
            }
            Object::Hash { pairs, packed } => {
                b.start(Kind::Hash, packed);
                pairs.iter().all(|(f, v)| b.hash_pair(f, v))
            }
            Object::Set(members) => {
                b.start(Kind::Set, false);
                members.iter().all(|m| b.set_member(m))
            }
            Object::ZSet { pairs, packed } => {
                b.start(Kind::ZSet, packed);
                pairs.iter().all(|(m, s)| b.zset_pair(m, *s))
            }
            Object::Stream(s) => {
                b.start(Kind::Stream, true);
                b.stream(*s);
                true
            }
        };
        if ok {
            b.finish()
        } else {
            None
        }
    }
}

/// Reads the object of type `rdb_type` (already read) at `r` straight into the value Redis
/// would build under `enc` (see [`read_object_into`] for what is refused).
pub fn read_value(r: &mut Reader<'_>, rdb_type: u8, enc: &Encodings) -> Result<Value, RdbError> {
    let mut b = Build::new(enc);
    read_object_into(r, rdb_type, &mut b)?;
    b.finish().ok_or(RdbError::Unsupported { offset: r.offset(), tag: rdb_type })
}

/// Reads a verified payload's object (type byte and object, as [`verify_payload`] returns it)
/// into the value RESTORE stores. Bytes after the object are ignored, as RESTORE ignores them.
pub fn read_payload_value(object: &[u8], enc: &Encodings) -> Result<Value, RdbError> {
    let mut r = Reader::new(object);
    let rdb_type = r.object_type()?;
    read_value(&mut r, rdb_type, enc)
}

/// Writes `v` as an RDB object, type byte first (`rdbSaveObjectType` + `rdbSaveObject`), in
/// the type Redis 7.0 writes for its encoding: a list as a quicklist of listpacks, a compact
/// hash or sorted set as a listpack, a compact set as an intset, a stream as its node
/// listpacks and groups, the rest element by element.
pub fn write_object(w: &mut Writer, v: &Value) {
    if let Some(list) = v.as_list() {
        write_list(w, list);
    } else if let Some(hash) = v.as_hash() {
        write_hash(w, hash);
    } else if let Some(set) = v.as_set() {
        write_set(w, set);
    } else if let Some(zset) = v.as_zset() {
        write_zset(w, zset);
    } else if let Some(stream) = v.as_stream() {
        super::stream::write(w, stream);
    } else {
        w.u8(RDB_TYPE_STRING);
        w.string(v.as_bytes(&mut itoa::Buffer::new()));
    }
}

/// Writes `key` and its value as an RDB file holds them: the type byte, the key, the value.
pub fn write_keyed_object(w: &mut Writer, key: &[u8], v: &Value) {
    if v.kind() == Kind::String {
        // Most keys: written in order, no moving.
        w.u8(RDB_TYPE_STRING);
        w.string(key);
        w.string(v.as_bytes(&mut itoa::Buffer::new()));
        return;
    }
    let at = w.buf.len();
    write_object(w, v);
    let mut k = Writer::new().with_compression(w.compression).compressing_over(w.compress_over);
    k.string(key);
    w.buf.splice(at + 1..at + 1, k.buf);
}

/// The DUMP payload of any value, as Redis 7.0 writes it (`compression`: `rdbcompression`).
pub fn dump_value(v: &Value, compression: bool) -> Vec<u8> {
    let mut w = Writer::new().with_compression(compression);
    write_object(&mut w, v);
    wrap_payload(w.into_inner())
}

/// A list as `RDB_TYPE_LIST_QUICKLIST_2`. Our nodes are not Redis's (they are sized by our own
/// entry format), so the elements are cut into nodes the way Redis's `quicklistPushTail` cuts
/// them under the list's fill: a list built by RPUSH, or restored from such a list, comes out
/// byte for byte as Redis writes it.
fn write_list(w: &mut Writer, list: &List) {
    let items: Vec<&[u8]> = list.iter().collect();
    let nodes = quicklist_nodes(&items, list.fill());
    w.u8(RDB_TYPE_LIST_QUICKLIST_2);
    w.len(nodes.len() as u64);
    for node in nodes {
        let node = &items[node];
        if node.len() == 1 && node[0].len() >= LIST_PACKED_THRESHOLD {
            w.len(QUICKLIST_NODE_CONTAINER_PLAIN);
            w.string(node[0]);
        } else {
            let mut lp = listpack::Builder::new();
            node.iter().for_each(|e| lp.push(e));
            w.len(QUICKLIST_NODE_CONTAINER_PACKED);
            w.string(&lp.finish());
        }
    }
}

/// The index ranges of the quicklist nodes Redis would hold after pushing `items` one by one
/// at the tail (`quicklistPushTail`, `_quicklistNodeAllowInsert`) with `fill`.
fn quicklist_nodes(items: &[&[u8]], fill: i32) -> Vec<std::ops::Range<usize>> {
    let fill = fill.clamp(LIST_FILL_RANGE.0, LIST_FILL_RANGE.1);
    let mut nodes: Vec<std::ops::Range<usize>> = Vec::new();
    // The open node's listpack size in bytes, or None when the last node is plain.
    let mut open: Option<usize> = None;
    for (i, item) in items.iter().enumerate() {
        let sz = item.len();
        if sz >= LIST_PACKED_THRESHOLD {
            nodes.push(i..i + 1);
            open = None;
            continue;
        }
        let fits = match (open, nodes.last()) {
            (Some(bytes), Some(node)) => {
                let new_sz = bytes + sz + LIST_SIZE_ESTIMATE_OVERHEAD;
                let within_level = fill < 0 && new_sz <= LIST_BYTE_LIMITS[(-fill - 1) as usize];
                within_level || (new_sz <= LIST_SIZE_SAFETY_LIMIT && (node.len() as i64) < i64::from(fill))
            }
            _ => false,
        };
        let entry = listpack::entry_size(item);
        match (fits, open.as_mut(), nodes.last_mut()) {
            (true, Some(bytes), Some(node)) => {
                *bytes += entry;
                node.end = i + 1;
            }
            _ => {
                nodes.push(i..i + 1);
                open = Some(listpack::EMPTY_SIZE + entry);
            }
        }
    }
    nodes
}

/// A hash as `RDB_TYPE_HASH_LISTPACK` (pairs in the hash's order, which is Redis's) when
/// compact, else as `RDB_TYPE_HASH`.
fn write_hash(w: &mut Writer, hash: &Hash) {
    if hash.is_compact() {
        let mut lp = listpack::Builder::new();
        for (f, v) in hash.iter() {
            lp.push(f);
            lp.push(v);
        }
        w.u8(RDB_TYPE_HASH_LISTPACK);
        w.string(&lp.finish());
    } else {
        w.u8(RDB_TYPE_HASH);
        w.len(hash.len() as u64);
        for (f, v) in hash.iter() {
            w.string(f);
            w.string(v);
        }
    }
}

/// A set as `RDB_TYPE_SET_INTSET` when compact, else as `RDB_TYPE_SET`.
fn write_set(w: &mut Writer, set: &Set) {
    if set.is_compact() {
        let ints: Vec<i64> = set.iter().filter_map(|m| string2ll(&m)).collect();
        w.u8(RDB_TYPE_SET_INTSET);
        w.string(&ziplist::intset_bytes(&ints));
    } else {
        w.u8(RDB_TYPE_SET);
        w.len(set.len() as u64);
        for m in set.iter() {
            w.string(&m);
        }
    }
}

/// A sorted set as `RDB_TYPE_ZSET_LISTPACK` (member, score, ascending) when compact, else as
/// `RDB_TYPE_ZSET_2` from the highest score down, as Redis walks its skiplist from the tail.
fn write_zset(w: &mut Writer, zset: &ZSet) {
    if zset.is_compact() {
        let mut lp = listpack::Builder::new();
        let mut buf = [0u8; 32];
        for (member, score) in zset.iter() {
            lp.push(member);
            lp.push(score_text(score, &mut buf));
        }
        w.u8(RDB_TYPE_ZSET_LISTPACK);
        w.string(&lp.finish());
    } else {
        let pairs: Vec<(&[u8], f64)> = zset.iter().collect();
        w.u8(RDB_TYPE_ZSET_2);
        w.len(pairs.len() as u64);
        for (member, score) in pairs.into_iter().rev() {
            w.string(member);
            w.f64_le(score);
        }
    }
}

/// Safe wrappers around liblzf (`lzf-sys`).
mod lzf {
    use std::ffi::{c_uint, c_void};

    /// Compresses `input` into at most `max_out` bytes of `scratch` (resized as needed) and
    /// returns the compressed size, or `None` when it does not fit (or the sizes exceed liblzf's
    /// 32-bit lengths).
    pub(super) fn compress(input: &[u8], max_out: usize, scratch: &mut Vec<u8>) -> Option<usize> {
        let in_len = c_uint::try_from(input.len()).ok()?;
        let out_len = c_uint::try_from(max_out).ok()?;
        if scratch.len() < max_out {
            scratch.resize(max_out, 0);
        }
        // SAFETY: `input` is valid for reads of `in_len` bytes and `scratch` for writes of at
        // least `out_len` bytes; lzf_compress touches nothing else and keeps no pointers.
        let n = unsafe {
            lzf_sys::lzf_compress(
                input.as_ptr().cast::<c_void>(),
                in_len,
                scratch.as_mut_ptr().cast::<c_void>(),
                out_len,
            )
        };
        let n = usize::try_from(n).ok()?;
        (n > 0 && n <= max_out).then_some(n)
    }

    /// Decompresses `input` into exactly `out.len()` bytes; false if the stream is invalid or
    /// does not produce exactly that many bytes.
    pub(super) fn decompress(input: &[u8], out: &mut [u8]) -> bool {
        let (Ok(in_len), Ok(out_len)) = (c_uint::try_from(input.len()), c_uint::try_from(out.len())) else {
            return false;
        };
        // SAFETY: `input` is valid for reads of `in_len` bytes and `out` for writes of `out_len`
        // bytes; liblzf (built with CHECK_INPUT) checks every read and write against these
        // bounds, returning 0 on malformed input.
        let n = unsafe {
            lzf_sys::lzf_decompress(input.as_ptr().cast::<c_void>(), in_len, out.as_mut_ptr().cast::<c_void>(), out_len)
        };
        n == out_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        assert!(s.len().is_multiple_of(2), "odd hex literal");
        s.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
    }

    /// 100 bytes from a seeded generator; Redis's DUMP of it is `RANDOM100_DUMP`.
    const RANDOM100: &str =
        "52f22665a60c12d289185d950ee8813609166f6b113d178d6c0fd3901ff239a1a095f20f9395650cf9380b8edb22\
        4a6b248a1e924e8fd0ae2e1a9492a3305f188cb610900f9e347fae886dc6507795ec745c4c3fcb2eb2c73e14934c867ee057ba72499b";
    const RANDOM100_DUMP: &str = "004064\
        52f22665a60c12d289185d950ee8813609166f6b113d178d6c0fd3901ff239a1a095f20f9395650cf9380b8edb22\
        4a6b248a1e924e8fd0ae2e1a9492a3305f188cb610900f9e347fae886dc6507795ec745c4c3fcb2eb2c73e14934c867ee057ba72499b\
        0a00db0e6fc8069baca0";

    /// (value, DUMP payload from redis-server 7.0.15 with default configuration).
    fn redis_dumps() -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut cases: Vec<(Vec<u8>, Vec<u8>)> = [
            (&b"hello"[..], "000568656c6c6f0a006372df766534200a"),
            (b"12345", "00c139300a009d94ea2793fc08b9"),
            (b"-1", "00c0ff0a000c937e2485089dc5"),
            (b"4294967296", "000a343239343936373239360a00a5a389c81a8c4656"),
            (b"", "00000a005d9b5c400f7fa2da"),
            (b"0", "00c0000a009840a778f8500308"),
            (b"127", "00c07f0a000db5eb315254c514"),
            (b"128", "00c180000a00eb7ab3b510cf4b65"),
            (b"-128", "00c0800a009966326d2f0c5bd9"),
            (b"-129", "00c17fff0a001760822854808480"),
            (b"32767", "00c1ff7f0a00495a37da17f4d52b"),
            (b"32768", "00c2008000000a0045d82eedd5bda910"),
            (b"-32768", "00c100800a00b540064753bb1ace"),
            (b"-32769", "00c2ff7fffff0a00aee34c4d06c68536"),
            (b"2147483647", "00c2ffffff7f0a002c74e59ee02eada1"),
            (b"-2147483648", "00c2000000800a00c74f873e33558187"),
            (b"2147483648", "000a323134373438333634380a00e7b129a34c1d76ee"),
            (b"-2147483649", "000b2d323134373438333634390a00c261377908f2028c"),
            (b"12345678901", "000b31323334353637383930310a00304e52d727176510"),
            (b"007", "00033030370a007258e27b4c69bad9"),
            (b"-0", "00022d300a00d5411fd9d6d050cc"),
            (b"+5", "00022b350a0087d1480711b44cc2"),
            (b"aaaaaaaaaaaaaaaaaaaa", "001461616161616161616161616161616161616161610a0083b46b5e1b11acf1"),
            (b"aaaaaaaaaaaaaaaaaaaaa", "00c30615016161e00a000a00fd0cb36807413f68"),
            (&[b'a'; 64][..], "00c3094040016161e033000161610a00c3659612ce1cc46c"),
        ]
        .iter()
        .map(|(v, d)| (v.to_vec(), hex(d)))
        .collect();
        cases.push((
            b"abcdefghij".repeat(10),
            hex("00c31240640a6162636465666768696a61e04e0901696a0a00d485292a1f2eff66"),
        ));
        cases.push((hex(RANDOM100), hex(RANDOM100_DUMP)));
        cases
    }

    fn strs(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        items.iter().map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
    }

    /// (DUMP payload from redis-server 7.0.15, what it holds, thresholds it was made under).
    fn redis_collection_dumps() -> Vec<(Vec<u8>, Object, Encodings)> {
        let def = Encodings::default();
        let no_zset_listpack = Encodings { zset: ZSetLimits { entries: 0, value: 64 }, ..def };
        vec![
            // HSET h a 1 b hello c -5000 d 70000
            (
                hex("102525000000080081610201018162028568656c6c6f06816302f178ec03816402f270110104ff0a0025f47924c362300c"),
                Object::Hash {
                    pairs: pairs(&[("a", "1"), ("b", "hello"), ("c", "-5000"), ("d", "70000")]),
                    packed: true,
                },
                def,
            ),
            // HSET h f xxx... (70 bytes): a hash table, LZF value
            (
                hex("04010166c3094046017878e039000178780a003e6c955f2e52e7c1"),
                Object::Hash { pairs: vec![(b"f".to_vec(), vec![b'x'; 70])], packed: false },
                def,
            ),
            // RPUSH l a 1 b hello c -5000 d 70000 12345678901
            (
                hex("1201022f2f000000090081610201018162028568656c6c6f06816302f178ec03816402f270110104f4351cdcdf\
                    0200000009ff0a003265fd55c16a00d4"),
                Object::List(strs(&["a", "1", "b", "hello", "c", "-5000", "d", "70000", "12345678901"])),
                def,
            ),
            // RPUSH l '' xxx... (25 bytes) -1 9223372036854775807: the listpack is LZF-compressed
            (
                hex("120102c31b310931000000040080019978e00f00051adfff02f4ff8000027f09ff0a0008a362571a5fdc58"),
                Object::List(vec![Vec::new(), vec![b'x'; 25], b"-1".to_vec(), b"9223372036854775807".to_vec()]),
                def,
            ),
            // SADD s 1 5 -3
            (hex("0b0e0200000003000000fdff010005000a007e2b589563748fa4"), Object::Set(strs(&["-3", "1", "5"])), def),
            // SADD s a
            (hex("020101610a006296e97e44d21a6d"), Object::Set(strs(&["a"])), def),
            // A ZSET_2 {d: -0.0} restored, then dumped: Redis writes the score as the integer 0.
            (
                hex("110c0c00000002008164020001ff0a00e71bf614724062f4"),
                Object::ZSet { pairs: vec![(b"d".to_vec(), 0.0)], packed: true },
                def,
            ),
            // ZADD z 1 a 2.5 b -3 c with zset-max-listpack-entries 0: highest score first
            (
                hex("0503016200000000000004400161000000000000f03f016300000000000008c00a007dde396dd26c0a9e"),
                Object::ZSet {
                    pairs: vec![(b"b".to_vec(), 2.5), (b"a".to_vec(), 1.0), (b"c".to_vec(), -3.0)],
                    packed: false,
                },
                no_zset_listpack,
            ),
        ]
    }

    #[test]
    fn collection_payloads_match_redis() {
        for (payload, want, enc) in redis_collection_dumps() {
            let object = verify_payload(&payload).unwrap();
            let mut r = Reader::new(object);
            let t = r.object_type().unwrap();
            let got = read_object(&mut r, t).unwrap();
            assert!(r.is_at_end());
            assert_eq!(got, want);
            let value = got.into_value(&enc).unwrap();
            assert_eq!(dump_value(&value, true), payload, "{want:?}");
        }
    }

    #[test]
    fn duplicates_and_empty_collections_are_refused() {
        let enc = Encodings::default();
        let dup_set = Object::Set(strs(&["1", "2", "1"]));
        assert!(dup_set.into_value(&enc).is_none());
        let dup_big_set = Object::Set(strs(&["a", "b", "a"]));
        assert!(dup_big_set.into_value(&enc).is_none());
        let dup_hash = Object::Hash { pairs: pairs(&[("a", "1"), ("a", "2")]), packed: true };
        assert!(dup_hash.into_value(&enc).is_none());
        let dup_zset = Object::ZSet { pairs: vec![(b"m".to_vec(), 1.0), (b"m".to_vec(), 1.0)], packed: false };
        assert!(dup_zset.into_value(&enc).is_none());
        for object in [&[RDB_TYPE_LIST, 0][..], &[RDB_TYPE_SET, 0], &[RDB_TYPE_HASH, 0], &[RDB_TYPE_ZSET_2, 0]] {
            let payload = wrap_payload(object.to_vec());
            let err = read_payload_value(verify_payload(&payload).unwrap(), &enc).unwrap_err();
            assert!(matches!(err, RdbError::Corrupt { what: "empty collection", .. }), "{err}");
        }
        // An empty listpack, a NaN score, an odd listpack of pairs.
        let mut w = Writer::new();
        w.u8(RDB_TYPE_HASH_LISTPACK);
        w.string(&listpack::Builder::new().finish());
        assert!(read_payload_value(w.as_bytes(), &enc).is_err());
        let mut w = Writer::new();
        w.u8(RDB_TYPE_ZSET_2);
        w.len(1);
        w.string(b"m");
        w.f64_le(f64::NAN);
        assert!(read_payload_value(w.as_bytes(), &enc).is_err());
        let mut lp = listpack::Builder::new();
        lp.push(b"a");
        let mut w = Writer::new();
        w.u8(RDB_TYPE_ZSET_LISTPACK);
        w.string(&lp.finish());
        assert!(read_payload_value(w.as_bytes(), &enc).is_err());
    }

    #[test]
    fn encodings_follow_the_thresholds() {
        let small = Encodings {
            list_fill: 2,
            hash: HashLimits { entries: 2, value: 4 },
            set_max_intset_entries: 2,
            zset: ZSetLimits { entries: 2, value: 4 },
        };
        let enc = |o: Object| o.into_value(&small).unwrap().encoding();
        assert_eq!(enc(Object::Set(strs(&["1", "2"]))), "intset");
        assert_eq!(enc(Object::Set(strs(&["1", "2", "3"]))), "hashtable");
        assert_eq!(enc(Object::Set(strs(&["x"]))), "hashtable");
        assert_eq!(enc(Object::Hash { pairs: pairs(&[("a", "1")]), packed: false }), "listpack");
        assert_eq!(enc(Object::Hash { pairs: pairs(&[("a", "long value")]), packed: false }), "hashtable");
        // A packed payload stays packed whatever its lengths, as in Redis.
        assert_eq!(enc(Object::Hash { pairs: pairs(&[("a", "long value")]), packed: true }), "listpack");
        assert_eq!(
            enc(Object::Hash { pairs: pairs(&[("a", "1"), ("b", "2"), ("c", "3")]), packed: true }),
            "hashtable"
        );
        assert_eq!(enc(Object::ZSet { pairs: vec![(b"long member".to_vec(), 1.0)], packed: false }), "skiplist");
        assert_eq!(enc(Object::ZSet { pairs: vec![(b"long member".to_vec(), 1.0)], packed: true }), "listpack");
        let list = Object::List(strs(&["a", "b", "c"])).into_value(&small).unwrap();
        assert_eq!(list.as_list().unwrap().fill(), 2);
    }

    #[test]
    fn quicklist_nodes_are_cut_as_redis_cuts_them() {
        // 2000 10-byte strings under fill -2 (8 KiB): Redis 7.0.15 holds nodes of 681, 681, 638
        // (each entry takes 12 bytes, and quicklist counts 10 + 8 for the next one).
        let items: Vec<Vec<u8>> = (0..2000).map(|i| format!("s{i:09}").into_bytes()).collect();
        let refs: Vec<&[u8]> = items.iter().map(|i| &i[..]).collect();
        let sizes: Vec<usize> = quicklist_nodes(&refs, -2).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, [681, 681, 638]);
        // 10-digit integers take 6 bytes as listpack entries, but quicklist still counts 10 + 8.
        let ints: Vec<Vec<u8>> = (0..2000).map(|i| format!("{}", 1_000_000_000 + i).into_bytes()).collect();
        let refs_ints: Vec<&[u8]> = ints.iter().map(|i| &i[..]).collect();
        let sizes: Vec<usize> = quicklist_nodes(&refs_ints, -2).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, [1362, 638]);
        // A count fill: at most that many, and never past 8 KiB.
        let sizes: Vec<usize> = quicklist_nodes(&refs[..23], 5).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, [5, 5, 5, 5, 3]);
        let big = vec![b'b'; 5000];
        let sizes: Vec<usize> = quicklist_nodes(&[&big, &big, b"x"], 100).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, [1, 2]);
        assert!(quicklist_nodes(&[], -2).is_empty());
    }

    #[test]
    fn listpack_scores_are_spelled_as_redis_spells_them() {
        let mut buf = [0u8; 32];
        for (score, text) in [
            (1.0, "1"),
            (-3.0, "-3"),
            (0.0, "0"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (-2.5e-300, "-2.5e-300"),
            (1.0 / 3.0, "0.33333333333333331"),
            (4503599627370495.0, "4503599627370495"),
            (4503599627370496.0, "4503599627370496"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(std::str::from_utf8(score_text(score, &mut buf)).unwrap(), text, "{score}");
        }
    }

    #[test]
    fn collection_garbage_never_panics() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        let seeds: Vec<Vec<u8>> = redis_collection_dumps().into_iter().map(|(p, _, _)| p).collect();
        let enc = Encodings::default();
        for _ in 0..50_000 {
            let seed = &seeds[rng.below(seeds.len())];
            let mut object = seed[..seed.len() - 10].to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(object.len());
                object[at] = rng.next() as u8;
            }
            object.truncate(rng.below(object.len() + 4));
            if let Ok(v) = read_payload_value(&object, &enc) {
                let again = dump_value(&v, true);
                assert!(read_payload_value(verify_payload(&again).unwrap(), &enc).is_ok());
            }
        }
    }

    #[test]
    fn crc64_is_redis_crc64() {
        // Redis's own test vector (crc64.c).
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn dump_string_matches_redis() {
        for (value, payload) in redis_dumps() {
            assert_eq!(dump_string(&value), payload, "value {:?}", String::from_utf8_lossy(&value));
        }
    }

    #[test]
    fn redis_payloads_restore() {
        for (value, payload) in redis_dumps() {
            let object = verify_payload(&payload).unwrap();
            assert_eq!(object.len(), payload.len() - 10);
            assert_eq!(payload_object_type(object), Ok(RDB_TYPE_STRING));
            assert_eq!(read_string_object(object).unwrap(), value);
        }
    }

    #[test]
    fn integer_strings_keep_their_integer() {
        let payload = hex("00c2000000800a00c74f873e33558187");
        let object = verify_payload(&payload).unwrap();
        let mut r = Reader::new(&object[1..]);
        assert_eq!(r.string_value(), Ok(RdbString::Int(i64::from(i32::MIN))));
        assert!(r.is_at_end());
    }

    #[test]
    fn bad_footers_are_refused() {
        let good = dump_string(b"hello");
        let mut bad_crc = good.clone();
        *bad_crc.last_mut().unwrap() ^= 1;
        assert!(matches!(verify_payload(&bad_crc), Err(PayloadError::Checksum { .. })));
        let mut bad_body = good.clone();
        bad_body[2] ^= 0x20;
        assert!(matches!(verify_payload(&bad_body), Err(PayloadError::Checksum { .. })));
        for len in 0..10 {
            assert_eq!(verify_payload(&good[good.len() - len..]), Err(PayloadError::TooShort { len }));
        }
        for len in 10..good.len() {
            assert!(verify_payload(&good[..len]).is_err(), "truncated to {len}");
        }
        // A newer RDB version is refused even with a right CRC; older ones are accepted.
        let with_version = |version: u16| {
            let mut p = vec![RDB_TYPE_STRING, 5];
            p.extend_from_slice(b"hello");
            p.extend_from_slice(&version.to_le_bytes());
            let crc = crc64(&p);
            p.extend_from_slice(&crc.to_le_bytes());
            p
        };
        assert_eq!(with_version(10), good);
        assert_eq!(verify_payload(&with_version(12)), Err(PayloadError::Version { version: 12 }));
        assert_eq!(verify_payload(&with_version(0xffff)), Err(PayloadError::Version { version: 0xffff }));
        for version in [0, 1, 9, 11] {
            let p = with_version(version);
            assert_eq!(read_string_object(verify_payload(&p).unwrap()).unwrap(), b"hello");
        }
    }

    #[test]
    fn bad_objects_are_refused() {
        // Each passes the footer check (RESTORE says "Bad data format" for them).
        let cases: [(&[u8], RdbError); 9] = [
            (b"", RdbError::Truncated { offset: 0 }),
            (b"\x08\x05hello", RdbError::BadType { offset: 0, tag: 8 }),
            (b"\x16\x05hello", RdbError::BadType { offset: 0, tag: 22 }),
            (b"\x02\x00", RdbError::UnexpectedType { offset: 0, expected: 0, found: 2 }),
            (b"\x00\x05hell", RdbError::LengthTooLarge { offset: 1, len: 5, remaining: 4 }),
            (b"\x00\x82hello", RdbError::BadLength { offset: 1, tag: 0x82 }),
            (b"\x00\xc4hello", RdbError::BadEncoding { offset: 1, tag: 0xc4 }),
            (b"\x00\xc1\x05", RdbError::Truncated { offset: 2 }),
            (b"\x00\xc3\x02\x05\x00a", RdbError::BadLzf { offset: 1 }),
        ];
        for (object, err) in cases {
            let payload = wrap_payload(object.to_vec());
            let object = verify_payload(&payload).unwrap();
            assert_eq!(read_string_object(object), Err(err), "{object:02x?}");
        }
    }

    #[test]
    fn lengths_round_trip_in_the_shortest_form() {
        for (len, size) in [
            (0u64, 1usize),
            (63, 1),
            (64, 2),
            (16383, 2),
            (16384, 5),
            (u64::from(u32::MAX), 5),
            (u64::from(u32::MAX) + 1, 9),
            (u64::MAX, 9),
        ] {
            let mut w = Writer::new();
            w.len(len);
            let bytes = w.into_inner();
            assert_eq!(bytes.len(), size, "{len}");
            let mut r = Reader::new(&bytes);
            assert_eq!(r.len(), Ok(len));
            assert!(r.is_at_end());
        }
        // Redis's writer never uses a longer form than needed, but its reader takes any.
        assert_eq!(Reader::new(&[0x80, 0, 0, 0, 5]).len(), Ok(5));
        assert_eq!(Reader::new(&[0x81, 0, 0, 0, 0, 0, 0, 0, 5]).len(), Ok(5));
        assert_eq!(Reader::new(&[0xc0]).len(), Err(RdbError::BadLength { offset: 0, tag: 0xc0 }));
        assert_eq!(Reader::new(&[0xc0]).length(), Ok(Length::Encoded(RDB_ENC_INT8)));
        assert_eq!(Reader::new(&[0x40]).len(), Err(RdbError::Truncated { offset: 1 }));
        assert_eq!(Reader::with_base(&[0x81, 0], 100).len(), Err(RdbError::Truncated { offset: 101 }));
    }

    #[test]
    fn counts_are_bounded_by_the_input() {
        assert_eq!(Reader::new(&[3, 1, 2, 3]).count(1), Ok(3));
        assert_eq!(
            Reader::new(&[3, 1, 2, 3]).count(2),
            Err(RdbError::LengthTooLarge { offset: 0, len: 3, remaining: 3 })
        );
        let mut huge = vec![RDB_64BITLEN];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(Reader::new(&huge).count(0), Err(RdbError::LengthTooLarge { len: u64::MAX, .. })));
    }

    #[test]
    fn primitives_round_trip() {
        let mut w = Writer::new();
        w.u8(7);
        w.u16_le(0x1234);
        w.u32_le(0xdead_beef);
        w.u64_le(u64::MAX - 1);
        w.f64_le(-1.5);
        w.bytes(b"xyz");
        w.int_string(-5);
        w.int_string(i64::MAX);
        w.int_string(70000);
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.u16_le(), Ok(0x1234));
        assert_eq!(r.u32_le(), Ok(0xdead_beef));
        assert_eq!(r.u64_le(), Ok(u64::MAX - 1));
        assert_eq!(r.f64_le(), Ok(-1.5));
        assert_eq!(r.peek_u8(), Ok(b'x'));
        assert_eq!(r.bytes(3), Ok(&b"xyz"[..]));
        assert_eq!(r.string_value(), Ok(RdbString::Int(-5)));
        assert_eq!(r.string_value(), Ok(RdbString::Raw(i64::MAX.to_string().as_bytes())));
        assert_eq!(r.string(), Ok(b"70000".to_vec()));
        assert!(r.is_at_end());
        assert_eq!(r.u8(), Err(RdbError::Truncated { offset: bytes.len() }));
        assert_eq!(r.peek_u8(), Err(RdbError::Truncated { offset: bytes.len() }));
    }

    #[test]
    fn strings_round_trip_in_every_encoding() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut values: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"x".to_vec(),
            b"hello world".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"a".repeat(21),
            b"abc".repeat(7000),
            (0..=255u8).cycle().take(100_000).collect(),
        ];
        for _ in 0..300 {
            let len = rng.below(3000);
            let alphabet = 1 + rng.below(255) as u8;
            values.push((0..len).map(|_| rng.below(alphabet as usize) as u8).collect());
        }
        for value in values {
            for compression in [true, false] {
                let mut w = Writer::new().with_compression(compression);
                w.string(&value);
                let bytes = w.into_inner();
                let lzf = bytes.first() == Some(&((RDB_ENCVAL << 6) | RDB_ENC_LZF));
                assert!(compression || !lzf);
                if lzf {
                    assert!(value.len() > 20 && bytes.len() < value.len());
                }
                let mut r = Reader::new(&bytes);
                assert_eq!(r.string().unwrap(), value);
                assert!(r.is_at_end());
            }
        }
    }

    #[test]
    fn compresses_long_repetitive_strings_only() {
        let mut w = Writer::new();
        w.string(&b"a".repeat(20));
        w.string(&b"a".repeat(21));
        w.string(&b"x".repeat(100_000));
        let bytes = w.into_inner();
        assert_eq!(bytes[0], 20);
        assert_eq!(bytes[21], 0xc3);
        let mut r = Reader::new(&bytes);
        r.string().unwrap();
        r.string().unwrap();
        let big = r.offset();
        assert_eq!(r.string().unwrap(), b"x".repeat(100_000));
        assert!(bytes.len() - big < 1200, "100000 x's take {} bytes", bytes.len() - big);
    }

    #[test]
    fn lzf_sizes_are_bounded() {
        // A 3-byte stream claiming a 1 GiB result is refused before anything is allocated.
        let mut object = vec![RDB_TYPE_STRING, 0xc3, 3, RDB_32BITLEN];
        object.extend_from_slice(&(1u32 << 30).to_be_bytes());
        object.extend_from_slice(&[0, b'a', 0]);
        assert_eq!(read_string_object(&object), Err(RdbError::BadLzf { offset: 1 }));
        // A compressed length beyond the input.
        assert_eq!(
            read_string_object(&[0, 0xc3, 9, 3, 0, b'a']),
            Err(RdbError::LengthTooLarge { offset: 1, len: 9, remaining: 2 })
        );
        // The most a stream can expand: one literal, then maximal back references.
        let mut stream = vec![0, b'z'];
        for _ in 0..10 {
            stream.extend_from_slice(&[0xe0, 0xff, 0x00]);
        }
        let len = 1 + 10 * 264;
        assert!(len as u64 <= LZF_MAX_EXPANSION * stream.len() as u64);
        let mut object = vec![0, 0xc3];
        let mut w = Writer::with_buffer(object);
        w.len(stream.len() as u64);
        w.len(len as u64);
        w.bytes(&stream);
        object = w.into_inner();
        assert_eq!(read_string_object(&object), Ok(vec![b'z'; len]));
        // The decompressed size must be exact, neither shorter nor longer.
        for wrong in [len - 1, len + 1] {
            let mut w = Writer::with_buffer(vec![0, 0xc3]);
            w.len(stream.len() as u64);
            w.len(wrong as u64);
            w.bytes(&stream);
            assert_eq!(read_string_object(&w.into_inner()), Err(RdbError::BadLzf { offset: 1 }));
        }
        // Redis accepts an LZF string of length 0 whatever its compressed bytes; so do we.
        assert_eq!(read_string_object(&[0, 0xc3, 2, 0, 0, b'a']), Ok(Vec::new()));
        assert_eq!(read_string_object(&[0, 0xc3, 0, 0]), Ok(Vec::new()));
    }

    #[test]
    fn trailing_bytes_after_the_object_are_ignored() {
        // As RESTORE does: only what the object needs is read.
        let payload = wrap_payload(b"\x00\x05helloXYZ".to_vec());
        assert_eq!(read_string_object(verify_payload(&payload).unwrap()), Ok(b"hello".to_vec()));
    }

    /// An RDB file written by redis-server 7.0.15 (`SAVE`, checked with redis-check-rdb): db 0
    /// holds ex="v" (expires 2100-01-01), int="12345", lzf="abcdefghij"x10, str="hello"; db 3
    /// holds big="-2147483648".
    const SMALL_RDB: &str =
        "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c2e1d407\
        6bfa08757365642d6d656dc298ba1100fa08616f662d62617365c000fe00fb0401fc00d8c32cbb0300000002657801760003696e\
        74c1393000036c7a66c31240640a6162636465666768696a61e04e0901696a00037374720568656c6c6ffe03fb01000003626967\
        c200000080ffed99fae0c94fd575";

    #[test]
    fn reads_the_strings_of_a_redis_rdb_file() {
        let file = hex(SMALL_RDB);
        let mut r = Reader::new(&file);
        assert_eq!(r.bytes(5), Ok(&RDB_MAGIC[..]));
        assert_eq!(r.bytes(4), Ok(&b"0010"[..]));
        let (mut db, mut expire, mut aux, mut keys) = (0, None, Vec::new(), Vec::new());
        loop {
            match r.u8().unwrap() {
                RDB_OPCODE_AUX => aux.push((r.string().unwrap(), r.string().unwrap())),
                RDB_OPCODE_SELECTDB => db = r.len().unwrap(),
                RDB_OPCODE_RESIZEDB => {
                    r.len().unwrap();
                    r.len().unwrap();
                }
                RDB_OPCODE_EXPIRETIME_MS => expire = Some(r.u64_le().unwrap()),
                RDB_OPCODE_EOF => break,
                RDB_TYPE_STRING => {
                    let key = r.string().unwrap();
                    keys.push((db, key, r.string().unwrap(), expire.take()));
                }
                other => panic!("unexpected type {other} at {}", r.offset() - 1),
            }
        }
        let end = r.offset();
        assert_eq!(r.u64_le(), Ok(crc64(&file[..end])));
        assert!(r.is_at_end());
        assert!(aux.contains(&(b"redis-ver".to_vec(), b"7.0.15".to_vec())));
        assert!(aux.contains(&(b"redis-bits".to_vec(), b"64".to_vec())));
        let s = |v: &str| v.as_bytes().to_vec();
        assert_eq!(
            keys,
            vec![
                (0, s("ex"), s("v"), Some(4102444800000)),
                (0, s("int"), s("12345"), None),
                (0, s("lzf"), b"abcdefghij".repeat(10), None),
                (0, s("str"), s("hello"), None),
                (3, s("big"), s("-2147483648"), None),
            ]
        );
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let seeds: Vec<Vec<u8>> = redis_dumps().into_iter().map(|(_, p)| p).collect();
        for i in 0..100_000 {
            let mut data: Vec<u8> = if i % 2 == 0 {
                let len = rng.below(48);
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                // A real payload with a few bytes changed, cut, or with its footer redone.
                let mut p = seeds[rng.below(seeds.len())].clone();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(p.len());
                    p[at] = rng.next() as u8;
                }
                p.truncate(rng.below(p.len() + 8));
                p
            };
            let _ = verify_payload(&data);
            let _ = read_string_object(&data);
            // Redo the footer so that the object is parsed behind a valid CRC.
            data.truncate(data.len().saturating_sub(10));
            let payload = wrap_payload(data.clone());
            let object = verify_payload(&payload).unwrap();
            let _ = read_string_object(object);
            let mut r = Reader::new(&data);
            while r.string_value().is_ok() {}
            let mut r = Reader::new(&data);
            let _ = r.count(rng.below(4));
            let _ = (r.length(), r.u64_le(), r.f64_le(), r.object_type());
        }
    }
}
