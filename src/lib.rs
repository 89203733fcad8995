//! shardis: a Redis-compatible cache server built thread-per-core.
//!
//! # Architecture in one page
//!
//! The process runs N shards. Shard i is one OS thread pinned to CPU (i mod n) of the process's
//! affinity mask, with its own io_uring ring (`SINGLE_ISSUER` + `DEFER_TASKRUN`, so completions
//! are reaped only when the shard asks and packets never interrupt it with IPIs), its own
//! listening sockets on the shared port (SO_REUSEPORT; the kernel spreads connections) and its
//! own part of the keyspace. A connection lives and dies on the core that accepted it.
//!
//! A key belongs to exactly one shard: key -> hash slot (CRC16 mod 16384 with Redis Cluster's
//! `{hash tag}` rule) -> shard, each shard owning one contiguous range of slots.
//!
//! Shards share nothing mutable. They talk only through the [`shard::mesh`]: one lock-free queue
//! per shard plus an eventfd watched by that shard's ring. A command whose key lives on the
//! connection's own shard runs in place; one whose key lives elsewhere travels there, and
//! consecutive commands for the same remote shard travel as one batch and come back as one reply
//! buffer. A connection's commands take effect in the order it sent them: a command is looked at
//! only after every earlier command of that connection has run.
//!
//! Process-wide facts that every shard must agree on (configuration set with CONFIG SET, client
//! pauses, shutdown) are broadcast as messages; each shard keeps its own copy. The few truly global
//! counters (next client id, number of MONITOR clients) are atomics, never locks.
//!
//! # Where things live
//!
//! - [`protocol`]: RESP2/RESP3 parsing and encoding; depends on nothing else in the crate.
//! - [`config`]: typed configuration from redis.conf-style files and `--directive value` flags.
//! - [`server`]: listeners, the per-core event loop, connections and pipelining.
//! - [`shard`]: what one core owns (keyspace, stats, slow log), routing, and the mesh.
//! - [`commands`]: one file per command family, each ending with its spec table.
//! - [`coord`]: commands that span shards: intent locks and transactions ([`coord::Tx`]),
//!   MULTI/EXEC ([`coord::multi`]), WATCH ([`coord::watch`]) and the one waiting mechanism of
//!   every blocking command ([`coord::block`]).
//! - [`pubsub`]: channels, patterns and shard channels across shards (each shard's directory).
//! - [`store`]: value types and the keyspace table; no I/O.
//! - [`persistence`]: the RDB format: DUMP/RESTORE payloads and per-shard snapshots.
//! - [`error`]: command errors and their exact Redis texts.
//! - [`log`]: Redis-style log lines.
//! - [`clock`]: the cheap clock that times every command.
//! - [`crash`]: a panic on any shard stops the whole process, logging the shard and command.

pub mod acl;
pub mod clock;
pub mod commands;
pub mod config;
pub mod coord;
pub mod crash;
pub mod error;
pub mod log;
pub mod memory;
pub mod persistence;
pub mod protocol;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod shard;
pub mod store;

/// The version reported to clients (`INFO`, `HELLO`): clients gate features on it.
pub const REDIS_VERSION: &str = "7.2.4";
/// shardis's own version.
pub const SHARDIS_VERSION: &str = env!("CARGO_PKG_VERSION");
