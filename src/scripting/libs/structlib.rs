//! The `struct` library Redis loads into its Lua VM (Roberto Ierusalimschy's struct library):
//! `struct.pack(fmt, ...)`, `struct.unpack(fmt, data [, init])` and `struct.size(fmt)`.
//!
//! Format options, read up to the first NUL byte of `fmt`:
//!
//! * `<` little endian (the initial state), `>` big endian, `!n` maximum alignment n (a power of
//!   two; `!` alone is 8, the initial maximum is 1), space ignored;
//! * `b`/`B` 1-byte, `h`/`H` 2-byte, `l`/`L` and `T` 8-byte, `i`/`I` with an optional byte count
//!   (default 4, at most 32) signed/unsigned integers; `f` float, `d` double;
//! * `x` one zero byte (skipped by unpack), `s` a NUL-terminated string, `cn` n bytes of a string
//!   (default 1); `c0` is the whole string when packing and, when unpacking, takes its length
//!   from the value unpacked just before it (which it replaces).
//!
//! What matches Redis 7.0 beyond the formats themselves:
//!
//! * Alignment: an option of size s (not `c`, not `s`, not size 0) is aligned to min(s, max
//!   alignment) with the library's mask arithmetic, so `!bi3` puts `i3` at offset 3. Unpack aligns
//!   to the absolute position in `data`, not to `init`.
//! * Integers are packed from a 64-bit value: a negative number is truncated to a signed 64-bit
//!   integer, a non-negative one to an unsigned one, with the x86-64 results for values out of
//!   range (NaN and numbers below -2^63 give 0x8000000000000000, 2^64 and above give 0); bytes past
//!   the eighth are zero. Unpacking keeps the low 64 bits and sign-extends from bit
//!   (8·size − 1) mod 64.
//! * `struct.size` accepts any letter or digit it does not know (size 0), but not other bytes.
//! * Errors, raised with Lua's own `luaL_argerror`/`luaL_typerror`/`luaL_error` so a `pcall`
//!   sees the same string as in Redis: "invalid format option 'q'", "integral size 40 is larger
//!   than limit of 32", "integral size overflow", "alignment 3 is not a power of 2", "string too
//!   short" (numbered one past the argument, as in Redis), "data string too short", "offset must
//!   be 1 or greater", "unfinished string in data", "format 'c0' needs a previous size", "option
//!   's' has no fixed size", "stack overflow (too many results)".
//!
//! One deliberate difference: where Redis's bounds arithmetic wraps around (an `init` of -1 with
//! a 2-byte option) and reads outside `data`, this raises "data string too short".
//!
//! The functions are Lua C functions (through `mlua::ffi`) so that their errors are Lua strings.
//! They hold nothing with a destructor: pack builds its result in a `luaL_Buffer`, unpack reads
//! straight from the Lua string, so a Lua error can never skip a Rust drop.

use std::fmt::Write as _;
use std::os::raw::{c_char, c_int};

use mlua::ffi::{self, lua_State};
use mlua::{Lua, Result, Table};

/// Largest byte count of an `i`/`I` option.
const MAX_INT_SIZE: usize = 32;
/// Maximum alignment of `!` without a number: the platform's (x86-64) 8.
const NATIVE_ALIGN: usize = 8;

/// A message assembled without allocating, so that it can be alive when Lua raises an error.
struct Message {
    bytes: [u8; 96],
    len: usize,
}

impl Message {
    fn new() -> Self {
        Message { bytes: [0; 96], len: 0 }
    }

    /// The message as a NUL-terminated C string (a byte is always kept free for the NUL).
    fn as_cstr(&mut self) -> *const c_char {
        self.bytes[self.len] = 0;
        self.bytes.as_ptr().cast()
    }
}

