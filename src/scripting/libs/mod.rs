//! The libraries Redis loads into its Lua VM besides Lua's own base, table, string and math:
//! `cjson`, `cmsgpack`, `bit` and `struct`. Each `open` builds the library's table; the caller
//! installs it as a global and makes it read-only, as Redis does.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;

use mlua::{ffi, Lua, Result, Table};

/// A library table of C functions (what bit, struct and cmsgpack are: their errors must reach a
/// script's `pcall` as Lua strings, as Redis's do, which mlua's Rust callbacks would wrap).
pub(crate) fn c_functions(lua: &Lua, functions: &[(&str, ffi::lua_CFunction)]) -> Result<Table> {
    let table = lua.create_table()?;
    for &(name, function) in functions {
        // SAFETY: each function follows the Lua C-function protocol, reads its arguments with
        // Lua's checked accessors and holds nothing with a destructor when Lua raises an error.
        table.set(name, unsafe { lua.create_c_function(function)? })?;
    }
    Ok(table)
}

/// What the libraries' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use mlua::{Lua, LuaOptions, StdLib};

    /// A VM with Lua's base, table, string and math libraries and `name` set to `open`'s table.
    pub fn vm(name: &str, open: fn(&Lua) -> mlua::Result<mlua::Table>) -> Lua {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default()).unwrap();
        lua.globals().set(name, open(&lua).unwrap()).unwrap();
        lua
    }

    /// Runs each snippet (a Redis EVAL body returning a string) after `prelude` (on the same
    /// line, so line numbers are kept) in a VM with library `name`, its chunk named as Redis
    /// names EVAL scripts, and compares with what Redis 7.0.15 returned for
    /// `redis-cli --raw eval "<prelude> <snippet>" 0`.
    pub fn check(name: &str, open: fn(&Lua) -> mlua::Result<mlua::Table>, prelude: &str, cases: &[(&str, &str)]) {
        let lua = vm(name, open);
        for (snippet, expected) in cases {
            let code = if prelude.is_empty() { snippet.to_string() } else { format!("{prelude} {snippet}") };
            let got: mlua::LuaString =
                lua.load(code).set_name("@user_script").eval().unwrap_or_else(|e| panic!("{snippet}: {e}"));
            let got = String::from_utf8_lossy(&got.as_bytes()).into_owned();
            assert_eq!(got, *expected, "{snippet}");
        }
    }
}
