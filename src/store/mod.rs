//! Value types and the keyspace table: no I/O, no async, no server state.

pub mod blob;
pub mod hash;
pub mod list;
pub mod packed;
pub mod set;
pub mod stream;
pub mod table;
pub mod value;
pub mod zset;
