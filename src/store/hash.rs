//! Hashes (placeholder: the collections issue fills this in).

/// A hash value.
#[derive(Clone, Debug, Default)]
pub struct Hash {}

impl Hash {
    pub fn len(&self) -> usize {
        0
    }

    pub fn is_empty(&self) -> bool {
        true
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Bytes owned by this hash (MEMORY USAGE, accounting).
    pub fn memory(&self) -> usize {
        0
    }
}
