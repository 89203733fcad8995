//! Redis's conversions between replies and Lua values.
//!
//! A command called from a script writes its reply in RESP, as for any client, and the reply
//! is read back into Lua the way Redis reads it:
//!
//! | RESP                 | Lua                                                        |
//! |----------------------|------------------------------------------------------------|
//! | integer              | number                                                     |
//! | bulk string          | string                                                     |
//! | array                | table (1..n)                                               |
//! | simple string        | `{ok = s}`                                                 |
//! | error                | `{err = s}`                                                |
//! | null bulk, null array| false (RESP2); nil (RESP3's null)                          |
//! | RESP3 map            | `{map = {k = v, ...}}`                                     |
//! | RESP3 set            | `{set = {member = true, ...}}`                             |
//! | RESP3 double         | `{double = n}`                                             |
//! | RESP3 boolean        | boolean                                                    |
//! | RESP3 big number     | `{big_number = s}`                                         |
//! | RESP3 verbatim       | `{verbatim_string = {format = f, string = s}}`             |
//!
//! A script's return value goes the other way ([`write`]): numbers are truncated to integers,
//! a table stops at its first nil, `true` is 1 and `false` a null in RESP2 (booleans in RESP3),
//! and the single-field tables above become the reply types they name, downgraded for RESP2
//! clients as Redis downgrades them.

use std::ffi::{c_int, CStr};

use mlua::ffi;
use mlua::ffi::lua_State;

use super::vm::{push_bytes, to_bytes};
use crate::protocol::Out;

/// Deepest reply nesting converted (Redis checks the Lua stack the same way).
const MAX_DEPTH: usize = 1000;

/// Reads one RESP value from `buf` and pushes it; returns the bytes read, or None when `buf`
/// is not a whole value (nothing pushed then).
pub(crate) unsafe fn push(l: *mut lua_State, buf: &[u8]) -> Option<usize> {
    push_at(l, buf, 0)
}

fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = memchr::memchr(b'\r', buf)?;
    (buf.get(end + 1) == Some(&b'\n')).then_some((&buf[1..end], end + 2))
}

fn number(s: &[u8]) -> Option<i64> {
    crate::protocol::string2ll(s)
}

unsafe fn set_field_and_wrap(l: *mut lua_State, field: &CStr) {
    // value on top -> {field = value}
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_insert(l, -2);
    ffi::lua_setfield(l, -2, field.as_ptr());
}

unsafe fn push_at(l: *mut lua_State, buf: &[u8], depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
        return None;
    }
    let (head, used) = line(buf)?;
    match buf[0] {
        b'+' => {
            push_bytes(l, head);
            set_field_and_wrap(l, c"ok");
            Some(used)
        }
        b'-' => {
            push_bytes(l, head);
            set_field_and_wrap(l, c"err");
            Some(used)
        }
        b':' => {
            ffi::lua_pushnumber(l, number(head)? as f64);
            Some(used)
        }
        b'$' => {
            let n = number(head)?;
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return Some(used);
            }
            let n = n as usize;
            let body = buf.get(used..used + n)?;
            buf.get(used + n..used + n + 2)?;
            push_bytes(l, body);
            Some(used + n + 2)
        }
        b'*' | b'~' | b'%' => {
            let n = number(head)?;
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return Some(used);
            }
            let kind = buf[0];
            let mut at = used;
            let count = n as usize;
            ffi::lua_createtable(l, if kind == b'*' { count.min(1 << 16) as c_int } else { 0 }, 0);
            for i in 0..count {
                match kind {
                    b'*' => {
                        let Some(k) = push_at(l, &buf[at..], depth + 1) else {
                            ffi::lua_pop(l, 1);
                            return None;
                        };
                        at += k;
                        ffi::lua_rawseti(l, -2, (i + 1) as ffi::lua_Integer);
                    }
                    b'~' => {
                        let Some(k) = push_at(l, &buf[at..], depth + 1) else {
                            ffi::lua_pop(l, 1);
                            return None;
                        };
                        at += k;
                        ffi::lua_pushboolean(l, 1);
                        ffi::lua_rawset(l, -3);
                    }
                    _ => {
                        let Some(k) = push_at(l, &buf[at..], depth + 1) else {
                            ffi::lua_pop(l, 1);
                            return None;
                        };
                        at += k;
                        let Some(v) = push_at(l, &buf[at..], depth + 1) else {
                            ffi::lua_pop(l, 2);
                            return None;
                        };
                        at += v;
                        ffi::lua_rawset(l, -3);
                    }
                }
            }
            match kind {
                b'~' => set_field_and_wrap(l, c"set"),
                b'%' => set_field_and_wrap(l, c"map"),
                _ => {}
            }
            Some(at)
        }
        b'_' => {
            ffi::lua_pushnil(l);
            Some(used)
        }
        b'#' => {
            ffi::lua_pushboolean(l, (head == b"t") as c_int);
            Some(used)
        }
        b',' => {
            let text = std::str::from_utf8(head).ok()?;
            let d = match text {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => text.parse().ok()?,
            };
            ffi::lua_pushnumber(l, d);
            set_field_and_wrap(l, c"double");
            Some(used)
        }
        b'(' => {
            push_bytes(l, head);
            set_field_and_wrap(l, c"big_number");
            Some(used)
        }
        b'=' => {
            let n = number(head)?.max(0) as usize;
            let body = buf.get(used..used + n)?;
            buf.get(used + n..used + n + 2)?;
            ffi::lua_createtable(l, 0, 2);
            push_bytes(l, body.get(..3).unwrap_or(b"txt"));
            ffi::lua_setfield(l, -2, c"format".as_ptr());
            push_bytes(l, body.get(4..).unwrap_or_default());
            ffi::lua_setfield(l, -2, c"string".as_ptr());
            set_field_and_wrap(l, c"verbatim_string");
            Some(used + n + 2)
        }
        b'|' => {
            // An attribute: skipped, the value follows.
            let n = number(head)?.max(0) as usize;
            let mut at = used;
            for _ in 0..2 * n {
                at += push_at(l, &buf[at..], depth + 1)?;
                ffi::lua_pop(l, 1);
            }
            Some(at + push_at(l, &buf[at..], depth)?)
        }
        _ => None,
    }
}

