//! What the process has allocated, counted by the allocator itself: `used_memory`, and what
//! `maxmemory` is held against.
//!
//! [`Counting`] is jemalloc with a count kept on the side, as Redis's zmalloc keeps one: every
//! allocation adds the size jemalloc really gives it (its size class, `nallocx`), every free
//! takes it off. Shards must not share a counter (a cache line that every core writes on every
//! allocation would cost more than the allocation), so each thread counts in a thread-local
//! and adds what it counted to a slot of its own, one cache line per thread, once the amount
//! passes [`PUBLISH_AT`] either way. The sum of the slots is the process's total, exact but
//! for what threads have not published yet: at most `PUBLISH_AT` a thread.
//!
//! A thread's own slot is not what its shard holds: memory allocated on one core and freed on
//! another (a request sent to the key's owner) adds on one and takes off on the other. Only
//! the sum means something, and eviction uses only the sum (see [`crate::shard::evict`]).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// A thread publishes its count once it has moved this far (in bytes, either way).
const PUBLISH_AT: i64 = 32 * 1024;
/// Slots: one a thread, the last shared by threads past the others.
const SLOTS: usize = 256;

#[repr(align(64))]
struct Slot(AtomicI64);

static COUNTS: [Slot; SLOTS] = [const { Slot(AtomicI64::new(0)) }; SLOTS];
/// Slots handed out so far.
static TAKEN: AtomicUsize = AtomicUsize::new(0);
/// Set once the counting allocator has run (a binary without it: counts stay zero).
static COUNTING: AtomicBool = AtomicBool::new(false);

struct Local {
    slot: Cell<usize>,
    pending: Cell<i64>,
}

thread_local! {
    static LOCAL: Local = const { Local { slot: Cell::new(usize::MAX), pending: Cell::new(0) } };
}

/// The global allocator: jemalloc, counted.
pub struct Counting;

/// jemalloc's flags for `layout`, as tikv-jemallocator passes them.
#[inline]
fn flags(layout: &Layout) -> i32 {
    // The alignment every jemalloc allocation has on x86-64 and aarch64.
    const MIN_ALIGN: usize = 16;
    if layout.align() <= MIN_ALIGN && layout.align() <= layout.size() {
        0
    } else {
        layout.align().trailing_zeros() as i32 // MALLOCX_LG_ALIGN
    }
}

/// What jemalloc really sets aside for `layout`: its size class.
#[inline]
fn real_size(layout: &Layout) -> i64 {
    // SAFETY: nallocx only computes a size class; a zero size is the one input it refuses.
    unsafe { tikv_jemalloc_sys::nallocx(layout.size().max(1), flags(layout)) as i64 }
}

#[inline]
fn count(bytes: i64) {
    // A thread being torn down has no locals left: its count goes straight to the shared slot.
    let counted = LOCAL.try_with(|local| {
        let pending = local.pending.get() + bytes;
        if pending.abs() < PUBLISH_AT {
            local.pending.set(pending);
        } else {
            local.pending.set(0);
            COUNTS[slot_of(local)].0.fetch_add(pending, Ordering::Relaxed);
        }
    });
    if counted.is_err() {
        COUNTS[SLOTS - 1].0.fetch_add(bytes, Ordering::Relaxed);
    }
}

fn slot_of(local: &Local) -> usize {
    let slot = local.slot.get();
    if slot != usize::MAX {
        return slot;
    }
    let slot = TAKEN.fetch_add(1, Ordering::Relaxed).min(SLOTS - 1);
    local.slot.set(slot);
    slot
}

// SAFETY: every call is passed to jemalloc as tikv-jemallocator passes it; counting allocates
// nothing.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = tikv_jemallocator::Jemalloc.alloc(layout);
        if !ptr.is_null() {
            count(real_size(&layout));
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = tikv_jemallocator::Jemalloc.alloc_zeroed(layout);
        if !ptr.is_null() {
            count(real_size(&layout));
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-real_size(&layout));
        tikv_jemallocator::Jemalloc.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size);
        if !new.is_null() {
            // SAFETY: the new layout is valid: realloc's contract.
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            count(real_size(&new_layout) - real_size(&layout));
        }
        new
    }
}

impl Counting {
    /// Starts counting (from `main`, before anything is allocated that matters).
    pub fn start(&self) {
        COUNTING.store(true, Ordering::Relaxed);
    }
}

/// The most [`used`] has returned (`used_memory_peak`), and what it returned first after the
/// server started (`used_memory_startup`).
static PEAK: AtomicU64 = AtomicU64::new(0);
static STARTUP: AtomicU64 = AtomicU64::new(0);

