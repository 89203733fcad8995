//! Persistence: Redis's RDB format. Today it serves DUMP and RESTORE payloads; the per-shard
//! snapshot writer and the loader build on the same [`rdb::Reader`] and [`rdb::Writer`].

pub mod rdb;
