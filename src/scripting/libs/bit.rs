//! The `bit` library Redis loads into its Lua VM (LuaBitOp): 32-bit bitwise operations on Lua
//! numbers.
//!
//! Functions: `tobit`, `tohex`, `bnot`, `band`, `bor`, `bxor`, `lshift`, `rshift`, `arshift`,
//! `rol`, `ror`, `bswap`. What matches Redis 7.0:
//!
//! * Every argument goes through the same conversion to 32 bits: the double has 2^52 + 2^51 added
//!   and the low 32 bits of its representation are taken. That rounds fractions to the nearest
//!   (ties to even) and wraps large values modulo 2^32; NaN and infinities give 0. Numeric strings
//!   are accepted (Lua's own `lua_tonumber`). Results are signed 32-bit numbers.
//! * Shift and rotate counts use their low 5 bits.
//! * `tohex(x [, n])`: n digits (default 8, at most 8), upper case when n is negative; `n = 0`
//!   gives "".
//! * Argument errors are raised by Lua's own `luaL_typerror`, so a `pcall` sees exactly Redis's
//!   string, position included: `user_script:1: bad argument #1 to 'tohex' (number expected, got
//!   no value)`.
//!
//! The functions are plain Lua C functions (through `mlua::ffi`) so that their errors are Lua
//! strings, as in Redis, rather than mlua error userdata. They never hold a value with a
//! destructor when they raise an error.

use std::os::raw::c_int;

use mlua::ffi::{self, lua_State};
use mlua::{Lua, Result, Table};

/// 2^52 + 2^51: adding it to a double puts the rounded integer part in the low mantissa bits.
const NORMALIZER: f64 = 6_755_399_441_055_744.0;

/// Converts a Lua number to 32 bits the way LuaBitOp (and so `bit.tobit`) does.
pub fn to_bit(n: f64) -> i32 {
    (n + NORMALIZER).to_bits() as u32 as i32
}

/// Argument `idx` as 32 bits, raising Lua's "number expected" error when it is not a number
/// (nor a string convertible to one).
unsafe fn arg(state: *mut lua_State, idx: c_int) -> u32 {
    let bits = to_bit(ffi::lua_tonumber(state, idx)) as u32;
    if bits == 0 && ffi::lua_isnumber(state, idx) == 0 {
        ffi::luaL_typerror(state, idx, c"number".as_ptr());
    }
    bits
}

/// Pushes a result as a signed 32-bit number.
unsafe fn push(state: *mut lua_State, bits: u32) -> c_int {
    ffi::lua_pushnumber(state, bits as i32 as f64);
    1
}

unsafe extern "C-unwind" fn tobit(state: *mut lua_State) -> c_int {
    push(state, arg(state, 1))
}

unsafe extern "C-unwind" fn bnot(state: *mut lua_State) -> c_int {
    push(state, !arg(state, 1))
}

/// Folds every argument (at least one) with `op`.
unsafe fn fold(state: *mut lua_State, op: fn(u32, u32) -> u32) -> c_int {
    let mut acc = arg(state, 1);
    let top = ffi::lua_gettop(state);
    for idx in 2..=top {
        acc = op(acc, arg(state, idx));
    }
    push(state, acc)
}

unsafe extern "C-unwind" fn band(state: *mut lua_State) -> c_int {
    fold(state, |a, b| a & b)
}

unsafe extern "C-unwind" fn bor(state: *mut lua_State) -> c_int {
    fold(state, |a, b| a | b)
}

unsafe extern "C-unwind" fn bxor(state: *mut lua_State) -> c_int {
    fold(state, |a, b| a ^ b)
}

/// Applies a shift or rotation to argument 1 by argument 2's low 5 bits.
unsafe fn shift(state: *mut lua_State, op: fn(u32, u32) -> u32) -> c_int {
    let value = arg(state, 1);
    let count = arg(state, 2) & 31;
    push(state, op(value, count))
}

unsafe extern "C-unwind" fn lshift(state: *mut lua_State) -> c_int {
    shift(state, |v, n| v << n)
}

unsafe extern "C-unwind" fn rshift(state: *mut lua_State) -> c_int {
    shift(state, |v, n| v >> n)
}

