//! Persistence: Redis's RDB format, for DUMP and RESTORE payloads and for snapshots (a file per
//! shard, written by SAVE and by a fork-free BGSAVE, loaded at start), all on the same
//! [`rdb::Reader`] and [`rdb::Writer`].
//!
//! - [`rdb`]: lengths, strings, the object codec ([`rdb::read_object`], [`rdb::write_object`])
//!   and the DUMP payload around one object.
//! - [`listpack`]: Redis's listpack blob, written byte for byte and read with deep validation.
//! - [`ziplist`]: the older blobs (ziplist, zipmap) read for compatibility, and the intset.
//! - [`stream`]: the stream object (node listpacks, metadata, consumer groups).
//! - [`snapshot`]: a set of per-shard files and its manifest: SAVE's and BGSAVE's writers, the
//!   loader at start.
//! - [`file`]: whole RDB files: one shard's snapshot written as Redis 7.0 writes a file, and
//!   any file Redis 1.x to 7.4 writes read back.

pub mod file;
pub mod listpack;
pub mod rdb;
pub mod snapshot;
pub mod stream;
pub mod ziplist;
