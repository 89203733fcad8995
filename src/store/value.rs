//! Values as the keyspace stores them, in compact encodings.
//!
//! A string is kept the way it is cheapest: an integer as an `i64` (Redis's "int" encoding),
//! up to 14 bytes inline in the value itself (no allocation at all), longer ones in one
//! exact-size heap block (a thin pointer and a 32-bit length), and strings that APPEND/SETRANGE
//! modify in a growable buffer ("raw"), so repeated appends are amortised O(1) a byte.
//!
//! Every value also carries its access clock (seconds, for OBJECT IDLETIME and LRU eviction) and
//! a background save's mark. `Value` is 24 bytes: a 16-byte representation, the clock, the mark.
//! OBJECT ENCODING reports what Redis 7.0 would for the same history.

use std::ptr::NonNull;

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;

/// Longest string kept inside the value.
pub const INLINE_MAX: usize = 14;
/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings are "raw" even when fresh.
const EMBSTR_MAX: usize = 44;

pub struct Value {
    repr: Repr,
    /// Last access, in seconds of the shard's clock ([`Value::touch`]).
    lru: u32,
    /// The background save that has this key written already, or that must leave it out (it
    /// came after the save's start): see [`crate::persistence::snapshot`]. In the 4 bytes the
    /// layout leaves spare.
    snap: u32,
}

enum Repr {
    /// A string that is the canonical decimal form of this integer.
    Int(i64),
    /// A short string, stored in place.
    Inline {
        len: u8,
        bytes: [u8; INLINE_MAX],
    },
    /// A string set as a whole (SET, MSET...), in one exact-size block we own.
    Heap {
        len: u32,
        ptr: NonNull<u8>,
    },
    /// A string modified in place (APPEND, SETRANGE), or too long for a 32-bit length.
    /// Boxed so that this variant stays 8 bytes and `Repr` 16.
    #[allow(clippy::box_collection)]
    Raw(Box<Vec<u8>>),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

// SAFETY: `Heap` owns its block exclusively (like a Box<[u8]>); nothing else points to it.
unsafe impl Send for Repr {}
unsafe impl Sync for Repr {}

impl Drop for Repr {
    fn drop(&mut self) {
        if let Repr::Heap { len, ptr } = *self {
            // SAFETY: allocated in `Value::string` as a Box<[u8]> of exactly `len` bytes.
            unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len as usize))) };
        }
    }
}

impl Clone for Value {
    fn clone(&self) -> Self {
        let repr = match &self.repr {
            Repr::Int(n) => Repr::Int(*n),
            Repr::Inline { len, bytes } => Repr::Inline { len: *len, bytes: *bytes },
            Repr::Heap { .. } => return Value { lru: self.lru, snap: self.snap, ..Value::string(self.heap_slice()) },
            Repr::Raw(v) => Repr::Raw(v.clone()),
            Repr::List(l) => Repr::List(l.clone()),
            Repr::Hash(h) => Repr::Hash(h.clone()),
            Repr::Set(x) => Repr::Set(x.clone()),
            Repr::ZSet(z) => Repr::ZSet(z.clone()),
            Repr::Stream(x) => Repr::Stream(x.clone()),
        };
        Value { repr, lru: self.lru, snap: self.snap }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
        self.as_bytes(&mut a) == other.as_bytes(&mut b)
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut scratch = itoa::Buffer::new();
        write!(f, "Value({:?}, {})", String::from_utf8_lossy(self.as_bytes(&mut scratch)), self.encoding())
    }
}

/// The type names TYPE and SCAN TYPE use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    List,
    Hash,
    Set,
    ZSet,
    Stream,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }
}

