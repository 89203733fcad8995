//! One shard's Lua VM, set up as Redis 7.0 sets up its own.
//!
//! Lua 5.1 comes from mlua (vendored); everything that runs per call goes through Lua's C API
//! (`mlua::ffi`) so that a `redis.call` costs what Redis's costs, or less: no conversion layer,
//! no allocation for the argument list beyond one reused buffer.
//!
//! # The sandbox
//!
//! The globals are Redis 7.0.15's allow-list: Lua's base library without `print`, `getfenv`,
//! `setfenv`, `newproxy`, `loadfile` and `dofile`; `string`, `table`, `math` and `coroutine`;
//! `cjson`, `cmsgpack`, `bit`, `struct` and `redis`; no `os`, `io`, `debug`, `require`.
//!
//! Redis's patched Lua has read-only tables; stock 5.1 has not, so the same protection is built
//! from metatables:
//! - every library table a script sees is an empty proxy whose `__index` is the real table and
//!   whose `__newindex` raises "Attempt to modify a readonly table" at the script's line;
//! - scripts run with an empty environment whose `__index` is the real globals table and whose
//!   `__newindex` raises the same error (`x = 1` creates no global); the real globals table's
//!   own `__index` raises "Script attempted to access nonexistent global variable";
//! - `rawset`, `setmetatable` and `getmetatable` refuse or hide protected tables, and `pairs`,
//!   `next` and `rawget` see through a proxy to its table, so iterating `redis` or `_G` works
//!   as in Redis.
//!
//! `pcall` is Redis's: an error object that is a table with an `err` field comes back as that
//! string, which is what `redis.call`'s errors are.

use std::ffi::{c_char, c_int, CStr};

use mlua::ffi;
use mlua::ffi::lua_State;

/// Registry field: the table of protected tables (proxy or environment -> the real table).
const PROTECTED: &CStr = c"shardis.protected";
/// Registry field: the table of compiled scripts (sha -> function).
pub const SCRIPTS: &CStr = c"shardis.scripts";
/// Registry field: the environment scripts run in.
pub const ENV: &CStr = c"shardis.env";
/// Registry field: the error handler scripts run under.
pub const ERR_HANDLER: &CStr = c"shardis.errh";

/// Registry field: the registered functions (name -> callback).
pub const FUNCTIONS: &CStr = c"shardis.functions";
/// Registry field: the environment library code and functions run in.
pub const FN_ENV: &CStr = c"shardis.fnenv";
/// Registry field: the metatable of [`FN_ENV`] (its `__index` is switched while loading).
pub const FN_META: &CStr = c"shardis.fnmeta";
/// Registry fields: the globals functions see at run time, and while their library loads.
pub const G_FN: &CStr = c"shardis.gfn";
pub const G_LOAD: &CStr = c"shardis.gload";
/// Registry field: what `redis.register_function` collected during a load.
pub const PENDING: &CStr = c"shardis.pending";

/// The library tables scripts see read-only.
const LIBRARIES: &[&CStr] =
    &[c"string", c"table", c"math", c"coroutine", c"redis", c"cjson", c"cmsgpack", c"bit", c"struct"];

/// Base-library globals Redis removes.
const REMOVED: &[&CStr] = &[c"print", c"getfenv", c"setfenv", c"newproxy", c"loadfile", c"dofile"];

/// A library's `open`.
type OpenLib = fn(&mlua::Lua) -> mlua::Result<mlua::Table>;

pub struct Vm {
    /// Owns the state; dropped last.
    pub lua: mlua::Lua,
    pub state: *mut lua_State,
}

impl Vm {
    pub fn new(redis_version: &str, version_num: i64) -> Vm {
        let lua = mlua::Lua::new_with(
            mlua::StdLib::TABLE | mlua::StdLib::STRING | mlua::StdLib::MATH,
            mlua::LuaOptions::new(),
        )
        .expect("a Lua state with the standard libraries");
        let libs: [(&str, OpenLib); 4] = [
            ("cjson", super::libs::cjson::open),
            ("cmsgpack", super::libs::cmsgpack::open),
            ("bit", super::libs::bit::open),
            ("struct", super::libs::structlib::open),
        ];
        for (name, open) in libs {
            let table = open(&lua).expect("a scripting library");
            lua.globals().raw_set(name, table).expect("setting a global");
        }
        let state = lua.state();
        // SAFETY: `state` is the live main state of `lua`; every function below keeps the stack
        // balanced.
        unsafe {
            setup(state, redis_version, version_num);
        }
        Vm { lua, state }
    }

