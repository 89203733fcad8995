//! The `cmsgpack` library Redis loads into its Lua VM (lua-cmsgpack 0.4.0): MessagePack encoding
//! and decoding of Lua values.
//!
//! * `cmsgpack.pack(v1, v2, ...)` encodes each argument and concatenates the encodings.
//! * `cmsgpack.unpack(s)` decodes every value in `s` and returns them all.
//! * `cmsgpack.unpack_one(s [, offset])` and `cmsgpack.unpack_limit(s, limit [, offset])` decode
//!   one / at most `limit` values starting at byte `offset` (0-based) and return the offset of the
//!   next value (-1 once the input is used up) followed by the values. `unpack_limit` with limit 0
//!   and offset 0 is `unpack`; with limit 0 and another offset it decodes nothing.
//! * Fields `_NAME`, `_VERSION`, `_COPYRIGHT`, `_DESCRIPTION` as in Redis.
//!
//! What matches Redis 7.0:
//!
//! * Numbers: a number equal to its truncation to a signed 64-bit integer (x86-64 semantics: NaN
//!   and anything outside [-2^63, 2^63) are not) is an integer and takes the smallest of positive
//!   fixint, uint 8/16/32/64, negative fixint, int 8/16/32/64; any other number is a float 32 when
//!   converting it to `float` and back gives it unchanged (so ±inf too), otherwise a float 64.
//! * Strings: fixstr, str 8, str 16, str 32 (never bin). Booleans, nil; functions, userdata and
//!   threads are encoded as nil.
//! * Tables: an array (fixarray / array 16 / array 32, elements 1..n) when every key is an
//!   integral number ≥ 1 and there are as many keys as the largest one (the empty table too),
//!   otherwise a map (fixmap / map 16 / map 32) in `next` order. Tables nested deeper than 16
//!   levels are encoded as nil.
//! * Decoding understands everything above plus uint 64 read as a signed 64-bit integer; bin, ext
//!   and 0xc1 are "Bad data format in input.", truncated input "Missing bytes in input.". Tables
//!   are created empty and filled in order, so their `pairs` order is Redis's. A nil or NaN map key
//!   raises Lua's own "table index is nil" / "table index is NaN".
//! * Lua stack use follows Redis's, so the limits on arguments, results and nesting give the same
//!   "stack overflow (...)" errors at the same sizes, with the same texts.
//! * All errors are Lua strings raised as Redis raises them (`luaL_error`, `luaL_argerror`).
//!
//! Encoding recurses at most 16 levels; decoding keeps its own explicit stack (bounded by the Lua
//! stack's 8000 slots), so nothing recurses on the input's nesting. The functions are Lua C
//! functions through `mlua::ffi`; the Rust work returns `Result` and every error is raised only
//! after its buffers are dropped (only a Lua memory error could unwind over one, leaking it).

use std::ffi::CStr;
use std::os::raw::c_int;

use mlua::ffi::{self, lua_State};
use mlua::{Lua, Result, Table};

/// Tables nested deeper than this are encoded as nil.
const MAX_NESTING: u32 = 16;

const TOO_MANY_VALUES: &CStr = c"too many return values at once; use unpack_one or unpack_limit instead.";
const IN_DECODE_ARRAY: &CStr = c"in function mp_decode_to_lua_array";
const IN_UNPACK: &CStr = c"in function mp_unpack_full";
const IN_IS_ARRAY: &CStr = c"in function table_is_an_array";
const IN_ENCODE_MAP: &CStr = c"in function mp_encode_lua_table_as_map";

