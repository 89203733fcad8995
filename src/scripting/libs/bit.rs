//! Not written yet.

use mlua::{Lua, Result, Table};

/// Builds the library's table.
pub fn open(lua: &Lua) -> Result<Table> {
    lua.create_table()
}