/// The string field `name` of the table at `idx`, if it is a string.
unsafe fn string_field<'a>(l: *mut lua_State, idx: c_int, name: &CStr) -> Option<&'a [u8]> {
    ffi::lua_pushstring_(l, name.as_ptr());
    ffi::lua_rawget_(l, idx);
    let found = if ffi::lua_type(l, -1) == ffi::LUA_TSTRING { to_bytes(l, -1) } else { None };
    ffi::lua_pop(l, 1);
    // The string stays alive: the table still references it.
    found
}

/// Pushes field `name` of the table at `idx`; returns its type.
unsafe fn field(l: *mut lua_State, idx: c_int, name: &CStr) -> c_int {
    ffi::lua_pushstring_(l, name.as_ptr());
    ffi::lua_rawget_(l, idx);
    ffi::lua_type(l, -1)
}

/// How many entries the table at `idx` has (`#` counts only the array part).
unsafe fn entries(l: *mut lua_State, idx: c_int) -> usize {
    let mut n = 0;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, idx) != 0 {
        n += 1;
        ffi::lua_pop(l, 1);
    }
    n
}

/// Writes the Lua value at `idx` as a reply, in `out`'s protocol. Booleans follow the
/// script's own protocol (`redis.setresp`, `script_resp3`), as in Redis: with RESP2 true is
/// the integer 1 and false a null even for a RESP3 client.
pub(crate) unsafe fn write(l: *mut lua_State, idx: c_int, out: &mut Out, script_resp3: bool) {
    let idx = if idx < 0 { ffi::lua_gettop(l) + idx + 1 } else { idx };
    SCRIPT_RESP3.with(|c| c.set(script_resp3));
    write_at(l, idx, out, 0)
}

thread_local! {
    static SCRIPT_RESP3: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe fn write_at(l: *mut lua_State, idx: c_int, out: &mut Out, depth: usize) {
    if depth > MAX_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
        out.error(b"ERR reached lua stack limit");
        return;
    }
    match ffi::lua_type(l, idx) {
        ffi::LUA_TSTRING => out.bulk(to_bytes(l, idx).unwrap_or_default()),
        ffi::LUA_TBOOLEAN => {
            let b = ffi::lua_toboolean(l, idx) != 0;
            match (SCRIPT_RESP3.with(|c| c.get()) && out.resp3, b) {
                (true, b) => out.bool(b),
                (false, true) => out.int(1),
                (false, false) => out.null(),
            }
        }
        ffi::LUA_TNUMBER => out.int(c_long_long(ffi::lua_tonumber(l, idx))),
        ffi::LUA_TTABLE => write_table(l, idx, out, depth),
        _ => out.null(),
    }
}

unsafe fn write_table(l: *mut lua_State, idx: c_int, out: &mut Out, depth: usize) {
    if let Some(err) = string_field(l, idx, c"err") {
        // Redis writes `-` and the text, whatever the text starts with.
        out.error(&[b"-".as_slice(), err].concat());
        return;
    }
    if let Some(ok) = string_field(l, idx, c"ok") {
        out.simple(ok);
        return;
    }
    if field(l, idx, c"double") == ffi::LUA_TNUMBER {
        out.double(ffi::lua_tonumber(l, -1));
        ffi::lua_pop(l, 1);
        return;
    }
    ffi::lua_pop(l, 1);
    if let Some(big) = string_field(l, idx, c"big_number") {
        if out.resp3 {
            out.raw(b"(");
            out.raw(big);
            out.raw(b"\r\n");
        } else {
            out.bulk(big);
        }
        return;
    }
    if field(l, idx, c"map") == ffi::LUA_TTABLE {
        let map = ffi::lua_gettop(l);
        let n = entries(l, map);
        out.map(n);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, map) != 0 {
            let top = ffi::lua_gettop(l);
            write_at(l, top - 1, out, depth + 1);
            write_at(l, top, out, depth + 1);
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, idx, c"set") == ffi::LUA_TTABLE {
        let set = ffi::lua_gettop(l);
        let n = entries(l, set);
        out.set(n);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, set) != 0 {
            write_at(l, ffi::lua_gettop(l) - 1, out, depth + 1);
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, idx, c"verbatim_string") == ffi::LUA_TTABLE {
        let v = ffi::lua_gettop(l);
        let format = string_field(l, v, c"format");
        let text = string_field(l, v, c"string");
        if let (Some(format), Some(text)) = (format, text) {
            if let Ok(f) = <&[u8; 3]>::try_from(format) {
                out.verbatim(f, text);
                ffi::lua_pop(l, 1);
                return;
            }
        }
    }
    ffi::lua_pop(l, 1);
    // An array: elements up to the first nil.
    let header = out.defer();
    let mut n = 0;
    loop {
        ffi::lua_rawgeti(l, idx, (n + 1) as ffi::lua_Integer);
        if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
            ffi::lua_pop(l, 1);
            break;
        }
        write_at(l, ffi::lua_gettop(l), out, depth + 1);
        ffi::lua_pop(l, 1);
        n += 1;
    }
    out.set_array_len(header, n);
}

/// C's `(long long)` cast of a double on x86-64: out of range (and NaN) is the "integer
/// indefinite" value, i64::MIN, where Rust's `as` would saturate.
fn c_long_long(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}
