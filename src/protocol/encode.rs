//! Reply encoding for RESP2 and RESP3.
//!
//! [`Out`] appends replies to a byte vector, choosing the wire form from the
//! connection's protocol version the way Redis 7.0.15's `addReply*` functions
//! do (e.g. a null is `$-1` in RESP2 and `_` in RESP3, a map is a flat array
//! of twice the length in RESP2). Nothing is allocated beyond the vector's
//! own growth.

use std::ffi::c_char;

const CRLF: &[u8] = b"\r\n";

/// Reply buffer for one connection. `buf` is the bytes to send; `resp3`
/// selects the protocol (set after `HELLO 3`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Out {
    pub buf: Vec<u8>,
    pub resp3: bool,
}

/// Position of an aggregate header whose length is not known yet; see
/// [`Out::defer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a deferred length must be set with one of the set_*_len methods"]
pub struct Deferred(usize);

impl Out {
    pub fn new(resp3: bool) -> Self {
        Out { buf: Vec::new(), resp3 }
    }

    pub fn with_capacity(capacity: usize, resp3: bool) -> Self {
        Out { buf: Vec::with_capacity(capacity), resp3 }
    }

    /// Bytes currently buffered.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drops the buffered bytes, keeping the capacity and the protocol.
    #[inline]
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends bytes that are already encoded.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// `+OK`.
    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// Simple string `+<s>`. Like Redis's `addReplyStatus`, `s` is written as
    /// is and must not contain CR or LF.
    #[inline]
    pub fn simple(&mut self, s: &[u8]) {
        self.buf.reserve(s.len() + 3);
        self.buf.push(b'+');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(CRLF);
    }

    #[inline]
    pub fn simple_str(&mut self, s: &str) {
        self.simple(s.as_bytes());
    }

    /// Error `-<text>`. `text` is the full message without the leading `-`,
    /// e.g. `b"ERR unknown command 'x'"` or `b"WRONGTYPE Operation ..."`.
    /// CR and LF inside it are replaced by spaces, as Redis does, so the reply
    /// always stays one line. A text that already starts with `-` is taken
    /// as a complete error line and gets no second `-`.
    pub fn error(&mut self, text: &[u8]) {
        self.buf.reserve(text.len() + 3);
        if text.first() != Some(&b'-') {
            self.buf.push(b'-');
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(text);
        if memchr::memchr2(b'\r', b'\n', text).is_some() {
            for b in &mut self.buf[start..] {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
        }
        self.buf.extend_from_slice(CRLF);
    }

    #[inline]
    pub fn error_str(&mut self, text: &str) {
        self.error(text.as_bytes());
    }

    /// Bulk string `$<len>\r\n<bytes>\r\n`.
    #[inline]
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.buf.reserve(bytes.len() + 16);
        self.header(b'$', bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(CRLF);
    }

    #[inline]
    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    /// An integer sent as a bulk string (Redis's `addReplyBulkLongLong`).
    pub fn bulk_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(v).as_bytes());
    }

