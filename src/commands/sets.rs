//! sets commands (placeholder: the collections issue fills this in).

use super::Spec;

pub const SPECS: &[Spec] = &[];
