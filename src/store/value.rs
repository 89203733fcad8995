//! Values as the keyspace stores them, in compact encodings.
//!
//! A string is kept the way it is cheapest: an integer as an `i64` (Redis's "int" encoding),
//! up to 22 bytes inline in the value itself ("embstr": no allocation at all), longer ones in one
//! exact-size heap block, and strings that APPEND/SETRANGE modify in a growable buffer ("raw"),
//! so repeated appends are amortised O(1) a byte. `Value` is 24 bytes.
//! OBJECT ENCODING reports what Redis 7.0 would for the same history.

/// Longest string kept inside the value.
pub const INLINE_MAX: usize = 22;
/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings are "raw" even when fresh.
const EMBSTR_MAX: usize = 44;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string that is the canonical decimal form of this integer.
    Int(i64),
    /// A short string, stored in place.
    Inline { len: u8, bytes: [u8; INLINE_MAX] },
    /// A string set as a whole (SET, MSET...), exactly sized.
    Heap(Box<[u8]>),
    /// A string modified in place (APPEND, SETRANGE): room to grow.
    Raw(Box<Vec<u8>>),
}

/// The type names TYPE and SCAN TYPE use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
        }
    }
}

impl Value {
    /// A string value from client bytes, encoded as Redis's tryObjectEncoding would: integers
    /// (canonical form, at most 20 bytes) as `Int`, short strings inline.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        if bytes.len() <= 20 {
            if let Some(n) = crate::protocol::string2ll(bytes) {
                return Value::Int(n);
            }
        }
        Self::string(bytes)
    }

    /// A string value kept as bytes even if it looks like an integer.
    pub fn string(bytes: &[u8]) -> Value {
        if bytes.len() <= INLINE_MAX {
            let mut inline = [0u8; INLINE_MAX];
            inline[..bytes.len()].copy_from_slice(bytes);
            Value::Inline { len: bytes.len() as u8, bytes: inline }
        } else {
            Value::Heap(bytes.into())
        }
    }

    pub fn kind(&self) -> Kind {
        Kind::String
    }

    /// The string's bytes; integers are formatted into `scratch`.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> &'a [u8] {
        match self {
            Value::Int(n) => scratch.format(*n).as_bytes(),
            Value::Inline { len, bytes } => &bytes[..*len as usize],
            Value::Heap(b) => b,
            Value::Raw(v) => v,
        }
    }

    /// The string's length in bytes (STRLEN).
    pub fn str_len(&self) -> usize {
        match self {
            Value::Int(n) => itoa::Buffer::new().format(*n).len(),
            Value::Inline { len, .. } => *len as usize,
            Value::Heap(b) => b.len(),
            Value::Raw(v) => v.len(),
        }
    }

    /// The value as an integer, if it is one in canonical form (INCR and friends).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            other => {
                let mut scratch = itoa::Buffer::new();
                let bytes = other.as_bytes(&mut scratch);
                if bytes.len() <= 20 {
                    crate::protocol::string2ll(bytes)
                } else {
                    None
                }
            }
        }
    }

    /// A growable buffer for in-place edits (APPEND, SETRANGE); the value becomes "raw".
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Value::Raw(_)) {
            let mut scratch = itoa::Buffer::new();
            let bytes = self.as_bytes(&mut scratch).to_vec();
            *self = Value::Raw(Box::new(bytes));
        }
        match self {
            Value::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Inline { .. } => "embstr",
            Value::Heap(b) if b.len() <= EMBSTR_MAX => "embstr",
            Value::Heap(_) | Value::Raw(_) => "raw",
        }
    }

    /// Bytes this value owns outside itself (MEMORY USAGE, memory accounting).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Int(_) | Value::Inline { .. } => 0,
            Value::Heap(b) => b.len(),
            Value::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Value::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Value::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(Value::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Value::from_bytes(b"hello").encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = Value::from_bytes(b"ab");
        v.make_raw().extend_from_slice(b"c");
        assert_eq!(v.encoding(), "raw");
        let mut s = itoa::Buffer::new();
        assert_eq!(v.as_bytes(&mut s), b"abc");
    }

    #[test]
    fn round_trips() {
        for bytes in [&b""[..], b"0", b"-1", b"9223372036854775808", b"x", &[7u8; 22], &[9u8; 23], &[1u8; 100]] {
            let v = Value::from_bytes(bytes);
            let mut s = itoa::Buffer::new();
            assert_eq!(v.as_bytes(&mut s), bytes);
            assert_eq!(v.str_len(), bytes.len());
        }
        assert_eq!(Value::from_bytes(b"42").as_int(), Some(42));
        assert_eq!(Value::string(b"42").as_int(), Some(42));
        assert_eq!(Value::from_bytes(b"4.2").as_int(), None);
    }
}

extern "C" {
    fn shardis_ld_add(a: *const u8, alen: usize, b: *const u8, blen: usize, out: *mut u8, outlen: usize) -> i64;
}

/// Why a long double addition failed.
#[derive(Debug, PartialEq)]
pub enum FloatError {
    /// An operand is not a valid float ("ERR value is not a valid float").
    NotFloat,
    /// The sum is NaN or infinite ("ERR increment would produce NaN or Infinity").
    NanOrInf,
}

/// `value + incr` in C's long double, formatted as Redis's INCRBYFLOAT replies.
pub fn long_double_add(value: &[u8], incr: &[u8]) -> Result<Vec<u8>, FloatError> {
    let mut out = vec![0u8; 5 * 1024 + 64];
    // SAFETY: pointers and lengths of live buffers; the C side writes at most `out.len()` bytes.
    let n =
        unsafe { shardis_ld_add(value.as_ptr(), value.len(), incr.as_ptr(), incr.len(), out.as_mut_ptr(), out.len()) };
    match n {
        -1 => Err(FloatError::NotFloat),
        n if n < 0 => Err(FloatError::NanOrInf),
        n => {
            out.truncate(n as usize);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod float_tests {
    use super::*;

    #[test]
    fn long_double_like_redis() {
        let add = |a: &str, b: &str| String::from_utf8(long_double_add(a.as_bytes(), b.as_bytes()).unwrap()).unwrap();
        // Replies of Redis 7.0.15.
        assert_eq!(add("10.5", "0.1"), "10.6");
        assert_eq!(add("3000", "1.1"), "3001.10000000000000009");
        assert_eq!(add("5.0e3", "2.0e2"), "5200");
        assert_eq!(add("1", "-0.9"), "0.1");
        assert_eq!(add("10", "1e20"), "100000000000000000008");
        assert_eq!(add("-1", "1"), "0");
        assert_eq!(long_double_add(b"1", b"x"), Err(FloatError::NotFloat));
        assert_eq!(long_double_add(b" 1", b"1"), Err(FloatError::NotFloat));
        assert_eq!(long_double_add(b"1", b"inf"), Err(FloatError::NanOrInf));
        assert_eq!(long_double_add(b"1", b"1e5000"), Err(FloatError::NotFloat));
    }
}