    /// Bytes the VM holds (INFO used_memory_lua).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// Pushes `s` (any bytes).
#[inline]
pub(crate) unsafe fn push_bytes(l: *mut lua_State, s: &[u8]) {
    ffi::lua_pushlstring_(l, s.as_ptr() as *const c_char, s.len());
}

/// The string at `idx` (a string or a number, which Lua converts in place), or None.
#[inline]
pub(crate) unsafe fn to_bytes<'a>(l: *mut lua_State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p as *const u8, len))
    }
}

/// Raises a table `{err = msg}` with `msg` already on top of the stack: the form
/// `redis.call`'s errors take (no position added; `pcall` turns it into the string).
pub(crate) unsafe fn raise_err_table(l: *mut lua_State) -> ! {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_insert(l, -2);
    ffi::lua_setfield(l, -2, c"err".as_ptr());
    ffi::lua_error(l)
}

/// Raises `{err = msg}` for a static message.
pub(crate) unsafe fn raise_static(l: *mut lua_State, msg: &CStr) -> ! {
    ffi::lua_pushstring_(l, msg.as_ptr());
    raise_err_table(l)
}

unsafe fn set_fn(l: *mut lua_State, name: &CStr, f: ffi::lua_CFunction) {
    ffi::lua_pushcfunction(l, f);
    ffi::lua_setfield(l, -2, name.as_ptr());
}

unsafe fn set_num(l: *mut lua_State, name: &CStr, n: f64) {
    ffi::lua_pushnumber(l, n);
    ffi::lua_setfield(l, -2, name.as_ptr());
}

/// Pushes the registry's `field`.
pub(crate) unsafe fn registry_get(l: *mut lua_State, field: &CStr) {
    ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, field.as_ptr());
}

/// Sets the registry's `field` to the value on top (popped).
pub(crate) unsafe fn registry_set(l: *mut lua_State, field: &CStr) {
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, field.as_ptr());
}

