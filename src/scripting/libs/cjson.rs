//! The `cjson` library Redis gives scripts: JSON encoding and decoding of Lua values.
//!
//! What matches Redis 7.0.15 (whose `cjson` reports `_NAME` "cjson", `_VERSION` "2.1.0"), checked
//! byte for byte against a reference server:
//!
//! * The table's members: `encode`, `decode`, `new`, `null`, `_NAME`, `_VERSION` and the settings
//!   `encode_sparse_array` (defaults `false, 2, 10`), `encode_max_depth` (1000),
//!   `decode_max_depth` (1000), `encode_number_precision` (14, from 1 to 14),
//!   `encode_keep_buffer` (`true`, no visible effect), `encode_invalid_numbers` (`false`; also
//!   `true` and `"null"`) and `decode_invalid_numbers` (`true`). Each setting takes its arguments
//!   as booleans, `"on"`/`"off"` or integers, leaves a value unchanged for `nil`, returns the
//!   values in force, and rejects bad arguments with Redis's `bad argument #N to 'name' (...)`
//!   texts (a number is truncated the way C's casts do, so `2^32+5` means 5). Settings belong to
//!   one table: `cjson.new()` returns a fresh table with the defaults.
//! * `cjson.null` is a light userdata holding NULL: it encodes as `null` and `decode` returns it
//!   for JSON `null`.
//! * Encoding: numbers through C's `%.<precision>g` (so `1e+14`, `-0`, `0.33333333333333`);
//!   NaN and infinities rejected, written as `nan`/`inf`/`-inf`, or written as `null`, per
//!   `encode_invalid_numbers`; strings escaped as Redis does (`\"`, `\\`, `\/`, `\b`, `\f`,
//!   `\n`, `\r`, `\t`, `\u00XX` for other bytes below 0x20 and for 0x7f; bytes from 0x80 copied
//!   as they are); a table is an array when every key is an integer from 1 to 2^31-1 and it is not
//!   excessively sparse, otherwise an object (an empty table is `{}`), with keys in `next` order,
//!   number keys written as quoted numbers; the errors `Cannot serialise <type>: type not
//!   supported`, `Cannot serialise <type>: table key must be a number or string`, `Cannot
//!   serialise table: excessively sparse array`, `Cannot serialise number: must not be NaN or
//!   Inf` and `Cannot serialise, excessive nesting (N)`.
//! * Decoding: JSON's grammar with Redis's leniencies (numbers are read by C's `strtod`, so with
//!   `decode_invalid_numbers` on, `+1`, `01`, `0x10`, `inf`, `nan`, `Infinity` are accepted;
//!   raw control characters are allowed in strings; the text ends at its first NUL byte), `\u`
//!   escapes including surrogate pairs turned into UTF-8, and Redis's error texts with
//!   1-based positions: `Expected value but found invalid token at character N` and the rest,
//!   `Found too many nested data structures (N) at character M`, `JSON parser does not support
//!   UTF-16 or UTF-32`.
//! * Depth limits: besides the configured maximum, Redis's Lua stack caps encoding at 7997 nested
//!   tables and decoding at 7998 nested arrays/objects; the same caps and error texts apply here.
//!
//! Error messages carry the position of the calling Lua code (`luaL_where(L, 1)`), as Lua's own
//! library functions do, so `pcall(cjson.encode, f)` sees just the message.
//!
//! The functions are plain Lua C functions over the raw Lua API (`mlua::ffi`). Lua reports errors
//! by `longjmp`, so no Rust value that needs dropping is ever alive in these frames: buffers live
//! in Lua userdata kept on the Lua stack, and nesting is walked iteratively with the chain of
//! enclosing tables stored in a Lua table, so neither the Rust stack nor the Lua stack grows with
//! the depth of the data. Nothing here panics, whatever a script passes.

use std::ffi::{c_char, c_int, CStr};
use std::fmt::Write as _;
use std::ptr;

use mlua::{ffi, Lua, Result, Table};

type State = *mut ffi::lua_State;

/// The deepest table nesting Redis's encoder reaches whatever `encode_max_depth` says (its
/// `lua_checkstack` fails beyond it).
const ENCODE_DEPTH_CAP: i64 = 7997;
/// The same for the decoder and `decode_max_depth`.
const DECODE_DEPTH_CAP: i64 = 7998;

/// What `encode` does with NaN and the infinities.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InvalidNumbers {
    /// Raise "Cannot serialise number: must not be NaN or Inf".
    Reject,
    /// Write `nan`, `inf` or `-inf`.
    Write,
    /// Write `null`.
    Null,
}

/// One `cjson` table's settings; lives in a Lua userdata that is an upvalue of its functions.
#[derive(Clone, Copy)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: c_int,
    sparse_safe: c_int,
    encode_max_depth: c_int,
    decode_max_depth: c_int,
    number_precision: c_int,
    keep_buffer: bool,
    encode_invalid: InvalidNumbers,
    decode_invalid: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            number_precision: 14,
            keep_buffer: true,
            encode_invalid: InvalidNumbers::Reject,
            decode_invalid: true,
        }
    }
}

/// Builds the library's table (with its own settings, at their defaults).
pub fn open(lua: &Lua) -> Result<Table> {
    // SAFETY: `push_module` only uses the Lua API on a stack with room for its few slots, and
    // exec_raw runs it in protected mode, so a Lua error (memory) is returned as an Err.
    unsafe { lua.exec_raw((), |state| push_module(state)) }
}

// ---------------------------------------------------------------------------------------------
// Small helpers over the raw API.

/// Raises `msg` as a Lua error, prefixed with the caller's position as `luaL_error` does.
unsafe fn raise(l: State, msg: &[u8]) -> ! {
    ffi::luaL_where(l, 1);
    ffi::lua_pushlstring_(l, msg.as_ptr() as *const c_char, msg.len());
    ffi::lua_concat(l, 2);
    ffi::lua_error(l)
}

/// Raises Lua's standard "bad argument #narg to 'name' (msg)" error.
unsafe fn arg_error(l: State, narg: c_int, msg: &CStr) -> ! {
    arg_error_ptr(l, narg, msg.as_ptr())
}

/// `arg_error` with the message as a C string pointer (which must stay valid until the call).
unsafe fn arg_error_ptr(l: State, narg: c_int, msg: *const c_char) -> ! {
    ffi::luaL_argerror(l, narg, msg);
    // luaL_argerror does not return; this only satisfies the type.
    ffi::lua_error(l)
}

/// Raises "bad argument #narg to 'name' (<expected> expected, got <type>)".
unsafe fn type_error(l: State, narg: c_int, expected: &str) -> ! {
    let mut m = Msg::new();
    let _ = write!(m, "{expected} expected, got ");
    m.push(type_name_at(l, narg));
    arg_error(l, narg, m.as_cstr())
}

/// The name Lua gives the type of the value at `idx` ("no value" for an absent argument).
unsafe fn type_name_at(l: State, idx: c_int) -> &'static [u8] {
    let t = ffi::lua_type(l, idx);
    if t == ffi::LUA_TNONE {
        return b"no value";
    }
    let p = ffi::lua_typename(l, t);
    if p.is_null() {
        return b"?";
    }
    // Lua's type names are static C strings.
    CStr::from_ptr(p).to_bytes()
}

/// The bytes of the string (or number, converted in place) at `idx`.
unsafe fn bytes_at<'a>(l: State, idx: c_int) -> &'a [u8] {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        return &[];
    }
    std::slice::from_raw_parts(p as *const u8, len)
}

/// A message assembled on the stack (no heap, nothing to drop), NUL-terminated on demand; text
/// past its capacity is cut off.
struct Msg {
    buf: [u8; 256],
    len: usize,
}

