import CDuplexShims

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
}
