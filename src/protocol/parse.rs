//! Request parsing: one command at a time from the front of a byte buffer.
//!
//! Two request formats exist, chosen by the first byte exactly as Redis does:
//!
//! * **multibulk** (`*` first): `*<count>\r\n` followed by `count` arguments,
//!   each `$<len>\r\n<len bytes>\r\n`. Header lines end at the first `\r`
//!   (the byte after it is skipped without being looked at, as in Redis), and
//!   the two bytes after a payload are skipped the same way.
//! * **inline** (anything else): one line up to `\n` (a `\r` just before it is
//!   dropped), split into words like Redis's `sdssplitargs`, with double
//!   quotes (C-like escapes and `\xHH`) and single quotes (only `\'`).
//!
//! A NUL byte stops Redis's line searches (`strchr`), so a header or inline
//! line containing NUL before its terminator is treated as "no line yet"
//! (incomplete, or the "too big" error once the buffer passes the inline
//! limit), again matching Redis.

use memchr::memchr2;
use std::fmt;

/// Largest multibulk count accepted from a client that still has to
/// authenticate (Redis: `ll > 10 && authRequired(c)`).
pub const UNAUTH_MAX_MULTIBULK_LEN: i64 = 10;
/// Largest bulk length accepted from a client that still has to authenticate.
pub const UNAUTH_MAX_BULK_LEN: i64 = 16384;

/// Per-connection parse limits (Redis's defaults in `Default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `proto-max-bulk-len`: largest accepted `$<len>`. Default 512 MiB.
    pub max_bulk_len: usize,
    /// Largest accepted `*<count>`. Redis 7.0 only rejects counts above
    /// `INT_MAX`, so that is the default.
    pub max_multibulk_len: usize,
    /// `PROTO_INLINE_MAX_SIZE`: how many bytes may be buffered while waiting
    /// for the end of an inline request or of a multibulk header line.
    /// Default 64 KiB.
    pub max_inline_len: usize,
    /// `false` applies Redis's tighter limits for clients that must still
    /// authenticate: at most [`UNAUTH_MAX_MULTIBULK_LEN`] arguments and
    /// [`UNAUTH_MAX_BULK_LEN`] bytes per argument.
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
            authenticated: true,
        }
    }
}

/// Why [`parse_command`] did not return a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// More bytes are needed; nothing was consumed.
    Incomplete,
    /// The client broke the protocol. Holds the full error text without the
    /// leading `-` and without CRLF, e.g.
    /// `"ERR Protocol error: invalid multibulk length"`. Redis replies with it
    /// and then closes the connection.
    Protocol(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Incomplete => f.write_str("incomplete request"),
            ParseError::Protocol(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ParseError {}

/// Arguments of one parsed command.
///
/// Multibulk arguments are `(start, end)` ranges into the buffer given to
/// [`parse_command`]; inline arguments (which may have been unescaped from
/// quotes) are copied into `scratch` and the ranges index that instead.
/// Use [`Args::get`] rather than the fields to read them.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub ranges: Vec<(u32, u32)>,
    pub scratch: Vec<u8>,
    pub inline: bool,
}

impl Args {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of arguments, command name included.
    #[inline]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`. `buf` must be the same buffer (starting at the same
    /// byte) that was passed to [`parse_command`]. Panics if `i >= len()`.
    #[inline]
    pub fn get<'a>(&'a self, buf: &'a [u8], i: usize) -> &'a [u8] {
        let (start, end) = self.ranges[i];
        let src = if self.inline { &self.scratch[..] } else { buf };
        &src[start as usize..end as usize]
    }

    /// All arguments in order; `buf` as for [`Args::get`].
    pub fn iter<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        (0..self.len()).map(move |i| self.get(buf, i))
    }

    /// Copies the arguments out (allocates; for tests and cold paths).
    pub fn to_vecs(&self, buf: &[u8]) -> Vec<Vec<u8>> {
        self.iter(buf).map(|a| a.to_vec()).collect()
    }

    /// Forgets all arguments, keeping the allocated capacity.
    #[inline]
    pub fn clear(&mut self) {
        self.ranges.clear();
        self.scratch.clear();
        self.inline = false;
    }
}