unsafe fn setup(l: *mut lua_State, redis_version: &str, version_num: i64) {
    let g = ffi::LUA_GLOBALSINDEX;
    for name in REMOVED {
        ffi::lua_pushnil(l);
        ffi::lua_setfield(l, g, name.as_ptr());
    }
    // math.random / math.randomseed on Redis's generator.
    ffi::lua_getfield_(l, g, c"math".as_ptr());
    set_fn(l, c"random", super::call::math_random);
    set_fn(l, c"randomseed", super::call::math_randomseed);
    ffi::lua_pop(l, 1);

    // The redis table.
    ffi::lua_createtable(l, 0, 32);
    set_fn(l, c"call", super::call::redis_call);
    set_fn(l, c"pcall", super::call::redis_pcall);
    set_fn(l, c"error_reply", redis_error_reply);
    set_fn(l, c"status_reply", redis_status_reply);
    set_fn(l, c"sha1hex", redis_sha1hex);
    set_fn(l, c"log", super::call::redis_log);
    set_fn(l, c"setresp", super::call::redis_setresp);
    set_fn(l, c"set_repl", redis_set_repl);
    set_fn(l, c"replicate_commands", redis_replicate_commands);
    set_fn(l, c"breakpoint", redis_breakpoint);
    set_fn(l, c"debug", redis_debug);
    set_fn(l, c"acl_check_cmd", super::call::redis_acl_check_cmd);
    for (name, n) in [
        (c"LOG_DEBUG", 0.0),
        (c"LOG_VERBOSE", 1.0),
        (c"LOG_NOTICE", 2.0),
        (c"LOG_WARNING", 3.0),
        (c"REPL_NONE", 0.0),
        (c"REPL_AOF", 1.0),
        (c"REPL_SLAVE", 2.0),
        (c"REPL_REPLICA", 2.0),
        (c"REPL_ALL", 3.0),
    ] {
        set_num(l, name, n);
    }
    push_bytes(l, redis_version.as_bytes());
    ffi::lua_setfield(l, -2, c"REDIS_VERSION".as_ptr());
    set_num(l, c"REDIS_VERSION_NUM", version_num as f64);
    ffi::lua_setfield(l, g, c"redis".as_ptr());

    ffi::lua_pushcfunction(l, error_handler);
    ffi::lua_pushvalue(l, -1);
    registry_set(l, ERR_HANDLER);
    ffi::lua_setfield(l, g, c"__redis__err__handler".as_ptr());

    // Protected tables: proxy -> real table.
    ffi::lua_createtable(l, 0, 16);
    let prot = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, prot);
    registry_set(l, PROTECTED);

    // Functions that must see through, or refuse, protected tables (upvalue 1: `prot`).
    for (name, f) in [
        (c"pcall", sb_pcall as ffi::lua_CFunction),
        (c"next", sb_next),
        (c"pairs", sb_pairs),
        (c"rawget", sb_rawget),
        (c"rawset", sb_rawset),
        (c"setmetatable", sb_setmetatable),
        (c"getmetatable", sb_getmetatable),
    ] {
        ffi::lua_pushvalue(l, prot);
        ffi::lua_pushcclosure(l, f, 1);
        ffi::lua_setfield(l, g, name.as_ptr());
    }

    // The proxies' shared metatable pieces.
    for name in LIBRARIES {
        ffi::lua_getfield_(l, g, name.as_ptr());
        make_proxy(l, prot);
        ffi::lua_setfield(l, g, name.as_ptr());
    }

    // The environment scripts run in: empty, reads fall through to the globals.
    ffi::lua_createtable(l, 0, 0);
    let env = ffi::lua_gettop(l);
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushvalue(l, g);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushcfunction(l, readonly_newindex);
    ffi::lua_setfield(l, -2, c"__newindex".as_ptr());
    ffi::lua_setmetatable(l, env);
    protect(l, prot, env, g);
    protect(l, prot, g, g);
    ffi::lua_pushvalue(l, env);
    ffi::lua_setfield(l, g, c"_G".as_ptr());
    ffi::lua_pushvalue(l, env);
    registry_set(l, ENV);
    ffi::lua_pop(l, 1); // env

    // Reading a missing global is an error.
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcfunction(l, missing_global);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_setmetatable(l, g);

    setup_functions(l, prot);

    ffi::lua_pop(l, 1); // prot

    ffi::lua_createtable(l, 0, 0);
    registry_set(l, SCRIPTS);
    ffi::lua_createtable(l, 0, 0);
    registry_set(l, FUNCTIONS);
    ffi::lua_sethook(l, Some(super::call::hook), ffi::LUA_MASKCOUNT, HOOK_EVERY);
}

/// Instructions between two looks at the kill flag (about a millisecond of Lua).
pub(crate) const HOOK_EVERY: c_int = 100_000;

/// Records in `prot` that the table at `table` is protected and reads through to `real`.
unsafe fn protect(l: *mut lua_State, prot: c_int, table: c_int, real: c_int) {
    ffi::lua_pushvalue(l, table);
    ffi::lua_pushvalue(l, real);
    ffi::lua_rawset(l, prot);
}

/// Pushes a read-only proxy of the table on top (which it replaces), registered in `prot`.
unsafe fn make_proxy(l: *mut lua_State, prot: c_int) {
    let real = ffi::lua_gettop(l);
    ffi::lua_createtable(l, 0, 0);
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushvalue(l, real);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushcfunction(l, readonly_newindex);
    ffi::lua_setfield(l, -2, c"__newindex".as_ptr());
    ffi::lua_setmetatable(l, -2);
    protect(l, prot, ffi::lua_gettop(l), real);
    ffi::lua_replace(l, real);
}

/// Gives the table on top a metatable whose `__index` raises the missing-global error.
unsafe fn missing_is_error(l: *mut lua_State) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcfunction(l, missing_global);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_setmetatable(l, -2);
}

