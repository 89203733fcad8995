//! A byte buffer behind one thin pointer, sized exactly to its contents.
//!
//! The compact encodings (a small hash's pairs, ...) are one buffer each, and there are millions
//! of them: a `Vec<u8>` would spend 24 bytes on its handle and up to half its block on spare
//! capacity. A `Blob` is one 8-byte pointer to a block holding a 32-bit length and the bytes,
//! reallocated to the exact size on every change, as Redis's listpack is. The allocator
//! (jemalloc) rounds sizes up to a class and resizes within a class in place, so a change that
//! stays within the class moves nothing.

use std::alloc::{alloc, dealloc, handle_alloc_error, realloc, Layout};
use std::ops::{Deref, DerefMut, Range};
use std::ptr::NonNull;

/// Largest compact encoding, as Redis's `LISTPACK_MAX_SAFETY_SIZE`: a small hash or sorted set
/// that would grow past it converts to its big encoding (and a blob's 32-bit length is safe).
pub const SAFETY_MAX: usize = 1 << 30;

/// Bytes before the contents: the length, as a `u32`.
const HEADER: usize = 4;

pub struct Blob {
    /// The block: a `u32` length, then that many bytes.
    ptr: NonNull<u8>,
}

// SAFETY: a Blob owns its block exclusively, like a Box<[u8]>.
unsafe impl Send for Blob {}
unsafe impl Sync for Blob {}

fn layout(len: usize) -> Layout {
    Layout::from_size_align(HEADER + len, std::mem::align_of::<u32>()).expect("blob size fits a layout")
}

impl Blob {
    pub fn new() -> Blob {
        Blob::from_slice(&[])
    }

    pub fn from_slice(bytes: &[u8]) -> Blob {
        assert!(bytes.len() <= u32::MAX as usize, "blob longer than 4 GiB");
        let layout = layout(bytes.len());
        // SAFETY: the layout is at least HEADER bytes, never zero-sized.
        let ptr = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(ptr) else { handle_alloc_error(layout) };
        // SAFETY: the block has room for the header and `bytes.len()` bytes after it, and is
        // aligned for the u32 header.
        unsafe {
            ptr.as_ptr().cast::<u32>().write(bytes.len() as u32);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr().add(HEADER), bytes.len());
        }
        Blob { ptr }
    }

    /// Bytes the block takes from the allocator (before its size-class rounding).
    pub fn allocated(&self) -> usize {
        HEADER + self.len()
    }

    fn stored_len(&self) -> usize {
        // SAFETY: every block starts with its aligned u32 length.
        unsafe { self.ptr.as_ptr().cast::<u32>().read() as usize }
    }

    /// Resizes the block to hold `len` bytes (keeping the first min(old, len) of them) and
    /// records the new length.
    fn resize(&mut self, len: usize) {
        assert!(len <= u32::MAX as usize, "blob longer than 4 GiB");
        let old = layout(self.stored_len());
        // SAFETY: `ptr` was allocated with `old`; the new size is non-zero.
        let ptr = unsafe { realloc(self.ptr.as_ptr(), old, HEADER + len) };
        let Some(ptr) = NonNull::new(ptr) else { handle_alloc_error(layout(len)) };
        self.ptr = ptr;
        // SAFETY: the block now has room for the header, aligned as before.
        unsafe { ptr.as_ptr().cast::<u32>().write(len as u32) };
    }

    /// Replaces the bytes in `range` with `with`, moving what follows.
    pub fn splice(&mut self, range: Range<usize>, with: &[u8]) {
        let len = self.stored_len();
        assert!(range.start <= range.end && range.end <= len, "splice range within the blob");
        let tail = len - range.end;
        let new_len = len - range.len() + with.len();
        if new_len > len {
            self.resize(new_len);
        }
        // SAFETY: the block holds max(len, new_len) bytes after the header; the tail moves
        // within it (ptr::copy handles the overlap) and `with` is not inside our block (we
        // hold `&mut self`, so no borrow of our bytes can exist).
        unsafe {
            let base = self.ptr.as_ptr().add(HEADER);
            std::ptr::copy(base.add(range.end), base.add(range.start + with.len()), tail);
            std::ptr::copy_nonoverlapping(with.as_ptr(), base.add(range.start), with.len());
        }
        if new_len < len {
            self.resize(new_len);
        }
    }

    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        let len = self.len();
        self.splice(len..len, bytes);
    }

    /// Removes the bytes in `range`.
    pub fn remove(&mut self, range: Range<usize>) {
        self.splice(range, &[]);
    }
}

impl Default for Blob {
    fn default() -> Self {
        Blob::new()
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        // SAFETY: allocated with exactly this layout (the stored length is kept current).
        unsafe { dealloc(self.ptr.as_ptr(), layout(self.stored_len())) };
    }
}

impl Deref for Blob {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the stored length many initialised bytes follow the header.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(HEADER), self.stored_len()) }
    }
}

impl DerefMut for Blob {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(HEADER), self.stored_len()) }
    }
}

impl Clone for Blob {
    fn clone(&self) -> Self {
        Blob::from_slice(self)
    }
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_like_a_vec() {
        let mut model: Vec<u8> = Vec::new();
        let mut blob = Blob::new();
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n.max(1)
        };
        for round in 0..2000 {
            let len = model.len();
            let start = next(len + 1);
            let end = start + next(len - start + 1);
            let with: Vec<u8> = (0..next(40)).map(|i| (round + i) as u8).collect();
            model.splice(start..end, with.iter().copied());
            blob.splice(start..end, &with);
            assert_eq!(&*blob, &model[..]);
        }
        blob.extend_from_slice(b"tail");
        model.extend_from_slice(b"tail");
        blob.remove(0..1);
        model.remove(0);
        assert_eq!(&*blob, &model[..]);
        assert_eq!(&*blob.clone(), &model[..]);
        assert_eq!(blob.allocated(), model.len() + HEADER);
        blob[0] = 9;
        assert_eq!(blob[0], 9);
        assert_eq!(&*Blob::default(), b"");
    }
}