/// Why an operation failed; raised by [`raise`] once Rust state is dropped.
enum Failure {
    /// "stack overflow (<what>)" with the caller's position, as `luaL_checkstack` raises it.
    Stack(&'static CStr),
    /// "Missing bytes in input."
    Eof,
    /// "Bad data format in input."
    BadFormat,
    /// Lua's own error for a nil table key (no position).
    NilIndex,
    /// Lua's own error for a NaN table key (no position).
    NanIndex,
}

/// The result of work that raises nothing itself.
type Outcome<T> = std::result::Result<T, Failure>;

/// Raises `msg` prefixed with the caller's position, as `luaL_error` does.
unsafe fn raise_message(state: *mut lua_State, msg: &[u8]) -> ! {
    ffi::luaL_where(state, 1);
    ffi::lua_pushlstring(state, msg.as_ptr().cast(), msg.len());
    ffi::lua_concat(state, 2);
    ffi::lua_error(state)
}

/// Raises `failure`. The stack is emptied first: the error may be that it is full, and building
/// the message needs room (the values on it are abandoned anyway).
unsafe fn raise(state: *mut lua_State, failure: Failure) -> ! {
    ffi::lua_settop(state, 0);
    match failure {
        Failure::Stack(what) => {
            ffi::luaL_where(state, 1);
            ffi::lua_pushstring(state, c"stack overflow (".as_ptr());
            ffi::lua_pushstring(state, what.as_ptr());
            ffi::lua_pushstring(state, c")".as_ptr());
            ffi::lua_concat(state, 4);
            ffi::lua_error(state)
        }
        Failure::Eof => raise_message(state, b"Missing bytes in input."),
        Failure::BadFormat => raise_message(state, b"Bad data format in input."),
        Failure::NilIndex => {
            ffi::lua_pushstring(state, c"table index is nil".as_ptr());
            ffi::lua_error(state)
        }
        Failure::NanIndex => {
            ffi::lua_pushstring(state, c"table index is NaN".as_ptr());
            ffi::lua_error(state)
        }
    }
}

/// Raises "bad argument #`arg` to '<name>' (`extra`)" through `luaL_argerror`.
unsafe fn arg_error(state: *mut lua_State, arg: c_int, extra: &CStr) -> ! {
    ffi::lua_settop(state, 0);
    ffi::luaL_argerror(state, arg, extra.as_ptr());
    // luaL_argerror does not return; this only gives the function its `!` type.
    ffi::lua_error(state)
}

/// `lua_checkstack(state, n)` or the failure Redis raises there.
unsafe fn check_stack(state: *mut lua_State, n: c_int, what: &'static CStr) -> Outcome<()> {
    if ffi::lua_checkstack(state, n) == 0 {
        Err(Failure::Stack(what))
    } else {
        Ok(())
    }
}

/// A double truncated to a signed 64-bit integer as x86-64 does: out of range and NaN give
/// `i64::MIN`.
fn truncate_i64(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// The integer a number stands for, if it encodes as one.
fn as_integer(n: f64) -> Option<i64> {
    let i = truncate_i64(n);
    (i as f64 == n).then_some(i)
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

fn encode_integer(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        if i < 128 {
            out.push(i as u8);
        } else if i < 256 {
            out.extend_from_slice(&[0xcc, i as u8]);
        } else if i < 65_536 {
            out.push(0xcd);
            out.extend_from_slice(&(i as u16).to_be_bytes());
        } else if i < 1 << 32 {
            out.push(0xce);
            out.extend_from_slice(&(i as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        }
    } else if i >= -32 {
        out.push(i as u8);
    } else if i >= -128 {
        out.extend_from_slice(&[0xd0, i as u8]);
    } else if i >= -32_768 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -(1 << 31) {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    if let Some(i) = as_integer(n) {
        encode_integer(out, i);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len < 256 {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len < 65_536 {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// A container header: the fix form below 16 elements, else the 16- or 32-bit form.
fn encode_header(out: &mut Vec<u8>, len: u64, fix: u8, wide: u8) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len < 65_536 {
        out.push(wide);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// Encodes the value on top of the stack at nesting `level` (0 for an argument) and pops it.
unsafe fn encode_top(state: *mut lua_State, out: &mut Vec<u8>, level: u32) -> Outcome<()> {
    match ffi::lua_type(state, -1) {
        ffi::LUA_TSTRING => {
            let mut len = 0usize;
            let ptr = ffi::lua_tolstring(state, -1, &mut len);
            encode_string(out, std::slice::from_raw_parts(ptr.cast(), len));
        }
        ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(state, -1) != 0 { 0xc3 } else { 0xc2 }),
        ffi::LUA_TNUMBER => encode_number(out, ffi::lua_tonumber(state, -1)),
        ffi::LUA_TTABLE if level < MAX_NESTING => encode_table(state, out, level)?,
        _ => out.push(0xc0),
    }
    ffi::lua_settop(state, -2);
    Ok(())
}

/// The number of elements if the table on top of the stack encodes as an array.
unsafe fn array_length(state: *mut lua_State) -> Outcome<Option<u64>> {
    check_stack(state, 2, IN_IS_ARRAY)?;
    let mut count: u64 = 0;
    let mut max: i64 = 0;
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_settop(state, -2);
        let index = if ffi::lua_type(state, -1) == ffi::LUA_TNUMBER {
            as_integer(ffi::lua_tonumber(state, -1)).filter(|&i| i >= 1)
        } else {
            None
        };
        let Some(index) = index else {
            ffi::lua_settop(state, -2);
            return Ok(None);
        };
        count += 1;
        max = max.max(index);
    }
    Ok((max as u64 == count).then_some(count))
}

/// Encodes the table on top of the stack (at nesting `level`), leaving it there.
unsafe fn encode_table(state: *mut lua_State, out: &mut Vec<u8>, level: u32) -> Outcome<()> {
    if let Some(len) = array_length(state)? {
        encode_header(out, len, 0x90, 0xdc);
        for i in 1..=len {
            ffi::lua_rawgeti(state, -1, i as ffi::lua_Integer);
            encode_top(state, out, level + 1)?;
        }
        return Ok(());
    }
    check_stack(state, 3, IN_ENCODE_MAP)?;
    let mut len: u64 = 0;
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_settop(state, -2);
        len += 1;
    }
    encode_header(out, len, 0x80, 0xde);
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_pushvalue(state, -2);
        encode_top(state, out, level + 1)?;
        encode_top(state, out, level + 1)?;
    }
    Ok(())
}

/// Encodes argument `arg` and pushes its encoding.
unsafe fn pack_arg(state: *mut lua_State, out: &mut Vec<u8>, arg: c_int) -> Outcome<()> {
    out.clear();
    ffi::lua_pushvalue(state, arg);
    encode_top(state, out, 0)?;
    ffi::lua_pushlstring(state, out.as_ptr().cast(), out.len());
    Ok(())
}

unsafe extern "C-unwind" fn pack(state: *mut lua_State) -> c_int {
    let args = ffi::lua_gettop(state);
    if args == 0 {
        arg_error(state, 0, c"MessagePack pack needs input.");
    }
    if ffi::lua_checkstack(state, args) == 0 {
        arg_error(state, 0, c"Too many arguments for MessagePack pack.");
    }
    let mut out = Vec::new();
    let mut result = Ok(());
    for arg in 1..=args {
        result = pack_arg(state, &mut out, arg);
        if result.is_err() {
            break;
        }
    }
    drop(out);
    if let Err(failure) = result {
        raise(state, failure);
    }
    ffi::lua_concat(state, args);
    1
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// A container being filled while decoding.
enum Frame {
    /// The next index and how many elements are left (the index is on the stack while its
    /// element is decoded).
    Array { next: u64, left: u64 },
    /// Pairs left, and whether the current pair's key is already on the stack.
    Map { left: u64, have_key: bool },
}

/// What a header byte starts.
enum Item<'a> {
    Nil,
    Bool(bool),
    Number(f64),
    Str(&'a [u8]),
    Array(u64),
    Map(u64),
}

/// Reads the input.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Outcome<&'a [u8]> {
        if self.data.len() - self.pos < n {
            return Err(Failure::Eof);
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Outcome<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn uint(&mut self, size: usize) -> Outcome<u64> {
        Ok(self.take(size)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn str(&mut self, len_size: usize) -> Outcome<Item<'a>> {
        let len = self.uint(len_size)? as usize;
        Ok(Item::Str(self.take(len)?))
    }

    /// The next item's header (and a string's or scalar's bytes).
    fn item(&mut self) -> Outcome<Item<'a>> {
        let byte = self.take(1)?[0];
        Ok(match byte {
            0x00..=0x7f => Item::Number(f64::from(byte)),
            0x80..=0x8f => Item::Map(u64::from(byte & 0x0f)),
            0x90..=0x9f => Item::Array(u64::from(byte & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(byte & 0x1f))?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xca => Item::Number(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Item::Number(f64::from_be_bytes(self.array()?)),
            0xcc => Item::Number(self.uint(1)? as f64),
            0xcd => Item::Number(self.uint(2)? as f64),
            0xce => Item::Number(self.uint(4)? as f64),
            // Redis reads uint 64 as a signed integer.
            0xcf => Item::Number(self.uint(8)? as i64 as f64),
            0xd0 => Item::Number(f64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Item::Number(f64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Item::Number(f64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Item::Number(i64::from_be_bytes(self.array()?) as f64),
            0xd9 => self.str(1)?,
            0xda => self.str(2)?,
            0xdb => self.str(4)?,
            0xdc => Item::Array(self.uint(2)?),
            0xdd => Item::Array(self.uint(4)?),
            0xde => Item::Map(self.uint(2)?),
            0xdf => Item::Map(self.uint(4)?),
            0xe0..=0xff => Item::Number(f64::from(byte as i8)),
            _ => return Err(Failure::BadFormat),
        })
    }
}

/// Sets table[-3][key at -2] = value at -1 and pops both, refusing the keys Lua refuses.
unsafe fn store(state: *mut lua_State) -> Outcome<()> {
    match ffi::lua_type(state, -2) {
        ffi::LUA_TNIL => return Err(Failure::NilIndex),
        ffi::LUA_TNUMBER if ffi::lua_tonumber(state, -2).is_nan() => return Err(Failure::NanIndex),
        _ => {}
    }
    ffi::lua_rawset(state, -3);
    Ok(())
}

/// Decodes one value and pushes it, using the Lua stack as Redis does: every value first checks
/// for one free slot, an array checks for one more once its table is pushed, and a container's
/// table, pending index or key and the element being decoded stay on the stack.
unsafe fn decode_value(state: *mut lua_State, cursor: &mut Cursor, frames: &mut Vec<Frame>) -> Outcome<()> {
    frames.clear();
    loop {
        check_stack(state, 1, TOO_MANY_VALUES)?;
        let mut opened = false;
        match cursor.item()? {
            Item::Nil => ffi::lua_pushnil(state),
            Item::Bool(b) => ffi::lua_pushboolean(state, c_int::from(b)),
            Item::Number(n) => ffi::lua_pushnumber(state, n),
            Item::Str(s) => {
                ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
            }
            Item::Array(len) => {
                ffi::lua_createtable(state, 0, 0);
                check_stack(state, 1, IN_DECODE_ARRAY)?;
                if len > 0 {
                    frames.push(Frame::Array { next: 2, left: len });
                    ffi::lua_pushnumber(state, 1.0);
                    opened = true;
                }
            }
            Item::Map(len) => {
                ffi::lua_createtable(state, 0, 0);
                if len > 0 {
                    frames.push(Frame::Map { left: len, have_key: false });
                    opened = true;
                }
            }
        }
        if opened {
            continue;
        }
        // A value is complete: hand it to the containers it closes.
        loop {
            match frames.last_mut() {
                None => return Ok(()),
                Some(Frame::Array { next, left }) => {
                    store(state)?;
                    *left -= 1;
                    if *left > 0 {
                        ffi::lua_pushnumber(state, *next as f64);
                        *next += 1;
                        break;
                    }
                }
                Some(Frame::Map { left, have_key }) => {
                    if !*have_key {
                        *have_key = true;
                        break;
                    }
                    store(state)?;
                    *have_key = false;
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                }
            }
            frames.pop();
        }
    }
}

/// Decodes values from `offset`: all of them when `all`, else at most `limit`. Returns how many
/// were pushed and the offset after them.
unsafe fn decode_values(
    state: *mut lua_State,
    data: &[u8],
    offset: usize,
    limit: i64,
    all: bool,
) -> Outcome<(c_int, usize)> {
    let mut cursor = Cursor { data, pos: offset };
    let mut frames = Vec::new();
    let mut count: c_int = 0;
    while cursor.pos < data.len() && (all || i64::from(count) < limit) {
        decode_value(state, &mut cursor, &mut frames)?;
        count += 1;
    }
    Ok((count, cursor.pos))
}

/// The argument string as bytes (numbers converted, as `luaL_checklstring` does).
unsafe fn check_bytes<'a>(state: *mut lua_State, idx: c_int) -> &'a [u8] {
    let mut len = 0usize;
    let ptr = ffi::luaL_checklstring(state, idx, &mut len);
    // SAFETY: Lua guarantees `len` bytes at `ptr`; the string stays at stack index 1 (so alive)
    // until the function returns.
    std::slice::from_raw_parts(ptr.cast(), len)
}

/// The common part of the three unpack functions; `data` is argument 1.
unsafe fn unpack_common(state: *mut lua_State, data: &[u8], limit: i64, offset: i64) -> c_int {
    let len = data.len();
    if offset < 0 || limit < 0 {
        // Redis prints both as C ints, and the input length where it says "limit".
        let msg = format!("Invalid request to unpack with offset of {} and limit of {}.", offset as i32, len as i32);
        ffi::lua_pushlstring(state, msg.as_ptr().cast(), msg.len());
        drop(msg);
        raise_top(state);
    }
    if offset as u64 > len as u64 {
        let msg = format!("Start offset {} greater than input length {}.", offset as i32, len as i32);
        ffi::lua_pushlstring(state, msg.as_ptr().cast(), msg.len());
        drop(msg);
        raise_top(state);
    }
    let all = limit == 0 && offset == 0;
    let (count, next) = match decode_values(state, data, offset as usize, limit, all) {
        Ok(done) => done,
        Err(failure) => raise(state, failure),
    };
    if all {
        return count;
    }
    if ffi::lua_checkstack(state, 1) == 0 {
        raise(state, Failure::Stack(IN_UNPACK));
    }
    let next = if next < len { next as f64 } else { -1.0 };
    ffi::lua_pushnumber(state, next);
    ffi::lua_insert(state, -(count + 1));
    count + 1
}

/// Raises the message on top of the stack with the caller's position in front.
unsafe fn raise_top(state: *mut lua_State) -> ! {
    ffi::luaL_where(state, 1);
    ffi::lua_insert(state, -2);
    ffi::lua_concat(state, 2);
    ffi::lua_error(state)
}

unsafe extern "C-unwind" fn unpack(state: *mut lua_State) -> c_int {
    let data = check_bytes(state, 1);
    unpack_common(state, data, 0, 0)
}

unsafe extern "C-unwind" fn unpack_one(state: *mut lua_State) -> c_int {
    let data = check_bytes(state, 1);
    let offset = ffi::luaL_optinteger(state, 2, 0) as i64;
    ffi::lua_settop(state, 1);
    unpack_common(state, data, 1, offset)
}

unsafe extern "C-unwind" fn unpack_limit(state: *mut lua_State) -> c_int {
    let data = check_bytes(state, 1);
    let limit = ffi::luaL_checkinteger(state, 2) as i64;
    let offset = ffi::luaL_optinteger(state, 3, 0) as i64;
    ffi::lua_settop(state, 1);
    unpack_common(state, data, limit, offset)
}

/// Builds the library's table.
pub fn open(lua: &Lua) -> Result<Table> {
    let functions: [(&str, ffi::lua_CFunction); 4] =
        [("pack", pack), ("unpack", unpack), ("unpack_one", unpack_one), ("unpack_limit", unpack_limit)];
    let table = super::c_functions(lua, &functions)?;
    table.set("_NAME", "cmsgpack")?;
    table.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    table.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    table.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(table)
}

#[cfg(test)]
mod tests {

    /// Helpers every snippet may use (prepended on the same line, so line numbers are kept):
    /// `dump(v)` shows a value, tables as `{k=v,...}` in `pairs` order and strings with bytes
    /// outside ' '..'~' as 'x' + hex; `all(...)` joins dumps with '|'; `err(f, ...)` is
    /// `all(pcall(f, ...))`.
    const PRELUDE: &str = r#"local function show(v) if type(v) == 'string' and v:find('[^ -~]') then return 'x' .. (v:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return tostring(v) end local function dump(v, d) d = d or 0 if type(v) ~= 'table' then return show(v) end if d > 20 then return '...' end local r = {} for k, x in pairs(v) do r[#r+1] = dump(k, d + 1) .. '=' .. dump(x, d + 1) end return '{' .. table.concat(r, ',') .. '}' end local function all(...) local r = {} for i = 1, select('#', ...) do r[i] = dump((select(i, ...))) end return table.concat(r, '|') end local function err(f, ...) return all(pcall(f, ...)) end"#;

    fn check(cases: &[(&str, &str)]) {
        crate::scripting::libs::testing::check("cmsgpack", super::open, PRELUDE, cases);
    }

    /// Not compared with Redis: random inputs must give values or Lua errors, never a crash.
    #[test]
    fn random_input_never_crashes() {
        let lua = crate::scripting::libs::testing::vm("cmsgpack", super::open);
        let n: f64 = lua
            .load(
                r#"
                local seed, ok = 12345, 0
                local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n end
                for _ = 1, 3000 do
                    local b = {}
                    for i = 1, rnd(40) do b[i] = string.char(rnd(256)) end
                    local s = table.concat(b)
                    -- (select keeps pcall itself from returning many values: Lua 5.1's pcall
                    -- trips the API checks of debug builds then, whatever the function.)
                    local function count(f, ...) return select('#', f(...)) end
                    if pcall(count, cmsgpack.unpack, s) then ok = ok + 1 end
                    pcall(count, cmsgpack.unpack_one, s, rnd(45) - 2)
                    pcall(count, cmsgpack.unpack_limit, s, rnd(5) - 1, rnd(45) - 2)
                    local t = {s, rnd(1000) - 500, {s, x = {rnd(7) / 3}}, [s] = true}
                    assert(cmsgpack.unpack(cmsgpack.pack(t, s)))
                end
                return ok
                "#,
            )
            .eval()
            .unwrap();
        assert!(n > 0.0);
    }

    #[test]
    fn pack_scalars() {
        check(&[
            (
                r#"return all(cmsgpack.pack(1, 2, 3), cmsgpack.pack(nil), cmsgpack.pack(true, false), cmsgpack.pack(nil, nil))"#,
                "x010203|xc0|xc3c2|xc0c0",
            ),
            (
                r#"return all(cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 2^32-1, 2^32, 2^53, 2^63, 2^64, 2^70))"#,
                "x007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf0020000000000000ca5f000000ca5f800000ca62800000",
            ),
            (
                r#"return all(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31-1, -2^53, -2^63, -2^64))"#,
                "xffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd3ffe0000000000000d38000000000000000cadf800000",
            ),
            (
                r#"return all(cmsgpack.pack(1.5, 0.1, -0.0, 1/0, -1/0, 0/0, 1e300, 3.4028234663852886e38, 1e-45))"#,
                "xca3fc00000cb3fb999999999999a00caff800000ca7f800000cbfff8000000000000cb7e37e43c8800759cca7f7fffffcb3696d601ad376ab9",
            ),
            (
                r#"return all(cmsgpack.pack(1/0), cmsgpack.pack(-1/0), cmsgpack.pack(-0.0), cmsgpack.pack(0/0), cmsgpack.pack(-(0/0)))"#,
                "xca7f800000|xcaff800000|x00|xcbfff8000000000000|xcb7ff8000000000000",
            ),
            (
                r#"return all(cmsgpack.pack(2^31, 2^31 + 0.5, 0.5, -0.5, 16777217, 2^24+0.5, 9007199254740993, -2^63 + 1024, 2^63 - 1024, 2^64 - 2048))"#,
                "xce80000000cb41e0000000100000ca3f000000cabf000000ce01000001cb4170000008000000cf0020000000000000d38000000000000400cf7ffffffffffffc00cb43efffffffffffff",
            ),
            (
                r#"return all(cmsgpack.pack('', 'a', string.rep('b', 31)), cmsgpack.pack('a\0b'), cmsgpack.pack('12'))"#,
                "xa0a161bf62626262626262626262626262626262626262626262626262626262626262|xa3610062|xa23132",
            ),
            (
                r#"return all(cmsgpack.pack(string.rep('b', 32)):sub(1, 4), cmsgpack.pack(string.rep('b', 255)):sub(1, 4), cmsgpack.pack(string.rep('b', 256)):sub(1, 4), cmsgpack.pack(string.rep('b', 65535)):sub(1, 4), cmsgpack.pack(string.rep('b', 65536)):sub(1, 6), #cmsgpack.pack(string.rep('b', 65536)))"#,
                "xd9206262|xd9ff6262|xda010062|xdaffff62|xdb0001000062|65541",
            ),
            (
                r#"return all(cmsgpack.pack(function() end), cmsgpack.pack(coroutine and coroutine.create(function() end)), cmsgpack.pack({f=function() end}))"#,
                "xc0|xc0|x81a166c0",
            ),
        ]);
    }

    #[test]
    fn pack_tables() {
        check(&[
            (
                r#"return all(cmsgpack.pack({}), cmsgpack.pack({1,2,3}), cmsgpack.pack({a=1}), cmsgpack.pack({1,2,nil,4}), cmsgpack.pack({[1]=1,[3]=3}), cmsgpack.pack({[2]=1}))"#,
                "x90|x93010203|x81a16101|x83010102020404|x8201010303|x810201",
            ),
            (
                r#"return all(cmsgpack.pack({[0]=1}), cmsgpack.pack({[1.5]=1}), cmsgpack.pack({1, 2, x=3}), cmsgpack.pack({[1]='a', [2]='b', ['3']='c'}), cmsgpack.pack({[-1]=1}), cmsgpack.pack({[true]=1}))"#,
                "x810001|x81ca3fc0000001|x8301010202a17803|x8301a16102a162a133a163|x81ff01|x81c301",
            ),
            (
                r#"return all(cmsgpack.pack({[2.0]=1, [1.0]=2}), cmsgpack.pack({1,2,3,[4.5]=1}), cmsgpack.pack({n=1, [1]=1}), cmsgpack.pack({[2^63]=1}), cmsgpack.pack({[1]=1, [2^53]=1}), cmsgpack.pack({[1/0]=1}))"#,
                "x920201|x84010102020303ca4090000001|x820101a16e01|x81ca5f00000001|x820101cf002000000000000001|x81ca7f80000001",
            ),
            (
                r#"return all(cmsgpack.pack({[-0.0]=1}), cmsgpack.pack({[0.9999999999999999]=1}), cmsgpack.pack(setmetatable({1,2}, {__index=function() return 99 end})), cmsgpack.pack(setmetatable({}, {__index=function() return 99 end})))"#,
                "x810001|x81cb3fefffffffffffff01|x920102|x90",
            ),
            (
                r#"return all(cmsgpack.pack({a=1, b=2, c=3, d=4, e=5}), cmsgpack.pack({x={1,2}, y='z'}), cmsgpack.pack({{}, {{}}, {a={}}}))"#,
                "x85a16101a16303a16202a16505a16404|x82a179a17aa178920102|x9390919081a16190",
            ),
            (
                r#"return all(cmsgpack.pack({{{{{{{{{{{{{{{{{{{{}}}}}}}}}}}}}}}}}}}}), cmsgpack.pack({{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}), cmsgpack.pack({{{{{{{{{{{{{{{{{a=1}}}}}}}}}}}}}}}}}))"#,
                "x91919191919191919191919191919191c0|x91919191919191919191919191919191c0|x91919191919191919191919191919191c0",
            ),
            (
                r#"return all(cmsgpack.pack({{{{{{{{{{{{{{{{a=1}}}}}}}}}}}}}}}}), cmsgpack.pack({{{{{{{{{{{{{{{a=1}}}}}}}}}}}}}}}), cmsgpack.pack({[{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}]=1}))"#,
                "x91919191919191919191919191919181a16101|x919191919191919191919191919181a16101|x81919191919191919191919191919191c001",
            ),
            (
                r#"return (function() local t = {} t[1] = t return all(cmsgpack.pack(t)) end)()"#,
                "x91919191919191919191919191919191c0",
            ),
            (
                r#"return (function() local t = {} for i = 1, 15 do t[i] = i end local u = {} for i = 1, 16 do u[i] = 0 end return all(cmsgpack.pack(t), cmsgpack.pack(u)) end)()"#,
                "x9f0102030405060708090a0b0c0d0e0f|xdc001000000000000000000000000000000000",
            ),
            (
                r#"return (function() local t = {} for i = 1, 65536 do t[i] = 0 end local u = {} for i = 1, 65535 do u[i] = 0 end return all(cmsgpack.pack(t):sub(1, 7), cmsgpack.pack(u):sub(1, 5)) end)()"#,
                "xdd000100000000|xdcffff0000",
            ),
            (
                r#"return (function() local t = {} for i = 1, 16 do t['k' .. i] = 0 end local u = {} for i = 1, 15 do u['k' .. i] = i end return all(cmsgpack.pack(t), cmsgpack.pack(u)) end)()"#,
                "xde0010a36b313200a36b313600a26b3900a26b3800a26b3100a36b313500a26b3300a26b3200a36b313400a36b313300a36b313000a36b313100a26b3600a26b3700a26b3400a26b3500|x8fa36b31320ca26b3909a26b3808a26b3101a36b31350fa26b3303a26b3202a36b31340ea36b31330da36b31300aa36b31310ba26b3606a26b3707a26b3404a26b3505",
            ),
            (
                r#"return (function() local t = {} for i = 1, 65536 do t['k' .. i] = 0 end return all(cmsgpack.pack(t):sub(1, 6), #cmsgpack.pack(t)) end)()"#,
                "xdf00010000a6|513187",
            ),
            (
                r#"return (function() local t = {} for i = 1, 40 do t[i * 7 % 41] = i end t.x = 'y' t[2.5] = false return all(cmsgpack.pack(t)) end)()"#,
                "xde002a0106020c03120418051e062407010807090d0a130b190c1f0d250e020f08100e1114121a1320142615031609170f1815191b1a211b271c041d0a1e101f16201c212222282305240b25112617271d2823ca40200000c2a178a179",
            ),
            (
                r#"return (function() local t = {} for i = 1, 30 do t['key' .. i] = {i, tostring(i)} end return all(cmsgpack.pack(t)) end)()"#,
                "xde001ea56b657931369210a23136a46b6579399209a139a46b6579359205a135a46b6579319201a131a56b65793330921ea23330a56b65793239921da23239a56b65793237921ba23237a56b65793134920ea23134a56b65793236921aa23236a56b657932329216a23232a46b6579379207a137a46b6579339203a133a56b657932359219a23235a46b6579389208a138a56b65793132920ca23132a56b657932349218a23234a56b65793131920ba23131a56b657932339217a23233a56b65793135920fa23135a56b65793130920aa23130a56b657931399213a23139a56b657931379211a23137a56b657932309214a23230a46b6579329202a132a56b65793133920da23133a46b6579369206a136a56b657931389212a23138a56b657932319215a23231a46b6579349204a134a56b65793238921ca23238",
            ),
        ]);
    }

    #[test]
    fn pack_errors_and_stack() {
        check(&[
            (
                r#"return err(cmsgpack.pack)"#,
                "false|bad argument #0 to '?' (MessagePack pack needs input.)",
            ),
            (
                r#"return err(function() return cmsgpack.pack() end)"#,
                "false|user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)",
            ),
            (
                r#"return (function() local t = {} for i = 1, 7990 do t[i] = 1 end return all(pcall(cmsgpack.pack, unpack(t, 1, 4001))) end)()"#,
                "false|bad argument #0 to '?' (Too many arguments for MessagePack pack.)",
            ),
            (
                r#"return (function() local t = {} for i = 1, 7990 do t[i] = 1 end return all(#cmsgpack.pack(unpack(t, 1, 4000))) end)()"#,
                "4000",
            ),
            (
                r#"return (function() local t = {} for i = 1, 7990 do t[i] = 1 end return err(function() return cmsgpack.pack(unpack(t, 1, 5000)) end) end)()"#,
                "false|user_script:1: bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)",
            ),
            (
                r#"return (function() local shapes = {{'empty', function() return {} end}, {'arr1', function() return {1} end}, {'map1', function() return {a=1} end}, {'arr2', function() return {{1}} end}, {'map2', function() return {a={a=1}} end}, {'arr3', function() return {{{1}}} end}, {'map3', function() return {a={a={a=1}}} end}, {'arrmap', function() return {{a=1}} end}, {'mixed', function() return {1, {2}, x=3} end}} local out = {} for _, s in ipairs(shapes) do local t = {} for i = 1, 4100 do t[i] = 1 end local lo, hi = 1, 4050 while lo < hi do local m = math.floor((lo + hi + 1) / 2) t[m] = s[2]() local ok = pcall(cmsgpack.pack, unpack(t, 1, m)) t[m] = 1 if ok then lo = m else hi = m - 1 end end t[lo + 1] = s[2]() local ok, e = pcall(cmsgpack.pack, unpack(t, 1, lo + 1)) out[#out+1] = s[1] .. ' ' .. lo .. ' ' .. tostring(e) end return table.concat(out, ';') end)()"#,
                "empty 3999 stack overflow (in function table_is_an_array);arr1 3999 stack overflow (in function table_is_an_array);map1 3998 stack overflow (in function mp_encode_lua_table_as_map);arr2 3998 stack overflow (in function table_is_an_array);map2 3997 stack overflow (in function mp_encode_lua_table_as_map);arr3 3998 stack overflow (in function table_is_an_array);map3 3996 stack overflow (in function mp_encode_lua_table_as_map);arrmap 3998 stack overflow (in function table_is_an_array);mixed 3998 stack overflow (in function mp_encode_lua_table_as_map)",
            ),
        ]);
    }

    #[test]
    fn unpack_scalars() {
        check(&[
            (
                r#"return all(cmsgpack.unpack('\1\2\3'), cmsgpack.unpack(''), cmsgpack.unpack(12), cmsgpack.unpack('\192\194\195'))"#,
                "1|nil|49|nil|false|true",
            ),
            (
                r#"return all(cmsgpack.unpack('\204\255\205\1\0\206\0\1\0\0\207\0\0\0\1\0\0\0\0'), cmsgpack.unpack('\207\255\255\255\255\255\255\255\255'))"#,
                "255|-1",
            ),
            (
                r#"return all(cmsgpack.unpack('\208\255\209\255\127\210\128\0\0\0\211\128\0\0\0\0\0\0\0\224\255'))"#,
                "-1|-129|-2147483648|-9.2233720368548e+18|-32|-1",
            ),
            (
                r#"return all(cmsgpack.unpack('\202\63\192\0\0\203\63\185\153\153\153\153\153\154'), cmsgpack.unpack('\206\255\255\255\255\207\127\255\255\255\255\255\255\255\207\128\0\0\0\0\0\0\0'))"#,
                "1.5|4294967295|9.2233720368548e+18|-9.2233720368548e+18",
            ),
            (
                r#"return all(cmsgpack.unpack('\160\161a\217\2ab\218\0\2ab\219\0\0\0\2ab'), cmsgpack.unpack('\5\204\193'))"#,
                "|5|193",
            ),
            (
                r#"return all(cmsgpack.unpack(cmsgpack.pack(1/0, -1/0, 2^63, -2^63, 1e300, 0.1, 'x', true, false)))"#,
                "inf|-inf|9.2233720368548e+18|-9.2233720368548e+18|1e+300|0.1|x|true|false",
            ),
            (
                r#"return (function() local r = {} for b = 0, 255 do local ok, a, c = pcall(cmsgpack.unpack, string.char(b) .. string.rep('\0', 9)) r[#r+1] = b .. ':' .. (ok and (type(a) .. '/' .. show(type(a) == 'table' and #a or a)) or a) end return table.concat(r, ' ') end)()"#,
                "0:number/0 1:number/1 2:number/2 3:number/3 4:number/4 5:number/5 6:number/6 7:number/7 8:number/8 9:number/9 10:number/10 11:number/11 12:number/12 13:number/13 14:number/14 15:number/15 16:number/16 17:number/17 18:number/18 19:number/19 20:number/20 21:number/21 22:number/22 23:number/23 24:number/24 25:number/25 26:number/26 27:number/27 28:number/28 29:number/29 30:number/30 31:number/31 32:number/32 33:number/33 34:number/34 35:number/35 36:number/36 37:number/37 38:number/38 39:number/39 40:number/40 41:number/41 42:number/42 43:number/43 44:number/44 45:number/45 46:number/46 47:number/47 48:number/48 49:number/49 50:number/50 51:number/51 52:number/52 53:number/53 54:number/54 55:number/55 56:number/56 57:number/57 58:number/58 59:number/59 60:number/60 61:number/61 62:number/62 63:number/63 64:number/64 65:number/65 66:number/66 67:number/67 68:number/68 69:number/69 70:number/70 71:number/71 72:number/72 73:number/73 74:number/74 75:number/75 76:number/76 77:number/77 78:number/78 79:number/79 80:number/80 81:number/81 82:number/82 83:number/83 84:number/84 85:number/85 86:number/86 87:number/87 88:number/88 89:number/89 90:number/90 91:number/91 92:number/92 93:number/93 94:number/94 95:number/95 96:number/96 97:number/97 98:number/98 99:number/99 100:number/100 101:number/101 102:number/102 103:number/103 104:number/104 105:number/105 106:number/106 107:number/107 108:number/108 109:number/109 110:number/110 111:number/111 112:number/112 113:number/113 114:number/114 115:number/115 116:number/116 117:number/117 118:number/118 119:number/119 120:number/120 121:number/121 122:number/122 123:number/123 124:number/124 125:number/125 126:number/126 127:number/127 128:table/0 129:table/0 130:table/0 131:table/0 132:table/0 133:Missing bytes in input. 134:Missing bytes in input. 135:Missing bytes in input. 136:Missing bytes in input. 137:Missing bytes in input. 138:Missing bytes in input. 139:Missing bytes in input. 140:Missing bytes in input. 141:Missing bytes in input. 142:Missing bytes in input. 143:Missing bytes in input. 144:table/0 145:table/1 146:table/2 147:table/3 148:table/4 149:table/5 150:table/6 151:table/7 152:table/8 153:table/9 154:Missing bytes in input. 155:Missing bytes in input. 156:Missing bytes in input. 157:Missing bytes in input. 158:Missing bytes in input. 159:Missing bytes in input. 160:string/ 161:string/x00 162:string/x0000 163:string/x000000 164:string/x00000000 165:string/x0000000000 166:string/x000000000000 167:string/x00000000000000 168:string/x0000000000000000 169:string/x000000000000000000 170:Missing bytes in input. 171:Missing bytes in input. 172:Missing bytes in input. 173:Missing bytes in input. 174:Missing bytes in input. 175:Missing bytes in input. 176:Missing bytes in input. 177:Missing bytes in input. 178:Missing bytes in input. 179:Missing bytes in input. 180:Missing bytes in input. 181:Missing bytes in input. 182:Missing bytes in input. 183:Missing bytes in input. 184:Missing bytes in input. 185:Missing bytes in input. 186:Missing bytes in input. 187:Missing bytes in input. 188:Missing bytes in input. 189:Missing bytes in input. 190:Missing bytes in input. 191:Missing bytes in input. 192:nil/nil 193:Bad data format in input. 194:boolean/false 195:boolean/true 196:Bad data format in input. 197:Bad data format in input. 198:Bad data format in input. 199:Bad data format in input. 200:Bad data format in input. 201:Bad data format in input. 202:number/0 203:number/0 204:number/0 205:number/0 206:number/0 207:number/0 208:number/0 209:number/0 210:number/0 211:number/0 212:Bad data format in input. 213:Bad data format in input. 214:Bad data format in input. 215:Bad data format in input. 216:Bad data format in input. 217:string/ 218:string/ 219:string/ 220:table/0 221:table/0 222:table/0 223:table/0 224:number/-32 225:number/-31 226:number/-30 227:number/-29 228:number/-28 229:number/-27 230:number/-26 231:number/-25 232:number/-24 233:number/-23 234:number/-22 235:number/-21 236:number/-20 237:number/-19 238:number/-18 239:number/-17 240:number/-16 241:number/-15 242:number/-14 243:number/-13 244:number/-12 245:number/-11 246:number/-10 247:number/-9 248:number/-8 249:number/-7 250:number/-6 251:number/-5 252:number/-4 253:number/-3 254:number/-2 255:number/-1",
            ),
        ]);
    }

    #[test]
    fn unpack_tables() {
        check(&[
            (
                r#"return all(cmsgpack.unpack('\144\145\1\220\0\2\1\2\221\0\0\0\1\7'))"#,
                "{}|{1=1}|{1=1,2=2}|{1=7}",
            ),
            (
                r#"return all(cmsgpack.unpack('\128\129\1\2\222\0\1\161a\1\223\0\0\0\1\1\2'))"#,
                "{}|{1=2}|{a=1}|{1=2}",
            ),
            (
                r#"return all(cmsgpack.unpack('\146\192\1'), cmsgpack.unpack('\147\192\192\1'), cmsgpack.unpack('\146\192\192'), cmsgpack.unpack('\130\1\1\1\2'), cmsgpack.unpack('\220\0\0'))"#,
                "{2=1}|{3=1}|{}|{1=2}|{}",
            ),
            (
                r#"return (function() local t = {} for i = 1, 30 do t['key' .. i] = {i, tostring(i)} end return all(cmsgpack.unpack(cmsgpack.pack(t))) end)()"#,
                "{key16={1=16,2=16},key9={1=9,2=9},key5={1=5,2=5},key1={1=1,2=1},key3={1=3,2=3},key24={1=24,2=24},key27={1=27,2=27},key21={1=21,2=21},key11={1=11,2=11},key22={1=22,2=22},key7={1=7,2=7},key14={1=14,2=14},key6={1=6,2=6},key8={1=8,2=8},key12={1=12,2=12},key13={1=13,2=13},key30={1=30,2=30},key2={1=2,2=2},key20={1=20,2=20},key26={1=26,2=26},key19={1=19,2=19},key23={1=23,2=23},key17={1=17,2=17},key10={1=10,2=10},key25={1=25,2=25},key15={1=15,2=15},key18={1=18,2=18},key29={1=29,2=29},key4={1=4,2=4},key28={1=28,2=28}}",
            ),
            (
                r#"return (function() local t = {} for i = 1, 40 do t[i * 7 % 41] = i end t.x = 'y' t[2.5] = false return all(cmsgpack.unpack(cmsgpack.pack(t))) end)()"#,
                "{1=6,2=12,3=18,4=24,5=30,6=36,7=1,8=7,9=13,10=19,11=25,12=31,13=37,14=2,15=8,16=14,17=20,18=26,19=32,20=38,21=3,22=9,23=15,24=21,25=27,26=33,27=39,28=4,29=10,30=16,31=22,32=28,33=34,34=40,35=5,36=11,37=17,38=23,39=29,40=35,2.5=false,x=y}",
            ),
            (
                r#"return (function() local t = {} for i = 1, 20 do t[i] = i end t[25] = 1 t[-3] = 2 return all(cmsgpack.unpack(cmsgpack.pack(t))) end)()"#,
                "{1=1,2=2,3=3,4=4,5=5,6=6,7=7,8=8,9=9,10=10,11=11,12=12,13=13,14=14,15=15,16=16,17=17,18=18,19=19,20=20,25=1,-3=2}",
            ),
            (
                r#"return all(cmsgpack.unpack('\136\161h\1\161g\2\161f\3\161e\4\161d\5\161c\6\161b\7\161a\8'))"#,
                "{a=8,h=1,c=6,b=7,e=4,d=5,g=2,f=3}",
            ),
            (
                r#"return all(cmsgpack.unpack('\136\8\1\7\2\6\3\5\4\4\5\3\6\2\7\1\8'), cmsgpack.unpack('\132\3\1\1\1\2\1\4\1'))"#,
                "{1=8,2=7,3=6,4=5,5=4,6=3,7=2,8=1}|{1=1,2=1,3=1,4=1}",
            ),
            (
                r#"return (function() local s = cmsgpack.pack({a={b={c={1,2,{d='e'}}}}, [1]=2}) return all(cmsgpack.unpack(s), cmsgpack.pack(cmsgpack.unpack(s)) == s) end)()"#,
                "{1=2,a={b={c={1=1,2=2,3={d=e}}}}}|false",
            ),
            (
                r#"return all(cmsgpack.unpack('\129\145\1\2'), cmsgpack.unpack('\146\1\202\127\192\0\0'))"#,
                "{{1=1}=2}|{1=1,2=nan}",
            ),
        ]);
    }

    #[test]
    fn unpack_errors() {
        check(&[
            (r#"return err(cmsgpack.unpack)"#, "false|bad argument #1 to '?' (string expected, got no value)"),
            (
                r#"return err(function() return cmsgpack.unpack({}) end)"#,
                "false|user_script:1: bad argument #1 to 'unpack' (string expected, got table)",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\196\2ab') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\197\0\2ab') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\198\0\0\0\2ab') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\199\1\5a') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\212\5a') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\193') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\5\193\204') end)"#,
                "false|user_script:1: Bad data format in input.",
            ),
            (r#"return err(cmsgpack.unpack, '\130\192\1\2\192')"#, "false|table index is nil"),
            (r#"return err(cmsgpack.unpack, '\129\202\127\192\0\0\1')"#, "false|table index is NaN"),
            (r#"return err(cmsgpack.unpack, '\130\1\1\202\127\192\0\0\1')"#, "false|table index is NaN"),
            (r#"return err(cmsgpack.unpack, '\129\192')"#, "false|Missing bytes in input."),
            (
                r#"return err(function() return cmsgpack.unpack('\204') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\145') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\161') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\1\204') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\129\1') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\129') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\217') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\220\0') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\220\0\1') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\219\255\255\255\255') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\221\255\255\255\255') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\223\255\255\255\255') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\203\0\0\0\0\0\0\0') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack('\211\0\0\0\0\0\0\0') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
        ]);
    }

    #[test]
    fn unpack_one_and_limit() {
        check(&[
            (
                r#"return all(cmsgpack.unpack_one('\1\2\3'), cmsgpack.unpack_one('\1\2\3', 1), cmsgpack.unpack_one('\1\2\3', 2), cmsgpack.unpack_one('\1\2\3', 3))"#,
                "1|2|-1|-1",
            ),
            (
                r#"return all(cmsgpack.unpack_one('\1\2\3', 0.5), cmsgpack.unpack_one('\1\2\3', 1.5), cmsgpack.unpack_one('\1\2\3', '1'), cmsgpack.unpack_one(''), cmsgpack.unpack_one('', 0), cmsgpack.unpack_one('\1\204', 0))"#,
                "1|2|2|-1|-1|1|1",
            ),
            (
                r#"return all(cmsgpack.unpack_limit('\1\2\3', 2), cmsgpack.unpack_limit('\1\2\3', 2, 1), cmsgpack.unpack_limit('\1\2\3', 2, 2), cmsgpack.unpack_limit('\1\2\3', 5), cmsgpack.unpack_limit('\1\2\3', 0))"#,
                "2|-1|-1|-1|1|2|3",
            ),
            (
                r#"return all(cmsgpack.unpack_limit('\1\2\3', 0, 1), cmsgpack.unpack_limit('\1\2\3', 1.7), cmsgpack.unpack_limit('\1\2\3', 3, 3), cmsgpack.unpack_limit('\1\2\3', 1, 3), cmsgpack.unpack('\1\2\3', 2))"#,
                "1|1|-1|-1|1|2|3",
            ),
            (
                r#"return all(cmsgpack.unpack_limit('\5\6\7', 0, 1), cmsgpack.unpack_limit('\5\6\7', 0, 2), cmsgpack.unpack_limit('\5\6\7\8', 0, 4), cmsgpack.unpack_limit('\5\6\7', 0, 0), cmsgpack.unpack_limit('', 0), cmsgpack.unpack_limit('', 1), cmsgpack.unpack_limit('', 0, 0))"#,
                "1|2|-1|5|nil|-1",
            ),
            (
                r#"return all(cmsgpack.unpack_one('\5\6\7', 0), cmsgpack.unpack_limit('\5\6\7', 3, 0), cmsgpack.unpack_limit('\5\6\7', 4, 0), cmsgpack.unpack_limit('\5\6\7', 2, 0), cmsgpack.unpack_limit('\5\6\7', 2, 1))"#,
                "1|-1|-1|2|-1|6|7",
            ),
            (
                r#"return all(cmsgpack.unpack_limit('\5\6\7\204', 3, 0), cmsgpack.unpack_limit('\5\6\7\193', 3, 0), cmsgpack.unpack_limit('\145\5\6', 1, 0), cmsgpack.unpack_limit('\146\5\6\7', 1, 0))"#,
                "3|3|2|3|{1=5,2=6}",
            ),
            (
                r#"return all(cmsgpack.unpack_limit('\5\6\7', 2^32+1, 0), cmsgpack.unpack_limit('\5\6\7', 2^32, 0), cmsgpack.unpack_limit('\5\6\7', 2^31, 1), cmsgpack.unpack_limit('\5\6\7', 2^32-1, 1), cmsgpack.unpack_one(12), cmsgpack.unpack_limit(12, 1))"#,
                "-1|-1|-1|-1|1|1|49",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', 4) end)"#,
                "false|user_script:1: Start offset 4 greater than input length 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', -1) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of -1 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', 'x') end)"#,
                "false|user_script:1: bad argument #2 to 'unpack_one' (number expected, got string)",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('', 1) end)"#,
                "false|user_script:1: Start offset 1 greater than input length 0.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\204') end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\204', 1) end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\1\2\3', -1) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of 0 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\1\2\3') end)"#,
                "false|user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value)",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\1\2\3', nil, 1) end)"#,
                "false|user_script:1: bad argument #2 to 'unpack_limit' (number expected, got nil)",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\1\2\3', 1, 4) end)"#,
                "false|user_script:1: Start offset 4 greater than input length 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', 2^40) end)"#,
                "false|user_script:1: Start offset 0 greater than input length 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', -2^40) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of 0 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', 1/0) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of 0 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', 0/0) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of 0 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one('\1\2\3', -4) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of -4 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\5\6\7\204', 4, 0) end)"#,
                "false|user_script:1: Missing bytes in input.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\5\6\7', 2^32+1, 2^32+1) end)"#,
                "false|user_script:1: Start offset 1 greater than input length 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\5\6\7', 1, 2^32) end)"#,
                "false|user_script:1: Start offset 0 greater than input length 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\5\6\7', 1, 2^31) end)"#,
                "false|user_script:1: Start offset -2147483648 greater than input length 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\5\6\7', -2^32, 1) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of 1 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\5\6\7', 1, -2^32+1) end)"#,
                "false|user_script:1: Invalid request to unpack with offset of 1 and limit of 3.",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_one() end)"#,
                "false|user_script:1: bad argument #1 to 'unpack_one' (string expected, got no value)",
            ),
            (
                r#"return err(function() return cmsgpack.unpack_limit('\1', 'a') end)"#,
                "false|user_script:1: bad argument #2 to 'unpack_limit' (number expected, got string)",
            ),
        ]);
    }

    #[test]
    fn unpack_stack_limits() {
        check(&[
            (
                r#"return (function() local function b(f) local lo, hi = 1000, 9000 while lo < hi do local m = math.floor((lo + hi + 1) / 2) if f(m) then lo = m else hi = m - 1 end end return lo end local function p(f, ...) return (pcall(function(...) return select('#', f(...)) end, ...)) end return all(b(function(m) return p(cmsgpack.unpack, string.rep('\145', m) .. '\1') end), b(function(m) return p(cmsgpack.unpack, string.rep('\129\1', m) .. '\1') end), b(function(m) return p(cmsgpack.unpack, string.rep('\129', m) .. '\1' .. string.rep('\1', m)) end), b(function(m) return p(cmsgpack.unpack, '\1\2\3' .. string.rep('\145', m) .. '\1') end), b(function(m) return p(cmsgpack.unpack, string.rep('\1', m)) end)) end)()"#,
                "3999|3999|7997|3997|7999",
            ),
            (
                r#"return (function() local function b(f) local lo, hi = 1000, 9000 while lo < hi do local m = math.floor((lo + hi + 1) / 2) if f(m) then lo = m else hi = m - 1 end end return lo end local function p(f, ...) return (pcall(function(...) return select('#', f(...)) end, ...)) end return all(b(function(m) return p(cmsgpack.unpack, string.rep('\145', m) .. '\144') end), b(function(m) return p(cmsgpack.unpack, string.rep('\145', m) .. '\128') end), b(function(m) return p(cmsgpack.unpack, string.rep('\129\1', m) .. '\144') end), b(function(m) return p(cmsgpack.unpack, string.rep('\129', m) .. '\144' .. string.rep('\1', m)) end)) end)()"#,
                "3998|3999|3998|7997",
            ),
            (
                r#"return (function() local function b(f) local lo, hi = 1000, 9000 while lo < hi do local m = math.floor((lo + hi + 1) / 2) if f(m) then lo = m else hi = m - 1 end end return lo end local function p(f, ...) return (pcall(function(...) return select('#', f(...)) end, ...)) end return all(b(function(m) return p(cmsgpack.unpack_one, string.rep('\145', m) .. '\1', 0) end), b(function(m) return p(cmsgpack.unpack_limit, string.rep('\145', m) .. '\1', 1, 0) end), b(function(m) return p(cmsgpack.unpack, string.rep('\145', m) .. '\1', 0, 0) end), b(function(m) return p(cmsgpack.unpack_limit, string.rep('\1', m), m) end), b(function(m) return p(cmsgpack.unpack_limit, string.rep('\1', m), 0, 0) end)) end)()"#,
                "3999|3999|3998|7998|7999",
            ),
            (
                r#"return (function() local function b(f) local lo, hi = 1000, 9000 while lo < hi do local m = math.floor((lo + hi + 1) / 2) if f(m) then lo = m else hi = m - 1 end end return lo end local function p(f, ...) return (pcall(function(...) return select('#', f(...)) end, ...)) end return all(b(function(m) return p(cmsgpack.unpack_limit, string.rep('\129', m) .. '\1' .. string.rep('\1', m), 1) end), b(function(m) return p(cmsgpack.unpack_one, string.rep('\129', m) .. '\1' .. string.rep('\1', m), 0, 5, 5) end), b(function(m) return p(cmsgpack.unpack, string.rep('\129', m) .. '\1' .. string.rep('\1', m), 0) end), b(function(m) return p(cmsgpack.unpack, string.rep('\1', m), 0, 0, 0) end)) end)()"#,
                "7997|7997|7996|7996",
            ),
            (
                r#"return err(cmsgpack.unpack, string.rep('\129\1', 7000) .. '\1')"#,
                "false|stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            (
                r#"return err(function() return select('#', cmsgpack.unpack(string.rep('\1', 9000))) end)"#,
                "false|user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            (
                r#"return err(cmsgpack.unpack, string.rep('\145', 5000) .. '\128')"#,
                "false|stack overflow (in function mp_decode_to_lua_array)",
            ),
            (
                r#"return err(cmsgpack.unpack, string.rep('\129', 8100) .. '\144' .. string.rep('\1', 8100))"#,
                "false|stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            (
                r#"return err(cmsgpack.unpack, string.rep('\129', 7998) .. '\144' .. string.rep('\1', 7998))"#,
                "false|stack overflow (in function mp_decode_to_lua_array)",
            ),
            (
                r#"return err(cmsgpack.unpack, string.rep('\129\1', 3999) .. '\129\1\1')"#,
                "false|stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
            (
                r#"return err(cmsgpack.unpack_limit, string.rep('\1', 7999), 7999)"#,
                "false|stack overflow (in function mp_unpack_full)",
            ),
            (
                r#"return err(function() return cmsgpack.unpack(string.rep('\145', 4000) .. '\1') end)"#,
                "false|user_script:1: stack overflow (in function mp_decode_to_lua_array)",
            ),
            (
                r#"return all(select('#', cmsgpack.unpack_limit(string.rep('\1', 7998), 7998)), select('#', cmsgpack.unpack_limit(string.rep('\1', 7998), 7997, 0)))"#,
                "7999|7998",
            ),
        ]);
    }

    #[test]
    fn library_fields() {
        check(&[
            (
                r#"local t = {} for k, v in pairs(cmsgpack) do t[#t+1] = k .. '=' .. type(v) .. (type(v) == 'string' and (':' .. v) or '') end table.sort(t) return table.concat(t, ' ')"#,
                "_COPYRIGHT=string:Copyright (C) 2012, Salvatore Sanfilippo _DESCRIPTION=string:MessagePack C implementation for Lua _NAME=string:cmsgpack _VERSION=string:lua-cmsgpack 0.4.0 pack=function unpack=function unpack_limit=function unpack_one=function",
            ),
        ]);
    }
}