/// FUNCTION's environments, as Redis 7.0 has them. Library code and its functions share one
/// environment whose reads go to the load-time globals while the library loads (only `redis`,
/// with `register_function`, `log` and the constants) and to the run-time globals afterwards
/// (the scripts' globals without KEYS, ARGV and the error handler; `redis` without
/// `breakpoint`, `debug` and `replicate_commands`), so a helper the library defines sees the
/// right globals whenever it runs.
unsafe fn setup_functions(l: *mut lua_State, prot: c_int) {
    let g = ffi::LUA_GLOBALSINDEX;
    // The real redis table (behind its proxy).
    ffi::lua_getfield_(l, g, c"redis".as_ptr());
    ffi::lua_rawget_(l, prot);
    let real_redis = ffi::lua_gettop(l);

    // Run-time redis: a copy without the debugger's functions.
    ffi::lua_createtable(l, 0, 32);
    let redis_fn = ffi::lua_gettop(l);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, real_redis) != 0 {
        let skip = to_bytes(l, -2).is_some_and(|k| matches!(k, b"breakpoint" | b"debug" | b"replicate_commands"));
        if skip {
            ffi::lua_pop(l, 1);
        } else {
            ffi::lua_pushvalue(l, -2);
            ffi::lua_insert(l, -2);
            ffi::lua_rawset(l, redis_fn);
        }
    }
    make_proxy(l, prot);

    // Run-time globals.
    ffi::lua_createtable(l, 0, 64);
    let g_fn = ffi::lua_gettop(l);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, g) != 0 {
        let skip = to_bytes(l, -2)
            .is_some_and(|k| matches!(k, b"KEYS" | b"ARGV" | b"__redis__err__handler" | b"_G" | b"redis"));
        if skip || ffi::lua_type(l, -2) != ffi::LUA_TSTRING {
            ffi::lua_pop(l, 1);
        } else {
            ffi::lua_pushvalue(l, -2);
            ffi::lua_insert(l, -2);
            ffi::lua_rawset(l, g_fn);
        }
    }
    ffi::lua_pushvalue(l, redis_fn);
    ffi::lua_setfield(l, g_fn, c"redis".as_ptr());
    missing_is_error(l);
    protect(l, prot, g_fn, g_fn);

    // Load-time redis and globals.
    ffi::lua_createtable(l, 0, 8);
    set_fn(l, c"register_function", super::functions::register_function);
    set_fn(l, c"log", super::call::redis_log);
    for name in [c"LOG_DEBUG", c"LOG_VERBOSE", c"LOG_NOTICE", c"LOG_WARNING", c"REDIS_VERSION", c"REDIS_VERSION_NUM"] {
        ffi::lua_getfield_(l, real_redis, name.as_ptr());
        ffi::lua_setfield(l, -2, name.as_ptr());
    }
    missing_is_error(l);
    make_proxy(l, prot);
    let redis_load = ffi::lua_gettop(l);
    ffi::lua_createtable(l, 0, 1);
    let g_load = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, redis_load);
    ffi::lua_setfield(l, g_load, c"redis".as_ptr());
    missing_is_error(l);
    protect(l, prot, g_load, g_load);

    // The shared environment.
    ffi::lua_createtable(l, 0, 0);
    let env = ffi::lua_gettop(l);
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushvalue(l, g_fn);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushcfunction(l, readonly_newindex);
    ffi::lua_setfield(l, -2, c"__newindex".as_ptr());
    ffi::lua_pushvalue(l, -1);
    registry_set(l, FN_META);
    ffi::lua_setmetatable(l, env);
    protect(l, prot, env, g_fn);
    ffi::lua_pushvalue(l, env);
    ffi::lua_setfield(l, g_fn, c"_G".as_ptr());
    ffi::lua_pushvalue(l, env);
    registry_set(l, FN_ENV);

    ffi::lua_pushvalue(l, g_fn);
    registry_set(l, G_FN);
    ffi::lua_pushvalue(l, g_load);
    registry_set(l, G_LOAD);
    ffi::lua_settop(l, real_redis - 1);
}

/// Points the functions' environment at the load-time globals (`loading`) or back at the
/// run-time ones.
pub(crate) unsafe fn functions_loading(l: *mut lua_State, loading: bool) {
    registry_get(l, FN_META);
    registry_get(l, if loading { G_LOAD } else { G_FN });
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pop(l, 1);
    // pairs(_G) follows: the protected map sends the environment to the same table.
    registry_get(l, PROTECTED);
    registry_get(l, FN_ENV);
    registry_get(l, if loading { G_LOAD } else { G_FN });
    ffi::lua_rawset(l, -3);
    ffi::lua_pop(l, 1);
}

/// `__newindex` of every protected table.
unsafe extern "C-unwind" fn readonly_newindex(l: *mut lua_State) -> c_int {
    ffi::luaL_where(l, 1);
    ffi::lua_pushstring_(l, c"Attempt to modify a readonly table".as_ptr());
    ffi::lua_concat(l, 2);
    ffi::lua_error(l)
}

