//! FUNCTION libraries: `#!lua name=` code whose `redis.register_function` calls define
//! functions that FCALL runs. Every shard holds the same libraries: a load is checked on the
//! connection's shard, then repeated on every other one before the reply (the code is
//! deterministic and the same checks passed, so it succeeds there too).

use std::collections::BTreeMap;
use std::ffi::c_int;
use std::sync::Arc;

use mlua::ffi;
use mlua::ffi::lua_State;

use super::vm::{self, push_bytes, raise_static, registry_get, registry_set, to_bytes};
use super::{script_flag, Scripting};

/// One function of a library.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
}

/// One loaded library.
#[derive(Clone, Debug)]
pub struct Library {
    pub name: String,
    pub code: Arc<[u8]>,
    pub functions: Vec<Function>,
}

/// Flags `register_function` accepts, by name, in the order FUNCTION LIST shows them.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (script_flag::NO_WRITES, "no-writes"),
    (script_flag::ALLOW_OOM, "allow-oom"),
    (script_flag::ALLOW_STALE, "allow-stale"),
    (script_flag::NO_CLUSTER, "no-cluster"),
    (script_flag::ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
];

const BAD_NAME: &str =
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The library name from the code's `#!lua name=...` line, as Redis 7.0 reads it.
pub fn library_name(code: &[u8]) -> Result<String, String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let end = memchr::memchr(b'\n', code).unwrap_or(code.len());
    let line = String::from_utf8_lossy(&code[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    let mut name = None;
    for part in parts {
        match part.strip_prefix("name=") {
            Some(_) if name.is_some() => {
                return Err("ERR Invalid metadata value, name argument was given multiple times".into())
            }
            Some(n) => name = Some(n.to_string()),
            None => return Err(format!("ERR Invalid metadata value given: {part}")),
        }
    }
    let name = name.ok_or_else(|| "ERR Library name was not given".to_string())?;
    if !valid_name(name.as_bytes()) {
        return Err(BAD_NAME.into());
    }
    Ok(name)
}

/// A shard's libraries and the function names they define.
#[derive(Default)]
pub struct Libraries {
    pub by_name: BTreeMap<String, Library>,
    /// Function name -> (library, flags).
    pub functions: hashbrown::HashMap<String, (String, u32)>,
    /// Functions that escalated here lately, with how many more runs hold every shard (see
    /// `Scripting::wide_turn`).
    pub wide: hashbrown::HashMap<String, u8>,
}

impl Libraries {
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }
}

