//! A ring of provided buffers for multishot receives.
//!
//! With a multishot receive armed once per connection, the kernel picks a free buffer from this
//! ring for every chunk that arrives and posts a completion naming it; the shard copies the bytes
//! into the connection's input and hands the buffer straight back. No receive is re-armed per
//! request, and no connection pins a buffer while it is idle.

use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;

pub struct BufRing {
    /// `entries` ring slots, page-aligned (mmap), shared with the kernel.
    ring: *mut BufRingEntry,
    ring_len: usize,
    entries: u16,
    tail: u16,
    bufs: Box<[u8]>,
    buf_size: usize,
    pub bgid: u16,
}

impl BufRing {
    /// Registers `entries` (a power of two) buffers of `buf_size` bytes as group `bgid`.
    pub fn new(ring: &IoUring, bgid: u16, entries: u16, buf_size: usize) -> std::io::Result<Self> {
        assert!(entries.is_power_of_two());
        let ring_len = entries as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: anonymous private mapping, checked for failure; unmapped in Drop.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ring_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // The kernel's receive buffers are the server's machinery, not data: INFO counts them
        // in used_memory, eviction does not (mem_not_counted_for_evict, as Redis's replication
        // buffers).
        crate::memory::not_counted(entries as i64 * buf_size as i64);
        let mut this = BufRing {
            ring: ptr as *mut BufRingEntry,
            ring_len,
            entries,
            tail: 0,
            bufs: vec![0u8; entries as usize * buf_size].into_boxed_slice(),
            buf_size,
            bgid,
        };
        for bid in 0..entries {
            this.push(bid);
        }
        this.publish();
        // SAFETY: the ring memory lives until Drop, which runs after the io_uring is dropped
        // (the Reactor declares the ring field first).
        unsafe { ring.submitter().register_buf_ring_with_flags(ptr as u64, entries, bgid, 0)? };
        Ok(this)
    }

    fn push(&mut self, bid: u16) {
        let slot = (self.tail & (self.entries - 1)) as usize;
        // SAFETY: slot < entries, inside the mapping.
        let entry = unsafe { &mut *self.ring.add(slot) };
        entry.set_addr(self.bufs[bid as usize * self.buf_size..].as_ptr() as u64);
        entry.set_len(self.buf_size as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    fn publish(&self) {
        // SAFETY: the tail field overlays the first entry's reserved field; the kernel reads it
        // with acquire semantics.
        unsafe {
            let tail = BufRingEntry::tail(self.ring) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }

    /// The first `len` bytes of buffer `bid`.
    pub fn data(&self, bid: u16, len: usize) -> &[u8] {
        let start = bid as usize * self.buf_size;
        &self.bufs[start..start + len.min(self.buf_size)]
    }

    /// Gives the buffers' pages back to the system (their contents are not needed: every
    /// buffer is recycled as soon as its data is copied out). Only between waits: with
    /// DEFER_TASKRUN the kernel fills buffers only while this thread waits in the ring.
    pub fn release_pages(&mut self) {
        const PAGE: usize = 4096;
        let start = self.bufs.as_mut_ptr() as usize;
        let (from, to) = (start.next_multiple_of(PAGE), (start + self.bufs.len()) / PAGE * PAGE);
        if to > from {
            // SAFETY: whole pages inside our own allocation; MADV_DONTNEED leaves them mapped,
            // reading as zeroes until written again.
            unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED) };
        }
    }

    /// Gives buffer `bid` back to the kernel.
    pub fn recycle(&mut self, bid: u16) {
        self.push(bid);
        self.publish();
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.ring as *mut libc::c_void, self.ring_len) };
        crate::memory::not_counted(-(self.bufs.len() as i64));
    }
}