    /// A bulk string, or [`Out::null`] for `None`.
    #[inline]
    pub fn bulk_opt(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => self.bulk(b),
            None => self.null(),
        }
    }

    /// Null: RESP2 `$-1`, RESP3 `_`.
    #[inline]
    pub fn null(&mut self) {
        self.buf.extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// Null array: RESP2 `*-1`, RESP3 `_`.
    #[inline]
    pub fn null_array(&mut self) {
        self.buf.extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// Integer `:<v>`.
    #[inline]
    pub fn int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(v).as_bytes();
        self.buf.reserve(s.len() + 3);
        self.buf.push(b':');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(CRLF);
    }

    /// Array header `*<n>`; the caller then writes `n` elements.
    #[inline]
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as u64);
    }

    /// Map header for `n` key/value pairs: RESP2 `*<2n>`, RESP3 `%<n>`.
    /// The caller then writes `2n` elements, key then value.
    #[inline]
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as u64);
        } else {
            self.header(b'*', 2 * n as u64);
        }
    }

    /// Set header: RESP2 `*<n>`, RESP3 `~<n>`.
    #[inline]
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as u64);
    }

    /// Push (out-of-band, e.g. pub/sub messages) header: RESP2 `*<n>`,
    /// RESP3 `><n>`.
    #[inline]
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as u64);
    }

    /// Double, as Redis 7.0's `addReplyDouble`: RESP3 `,<x>`, RESP2 a bulk
    /// string. Infinities are `inf` / `-inf`; everything else is C's `%.17g`
    /// (so NaN comes out as `nan` or `-nan`, and 0.1 as
    /// `0.10000000000000001`).
    pub fn double(&mut self, d: f64) {
        if d.is_infinite() {
            let s: &[u8] = if d > 0.0 { b"inf" } else { b"-inf" };
            self.double_text(s);
        } else {
            let mut tmp = [0u8; 32];
            let s = format_double(d, &mut tmp);
            self.double_text(s);
        }
    }

    /// A double already written out: RESP3 `,text`, RESP2 a bulk string.
    pub fn double_text(&mut self, s: &[u8]) {
        if self.resp3 {
            self.buf.reserve(s.len() + 3);
            self.buf.push(b',');
            self.buf.extend_from_slice(s);
            self.buf.extend_from_slice(CRLF);
        } else {
            self.bulk(s);
        }
    }

    /// Boolean: RESP3 `#t` / `#f`, RESP2 `:1` / `:0`.
    #[inline]
    pub fn bool(&mut self, b: bool) {
        let s: &[u8] = match (self.resp3, b) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        };
        self.buf.extend_from_slice(s);
    }

    /// Verbatim string: RESP3 `=<len>\r\n<fmt>:<bytes>\r\n` (`fmt` is e.g.
    /// `b"txt"`), RESP2 a plain bulk string of `bytes`.
    pub fn verbatim(&mut self, format: &[u8; 3], bytes: &[u8]) {
        if self.resp3 {
            self.buf.reserve(bytes.len() + 20);
            self.header(b'=', bytes.len() as u64 + 4);
            self.buf.extend_from_slice(format);
            self.buf.push(b':');
            self.buf.extend_from_slice(bytes);
            self.buf.extend_from_slice(CRLF);
        } else {
            self.bulk(bytes);
        }
    }

    /// Marks where an aggregate header will go when its length is only known
    /// after its elements are written (Redis's `addReplyDeferredLen`). Write
    /// the elements, then call one of `set_array_len`, `set_map_len` or
    /// `set_set_len`, which inserts the header at the marked position.
    /// Inserting shifts everything after it, so when several are open, set
    /// them last-deferred first (innermost first for nested aggregates).
    #[inline]
    pub fn defer(&mut self) -> Deferred {
        Deferred(self.buf.len())
    }

    /// Completes a [`Deferred`] as an array of `n` elements.
    pub fn set_array_len(&mut self, at: Deferred, n: usize) {
        self.insert_header(at, b'*', n as u64);
    }

    /// Completes a [`Deferred`] as a map of `n` pairs (RESP2: array of `2n`).
    pub fn set_map_len(&mut self, at: Deferred, n: usize) {
        if self.resp3 {
            self.insert_header(at, b'%', n as u64);
        } else {
            self.insert_header(at, b'*', 2 * n as u64);
        }
    }

    /// Completes a [`Deferred`] as a set of `n` elements.
    pub fn set_set_len(&mut self, at: Deferred, n: usize) {
        let prefix = if self.resp3 { b'~' } else { b'*' };
        self.insert_header(at, prefix, n as u64);
    }

    fn insert_header(&mut self, at: Deferred, prefix: u8, n: u64) {
        let mut tmp = [0u8; 24];
        let len = encode_header(&mut tmp, prefix, n);
        let pos = at.0.min(self.buf.len());
        self.buf.splice(pos..pos, tmp[..len].iter().copied());
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: u64) {
        let mut b = itoa::Buffer::new();
        let digits = b.format(n).as_bytes();
        self.buf.reserve(digits.len() + 3);
        self.buf.push(prefix);
        self.buf.extend_from_slice(digits);
        self.buf.extend_from_slice(CRLF);
    }
}

