//! Redis's low-level text conventions, reproduced byte for byte: how a configuration line splits
//! into arguments (`sdssplitargs`, shared with the inline protocol parser), how a string is quoted back (`sdscatrepr`), and the number
//! parsers whose leniencies and strictnesses show through in CONFIG SET replies (`memtoull`,
//! `string2ll`, `strtoll`).

/// C's `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Splits one line into arguments the way Redis's `sdssplitargs` does.
///
/// Arguments are separated by blanks. `"double quotes"` understand `\n \r \t \b \a`, `\xHH` and
/// `\<any>`; `'single quotes'` understand only `\'`. A closing quote must be followed by a blank
/// or the end of the line, and a quote may open in the middle of a token (`a"b c"` is `ab c`).
/// Returns `None` for unbalanced quotes (Redis: "Unbalanced quotes in configuration line").
/// A NUL byte ends the line, as it ends a C string.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let mut args = crate::protocol::Args { inline: true, ..Default::default() };
    if !crate::protocol::split_args(&line[..end], &mut args) {
        return None;
    }
    Some(args.to_vecs(&[]))
}

/// Quotes `bytes` the way Redis's `sdscatrepr` does: inside double quotes, with `\\ \" \n \r
/// \t \a \b` escaped, other printable ASCII as is and everything else as `\xHH`.
pub fn repr(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Redis 7.0's `memtoull`: leading ASCII digits, then an optional unit among `b`, `k` (1000),
/// `kb` (1024), `m`, `mb`, `g`, `gb` in any case. No sign, no blanks, no fractions. An empty
/// number counts as 0 ("", "kb"), digits past `u64::MAX` saturate as `strtoull` does, and the
/// multiplication wraps without an overflow check, exactly as 7.0.15 behaves
/// (`17179869184gb` is 0).
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = s[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first and refuses longer numbers.
    if digits >= 128 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in &s[..digits] {
        value = value.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some(value.wrapping_mul(mul))
}

/// Formats a byte count as Redis's CONFIG REWRITE does: in `gb`, `mb` or `kb` when it divides
/// exactly, in plain bytes otherwise.
pub fn format_memory(bytes: i128) -> String {
    const KB: i128 = 1024;
    const MB: i128 = 1024 * 1024;
    const GB: i128 = 1024 * 1024 * 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

pub use crate::protocol::string2ll;

/// C's `strtoll(s, &end, base)` followed by Redis's usual `*end == '\0'` check: leading blanks
/// and a sign are allowed, the whole string must be consumed, and an empty string is 0 (no
/// digits leaves `end` at the start, which is then the terminating NUL).
///
/// Returns the value (saturated on overflow, as `strtoll` does) and whether it overflowed
/// (`errno == ERANGE`).
pub fn strtoll_whole(s: &[u8], base: u32) -> Option<(i64, bool)> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut magnitude: u128 = 0;
    while i < s.len() {
        let digit = match (s[i] as char).to_digit(base) {
            Some(d) => d,
            None => break,
        };
        magnitude = (magnitude * u128::from(base) + u128::from(digit)).min(u128::from(u64::MAX) + 1);
        i += 1;
    }
    if i == start {
        // No conversion: `end` is the start of the string.
        return if s.is_empty() { Some((0, false)) } else { None };
    }
    if i != s.len() {
        return None;
    }
    let limit = if negative { i64::MAX as u128 + 1 } else { i64::MAX as u128 };
    if magnitude > limit {
        return Some((if negative { i64::MIN } else { i64::MAX }, true));
    }
    let value = if negative { (magnitude as i128).wrapping_neg() as i64 } else { magnitude as i64 };
    Some((value, false))
}

/// Redis's `string2d` as used for percentiles: what `strtod` accepts, minus leading blanks,
/// empty strings and NaN.
pub fn string2d(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.as_bytes()[0].is_ascii_whitespace() {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if value.is_nan() {
        return None;
    }
    Some(value)
}

/// `%f` followed by Redis's `trimDoubleString`: six decimals, then trailing zeros and a
/// trailing dot removed.
pub fn format_double(value: f64) -> String {
    let mut text = format!("{value:.6}");
    if text.contains('.') {
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    text
}

/// Trims the bytes in `set` from both ends, like `sdstrim`.
pub fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !set.contains(b)).map_or(start, |p| p + 1);
    &s[start..end]
}

/// Splits on single spaces like `sdssplitlen(value, " ")`: empty input gives no element, and
/// two spaces in a row give an empty element.
pub fn split_spaces(value: &[u8]) -> Vec<Vec<u8>> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|&b| b == b' ').map(<[u8]>::to_vec).collect()
}
