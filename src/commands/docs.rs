//! Command documentation and metadata taken verbatim from Redis 7.0.15.
//!
//! `COMMAND DOCS` and the tips / key-specs parts of `COMMAND INFO` are facts
//! about Redis (its `src/commands/*.json`), so instead of re-typing them we
//! embed the reference server's own replies.  `docs.resp3` is produced by
//! `scripts/gen-command-docs.sh`; it holds exactly two RESP3 values, back to
//! back:
//!
//! 1. the `COMMAND DOCS` map (command name -> docs map, subcommands nested
//!    under each container's `"subcommands"` key), and
//! 2. the `COMMAND INFO` array (one 10-element array per command; the last
//!    element, index 9, of a container lists its subcommands' entries).
//!
//! Commands are sorted by name (Redis itself emits them in a per-process
//! random hash order) and the Redis 7.2 subcommands `client|setinfo` and
//! `client|no-touch` are added in the 7.0 reply shape.
//!
//! The data is parsed once, lazily, into [`Value`] trees which can be written
//! back either as RESP3 (byte-identical to what Redis sent) or downgraded to
//! RESP2 exactly the way Redis 7.0 downgrades these replies (maps become flat
//! arrays of 2n elements, sets become arrays, the null a missing
//! `COMMAND INFO` entry produces becomes `$-1`).
//!
//! This file is self-contained (std only) so it can be tested standalone with
//! `rustc --edition 2021 --test src/commands/docs.rs`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The embedded reference replies (see the module docs).
static DATA: &[u8] = include_bytes!("docs.resp3");

/// Nesting deeper than this is rejected by [`parse`] (the embedded data nests
/// about ten levels deep); it keeps parsing of arbitrary input stack-safe.
const MAX_DEPTH: usize = 128;

/// A parsed RESP3 value.
///
/// The embedded replies only use maps, arrays, sets, simple strings, bulk
/// strings and integers; the remaining RESP3 scalar types are accepted so
/// that [`parse`] is total over well-formed RESP3 (attributes and push
/// frames are rejected with an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `+text` — stays a simple string in RESP2.
    Simple(Vec<u8>),
    /// `-text` — stays an error in RESP2.
    Error(Vec<u8>),
    /// `:n`
    Integer(i64),
    /// `$len` — a bulk string.
    Bulk(Vec<u8>),
    /// `,text` — a double, kept as its textual form.  RESP2: a bulk string
    /// holding the same text (Redis' `addReplyDouble`).
    Double(Vec<u8>),
    /// `#t` / `#f`.  RESP2: `:1` / `:0` (Redis' `addReplyBool`).
    Boolean(bool),
    /// `(digits` — a big number, kept as text.  RESP2: a bulk string.
    BigNumber(Vec<u8>),
    /// `=len` — verbatim string; `format` is the three-byte type (e.g.
    /// `txt`).  RESP2: a bulk string of `text` alone (Redis'
    /// `addReplyVerbatim`).
    Verbatim { format: [u8; 3], text: Vec<u8> },
    /// `_` — the null Redis' `addReplyNull` produces (for example the
    /// `COMMAND INFO` entry of an unknown command).  RESP2: `$-1`.
    /// Parsing RESP2's `$-1` also yields this.
    Null,
    /// The null Redis' `addReplyNullArray` produces.  RESP3: `_`, RESP2:
    /// `*-1`.  Parsing RESP3 never yields it (`_` is ambiguous and parses as
    /// [`Value::Null`]); parsing RESP2's `*-1` does.
    NullArray,
    /// `*n`
    Array(Vec<Value>),
    /// `~n` — RESP2: an array.
    Set(Vec<Value>),
    /// `%n` — RESP2: a flat array of 2n elements, key then value.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// Writes the value as RESP3 (`resp3 = true`; byte-identical to what
    /// Redis sent for the embedded data) or as RESP2 (maps flattened into
    /// arrays of 2n elements, sets as arrays, [`Value::Null`] as `$-1`,
    /// [`Value::NullArray`] as `*-1`, the RESP3-only scalars downgraded as
    /// Redis 7.0 does).
    pub fn write(&self, resp3: bool, out: &mut Vec<u8>) {
        match self {
            Value::Simple(s) => write_line(out, b'+', s),
            Value::Error(s) => write_line(out, b'-', s),
            Value::Integer(n) => {
                out.push(b':');
                write_int(out, *n);
                out.extend_from_slice(b"\r\n");
            }
            Value::Bulk(b) => write_blob(out, b'$', &[], b),
            Value::Double(text) => {
                if resp3 {
                    write_line(out, b',', text)
                } else {
                    write_blob(out, b'$', &[], text)
                }
            }
            Value::Boolean(b) => {
                out.extend_from_slice(match (resp3, *b) {
                    (true, true) => b"#t\r\n",
                    (true, false) => b"#f\r\n",
                    (false, true) => b":1\r\n",
                    (false, false) => b":0\r\n",
                });
            }
            Value::BigNumber(text) => {
                if resp3 {
                    write_line(out, b'(', text)
                } else {
                    write_blob(out, b'$', &[], text)
                }
            }
            Value::Verbatim { format, text } => {
                if resp3 {
                    let mut prefix = [0u8; 4];
                    prefix[..3].copy_from_slice(format);
                    prefix[3] = b':';
                    write_blob(out, b'=', &prefix, text)
                } else {
                    write_blob(out, b'$', &[], text)
                }
            }
            Value::Null => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Value::NullArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
            Value::Array(items) => {
                write_len(out, b'*', items.len());
                for item in items {
                    item.write(resp3, out);
                }
            }
            Value::Set(items) => {
                write_len(out, if resp3 { b'~' } else { b'*' }, items.len());
                for item in items {
                    item.write(resp3, out);
                }
            }
            Value::Map(pairs) => {
                if resp3 {
                    write_len(out, b'%', pairs.len());
                } else {
                    write_len(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.write(resp3, out);
                    v.write(resp3, out);
                }
            }
        }
    }

    /// The value encoded as RESP3 or RESP2 (see [`Value::write`]).
    pub fn to_bytes(&self, resp3: bool) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(resp3, &mut out);
        out
    }

    /// The payload of a simple string, bulk string or verbatim string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Simple(s) | Value::Bulk(s) => Some(s),
            Value::Verbatim { text, .. } => Some(text),
            _ => None,
        }
    }

    /// [`Value::as_bytes`] as UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The value of an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The elements of an array or set.
    pub fn as_slice(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) | Value::Set(items) => Some(items),
            _ => None,
        }
    }

    /// The pairs of a map.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// In a map, the value whose key is the (simple or bulk) string `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map()?.iter().find(|(k, _)| k.as_bytes() == Some(key.as_bytes())).map(|(_, v)| v)
    }
}