impl Msg {
    fn new() -> Self {
        Msg { buf: [0; 256], len: 0 }
    }

    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            // Keep the last byte for the terminating NUL.
            if self.len + 1 >= self.buf.len() {
                return;
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The message as a C string; an embedded NUL ends it early.
    fn as_cstr(&mut self) -> &CStr {
        self.buf[self.len] = 0;
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

impl std::fmt::Write for Msg {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// A growable byte buffer whose memory is a Lua userdata kept at stack slot `slot`: a Lua error
/// leaves it to the garbage collector, and no Rust destructor is ever skipped.
struct LuaBuf {
    ptr: *mut u8,
    len: usize,
    cap: usize,
    slot: c_int,
}

impl LuaBuf {
    /// A buffer with no memory yet; `slot` must exist on the stack.
    fn empty(slot: c_int) -> Self {
        LuaBuf { ptr: ptr::null_mut(), len: 0, cap: 0, slot }
    }

    /// Makes room for `extra` more bytes.
    unsafe fn reserve(&mut self, l: State, extra: usize) {
        if self.cap - self.len >= extra {
            return;
        }
        let Some(need) = self.len.checked_add(extra) else {
            raise(l, b"not enough memory");
        };
        let new_cap = need.max(self.cap.saturating_mul(2)).max(64);
        let p = ffi::lua_newuserdata(l, new_cap) as *mut u8;
        if p.is_null() {
            raise(l, b"not enough memory");
        }
        if self.len > 0 {
            ptr::copy_nonoverlapping(self.ptr, p, self.len);
        }
        // The old block, if any, is now garbage; the new one is anchored in the slot.
        ffi::lua_replace(l, self.slot);
        self.ptr = p;
        self.cap = new_cap;
    }

    unsafe fn push(&mut self, l: State, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.reserve(l, bytes.len());
        ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(self.len), bytes.len());
        self.len += bytes.len();
    }

    unsafe fn push_byte(&mut self, l: State, b: u8) {
        self.reserve(l, 1);
        *self.ptr.add(self.len) = b;
        self.len += 1;
    }

    /// Pushes the contents onto the Lua stack as a string.
    unsafe fn push_string(&self, l: State) {
        if self.len == 0 {
            ffi::lua_pushlstring_(l, c"".as_ptr(), 0);
        } else {
            ffi::lua_pushlstring_(l, self.ptr as *const c_char, self.len);
        }
    }
}

/// Formats `n` as C's `%.<precision>g` into `out`, returning the length.
fn format_number(n: f64, precision: c_int, out: &mut [u8; 40]) -> usize {
    // SAFETY: the buffer is large enough for any %g output of at most 17 digits, and snprintf
    // never writes past the size it is given.
    let written = unsafe { libc::snprintf(out.as_mut_ptr() as *mut c_char, out.len(), c"%.*g".as_ptr(), precision, n) };
    (written.max(0) as usize).min(out.len() - 1)
}

/// C's `(int)(ptrdiff_t)d`, as Lua's `luaL_checkinteger` and the library's `int` settings apply
/// it on x86-64: out-of-range values and NaN become `INT64_MIN`, then the low 32 bits are kept.
fn c_double_to_int(d: f64) -> c_int {
    let wide = if d.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&d) {
        i64::MIN
    } else {
        d as i64
    };
    wide as c_int
}

// ---------------------------------------------------------------------------------------------
// The table and its settings functions.

/// Pushes a new `cjson` table with default settings.
unsafe fn push_module(l: State) {
    ffi::lua_createtable(l, 0, 13);
    let cfg = ffi::lua_newuserdata(l, std::mem::size_of::<Config>()) as *mut Config;
    if !cfg.is_null() {
        // Lua aligns userdata for any C type.
        ptr::write(cfg, Config::default());
    }
    let functions: [(&CStr, ffi::lua_CFunction); 10] = [
        (c"encode", json_encode),
        (c"decode", json_decode),
        (c"encode_sparse_array", cfg_encode_sparse_array),
        (c"encode_max_depth", cfg_encode_max_depth),
        (c"decode_max_depth", cfg_decode_max_depth),
        (c"encode_number_precision", cfg_encode_number_precision),
        (c"encode_keep_buffer", cfg_encode_keep_buffer),
        (c"encode_invalid_numbers", cfg_encode_invalid_numbers),
        (c"decode_invalid_numbers", cfg_decode_invalid_numbers),
        (c"new", json_new),
    ];
    for (name, f) in functions {
        ffi::lua_pushvalue(l, -1);
        ffi::lua_pushcclosure(l, f, 1);
        ffi::lua_setfield(l, -3, name.as_ptr());
    }
    ffi::lua_pop(l, 1);
    ffi::lua_pushlightuserdata(l, ptr::null_mut());
    ffi::lua_setfield(l, -2, c"null".as_ptr());
    ffi::lua_pushlstring_(l, c"cjson".as_ptr(), 5);
    ffi::lua_setfield(l, -2, c"_NAME".as_ptr());
    ffi::lua_pushlstring_(l, c"2.1.0".as_ptr(), 5);
    ffi::lua_setfield(l, -2, c"_VERSION".as_ptr());
}

/// The settings of the table the running function belongs to.
unsafe fn config<'a>(l: State) -> &'a mut Config {
    let p = ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *mut Config;
    // Every function is created with its table's settings as upvalue 1.
    if p.is_null() {
        raise(l, b"cjson: settings missing");
    }
    &mut *p
}

/// `cjson.new()`: a fresh table with default settings (arguments are ignored).
unsafe extern "C-unwind" fn json_new(l: State) -> c_int {
    push_module(l);
    1
}

/// Raises "found too many arguments" when more than `max` arguments were given.
unsafe fn check_arg_count(l: State, max: c_int) {
    if ffi::lua_gettop(l) > max {
        arg_error(l, max + 1, c"found too many arguments");
    }
}

/// Reads an integer setting at argument `idx` into `setting` unless it is nil/absent.
unsafe fn integer_option(l: State, idx: c_int, setting: &mut c_int, min: c_int, max: c_int) {
    if ffi::lua_isnoneornil(l, idx) != 0 {
        return;
    }
    let n = ffi::lua_tonumber(l, idx);
    if n == 0.0 && ffi::lua_isnumber(l, idx) == 0 {
        type_error(l, idx, "number");
    }
    let value = c_double_to_int(n);
    if value < min || value > max {
        let mut m = Msg::new();
        let _ = write!(m, "expected integer between {min} and {max}");
        // Redis names argument #1 whichever argument is out of range.
        arg_error(l, 1, m.as_cstr());
    }
    *setting = value;
}

/// Reads an option at argument `idx`: `None` when nil/absent, otherwise the index into
/// `options` of the matching name (a boolean `true` is "on" = 1, `false` is "off" = 0).
unsafe fn enum_option(l: State, idx: c_int, options: &[&[u8]]) -> Option<usize> {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TNONE | ffi::LUA_TNIL => return None,
        ffi::LUA_TBOOLEAN => return Some(usize::from(ffi::lua_toboolean(l, idx) != 0)),
        ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {}
        _ => type_error(l, idx, "string"),
    }
    let given = bytes_at(l, idx);
    // Compared as a C string, as luaL_checkoption does.
    let given = match given.iter().position(|&b| b == 0) {
        Some(nul) => &given[..nul],
        None => given,
    };
    if let Some(i) = options.iter().position(|o| *o == given) {
        return Some(i);
    }
    // Lua strings are NUL-terminated, so "%s" shows the option up to its first NUL, as
    // luaL_checkoption does.
    let text = ffi::lua_tolstring(l, idx, ptr::null_mut());
    let msg = ffi::lua_pushfstring(l, c"invalid option '%s'".as_ptr(), text);
    arg_error_ptr(l, idx, msg)
}

const ON_OFF: &[&[u8]] = &[b"off", b"on"];

unsafe extern "C-unwind" fn cfg_encode_sparse_array(l: State) -> c_int {
    check_arg_count(l, 3);
    let cfg = config(l);
    if let Some(i) = enum_option(l, 1, ON_OFF) {
        cfg.sparse_convert = i == 1;
    }
    integer_option(l, 2, &mut cfg.sparse_ratio, 0, c_int::MAX);
    integer_option(l, 3, &mut cfg.sparse_safe, 0, c_int::MAX);
    ffi::lua_pushboolean(l, c_int::from(cfg.sparse_convert));
    ffi::lua_pushinteger(l, cfg.sparse_ratio.into());
    ffi::lua_pushinteger(l, cfg.sparse_safe.into());
    3
}

unsafe extern "C-unwind" fn cfg_encode_max_depth(l: State) -> c_int {
    check_arg_count(l, 1);
    let cfg = config(l);
    integer_option(l, 1, &mut cfg.encode_max_depth, 1, c_int::MAX);
    ffi::lua_pushinteger(l, cfg.encode_max_depth.into());
    1
}

unsafe extern "C-unwind" fn cfg_decode_max_depth(l: State) -> c_int {
    check_arg_count(l, 1);
    let cfg = config(l);
    integer_option(l, 1, &mut cfg.decode_max_depth, 1, c_int::MAX);
    ffi::lua_pushinteger(l, cfg.decode_max_depth.into());
    1
}

unsafe extern "C-unwind" fn cfg_encode_number_precision(l: State) -> c_int {
    check_arg_count(l, 1);
    let cfg = config(l);
    integer_option(l, 1, &mut cfg.number_precision, 1, 14);
    ffi::lua_pushinteger(l, cfg.number_precision.into());
    1
}

unsafe extern "C-unwind" fn cfg_encode_keep_buffer(l: State) -> c_int {
    check_arg_count(l, 1);
    let cfg = config(l);
    if let Some(i) = enum_option(l, 1, ON_OFF) {
        cfg.keep_buffer = i == 1;
    }
    ffi::lua_pushboolean(l, c_int::from(cfg.keep_buffer));
    1
}

unsafe extern "C-unwind" fn cfg_encode_invalid_numbers(l: State) -> c_int {
    check_arg_count(l, 1);
    let cfg = config(l);
    match enum_option(l, 1, &[b"off", b"on", b"null"]) {
        Some(0) => cfg.encode_invalid = InvalidNumbers::Reject,
        Some(1) => cfg.encode_invalid = InvalidNumbers::Write,
        Some(_) => cfg.encode_invalid = InvalidNumbers::Null,
        None => {}
    }
    match cfg.encode_invalid {
        InvalidNumbers::Reject => ffi::lua_pushboolean(l, 0),
        InvalidNumbers::Write => ffi::lua_pushboolean(l, 1),
        InvalidNumbers::Null => {
            ffi::lua_pushlstring_(l, c"null".as_ptr(), 4);
        }
    }
    1
}

unsafe extern "C-unwind" fn cfg_decode_invalid_numbers(l: State) -> c_int {
    check_arg_count(l, 1);
    let cfg = config(l);
    if let Some(i) = enum_option(l, 1, ON_OFF) {
        cfg.decode_invalid = i == 1;
    }
    ffi::lua_pushboolean(l, c_int::from(cfg.decode_invalid));
    1
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/// How each byte of a string is written: 0 = as itself, b'u' = `\u00XX`, other = `\` + that.
const ESCAPES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[0x7f] = b'u';
    t
};

/// Appends `s` as a quoted JSON string.
unsafe fn encode_string(l: State, out: &mut LuaBuf, s: &[u8]) {
    out.reserve(l, s.len().saturating_add(2));
    out.push_byte(l, b'"');
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        let esc = ESCAPES[b as usize];
        if esc == 0 {
            continue;
        }
        out.push(l, &s[run..i]);
        if esc == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let seq = [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]];
            out.push(l, &seq);
        } else {
            out.push(l, &[b'\\', esc]);
        }
        run = i + 1;
    }
    out.push(l, &s[run..]);
    out.push_byte(l, b'"');
}

/// Appends a number, applying the invalid-number setting.
unsafe fn encode_number(l: State, cfg: &Config, out: &mut LuaBuf, n: f64) {
    if n.is_nan() || n.is_infinite() {
        match cfg.encode_invalid {
            InvalidNumbers::Reject => raise(l, b"Cannot serialise number: must not be NaN or Inf"),
            InvalidNumbers::Null => return out.push(l, b"null"),
            InvalidNumbers::Write => {
                let text: &[u8] = if n.is_nan() {
                    b"nan"
                } else if n > 0.0 {
                    b"inf"
                } else {
                    b"-inf"
                };
                return out.push(l, text);
            }
        }
    }
    let mut tmp = [0u8; 40];
    let len = format_number(n, cfg.number_precision, &mut tmp);
    out.push(l, &tmp[..len]);
}

/// Raises "Cannot serialise <type of value at idx>: <why>".
unsafe fn cannot_serialise(l: State, idx: c_int, why: &[u8]) -> ! {
    let mut m = Msg::new();
    m.push(b"Cannot serialise ");
    m.push(type_name_at(l, idx));
    m.push(b": ");
    m.push(why);
    raise(l, m.bytes())
}

/// How a table at the top of the stack is written.
enum Shape {
    Object,
    /// An array of this many elements (indices 1..=n, holes written as null).
    Array(i64),
}

/// Decides whether the table at the top of the stack is an array and checks its sparseness.
unsafe fn table_shape(l: State, cfg: &Config) -> Shape {
    let t = ffi::lua_gettop(l);
    let mut max: i64 = 0;
    let mut items: i64 = 0;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        // Stack: key, value.
        let is_index = ffi::lua_type(l, -2) == ffi::LUA_TNUMBER && {
            let k = ffi::lua_tonumber(l, -2);
            k.floor() == k && k >= 1.0 && k <= f64::from(c_int::MAX)
        };
        if !is_index {
            ffi::lua_pop(l, 2);
            return Shape::Object;
        }
        let k = ffi::lua_tonumber(l, -2) as i64;
        max = max.max(k);
        items += 1;
        ffi::lua_pop(l, 1);
    }
    let ratio = i64::from(cfg.sparse_ratio);
    if ratio > 0 && max > items.saturating_mul(ratio) && max > i64::from(cfg.sparse_safe) {
        if !cfg.sparse_convert {
            raise(l, b"Cannot serialise table: excessively sparse array");
        }
        return Shape::Object;
    }
    if max > 0 {
        Shape::Array(max)
    } else {
        Shape::Object
    }
}

// Stack slots used by `encode`.
const E_ARG: c_int = 1;
const E_BUF: c_int = 2;
const E_CHAIN: c_int = 3;
/// The table being written.
const E_TABLE: c_int = 4;
/// The key of the object member last written (nil before the first, and for arrays).
const E_KEY: c_int = 5;
/// The value about to be written.
const E_VALUE: c_int = 6;

/// Where the walk is inside the table being written.
#[derive(Clone, Copy)]
struct Level {
    /// For an array, its length; -1 for an object.
    len: i64,
    /// For an array, the next index to write.
    next: i64,
}