impl std::fmt::Write for Message {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for &b in s.as_bytes() {
            if self.len + 1 >= self.bytes.len() {
                return Err(std::fmt::Error);
            }
            self.bytes[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// Raises `msg` prefixed with the caller's position, as `luaL_error` does.
unsafe fn raise(state: *mut lua_State, msg: &mut Message) -> ! {
    ffi::luaL_where(state, 1);
    ffi::lua_pushlstring(state, msg.bytes.as_ptr().cast(), msg.len);
    ffi::lua_concat(state, 2);
    ffi::lua_error(state)
}

/// Raises a formatted `luaL_error`-style message.
unsafe fn raise_fmt(state: *mut lua_State, args: std::fmt::Arguments) -> ! {
    let mut msg = Message::new();
    let _ = msg.write_fmt(args);
    raise(state, &mut msg)
}

/// Raises "bad argument #`arg` to '<name>' (`extra`)" through `luaL_argerror`.
unsafe fn arg_error(state: *mut lua_State, arg: c_int, extra: *const c_char) -> ! {
    ffi::luaL_argerror(state, arg, extra);
    // luaL_argerror does not return; this only gives the function its `!` type.
    ffi::lua_error(state)
}

/// Raises "invalid format option 'c'" against argument 1.
unsafe fn invalid_option(state: *mut lua_State, opt: u8) -> ! {
    let mut msg = Message::new();
    let _ = write!(msg, "invalid format option '");
    msg.bytes[msg.len] = opt;
    msg.len += 1;
    let _ = write!(msg, "'");
    let text = msg.as_cstr();
    arg_error(state, 1, text)
}

/// The string argument `idx` (numbers are converted, as `luaL_checklstring` does).
unsafe fn check_bytes<'a>(state: *mut lua_State, idx: c_int) -> &'a [u8] {
    let mut len = 0usize;
    let ptr = ffi::luaL_checklstring(state, idx, &mut len);
    // SAFETY: Lua guarantees `len` bytes at `ptr`; the string stays on the stack (so alive)
    // until the function returns.
    std::slice::from_raw_parts(ptr.cast(), len)
}

/// A double truncated to a signed 64-bit integer as x86-64's `cvttsd2si` does: out of range and
/// NaN give `i64::MIN`.
fn truncate_i64(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// A double converted to an unsigned 64-bit integer as C on x86-64 does (values at or above 2^63
/// go through `cvttsd2si(n - 2^63)` with the top bit flipped).
fn truncate_u64(n: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n >= TWO_63 {
        (truncate_i64(n - TWO_63) as u64) ^ (1 << 63)
    } else {
        truncate_i64(n) as u64
    }
}

/// The 64-bit pattern a number is packed from.
fn int_bits(n: f64) -> u64 {
    if n < 0.0 {
        truncate_i64(n) as u64
    } else {
        truncate_u64(n)
    }
}

/// Parsing state: the format bytes, where we are, and the current endianness and alignment.
struct Format<'a> {
    fmt: &'a [u8],
    at: usize,
    little: bool,
    max_align: usize,
}

/// One parsed option.
#[derive(Clone, Copy)]
struct Opt {
    code: u8,
    /// Bytes it occupies (0 for `s`, `c0`, controls and unknown options).
    size: usize,
}

impl<'a> Format<'a> {
    fn new(fmt: &'a [u8]) -> Self {
        let end = fmt.iter().position(|&b| b == 0).unwrap_or(fmt.len());
        Format { fmt: &fmt[..end], at: 0, little: true, max_align: 1 }
    }

    /// Reads an optional decimal count, raising "integral size overflow" past `INT_MAX`.
    unsafe fn number(&mut self, state: *mut lua_State, default: usize) -> usize {
        if !self.fmt.get(self.at).is_some_and(u8::is_ascii_digit) {
            return default;
        }
        let mut value: i64 = 0;
        while let Some(&d) = self.fmt.get(self.at).filter(|d| d.is_ascii_digit()) {
            value = value * 10 + i64::from(d - b'0');
            if value > i64::from(c_int::MAX) {
                raise_fmt(state, format_args!("integral size overflow"));
            }
            self.at += 1;
        }
        value as usize
    }

    /// The next option, or `None` at the end; raises the size errors.
    unsafe fn next(&mut self, state: *mut lua_State) -> Option<Opt> {
        let code = *self.fmt.get(self.at)?;
        self.at += 1;
        let size = match code {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'i' | b'I' => {
                let size = self.number(state, 4);
                if size > MAX_INT_SIZE {
                    raise_fmt(state, format_args!("integral size {size} is larger than limit of {MAX_INT_SIZE}"));
                }
                size
            }
            b'c' => self.number(state, 1),
            _ => 0,
        };
        Some(Opt { code, size })
    }

    /// Padding before `opt` at offset `pos`.
    fn padding(&self, opt: Opt, pos: usize) -> usize {
        if opt.size == 0 || opt.code == b'c' {
            return 0;
        }
        let align = opt.size.min(self.max_align);
        // The library's mask arithmetic, kept as is for alignments that are not powers of two.
        align.wrapping_sub(pos & (align - 1)) & (align - 1)
    }

    /// Applies a control option (space, `<`, `>`, `!n`); false if `code` is not one.
    unsafe fn control(&mut self, state: *mut lua_State, code: u8) -> bool {
        match code {
            b' ' => {}
            b'<' => self.little = true,
            b'>' => self.little = false,
            b'!' => {
                let align = self.number(state, NATIVE_ALIGN);
                if !align.is_power_of_two() {
                    raise_fmt(state, format_args!("alignment {align} is not a power of 2"));
                }
                self.max_align = align;
            }
            _ => return false,
        }
        true
    }
}

/// Whether `code` is an integer option, and whether it is signed.
fn integer_kind(code: u8) -> Option<bool> {
    match code {
        b'b' | b'h' | b'l' | b'i' => Some(true),
        b'B' | b'H' | b'L' | b'T' | b'I' => Some(false),
        _ => None,
    }
}

/// Appends `bytes` to the buffer, reversed when big endian.
unsafe fn add_ordered(buf: *mut ffi::luaL_Buffer, bytes: &mut [u8], little: bool) {
    if !little {
        bytes.reverse();
    }
    ffi::luaL_addlstring(buf, bytes.as_ptr().cast(), bytes.len());
}

/// Appends `count` zero bytes.
unsafe fn add_zeros(buf: *mut ffi::luaL_Buffer, mut count: usize) {
    let zeros = [0u8; 64];
    while count > 0 {
        let n = count.min(zeros.len());
        ffi::luaL_addlstring(buf, zeros.as_ptr().cast(), n);
        count -= n;
    }
}

unsafe extern "C-unwind" fn pack(state: *mut lua_State) -> c_int {
    let mut format = Format::new(check_bytes(state, 1));
    // As in Redis, a nil separates the arguments from the buffer's pieces: the first missing
    // argument reads as "got nil", not "got no value".
    ffi::lua_pushnil(state);
    let mut storage = std::mem::MaybeUninit::<ffi::luaL_Buffer>::uninit();
    let buf = storage.as_mut_ptr();
    ffi::luaL_buffinit(state, buf);
    let mut arg: c_int = 2;
    let mut total: usize = 0;
    while let Some(opt) = format.next(state) {
        let pad = format.padding(opt, total);
        add_zeros(buf, pad);
        total = total.wrapping_add(pad);
        match opt.code {
            code if integer_kind(code).is_some() => {
                let bits = int_bits(ffi::luaL_checknumber(state, arg)).to_le_bytes();
                arg += 1;
                let mut bytes = [0u8; MAX_INT_SIZE];
                let n = opt.size.min(8);
                bytes[..n].copy_from_slice(&bits[..n]);
                add_ordered(buf, &mut bytes[..opt.size], format.little);
            }
            b'x' => add_zeros(buf, 1),
            b'f' => {
                let n = ffi::luaL_checknumber(state, arg) as f32;
                arg += 1;
                add_ordered(buf, &mut n.to_le_bytes(), format.little);
            }
            b'd' => {
                let n = ffi::luaL_checknumber(state, arg);
                arg += 1;
                add_ordered(buf, &mut n.to_le_bytes(), format.little);
            }
            b'c' | b's' => {
                let s = check_bytes(state, arg);
                arg += 1;
                let size = if opt.size == 0 { s.len() } else { opt.size };
                if s.len() < size {
                    // Redis numbers this error one past the argument.
                    arg_error(state, arg, c"string too short".as_ptr());
                }
                ffi::luaL_addlstring(buf, s.as_ptr().cast(), size);
                if opt.code == b's' {
                    add_zeros(buf, 1);
                }
                total = total.wrapping_add(size + usize::from(opt.code == b's'));
                continue;
            }
            code => {
                if !format.control(state, code) {
                    invalid_option(state, code);
                }
            }
        }
        total = total.wrapping_add(opt.size);
    }
    ffi::luaL_pushresult(buf);
    1
}

/// The low 64 bits of an integer field, sign-extended from bit (8·size − 1) mod 64 if signed.
fn read_integer(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let mut value: u64 = 0;
    let mut take = |b: u8| value = (value << 8) | u64::from(b);
    if little {
        bytes.iter().rev().for_each(|&b| take(b));
    } else {
        bytes.iter().for_each(|&b| take(b));
    }
    if !signed {
        return value as f64;
    }
    let sign_bit = (bytes.len() as u32).wrapping_mul(8).wrapping_sub(1) & 63;
    let mask = u64::MAX << sign_bit;
    if value & mask != 0 {
        value |= mask;
    }
    value as i64 as f64
}

/// `N` bytes in little-endian order.
fn ordered<const N: usize>(bytes: &[u8], little: bool) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    if !little {
        out.reverse();
    }
    out
}

unsafe extern "C-unwind" fn unpack(state: *mut lua_State) -> c_int {
    let mut format = Format::new(check_bytes(state, 1));
    let data = check_bytes(state, 2);
    let init = ffi::luaL_optinteger(state, 3, 1) as usize;
    if init == 0 {
        arg_error(state, 3, c"offset must be 1 or greater".as_ptr());
    }
    let mut pos = init - 1;
    let mut pushed: c_int = 0;
    while let Some(opt) = format.next(state) {
        if ffi::lua_checkstack(state, 2) == 0 {
            // Emptied first so that the message has room (what was unpacked is abandoned).
            ffi::lua_settop(state, 0);
            raise_fmt(state, format_args!("stack overflow (too many results)"));
        }
        pos = pos.wrapping_add(format.padding(opt, pos));
        if pos > data.len() || opt.size > data.len() - pos {
            arg_error(state, 2, c"data string too short".as_ptr());
        }
        let field = &data[pos..pos + opt.size];
        let mut size = opt.size;
        match opt.code {
            code if integer_kind(code).is_some() => {
                let signed = integer_kind(code) == Some(true);
                ffi::lua_pushnumber(state, read_integer(field, format.little, signed));
                pushed += 1;
            }
            b'x' => {}
            b'f' => {
                let n = f32::from_le_bytes(ordered(field, format.little));
                ffi::lua_pushnumber(state, f64::from(n));
                pushed += 1;
            }
            b'd' => {
                let n = f64::from_le_bytes(ordered(field, format.little));
                ffi::lua_pushnumber(state, n);
                pushed += 1;
            }
            b'c' => {
                if size == 0 {
                    if pushed == 0 || ffi::lua_isnumber(state, -1) == 0 {
                        raise_fmt(state, format_args!("format 'c0' needs a previous size"));
                    }
                    size = truncate_u64(ffi::lua_tonumber(state, -1)) as usize;
                    ffi::lua_settop(state, -2);
                    pushed -= 1;
                    if size > data.len() - pos {
                        arg_error(state, 2, c"data string too short".as_ptr());
                    }
                }
                ffi::lua_pushlstring(state, data[pos..].as_ptr().cast(), size);
                pushed += 1;
            }
            b's' => {
                let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
                    raise_fmt(state, format_args!("unfinished string in data"));
                };
                ffi::lua_pushlstring(state, data[pos..].as_ptr().cast(), len);
                pushed += 1;
                size = len + 1;
            }
            code => {
                if !format.control(state, code) {
                    invalid_option(state, code);
                }
            }
        }
        pos = pos.wrapping_add(size);
    }
    ffi::lua_pushnumber(state, pos.wrapping_add(1) as i64 as f64);
    pushed + 1
}

unsafe extern "C-unwind" fn size(state: *mut lua_State) -> c_int {
    let mut format = Format::new(check_bytes(state, 1));
    let mut total: usize = 0;
    while let Some(opt) = format.next(state) {
        match opt.code {
            b's' => arg_error(state, 1, c"option 's' has no fixed size".as_ptr()),
            b'c' if opt.size == 0 => arg_error(state, 1, c"option 'c0' has no fixed size".as_ptr()),
            code if code.is_ascii_alphanumeric() => {}
            code => {
                if !format.control(state, code) {
                    invalid_option(state, code);
                }
            }
        }
        total = total.wrapping_add(format.padding(opt, total)).wrapping_add(opt.size);
    }
    ffi::lua_pushnumber(state, total as f64);
    1
}

/// Builds the library's table.
pub fn open(lua: &Lua) -> Result<Table> {
    let functions: [(&str, ffi::lua_CFunction); 3] = [("pack", pack), ("unpack", unpack), ("size", size)];
    let table = super::c_functions(lua, &functions)?;
    Ok(table)
}

#[cfg(test)]
mod tests {