/// Parses one command at the start of `buf`.
///
/// On success returns the number of bytes consumed (always at least 1) and
/// fills `args` (cleared first). A command with zero arguments (an empty or
/// blank inline line, `*0\r\n`, `*-1\r\n`) returns `Ok(consumed)` with `args`
/// empty: the caller just skips it. [`ParseError::Incomplete`] means more
/// bytes are needed and nothing was consumed. Never panics on any input.
/// After an error `args` is empty.
///
/// A single command may not span more than 4 GiB of `buf` (ranges are `u32`);
/// longer ones are rejected as protocol errors.
#[inline]
pub fn parse_command(buf: &[u8], limits: &Limits, args: &mut Args) -> Result<usize, ParseError> {
    args.clear();
    let res = match buf.first() {
        None => return Err(ParseError::Incomplete),
        Some(b'*') => parse_multibulk(buf, limits, args),
        Some(_) => parse_inline(buf, limits, args),
    };
    if res.is_err() {
        args.clear();
    }
    res
}

#[cold]
#[inline(never)]
fn protocol_error(msg: &str) -> ParseError {
    let mut s = String::with_capacity(4 + msg.len());
    s.push_str("ERR ");
    s.push_str(msg);
    ParseError::Protocol(s)
}

/// Result of reading one `*<n>` / `$<n>` header line.
enum Line {
    /// Complete line holding a valid integer; the next line starts at `.1`.
    Value(i64, usize),
    /// Complete line whose content is not a valid integer.
    Invalid,
    /// No `\r` yet (or a NUL came first, which stops Redis's `strchr`).
    NoCr,
    /// The `\r` is the last byte: the byte after it has not arrived yet.
    Partial,
}

/// Position of the first `a` or `b` in `hay`. Lines are usually short, so a
/// plain loop over the first bytes beats the set-up cost of a SIMD search.
#[inline]
fn find2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    const HEAD: usize = 32;
    let head = hay.len().min(HEAD);
    if let Some(i) = hay[..head].iter().position(|&c| c == a || c == b) {
        return Some(i);
    }
    if hay.len() > HEAD {
        memchr2(a, b, &hay[HEAD..]).map(|i| i + HEAD)
    } else {
        None
    }
}

/// First `\r` at or after `from`, unless a NUL comes first.
#[inline]
fn find_cr(buf: &[u8], from: usize) -> Option<usize> {
    let off = find2(b'\r', 0, &buf[from..])?;
    if buf[from + off] == b'\r' {
        Some(from + off)
    } else {
        None
    }
}

/// Reads the integer of a header line whose digits start at `start` (just
/// after the `*` or `$`). Fast path for plain positive numbers; everything
/// else goes through Redis's `string2ll` rules.
#[inline(always)]
fn read_int_line(buf: &[u8], start: usize) -> Line {
    let len = buf.len();
    if start < len {
        let first = buf[start].wrapping_sub(b'1');
        if first < 9 {
            let mut v = first as i64 + 1;
            let mut i = start + 1;
            // At most 18 digits: always fits an i64 and stays well under
            // string2ll's length cap.
            let limit = len.min(start + 18);
            while i < limit {
                let d = buf[i].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                v = v * 10 + d as i64;
                i += 1;
            }
            if i < len && buf[i] == b'\r' {
                return if i + 1 < len { Line::Value(v, i + 2) } else { Line::Partial };
            }
        }
    }
    read_int_line_slow(buf, start)
}

#[inline(never)]
fn read_int_line_slow(buf: &[u8], start: usize) -> Line {
    match find_cr(buf, start) {
        None => Line::NoCr,
        Some(cr) if cr + 1 >= buf.len() => Line::Partial,
        Some(cr) => match string2ll(&buf[start..cr]) {
            Some(v) => Line::Value(v, cr + 2),
            None => Line::Invalid,
        },
    }
}

/// Redis's `string2ll`: strict decimal `i64`. No sign other than a leading
/// `-`, no leading zeros (except `"0"` itself), no `-0`, no spaces, nothing
/// empty, and at most 20 bytes. Useful wherever Redis parses integers.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    // LONG_STR_SIZE is 21: lengths of 21 and more are rejected outright.
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as u64)?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