impl Scripting {
    /// FUNCTION LOAD [REPLACE] on this shard: runs the library's code in this VM, checks what
    /// it registered, and installs it. Returns the library's name.
    pub fn load_library(&mut self, code: Arc<[u8]>, replace: bool) -> Result<String, String> {
        let name = library_name(&code)?;
        if !replace && self.libraries.by_name.contains_key(&name) {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let l = self.vm().state;
        // SAFETY: this VM's own state; the stack is put back to `base` on every path.
        let registered = unsafe {
            let base = ffi::lua_gettop(l);
            let out = run_library(l, &code).and_then(|()| collect(l));
            ffi::lua_settop(l, base);
            out
        };
        let clash = registered.as_ref().ok().and_then(|fs| {
            fs.iter().find(|f| self.libraries.functions.get(&f.name).is_some_and(|(lib, _)| *lib != name))
        });
        let failed = match (&registered, clash) {
            (Err(e), _) => Some(e.clone()),
            (Ok(_), Some(f)) => Some(format!("ERR Function {} already exists", f.name)),
            _ => None,
        };
        if let Some(e) = failed {
            // SAFETY: as above.
            unsafe {
                ffi::lua_createtable(l, 0, 0);
                registry_set(l, vm::PENDING);
            }
            return Err(e);
        }
        let registered = registered.expect("checked above");
        // Install: the callbacks were left in PENDING by `collect`; move them to FUNCTIONS.
        self.remove_library(&name);
        // SAFETY: as above.
        unsafe { install(l) };
        for f in &registered {
            self.libraries.functions.insert(f.name.clone(), (name.clone(), f.flags));
        }
        self.libraries.by_name.insert(name.clone(), Library { name: name.clone(), code, functions: registered });
        Ok(name)
    }

    /// Forgets library `name` and its functions; false when there was none.
    pub fn remove_library(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.by_name.remove(name) else { return false };
        let l = self.vm().state;
        for f in &lib.functions {
            self.libraries.functions.remove(&f.name);
            // SAFETY: this VM's own state; balanced.
            unsafe {
                registry_get(l, vm::FUNCTIONS);
                push_bytes(l, f.name.as_bytes());
                ffi::lua_pushnil(l);
                ffi::lua_rawset(l, -3);
                ffi::lua_pop(l, 1);
            }
        }
        true
    }

    /// FUNCTION FLUSH on this shard.
    pub fn flush_libraries(&mut self) {
        let names: Vec<String> = self.libraries.by_name.keys().cloned().collect();
        for name in names {
            self.remove_library(&name);
        }
        self.libraries.wide.clear();
    }
}

/// Compiles and runs the library's code with the load-time globals. The shebang line stays as
/// a comment so line numbers are the code's own.
unsafe fn run_library(l: *mut lua_State, code: &[u8]) -> Result<(), String> {
    ffi::lua_createtable(l, 0, 0);
    registry_set(l, vm::PENDING);
    let source = [b"--".as_slice(), &code[2..]].concat();
    if ffi::luaL_loadbuffer(l, source.as_ptr() as *const _, source.len(), c"@user_function".as_ptr()) != 0 {
        let msg = String::from_utf8_lossy(to_bytes(l, -1).unwrap_or_default()).into_owned();
        return Err(format!("ERR Error compiling function: {msg}"));
    }
    drop(source);
    registry_get(l, vm::FN_ENV);
    ffi::lua_setfenv(l, -2);
    vm::functions_loading(l, true);
    ffi::lua_sethook(l, Some(super::call::hook), ffi::LUA_MASKCOUNT, vm::HOOK_EVERY);
    super::call::LOAD_DEADLINE.with(|d| d.set(crate::shard::now_ms() + super::call::LOAD_TIMEOUT_MS));
    let status = ffi::lua_pcall(l, 0, 0, 0);
    super::call::LOAD_DEADLINE.with(|d| d.set(0));
    vm::functions_loading(l, false);
    if status != 0 {
        let msg = super::error_message(l, ffi::lua_gettop(l));
        return Err(format!("ERR Error registering functions: {}", String::from_utf8_lossy(&msg)));
    }
    Ok(())
}

/// What `register_function` collected: names, descriptions and flags (callbacks stay in the
/// PENDING table).
unsafe fn collect(l: *mut lua_State) -> Result<Vec<Function>, String> {
    registry_get(l, vm::PENDING);
    let pending = ffi::lua_gettop(l);
    let n = ffi::lua_objlen(l, pending);
    if n == 0 {
        return Err("ERR No functions registered".into());
    }
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        ffi::lua_rawgeti(l, pending, i as ffi::lua_Integer);
        let entry = ffi::lua_gettop(l);
        ffi::lua_getfield_(l, entry, c"name".as_ptr());
        let name = String::from_utf8_lossy(to_bytes(l, -1).unwrap_or_default()).into_owned();
        ffi::lua_getfield_(l, entry, c"flags".as_ptr());
        let flags = ffi::lua_tonumber(l, -1) as u32;
        ffi::lua_getfield_(l, entry, c"description".as_ptr());
        let description = to_bytes(l, -1).map(<[u8]>::to_vec);
        out.push(Function { name, description, flags });
        ffi::lua_settop(l, pending);
    }
    ffi::lua_pop(l, 1);
    Ok(out)
}

/// FUNCTIONS[name] = callback for every PENDING entry.
unsafe fn install(l: *mut lua_State) {
    registry_get(l, vm::PENDING);
    let pending = ffi::lua_gettop(l);
    registry_get(l, vm::FUNCTIONS);
    let functions = ffi::lua_gettop(l);
    let n = ffi::lua_objlen(l, pending);
    for i in 1..=n {
        ffi::lua_rawgeti(l, pending, i as ffi::lua_Integer);
        ffi::lua_getfield_(l, -1, c"name".as_ptr());
        ffi::lua_getfield_(l, -2, c"callback".as_ptr());
        ffi::lua_rawset(l, functions);
        ffi::lua_pop(l, 1);
    }
    ffi::lua_createtable(l, 0, 0);
    registry_set(l, vm::PENDING);
    ffi::lua_settop(l, pending - 1);
}

