//! The libraries Redis loads into its Lua VM besides Lua's own base, table, string and math:
//! `cjson`, `cmsgpack`, `bit` and `struct`. Each `open` builds the library's table; the caller
//! installs it as a global and makes it read-only, as Redis does.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;