fn parse_multibulk(buf: &[u8], limits: &Limits, args: &mut Args) -> Result<usize, ParseError> {
    let (count, mut pos) = match read_int_line(buf, 1) {
        Line::Value(v, next) => (v, next),
        Line::Invalid => return Err(protocol_error("Protocol error: invalid multibulk length")),
        Line::NoCr => {
            return Err(if buf.len() > limits.max_inline_len {
                protocol_error("Protocol error: too big mbulk count string")
            } else {
                ParseError::Incomplete
            })
        }
        Line::Partial => return Err(ParseError::Incomplete),
    };
    if count > 0 && count as u64 > limits.max_multibulk_len as u64 {
        return Err(protocol_error("Protocol error: invalid multibulk length"));
    }
    if count > UNAUTH_MAX_MULTIBULK_LEN && !limits.authenticated {
        return Err(protocol_error("Protocol error: unauthenticated multibulk length"));
    }
    if count <= 0 {
        return Ok(pos);
    }
    // Never trust the declared count for allocation.
    args.ranges.reserve((count as usize).min(1024));

    let len = buf.len();
    // One comparison per argument covers both the configured limit and the
    // unauthenticated one; which error applies is sorted out when it fails.
    let mut max_bulk = limits.max_bulk_len as u64;
    if !limits.authenticated {
        max_bulk = max_bulk.min(UNAUTH_MAX_BULK_LEN as u64);
    }
    for _ in 0..count {
        // `pos` is the start of a `$<len>` line.
        if pos >= len {
            return Err(ParseError::Incomplete);
        }
        let line = if buf[pos] == b'$' {
            read_int_line(buf, pos + 1)
        } else {
            // Redis only looks at the first byte once the line is complete.
            return Err(match find_cr(buf, pos) {
                None if len - pos > limits.max_inline_len => {
                    protocol_error("Protocol error: too big bulk count string")
                }
                Some(cr) if cr + 1 < len => expected_dollar(buf[pos]),
                _ => ParseError::Incomplete,
            });
        };
        let (bulk_len, start) = match line {
            Line::Value(v, next) => (v, next),
            Line::Invalid => return Err(protocol_error("Protocol error: invalid bulk length")),
            Line::NoCr => {
                return Err(if len - pos > limits.max_inline_len {
                    protocol_error("Protocol error: too big bulk count string")
                } else {
                    ParseError::Incomplete
                })
            }
            Line::Partial => return Err(ParseError::Incomplete),
        };
        // A negative length becomes huge as u64 and fails here too.
        if bulk_len as u64 > max_bulk {
            return Err(bulk_length_error(bulk_len, limits));
        }
        // Payload plus the two bytes after it, which Redis skips unchecked.
        if ((len - start) as u64) < bulk_len as u64 + 2 {
            return Err(ParseError::Incomplete);
        }
        let end = start + bulk_len as usize;
        if end > u32::MAX as usize {
            return Err(protocol_error("Protocol error: invalid bulk length"));
        }
        args.ranges.push((start as u32, end as u32));
        pos = end + 2;
    }
    Ok(pos)
}

#[cold]
#[inline(never)]
fn bulk_length_error(bulk_len: i64, limits: &Limits) -> ParseError {
    if bulk_len < 0 || bulk_len as u64 > limits.max_bulk_len as u64 {
        protocol_error("Protocol error: invalid bulk length")
    } else {
        protocol_error("Protocol error: unauthenticated bulk length")
    }
}

#[cold]
#[inline(never)]
fn expected_dollar(byte: u8) -> ParseError {
    // Redis formats the byte with %c and then replaces CR/LF in error
    // replies with spaces. Bytes >= 0x80 cannot go into a String as they are,
    // so they are taken as Latin-1.
    let shown = match byte {
        b'\r' | b'\n' => ' ',
        b => char::from(b),
    };
    protocol_error(&format!("Protocol error: expected '$', got '{shown}'"))
}

#[inline(never)]
fn parse_inline(buf: &[u8], limits: &Limits, args: &mut Args) -> Result<usize, ParseError> {
    let newline = match find2(b'\n', 0, buf) {
        Some(i) if buf[i] == b'\n' => i,
        _ => {
            return Err(if buf.len() > limits.max_inline_len {
                protocol_error("Protocol error: too big inline request")
            } else {
                ParseError::Incomplete
            })
        }
    };
    let mut end = newline;
    if end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    if end > u32::MAX as usize {
        return Err(protocol_error("Protocol error: too big inline request"));
    }
    args.inline = true;
    if !split_args(&buf[..end], args) {
        return Err(protocol_error("Protocol error: unbalanced quotes in request"));
    }
    Ok(newline + 1)
}

