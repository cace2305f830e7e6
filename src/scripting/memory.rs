//! The memory scripts use: [`ScriptMemory`], the global allocator (mimalloc underneath) that
//! counts the bytes each thread allocates, and the token that stops a script past
//! `limits.max_memory_mb`.
//!
//! Below everything else of the sandbox: it must not depend on the engine, the session or the
//! API (only on [`super::guard`], which it calls when one operation overdraws the limit).

use std::cell::Cell;

use super::guard;

/// The token with which the engine stops a script past `limits.max_memory_mb`.
#[derive(Debug, Clone, Copy)]
pub(super) struct MemoryLimit;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread through [`ScriptMemory`]. Const-initialised
    /// and without a destructor, so reading it never allocates (safe inside the allocator).
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    /// [`LIVE_BYTES`] when [`ScriptMemory::arm`] was last called on this thread.
    static ARMED_AT: Cell<isize> = const { Cell::new(0) };
    /// [`LIVE_BYTES`] past which one operation has overdrawn the memory limit so far that the
    /// process stops at once ([`guard::overdrawn`]); set while a script runs.
    static CEILING: Cell<isize> = const { Cell::new(isize::MAX) };
}

/// A global allocator that counts, per thread, the bytes allocated minus the bytes freed, so that
/// the script engine can stop a script whose data grows past `limits.max_memory_mb` (Rhai's own
/// size limits miss values grown by index assignment). It allocates through mimalloc: scripts
/// allocate for every decimal and string they touch, and mimalloc's thread-local free lists cut
/// the time spent in the allocator about in half next to the system allocator (the 10k-customer
/// run went from 2.68 G to 2.45 G instructions). The binary installs it:
///
/// ```ignore
/// #[global_allocator]
/// static MEMORY: reimburse::scripting::ScriptMemory = reimburse::scripting::ScriptMemory;
/// ```
///
/// Without it (a library user's own allocator), [`ScriptMemory::live_bytes`] stays 0 and the
/// memory limit is not enforced; the other limits are. The cost is one add to a thread-local
/// counter per allocation, reallocation and free. Counting per thread keeps scripts on different
/// threads from charging each other; memory freed by another thread than the one that allocated
/// it moves both counters, which only matters while a script runs (it has no threads).
pub struct ScriptMemory;

impl ScriptMemory {
    /// Bytes allocated minus bytes freed by the current thread since it started (can be negative
    /// for a thread that frees what others allocated); 0 when this allocator is not installed.
    pub fn live_bytes() -> isize {
        LIVE_BYTES.try_with(Cell::get).unwrap_or(0)
    }

    /// Starts measuring for an evaluation: [`ScriptMemory::used_bytes`] counts from here, and the
    /// wall clock of `limits.max_seconds` starts. Every caller of the script engine calls it
    /// before evaluating (a hook call, a script, a REPL entry), so the memory and time limits
    /// apply to each like the other limits.
    pub fn arm() {
        let live = Self::live_bytes();
        let _ = ARMED_AT.try_with(|at| at.set(live));
        let _ = CEILING.try_with(|c| c.set(isize::MAX));
        // And the wall clock of `limits.max_seconds`.
        guard::start_clock();
    }

    /// Bytes allocated minus bytes freed by the current thread since [`ScriptMemory::arm`].
    pub fn used_bytes() -> isize {
        Self::live_bytes().wrapping_sub(ARMED_AT.try_with(Cell::get).unwrap_or(0))
    }

    /// While a script runs (set at its operations): one operation that allocates more than
    /// twice `budget` (plus 64 MiB) past the start stops the process ([`guard::overdrawn`]).
    pub(super) fn set_ceiling(budget: isize) {
        let at = ARMED_AT.try_with(Cell::get).unwrap_or(0);
        let ceiling = at.saturating_add(budget.saturating_mul(2).saturating_add(64 << 20));
        let _ = CEILING.try_with(|c| c.set(ceiling));
    }

    /// No ceiling: the evaluation ended ([`guard::finish`]).
    pub(crate) fn clear_ceiling() {
        let _ = CEILING.try_with(|c| c.set(isize::MAX));
    }

    #[inline(always)]
    fn count(delta: isize) {
        let _ = LIVE_BYTES.try_with(|live| {
            let now = live.get().wrapping_add(delta);
            live.set(now);
            if delta > 0 && now > CEILING.try_with(Cell::get).unwrap_or(isize::MAX) {
                guard::overdrawn();
            }
        });
    }
}

// SAFETY: every call is forwarded unchanged to mimalloc (a complete `GlobalAlloc`); the counter is a
// thread-local `Cell` that does not allocate.
unsafe impl std::alloc::GlobalAlloc for ScriptMemory {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            Self::count(layout.size() as isize);
        }
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::count(layout.size() as isize);
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        Self::count(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            Self::count((new_size as isize).wrapping_sub(layout.size() as isize));
        }
        new
    }
}