fn write_len(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    write_int(out, len as i64);
    out.extend_from_slice(b"\r\n");
}

fn write_line(out: &mut Vec<u8>, tag: u8, text: &[u8]) {
    out.push(tag);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

fn write_blob(out: &mut Vec<u8>, tag: u8, prefix: &[u8], body: &[u8]) {
    write_len(out, tag, prefix.len() + body.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[i..]);
}

/// Parses one RESP3 value (RESP2 input is accepted too) from the start of
/// `bytes`, returning it and the number of bytes it occupied.  Never panics:
/// truncated or malformed input, unsupported types (attributes, push frames)
/// and nesting deeper than 128 levels are reported as `Err`.
pub fn parse(bytes: &[u8]) -> Result<(Value, usize), String> {
    let mut parser = Parser { buf: bytes, pos: 0 };
    let value = parser.value(0)?;
    Ok((value, parser.pos))
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("RESP parse error at byte {}: {}", self.pos, what))
    }

    /// The bytes up to the next CRLF (exclusive); advances past the CRLF.
    fn line(&mut self) -> Result<&'a [u8], String> {
        let buf: &'a [u8] = self.buf;
        let rest = buf.get(self.pos..).unwrap_or(&[]);
        match rest.windows(2).position(|w| w == b"\r\n") {
            Some(n) => {
                self.pos += n + 2;
                Ok(&rest[..n])
            }
            None => self.err("missing CRLF"),
        }
    }

    fn int(&self, text: &[u8]) -> Result<i64, String> {
        let (neg, digits) = match text.split_first() {
            Some((b'-', d)) => (true, d),
            Some((b'+', d)) => (false, d),
            _ => (false, text),
        };
        if digits.is_empty() || digits.len() > 19 {
            return self.err("bad integer");
        }
        let mut n: i64 = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return self.err("bad integer");
            }
            n = match n.checked_mul(10).and_then(|n| n.checked_add((d - b'0') as i64)) {
                Some(n) => n,
                None => return self.err("integer overflow"),
            };
        }
        Ok(if neg { -n } else { n })
    }

    /// A length: `Ok(None)` for `-1` (RESP2 null), an error for other
    /// negatives.
    fn len(&self, text: &[u8]) -> Result<Option<usize>, String> {
        match self.int(text)? {
            -1 => Ok(None),
            n if n < 0 => self.err("negative length"),
            n => match usize::try_from(n) {
                Ok(n) => Ok(Some(n)),
                Err(_) => self.err("length too large"),
            },
        }
    }

    /// `n` payload bytes followed by CRLF.
    fn blob(&mut self, n: usize) -> Result<&'a [u8], String> {
        let buf: &'a [u8] = self.buf;
        let end = match self.pos.checked_add(n) {
            Some(end) => end,
            None => return self.err("length too large"),
        };
        match (buf.get(self.pos..end), buf.get(end..end.saturating_add(2))) {
            (Some(body), Some(b"\r\n")) => {
                self.pos = end + 2;
                Ok(body)
            }
            (None, _) | (_, None) => self.err("truncated blob"),
            _ => self.err("blob not terminated by CRLF"),
        }
    }

    /// Capacity hint for `n` elements that cannot exceed what the remaining
    /// input could hold (every element takes at least 3 bytes).
    fn capacity(&self, n: usize) -> usize {
        n.min(self.buf.len().saturating_sub(self.pos) / 3)
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        let line = self.line()?;
        let (&tag, rest) = match line.split_first() {
            Some(split) => split,
            None => return self.err("empty line"),
        };
        Ok(match tag {
            b'+' => Value::Simple(rest.to_vec()),
            b'-' => Value::Error(rest.to_vec()),
            b':' => Value::Integer(self.int(rest)?),
            b',' => Value::Double(rest.to_vec()),
            b'(' => Value::BigNumber(rest.to_vec()),
            b'#' => match rest {
                b"t" => Value::Boolean(true),
                b"f" => Value::Boolean(false),
                _ => return self.err("bad boolean"),
            },
            b'_' => {
                if !rest.is_empty() {
                    return self.err("bad null");
                }
                Value::Null
            }
            b'$' => match self.len(rest)? {
                None => Value::Null,
                Some(n) => Value::Bulk(self.blob(n)?.to_vec()),
            },
            b'=' => {
                let n = match self.len(rest)? {
                    Some(n) => n,
                    None => return self.err("null verbatim string"),
                };
                let body = self.blob(n)?;
                match body {
                    [a, b, c, b':', text @ ..] => Value::Verbatim { format: [*a, *b, *c], text: text.to_vec() },
                    _ => return self.err("verbatim string without format"),
                }
            }
            b'*' | b'~' => {
                let n = match self.len(rest)? {
                    Some(n) => n,
                    None if tag == b'*' => return Ok(Value::NullArray),
                    None => return self.err("null set"),
                };
                let mut items = Vec::with_capacity(self.capacity(n));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                if tag == b'*' {
                    Value::Array(items)
                } else {
                    Value::Set(items)
                }
            }
            b'%' => {
                let n = match self.len(rest)? {
                    Some(n) => n,
                    None => return self.err("null map"),
                };
                let mut pairs = Vec::with_capacity(self.capacity(n.saturating_mul(2)) / 2);
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    pairs.push((k, v));
                }
                Value::Map(pairs)
            }
            b'|' => return self.err("attributes are not supported"),
            b'>' => return self.err("push frames are not supported"),
            _ => return self.err("unknown type byte"),
        })
    }
}