/// C `isspace` in the "C" locale.
#[inline]
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Redis's `sdssplitargs` over one line (which holds no NUL: the inline line
/// search stops at NUL). Words go into `args.scratch`; returns false on
/// unbalanced quotes or a closing quote followed by something other than
/// whitespace.
pub fn split_args(line: &[u8], args: &mut Args) -> bool {
    let n = line.len();
    // Byte at `i`, or 0 past the end: the C code reads the NUL terminator.
    let at = |i: usize| -> u8 {
        if i < n {
            line[i]
        } else {
            0
        }
    };
    let out = &mut args.scratch;
    let mut p = 0;
    loop {
        while p < n && is_c_space(line[p]) {
            p += 1;
        }
        if p >= n {
            return true;
        }
        let start = out.len();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                let c = at(p);
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(hi), Some(lo)) = (hex_val(at(p + 2)), hex_val(at(p + 3))) {
                        out.push(hi * 16 + lo);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    out.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    let next = at(p + 1);
                    if next != 0 && !is_c_space(next) {
                        return false;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return false;
                } else {
                    out.push(c);
                }
                p += 1;
            } else if in_sq {
                let c = at(p);
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    out.push(b'\'');
                } else if c == b'\'' {
                    let next = at(p + 1);
                    if next != 0 && !is_c_space(next) {
                        return false;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return false;
                } else {
                    out.push(c);
                }
                p += 1;
            } else {
                // Unquoted: copy the run of ordinary bytes in one go. Only
                // space, tab, CR, LF (and the end) finish a word here; \v and
                // \f do not, although they are skipped between words.
                let run_start = p;
                while p < n && !matches!(line[p], b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\'') {
                    p += 1;
                }
                out.extend_from_slice(&line[run_start..p]);
                match at(p) {
                    b'"' => {
                        in_dq = true;
                        p += 1;
                    }
                    b'\'' => {
                        in_sq = true;
                        p += 1;
                    }
                    0 => break,
                    _ => {
                        // Word separator: consumed with the word.
                        p += 1;
                        break;
                    }
                }
            }
        }
        args.ranges.push((start as u32, out.len() as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> Result<(usize, Vec<Vec<u8>>), ParseError> {
        parse_with(buf, &Limits::default())
    }

    fn parse_with(buf: &[u8], limits: &Limits) -> Result<(usize, Vec<Vec<u8>>), ParseError> {
        let mut args = Args::default();
        let n = parse_command(buf, limits, &mut args)?;
        Ok((n, args.to_vecs(buf)))
    }

    fn err(text: &str) -> Result<(usize, Vec<Vec<u8>>), ParseError> {
        Err(ParseError::Protocol(text.to_string()))
    }

    fn ok(n: usize, args: &[&[u8]]) -> Result<(usize, Vec<Vec<u8>>), ParseError> {
        Ok((n, args.iter().map(|a| a.to_vec()).collect()))
    }

    const INCOMPLETE: Result<(usize, Vec<Vec<u8>>), ParseError> = Err(ParseError::Incomplete);

    fn unauth() -> Limits {
        Limits { authenticated: false, ..Limits::default() }
    }

    #[test]
    fn multibulk_basic() {
        assert_eq!(parse(b"*1\r\n$4\r\nPING\r\n"), ok(14, &[b"PING"]));
        assert_eq!(parse(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nrest"), ok(26, &[b"SET", b"k", b""]));
        // Binary payloads are skipped by length, never scanned.
        assert_eq!(parse(b"*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\0*$\n\r\n"), ok(26, &[b"ECHO", b"\r\n\0*$\n"]));
        assert_eq!(parse(b""), INCOMPLETE);
        assert_eq!(parse(b"*"), INCOMPLETE);
        assert_eq!(parse(b"*1"), INCOMPLETE);
        assert_eq!(parse(b"*1\r"), INCOMPLETE);
        assert_eq!(parse(b"*1\r\n"), INCOMPLETE);
        assert_eq!(parse(b"*1\r\n$4\r\nPING"), INCOMPLETE);
        assert_eq!(parse(b"*1\r\n$4\r\nPING\r"), INCOMPLETE);
    }

    #[test]
    fn multibulk_zero_and_negative_counts_are_skipped() {
        assert_eq!(parse(b"*0\r\n"), ok(4, &[]));
        assert_eq!(parse(b"*-1\r\n*1\r\n"), ok(5, &[]));
        assert_eq!(parse(b"*-5\r\n"), ok(5, &[]));
        assert_eq!(parse(b"*-9223372036854775808\r\n"), ok(23, &[]));
    }

    #[test]
    fn multibulk_redis_quirks() {
        // Only the '\r' is searched for; the byte after it is skipped blindly.
        assert_eq!(parse(b"*1\rX$4\r\nPING\r\n"), ok(14, &[b"PING"]));
        assert_eq!(parse(b"*1\r\n$4\rxPING\r\n"), ok(14, &[b"PING"]));
        // The two bytes after a payload are not checked either.
        assert_eq!(parse(b"*1\r\n$4\r\nPINGxx*1"), ok(14, &[b"PING"]));
        // A lone '\n' does not end a header line.
        assert_eq!(parse(b"*1\n$4\r\nPING\r\n"), err("ERR Protocol error: invalid multibulk length"));
        // A NUL stops the line search: Redis keeps waiting.
        assert_eq!(parse(b"*1\0\r\n$4\r\nPING\r\n"), INCOMPLETE);
        assert_eq!(parse(b"*1\r\n$4\0\r\nPING\r\n"), INCOMPLETE);
        assert_eq!(parse(b"*1\r\n\0\r\n"), INCOMPLETE);
        // The first byte of an argument line is judged once the line is whole.
        assert_eq!(parse(b"*1\r\nX"), INCOMPLETE);
        assert_eq!(parse(b"*1\r\nX\r"), INCOMPLETE);
    }

    #[test]
    fn multibulk_count_errors() {
        let invalid = "ERR Protocol error: invalid multibulk length";
        for bad in [
            &b"*\r\n"[..],
            b"*+1\r\n",
            b"*01\r\n",
            b"*-0\r\n",
            b"*1 \r\n",
            b"* 1\r\n",
            b"*x\r\n",
            b"*-\r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999\r\n",
            b"*999999999999999999999\r\n",
        ] {
            assert_eq!(parse(bad), err(invalid), "{:?}", String::from_utf8_lossy(bad));
        }
        // INT_MAX itself is accepted by default (Redis 7.0 has no 1M cap).
        assert_eq!(parse(b"*2147483647\r\n"), INCOMPLETE);
        let small = Limits { max_multibulk_len: 3, ..Limits::default() };
        assert_eq!(parse_with(b"*4\r\n", &small), err(invalid));
        assert_eq!(parse_with(b"*3\r\n", &small), INCOMPLETE);
    }

    #[test]
    fn too_big_count_strings() {
        let mut buf = b"*".to_vec();
        buf.resize(64 * 1024, b'1');
        assert_eq!(parse(&buf), INCOMPLETE);
        buf.push(b'1'); // 65537 bytes without '\r'
        assert_eq!(parse(&buf), err("ERR Protocol error: too big mbulk count string"));
        // A '\r' as the very last byte is "partial", not "no line".
        buf.push(b'\r');
        assert_eq!(parse(&buf), INCOMPLETE);

        let mut buf = b"*1\r\n$".to_vec();
        buf.resize(4 + 64 * 1024, b'1');
        assert_eq!(parse(&buf), INCOMPLETE);
        buf.push(b'1');
        assert_eq!(parse(&buf), err("ERR Protocol error: too big bulk count string"));
        let mut buf = b"*1\r\n".to_vec();
        buf.resize(5 + 64 * 1024, b'X');
        assert_eq!(parse(&buf), err("ERR Protocol error: too big bulk count string"));
    }

    #[test]
    fn expected_dollar_errors() {
        assert_eq!(parse(b"*1\r\nX\r\n"), err("ERR Protocol error: expected '$', got 'X'"));
        assert_eq!(parse(b"*2\r\n$1\r\na\r\n:1\r\n"), err("ERR Protocol error: expected '$', got ':'"));
        // CR and LF are shown as spaces, as Redis sanitizes error replies.
        assert_eq!(parse(b"*1\r\n\r\n"), err("ERR Protocol error: expected '$', got ' '"));
        assert_eq!(parse(b"*1\r\n\n\r\n"), err("ERR Protocol error: expected '$', got ' '"));
        assert_eq!(parse(b"*1\r\n\xff\r\n"), err("ERR Protocol error: expected '$', got '\u{ff}'"));
    }

    #[test]
    fn bulk_length_errors() {
        let invalid = "ERR Protocol error: invalid bulk length";
        for bad in [
            &b"*1\r\n$\r\n"[..],
            b"*1\r\n$-1\r\n",
            b"*1\r\n$-0\r\n",
            b"*1\r\n$+4\r\n",
            b"*1\r\n$04\r\n",
            b"*1\r\n$4 \r\n",
            b"*1\r\n$x\r\n",
            b"*1\r\n$536870913\r\n",
            b"*1\r\n$9223372036854775808\r\n",
        ] {
            assert_eq!(parse(bad), err(invalid), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"*1\r\n$536870912\r\n"), INCOMPLETE);
        let small = Limits { max_bulk_len: 3, ..Limits::default() };
        assert_eq!(parse_with(b"*1\r\n$4\r\nPING\r\n", &small), err(invalid));
        assert_eq!(parse_with(b"*1\r\n$3\r\nGET\r\n", &small), ok(13, &[b"GET"]));
    }

    #[test]
    fn unauthenticated_limits() {
        let l = unauth();
        assert_eq!(parse_with(b"*10\r\n", &l), INCOMPLETE);
        assert_eq!(parse_with(b"*11\r\n", &l), err("ERR Protocol error: unauthenticated multibulk length"));
        assert_eq!(parse_with(b"*-11\r\n", &l), ok(6, &[]));
        // The general check comes first.
        assert_eq!(parse_with(b"*2147483648\r\n", &l), err("ERR Protocol error: invalid multibulk length"));
        assert_eq!(parse_with(b"*1\r\n$16384\r\n", &l), INCOMPLETE);
        assert_eq!(parse_with(b"*1\r\n$16385\r\n", &l), err("ERR Protocol error: unauthenticated bulk length"));
        assert_eq!(parse_with(b"*1\r\n$536870913\r\n", &l), err("ERR Protocol error: invalid bulk length"));
        // Inline requests have no extra limit.
        assert_eq!(parse_with(b"a b c d e f g h i j k l\r\n", &l).map(|r| r.1.len()), Ok(12));
    }

    #[test]
    fn string2ll_semantics() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"5"), Some(5));
        assert_eq!(string2ll(b"-5"), Some(-5));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+5",
            b"05",
            b"-0",
            b"00",
            b" 5",
            b"5 ",
            b"5x",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"000000000000000000001",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn inline_basic() {
        assert_eq!(parse(b"PING\r\n"), ok(6, &[b"PING"]));
        assert_eq!(parse(b"PING\n"), ok(5, &[b"PING"]));
        assert_eq!(parse(b"  SET   k\tv  \r\nGET"), ok(15, &[b"SET", b"k", b"v"]));
        assert_eq!(parse(b"\r\n"), ok(2, &[]));
        assert_eq!(parse(b"\n"), ok(1, &[]));
        assert_eq!(parse(b"   \r\n"), ok(5, &[]));
        assert_eq!(parse(b"PING"), INCOMPLETE);
        assert_eq!(parse(b"PING\r"), INCOMPLETE);
        // A CR inside the line separates words; only one before LF is dropped.
        assert_eq!(parse(b"ECHO a\rb\r\n"), ok(10, &[b"ECHO", b"a", b"b"]));
        assert_eq!(parse(b"ECHO a\r\r\n"), ok(9, &[b"ECHO", b"a"]));
        assert_eq!(parse(b"\rPING\r\n"), ok(7, &[b"PING"]));
        // \v and \f are skipped between words but do not end a word.
        assert_eq!(parse(b"ECHO a\x0bb\r\n"), ok(10, &[b"ECHO", b"a\x0bb"]));
        assert_eq!(parse(b"\x0bECHO\x0c a\r\n"), ok(10, &[b"ECHO\x0c", b"a"]));
        // Bytes >= 0x80 are not whitespace.
        assert_eq!(parse(b"ECHO \xa0\x85b\r\n"), ok(10, &[b"ECHO", b"\xa0\x85b"]));
        // A NUL stops the line search: Redis keeps waiting.
        assert_eq!(parse(b"P\0ING\r\n"), INCOMPLETE);
        assert_eq!(parse(b"PING\0\r\n"), INCOMPLETE);
    }

    #[test]
    fn inline_quotes() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"ECHO \"a\\x41\\x4g\\n\\q\"\r\n", &[b"ECHO", b"aAx4g\nq"]),
            (b"ECHO \"\\xFf\\x0A\"\r\n", &[b"ECHO", b"\xff\n"]),
            (b"ECHO \"\\x4\"\r\n", &[b"ECHO", b"x4"]),
            (b"ECHO \"a\\bb\\a\\t\\r\"\r\n", &[b"ECHO", b"a\x08b\x07\t\r"]),
            (b"ECHO \"\\\"\" \r\n", &[b"ECHO", b"\""]),
            (b"ECHO \"\\\\\"\r\n", &[b"ECHO", b"\\"]),
            (b"ECHO 'a\\'b'\r\n", &[b"ECHO", b"a'b"]),
            (b"ECHO 'a\\nb'\r\n", &[b"ECHO", b"a\\nb"]),
            (b"ECHO 'a\"b' \"a'b\"\r\n", &[b"ECHO", b"a\"b", b"a'b"]),
            (b"ECHO \"\" ''\r\n", &[b"ECHO", b"", b""]),
            (b"ECHO \"a\"\x0b\r\n", &[b"ECHO", b"a"]),
            (b"ECHO \"a\"\x0cb\r\n", &[b"ECHO", b"a", b"b"]),
            (b"ECHO \"a\"\r\r\n", &[b"ECHO", b"a"]),
            (b"ECHO \"a b\"\tc\r\n", &[b"ECHO", b"a b", b"c"]),
            // A quote in the middle of a word opens a quoted part.
            (b"ECHO ab\"c d\"\r\n", &[b"ECHO", b"abc d"]),
            (b"ECHO ab'c d'\r\n", &[b"ECHO", b"abc d"]),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), ok(input.len(), want), "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn inline_errors() {
        let unbalanced = "ERR Protocol error: unbalanced quotes in request";
        for bad in [
            &b"ECHO \"a\"b\r\n"[..],
            b"ECHO 'a'b\r\n",
            b"ECHO a\"b c\"d\r\n",
            b"ECHO \"abc\r\n",
            b"ECHO a\"bc\r\n",
            b"ECHO 'abc\r\n",
            b"ECHO \"a\\\\\r\n",
            b"ECHO \"a\\\r\n",
            b"ECHO '\\\\'\r\n",
            b"\"\n",
            b"'\n",
        ] {
            assert_eq!(parse(bad), err(unbalanced), "{:?}", String::from_utf8_lossy(bad));
        }
        let mut buf = vec![b'P'; 64 * 1024];
        assert_eq!(parse(&buf), INCOMPLETE);
        buf.push(b'P');
        assert_eq!(parse(&buf), err("ERR Protocol error: too big inline request"));
        // With its newline present a long line is fine.
        buf.extend_from_slice(b"\r\n");
        assert_eq!(parse(&buf).map(|r| r.0), Ok(buf.len()));
        // NUL before the newline counts as "no newline".
        let mut buf = b"PING\0".to_vec();
        buf.resize(64 * 1024 + 1, b'\n');
        assert_eq!(parse(&buf), err("ERR Protocol error: too big inline request"));
    }

    #[test]
    fn args_reuse_and_accessors() {
        let mut args = Args::new();
        let l = Limits::default();
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nECHO \"x y\"\r\n";
        let n = parse_command(buf, &l, &mut args).unwrap();
        assert!(!args.inline);
        assert_eq!(args.len(), 2);
        assert_eq!(args.get(buf, 0), b"GET");
        assert_eq!(args.get(buf, 1), b"k");
        let rest = &buf[n..];
        parse_command(rest, &l, &mut args).unwrap();
        assert!(args.inline);
        assert_eq!(args.iter(rest).collect::<Vec<_>>(), vec![&b"ECHO"[..], b"x y"]);
        assert_eq!(
            parse_command(b"*1\r\nX\r\n", &l, &mut args),
            Err(ParseError::Protocol("ERR Protocol error: expected '$', got 'X'".into()))
        );
        assert!(args.is_empty());
        // No reallocation on the multibulk path once capacity exists.
        parse_command(buf, &l, &mut args).unwrap();
        let cap = args.ranges.capacity();
        let ptr = args.ranges.as_ptr();
        for _ in 0..100 {
            parse_command(buf, &l, &mut args).unwrap();
        }
        assert_eq!(args.ranges.capacity(), cap);
        assert_eq!(args.ranges.as_ptr(), ptr);
        assert_eq!(ParseError::Incomplete.to_string(), "incomplete request");
    }

    /// One parse step over a connection buffer: every complete command
    /// (including zero-argument ones) as `(consumed, args)`.
    type Parsed = Vec<(usize, Vec<Vec<u8>>)>;

    /// Parses as much of `buf[*pos..]` as possible, appending to `out`.
    fn drain(buf: &[u8], pos: &mut usize, out: &mut Parsed) -> Result<(), ParseError> {
        let l = Limits::default();
        let mut args = Args::default();
        loop {
            let rest = &buf[*pos..];
            match parse_command(rest, &l, &mut args) {
                Ok(n) => {
                    assert!(n > 0 && n <= rest.len());
                    out.push((n, args.to_vecs(rest)));
                    *pos += n;
                }
                Err(ParseError::Incomplete) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn frames() -> Vec<&'static [u8]> {
        vec![
            b"*1\r\n$4\r\nPING\r\n",
            b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$7\r\na\0\r\n\nb*\r\n",
            b"*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n",
            b"*0\r\n",
            b"*-1\r\n",
            b"PING\r\n",
            b"ECHO \"a\\x41\\n b\" 'c\\'d' e\r\n",
            b"  SET  k   v\n",
            b"\r\n",
            b"*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$13\r\n$3\r\nfoo\r\n*1\r\n\r\n$1\r\n\xff\r\n",
        ]
    }

    #[test]
    fn split_at_every_position() {
        let mut stream = Vec::new();
        for f in frames() {
            stream.extend_from_slice(f);
        }
        let mut reference = Parsed::new();
        let mut pos = 0;
        drain(&stream, &mut pos, &mut reference).unwrap();
        assert_eq!(pos, stream.len());
        assert_eq!(reference.len(), frames().len());
        // Each frame parsed on its own gives the same result.
        for (f, (n, args)) in frames().iter().zip(&reference) {
            let (n2, args2) = parse(f).unwrap();
            assert_eq!((n2, &args2), (*n, args));
        }

        // One cut anywhere.
        for cut in 0..=stream.len() {
            let mut got = Parsed::new();
            let mut pos = 0;
            drain(&stream[..cut], &mut pos, &mut got).unwrap();
            assert!(pos <= cut);
            assert_eq!(got[..], reference[..got.len()], "cut at {cut}");
            drain(&stream, &mut pos, &mut got).unwrap();
            assert_eq!(got, reference, "cut at {cut}");
        }

        // Byte by byte.
        let mut got = Parsed::new();
        let mut pos = 0;
        for end in 0..=stream.len() {
            drain(&stream[..end], &mut pos, &mut got).unwrap();
        }
        assert_eq!(got, reference);

        // Every frame's every strict prefix is incomplete.
        for f in frames() {
            for cut in 0..f.len() {
                assert_eq!(parse(&f[..cut]), INCOMPLETE, "{:?} cut {cut}", f);
            }
        }
    }

    /// xorshift64*: deterministic, no dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_invariants(buf: &[u8], limits: &Limits) {
        let mut args = Args::default();
        let mut pos = 0;
        while pos < buf.len() {
            let rest = &buf[pos..];
            match parse_command(rest, limits, &mut args) {
                Ok(n) => {
                    assert!(n > 0 && n <= rest.len());
                    for a in args.iter(rest) {
                        if !args.inline {
                            assert!(a.len() <= n);
                        }
                    }
                    // Parsing exactly the consumed bytes gives the same command.
                    let mut again = Args::default();
                    assert_eq!(parse_command(&rest[..n], limits, &mut again), Ok(n));
                    assert_eq!(again.to_vecs(&rest[..n]), args.to_vecs(rest));
                    pos += n;
                }
                Err(ParseError::Incomplete) => {
                    assert!(args.is_empty());
                    break;
                }
                Err(ParseError::Protocol(msg)) => {
                    assert!(msg.starts_with("ERR Protocol error: "), "{msg}");
                    assert!(args.is_empty());
                    break;
                }
            }
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        let alphabet: &[u8] = b"*$\r\n\r\n0123456789-+ \t\"'\\x\0abcfAF";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let limit_sets = [
            Limits::default(),
            unauth(),
            Limits { max_bulk_len: 4, max_multibulk_len: 3, max_inline_len: 8, authenticated: true },
        ];
        for _ in 0..60_000 {
            let len = rng.below(48);
            let mode = rng.below(3);
            let mut buf = Vec::with_capacity(len);
            for _ in 0..len {
                let b = match mode {
                    0 => rng.next() as u8,
                    _ => alphabet[rng.below(alphabet.len())],
                };
                buf.push(b);
            }
            if mode == 2 && !buf.is_empty() {
                buf[0] = b'*';
            }
            for l in &limit_sets {
                check_invariants(&buf, l);
            }
        }
    }

    #[test]
    fn random_commands_round_trip() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let l = Limits::default();
        let mut args = Args::default();
        for _ in 0..3_000 {
            let argc = 1 + rng.below(6);
            let want: Vec<Vec<u8>> =
                (0..argc).map(|_| (0..rng.below(20)).map(|_| rng.next() as u8).collect()).collect();
            // Multibulk encoding.
            let mut mb = format!("*{argc}\r\n").into_bytes();
            for a in &want {
                mb.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                mb.extend_from_slice(a);
                mb.extend_from_slice(b"\r\n");
            }
            assert_eq!(parse_command(&mb, &l, &mut args), Ok(mb.len()));
            assert_eq!(args.to_vecs(&mb), want);
            // Inline encoding with every byte escaped.
            let mut il = Vec::new();
            for a in &want {
                il.extend_from_slice(b" \"");
                for b in a {
                    il.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                }
                il.push(b'"');
            }
            il.extend_from_slice(b"\r\n");
            assert_eq!(parse_command(&il, &l, &mut args), Ok(il.len()));
            assert_eq!(args.to_vecs(&il), want);
        }
    }
}
