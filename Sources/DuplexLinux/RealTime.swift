public import SystemPackage
import CDuplexShims

/// Real-time settings for the pair thread. Both calls report their outcome instead of logging
/// or throwing: without `CAP_SYS_NICE`/`CAP_IPC_LOCK` the daemon logs a warning and carries on.
public enum RealTime: Sendable {
    /// Locks every current and future page of the process in memory, so the pair thread never
    /// waits for a page fault. Call it once, after start-up allocation.
    ///
    /// The corresponding C function is `mlockall(MCL_CURRENT | MCL_FUTURE)`.
    /// - Returns: `.failure(EPERM)` without `CAP_IPC_LOCK`, `.failure(ENOMEM)` over
    ///   `RLIMIT_MEMLOCK`.
    @discardableResult
    public static func lockMemory() -> Result<Void, Errno> {
        do throws(Errno) {
            _ = try Syscall.retrying { CDuplexShims_mlockall() }
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// The priorities `SCHED_FIFO` accepts (1...99 on Linux).
    ///
    /// The corresponding C functions are `sched_get_priority_min` and `sched_get_priority_max`.
    public static var fifoPriorityRange: ClosedRange<Int32> {
        CDuplexShims_fifo_priority_min()...CDuplexShims_fifo_priority_max()
    }

    /// Puts the calling thread (only) under `SCHED_FIFO` at `priority`.
    ///
    /// The corresponding C function is `sched_setscheduler(0, SCHED_FIFO, priority)`.
    /// - Parameter priority: within `fifoPriorityRange`.
    /// - Returns: `.failure(EPERM)` without `CAP_SYS_NICE` (or with a zero `RLIMIT_RTPRIO`),
    ///   `.failure(EINVAL)` for a priority out of range.
    @discardableResult
    public static func setFIFOPriority(_ priority: Int32) -> Result<Void, Errno> {
        guard fifoPriorityRange.contains(priority) else { return .failure(.invalidArgument) }
        do throws(Errno) {
            _ = try Syscall.retrying { CDuplexShims_set_fifo_priority(priority) }
            return .success(())
        } catch {
            return .failure(error)
        }
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