/// Writes `<prefix><n>\r\n` into `tmp`, returning its length (at most 23).
#[inline]
fn encode_header(tmp: &mut [u8; 24], prefix: u8, n: u64) -> usize {
    let mut b = itoa::Buffer::new();
    let digits = b.format(n).as_bytes();
    let end = 1 + digits.len();
    tmp[0] = prefix;
    tmp[1..end].copy_from_slice(digits);
    tmp[end..end + 2].copy_from_slice(CRLF);
    end + 2
}

/// Formats `d` like C's `printf("%.17g", d)` (which is what Redis 7.0 sends
/// for doubles) into `buf`, returning the text. Uses the C library, so NaN
/// and infinities come out as the platform's `%g` spells them (glibc: `nan`,
/// `-nan`, `inf`, `-inf`).
pub fn format_double(d: f64, buf: &mut [u8; 32]) -> &[u8] {
    // SAFETY: the format takes exactly one double, which is what is passed;
    // snprintf writes at most buf.len() bytes including the terminating NUL.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr() as *mut c_char, buf.len(), c"%.17g".as_ptr(), d) };
    // "%.17g" needs at most 24 characters ("-1.2345678901234567e-308").
    let n = (n.max(0) as usize).min(buf.len() - 1);
    &buf[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(f: impl Fn(&mut Out)) -> (String, String) {
        let mut r2 = Out::new(false);
        let mut r3 = Out::new(true);
        f(&mut r2);
        f(&mut r3);
        (String::from_utf8(r2.buf).unwrap(), String::from_utf8(r3.buf).unwrap())
    }

    fn check(f: impl Fn(&mut Out), resp2: &str, resp3: &str) {
        assert_eq!(both(f), (resp2.to_string(), resp3.to_string()));
    }

    #[test]
    fn strings() {
        check(|o| o.ok(), "+OK\r\n", "+OK\r\n");
        check(|o| o.simple(b"PONG"), "+PONG\r\n", "+PONG\r\n");
        check(|o| o.simple_str("QUEUED"), "+QUEUED\r\n", "+QUEUED\r\n");
        check(|o| o.bulk(b"hello"), "$5\r\nhello\r\n", "$5\r\nhello\r\n");
        check(|o| o.bulk(b""), "$0\r\n\r\n", "$0\r\n\r\n");
        check(|o| o.bulk(b"a\r\nb"), "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n");
        check(|o| o.bulk_str("xyz"), "$3\r\nxyz\r\n", "$3\r\nxyz\r\n");
        check(|o| o.bulk_int(-42), "$3\r\n-42\r\n", "$3\r\n-42\r\n");
        check(|o| o.bulk_opt(Some(b"v")), "$1\r\nv\r\n", "$1\r\nv\r\n");
        check(|o| o.bulk_opt(None), "$-1\r\n", "_\r\n");
        check(|o| o.raw(b"+RAW\r\n"), "+RAW\r\n", "+RAW\r\n");
        let mut o = Out::new(false);
        o.bulk(&[0, 255]);
        assert_eq!(o.buf, b"$2\r\n\x00\xff\r\n");
    }

    #[test]
    fn errors() {
        check(|o| o.error(b"ERR unknown command 'x'"), "-ERR unknown command 'x'\r\n", "-ERR unknown command 'x'\r\n");
        check(
            |o| o.error_str("WRONGTYPE Operation against a key holding the wrong kind of value"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        );
        check(|o| o.error(b"ERR x\r\ny\n"), "-ERR x  y \r\n", "-ERR x  y \r\n");
        check(|o| o.error(b""), "-\r\n", "-\r\n");
        check(|o| o.error(b"-ERR x"), "-ERR x\r\n", "-ERR x\r\n");
    }

    #[test]
    fn nulls_and_ints() {
        check(|o| o.null(), "$-1\r\n", "_\r\n");
        check(|o| o.null_array(), "*-1\r\n", "_\r\n");
        check(|o| o.int(0), ":0\r\n", ":0\r\n");
        check(|o| o.int(-7), ":-7\r\n", ":-7\r\n");
        check(|o| o.int(i64::MIN), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n");
        check(|o| o.int(i64::MAX), ":9223372036854775807\r\n", ":9223372036854775807\r\n");
        check(|o| o.bool(true), ":1\r\n", "#t\r\n");
        check(|o| o.bool(false), ":0\r\n", "#f\r\n");
    }

    #[test]
    fn aggregates() {
        check(|o| o.array(0), "*0\r\n", "*0\r\n");
        check(|o| o.array(3), "*3\r\n", "*3\r\n");
        check(|o| o.map(0), "*0\r\n", "%0\r\n");
        check(|o| o.map(2), "*4\r\n", "%2\r\n");
        check(|o| o.set(5), "*5\r\n", "~5\r\n");
        check(|o| o.push(3), "*3\r\n", ">3\r\n");
        check(
            |o| {
                o.map(1);
                o.bulk(b"f");
                o.bulk(b"v");
            },
            "*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
        );
    }

    #[test]
    fn doubles() {
        // Expected texts taken from redis-server 7.0.15 (ZSCORE, Lua doubles).
        let cases: &[(f64, &str)] = &[
            (0.1, "0.10000000000000001"),
            (5.0, "5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (1e300, "1.0000000000000001e+300"),
            (1.5e-7, "1.4999999999999999e-07"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (-2.5, "-2.5"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-f64::MIN_POSITIVE, "-2.2250738585072014e-308"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
        ];
        for &(d, text) in cases {
            check(|o| o.double(d), &format!("${}\r\n{}\r\n", text.len(), text), &format!(",{text}\r\n"));
        }
        let mut tmp = [0u8; 32];
        assert_eq!(format_double(0.1, &mut tmp), b"0.10000000000000001");
    }

    #[test]
    fn verbatim() {
        check(|o| o.verbatim(b"txt", b"# Keyspace\r\n"), "$12\r\n# Keyspace\r\n\r\n", "=16\r\ntxt:# Keyspace\r\n\r\n");
        check(|o| o.verbatim(b"mkd", b""), "$0\r\n\r\n", "=4\r\nmkd:\r\n");
    }

    #[test]
    fn deferred_lengths() {
        check(
            |o| {
                o.int(1);
                let d = o.defer();
                o.bulk(b"a");
                o.bulk(b"b");
                o.set_array_len(d, 2);
                o.int(2);
            },
            ":1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n:2\r\n",
            ":1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n:2\r\n",
        );
        check(
            |o| {
                let d = o.defer();
                o.bulk(b"k");
                o.int(1);
                o.set_map_len(d, 1);
            },
            "*2\r\n$1\r\nk\r\n:1\r\n",
            "%1\r\n$1\r\nk\r\n:1\r\n",
        );
        check(
            |o| {
                let d = o.defer();
                o.set_set_len(d, 0);
            },
            "*0\r\n",
            "~0\r\n",
        );
        // Nested: inner header inserted first, outer position unaffected.
        check(
            |o| {
                let outer = o.defer();
                let inner = o.defer();
                o.int(7);
                o.set_array_len(inner, 1);
                o.set_array_len(outer, 1);
            },
            "*1\r\n*1\r\n:7\r\n",
            "*1\r\n*1\r\n:7\r\n",
        );
    }

    #[test]
    fn buffer_management() {
        let mut o = Out::with_capacity(64, true);
        assert!(o.is_empty());
        o.ok();
        assert_eq!(o.len(), 5);
        let cap = o.buf.capacity();
        o.clear();
        assert!(o.is_empty());
        assert!(o.resp3);
        assert_eq!(o.buf.capacity(), cap);
        assert_eq!(Out::default(), Out::new(false));
    }
}