/// The embedded data, parsed.
struct Tables {
    /// The whole `COMMAND DOCS` map.
    all_docs: Value,
    /// The whole `COMMAND INFO` array.
    all_info: Value,
}

/// Name (lowercase, `container|sub` for subcommands) -> value.
struct Index {
    docs: HashMap<&'static str, &'static Value>,
    info: HashMap<&'static str, &'static Value>,
}

fn load(data: &[u8]) -> Result<Tables, String> {
    let (all_docs, n) = parse(data)?;
    let rest = data.get(n..).unwrap_or(&[]);
    let (all_info, m) = parse(rest)?;
    if m != rest.len() {
        return Err(format!("{} trailing bytes after COMMAND INFO", rest.len() - m));
    }
    if !matches!(all_docs, Value::Map(_)) {
        return Err("first value is not the COMMAND DOCS map".into());
    }
    if !matches!(all_info, Value::Array(_)) {
        return Err("second value is not the COMMAND INFO array".into());
    }
    Ok(Tables { all_docs, all_info })
}

static TABLES: OnceLock<Result<Tables, String>> = OnceLock::new();
static INDEX: OnceLock<Index> = OnceLock::new();

fn tables() -> Option<&'static Tables> {
    TABLES.get_or_init(|| load(DATA)).as_ref().ok()
}