unsafe extern "C-unwind" fn arshift(state: *mut lua_State) -> c_int {
    shift(state, |v, n| ((v as i32) >> n) as u32)
}

unsafe extern "C-unwind" fn rol(state: *mut lua_State) -> c_int {
    shift(state, |v, n| v.rotate_left(n))
}

unsafe extern "C-unwind" fn ror(state: *mut lua_State) -> c_int {
    shift(state, |v, n| v.rotate_right(n))
}

unsafe extern "C-unwind" fn bswap(state: *mut lua_State) -> c_int {
    push(state, arg(state, 1).swap_bytes())
}

/// The digits `tohex` gives for `value` with digit-count argument `n` (already 32 bits).
fn hex_digits(value: u32, n: i32) -> ([u8; 8], usize) {
    let upper = n < 0;
    let mut count = if upper { n.wrapping_neg() } else { n } as u32;
    // A count still negative after negation (-2^31) reads as a large unsigned one: 8 digits.
    if count > 8 {
        count = 8;
    }
    let alphabet: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    let mut out = [0u8; 8];
    let count = count as usize;
    for (i, slot) in out[..count].iter_mut().enumerate() {
        let nibble = (value >> (4 * (count - 1 - i))) & 0xf;
        *slot = alphabet[nibble as usize];
    }
    (out, count)
}

unsafe extern "C-unwind" fn tohex(state: *mut lua_State) -> c_int {
    let value = arg(state, 1);
    let n = if ffi::lua_isnone(state, 2) != 0 { 8 } else { arg(state, 2) as i32 };
    let (digits, len) = hex_digits(value, n);
    ffi::lua_pushlstring(state, digits.as_ptr().cast(), len);
    1
}

/// Builds the library's table.
pub fn open(lua: &Lua) -> Result<Table> {
    let functions: [(&str, ffi::lua_CFunction); 12] = [
        ("tobit", tobit),
        ("bnot", bnot),
        ("band", band),
        ("bor", bor),
        ("bxor", bxor),
        ("lshift", lshift),
        ("rshift", rshift),
        ("arshift", arshift),
        ("rol", rol),
        ("ror", ror),
        ("bswap", bswap),
        ("tohex", tohex),
    ];
    let table = super::c_functions(lua, &functions)?;
    Ok(table)
}

#[cfg(test)]
mod tests {

    fn check(cases: &[(&str, &str)]) {
        crate::scripting::libs::testing::check("bit", super::open, "", cases);
    }