/// Bytes the process has allocated, as the threads have published them (None: the counting
/// allocator is not the global one).
pub fn used() -> Option<u64> {
    if !COUNTING.load(Ordering::Relaxed) {
        return None;
    }
    let taken = TAKEN.load(Ordering::Relaxed).min(SLOTS - 1);
    let sum: i64 = COUNTS[..taken].iter().chain([&COUNTS[SLOTS - 1]]).map(|s| s.0.load(Ordering::Relaxed)).sum();
    let used = sum.max(0) as u64;
    if used > PEAK.load(Ordering::Relaxed) {
        PEAK.fetch_max(used, Ordering::Relaxed);
    }
    Some(used)
}

/// `used_memory`: the count, or jemalloc's `allocated` where the counting allocator is not
/// installed (benches, tests in process).
pub fn used_memory() -> u64 {
    used().unwrap_or_else(|| allocator_stats().0)
}

/// `used_memory_peak`.
pub fn peak() -> u64 {
    PEAK.load(Ordering::Relaxed).max(used_memory())
}

/// Records `used_memory_startup` (once: the server is up).
pub fn mark_startup() {
    let _ = STARTUP.compare_exchange(0, used_memory(), Ordering::Relaxed, Ordering::Relaxed);
}

/// Memory eviction does not hold against `maxmemory` (the kernel's receive buffers).
static NOT_COUNTED: AtomicI64 = AtomicI64::new(0);

/// Adds `bytes` (or takes them off) to what eviction leaves out.
pub fn not_counted(bytes: i64) {
    NOT_COUNTED.fetch_add(bytes, Ordering::Relaxed);
}

/// `mem_not_counted_for_evict`.
pub fn not_counted_for_evict() -> u64 {
    NOT_COUNTED.load(Ordering::Relaxed).max(0) as u64
}

/// `used_memory_startup`.
pub fn startup() -> u64 {
    STARTUP.load(Ordering::Relaxed)
}

/// MEMORY RESETSTATS / CONFIG RESETSTAT: the peak starts again from now.
pub fn reset_peak() {
    PEAK.store(used_memory(), Ordering::Relaxed);
}

/// Publishes what this thread has counted (a thread about to end, or one that wants its own
/// frees seen at once).
pub fn publish() {
    let _ = LOCAL.try_with(|local| {
        let pending = local.pending.replace(0);
        if pending != 0 {
            COUNTS[slot_of(local)].0.fetch_add(pending, Ordering::Relaxed);
        }
    });
}

/// What this thread has allocated less what it has freed, since it started (published or
/// not). Only differences mean something: how much a piece of work freed on this thread.
pub fn thread_balance() -> i64 {
    LOCAL
        .try_with(|local| {
            let published = match local.slot.get() {
                usize::MAX => 0,
                slot => COUNTS[slot].0.load(Ordering::Relaxed),
            };
            published + local.pending.get()
        })
        .unwrap_or(0)
}

/// Starts or stops jemalloc's background threads (`jemalloc-bg-thread`, as Redis sets it):
/// without them jemalloc returns freed pages only when allocating, so an idle server keeps
/// what it freed.
pub fn background_threads(on: bool) {
    let _ = tikv_jemalloc_ctl::background_thread::write(on);
}

/// Gives every arena's unused dirty pages back to the system now (MEMORY PURGE), after this
/// thread's cache of freed small objects goes back to the arena: objects the cache keeps hold
/// their slabs, and with them whole pages, from being purged.
pub fn purge() {
    flush_thread_cache();
    // MALLCTL_ARENAS_ALL is 4096.
    let name = c"arena.4096.purge";
    // SAFETY: a void control: no old value is read, no new value is written.
    unsafe {
        tikv_jemalloc_sys::mallctl(name.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut(), 0);
    }
}

/// Hands this thread's cache of freed small objects back to its arena, where whole free slabs
/// can be purged (an idle thread's cache is otherwise kept until it allocates again).
pub fn flush_thread_cache() {
    let name = c"thread.tcache.flush";
    // SAFETY: a void control: no old value is read, no new value is written.
    unsafe {
        tikv_jemalloc_sys::mallctl(name.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut(), 0);
    }
}

/// jemalloc's own statistics, refreshed: (allocated, active, resident, retained) bytes.
pub fn allocator_stats() -> (u64, u64, u64, u64) {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    (
        stats::allocated::read().unwrap_or(0) as u64,
        stats::active::read().unwrap_or(0) as u64,
        stats::resident::read().unwrap_or(0) as u64,
        stats::retained::read().unwrap_or(0) as u64,
    )
}
