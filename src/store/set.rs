//! Sets (placeholder: the collections issue fills this in).

/// A set value.
#[derive(Clone, Debug, Default)]
pub struct Set {}

impl Set {
    pub fn len(&self) -> usize {
        0
    }

    pub fn is_empty(&self) -> bool {
        true
    }

    /// OBJECT ENCODING, as Redis 7.0 names it.
    pub fn encoding(&self) -> &'static str {
        "intset"
    }

    /// Bytes owned by this set (MEMORY USAGE, accounting).
    pub fn memory(&self) -> usize {
        0
    }
}