    #[test]
    fn tobit_conversions() {
        check(&[
            (
                r#"return table.concat({bit.tobit(1), bit.tobit(2^31), bit.tobit(2^32+5), bit.tobit(-1), bit.tobit(0)}, ',')"#,
                "1,-2147483648,5,-1,0",
            ),
            (
                r#"return table.concat({bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(0.5), bit.tobit(-0.5), bit.tobit(3.5), bit.tobit(-2.5)}, ',')"#,
                "2,2,-2,0,0,4,-2",
            ),
            (
                r#"return table.concat({bit.tobit(2^53), bit.tobit(1e300), bit.tobit(-1e300), bit.tobit(2^52+1), bit.tobit(4294967295.5), bit.tobit(-2^31-0.5)}, ',')"#,
                "0,-2013235812,-2013235812,0,0,-2147483648",
            ),
            (
                r#"return table.concat({bit.tobit(1/0), bit.tobit(-1/0), bit.tobit(0/0), bit.tobit(-0.0), bit.tobit(2^51), bit.tobit(2^52)}, ',')"#,
                "0,0,0,0,0,0",
            ),
            (
                r#"return table.concat({bit.tobit('12'), bit.tobit(' 0x10 '), bit.tobit('1e3'), bit.tobit('-7')}, ',')"#,
                "12,16,1000,-7",
            ),
            (
                r#"return table.concat({bit.tobit(0xffffffff), bit.tobit(0x7fffffff), bit.tobit(0x80000000), bit.tobit(-2^32), bit.tobit(2^40+3)}, ',')"#,
                "-1,2147483647,-2147483648,0,3",
            ),
            (r#"return type(bit.tobit(5)) .. tostring(bit.tobit(5))"#, "number5"),
        ]);
    }

    #[test]
    fn tohex_digits() {
        check(&[
            (
                r#"return table.concat({bit.tohex(1), bit.tohex(-1), bit.tohex(255,2), bit.tohex(255,-2), bit.tohex(0x12345678,4), bit.tohex(-1,-8)}, ',')"#,
                "00000001,ffffffff,ff,FF,5678,FFFFFFFF",
            ),
            (
                r#"return table.concat({bit.tohex(1,9), bit.tohex(1,-9), '[' .. bit.tohex(1,0) .. ']', bit.tohex(0xabcdef,100), bit.tohex(0xabcdef,-100)}, ',')"#,
                "00000001,00000001,[],00abcdef,00ABCDEF",
            ),
            (
                r#"return table.concat({bit.tohex(1,2.7), bit.tohex(1,-2.7), bit.tohex(1,'3'), bit.tohex(1,2^32+3), bit.tohex(0xabc,-2^31), bit.tohex(0xabc,2^31)}, ',')"#,
                "001,001,001,001,00000ABC,00000ABC",
            ),
            (
                r#"return table.concat({bit.tohex(0xabc,-2^31+1), bit.tohex(0xabc,2^31-1), bit.tohex(0xabc,-1), '[' .. bit.tohex(0xabc,-0.4) .. ']', bit.tohex(0xabc,-0.6), bit.tohex(0xabc,2^32-1)}, ',')"#,
                "00000ABC,00000abc,C,[],C,C",
            ),
            (
                r#"return table.concat({bit.tohex(0/0), bit.tohex(1/0), bit.tohex(2^31), bit.tohex(-2^31, -8), bit.tohex(0xdeadbeef), bit.tohex('0xff')}, ',')"#,
                "00000000,00000000,80000000,80000000,deadbeef,000000ff",
            ),
        ]);
    }

    #[test]
    fn bitwise_ops() {
        check(&[
            (
                r#"return table.concat({bit.bnot(0), bit.bnot(5), bit.bnot(-1), bit.bnot(2^31), bit.bnot(1.5)}, ',')"#,
                "-1,-6,0,2147483647,-3",
            ),
            (
                r#"return table.concat({bit.band(0xff,0x0f,0x3), bit.bor(1,2,4,8), bit.bxor(1,3,7), bit.band(5), bit.bor(-7), bit.bxor(-1)}, ',')"#,
                "3,15,5,5,-7,-1",
            ),
            (
                r#"return table.concat({bit.band(0xffffffff, -1), bit.bor(0x80000000, 1), bit.bxor(0xf0f0f0f0, 0xffffffff), bit.band('7', 3), bit.bor(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20)}, ',')"#,
                "-1,-2147483647,252645135,3,31",
            ),
        ]);
    }

    #[test]
    fn shifts_and_rotations() {
        check(&[
            (
                r#"return table.concat({bit.lshift(1,31), bit.lshift(1,32), bit.lshift(1,33), bit.lshift(1,-1), bit.lshift(1.5,2.5), bit.lshift(0xff, 28)}, ',')"#,
                "-2147483648,1,2,-2147483648,8,-268435456",
            ),
            (
                r#"return table.concat({bit.rshift(-1,28), bit.rshift(-1,0), bit.rshift(-1,32), bit.rshift(0x80000000,31), bit.rshift(256,-28)}, ',')"#,
                "15,-1,-1,1,16",
            ),
            (
                r#"return table.concat({bit.arshift(-256,4), bit.arshift(2^31,31), bit.arshift(256,4), bit.arshift(-1,31), bit.arshift(0x7fffffff, 30)}, ',')"#,
                "-16,-1,16,-1,1",
            ),
            (
                r#"return table.concat({bit.rol(0x12345678,8), bit.ror(0x12345678,8), bit.rol(1,-1), bit.ror(1,33), bit.rol(0x80000000,1), bit.ror(1,1)}, ',')"#,
                "878082066,2014458966,-2147483648,-2147483648,1,-2147483648",
            ),
            (
                r#"return table.concat({bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(0x80), bit.bswap(0), bit.bswap(bit.bswap(0x01020304))}, ',')"#,
                "2018915346,-1,-2147483648,0,16909060",
            ),
        ]);
    }

    #[test]
    fn argument_errors() {
        check(&[
            (
                r#"local ok, e = pcall(function() return bit.tohex() end) return e"#,
                "user_script:1: bad argument #1 to 'tohex' (number expected, got no value)",
            ),
            (r#"return select(2, pcall(bit.tohex))"#, "bad argument #1 to '?' (number expected, got no value)"),
            (r#"return select(2, pcall(bit.tohex, nil))"#, "bad argument #1 to '?' (number expected, got nil)"),
            (
                r#"return select(2, pcall(function() return bit.tohex('x') end))"#,
                "user_script:1: bad argument #1 to 'tohex' (number expected, got string)",
            ),
            (
                r#"return select(2, pcall(function() return bit.tohex({}) end))"#,
                "user_script:1: bad argument #1 to 'tohex' (number expected, got table)",
            ),
            (
                r#"return select(2, pcall(function() return bit.tohex(1, 'z') end))"#,
                "user_script:1: bad argument #2 to 'tohex' (number expected, got string)",
            ),
            (
                r#"return select(2, pcall(function() return bit.tohex(1, nil) end))"#,
                "user_script:1: bad argument #2 to 'tohex' (number expected, got nil)",
            ),
            (
                r#"return select(2, pcall(function() return bit.band() end))"#,
                "user_script:1: bad argument #1 to 'band' (number expected, got no value)",
            ),
            (
                r#"return select(2, pcall(function() return bit.band(1, 'a') end))"#,
                "user_script:1: bad argument #2 to 'band' (number expected, got string)",
            ),
            (
                r#"return select(2, pcall(function() return bit.bor(1, 2, {}) end))"#,
                "user_script:1: bad argument #3 to 'bor' (number expected, got table)",
            ),
            (
                r#"return select(2, pcall(function() return bit.bxor(1, 2, 3, false) end))"#,
                "user_script:1: bad argument #4 to 'bxor' (number expected, got boolean)",
            ),
            (
                r#"return select(2, pcall(function() return bit.lshift(1) end))"#,
                "user_script:1: bad argument #2 to 'lshift' (number expected, got no value)",
            ),
            (
                r#"return select(2, pcall(function() return bit.rshift(nil, 1) end))"#,
                "user_script:1: bad argument #1 to 'rshift' (number expected, got nil)",
            ),
            (
                r#"return select(2, pcall(function() return bit.arshift(1, '') end))"#,
                "user_script:1: bad argument #2 to 'arshift' (number expected, got string)",
            ),
            (
                r#"return select(2, pcall(function() return bit.rol() end))"#,
                "user_script:1: bad argument #1 to 'rol' (number expected, got no value)",
            ),
            (
                r#"return select(2, pcall(function() return bit.ror(1, function() end) end))"#,
                "user_script:1: bad argument #2 to 'ror' (number expected, got function)",
            ),
            (
                r#"return select(2, pcall(function() return bit.tobit(true) end))"#,
                "user_script:1: bad argument #1 to 'tobit' (number expected, got boolean)",
            ),
            (
                r#"return select(2, pcall(function() return bit.bnot('0x') end))"#,
                "user_script:1: bad argument #1 to 'bnot' (number expected, got string)",
            ),
            (
                r#"return select(2, pcall(function() local f = bit.tohex return f() end))"#,
                "user_script:1: bad argument #1 to 'f' (number expected, got no value)",
            ),
            (
                r#"return select(2, pcall(function() return bit.bswap() end))"#,
                "user_script:1: bad argument #1 to 'bswap' (number expected, got no value)",
            ),
            (r#"return tostring(pcall(bit.band, '0')) .. tostring(pcall(bit.tohex, ''))"#, "truefalse"),
            (
                r#"return select(2, pcall(function()
 return bit.tohex(1, {}) end))"#,
                "user_script:2: bad argument #2 to 'tohex' (number expected, got table)",
            ),
        ]);
    }
}