/// `__index` of the real globals table.
unsafe extern "C-unwind" fn missing_global(l: *mut lua_State) -> c_int {
    ffi::luaL_where(l, 1);
    ffi::lua_pushstring_(l, c"Script attempted to access nonexistent global variable '".as_ptr());
    match ffi::lua_type(l, 2) {
        ffi::LUA_TSTRING | ffi::LUA_TNUMBER => ffi::lua_pushvalue(l, 2),
        _ => ffi::lua_pushstring_(l, c"?".as_ptr()),
    }
    ffi::lua_pushstring_(l, c"'".as_ptr());
    ffi::lua_concat(l, 4);
    ffi::lua_error(l)
}

/// Replaces the value at `idx` by the real table when it is a protected proxy.
unsafe fn unwrap_proxy(l: *mut lua_State, idx: c_int) {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        return;
    }
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget_(l, ffi::lua_upvalueindex(1));
    if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        ffi::lua_replace(l, idx);
    } else {
        ffi::lua_pop(l, 1);
    }
}

unsafe fn is_protected(l: *mut lua_State, idx: c_int) -> bool {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        return false;
    }
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget_(l, ffi::lua_upvalueindex(1));
    let protected = ffi::lua_type(l, -1) != ffi::LUA_TNIL;
    ffi::lua_pop(l, 1);
    protected
}

unsafe extern "C-unwind" fn sb_next(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::lua_settop(l, 2);
    unwrap_proxy(l, 1);
    if ffi::lua_next(l, 1) != 0 {
        2
    } else {
        ffi::lua_pushnil(l);
        1
    }
}

unsafe extern "C-unwind" fn sb_pairs(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    unwrap_proxy(l, 1);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_pushcclosure(l, sb_next, 1);
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushnil(l);
    3
}

unsafe extern "C-unwind" fn sb_rawget(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(l, 2);
    ffi::lua_settop(l, 2);
    unwrap_proxy(l, 1);
    ffi::lua_rawget_(l, 1);
    1
}

unsafe extern "C-unwind" fn sb_rawset(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(l, 2);
    ffi::luaL_checkany(l, 3);
    if is_protected(l, 1) {
        ffi::lua_pushstring_(l, c"Attempt to modify a readonly table".as_ptr());
        ffi::lua_error(l);
    }
    ffi::lua_settop(l, 3);
    ffi::lua_rawset(l, 1);
    1
}

unsafe extern "C-unwind" fn sb_setmetatable(l: *mut lua_State) -> c_int {
    let t = ffi::lua_type(l, 2);
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    if t != ffi::LUA_TNIL && t != ffi::LUA_TTABLE {
        ffi::luaL_argerror(l, 2, c"nil or table expected".as_ptr());
    }
    if is_protected(l, 1) {
        ffi::lua_pushstring_(l, c"Attempt to modify a readonly table".as_ptr());
        ffi::lua_error(l);
    }
    if ffi::luaL_getmetafield(l, 1, c"__metatable".as_ptr()) != 0 {
        ffi::luaL_error(l, c"cannot change a protected metatable".as_ptr());
    }
    ffi::lua_settop(l, 2);
    ffi::lua_setmetatable(l, 1);
    1
}

unsafe extern "C-unwind" fn sb_getmetatable(l: *mut lua_State) -> c_int {
    ffi::luaL_checkany(l, 1);
    if is_protected(l, 1) || ffi::lua_getmetatable(l, 1) == 0 {
        ffi::lua_pushnil(l);
        return 1;
    }
    ffi::luaL_getmetafield(l, 1, c"__metatable".as_ptr());
    1
}

/// Redis's pcall: like Lua's, except that an error table with an `err` field comes back as
/// that field.
unsafe extern "C-unwind" fn sb_pcall(l: *mut lua_State) -> c_int {
    ffi::luaL_checkany(l, 1);
    let status = ffi::lua_pcall(l, ffi::lua_gettop(l) - 1, ffi::LUA_MULTRET, 0);
    // The call may have left more results than this function's stack allows for.
    ffi::luaL_checkstack(l, 2, std::ptr::null());
    if status == 0 {
        ffi::lua_pushboolean(l, 1);
        ffi::lua_insert(l, 1);
        return ffi::lua_gettop(l);
    }
    if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        ffi::lua_getfield_(l, -1, c"err".as_ptr());
        if ffi::lua_type(l, -1) != ffi::LUA_TNIL {
            ffi::lua_replace(l, -2);
        } else {
            ffi::lua_pop(l, 1);
        }
    }
    ffi::lua_pushboolean(l, 0);
    ffi::lua_insert(l, -2);
    2
}