unsafe extern "C-unwind" fn json_encode(l: State) -> c_int {
    if ffi::lua_gettop(l) != 1 {
        arg_error(l, 1, c"expected 1 argument");
    }
    let cfg = *config(l);
    ffi::lua_settop(l, E_VALUE - 1);
    ffi::lua_pushvalue(l, E_ARG);
    let mut out = LuaBuf::empty(E_BUF);
    let mut depth: i64 = 0;
    let mut level = Level { len: -1, next: 1 };
    loop {
        // Write the value at E_VALUE (the top).
        match ffi::lua_type(l, E_VALUE) {
            ffi::LUA_TTABLE => {
                depth += 1;
                if depth > i64::from(cfg.encode_max_depth) || depth > ENCODE_DEPTH_CAP {
                    let mut m = Msg::new();
                    let _ = write!(m, "Cannot serialise, excessive nesting ({depth})");
                    raise(l, m.bytes());
                }
                let shape = table_shape(l, &cfg);
                if depth > 1 {
                    save_level(l, depth - 1, level);
                }
                ffi::lua_replace(l, E_TABLE);
                ffi::lua_pushnil(l);
                ffi::lua_replace(l, E_KEY);
                level = match shape {
                    Shape::Array(len) => {
                        out.push_byte(l, b'[');
                        Level { len, next: 1 }
                    }
                    Shape::Object => {
                        out.push_byte(l, b'{');
                        Level { len: -1, next: 1 }
                    }
                };
            }
            ffi::LUA_TSTRING => {
                encode_string(l, &mut out, bytes_at(l, E_VALUE));
                ffi::lua_settop(l, E_VALUE - 1);
            }
            ffi::LUA_TNUMBER => {
                encode_number(l, &cfg, &mut out, ffi::lua_tonumber(l, E_VALUE));
                ffi::lua_settop(l, E_VALUE - 1);
            }
            ffi::LUA_TBOOLEAN => {
                let text: &[u8] = if ffi::lua_toboolean(l, E_VALUE) != 0 { b"true" } else { b"false" };
                out.push(l, text);
                ffi::lua_settop(l, E_VALUE - 1);
            }
            ffi::LUA_TNIL => {
                out.push(l, b"null");
                ffi::lua_settop(l, E_VALUE - 1);
            }
            ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, E_VALUE).is_null() => {
                out.push(l, b"null");
                ffi::lua_settop(l, E_VALUE - 1);
            }
            _ => cannot_serialise(l, E_VALUE, b"type not supported"),
        }
        // Find the next value to write, closing finished tables.
        loop {
            if depth == 0 {
                out.push_string(l);
                return 1;
            }
            if level.len >= 0 {
                if level.next <= level.len {
                    if level.next > 1 {
                        out.push_byte(l, b',');
                    }
                    ffi::lua_rawgeti_(l, E_TABLE, level.next as c_int);
                    level.next += 1;
                    break;
                }
                out.push_byte(l, b']');
            } else {
                let first = ffi::lua_isnil(l, E_KEY) != 0;
                ffi::lua_pushvalue(l, E_KEY);
                if ffi::lua_next(l, E_TABLE) != 0 {
                    // Stack: key at E_VALUE, value above it.
                    if !first {
                        out.push_byte(l, b',');
                    }
                    match ffi::lua_type(l, E_VALUE) {
                        ffi::LUA_TSTRING => encode_string(l, &mut out, bytes_at(l, E_VALUE)),
                        ffi::LUA_TNUMBER => {
                            out.push_byte(l, b'"');
                            encode_number(l, &cfg, &mut out, ffi::lua_tonumber(l, E_VALUE));
                            out.push_byte(l, b'"');
                        }
                        _ => cannot_serialise(l, E_VALUE, b"table key must be a number or string"),
                    }
                    out.push_byte(l, b':');
                    ffi::lua_pushvalue(l, E_VALUE);
                    ffi::lua_replace(l, E_KEY);
                    ffi::lua_remove(l, E_VALUE);
                    break;
                }
                out.push_byte(l, b'}');
            }
            depth -= 1;
            if depth > 0 {
                level = restore_level(l, depth);
            }
        }
    }
}

/// Saves the table being written (E_TABLE, E_KEY, `level`) as the one at `depth` in the chain.
unsafe fn save_level(l: State, depth: i64, level: Level) {
    if ffi::lua_type(l, E_CHAIN) != ffi::LUA_TTABLE {
        ffi::lua_createtable(l, 64, 0);
        ffi::lua_replace(l, E_CHAIN);
    }
    let base = chain_base(depth, 4);
    ffi::lua_pushvalue(l, E_TABLE);
    ffi::lua_rawseti_(l, E_CHAIN, base + 1);
    ffi::lua_pushvalue(l, E_KEY);
    ffi::lua_rawseti_(l, E_CHAIN, base + 2);
    ffi::lua_pushnumber(l, level.len as f64);
    ffi::lua_rawseti_(l, E_CHAIN, base + 3);
    ffi::lua_pushnumber(l, level.next as f64);
    ffi::lua_rawseti_(l, E_CHAIN, base + 4);
}

/// Makes the table saved at `depth` the one being written again.
unsafe fn restore_level(l: State, depth: i64) -> Level {
    let base = chain_base(depth, 4);
    ffi::lua_rawgeti_(l, E_CHAIN, base + 1);
    ffi::lua_replace(l, E_TABLE);
    ffi::lua_rawgeti_(l, E_CHAIN, base + 2);
    ffi::lua_replace(l, E_KEY);
    ffi::lua_rawgeti_(l, E_CHAIN, base + 3);
    let len = ffi::lua_tonumber(l, -1) as i64;
    ffi::lua_rawgeti_(l, E_CHAIN, base + 4);
    let next = ffi::lua_tonumber(l, -1) as i64;
    ffi::lua_pop(l, 2);
    Level { len, next }
}

/// The chain index before the `per`-slot record of level `depth` (depths stay under the caps,
/// so this always fits).
fn chain_base(depth: i64, per: i64) -> c_int {
    ((depth - 1).max(0) * per).min(i64::from(c_int::MAX) - per) as c_int
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// A token of JSON text.
#[derive(Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    /// A string, already decoded and pushed onto the Lua stack.
    Str,
    Number(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A lexical error; the text names it in messages.
    Error(&'static str),
}

impl Tok {
    /// The name Redis's messages use for the token.
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Number(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(what) => what,
        }
    }
}

/// Reads tokens from JSON text (which ends at its first NUL byte; a NUL byte always follows the
/// slice in memory, as Lua keeps one after every string's bytes).
struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
    scratch: LuaBuf,
    decode_invalid: bool,
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> u8 {
        self.text.get(i).copied().unwrap_or(0)
    }

    /// Whether the text at `i` is a number JSON does not allow but `strtod` reads: a leading
    /// `+`, a hex number, a leading zero, or infinity/NaN.
    fn is_invalid_number(&self, mut i: usize) -> bool {
        match self.at(i) {
            b'+' => return true,
            b'-' => i += 1,
            _ => {}
        }
        match self.at(i) {
            b'0' => {
                let next = self.at(i + 1);
                next == b'x' || next == b'X' || next.is_ascii_digit()
            }
            b'1'..=b'9' => false,
            _ => {
                let word = [self.at(i), self.at(i + 1), self.at(i + 2)].map(|b| b.to_ascii_lowercase());
                &word == b"inf" || &word == b"nan"
            }
        }
    }

    /// Reads the next token, returning it with its 0-based position (for errors inside strings,
    /// the position of the error). A string token's value is pushed onto the Lua stack.
    unsafe fn next(&mut self, l: State) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') && self.pos < self.text.len() {
            self.pos += 1;
        }
        let start = self.pos;
        if start >= self.text.len() {
            return (Tok::End, start);
        }
        let single = match self.text[start] {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return (tok, start);
        }
        let c = self.text[start];
        if c == b'"' {
            return self.string(l, start);
        }
        if c == b'-' || c.is_ascii_digit() {
            if !self.decode_invalid && self.is_invalid_number(start) {
                return (Tok::Error("invalid number"), start);
            }
            return self.number(start);
        }
        let rest = &self.text[start..];
        for (word, tok) in
            [(&b"true"[..], Tok::Bool(true)), (&b"false"[..], Tok::Bool(false)), (&b"null"[..], Tok::Null)]
        {
            if rest.starts_with(word) {
                self.pos += word.len();
                return (tok, start);
            }
        }
        if self.decode_invalid && self.is_invalid_number(start) {
            return self.number(start);
        }
        (Tok::Error("invalid token"), start)
    }

    /// Reads a number with C's `strtod`, as Redis does.
    unsafe fn number(&mut self, start: usize) -> (Tok, usize) {
        // The text is followed by a NUL in memory (see `Lexer`), so strtod stops in bounds.
        let p = self.text.as_ptr().add(start) as *const c_char;
        let mut end: *mut c_char = ptr::null_mut();
        let value = libc::strtod(p, &mut end);
        let used = if end.is_null() { 0 } else { (end as usize).saturating_sub(p as usize) };
        if used == 0 || start + used > self.text.len() {
            return (Tok::Error("invalid number"), start);
        }
        self.pos = start + used;
        (Tok::Number(value), start)
    }

    /// Reads four hex digits at `i`.
    fn hex4(&self, i: usize) -> Option<u32> {
        let mut v = 0u32;
        for k in 0..4 {
            let b = self.at(i + k);
            if !b.is_ascii_hexdigit() {
                return None;
            }
            v = v * 16 + (b as char).to_digit(16)?;
        }
        Some(v)
    }

    /// Reads a string whose opening quote is at `start`, pushing its value.
    unsafe fn string(&mut self, l: State, start: usize) -> (Tok, usize) {
        let body = start + 1;
        // Fast path: no escapes.
        let mut i = body;
        while i < self.text.len() && self.text[i] != b'"' && self.text[i] != b'\\' {
            i += 1;
        }
        if i >= self.text.len() {
            return (Tok::Error("unexpected end of string"), i);
        }
        if self.text[i] == b'"' {
            let s = &self.text[body..i];
            ffi::lua_pushlstring_(l, s.as_ptr() as *const c_char, s.len());
            self.pos = i + 1;
            return (Tok::Str, start);
        }
        // With escapes: build the value in the scratch buffer.
        self.scratch.len = 0;
        self.scratch.push(l, &self.text[body..i]);
        loop {
            let Some(&b) = self.text.get(i) else {
                return (Tok::Error("unexpected end of string"), i);
            };
            if b == b'"' {
                break;
            }
            if b != b'\\' {
                // Copy the run up to the next quote or backslash.
                let mut j = i;
                while j < self.text.len() && self.text[j] != b'"' && self.text[j] != b'\\' {
                    j += 1;
                }
                self.scratch.push(l, &self.text[i..j]);
                i = j;
                continue;
            }
            let decoded = match self.at(i + 1) {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    let Some((code, used)) = self.unicode_escape(i) else {
                        return (Tok::Error("invalid unicode escape code"), i);
                    };
                    let mut utf8 = [0u8; 4];
                    let s = char::from_u32(code).map(|c| c.encode_utf8(&mut utf8).len()).unwrap_or(0);
                    self.scratch.push(l, &utf8[..s]);
                    i += used;
                    continue;
                }
                _ => return (Tok::Error("invalid escape code"), i),
            };
            self.scratch.push_byte(l, decoded);
            i += 2;
        }
        self.scratch.push_string(l);
        self.pos = i + 1;
        (Tok::Str, start)
    }

    /// Decodes `\uXXXX` (or a `\uXXXX\uXXXX` surrogate pair) at `i`: the code point and the
    /// number of bytes read.
    fn unicode_escape(&self, i: usize) -> Option<(u32, usize)> {
        let first = self.hex4(i + 2)?;
        match first {
            0xD800..=0xDBFF => {
                if self.at(i + 6) != b'\\' || self.at(i + 7) != b'u' {
                    return None;
                }
                let second = self.hex4(i + 8)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                Some((0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00), 12))
            }
            0xDC00..=0xDFFF => None,
            _ => Some((first, 6)),
        }
    }
}

