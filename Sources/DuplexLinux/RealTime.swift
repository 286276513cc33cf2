public import SystemPackage
import CDuplexShims

/// Real-time settings for the pair thread. Both calls report their outcome instead of logging
/// or throwing: without `CAP_SYS_NICE`/`CAP_IPC_LOCK` the daemon logs a warning and carries on.
public enum RealTime: Sendable {
    /// Locks the process's pages in memory as they are first touched, so the pair thread never
    /// waits for a page to come back from disk or swap once it has run its paths. Pages that
    /// are never touched (most of a static binary) stay out of memory, so the resident size
    /// stays small. Call it once, after start-up allocation.
    ///
    /// The corresponding C function is `mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)`, or
    /// `mlockall(MCL_CURRENT | MCL_FUTURE)` on kernels without `MCL_ONFAULT` (before 4.4).
    /// - Returns: `.failure(EPERM)` without `CAP_IPC_LOCK`, `.failure(ENOMEM)` over
    ///   `RLIMIT_MEMLOCK`.
    @discardableResult
    public static func lockMemory() -> Result<Void, Errno> {
        outcome { CDuplexShims_mlockall() }
    }

    /// Drops the code and constant pages that start-up touched from the process's resident
    /// set, so that `lockMemory` then keeps (and locks) only the pages used from now on.
    ///
    /// Every read-only segment of the program and its shared libraries is unmapped from the
    /// page tables; its pages stay in the page cache and come back with a minor fault on the
    /// next access. Writable segments (data, relocations) are never touched, so no state is
    /// lost. Call it once, after start-up and before `lockMemory`: locked pages cannot be
    /// dropped (`madvise` then fails with `EINVAL`). A debugger's software breakpoints set
    /// before the call are dropped with the pages.
    ///
    /// The corresponding C calls are `dl_iterate_phdr` and `madvise(MADV_DONTNEED)` for each
    /// `PT_LOAD` segment without `PF_W`.
    /// - Returns: the number of segments trimmed, or the first `madvise` error.
    @discardableResult
    public static func trimStartupPages() -> Result<Int, Errno> {
        do throws(Errno) {
            return .success(Int(try Syscall.retrying { CDuplexShims_trim_read_only_segments() }))
        } catch {
            return .failure(error)
        }
    }

    /// The priorities `SCHED_FIFO` accepts (1...99 on Linux), asked once: the kernel's range
    /// does not change, and a standby's checkpoint thread changes its priority twice per
    /// synchronous write it polls for (two system calls each time saved).
    ///
    /// The corresponding C functions are `sched_get_priority_min` and `sched_get_priority_max`.
    public static let fifoPriorityRange: ClosedRange<Int32> =
        CDuplexShims_fifo_priority_min()...CDuplexShims_fifo_priority_max()

    /// Puts the calling thread (only) under `SCHED_FIFO` at `priority`.
    ///
    /// The corresponding C function is `sched_setscheduler(0, SCHED_FIFO, priority)`.
    /// - Parameter priority: within `fifoPriorityRange`.
    /// - Returns: `.failure(EPERM)` without `CAP_SYS_NICE` (or with a zero `RLIMIT_RTPRIO`),
    ///   `.failure(EINVAL)` for a priority out of range.
    @discardableResult
    public static func setFIFOPriority(_ priority: Int32) -> Result<Void, Errno> {
        guard fifoPriorityRange.contains(priority) else { return .failure(.invalidArgument) }
        return outcome { CDuplexShims_set_fifo_priority(priority) }
    }

    /// The calling thread back under the normal scheduler (`SCHED_OTHER`, nice unchanged).
    ///
    /// The corresponding C function is `sched_setscheduler(0, SCHED_OTHER, 0)`.
    @discardableResult
    public static func setNormalScheduling() -> Result<Void, Errno> {
        outcome { CDuplexShims_set_normal_scheduler() }
    }

    /// The calling thread's `SCHED_FIFO` priority, or nil when it runs under another policy
    /// (or the kernel does not say).
    ///
    /// The corresponding C functions are `sched_getscheduler(0)` and `sched_getparam(0)`.
    public static var fifoPriority: Int32? {
        let priority = CDuplexShims_fifo_priority_self()
        return priority > 0 ? priority : nil
    }

    /// A call's outcome (`Syscall.retrying`: an interrupted call is made again).
    private static func outcome(_ body: () -> Int32) -> Result<Void, Errno> {
        Result { () throws(Errno) in _ = try Syscall.retrying(body) }
    }

    /// Whether the calling thread runs under `SCHED_FIFO`.
    ///
    /// The corresponding C function is `sched_getscheduler(0)`.
    public static var isFIFO: Bool { CDuplexShims_is_fifo() == 1 }

    /// The calling thread's kernel id, for "which thread am I on" checks (`pthread_self()` is
    /// declared `const` and may be merged across calls).
    ///
    /// The corresponding C function is `gettid`.
    public static var threadID: Int32 { CDuplexShims_gettid() }
}