    /// Helpers every snippet may use (prepended on the same line, so line numbers are kept):
    /// `all(...)` joins its values with '|', strings with bytes outside ' '..'~' as 'x' + hex;
    /// `err(f, ...)` is `all(pcall(f, ...))`.
    const PRELUDE: &str = r#"local function show(v) if type(v) == 'string' and v:find('[^ -~]') then return 'x' .. (v:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return tostring(v) end local function all(...) local r = {} for i = 1, select('#', ...) do r[i] = show((select(i, ...))) end return table.concat(r, '|') end local function err(f, ...) return all(pcall(f, ...)) end"#;

    fn check(cases: &[(&str, &str)]) {
        crate::scripting::libs::testing::check("struct", super::open, PRELUDE, cases);
    }

    /// Not compared with Redis: random formats and data must give values or Lua errors, never a
    /// crash.
    #[test]
    fn random_input_never_crashes() {
        let lua = crate::scripting::libs::testing::vm("struct", super::open);
        lua.load(
            r#"
            local seed = 54321
            local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n end
            local opts = {'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I', 'f', 'd', 's', 'c', 'x', '<', '>', '!', ' ', '0', '3', '9', 'q'}
            for _ = 1, 3000 do
                local f, d = {}, {}
                for i = 1, rnd(8) do f[i] = opts[rnd(#opts) + 1] end
                for i = 1, rnd(40) do d[i] = string.char(rnd(256)) end
                local fmt, data = table.concat(f), table.concat(d)
                pcall(struct.size, fmt)
                pcall(struct.unpack, fmt, data, rnd(45) - 2)
                pcall(struct.pack, fmt, rnd(1000) - 500, data, rnd(7) / 3, data)
            end
            "#,
        )
        .exec()
        .unwrap();
    }

    #[test]
    fn pack_integers() {
        check(&[
            (
                r#"return all(struct.pack('>i<i!4bBhHlLTiI', 1, 2, -1, 255, -2, 65535, -3, 4, 5, 6, 7))"#,
                "x0000000102000000fffffeffffff0000fdffffffffffffff040000000000000005000000000000000600000007000000",
            ),
            (
                r#"return all(struct.pack('i1i2i3i5i8i9i16', -1, -2, -3, -4, -5, -6, -7))"#,
                "xfffefffdfffffcfffffffffbfffffffffffffffaffffffffffffff00f9ffffffffffffff0000000000000000",
            ),
            (
                r#"return all(struct.pack('>I1I2I3I5I8I9I16', 1, 2, 3, 4, 5, 6, 7))"#,
                "x0100020000030000000004000000000000000500000000000000000600000000000000000000000000000007",
            ),
            (
                r#"return all(struct.pack('i0', 5), struct.pack('i17', -1), struct.pack('>i17', 258), struct.pack('i032', 1), struct.pack('i00', 1))"#,
                "|xffffffffffffffff000000000000000000|x0000000000000000000000000000000102|x0100000000000000000000000000000000000000000000000000000000000000|",
            ),
            (
                r#"return all(struct.pack('>I32', 2^64-1), struct.pack('>i32', -2), struct.pack('<i32', -2))"#,
                "x0000000000000000000000000000000000000000000000000000000000000000|x000000000000000000000000000000000000000000000000fffffffffffffffe|xfeffffffffffffff000000000000000000000000000000000000000000000000",
            ),
            (
                r#"return all(struct.pack('>I8', 0/0), struct.pack('>I8', 2^64), struct.pack('>I8', 1e300), struct.pack('>i8', -1e300), struct.pack('>i8', 2^63))"#,
                "x8000000000000000|x0000000000000000|x0000000000000000|x8000000000000000|x8000000000000000",
            ),
            (
                r#"return all(struct.pack('>I8', 2^63+2048), struct.pack('>i8', -0.5), struct.pack('>i8', 1/0), struct.pack('>I8', -1/0), struct.pack('>i8', -0.0))"#,
                "x8000000000000800|x0000000000000000|x0000000000000000|x8000000000000000|x0000000000000000",
            ),
            (
                r#"return all(struct.pack('>i4', 1.9), struct.pack('>i4', -1.9), struct.pack('>i8', -2^63), struct.pack('>I8', -(0/0)), struct.pack('>b', 300), struct.pack('b', 0/0))"#,
                "x00000001|xffffffff|x8000000000000000|x8000000000000000|,|x00",
            ),
            (
                r#"return all(struct.pack('B', 255.9), struct.pack('B', -0.9), struct.pack('<I8', 2^63 + 2^62), struct.pack('<i8', 2^64), struct.pack('i', 2^31), struct.pack('I', -1), struct.pack('>i4', 4294967296+7))"#,
                "xff|x00|x00000000000000c0|x0000000000000000|x00000080|xffffffff|x00000007",
            ),
            (
                r#"return all(struct.pack('b', '0x10'), struct.pack('b', ' 5 '), struct.pack('>h', '-2'), struct.pack('b', 1, 2, 3), struct.pack('<', 1), struct.pack(''))"#,
                "x10|x05|xfffe|x01||",
            ),
            (
                r#"return all(struct.pack('>lLT', -1, 2^40, 3), struct.pack('<hH', -32768, 40000))"#,
                "xffffffffffffffff00000100000000000000000000000003|x0080409c",
            ),
        ]);
    }

    #[test]
    fn pack_floats_and_strings() {
        check(&[
            (
                r#"return all(struct.pack('fd>fd', 1.5, -2.25, 1.5, 1/0))"#,
                "x0000c03f00000000000002c03fc000007ff0000000000000",
            ),
            (
                r#"return all(struct.pack('f', 1e300), struct.pack('>f', 2^-149), struct.pack('>f', 2^-150), struct.pack('>f', 2^-150 * 1.5), struct.pack('>f', 16777217), struct.pack('>d', -0.0), struct.pack('>d', 0.1))"#,
                "x0000807f|x00000001|x00000000|x00000001|x4b800000|x8000000000000000|x3fb999999999999a",
            ),
            (r#"return all(struct.pack('s c3 c0 c', 'ab', 'xyz', 'hello', 'zzz'))"#, "x61620078797a68656c6c6f7a"),
            (
                r#"return all(struct.pack('s', 'ab'), struct.pack('c0', 'hello'), struct.pack('c3', 'xyzw'), struct.pack('c2s', 'a\0b', 'x\0y'), struct.pack('bc0', 1, ''), struct.pack('s', ''))"#,
                "x616200|hello|xyz|x610078007900|x01|x00",
            ),
            (
                r#"return all(struct.pack('c', 12), struct.pack('x', 12), struct.pack('xc0x', 'a', 'b'), struct.pack('s', 12.5), struct.pack('xxbx', 1), struct.pack(' < b > h ', 1, 2))"#,
                "1|x00|x006100|x31322e3500|x00000100|x010002",
            ),
            (
                r#"return all(struct.pack('\0', 1), struct.pack('b\0b', 1, 2), struct.pack('c0c0c0', 'a', '', 'bc'))"#,
                "|x01|abc",
            ),
            (
                r#"local a = string.rep('a', 100) return all(struct.pack(string.rep('c100', 3), a, a, a) == a .. a .. a, #struct.pack('c100000', string.rep('z', 100000)), #struct.pack(string.rep('x', 9000)))"#,
                "true|100000|9000",
            ),
            (
                r#"return all(struct.pack('>c5s', string.rep('q', 5), string.rep('w', 10000)):sub(1, 8), #struct.pack('s', string.rep('w', 10000)))"#,
                "qqqqqwww|10001",
            ),
        ]);
    }

    #[test]
    fn pack_alignment() {
        check(&[
            (
                r#"return all(struct.pack('!bi!2bi!bd', 1, 2, 3, 4, 5, 6))"#,
                "x010000000200000003000400000005000000000000001840",
            ),
            (
                r#"return all(struct.pack('!bi3', 1, 2), struct.pack('!bi5', 1, 2), struct.pack('!bi16', 1, 2), struct.pack('!bc3h', 1, 'abc', 2), struct.pack('!bxh', 1, 2))"#,
                "x010000020000|x01000000000200000000|x010000000000000002000000000000000000000000000000|x016162630200|x01000200",
            ),
            (
                r#"return all(struct.pack('!sh', 'ab', 1), struct.pack('!bi0h', 1, 2, 3), struct.pack('!4bd', 1, 2), struct.pack('!bf', 1, 2), struct.pack('!bc9i5', 1, '123456789', 2))"#,
                "x616200000100|x01000300|x010000000000000000000040|x0100000000000040|x01313233343536373839000000000200000000",
            ),
            (
                r#"return all(struct.pack('!1bh', 1, 2), struct.pack('!2bi', 1, 2), struct.pack('!64bi32', 1, 2), struct.pack('!b>d', 1, 2))"#,
                "x010200|x010002000000|x01000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000|x01000000000000004000000000000000",
            ),
        ]);
    }

    #[test]
    fn pack_errors() {
        check(&[
            (
                r#"return err(struct.pack, 'c3', 'xy')"#,
                "false|bad argument #3 to '?' (string too short)",
            ),
            (
                r#"return err(struct.pack, 'bc3', 1, 'xy')"#,
                "false|bad argument #4 to '?' (string too short)",
            ),
            (
                r#"return err(struct.pack, 'c3 c3', 'abc', 'de')"#,
                "false|bad argument #4 to '?' (string too short)",
            ),
            (
                r#"return err(function() return struct.pack('s c3', 'ab', 'xy') end)"#,
                "false|user_script:1: bad argument #4 to 'pack' (string too short)",
            ),
            (
                r#"return err(struct.pack, 'c', '')"#,
                "false|bad argument #3 to '?' (string too short)",
            ),
            (
                r#"return err(struct.pack, 'c10', 'abc')"#,
                "false|bad argument #3 to '?' (string too short)",
            ),
            (
                r#"return err(struct.pack, 'i', 'x')"#,
                "false|bad argument #2 to '?' (number expected, got string)",
            ),
            (
                r#"return err(struct.pack, 'i')"#,
                "false|bad argument #2 to '?' (number expected, got nil)",
            ),
            (
                r#"return err(struct.pack, 's', nil)"#,
                "false|bad argument #2 to '?' (string expected, got nil)",
            ),
            (
                r#"return err(struct.pack, 'd', {})"#,
                "false|bad argument #2 to '?' (number expected, got table)",
            ),
            (
                r#"return err(struct.pack)"#,
                "false|bad argument #1 to '?' (string expected, got no value)",
            ),
            (
                r#"return err(struct.pack, 12)"#,
                "false|bad argument #1 to '?' (invalid format option '1')",
            ),
            (
                r#"return err(function() return struct.pack('q', 1) end)"#,
                "false|user_script:1: bad argument #1 to 'pack' (invalid format option 'q')",
            ),
            (
                r#"return err(function() return struct.pack('bq', 1) end)"#,
                "false|user_script:1: bad argument #1 to 'pack' (invalid format option 'q')",
            ),
            (
                r#"return err(function() return struct.pack('bq') end)"#,
                "false|user_script:1: bad argument #2 to 'pack' (number expected, got nil)",
            ),
            (
                r#"return err(function() return struct.pack('i17', 1) end)"#,
                "true|x0100000000000000000000000000000000",
            ),
            (
                r#"return err(function() return struct.pack('i33', 1) end)"#,
                "false|user_script:1: integral size 33 is larger than limit of 32",
            ),
            (
                r#"return err(function() return struct.pack('i99999999999999999999', 1) end)"#,
                "false|user_script:1: integral size overflow",
            ),
            (
                r#"return err(function() return struct.pack('c2147483647', 'a') end)"#,
                "false|user_script:1: bad argument #3 to 'pack' (string too short)",
            ),
            (
                r#"return err(function() return struct.pack('c2147483648', 'a') end)"#,
                "false|user_script:1: integral size overflow",
            ),
            (
                r#"return err(function() return struct.pack('i-1', 1) end)"#,
                "false|user_script:1: bad argument #1 to 'pack' (invalid format option '-')",
            ),
            (
                r#"return err(function() return struct.pack('\255', 1) end)"#,
                "false|x757365725f7363726970743a313a2062616420617267756d656e7420233120746f20277061636b272028696e76616c696420666f726d6174206f7074696f6e2027ff2729",
            ),
            (
                r#"return err(function() return struct.pack('%', 1) end)"#,
                "false|user_script:1: bad argument #1 to 'pack' (invalid format option '%')",
            ),
            (
                r#"return err(function() return struct.pack('b5', 1) end)"#,
                "false|user_script:1: bad argument #1 to 'pack' (invalid format option '5')",
            ),
            (
                r#"return err(function() return struct.pack('!5b', 1) end)"#,
                "false|user_script:1: alignment 5 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.pack('!0b', 1) end)"#,
                "false|user_script:1: alignment 0 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.pack('!bi', 1) end)"#,
                "false|user_script:1: bad argument #3 to 'pack' (number expected, got nil)",
            ),
            (
                r#"return err(function() return struct.pack('c0') end)"#,
                "false|user_script:1: bad argument #2 to 'pack' (string expected, got nil)",
            ),
            (
                r#"return err(function() return struct.pack('f', 'one') end)"#,
                "false|user_script:1: bad argument #2 to 'pack' (number expected, got string)",
            ),
            (
                r#"return err(function() local p = struct.pack return p('=') end)"#,
                "false|user_script:1: bad argument #1 to 'p' (invalid format option '=')",
            ),
            (
                r#"return err(function() return struct.pack('i40') end)"#,
                "false|user_script:1: integral size 40 is larger than limit of 32",
            ),
        ]);
    }

    #[test]
    fn unpack_integers() {
        check(&[
            (r#"return all(struct.unpack('>i<i', struct.pack('>i<i', 1, 2)))"#, "1|2|9"),
            (
                r#"return all(struct.unpack('bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 4, 5, 6, 7)))"#,
                "-1|255|-2|65535|-3|4|5|6|7|39",
            ),
            (
                r#"return all(struct.unpack('i1i2i3i5i8i9i16', struct.pack('i1i2i3i5i8i9i16', -1, -2, -3, -4, -5, -6, -7)))"#,
                "-1|-2|-3|-4|-5|-6|-7|45",
            ),
            (
                r#"return all(struct.unpack('I1I2I3I5I8I9', struct.pack('I1I2I3I5I8I9', 1, 2, 3, 4, 5, 6)), struct.unpack('I8', string.rep('\255', 8)))"#,
                "1|1.844674407371e+19|9",
            ),
            (
                r#"return all(struct.unpack('i8', string.rep('\255', 8)), struct.unpack('<i8', '\0\0\0\0\0\0\0\128'), struct.unpack('i32', string.rep('\255', 32)))"#,
                "-1|-9.2233720368548e+18|-1|33",
            ),
            (
                r#"return all(struct.unpack('i9', string.rep('\255', 9)), struct.unpack('i9', '\255\255\255\255\255\255\255\255\1'), struct.unpack('I9', '\1\0\0\0\0\0\0\0\1'), struct.unpack('I9', '\255\255\255\255\255\255\255\255\0'), struct.unpack('i9', '\255\255\255\255\255\255\255\127\255'))"#,
                "-1|-1|1|1.844674407371e+19|-1|10",
            ),
            (
                r#"local z=string.rep('\0',15) return all(struct.unpack('<i9', '\128'..z), struct.unpack('<i10', '\0\128'..z), struct.unpack('<i12', '\0\0\0\128'..z), struct.unpack('<i16', '\0\0\0\0\0\0\0\128'..z), struct.unpack('<i16', '\0\0\0\128'..z))"#,
                "-128|-32768|-2147483648|-9.2233720368548e+18|2147483648|17",
            ),
            (
                r#"return all(struct.unpack('i0', ''), struct.unpack('<i3', '\0\0\128'), struct.unpack('>i3', '\128\0\0'), struct.unpack('<i10', '\0\0\0\0\0\0\0\0\1\128'), struct.unpack('>i3', '\127\255\255'), struct.unpack('<I3', '\1\2\3'))"#,
                "0|-8388608|-8388608|0|8388607|197121|4",
            ),
            (
                r#"return all(struct.unpack('>h', '\255\254', 1), struct.unpack('>H', '\255\254'), struct.unpack('>l', '\128\0\0\0\0\0\0\0'), struct.unpack('>L', '\128\0\0\0\0\0\0\1'), struct.unpack('>T', '\0\0\0\0\0\0\1\0'), struct.unpack('>I16', '\0\0\0\0\0\0\0\0\128\0\0\0\0\0\0\1'))"#,
                "-2|65534|-9.2233720368548e+18|9.2233720368548e+18|256|9.2233720368548e+18|17",
            ),
            (
                r#"return all(struct.unpack('<I8', '\255\255\255\255\255\255\255\255'), struct.unpack('<i8', '\1\0\0\0\0\0\0\128'), struct.unpack('<L', '\1\0\0\0\0\0\0\128'), struct.unpack('i', 12345678))"#,
                "1.844674407371e+19|-9.2233720368548e+18|9.2233720368548e+18|875770417|5",
            ),
        ]);
    }

    #[test]
    fn unpack_floats_strings_positions() {
        check(&[
            (
                r#"return all(struct.unpack('fd>fd', struct.pack('fd>fd', 1.5, -2.25, 0.1, 1/0)))"#,
                "1.5|-2.25|0.10000000149012|inf|25",
            ),
            (
                r#"return all(struct.unpack('<f', '\1\0\0\0'), struct.pack('d', struct.unpack('>d', '\127\248\0\0\0\0\0\1')), struct.unpack('>d', '\63\240\0\0\0\0\0\0'))"#,
                "1.4012984643248e-45|x010000000000f87f|1|9",
            ),
            (
                r#"return all(struct.unpack('s', 'ab\0cd'), struct.unpack('bc0', '\3abcdef'), struct.unpack('c3', 'abcdef', 2), struct.unpack('xb', '\1\2'), struct.unpack('c', 'abc'), struct.unpack('s', '\0'))"#,
                "ab|abc|bcd|2|a||2",
            ),
            (
                r#"return all(struct.unpack('bc0', '\0abc'), struct.unpack('Bc0', '\4abcdef'), struct.unpack('dc0', struct.pack('d', 2.7)..'abcdef'), struct.unpack('dc0', struct.pack('d', 1e300)..'abcdef'), struct.unpack('hbc0', '\1\0\2ab'))"#,
                "|abcd|ab||1|ab|6",
            ),
            (
                r#"return all(struct.unpack('bxc0', '\2\0ab'), struct.unpack('b c0', '\2ab'), struct.unpack('b>c0', '\2ab'), struct.unpack('b!c0', '\2ab'), struct.unpack('bc', '\2ab'), struct.unpack('bc1c0', '\2' .. '3abc'), struct.unpack('b c0', '\0'))"#,
                "ab|ab|ab|ab|2|2||2",
            ),
            (
                r#"return all(struct.unpack('!bi', '\0\1\0\0\0\2\0\0\0', 2), struct.unpack('!bh', '\0\0\1\0\2\0', 2), struct.unpack('!b>i', '\1\0\0\0\0\0\0\1'), struct.unpack('bs', '\0\0'), struct.unpack('b', 'abc', 3), struct.unpack('bxb', 'abc'))"#,
                "1|0|1|0|99|97|99|4",
            ),
            (
                r#"return all(struct.unpack('', 'abc', 1/0), struct.unpack('', 'abc', -5), struct.unpack('', 'abc', 1.5), struct.unpack('', 'abc', 2^40), struct.unpack('b', 'abc', '2'), struct.unpack('b', 'abc', nil), struct.unpack('', ''))"#,
                "-9.2233720368548e+18|-5|1|1099511627776|98|97|1",
            ),
            (
                r#"return all(select('#', struct.unpack(string.rep('b', 7000), string.rep('a', 7000))), select('#', struct.unpack(string.rep('x', 8100), string.rep('a', 8100))))"#,
                "7001|1",
            ),
            (
                r#"return all(select('#', struct.unpack(string.rep('b', 7997), string.rep('a', 7997))), select('#', struct.unpack(string.rep('b', 7996), string.rep('a', 7996), 1)))"#,
                "7998|7997",
            ),
            (r#"return all(struct.unpack('s s', 'a\0\0', 1))"#, "a||4"),
        ]);
    }

    #[test]
    fn unpack_errors() {
        check(&[
            (r#"return err(struct.unpack, 's', 'abc')"#, "false|unfinished string in data"),
            (
                r#"return err(function() return struct.unpack('c0', 'abc') end)"#,
                "false|user_script:1: format 'c0' needs a previous size",
            ),
            (
                r#"return err(function() return struct.unpack('bsc0', '\2abc\0ab') end)"#,
                "false|user_script:1: format 'c0' needs a previous size",
            ),
            (
                r#"return err(function() return struct.unpack('bc0c0', '\2ab') end)"#,
                "false|user_script:1: format 'c0' needs a previous size",
            ),
            (
                r#"return err(function() return struct.unpack('c0', '12345678901', 3) end)"#,
                "false|user_script:1: format 'c0' needs a previous size",
            ),
            (
                r#"return err(function() return struct.unpack('bc0', '\255abc') end)"#,
                "false|user_script:1: bad argument #2 to 'unpack' (data string too short)",
            ),
            (
                r#"return err(function() return struct.unpack('bc0', '\5abc') end)"#,
                "false|user_script:1: bad argument #2 to 'unpack' (data string too short)",
            ),
            (
                r#"return err(function() return struct.unpack('dc0', struct.pack('d', -1)..'abcdef') end)"#,
                "false|user_script:1: bad argument #2 to 'unpack' (data string too short)",
            ),
            (r#"return err(struct.unpack, 'i', 'abc')"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'b', 'abc', 4)"#, "false|bad argument #2 to '?' (data string too short)"),
            (
                r#"return err(struct.unpack, 'b', 'abc', 0)"#,
                "false|bad argument #3 to '?' (offset must be 1 or greater)",
            ),
            (r#"return err(struct.unpack, 'b', 'abc', -1)"#, "false|bad argument #2 to '?' (data string too short)"),
            (
                r#"return err(struct.unpack, '', 'abc', 0.5)"#,
                "false|bad argument #3 to '?' (offset must be 1 or greater)",
            ),
            (
                r#"return err(struct.unpack, 'b', 'abc', 'x')"#,
                "false|bad argument #3 to '?' (number expected, got string)",
            ),
            (r#"return err(struct.unpack, 'b')"#, "false|bad argument #2 to '?' (string expected, got no value)"),
            (r#"return err(struct.unpack, 'b', nil)"#, "false|bad argument #2 to '?' (string expected, got nil)"),
            (r#"return err(struct.unpack, 'bc2', '\2a')"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'x', '')"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 's', 'abc', 4)"#, "false|unfinished string in data"),
            (r#"return err(struct.unpack, 's', 'abc', 5)"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'b', 'abc', 2^53)"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'b', 'abc', 1/0)"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'b', 'abc', 0/0)"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'c2', 'abc', -1)"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, nil, nil)"#, "false|bad argument #1 to '?' (string expected, got nil)"),
            (r#"return err(struct.unpack, 'b', nil, 0)"#, "false|bad argument #2 to '?' (string expected, got nil)"),
            (
                r#"return err(struct.unpack, 'q', 'abc', 0)"#,
                "false|bad argument #3 to '?' (offset must be 1 or greater)",
            ),
            (r#"return err(struct.unpack, 'q', 'abc', 10)"#, "false|bad argument #2 to '?' (data string too short)"),
            (r#"return err(struct.unpack, 'q', 'abc')"#, "false|bad argument #1 to '?' (invalid format option 'q')"),
            (r#"return err(struct.unpack, 12, 'abc')"#, "false|bad argument #1 to '?' (invalid format option '1')"),
            (
                r#"return err(function() return struct.unpack('i40', 'abc') end)"#,
                "false|user_script:1: integral size 40 is larger than limit of 32",
            ),
            (
                r#"return err(function() return struct.unpack('!3', 'abc', 10) end)"#,
                "false|user_script:1: bad argument #2 to 'unpack' (data string too short)",
            ),
            (
                r#"return err(function() return struct.unpack('!3', 'abc') end)"#,
                "false|user_script:1: alignment 3 is not a power of 2",
            ),
            (r#"return err(struct.unpack, '!bi', '\1\0\0')"#, "false|bad argument #2 to '?' (data string too short)"),
            (
                r#"return err(function() return struct.unpack('bs', '\0') end)"#,
                "false|user_script:1: unfinished string in data",
            ),
            (
                r#"return err(function() return struct.unpack(string.rep('b', 7998), string.rep('a', 7998)) end)"#,
                "false|user_script:1: stack overflow (too many results)",
            ),
            (
                r#"return err(function() return struct.unpack(string.rep('b', 7997), string.rep('a', 7997), 1) end)"#,
                "false|user_script:1: stack overflow (too many results)",
            ),
            (
                r#"return err(function() return struct.unpack(string.rep('b', 8100), string.rep('a', 8100)) end)"#,
                "false|user_script:1: stack overflow (too many results)",
            ),
        ]);
    }

    #[test]
    fn size() {
        check(&[
            (
                r#"return all(struct.size('bhi'), struct.size('!bhid'), struct.size('!2bhid'), struct.size(''), struct.size('c5x'), struct.size('i16'), struct.size('!i3'), struct.size('i3'), struct.size('bi3'))"#,
                "7|16|16|0|6|16|5|3|4",
            ),
            (
                r#"return all(struct.size('!bi3'), struct.size('!i5'), struct.size('!bi5'), struct.size('!bi6'), struct.size('!bi16'), struct.size('!16bi16'), struct.size('!bc3h'), struct.size('!bxh'), struct.size('!bfd'))"#,
                "6|9|10|12|24|32|6|4|16",
            ),
            (
                r#"return all(struct.size('!1bh'), struct.size('!2bi'), struct.size('!4bd'), struct.size('!32bi32'), struct.size('!64bi32'), struct.size('!i'), struct.size('!'), struct.size('!2!'), struct.size('!8bd!bd'))"#,
                "3|6|12|64|64|4|0|0|32",
            ),
            (
                r#"return all(struct.size('!4bi8'), struct.size('!bI8'), struct.size('!bl'), struct.size('!bT'), struct.size('!bH'), struct.size('!bB'), struct.size('!bq'), struct.size('!b5'), struct.size('!bA'))"#,
                "12|16|16|16|4|2|1|1|1",
            ),
            (
                r#"return all(struct.size('!b b'), struct.size('!bqh'), struct.size('!bc2h'), struct.size('!bc1h'), struct.size('!bi0h'), struct.size('q5'), struct.size('i5q7'), struct.size('!bf'), struct.size('!2bd'))"#,
                "2|4|6|4|4|0|5|8|10",
            ),
            (
                r#"return all(struct.size('!bd'), struct.size('bd'), struct.size('!b>d'), struct.size('!bc9d'), struct.size('!bc9i3'), struct.size('!bc9i5'), struct.size('!bc10i5'), struct.size('!bc13i5'), struct.size('!bc11i6'))"#,
                "16|9|16|24|13|19|20|19|18",
            ),
            (
                r#"return all(struct.size('c2147483647'), struct.size('c2147483647c2147483647'), struct.size('z'), struct.size('q'), struct.size(12), struct.size('<>'))"#,
                "2147483647|4294967294|0|0|0|0",
            ),
            (
                r#"return (function() local r = {} for c = 1, 255 do local ok, e = pcall(struct.size, string.char(c)) if ok then r[#r+1] = c .. '=' .. e end end return table.concat(r, ' ') end)()"#,
                "32=0 33=0 48=0 49=0 50=0 51=0 52=0 53=0 54=0 55=0 56=0 57=0 60=0 62=0 65=0 66=1 67=0 68=0 69=0 70=0 71=0 72=2 73=4 74=0 75=0 76=8 77=0 78=0 79=0 80=0 81=0 82=0 83=0 84=8 85=0 86=0 87=0 88=0 89=0 90=0 97=0 98=1 99=1 100=8 101=0 102=4 103=0 104=2 105=4 106=0 107=0 108=8 109=0 110=0 111=0 112=0 113=0 114=0 116=0 117=0 118=0 119=0 120=1 121=0 122=0",
            ),
            (
                r#"return (function() local r = {} for c = 1, 255 do if pcall(struct.pack, string.char(c), 1, 1, 1) then r[#r+1] = c end end return table.concat(r, ' ') end)()"#,
                "32 33 60 62 66 72 73 76 84 98 99 100 102 104 105 108 115 120",
            ),
            (
                r#"return (function() local r = {} for c = 1, 255 do if pcall(struct.unpack, string.char(c), '\0\0\0\0\0\0\0\0\0\0\0\0') then r[#r+1] = c end end return table.concat(r, ' ') end)()"#,
                "32 33 60 62 66 72 73 76 84 98 99 100 102 104 105 108 115 120",
            ),
        ]);
    }

    #[test]
    fn size_errors() {
        check(&[
            (r#"return err(struct.size, 's')"#, "false|bad argument #1 to '?' (option 's' has no fixed size)"),
            (r#"return err(struct.size, 'c0')"#, "false|bad argument #1 to '?' (option 'c0' has no fixed size)"),
            (r#"return err(struct.size, '!bc0')"#, "false|bad argument #1 to '?' (option 'c0' has no fixed size)"),
            (r#"return err(struct.size)"#, "false|bad argument #1 to '?' (string expected, got no value)"),
            (r#"return err(struct.size, '%')"#, "false|bad argument #1 to '?' (invalid format option '%')"),
            (
                r#"return err(function() return struct.size('!3i3') end)"#,
                "false|user_script:1: alignment 3 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.size('!3bi') end)"#,
                "false|user_script:1: alignment 3 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.size('!b!3h') end)"#,
                "false|user_script:1: alignment 3 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.size('!0bh') end)"#,
                "false|user_script:1: alignment 0 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.size('!17bd') end)"#,
                "false|user_script:1: alignment 17 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.size('!b!0') end)"#,
                "false|user_script:1: alignment 0 is not a power of 2",
            ),
            (
                r#"return err(function() return struct.size('!99999999999999999999') end)"#,
                "false|user_script:1: integral size overflow",
            ),
            (
                r#"return err(function() return struct.size('i2147483647') end)"#,
                "false|user_script:1: integral size 2147483647 is larger than limit of 32",
            ),
            (
                r#"return err(function() return struct.size('i2147483648') end)"#,
                "false|user_script:1: integral size overflow",
            ),
            (
                r#"return err(function() return struct.size('i214748364') end)"#,
                "false|user_script:1: integral size 214748364 is larger than limit of 32",
            ),
            (
                r#"return err(function() return struct.size('c2147483648') end)"#,
                "false|user_script:1: integral size overflow",
            ),
        ]);
    }

    #[test]
    fn library_fields() {
        check(&[(
            r#"local t = {} for k, v in pairs(struct) do t[#t+1] = k .. '=' .. type(v) end table.sort(t) return table.concat(t, ' ')"#,
            "pack=function size=function unpack=function",
        )]);
    }

    #[test]
    fn pack_argument_fence() {
        check(&[
            (r#"return err(struct.pack, 'i')"#, "false|bad argument #2 to '?' (number expected, got nil)"),
            (r#"return err(struct.pack, 'ii', 1)"#, "false|bad argument #3 to '?' (number expected, got nil)"),
            (
                r#"return err(struct.pack, 'c9000c9000', string.rep('a', 9000))"#,
                "false|bad argument #3 to '?' (string expected, got nil)",
            ),
            (
                r#"return err(struct.pack, 'c9000b', string.rep('a', 9000))"#,
                "false|bad argument #3 to '?' (number expected, got nil)",
            ),
            (
                r#"return err(function() return struct.pack('bbb', 1) end)"#,
                "false|user_script:1: bad argument #3 to 'pack' (number expected, got nil)",
            ),
            (r#"return all(#struct.pack('c9000c9000', string.rep('a', 9000), string.rep('b', 9000)))"#, "18000"),
            (
                r#"return err(struct.unpack, string.rep('b', 8100), string.rep('a', 8100))"#,
                "false|stack overflow (too many results)",
            ),
        ]);
    }
}