// Stack slots used by `decode`.
const D_ARG: c_int = 1;
const D_SCRATCH: c_int = 2;
const D_CHAIN: c_int = 3;
/// The array or object being filled (at depth 0: the result).
const D_CONTAINER: c_int = 4;
/// The pending key of the object being filled.
const D_KEY: c_int = 5;

/// Raises "Expected <what> but found <token> at character <pos+1>".
unsafe fn expected(l: State, what: &str, tok: Tok, pos: usize) -> ! {
    let mut m = Msg::new();
    let _ = write!(m, "Expected {what} but found {} at character {}", tok.name(), pos + 1);
    raise(l, m.bytes())
}

unsafe extern "C-unwind" fn json_decode(l: State) -> c_int {
    if ffi::lua_gettop(l) != 1 {
        arg_error(l, 1, c"expected 1 argument");
    }
    let cfg = *config(l);
    let mut len = 0usize;
    let p = ffi::luaL_checklstring(l, D_ARG, &mut len);
    let all: &[u8] = if p.is_null() { &[] } else { std::slice::from_raw_parts(p as *const u8, len) };
    if all.len() >= 2 && (all[0] == 0 || all[1] == 0) {
        raise(l, b"JSON parser does not support UTF-16 or UTF-32");
    }
    let text = match all.iter().position(|&b| b == 0) {
        Some(nul) => &all[..nul],
        None => all,
    };
    ffi::lua_settop(l, D_KEY);
    let mut lex = Lexer { text, pos: 0, scratch: LuaBuf::empty(D_SCRATCH), decode_invalid: cfg.decode_invalid };
    let max_depth = i64::from(cfg.decode_max_depth).min(DECODE_DEPTH_CAP);
    let mut depth: i64 = 0;
    // The container being filled: an array (with the next index) or an object.
    let mut in_array = false;
    let mut next_index: i64 = 1;
    let (mut tok, mut pos) = lex.next(l);
    loop {
        // Parse the value starting with `tok`.
        match tok {
            Tok::ArrBegin | Tok::ObjBegin => {
                depth += 1;
                if depth > max_depth {
                    let mut m = Msg::new();
                    let _ = write!(m, "Found too many nested data structures ({depth}) at character {}", pos + 1);
                    raise(l, m.bytes());
                }
                if depth > 1 {
                    // Remember the parent and where the new container goes in it.
                    if ffi::lua_type(l, D_CHAIN) != ffi::LUA_TTABLE {
                        ffi::lua_createtable(l, 64, 0);
                        ffi::lua_replace(l, D_CHAIN);
                    }
                    let base = chain_base(depth - 1, 2);
                    ffi::lua_pushvalue(l, D_CONTAINER);
                    ffi::lua_rawseti_(l, D_CHAIN, base + 1);
                    if in_array {
                        ffi::lua_pushnumber(l, next_index as f64);
                    } else {
                        ffi::lua_pushvalue(l, D_KEY);
                    }
                    ffi::lua_rawseti_(l, D_CHAIN, base + 2);
                }
                ffi::lua_createtable(l, 0, 0);
                ffi::lua_replace(l, D_CONTAINER);
                ffi::lua_settop(l, D_CONTAINER);
                ffi::lua_pushnil(l);
                in_array = tok == Tok::ArrBegin;
                next_index = 1;
                (tok, pos) = lex.next(l);
                if in_array {
                    if tok != Tok::ArrEnd {
                        continue;
                    }
                } else if tok != Tok::ObjEnd {
                    (tok, pos) = object_key(l, &mut lex, tok, pos);
                    continue;
                }
                // An empty container: completed below.
                complete_container(l, &mut depth, &mut in_array, &mut next_index);
            }
            Tok::Str | Tok::Number(_) | Tok::Bool(_) | Tok::Null => {
                match tok {
                    Tok::Number(n) => ffi::lua_pushnumber(l, n),
                    Tok::Bool(b) => ffi::lua_pushboolean(l, c_int::from(b)),
                    Tok::Null => ffi::lua_pushlightuserdata(l, ptr::null_mut()),
                    _ => {} // the string is already pushed
                }
                store_value(l, depth, in_array, &mut next_index);
            }
            _ => expected(l, "value", tok, pos),
        }
        // After a value: a separator, the end of containers, or the end of the text.
        loop {
            (tok, pos) = lex.next(l);
            if depth == 0 {
                if tok != Tok::End {
                    expected(l, "the end", tok, pos);
                }
                ffi::lua_settop(l, D_CONTAINER);
                return 1;
            }
            if in_array {
                match tok {
                    Tok::Comma => {
                        (tok, pos) = lex.next(l);
                        break;
                    }
                    Tok::ArrEnd => complete_container(l, &mut depth, &mut in_array, &mut next_index),
                    _ => expected(l, "comma or array end", tok, pos),
                }
            } else {
                match tok {
                    Tok::Comma => {
                        (tok, pos) = lex.next(l);
                        (tok, pos) = object_key(l, &mut lex, tok, pos);
                        break;
                    }
                    Tok::ObjEnd => complete_container(l, &mut depth, &mut in_array, &mut next_index),
                    _ => expected(l, "comma or object end", tok, pos),
                }
            }
        }
    }
}

/// Takes an object member's key (`tok`, already pushed if it is a string) and its colon,
/// leaving the key in D_KEY; returns the token that starts the member's value.
unsafe fn object_key(l: State, lex: &mut Lexer, tok: Tok, pos: usize) -> (Tok, usize) {
    if tok != Tok::Str {
        expected(l, "object key string", tok, pos);
    }
    ffi::lua_replace(l, D_KEY);
    let (tok, pos) = lex.next(l);
    if tok != Tok::Colon {
        expected(l, "colon", tok, pos);
    }
    lex.next(l)
}

/// Stores the value at the top of the stack in the container being filled (or, at depth 0,
/// makes it the result).
unsafe fn store_value(l: State, depth: i64, in_array: bool, next_index: &mut i64) {
    if depth == 0 {
        ffi::lua_replace(l, D_CONTAINER);
        ffi::lua_settop(l, D_KEY);
    } else if in_array {
        ffi::lua_rawseti_(l, D_CONTAINER, (*next_index).min(i64::from(c_int::MAX)) as c_int);
        *next_index += 1;
    } else {
        // Stack: container, key, value.
        ffi::lua_settop(l, D_KEY + 1);
        ffi::lua_rawset(l, D_CONTAINER);
        ffi::lua_settop(l, D_KEY);
    }
}

/// Closes the container in D_CONTAINER: it becomes a value of its parent (or the result).
unsafe fn complete_container(l: State, depth: &mut i64, in_array: &mut bool, next_index: &mut i64) {
    *depth -= 1;
    ffi::lua_settop(l, D_KEY);
    if *depth == 0 {
        return;
    }
    let base = chain_base(*depth, 2);
    // Stack: child, then the parent and its key put back in place.
    ffi::lua_pushvalue(l, D_CONTAINER);
    ffi::lua_rawgeti_(l, D_CHAIN, base + 1);
    ffi::lua_replace(l, D_CONTAINER);
    ffi::lua_rawgeti_(l, D_CHAIN, base + 2);
    if ffi::lua_type(l, -1) == ffi::LUA_TNUMBER {
        *in_array = true;
        *next_index = ffi::lua_tonumber(l, -1) as i64;
        ffi::lua_pop(l, 1);
        ffi::lua_pushnil(l);
        ffi::lua_replace(l, D_KEY);
    } else {
        *in_array = false;
        ffi::lua_replace(l, D_KEY);
    }
    // The child is at the top again.
    store_value(l, *depth, *in_array, next_index);
}

#[cfg(test)]
mod tests {
    //! Every case was run on Redis 7.0.15 as `EVAL "<PRELUDE><expression>" 0` (after SCRIPT
    //! FLUSH) and its reply recorded; here the same Lua runs against this module.

    use mlua::{Lua, LuaOptions, StdLib};

