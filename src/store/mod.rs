//! Value types and the keyspace table: no I/O, no async, no server state.

pub mod plain_table;
pub mod value;

pub use plain_table as table;