/// The error handler scripts run under: it records where the error was raised (the innermost
/// frame of the script itself) and returns `{e = <error>, line = N}`.
unsafe extern "C-unwind" fn error_handler(l: *mut lua_State) -> c_int {
    let mut line = 0;
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut level = 0;
    while ffi::lua_getstack(l, level, &mut ar) != 0 {
        ffi::lua_getinfo(l, c"Sl".as_ptr(), &mut ar);
        let source = CStr::from_ptr(ar.source).to_bytes();
        if ar.currentline > 0 && (source.starts_with(b"@user_script") || source.starts_with(b"@user_function")) {
            line = ar.currentline;
            break;
        }
        level += 1;
    }
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushvalue(l, 1);
    ffi::lua_setfield(l, -2, c"e".as_ptr());
    ffi::lua_pushnumber(l, line as f64);
    ffi::lua_setfield(l, -2, c"line".as_ptr());
    1
}

/// redis.error_reply(msg): `{err = msg}`, a leading `-` taken off and, as Redis does, the
/// generic code put before a message of one word (which has no code of its own).
unsafe extern "C-unwind" fn redis_error_reply(l: *mut lua_State) -> c_int {
    if ffi::lua_gettop(l) == 1 && ffi::lua_type(l, 1) == ffi::LUA_TSTRING {
        let msg = to_bytes(l, 1).unwrap_or_default();
        let msg = msg.strip_prefix(b"-").unwrap_or(msg);
        if memchr::memchr(b' ', msg).is_none() {
            ffi::lua_pushstring_(l, c"ERR ".as_ptr());
            push_bytes(l, msg);
            ffi::lua_concat(l, 2);
        } else {
            push_bytes(l, msg);
        }
        ffi::lua_replace(l, 1);
    }
    reply_table(l, c"err")
}

/// redis.status_reply(msg): `{ok = msg}`.
unsafe extern "C-unwind" fn redis_status_reply(l: *mut lua_State) -> c_int {
    reply_table(l, c"ok")
}

unsafe fn reply_table(l: *mut lua_State, field: &CStr) -> c_int {
    if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, 1) != ffi::LUA_TSTRING {
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushstring_(l, c"ERR wrong number or type of arguments".as_ptr());
        ffi::lua_setfield(l, -2, c"err".as_ptr());
        return 1;
    }
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushvalue(l, 1);
    ffi::lua_setfield(l, -2, field.as_ptr());
    1
}

/// redis.sha1hex(s)
unsafe extern "C-unwind" fn redis_sha1hex(l: *mut lua_State) -> c_int {
    if ffi::lua_gettop(l) != 1 {
        raise_static(l, c"ERR wrong number of arguments");
    }
    let hex = super::sha1_hex(to_bytes(l, 1).unwrap_or_default());
    push_bytes(l, &hex);
    1
}

/// redis.set_repl(flags): effects are always replicated as a whole here; the argument is
/// checked as Redis checks it.
unsafe extern "C-unwind" fn redis_set_repl(l: *mut lua_State) -> c_int {
    if ffi::lua_gettop(l) != 1 {
        raise_static(l, c"ERR redis.set_repl() requires two arguments.");
    }
    let flags = ffi::lua_tonumber(l, 1) as i64;
    if !(0..=3).contains(&flags) {
        raise_static(l, c"ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    }
    0
}

/// redis.replicate_commands(): always on since 7.0.
unsafe extern "C-unwind" fn redis_replicate_commands(l: *mut lua_State) -> c_int {
    ffi::lua_pushboolean(l, 1);
    1
}

/// redis.breakpoint(): false, no debugger is attached.
unsafe extern "C-unwind" fn redis_breakpoint(l: *mut lua_State) -> c_int {
    ffi::lua_pushboolean(l, 0);
    1
}

/// redis.debug(...): nothing without a debugger.
unsafe extern "C-unwind" fn redis_debug(_l: *mut lua_State) -> c_int {
    0
}