/// Why the embedded data failed to load, if it did (then every lookup
/// returns `None`).  Always `None` for a correctly generated `docs.resp3`.
pub fn load_error() -> Option<&'static str> {
    TABLES.get_or_init(|| load(DATA)).as_ref().err().map(|e| e.as_str())
}

fn index_docs(map: &'static Value, into: &mut HashMap<&'static str, &'static Value>) {
    for (name, doc) in map.as_map().unwrap_or(&[]) {
        if let Some(name) = name.as_str() {
            into.insert(name, doc);
        }
        if let Some(subs) = doc.get("subcommands") {
            index_docs(subs, into);
        }
    }
}

fn index_info(entries: &'static Value, into: &mut HashMap<&'static str, &'static Value>) {
    for entry in entries.as_slice().unwrap_or(&[]) {
        let fields = entry.as_slice().unwrap_or(&[]);
        if let Some(name) = fields.first().and_then(Value::as_str) {
            into.insert(name, entry);
        }
        if let Some(subs) = fields.get(9) {
            index_info(subs, into);
        }
    }
}

fn index() -> &'static Index {
    INDEX.get_or_init(|| {
        let mut index = Index { docs: HashMap::new(), info: HashMap::new() };
        if let Some(t) = tables() {
            index_docs(&t.all_docs, &mut index.docs);
            index_info(&t.all_info, &mut index.info);
        }
        index
    })
}

fn lookup(map: &HashMap<&'static str, &'static Value>, name: &str) -> Option<&'static Value> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        map.get(name.to_ascii_lowercase().as_str()).copied()
    } else {
        map.get(name).copied()
    }
}

/// The whole `COMMAND DOCS` map (the reply to `COMMAND DOCS` with no
/// arguments).
pub fn all_docs() -> Option<&'static Value> {
    tables().map(|t| &t.all_docs)
}

/// The whole `COMMAND INFO` array (the reply to `COMMAND INFO` / `COMMAND`
/// with no arguments).
pub fn all_info() -> Option<&'static Value> {
    tables().map(|t| &t.all_info)
}

/// The value for `name` in the `COMMAND DOCS` map: a map with `summary`,
/// `since`, `group`, `complexity`, … (containers carry their subcommands'
/// docs under `subcommands`).  `name` is a top-level command name; the
/// `container|sub` form (as `COMMAND DOCS client|list` accepts) finds a
/// subcommand.  Case-insensitive.
///
/// The reply to `COMMAND DOCS name` is a one-entry map: `name` as a bulk
/// string, then this value.
pub fn docs(name_lowercase: &str) -> Option<&'static Value> {
    lookup(&index().docs, name_lowercase)
}

/// The docs of a subcommand, e.g. `subcommand_docs("client", "list")` is the
/// value under `client|list` in the client command's `subcommands` map.
pub fn subcommand_docs(container: &str, sub: &str) -> Option<&'static Value> {
    docs(&format!("{container}|{sub}"))
}

/// The full `COMMAND INFO` entry (an array of 10) for `name`: name, arity,
/// flags, first key, last key, step, ACL categories, tips, key specs,
/// subcommands.  `container|sub` finds a subcommand.  Case-insensitive.
///
/// For an unknown name Redis 7.0 replies with [`Value::Null`] in place of
/// the entry (`$-1` in RESP2, `_` in RESP3).
pub fn info(name_lowercase: &str) -> Option<&'static Value> {
    lookup(&index().info, name_lowercase)
}

/// Element 8 (index 7) of the `COMMAND INFO` entry: the command tips (an
/// array of simple strings, or an empty set when the command has none).
pub fn info_tips(name: &str) -> Option<&'static Value> {
    info(name)?.as_slice()?.get(7)
}

/// Element 9 (index 8) of the `COMMAND INFO` entry: the key specifications
/// (a set of maps in RESP3; an array of flat arrays in RESP2).
pub fn info_key_specs(name: &str) -> Option<&'static Value> {
    info(name)?.as_slice()?.get(8)
}