impl Value {
    /// A string value from client bytes, encoded as Redis's tryObjectEncoding would: integers
    /// (canonical form, at most 20 bytes) as `Int`, short strings inline.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        if bytes.len() <= 20 {
            if let Some(n) = crate::protocol::string2ll(bytes) {
                return Value::int(n);
            }
        }
        Self::string(bytes)
    }

    /// An integer value.
    pub fn int(n: i64) -> Value {
        Value { repr: Repr::Int(n), lru: 0, snap: 0 }
    }

    /// A string value kept as bytes even if it looks like an integer.
    pub fn string(bytes: &[u8]) -> Value {
        let repr = if bytes.len() <= INLINE_MAX {
            let mut inline = [0u8; INLINE_MAX];
            inline[..bytes.len()].copy_from_slice(bytes);
            Repr::Inline { len: bytes.len() as u8, bytes: inline }
        } else if let Ok(len) = u32::try_from(bytes.len()) {
            let boxed: Box<[u8]> = bytes.into();
            let ptr = NonNull::new(Box::into_raw(boxed) as *mut u8).expect("Box is non-null");
            Repr::Heap { len, ptr }
        } else {
            Repr::Raw(Box::new(bytes.to_vec()))
        };
        Value { repr, lru: 0, snap: 0 }
    }

    /// A string that will be modified in place (SETRANGE on a new key).
    pub fn raw(bytes: Vec<u8>) -> Value {
        Value { repr: Repr::Raw(Box::new(bytes)), lru: 0, snap: 0 }
    }

    fn heap_slice(&self) -> &[u8] {
        match self.repr {
            // SAFETY: the block holds exactly `len` initialised bytes and lives as long as self.
            Repr::Heap { len, ptr } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), len as usize) },
            _ => &[],
        }
    }

    pub fn kind(&self) -> Kind {
        match self.repr {
            Repr::List(_) => Kind::List,
            Repr::Hash(_) => Kind::Hash,
            Repr::Set(_) => Kind::Set,
            Repr::ZSet(_) => Kind::ZSet,
            Repr::Stream(_) => Kind::Stream,
            _ => Kind::String,
        }
    }

    /// A list, hash, set or sorted set with nothing left in it (Redis deletes such a key).
    pub fn is_empty_collection(&self) -> bool {
        match &self.repr {
            Repr::List(l) => l.is_empty(),
            Repr::Hash(h) => h.is_empty(),
            Repr::Set(x) => x.is_empty(),
            Repr::ZSet(z) => z.is_empty(),
            _ => false,
        }
    }

    /// A list value.
    pub fn list(list: List) -> Value {
        Value { repr: Repr::List(Box::new(list)), lru: 0, snap: 0 }
    }

    /// A hash value.
    pub fn hash(hash: Hash) -> Value {
        Value { repr: Repr::Hash(Box::new(hash)), lru: 0, snap: 0 }
    }

    pub fn as_list(&self) -> Option<&List> {
        match &self.repr {
            Repr::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match &mut self.repr {
            Repr::List(l) => Some(l),
            _ => None,
        }
    }

    /// A set value.
    pub fn set(set: Set) -> Value {
        Value { repr: Repr::Set(Box::new(set)), lru: 0, snap: 0 }
    }

    pub fn as_set(&self) -> Option<&Set> {
        match &self.repr {
            Repr::Set(x) => Some(x),
            _ => None,
        }
    }

    pub fn as_set_mut(&mut self) -> Option<&mut Set> {
        match &mut self.repr {
            Repr::Set(x) => Some(x),
            _ => None,
        }
    }

    /// A sorted-set value.
    pub fn zset(zset: ZSet) -> Value {
        Value { repr: Repr::ZSet(Box::new(zset)), lru: 0, snap: 0 }
    }

    pub fn as_zset(&self) -> Option<&ZSet> {
        match &self.repr {
            Repr::ZSet(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match &mut self.repr {
            Repr::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// A stream value.
    pub fn stream(stream: Stream) -> Value {
        Value { repr: Repr::Stream(Box::new(stream)), lru: 0, snap: 0 }
    }

    pub fn as_stream(&self) -> Option<&Stream> {
        match &self.repr {
            Repr::Stream(x) => Some(x),
            _ => None,
        }
    }

    pub fn as_stream_mut(&mut self) -> Option<&mut Stream> {
        match &mut self.repr {
            Repr::Stream(x) => Some(x),
            _ => None,
        }
    }

    pub fn as_hash(&self) -> Option<&Hash> {
        match &self.repr {
            Repr::Hash(h) => Some(h),
            _ => None,
        }
    }

    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match &mut self.repr {
            Repr::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The integer, if the value is stored as one.
    pub fn stored_int(&self) -> Option<i64> {
        match self.repr {
            Repr::Int(n) => Some(n),
            _ => None,
        }
    }

    /// The string's bytes; integers are formatted into `scratch`. Empty for other types:
    /// callers check [`Value::kind`] first (WRONGTYPE).
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> &'a [u8] {
        match &self.repr {
            Repr::Int(n) => scratch.format(*n).as_bytes(),
            Repr::Inline { len, bytes } => &bytes[..*len as usize],
            Repr::Heap { .. } => self.heap_slice(),
            Repr::Raw(v) => v,
            Repr::List(_) | Repr::Hash(_) | Repr::Set(_) | Repr::ZSet(_) | Repr::Stream(_) => &[],
        }
    }

    /// The string's length in bytes (STRLEN).
    pub fn str_len(&self) -> usize {
        match &self.repr {
            Repr::Int(n) => itoa::Buffer::new().format(*n).len(),
            Repr::Inline { len, .. } => *len as usize,
            Repr::Heap { len, .. } => *len as usize,
            Repr::Raw(v) => v.len(),
            Repr::List(_) | Repr::Hash(_) | Repr::Set(_) | Repr::ZSet(_) | Repr::Stream(_) => 0,
        }
    }

    /// The value as an integer, if it is one in canonical form (INCR and friends).
    pub fn as_int(&self) -> Option<i64> {
        match self.repr {
            Repr::Int(n) => Some(n),
            _ => {
                let mut scratch = itoa::Buffer::new();
                let bytes = self.as_bytes(&mut scratch);
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
        if !matches!(self.repr, Repr::Raw(_)) {
            let mut scratch = itoa::Buffer::new();
            let bytes = self.as_bytes(&mut scratch).to_vec();
            self.repr = Repr::Raw(Box::new(bytes));
        }
        match &mut self.repr {
            Repr::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Int(_) => "int",
            Repr::Inline { .. } => "embstr",
            Repr::Heap { len, .. } if *len as usize <= EMBSTR_MAX => "embstr",
            Repr::Heap { .. } | Repr::Raw(_) => "raw",
            Repr::List(l) => l.encoding(),
            Repr::Hash(h) => h.encoding(),
            Repr::Set(x) => x.encoding(),
            Repr::ZSet(z) => z.encoding(),
            Repr::Stream(_) => "stream",
        }
    }

    /// Bytes this value owns outside itself (MEMORY USAGE, memory accounting).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Int(_) | Repr::Inline { .. } => 0,
            Repr::Heap { len, .. } => *len as usize,
            Repr::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
            Repr::List(l) => l.memory(),
            Repr::Hash(h) => h.memory(),
            Repr::Set(x) => x.memory(),
            Repr::ZSet(z) => z.memory(),
            Repr::Stream(x) => x.memory(),
        }
    }

    /// Asks the CPU to start loading what this value points to (a save about to read it).
    #[inline]
    pub fn prefetch(&self) {
        let ptr: *const u8 = match &self.repr {
            Repr::Heap { ptr, .. } => ptr.as_ptr(),
            Repr::Raw(v) => v.as_ptr(),
            _ => return,
        };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint; it never faults, whatever the address.
        unsafe {
            std::arch::x86_64::_mm_prefetch(ptr as *const i8, std::arch::x86_64::_MM_HINT_NTA)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = ptr;
    }

    /// The background save this value is marked for (0: none).
    #[inline]
    pub fn snapshot_mark(&self) -> u32 {
        self.snap
    }

    #[inline]
    pub fn set_snapshot_mark(&mut self, epoch: u32) {
        self.snap = epoch;
    }

    /// Records an access: the LRU clock, or one more hit for the LFU counter.
    #[inline]
    pub fn touch(&mut self, access: Access) {
        self.lru = match access {
            Access::Lru(now_s) => now_s,
            Access::Lfu(lfu) => lfu.touched(self.lru),
        };
    }

    /// Ticks since the last access, on the LRU clock `now` (see [`lru_clock`]). An access
    /// stamped a little ahead (another shard's clock, read later in its pass) counts as now.
    #[inline]
    pub fn idle_ticks(&self, now: u32) -> u32 {
        match now.wrapping_sub(self.lru) {
            ahead if ahead > u32::MAX / 2 => 0,
            idle => idle,
        }
    }

    /// Seconds since the last access (OBJECT IDLETIME, the RDB's IDLE).
    pub fn idle_secs(&self, now: u32) -> u32 {
        self.idle_ticks(now) / LRU_TICKS_PER_SEC
    }

    /// The access word as it is: a time in seconds (LRU) or Redis's 24-bit LFU word.
    #[inline]
    pub fn access_word(&self) -> u32 {
        self.lru
    }

    #[inline]
    pub fn set_access_word(&mut self, word: u32) {
        self.lru = word;
    }
}

/// The LRU clock's ticks per second. Redis counts seconds; a finer clock tells the keys used in
/// the same second apart, which is what sampled LRU eviction needs to pick well. In a `u32`
/// it wraps after 497 days (Redis's 24-bit clock: 194).
pub const LRU_TICKS_PER_SEC: u32 = 100;

/// The LRU clock at `now_ms` (ms since the epoch), wrapping.
#[inline]
pub fn lru_clock(now_ms: u64) -> u32 {
    (now_ms / (1000 / LRU_TICKS_PER_SEC as u64)) as u32
}

/// How a value records an access (see `maxmemory-policy`).
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// The LRU clock (see [`lru_clock`]).
    Lru(u32),
    Lfu(Lfu),
}

/// Redis's LFU counter, in the value's access word: the time of the last decrement in minutes
/// (16 bits, wrapping) above an 8-bit logarithmic counter. A hit increments the counter with
/// probability 1 / ((counter - 5) * lfu-log-factor + 1); every `lfu-decay-time` minutes without
/// one take 1 off. A new key starts at 5, so it is not the first to go.
#[derive(Clone, Copy, Debug)]
pub struct Lfu {
    /// Now, in minutes, modulo 2^16.
    pub minutes: u16,
    pub log_factor: u32,
    pub decay_time: u32,
}

impl Lfu {
    /// LFU_INIT_VAL.
    pub const INITIAL: u8 = 5;

    pub fn new(now_ms: u64, log_factor: u32, decay_time: u32) -> Self {
        Lfu { minutes: (now_ms / 60_000) as u16, log_factor, decay_time }
    }

    /// The word of a value created now.
    pub fn fresh(self) -> u32 {
        self.word(Self::INITIAL)
    }

    /// The word holding `counter`, decremented now.
    pub fn word(self, counter: u8) -> u32 {
        (u32::from(self.minutes) << 8) | u32::from(counter)
    }

    /// The counter in `word` after the decay due by now (LFUDecrAndReturn).
    pub fn count(self, word: u32) -> u8 {
        let (then, counter) = ((word >> 8) as u16, (word & 255) as u8);
        if self.decay_time == 0 {
            return counter;
        }
        // LFUTimeElapsed: minutes since `then`, across the 16-bit wrap.
        let elapsed = if self.minutes >= then {
            u32::from(self.minutes - then)
        } else {
            65535 - u32::from(then) + u32::from(self.minutes)
        };
        let periods = elapsed / self.decay_time;
        counter.saturating_sub(periods.min(255) as u8)
    }

    /// `word` after one more hit (updateLFU).
    pub fn touched(self, word: u32) -> u32 {
        let mut counter = self.count(word);
        if counter < 255 {
            let base = f64::from(counter.saturating_sub(Self::INITIAL));
            if fastrand::f64() < 1.0 / (base * f64::from(self.log_factor) + 1.0) {
                counter += 1;
            }
        }
        self.word(counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size() {
        assert_eq!(std::mem::size_of::<Repr>(), 16);
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Value::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Value::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(Value::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Value::from_bytes(b"hello").encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 30]).encoding(), "embstr");
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
        for bytes in [&b""[..], b"0", b"-1", b"9223372036854775808", b"x", &[7u8; 14], &[9u8; 15], &[1u8; 100]] {
            let v = Value::from_bytes(bytes);
            let mut s = itoa::Buffer::new();
            assert_eq!(v.as_bytes(&mut s), bytes);
            assert_eq!(v.str_len(), bytes.len());
            let c = v.clone();
            assert_eq!(c, v);
            drop(v);
            assert_eq!(c.as_bytes(&mut s), bytes);
        }
        assert_eq!(Value::from_bytes(b"42").as_int(), Some(42));
        assert_eq!(Value::string(b"42").as_int(), Some(42));
        assert_eq!(Value::from_bytes(b"4.2").as_int(), None);
    }

    #[test]
    fn idle_time() {
        let mut v = Value::string(b"x");
        v.touch(Access::Lru(100));
        assert_eq!(v.idle_secs(100 + 30 * LRU_TICKS_PER_SEC), 30);
        assert_eq!(v.idle_secs(50), 0);
        assert_eq!(v.idle_ticks(u32::MAX), 0, "a stamp ahead of the clock is now");
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
        // SETRANGE can put a NUL inside a stored number; Redis reads all of it, not up to the NUL.
        assert_eq!(long_double_add(b"1\x002", b"1"), Err(FloatError::NotFloat));
        assert_eq!(long_double_add(b"1", b"1\x00"), Err(FloatError::NotFloat));
    }
}