/// redis.register_function(name, callback) or
/// redis.register_function{function_name=, callback=, flags=, description=}
pub(crate) unsafe extern "C-unwind" fn register_function(l: *mut lua_State) -> c_int {
    let argc = ffi::lua_gettop(l);
    if argc == 0 || argc > 2 {
        raise_static(l, c"ERR wrong number of arguments to redis.register_function");
    }
    // Normalised to: 1 name, 2 callback, 3 flags (number), 4 description (or nil).
    if argc == 1 {
        if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
            raise_static(
                l,
                c"ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            );
        }
        let (mut name, mut callback, mut flags, mut desc) = (0, 0, 0u32, 0);
        ffi::lua_settop(l, 1);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, 1) != 0 {
            let key = if ffi::lua_type(l, -2) == ffi::LUA_TSTRING { to_bytes(l, -2) } else { None };
            let top = ffi::lua_gettop(l);
            match key {
                Some(b"function_name") => {
                    if ffi::lua_type(l, top) != ffi::LUA_TSTRING {
                        raise_static(
                            l,
                            c"ERR function_name argument given to redis.register_function must be a string",
                        );
                    }
                    name = top;
                }
                Some(b"callback") => {
                    if ffi::lua_type(l, top) != ffi::LUA_TFUNCTION {
                        raise_static(l, c"ERR callback argument given to redis.register_function must be a function");
                    }
                    callback = top;
                }
                Some(b"description") => {
                    if ffi::lua_type(l, top) != ffi::LUA_TSTRING {
                        raise_static(l, c"ERR description argument given to redis.register_function must be a string");
                    }
                    desc = top;
                }
                Some(b"flags") => {
                    if ffi::lua_type(l, top) != ffi::LUA_TTABLE {
                        raise_static(l, c"ERR flags argument to redis.register_function must be a table representing function flags");
                    }
                    flags = read_flags(l, top);
                }
                _ => raise_static(l, c"ERR unknown argument given to redis.register_function"),
            }
            // Keep the value on the stack (its slot is remembered); push the key again.
            ffi::lua_pushvalue(l, -2);
        }
        if name == 0 {
            raise_static(l, c"ERR redis.register_function must get a function name argument");
        }
        if callback == 0 {
            raise_static(l, c"ERR redis.register_function must get a callback argument");
        }
        ffi::lua_pushvalue(l, name);
        ffi::lua_pushvalue(l, callback);
        ffi::lua_pushnumber(l, flags as f64);
        if desc == 0 {
            ffi::lua_pushnil(l);
        } else {
            ffi::lua_pushvalue(l, desc);
        }
        let top = ffi::lua_gettop(l);
        for i in 0..4 {
            ffi::lua_pushvalue(l, top - 3 + i);
        }
        ffi::lua_replace(l, 4);
        ffi::lua_replace(l, 3);
        ffi::lua_replace(l, 2);
        ffi::lua_replace(l, 1);
        ffi::lua_settop(l, 4);
    } else {
        if ffi::lua_type(l, 1) != ffi::LUA_TSTRING {
            raise_static(l, c"ERR first argument to redis.register_function must be a string");
        }
        if ffi::lua_type(l, 2) != ffi::LUA_TFUNCTION {
            raise_static(l, c"ERR second argument to redis.register_function must be a function");
        }
        ffi::lua_pushnumber(l, 0.0);
        ffi::lua_pushnil(l);
    }
    if !valid_name(to_bytes(l, 1).unwrap_or_default()) {
        ffi::lua_pushstring_(l, c"ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".as_ptr());
        vm::raise_err_table(l);
    }
    registry_get(l, vm::PENDING);
    let pending = ffi::lua_gettop(l);
    let n = ffi::lua_objlen(l, pending);
    for i in 1..=n {
        ffi::lua_rawgeti(l, pending, i as ffi::lua_Integer);
        ffi::lua_getfield_(l, -1, c"name".as_ptr());
        let same = ffi::lua_rawequal(l, -1, 1) != 0;
        ffi::lua_pop(l, 2);
        if same {
            raise_static(l, c"ERR Function already exists in the library");
        }
    }
    ffi::lua_createtable(l, 0, 4);
    for (i, field) in [c"name", c"callback", c"flags", c"description"].iter().enumerate() {
        ffi::lua_pushvalue(l, i as c_int + 1);
        ffi::lua_setfield(l, -2, field.as_ptr());
    }
    ffi::lua_rawseti(l, pending, (n + 1) as ffi::lua_Integer);
    0
}

/// The flags in the table at `idx` (strings), or Redis's error for an unknown one.
unsafe fn read_flags(l: *mut lua_State, idx: c_int) -> u32 {
    let mut flags = 0;
    let n = ffi::lua_objlen(l, idx);
    for i in 1..=n {
        ffi::lua_rawgeti(l, idx, i as ffi::lua_Integer);
        let name = if ffi::lua_type(l, -1) == ffi::LUA_TSTRING { to_bytes(l, -1) } else { None };
        let flag = name.and_then(|n| FLAG_NAMES.iter().find(|(_, f)| f.as_bytes() == n)).map(|(bit, _)| *bit);
        ffi::lua_pop(l, 1);
        match flag {
            Some(bit) => flags |= bit,
            None => raise_static(l, c"ERR unknown flag given"),
        }
    }
    flags
}