/// The `COMMAND INFO` entry of subcommand `container|sub` (e.g.
/// `subcommand_info("client", "list")`), found in the container's
/// subcommands (element 10, index 9, of its entry).
pub fn subcommand_info(container: &str, sub: &str) -> Option<&'static Value> {
    info(&format!("{container}|{sub}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `COMMAND DOCS name...` as Redis writes it.
    fn docs_reply(names: &[&str], resp3: bool) -> Vec<u8> {
        let found: Vec<(Value, Value)> =
            names.iter().filter_map(|n| docs(n).map(|d| (Value::Bulk(n.as_bytes().to_vec()), d.clone()))).collect();
        Value::Map(found).to_bytes(resp3)
    }

    /// `COMMAND INFO name...` as Redis writes it.
    fn info_reply(names: &[&str], resp3: bool) -> Vec<u8> {
        let entries = names.iter().map(|n| info(n).cloned().unwrap_or(Value::Null)).collect();
        Value::Array(entries).to_bytes(resp3)
    }

    fn show(b: &[u8]) -> String {
        String::from_utf8_lossy(b).replace("\r\n", "\\r\\n ")
    }

    fn assert_bytes(got: &[u8], want: &[u8]) {
        assert!(got == want, "\n got: {}\nwant: {}", show(got), show(want));
    }

    #[test]
    fn data_parses() {
        assert_eq!(load_error(), None);
        let docs_map = all_docs().unwrap().as_map().unwrap();
        let info_arr = all_info().unwrap().as_slice().unwrap();
        assert_eq!(docs_map.len(), 240);
        assert_eq!(info_arr.len(), 240);
        for entry in info_arr {
            assert_eq!(entry.as_slice().unwrap().len(), 10);
        }
    }

    #[test]
    fn get_has_summary() {
        let get = docs("get").expect("get docs");
        assert_eq!(get.get("summary").and_then(Value::as_str), Some("Get the value of a key"));
        assert_eq!(get.get("group").and_then(Value::as_str), Some("string"));
        assert!(docs("GET").is_some());
        assert!(docs("nosuchcommand").is_none());
    }

    #[test]
    fn reencoding_reproduces_file() {
        let mut out = Vec::new();
        all_docs().unwrap().write(true, &mut out);
        all_info().unwrap().write(true, &mut out);
        assert!(out == DATA, "RESP3 re-encoding differs from docs.resp3");
    }

    #[test]
    fn lookups() {
        let info_get = info("get").unwrap().as_slice().unwrap();
        assert_eq!(info_get[0].as_str(), Some("get"));
        assert_eq!(info_get[1].as_int(), Some(2));
        assert_eq!(info_tips("get"), Some(&Value::Set(vec![])));
        let specs = info_key_specs("get").unwrap().as_slice().unwrap();
        assert_eq!(specs.len(), 1);
        assert!(specs[0].get("begin_search").is_some());

        let tips = info_tips("keys").unwrap().as_slice().unwrap();
        assert_eq!(tips[0].as_str(), Some("request_policy:all_shards"));

        let list = subcommand_info("client", "list").unwrap().as_slice().unwrap();
        assert_eq!(list[0].as_str(), Some("client|list"));
        assert!(std::ptr::eq(info("CLIENT|LIST").unwrap(), subcommand_info("client", "list").unwrap()));
        let client_subs = info("client").unwrap().as_slice().unwrap()[9].as_slice().unwrap();
        assert!(client_subs.iter().any(|e| std::ptr::eq(e, subcommand_info("client", "list").unwrap())));
        assert!(subcommand_docs("client", "list").unwrap().get("summary").is_some());
        assert!(docs("client").unwrap().get("subcommands").unwrap().get("client|list").is_some());
        assert!(subcommand_info("client", "nosuch").is_none());
        assert!(info("nosuch").is_none());
    }

    #[test]
    fn redis72_client_additions() {
        let setinfo = subcommand_docs("client", "setinfo").expect("client|setinfo docs");
        assert_eq!(
            setinfo.get("summary").and_then(Value::as_str),
            Some("Sets information specific to the client or connection.")
        );
        assert_eq!(setinfo.get("since").and_then(Value::as_str), Some("7.2.0"));
        assert_eq!(setinfo.get("group").and_then(Value::as_str), Some("connection"));
        assert_eq!(setinfo.get("complexity").and_then(Value::as_str), Some("O(1)"));
        let attr = &setinfo.get("arguments").unwrap().as_slice().unwrap()[0];
        assert_eq!(attr.get("type").and_then(Value::as_str), Some("oneof"));
        let tokens: Vec<&str> = attr
            .get("arguments")
            .unwrap()
            .as_slice()
            .unwrap()
            .iter()
            .map(|a| a.get("token").and_then(Value::as_str).unwrap())
            .collect();
        assert_eq!(tokens, ["lib-name", "lib-ver"]);
        assert!(subcommand_docs("client", "no-touch").is_some());

        let info_setinfo = subcommand_info("client", "setinfo").unwrap().as_slice().unwrap();
        assert_eq!(info_setinfo[1].as_int(), Some(4));
        assert!(subcommand_info("client", "no-touch").is_some());
        // The additions have the same shape as their 7.0 sibling client|setname
        // (same flags and ACL categories, no tips, key specs or subcommands).
        let setname_head: &[u8] = b"*1\r\n*10\r\n$14\r\nclient|setname\r\n:3\r\n";
        assert!(CLIENT_SETNAME_INFO_RESP2.starts_with(setname_head));
        let mut want = b"*1\r\n*10\r\n$14\r\nclient|setinfo\r\n:4\r\n".to_vec();
        want.extend_from_slice(&CLIENT_SETNAME_INFO_RESP2[setname_head.len()..]);
        assert_bytes(&info_reply(&["client|setinfo"], false), &want);
    }

    #[test]
    fn get_matches_redis_resp2() {
        assert_bytes(&docs_reply(&["get"], false), GET_DOCS_RESP2);
        assert_bytes(&info_reply(&["get"], false), GET_INFO_RESP2);
    }

    #[test]
    fn get_matches_redis_resp3() {
        assert_bytes(&docs_reply(&["get"], true), GET_DOCS_RESP3);
        assert_bytes(&info_reply(&["get"], true), GET_INFO_RESP3);
    }

    #[test]
    fn more_commands_match_redis_resp2() {
        assert_bytes(&docs_reply(&["set"], false), SET_DOCS_RESP2);
        assert_bytes(&info_reply(&["set"], false), SET_INFO_RESP2);
        assert_bytes(&info_reply(&["keys"], false), KEYS_INFO_RESP2);
        assert_bytes(&docs_reply(&["slaveof"], false), SLAVEOF_DOCS_RESP2);
        assert_bytes(&docs_reply(&["client|setname"], false), CLIENT_SETNAME_DOCS_RESP2);
        assert_bytes(&info_reply(&["client|setname"], false), CLIENT_SETNAME_INFO_RESP2);
    }

    #[test]
    fn unknown_command_info_is_null() {
        assert_bytes(&info_reply(&["nosuch"], false), NOSUCH_INFO_RESP2);
        assert_bytes(&info_reply(&["nosuch"], true), NOSUCH_INFO_RESP3);
        assert_bytes(&docs_reply(&["nosuch"], false), b"*0\r\n");
        assert_bytes(&docs_reply(&["nosuch"], true), b"%0\r\n");
    }

    #[test]
    fn fixtures_parse_and_reencode() {
        for fixture in [GET_DOCS_RESP2, GET_INFO_RESP2, GET_DOCS_RESP3, GET_INFO_RESP3, NOSUCH_INFO_RESP2] {
            let (v, n) = parse(fixture).unwrap();
            assert_eq!(n, fixture.len());
            let resp3 = fixture == GET_DOCS_RESP3 || fixture == GET_INFO_RESP3;
            assert_bytes(&v.to_bytes(resp3), fixture);
        }
    }

    #[test]
    fn scalar_downgrades() {
        let cases: [(&[u8], &[u8]); 8] = [
            (b"_\r\n", b"$-1\r\n"),
            (b"#t\r\n", b":1\r\n"),
            (b"#f\r\n", b":0\r\n"),
            (b",3.5\r\n", b"$3\r\n3.5\r\n"),
            (b"(123456789012345678901234567890\r\n", b"$30\r\n123456789012345678901234567890\r\n"),
            (b"=8\r\ntxt:abcd\r\n", b"$4\r\nabcd\r\n"),
            (b"%1\r\n+a\r\n~2\r\n:-7\r\n$0\r\n\r\n", b"*2\r\n+a\r\n*2\r\n:-7\r\n$0\r\n\r\n"),
            (b"-ERR x\r\n", b"-ERR x\r\n"),
        ];
        for (resp3, resp2) in cases {
            let (v, n) = parse(resp3).unwrap();
            assert_eq!(n, resp3.len());
            assert_bytes(&v.to_bytes(true), resp3);
            assert_bytes(&v.to_bytes(false), resp2);
        }
        assert_bytes(&Value::NullArray.to_bytes(false), b"*-1\r\n");
        assert_bytes(&Value::NullArray.to_bytes(true), b"_\r\n");
        assert_eq!(parse(b"*-1\r\n").unwrap().0, Value::NullArray);
        assert_eq!(parse(b"$-1\r\n").unwrap().0, Value::Null);
        assert_bytes(&Value::Integer(i64::MIN).to_bytes(true), b":-9223372036854775808\r\n");
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        let bad: [&[u8]; 16] = [
            b"",
            b"\r\n",
            b"$5\r\nab\r\n",
            b"$2\r\nabXY",
            b"*2\r\n:1\r\n",
            b"*-2\r\n",
            b"$99999999999999999999\r\n",
            b"*9223372036854775807\r\n",
            b"%9223372036854775807\r\n",
            b":12a\r\n",
            b":\r\n",
            b"#x\r\n",
            b"=2\r\nab\r\n",
            b"|1\r\n+a\r\n+b\r\n",
            b"?\r\n",
            b"$3\r\nab",
        ];
        for input in bad {
            assert!(parse(input).is_err(), "accepted {:?}", show(input));
        }
        let deep = "*1\r\n".repeat(MAX_DEPTH + 2) + ":1\r\n";
        assert!(parse(deep.as_bytes()).is_err());
        // Every prefix of the real data fails cleanly (or parses the docs map).
        for cut in (0..DATA.len()).step_by(997) {
            let _ = parse(&DATA[..cut]);
        }
    }

    /// `COMMAND DOCS get` over RESP2, captured from redis-server 7.0.15.
    const GET_DOCS_RESP2: &[u8] = b"*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n\
        $5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n\
        $4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n\
        $4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n";

    /// `COMMAND INFO get` over RESP2, captured from redis-server 7.0.15.
    const GET_INFO_RESP2: &[u8] = b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n\
        :1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n\
        *2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n\
        index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n\
        $4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n\
        $7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

    /// `COMMAND DOCS get` over RESP3 (after HELLO 3), captured from redis-server 7.0.15.
    const GET_DOCS_RESP3: &[u8] = b"%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n\
        $5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n\
        $4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n\
        $4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n";

    /// `COMMAND INFO get` over RESP3 (after HELLO 3), captured from redis-server 7.0.15.
    const GET_INFO_RESP3: &[u8] = b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n\
        :1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n\
        ~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\n\
        index\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n\
        $4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n\
        $7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";

    /// `COMMAND DOCS set` over RESP2, captured from redis-server 7.0.15.
    const SET_DOCS_RESP2: &[u8] = b"*2\r\n$3\r\nset\r\n*12\r\n$7\r\nsummary\r\n$29\r\nSet the string value of a key\r\n\
        $5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n\
        $4\r\nO(1)\r\n$7\r\nhistory\r\n*4\r\n*2\r\n$6\r\n2.6.12\r\n$44\r\nAdded the `EX`, `PX`, `NX` and `XX` options.\r\n\
        *2\r\n$5\r\n6.0.0\r\n$27\r\nAdded the `KEEPTTL` option.\r\n*2\r\n$5\r\n\
        6.2.0\r\n$42\r\nAdded the `GET`, `EXAT` and `PXAT` option.\r\n*2\r\n$5\r\n\
        7.0.0\r\n$55\r\nAllowed the `NX` and `GET` options to be used together.\r\n\
        $9\r\narguments\r\n*5\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n\
        $3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n\
        $4\r\ntype\r\n$6\r\nstring\r\n*10\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\n\
        type\r\n$5\r\noneof\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n$5\r\nflags\r\n*1\r\n\
        +optional\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\n\
        type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n*6\r\n$4\r\nname\r\n\
        $2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nXX\r\n\
        *10\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\n\
        token\r\n$3\r\nGET\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n$5\r\nflags\r\n*1\r\n\
        +optional\r\n*8\r\n$4\r\nname\r\n$10\r\nexpiration\r\n$4\r\ntype\r\n$5\r\n\
        oneof\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*5\r\n*8\r\n\
        $4\r\nname\r\n$7\r\nseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n\
        $2\r\nEX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$12\r\nmilliseconds\r\n\
        $4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nPX\r\n$5\r\nsince\r\n\
        $6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$17\r\nunix-time-seconds\r\n$4\r\ntype\r\n\
        $9\r\nunix-time\r\n$5\r\ntoken\r\n$4\r\nEXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n\
        *8\r\n$4\r\nname\r\n$22\r\nunix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\n\
        unix-time\r\n$5\r\ntoken\r\n$4\r\nPXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n\
        *8\r\n$4\r\nname\r\n$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n\
        $5\r\ntoken\r\n$7\r\nKEEPTTL\r\n$5\r\nsince\r\n$5\r\n6.0.0\r\n";

    /// `COMMAND INFO set` over RESP2, captured from redis-server 7.0.15.
    const SET_INFO_RESP2: &[u8] = b"*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n\
        :1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n\
        $48\r\nRW and ACCESS due to the optional `GET` argument\r\n$5\r\nflags\r\n\
        *4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n$12\r\nbegin_search\r\n\
        *4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n\
        $9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n\
        $7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

    /// `COMMAND INFO keys` over RESP2, captured from redis-server 7.0.15.
    const KEYS_INFO_RESP2: &[u8] = b"*1\r\n*10\r\n$4\r\nkeys\r\n:2\r\n*1\r\n+readonly\r\n:0\r\n:0\r\n:0\r\n*4\r\n\
        +@keyspace\r\n+@read\r\n+@slow\r\n+@dangerous\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n\
        $29\r\nnondeterministic_output_order\r\n*0\r\n*0\r\n";

    /// `COMMAND DOCS slaveof` over RESP2, captured from redis-server 7.0.15.
    const SLAVEOF_DOCS_RESP2: &[u8] = b"*2\r\n$7\r\nslaveof\r\n*16\r\n$7\r\nsummary\r\n$71\r\nMake the server a replica of another instance, or promote it as master.\r\n\
        $5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n\
        $4\r\nO(1)\r\n$9\r\ndoc_flags\r\n*1\r\n+deprecated\r\n$16\r\ndeprecated_since\r\n\
        $5\r\n5.0.0\r\n$11\r\nreplaced_by\r\n$11\r\n`REPLICAOF`\r\n$9\r\narguments\r\n\
        *1\r\n*6\r\n$4\r\nname\r\n$4\r\nargs\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\n\
        arguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$9\r\nhost-port\r\n$4\r\ntype\r\n\
        $5\r\nblock\r\n$9\r\narguments\r\n*2\r\n*4\r\n$4\r\nname\r\n$4\r\nhost\r\n\
        $4\r\ntype\r\n$6\r\nstring\r\n*4\r\n$4\r\nname\r\n$4\r\nport\r\n$4\r\ntype\r\n\
        $7\r\ninteger\r\n*6\r\n$4\r\nname\r\n$6\r\nno-one\r\n$4\r\ntype\r\n$5\r\n\
        block\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$2\r\nno\r\n$4\r\n\
        type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNO\r\n*6\r\n$4\r\nname\r\n\
        $3\r\none\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nONE\r\n";

    /// `COMMAND DOCS client|setname` over RESP2, captured from redis-server 7.0.15.
    const CLIENT_SETNAME_DOCS_RESP2: &[u8] =
        b"*2\r\n$14\r\nclient|setname\r\n*10\r\n$7\r\nsummary\r\n$31\r\nSet the current connection name\r\n\
        $5\r\nsince\r\n$5\r\n2.6.9\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\n\
        complexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*4\r\n$4\r\nname\r\n\
        $15\r\nconnection-name\r\n$4\r\ntype\r\n$6\r\nstring\r\n";

    /// `COMMAND INFO client|setname` over RESP2, captured from redis-server 7.0.15.
    const CLIENT_SETNAME_INFO_RESP2: &[u8] =
        b"*1\r\n*10\r\n$14\r\nclient|setname\r\n:3\r\n*3\r\n+noscript\r\n+loading\r\n\
        +stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n\
        *0\r\n";

    /// `COMMAND INFO nosuch` over RESP2, captured from redis-server 7.0.15.
    const NOSUCH_INFO_RESP2: &[u8] = b"*1\r\n$-1\r\n";

    /// `COMMAND INFO nosuch` over RESP3 (after HELLO 3), captured from redis-server 7.0.15.
    const NOSUCH_INFO_RESP3: &[u8] = b"*1\r\n_\r\n";
}