    fn lua() -> Lua {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default()).expect("lua");
        let cjson = super::open(&lua).expect("open");
        lua.globals().set("cjson", cjson).expect("set cjson");
        lua
    }

    /// Runs `PRELUDE .. expr` as Redis's EVAL would (chunk name "@user_script") and returns the
    /// string it produces.
    fn run(lua: &Lua, expr: &str) -> Vec<u8> {
        let code = format!("{PRELUDE}{expr}");
        match lua.load(&code).set_name("@user_script").eval::<mlua::LuaString>() {
            Ok(s) => s.as_bytes().to_vec(),
            Err(e) => format!("RUST ERROR: {e}").into_bytes(),
        }
    }

    /// The Lua prelude every case runs after (on the same line): `show(...)` renders values.
    const PRELUDE: &str = "local function dump(v) local t=type(v) if t=='string' then return string.format('%q',v) elseif t=='table' then local ks={} for k,x in pairs(v) do ks[#ks+1]=dump(k)..'='..dump(x) end table.sort(ks) return '{'..table.concat(ks,',')..'}' elseif v==cjson.null then return 'NULL' elseif t=='number' then return string.format('%.17g',v) else return tostring(v) end end local function show(...) local o={} for i=1,select('#',...) do o[#o+1]=dump((select(i,...))) end return table.concat(o,' | ') end local c=cjson.new() return ";

    /// (probe expression, exact reply of Redis 7.0.15 to EVAL of PRELUDE .. expression)
    const CASES: &[(&str, &[u8])] = &[
        ("show(cjson._NAME, cjson._VERSION, type(cjson.null), tostring(cjson.null), cjson.null == nil, getmetatable(cjson.null))", b"\"cjson\" | \"2.1.0\" | \"userdata\" | \"userdata: (nil)\" | false | nil"),
        ("show(type(cjson.encode), type(cjson.decode), type(cjson.new), type(cjson.encode_sparse_array), type(cjson.decode_max_depth))", b"\"function\" | \"function\" | \"function\" | \"function\" | \"function\""),
        ("show(cjson.encode_sparse_array())", b"false | 2 | 10"),
        ("show(cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers())", b"1000 | 1000 | 14 | true | false | true"),
        ("show(c.encode_sparse_array(true), c.encode_sparse_array(nil, 3), c.encode_sparse_array(\"off\", nil, 0))", b"true | true | false | 3 | 0"),
        ("show(c.encode_sparse_array(\"on\", 5, 6))", b"true | 5 | 6"),
        ("show(pcall(c.encode_sparse_array, 1))", b"false | \"bad argument #1 to '?' (invalid option '1')\""),
        ("show(pcall(c.encode_sparse_array, false, \"x\"))", b"false | \"bad argument #2 to '?' (number expected, got string)\""),
        ("show(pcall(c.encode_sparse_array, false, -1))", b"false | \"bad argument #1 to '?' (expected integer between 0 and 2147483647)\""),
        ("show(pcall(c.encode_sparse_array, false, 2, -1))", b"false | \"bad argument #1 to '?' (expected integer between 0 and 2147483647)\""),
        ("show(pcall(c.encode_sparse_array, false, 2, 10, 1))", b"false | \"bad argument #4 to '?' (found too many arguments)\""),
        ("show(pcall(c.encode_sparse_array, nil, nil, nil, nil))", b"false | \"bad argument #4 to '?' (found too many arguments)\""),
        ("show(c.encode_sparse_array(false, 2, 2^32+3))", b"false | 2 | 3"),
        ("show(c.encode_max_depth(5), c.encode_max_depth(nil), c.encode_max_depth(\"7\"), c.encode_max_depth(2.7), c.encode_max_depth(\" 0x10 \"), c.encode_max_depth(\"1e2\"))", b"5 | 5 | 7 | 2 | 16 | 100"),
        ("show(c.encode_max_depth(2^32+5), c.encode_max_depth(-2^32+7), c.encode_max_depth(2^31-1))", b"5 | 7 | 2147483647"),
        ("show(pcall(c.encode_max_depth, 0))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(c.encode_max_depth, 2^31))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(c.encode_max_depth, 1e300))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(c.encode_max_depth, 0/0))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(c.encode_max_depth, -0.5))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(c.encode_max_depth, \"x\"))", b"false | \"bad argument #1 to '?' (number expected, got string)\""),
        ("show(pcall(c.encode_max_depth, true))", b"false | \"bad argument #1 to '?' (number expected, got boolean)\""),
        ("show(pcall(c.encode_max_depth, {}))", b"false | \"bad argument #1 to '?' (number expected, got table)\""),
        ("show(pcall(c.encode_max_depth, 1, 2))", b"false | \"bad argument #2 to '?' (found too many arguments)\""),
        ("show(pcall(function() return c.encode_max_depth(0) end))", b"false | \"user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(function() return cjson.encode_max_depth(0) end))", b"false | \"user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)\""),
        ("show(pcall(c.decode_max_depth, 0))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 2147483647)\""),
        ("show(c.decode_max_depth(3))", b"3"),
        ("show(pcall(c.encode_number_precision, 0))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 14)\""),
        ("show(pcall(c.encode_number_precision, 15))", b"false | \"bad argument #1 to '?' (expected integer between 1 and 14)\""),
        ("show(c.encode_number_precision(1), c.encode_number_precision(14.9))", b"1 | 14"),
        ("show(c.encode_keep_buffer(false), c.encode_keep_buffer(nil), c.encode_keep_buffer(\"on\"), c.encode_keep_buffer(\"off\"), c.encode_keep_buffer(true))", b"false | false | true | false | true"),
        ("show(pcall(c.encode_keep_buffer, 1))", b"false | \"bad argument #1 to '?' (invalid option '1')\""),
        ("show(pcall(c.encode_keep_buffer, 1.5))", b"false | \"bad argument #1 to '?' (invalid option '1.5')\""),
        ("show(pcall(c.encode_keep_buffer, \"ON\"))", b"false | \"bad argument #1 to '?' (invalid option 'ON')\""),
        ("show(pcall(c.encode_keep_buffer, {}))", b"false | \"bad argument #1 to '?' (string expected, got table)\""),
        ("show(pcall(c.encode_keep_buffer, string.gsub))", b"false | \"bad argument #1 to '?' (string expected, got function)\""),
        ("show(pcall(c.encode_keep_buffer, nil, 1))", b"false | \"bad argument #2 to '?' (found too many arguments)\""),
        ("show(pcall(function() return c.encode_keep_buffer(\"x\") end))", b"false | \"user_script:1: bad argument #1 to 'encode_keep_buffer' (invalid option 'x')\""),
        ("show(c.encode_invalid_numbers(\"null\"), c.encode_invalid_numbers(nil), c.encode_invalid_numbers(true), c.encode_invalid_numbers(\"off\"), c.encode_invalid_numbers(\"on\"))", b"\"null\" | \"null\" | true | false | true"),
        ("show(pcall(c.encode_invalid_numbers, \"x\"))", b"false | \"bad argument #1 to '?' (invalid option 'x')\""),
        ("show(c.decode_invalid_numbers(false), c.decode_invalid_numbers(nil), c.decode_invalid_numbers(\"on\"))", b"false | false | true"),
        ("show(pcall(c.decode_invalid_numbers, \"null\"))", b"false | \"bad argument #1 to '?' (invalid option 'null')\""),
        ("show(pcall(c.decode_invalid_numbers, \"on\", nil))", b"false | \"bad argument #2 to '?' (found too many arguments)\""),
        ("show(c == cjson, c.null == cjson.null, c._NAME, c._VERSION, type(c.new), type(cjson.new(1, 2, 3)))", b"false | true | \"cjson\" | \"2.1.0\" | \"function\" | \"table\""),
        ("show(c.encode_max_depth(5), cjson.encode_max_depth(), c.new().encode_max_depth())", b"5 | 1000 | 1000"),
        ("show(c.encode_max_depth(2), pcall(c.encode, {{{}}}))", b"2 | false | \"Cannot serialise, excessive nesting (3)\""),
        ("show(c.encode(1), c.encode(-1), c.encode(0), c.encode(0.1), c.encode(1/3), c.encode(-1/3))", b"\"1\" | \"-1\" | \"0\" | \"0.1\" | \"0.33333333333333\" | \"-0.33333333333333\""),
        ("show(c.encode(-1/(1/0)), c.encode(1e14), c.encode(1e15), c.encode(1e16), c.encode(123456789012345678), c.encode(2^53))", b"\"-0\" | \"1e+14\" | \"1e+15\" | \"1e+16\" | \"1.2345678901235e+17\" | \"9.007199254741e+15\""),
        ("show(c.encode(1e300), c.encode(1e-300), c.encode(5e-324), c.encode(-2^63), c.encode(3.14159265358979), c.encode(1e21))", b"\"1e+300\" | \"1e-300\" | \"4.9406564584125e-324\" | \"-9.2233720368548e+18\" | \"3.1415926535898\" | \"1e+21\""),
        ("show(c.encode(1.5e-7), c.encode(0.0001), c.encode(0.00001), c.encode(123456.789), c.encode(123456789012345), c.encode(12345678901234))", b"\"1.5e-07\" | \"0.0001\" | \"1e-05\" | \"123456.789\" | \"1.2345678901234e+14\" | \"12345678901234\""),
        ("show(c.encode(99999999999999.5), c.encode(2^63), c.encode(-2^31), c.encode(2^31), c.encode(1.7976931348623157e308), c.encode(2.2250738585072014e-308))", b"\"1e+14\" | \"9.2233720368548e+18\" | \"-2147483648\" | \"2147483648\" | \"1.7976931348623e+308\" | \"2.2250738585072e-308\""),
        ("show(c.encode_number_precision(3), c.encode(1/3), c.encode(1234567), c.encode(100), c.encode(1e3), c.encode(12345))", b"3 | \"0.333\" | \"1.23e+06\" | \"100\" | \"1e+03\" | \"1.23e+04\""),
        ("show(c.encode_number_precision(1), c.encode(0.15), c.encode(25), c.encode(-9.5))", b"1 | \"0.1\" | \"2e+01\" | \"-1e+01\""),
        ("show(pcall(c.encode, 1/0))", b"false | \"Cannot serialise number: must not be NaN or Inf\""),
        ("show(pcall(c.encode, -1/0))", b"false | \"Cannot serialise number: must not be NaN or Inf\""),
        ("show(pcall(c.encode, 0/0))", b"false | \"Cannot serialise number: must not be NaN or Inf\""),
        ("show(pcall(c.encode, {1, 2, {0/0}}))", b"false | \"Cannot serialise number: must not be NaN or Inf\""),
        ("show(c.encode_invalid_numbers(true), c.encode(1/0), c.encode(-1/0), c.encode(0/0), c.encode(-(0/0)), c.encode({1/0}))", b"true | \"inf\" | \"-inf\" | \"nan\" | \"nan\" | \"[inf]\""),
        ("show(c.encode_invalid_numbers(\"null\"), c.encode(1/0), c.encode(-1/0), c.encode(0/0), c.encode({0/0, a=1/0}))", b"\"null\" | \"null\" | \"null\" | \"null\" | \"{\\\"1\\\":null,\\\"a\\\":null}\""),
        ("show(c.encode(\"\"), c.encode(\"abc\"), c.encode(\"a\\0b\"), c.encode(\"\\\"\\\\/\"), c.encode(\"\\b\\f\\n\\r\\t\"))", b"\"\\\"\\\"\" | \"\\\"abc\\\"\" | \"\\\"a\\\\u0000b\\\"\" | \"\\\"\\\\\\\"\\\\\\\\\\\\/\\\"\" | \"\\\"\\\\b\\\\f\\\\n\\\\r\\\\t\\\"\""),
        ("show(c.encode(\"\\1\\2\\31\\127\\128\\255 ~\"))", b"\"\\\"\\\\u0001\\\\u0002\\\\u001f\\\\u007f\x80\xff ~\\\"\""),
        ("show(c.encode(\"caf\\195\\169 \\226\\130\\172\"))", b"\"\\\"caf\xc3\xa9 \xe2\x82\xac\\\"\""),
        ("show((function() local t={} for i=0,255 do t[#t+1]=string.char(i) end return c.encode(table.concat(t)) end)())", b"\"\\\"\\\\u0000\\\\u0001\\\\u0002\\\\u0003\\\\u0004\\\\u0005\\\\u0006\\\\u0007\\\\b\\\\t\\\\n\\\\u000b\\\\f\\\\r\\\\u000e\\\\u000f\\\\u0010\\\\u0011\\\\u0012\\\\u0013\\\\u0014\\\\u0015\\\\u0016\\\\u0017\\\\u0018\\\\u0019\\\\u001a\\\\u001b\\\\u001c\\\\u001d\\\\u001e\\\\u001f !\\\\\\\"#$%&'()*+,-.\\\\/0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\\\u007f\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xdb\xdc\xdd\xde\xdf\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee\xef\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff\\\"\""),
        ("show(c.encode({}), c.encode({1,2,3}), c.encode({{},{{}}}), c.encode({a=1}), c.encode({1,a=2}))", b"\"{}\" | \"[1,2,3]\" | \"[{},[{}]]\" | \"{\\\"a\\\":1}\" | \"{\\\"1\\\":1,\\\"a\\\":2}\""),
        ("show(c.encode({[1]=1,[3]=3}), c.encode({[2]=1}), c.encode({[10]=1}), c.encode({nil,2}), c.encode({1,nil,3}), c.encode({1,2,nil,nil,nil}))", b"\"[1,null,3]\" | \"[null,1]\" | \"[null,null,null,null,null,null,null,null,null,1]\" | \"[null,2]\" | \"[1,null,3]\" | \"[1,2]\""),
        ("show(c.encode({[1]=1,[2]=2,[3]=3,[4]=4,[5]=5,[6]=6,[13]=1}))", b"\"[1,2,3,4,5,6,null,null,null,null,null,null,1]\""),
        ("show(pcall(c.encode, {[1]=1,[20]=1}))", b"false | \"Cannot serialise table: excessively sparse array\""),
        ("show(pcall(c.encode, {[11]=1}))", b"false | \"Cannot serialise table: excessively sparse array\""),
        ("show(pcall(c.encode, {[2^31-1]=1}))", b"false | \"Cannot serialise table: excessively sparse array\""),
        ("show(c.encode({[2^31]=1}), c.encode({[2^32+1]=1}), c.encode({[1]=1,[2^32+1]=1}), c.encode({[-2^32+1]=1}))", b"\"{\\\"2147483648\\\":1}\" | \"{\\\"4294967297\\\":1}\" | \"{\\\"1\\\":1,\\\"4294967297\\\":1}\" | \"{\\\"-4294967295\\\":1}\""),
        ("show(c.encode({[1.5]=1}), c.encode({[1]=1,[-1]=2}), c.encode({[0]=1}), c.encode({[2^53]=1}), c.encode({[1e300]=1}), c.encode({1,2,[4.5]=3}))", b"\"{\\\"1.5\\\":1}\" | \"{\\\"1\\\":1,\\\"-1\\\":2}\" | \"{\\\"0\\\":1}\" | \"{\\\"9.007199254741e+15\\\":1}\" | \"{\\\"1e+300\\\":1}\" | \"{\\\"1\\\":1,\\\"2\\\":2,\\\"4.5\\\":3}\""),
        ("show(c.encode({[-1/(1/0)]=1}), c.encode({[\"1\"]=1, [2]=2}))", b"\"{\\\"-0\\\":1}\" | \"{\\\"1\\\":1,\\\"2\\\":2}\""),
        ("show(c.encode_sparse_array(true), c.encode({[1]=1,[20]=1}), c.encode({[11]=1}), c.encode({[3]=1}))", b"true | \"{\\\"1\\\":1,\\\"20\\\":1}\" | \"{\\\"11\\\":1}\" | \"[null,null,1]\""),
        ("show(c.encode_sparse_array(false, 0), c.encode({[1]=1,[30]=1}))", b"false | \"[1,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,1]\""),
        ("show(c.encode_sparse_array(false, 2, 0), c.encode({[2]=1}), pcall(c.encode, {[3]=1}))", b"false | \"[null,1]\" | false | \"Cannot serialise table: excessively sparse array\""),
        ("show(c.encode({n=c.null, t=true, f=false}))", b"\"{\\\"t\\\":true,\\\"f\\\":false,\\\"n\\\":null}\""),
        ("show(c.encode({alpha=1, beta={1,2}, gamma=\"x\", delta={d=false}}))", b"\"{\\\"delta\\\":{\\\"d\\\":false},\\\"beta\\\":[1,2],\\\"alpha\\\":1,\\\"gamma\\\":\\\"x\\\"}\""),
        ("show(c.encode(true), c.encode(false), c.encode(nil), c.encode(c.null), c.encode(cjson.null))", b"\"true\" | \"false\" | \"null\" | \"null\" | \"null\""),
        ("show(pcall(c.encode, {[true]=1}))", b"false | \"Cannot serialise boolean: table key must be a number or string\""),
        ("show(pcall(c.encode, {[{}]=1}))", b"false | \"Cannot serialise table: table key must be a number or string\""),
        ("show(pcall(c.encode, {[c.null]=1}))", b"false | \"Cannot serialise userdata: table key must be a number or string\""),
        ("show(pcall(c.encode, {[1/0]=1}))", b"false | \"Cannot serialise number: must not be NaN or Inf\""),
        ("show(c.encode_invalid_numbers(\"null\"), c.encode({[1/0]=1}))", b"\"null\" | \"{\\\"null\\\":1}\""),
        ("show(c.encode_invalid_numbers(true), c.encode({[1/0]=1}), c.encode({[-1/0]=1}))", b"true | \"{\\\"inf\\\":1}\" | \"{\\\"-inf\\\":1}\""),
        ("show(c.encode_number_precision(3), c.encode({[1/3]=1/3}))", b"3 | \"{\\\"0.333\\\":0.333}\""),
        ("show(pcall(c.encode))", b"false | \"bad argument #1 to '?' (expected 1 argument)\""),
        ("show(pcall(c.encode, 1, 2))", b"false | \"bad argument #1 to '?' (expected 1 argument)\""),
        ("show(pcall(c.encode, function() end))", b"false | \"Cannot serialise function: type not supported\""),
        ("show(pcall(c.encode, {a=function() end}))", b"false | \"Cannot serialise function: type not supported\""),
        ("show(pcall(c.encode, {1, 2, string.gsub}))", b"false | \"Cannot serialise function: type not supported\""),
        ("show(pcall(function() return c.encode(function() end) end))", b"false | \"user_script:1: Cannot serialise function: type not supported\""),
        ("show(pcall(function() return cjson.encode({[true]=1}) end))", b"false | \"user_script:1: Cannot serialise boolean: table key must be a number or string\""),
        ("show(c.encode({[\"a\\\"/\"]=\"\\\\\"}))", b"\"{\\\"a\\\\\\\"\\\\/\\\":\\\"\\\\\\\\\\\"}\""),
        ("show(c.encode_max_depth(3), c.encode({{{1}}}))", b"3 | \"[[[1]]]\""),
        ("show(c.encode_max_depth(3), pcall(c.encode, {{{{1}}}}))", b"3 | false | \"Cannot serialise, excessive nesting (4)\""),
        ("show(c.encode_max_depth(3), pcall(c.encode, {a={b={c={}}}}))", b"3 | false | \"Cannot serialise, excessive nesting (4)\""),
        ("show(c.encode_max_depth(3), pcall(c.encode, {{{}}, {{{}}}}))", b"3 | false | \"Cannot serialise, excessive nesting (4)\""),
        ("show((function() local t={} t[1]=t return pcall(c.encode, t) end)())", b"false | \"Cannot serialise, excessive nesting (1001)\""),
        ("show((function() local t={} local x=t for i=1,999 do x[1]={} x=x[1] end return #c.encode(t) end)())", b"2000"),
        ("show((function() local t={} local x=t for i=1,1000 do x[1]={} x=x[1] end return pcall(c.encode, t) end)())", b"false | \"Cannot serialise, excessive nesting (1001)\""),
        ("show((function() c.encode_max_depth(2^31-1) local t={} local x=t for i=1,7996 do x[1]={} x=x[1] end return #c.encode(t) end)())", b"15994"),
        ("show((function() c.encode_max_depth(2^31-1) local t={} local x=t for i=1,7997 do x[1]={} x=x[1] end return pcall(c.encode, t) end)())", b"false | \"Cannot serialise, excessive nesting (7998)\""),
        ("show((function() c.encode_max_depth(2^31-1) local t={} local x=t for i=1,20000 do x={x} end return pcall(c.encode, x) end)())", b"false | \"Cannot serialise, excessive nesting (7998)\""),
        ("show(pcall(c.decode, string.rep(\"[\",1001)..string.rep(\"]\",1001)))", b"false | \"Found too many nested data structures (1001) at character 1001\""),
        ("show(#c.encode(c.decode(string.rep(\"[\",1000)..string.rep(\"]\",1000))))", b"2000"),
        ("show(c.decode_max_depth(2^31-1), pcall(c.decode, string.rep(\"[\",7999)..string.rep(\"]\",7999)))", b"2147483647 | false | \"Found too many nested data structures (7999) at character 7999\""),
        ("show(c.decode_max_depth(2^31-1), c.encode_max_depth(2^31-1), #c.encode(c.decode(string.rep(\"[\",7997)..string.rep(\"]\",7997))))", b"2147483647 | 2147483647 | 15994"),
        ("show((function() c.decode_max_depth(2^31-1) local t = c.decode(string.rep(\"[\",7998)..string.rep(\"]\",7998)) return type(t) end)())", b"\"table\""),
        ("show(c.decode_max_depth(3), c.decode(\"[[[1]]]\"))", b"3 | {1={1={1=1}}}"),
        ("show(c.decode_max_depth(3), pcall(c.decode, \"[[[[1]]]]\"))", b"3 | false | \"Found too many nested data structures (4) at character 4\""),
        ("show(c.decode_max_depth(3), pcall(c.decode, \"  [[ [{}]]]\"))", b"3 | false | \"Found too many nested data structures (4) at character 7\""),
        ("show(c.decode_max_depth(3), pcall(c.decode, \"{\\\"a\\\":{\\\"b\\\":{\\\"c\\\":{}}}}\"))", b"3 | false | \"Found too many nested data structures (4) at character 16\""),
        ("show(c.decode_max_depth(3), pcall(c.decode, \"[[[[\"))", b"3 | false | \"Found too many nested data structures (4) at character 4\""),
        ("show(c.decode_max_depth(3), pcall(c.decode, \"[[[]],[[[\"))", b"3 | false | \"Found too many nested data structures (4) at character 9\""),
        ("show(c.decode(\"1\"), c.decode(\"-0\"), c.decode(\"1e400\"), c.decode(\"-1e400\"), c.decode(\"0x10\"), c.decode(\"Infinity\"))", b"1 | -0 | inf | -inf | 16 | inf"),
        ("show(c.decode(\"-Infinity\"), c.decode(\"NaN\"), c.decode(\"inf\"), c.decode(\"+1\"), c.decode(\"01\"), c.decode(\"-01\"))", b"-inf | nan | inf | 1 | 1 | -1"),
        ("show(c.decode(\"1.\"), c.decode(\"1.5e+3\"), c.decode(\"12345678901234567890\"), c.decode(\"1E2\"), c.decode(\"00\"), c.decode(\"1e-400\"))", b"1 | 1500 | 1.2345678901234567e+19 | 100 | 0 | 0"),
        ("show(c.decode(\"  1  \"), c.decode(\"\\t\\n\\r 1\"), c.decode(\"-0x10\"), c.decode(\"nan(123)\"), c.decode(\"0x1p3\"), c.decode(\"0x.8\"))", b"1 | 1 | -16 | nan | 8 | 0.5"),
        ("show(c.decode(\"+inf\"), c.decode(\"-Inf\"), c.decode(\"INF\"), c.decode(\"infinity\"), c.decode(\"4.9e-324\"), c.decode(\"0.e1\"))", b"inf | -inf | inf | inf | 4.9406564584124654e-324 | 0"),
        ("show(c.decode(\"true\"), c.decode(\"false\"), c.decode(\"null\"), c.decode(\"\\\"\\\"\"), c.decode(\"[]\"), c.decode(\"{}\"))", b"true | false | NULL | \"\" | {} | {}"),
        ("show(c.decode(1), c.decode(12.5), c.decode(\"[true,false,null]\"), c.decode(\"{\\\"a\\\":null}\"))", b"1 | 12.5 | {1=true,2=false,3=NULL} | {\"a\"=NULL}"),
        ("show(c.decode(\"{\\\"a\\\":1,\\\"a\\\":2}\"), c.decode(\"{\\\"1\\\":2}\"), c.decode(\"[[[]]]\"), c.decode(\"{\\\"\\\":1}\"), c.decode(\"  [ 1 , 2 ]  \"))", b"{\"a\"=2} | {\"1\"=2} | {1={1={}}} | {\"\"=1} | {1=1,2=2}"),
        ("show(c.decode(\"{\\\"a\\\":[1,{\\\"b\\\":{}}],\\\"c\\\":[\\\"x\\\",[2,[3]],{}]}\"))", b"{\"a\"={1=1,2={\"b\"={}}},\"c\"={1=\"x\",2={1=2,2={1=3}},3={}}}"),
        ("show(c.decode(\"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]\"))", b"{10=10,11=11,12=12,13=13,14=14,15=15,16=16,17=17,18=18,19=19,1=1,20=20,2=2,3=3,4=4,5=5,6=6,7=7,8=8,9=9}"),
        ("show(c.decode(\"[null,null]\")[2] == c.null, c.decode(\"null\") == cjson.null)", b"true | true"),
        ("show(c.encode(c.decode(\"{\\\"a\\\":[1,2,{\\\"b\\\":null}],\\\"c\\\":\\\"\\\\u00e9\\\"}\")))", b"\"{\\\"a\\\":[1,2,{\\\"b\\\":null}],\\\"c\\\":\\\"\xc3\xa9\\\"}\""),
        ("show(pcall(c.decode, \".5\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode, \"1e\"))", b"false | \"Expected the end but found invalid token at character 2\""),
        ("show(pcall(c.decode, \"-\"))", b"false | \"Expected value but found invalid number at character 1\""),
        ("show(pcall(c.decode, \"- 1\"))", b"false | \"Expected value but found invalid number at character 1\""),
        ("show(pcall(c.decode, \"+\"))", b"false | \"Expected value but found invalid number at character 1\""),
        ("show(pcall(c.decode, \"+x\"))", b"false | \"Expected value but found invalid number at character 1\""),
        ("show(pcall(c.decode, \"in\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode, \"nanx\"))", b"false | \"Expected the end but found invalid token at character 4\""),
        ("show(pcall(c.decode, \"info\"))", b"false | \"Expected the end but found invalid token at character 4\""),
        ("show(pcall(c.decode, \"1e1.5\"))", b"false | \"Expected the end but found invalid token at character 4\""),
        ("show(pcall(c.decode, \"Infinityx\"))", b"false | \"Expected the end but found invalid token at character 9\""),
        ("show(pcall(c.decode, \"-0x\"))", b"false | \"Expected the end but found invalid token at character 3\""),
        ("show(pcall(c.decode, \"-i\"))", b"false | \"Expected value but found invalid number at character 1\""),
        ("show(pcall(c.decode, \"0xg\"))", b"false | \"Expected the end but found invalid token at character 2\""),
        ("show(pcall(c.decode, \"[+1]\"))", b"true | {1=1}"),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"+1\"))", b"false | false | \"Expected value but found invalid token at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"01\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"-01\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"0x10\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"inf\"))", b"false | false | \"Expected value but found invalid token at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"-inf\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"NaN\"))", b"false | false | \"Expected value but found invalid token at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"-nan\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"00\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"[01]\"))", b"false | false | \"Expected value but found invalid number at character 2\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"-x\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"0x\"))", b"false | false | \"Expected value but found invalid number at character 1\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"0.x\"))", b"false | false | \"Expected the end but found invalid token at character 3\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"0e\"))", b"false | false | \"Expected the end but found invalid token at character 2\""),
        ("show(c.decode_invalid_numbers(false), pcall(c.decode, \"+\"))", b"false | false | \"Expected value but found invalid token at character 1\""),
        ("show(c.decode_invalid_numbers(false), c.decode(\"1e400\"), c.decode(\"-0\"), c.decode(\"0.5\"), c.decode(\"0e1\"), c.decode(\"1.\"), c.decode(\"-1.5e3\"), c.decode(\"10\"))", b"false | inf | -0 | 0.5 | 0 | 1 | -1500 | 10"),
        ("show(pcall(c.decode, \"\"))", b"false | \"Expected value but found T_END at character 1\""),
        ("show(pcall(c.decode, \" \"))", b"false | \"Expected value but found T_END at character 2\""),
        ("show(pcall(c.decode, \"[\"))", b"false | \"Expected value but found T_END at character 2\""),
        ("show(pcall(c.decode, \"[1\"))", b"false | \"Expected comma or array end but found T_END at character 3\""),
        ("show(pcall(c.decode, \"[1,\"))", b"false | \"Expected value but found T_END at character 4\""),
        ("show(pcall(c.decode, \"[1,]\"))", b"false | \"Expected value but found T_ARR_END at character 4\""),
        ("show(pcall(c.decode, \"[,1]\"))", b"false | \"Expected value but found T_COMMA at character 2\""),
        ("show(pcall(c.decode, \"[1 2]\"))", b"false | \"Expected comma or array end but found T_NUMBER at character 4\""),
        ("show(pcall(c.decode, \"{\"))", b"false | \"Expected object key string but found T_END at character 2\""),
        ("show(pcall(c.decode, \"{\\\"a\\\"\"))", b"false | \"Expected colon but found T_END at character 5\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":\"))", b"false | \"Expected value but found T_END at character 6\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":1\"))", b"false | \"Expected comma or object end but found T_END at character 7\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":1,}\"))", b"false | \"Expected object key string but found T_OBJ_END at character 8\""),
        ("show(pcall(c.decode, \"{1:2}\"))", b"false | \"Expected object key string but found T_NUMBER at character 2\""),
        ("show(pcall(c.decode, \"{\\\"a\\\" 1}\"))", b"false | \"Expected colon but found T_NUMBER at character 6\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":1 \\\"b\\\":2}\"))", b"false | \"Expected comma or object end but found T_STRING at character 8\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":1]\"))", b"false | \"Expected comma or object end but found T_ARR_END at character 7\""),
        ("show(pcall(c.decode, \"[1}\"))", b"false | \"Expected comma or array end but found T_OBJ_END at character 3\""),
        ("show(pcall(c.decode, \"]\"))", b"false | \"Expected value but found T_ARR_END at character 1\""),
        ("show(pcall(c.decode, \"}\"))", b"false | \"Expected value but found T_OBJ_END at character 1\""),
        ("show(pcall(c.decode, \":\"))", b"false | \"Expected value but found T_COLON at character 1\""),
        ("show(pcall(c.decode, \",\"))", b"false | \"Expected value but found T_COMMA at character 1\""),
        ("show(pcall(c.decode, \"truex\"))", b"false | \"Expected the end but found invalid token at character 5\""),
        ("show(pcall(c.decode, \"true false\"))", b"false | \"Expected the end but found T_BOOLEAN at character 6\""),
        ("show(pcall(c.decode, \"tru\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode, \"nul\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode, \"[1]]\"))", b"false | \"Expected the end but found T_ARR_END at character 4\""),
        ("show(pcall(c.decode, \"[1] x\"))", b"false | \"Expected the end but found invalid token at character 5\""),
        ("show(pcall(c.decode, \"1 2\"))", b"false | \"Expected the end but found T_NUMBER at character 3\""),
        ("show(pcall(c.decode, \"\\f1\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode, \"\\v1\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode, \"[1,{\\\"a\\\":[true,]}]\"))", b"false | \"Expected value but found T_ARR_END at character 15\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":{\\\"b\\\":1}}}\"))", b"false | \"Expected the end but found T_OBJ_END at character 14\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":\\\"x\\\",\\\"b\\\":[1,2,\\\"y\\\" 3]}\"))", b"false | \"Expected comma or array end but found T_NUMBER at character 23\""),
        ("show(pcall(c.decode, \"[\\\"a\\\" \\\"b\\\"]\"))", b"false | \"Expected comma or array end but found T_STRING at character 6\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":1,\\\"b\\\" \\\"c\\\"}\"))", b"false | \"Expected colon but found T_STRING at character 12\""),
        ("show(pcall(function() return cjson.decode(\"x\") end))", b"false | \"user_script:1: Expected value but found invalid token at character 1\""),
        ("show(pcall(c.decode))", b"false | \"bad argument #1 to '?' (expected 1 argument)\""),
        ("show(pcall(c.decode, \"1\", 2))", b"false | \"bad argument #1 to '?' (expected 1 argument)\""),
        ("show(pcall(c.decode, {}))", b"false | \"bad argument #1 to '?' (string expected, got table)\""),
        ("show(pcall(c.decode, nil))", b"false | \"bad argument #1 to '?' (string expected, got nil)\""),
        ("show(pcall(c.decode, true))", b"false | \"bad argument #1 to '?' (string expected, got boolean)\""),
        ("show(pcall(c.decode, c.null))", b"false | \"bad argument #1 to '?' (string expected, got userdata)\""),
        ("show(pcall(function() return c.decode({}) end))", b"false | \"user_script:1: bad argument #1 to 'decode' (string expected, got table)\""),
        ("show(c.decode(\"\\\"abc\\\"\"), c.decode(\"\\\"a\\\\\\\"b\\\"\"), c.decode(\"\\\"\\\\b\\\\f\\\\n\\\\r\\\\t\\\\/\\\\\\\\\\\\\\\"\\\"\"))", b"\"abc\" | \"a\\\"b\" | \"\x08\x0c\\\n\\r\x09/\\\\\\\"\""),
        ("show(c.decode(\"\\\"\\\\u0041\\\"\"), c.decode(\"\\\"\\\\u00e9\\\"\"), c.decode(\"\\\"\\\\u20AC\\\"\"), c.decode(\"\\\"\\\\ud83d\\\\ude00\\\"\"), c.decode(\"\\\"\\\\uD800\\\\uDC00\\\"\"), c.decode(\"\\\"\\\\uDBFF\\\\uDFFF\\\"\"))", b"\"A\" | \"\xc3\xa9\" | \"\xe2\x82\xac\" | \"\xf0\x9f\x98\x80\" | \"\xf0\x90\x80\x80\" | \"\xf4\x8f\xbf\xbf\""),
        ("show(c.decode(\"\\\"\\\\u0000\\\"\"), c.decode(\"\\\"\\\\u07FF\\\\u0800\\\\uFFFF\\\\u0080\\\\u007F\\\"\"), c.decode(\"\\\"\\\\u00E9\\\\u00e9\\\"\"))", b"\"\\000\" | \"\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xc2\x80\x7f\" | \"\xc3\xa9\xc3\xa9\""),
        ("show(c.decode(\"\\\"a\\tb\\\"\"), c.decode(\"\\\"a\\1b\\\"\"), c.decode(\"\\\"a\\127\\128\\255\\\"\"), c.decode(\"\\\"x\\\\\\\\y\\\"\"))", b"\"a\x09b\" | \"a\x01b\" | \"a\x7f\x80\xff\" | \"x\\\\y\""),
        ("show(pcall(c.decode, \"\\\"abc\"))", b"false | \"Expected value but found unexpected end of string at character 5\""),
        ("show(pcall(c.decode, \"\\\"a\\\\x\\\"\"))", b"false | \"Expected value but found invalid escape code at character 3\""),
        ("show(pcall(c.decode, \"\\\"ab\\\\\"))", b"false | \"Expected value but found invalid escape code at character 4\""),
        ("show(pcall(c.decode, \"\\\"\\\\U0041\\\"\"))", b"false | \"Expected value but found invalid escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\ud83d\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\ud83dx\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\ud83d\\\\u0041\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\ude00\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\u00\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\u00g0\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"x\\\\u\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 3\""),
        ("show(pcall(c.decode, \"\\\"\\\\uD800\\\\uDBFF\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\uDC00\\\\uD800\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\ud83d\\\\ude0\\\"\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"\\\\ud83d\\\\\"))", b"false | \"Expected value but found invalid unicode escape code at character 2\""),
        ("show(pcall(c.decode, \"\\\"abc\\\\u\"))", b"false | \"Expected value but found invalid unicode escape code at character 5\""),
        ("show(pcall(c.decode, \"{\\\"a\\\\0\\\":1}\"))", b"false | \"Expected object key string but found invalid escape code at character 4\""),
        ("show(pcall(c.decode, \"[\\\"ok\\\\n\\\", \\\"\\\\q\\\"]\"))", b"false | \"Expected value but found invalid escape code at character 11\""),
        ("show(pcall(c.decode, \"\\\"a\\0b\\\"\"))", b"false | \"Expected value but found unexpected end of string at character 3\""),
        ("show(pcall(c.decode, \"\\0\"))", b"false | \"Expected value but found T_END at character 1\""),
        ("show(pcall(c.decode, \"\\0\\0\"))", b"false | \"JSON parser does not support UTF-16 or UTF-32\""),
        ("show(pcall(c.decode, \"1\\0\"))", b"false | \"JSON parser does not support UTF-16 or UTF-32\""),
        ("show(pcall(c.decode, \" 1\\0\"))", b"true | 1"),
        ("show(pcall(c.decode, \"[1]\\0junk\"))", b"true | {1=1}"),
        ("show(pcall(c.decode, \"[1,\\0]\"))", b"false | \"Expected value but found T_END at character 4\""),
        ("show(pcall(c.decode, \"[1, \\0]\"))", b"false | \"Expected value but found T_END at character 5\""),
        ("show(pcall(c.decode, \"\\\"ab\\0\"))", b"false | \"Expected value but found unexpected end of string at character 4\""),
        ("show(pcall(c.decode, \"  \\0\"))", b"false | \"Expected value but found T_END at character 3\""),
        ("show(pcall(c.decode, \"\\\"\\\\\\0\\\"\"))", b"false | \"Expected value but found invalid escape code at character 2\""),
        ("show(pcall(c.decode, \"1\\0junk\"))", b"false | \"JSON parser does not support UTF-16 or UTF-32\""),
        ("show(pcall(c.decode, \"tr\\0e\"))", b"false | \"Expected value but found invalid token at character 1\""),
        ("show(c.encode(c.decode(\"[1,2.5,-3e-7,\\\"s\\\",true,false,null,{\\\"k\\\":[]}]\")))", b"\"[1,2.5,-3e-07,\\\"s\\\",true,false,null,{\\\"k\\\":{}}]\""),
        ("show(c.encode(c.decode(\"\\\"\\\\ud83d\\\\ude00 \\\\u00e9\\\\/\\\"\")))", b"\"\\\"\xf0\x9f\x98\x80 \xc3\xa9\\\\/\\\"\""),
        ("show((function() local t={} for i=1,1000 do t[i]=i*1.5 end local s=c.encode(t) return #s, s:sub(1,40), c.decode(s)[1000] end)())", b"5263 | \"[1.5,3,4.5,6,7.5,9,10.5,12,13.5,15,16.5,\" | 1500"),
        ("show((function() local s=string.rep(\"x\\\"\\\\\\n\", 5000) return #c.encode(s), c.decode(c.encode(s)) == s end)())", b"35002 | true"),
        ("show(pcall(c.encode_sparse_array, true, -1), c.encode_sparse_array())", b"false | true | 2 | 10"),
        ("show(pcall(c.encode_sparse_array, true, 5, -1), c.encode_sparse_array())", b"false | true | 5 | 10"),
        ("show(pcall(function() return c:encode(1) end))", b"false | \"user_script:1: calling 'encode' on bad self (expected 1 argument)\""),
        ("show(pcall(function() return c:decode_max_depth(1) end))", b"false | \"user_script:1: bad argument #1 to 'decode_max_depth' (found too many arguments)\""),
        ("show(pcall(function() return c:encode_keep_buffer() end))", b"false | \"user_script:1: calling 'encode_keep_buffer' on bad self (string expected, got table)\""),
        ("show(pcall(c.decode, string.rep(\" \", 10) .. \"\\\"unterminated\"))", b"false | \"Expected value but found unexpected end of string at character 24\""),
        ("show((function() local s = string.rep(\"{\\\"a\\\":\", 1000) .. \"1\" .. string.rep(\"}\", 1000) return #c.encode(c.decode(s)) end)())", b"6001"),
        ("show((function() local s = string.rep(\"{\\\"a\\\":\", 1001) .. \"1\" .. string.rep(\"}\", 1001) return pcall(c.decode, s) end)())", b"false | \"Found too many nested data structures (1001) at character 5001\""),
        ("show(c.encode_sparse_array(true), c.encode({[2^31-1]=1}))", b"true | \"{\\\"2147483647\\\":1}\""),
        ("show(c.encode({[\"k\\n\\0\"]={[\"\\127\"]=1}}), c.encode({[0.1]=1, [-2.5e-10]=2}))", b"\"{\\\"k\\\\n\\\\u0000\\\":{\\\"\\\\u007f\\\":1}}\" | \"{\\\"0.1\\\":1,\\\"-2.5e-10\\\":2}\""),
        ("show(c.encode({[1]=\"a\", [2]=\"b\", [3]=c.null}), c.encode({c.null, c.null}))", b"\"[\\\"a\\\",\\\"b\\\",null]\" | \"[null,null]\""),
        ("show(c.decode(\"[\\\"\\\\u00e9\\\", \\\"\\\\uFFFF\\\", \\\"\\\\uffff\\\"]\"))", b"{1=\"\xc3\xa9\",2=\"\xef\xbf\xbf\",3=\"\xef\xbf\xbf\"}"),
        ("show(c.decode(\"{\\\"a\\\":[],\\\"b\\\":{},\\\"c\\\":[{}],\\\"d\\\":[[],[]]}\"))", b"{\"a\"={},\"b\"={},\"c\"={1={}},\"d\"={1={},2={}}}"),
        ("show(pcall(c.decode, \"[1,2,3,]\"))", b"false | \"Expected value but found T_ARR_END at character 8\""),
        ("show(pcall(c.decode, \"{\\\"a\\\":1,\\\"b\\\":2,}\"))", b"false | \"Expected object key string but found T_OBJ_END at character 14\""),
        ("show(pcall(c.decode, \"[\\\"\\\\u12\\\"]\"))", b"false | \"Expected value but found invalid unicode escape code at character 3\""),
        ("show(pcall(c.decode, \"[1.5e, 2]\"))", b"false | \"Expected comma or array end but found invalid token at character 5\""),
        ("show(pcall(c.decode, \"nan\"), pcall(c.decode, \"-nan\"))", b"true | true | -nan"),
        ("show(c.decode(\"[0.1,1e-7,123456789,-0.0]\"))", b"{1=0.10000000000000001,2=9.9999999999999995e-08,3=123456789,4=-0}"),
        ("show(pcall(c.encode, c.decode(\"[0.1,1e-7,123456789,-0.0,1e400]\")))", b"false | \"Cannot serialise number: must not be NaN or Inf\""),
    ];

    #[test]
    fn matches_redis() {
        let mut failures = Vec::new();
        for (expr, want) in CASES {
            let got = run(&lua(), expr);
            if got != *want {
                failures.push(format!(
                    "{expr}\n   want: {}\n    got: {}",
                    String::from_utf8_lossy(want),
                    String::from_utf8_lossy(&got)
                ));
            }
        }
        assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), CASES.len(), failures.join("\n"));
    }

    #[test]
    fn members() {
        let lua = lua();
        let got = run(
            &lua,
            "(function() local t={} for k,v in pairs(cjson) do t[#t+1]=k..'='..type(v) end table.sort(t) return table.concat(t, ' ') end)()",
        );
        // Probe: the same listing on Redis 7.0.15.
        assert_eq!(
            String::from_utf8_lossy(&got),
            "_NAME=string _VERSION=string decode=function decode_invalid_numbers=function \
             decode_max_depth=function encode=function encode_invalid_numbers=function \
             encode_keep_buffer=function encode_max_depth=function encode_number_precision=function \
             encode_sparse_array=function new=function null=userdata"
        );
    }

    #[test]
    fn errors_are_strings() {
        let lua = lua();
        // Probe: {pcall(cjson.encode, function() end)} on Redis gives a string error.
        let got =
            run(&lua, "(function() local ok, e = pcall(cjson.encode, cjson.encode) return type(e) .. ' ' .. e end)()");
        assert_eq!(got, b"string Cannot serialise function: type not supported");
    }

    #[test]
    fn settings_are_per_table() {
        let lua = lua();
        // Probe: settings persist between calls on the same table, and new() starts afresh.
        assert_eq!(run(&lua, "show(cjson.encode_max_depth(7))"), b"7");
        assert_eq!(run(&lua, "show(cjson.encode_max_depth(), cjson.new().encode_max_depth())"), b"7 | 1000");
    }

    #[test]
    fn large_documents() {
        let lua = lua();
        let got = run(
            &lua,
            "(function() local t={} for i=1,100000 do t[i]={k=i, s='v'..i} end local s=cjson.encode(t) local d=cjson.decode(s) return #s .. ' ' .. d[100000].s .. ' ' .. d[99999].k end)()",
        );
        // Probe: the same chunk on Redis.
        assert_eq!(got, b"2477791 v100000 99999");
    }

    #[test]
    fn arbitrary_input_never_breaks() {
        let lua = lua();
        // Random JSON-like texts and byte strings: decode must answer (value or error), and
        // whatever it returns must encode (or fail with an error), under every setting.
        let got = run(
            &lua,
            r#"(function()
                math.randomseed(7)
                local parts = {'[', ']', '{', '}', ',', ':', '"', '\\', 'u', 'd83d', '1', '-', '0x',
                    'e', '.', 'true', 'nul', 'null', ' ', '\0', 'inf', 'nan', '+', '"a"', '\255', 'x'}
                local n = 0
                for round = 1, 3000 do
                    local c = cjson.new()
                    c.decode_invalid_numbers(round % 2 == 0)
                    c.encode_invalid_numbers(({true, false, 'null'})[round % 3 + 1])
                    c.decode_max_depth(round % 7 + 1)
                    c.encode_max_depth(round % 5 + 1)
                    c.encode_sparse_array(round % 2 == 1, round % 4, round % 3)
                    local t = {}
                    for i = 1, math.random(0, 30) do
                        if math.random() < 0.2 then t[#t+1] = string.char(math.random(0, 255))
                        else t[#t+1] = parts[math.random(#parts)] end
                    end
                    local ok, v = pcall(c.decode, table.concat(t))
                    if ok then
                        local ok2, s = pcall(c.encode, v)
                        if ok2 then n = n + 1 end
                    end
                    local mixed = {1, 2, [5] = {a = 0/0, [1.5] = -1/0}, [-3] = 'x', [2^40] = true}
                    pcall(c.encode, mixed)
                end
                return tostring(n > 0)
            end)()"#,
        );
        assert_eq!(got, b"true");
    }
}
