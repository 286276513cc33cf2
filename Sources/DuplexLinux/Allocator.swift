import CDuplexShims
import Glibc
public import SystemPackage

/// Process-wide settings of the C allocator (glibc `malloc`).
public enum Allocator {
    /// Makes every thread allocate from glibc's main arena. A thread's own arena is a heap that
    /// glibc grows with an `mprotect` call every few pages, which made about a quarter of a
    /// standby's work when it built a 100 MB snapshot (about 25,000 calls); the main arena grows
    /// with `brk` in 128 KiB steps. The daemon's threads seldom allocate at the same time (the
    /// pair thread not at all after start-up), so one arena costs no contention to speak of,
    /// and it keeps the footprint of one heap.
    ///
    /// Call first thing in `main`, before any other thread starts. The corresponding C call is
    /// `mallopt(M_ARENA_MAX, 1)`.
    /// - Returns: whether the allocator took the setting.
    @discardableResult
    public static func useSingleArena() -> Bool {
        CDuplexShims_malloc_single_arena() == 1
    }

    /// Makes room at the top of the heap for `bytes` that are about to be allocated (a replica
    /// arriving in a snapshot: 100,000 sections of 1 KiB), in memory the kernel backs with
    /// transparent huge pages, after `nursery` bytes of ordinary pages. Building a 100 MB
    /// replica in 4 KiB pages faulted about 25,000 of them, each zeroed and charged on its own:
    /// more than half the standby's checkpoint thread. The room stays at the heap's top (glibc's
    /// trim threshold is raised to hold it); untouched, it costs address space only.
    /// - Parameters:
    ///   - nursery: ordinary pages below the room, which small allocations take first, so that a
    ///     daemon that holds little does not fault a 2 MiB page for a few bytes.
    /// - Throws: `Errno` (EINVAL: fewer than 2 MiB or more than 1 GiB, or a kernel without
    ///   transparent huge pages; ENOMEM).
    public static func reserve(bytes: Int, nursery: Int = 0) throws(Errno) {
        guard bytes > 0, nursery >= 0 else { throw Errno(rawValue: EINVAL) }
        guard CDuplexShims_malloc_reserve(nursery, bytes) == 0 else { throw Errno(rawValue: errno) }
    }

    /// The room `duplexd` makes at start (see `reserve`): a quarter of the board's memory, at most
    /// 1 GiB, above a 4 MiB nursery. Checkpoints and replicas up to that size live in huge pages
    /// on both boards; beyond it the heap grows as usual. An idle daemon's heap holds well under
    /// the nursery (about 0.4 MiB resident). The nursery was 16 MiB: a replica's section table
    /// (12.6 MB for 100,000 sections, one block) fitted in it and so lay in 4 KiB pages, about
    /// 3,000 of them faulted one at a time while the snapshot arrived; now it lies in the room.
    public static var startRoom: (bytes: Int, nursery: Int) {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let memory = pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : 0
        return (bytes: min(memory / 4, (1 << 30) - (2 << 20)), nursery: 4 << 20)
    }
}
