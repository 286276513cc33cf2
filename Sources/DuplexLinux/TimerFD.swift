public import DuplexCore
public import SystemPackage
import CDuplexShims
import Glibc

/// A non-blocking `CLOCK_MONOTONIC` timer file descriptor armed at absolute deadlines, so that
/// a late wake-up never shifts the following ticks.
public final class TimerFD: Sendable {
    /// The timer descriptor; register it with `Epoll` for `.readable`.
    public let fileDescriptor: CInt

    /// Creates a disarmed timer.
    ///
    /// The corresponding C function is `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`.
    /// - Throws: `Errno` from `timerfd_create`.
    public init() throws(Errno) {
        fileDescriptor = try Syscall.retrying { CDuplexShims_timerfd_create() }
    }

    deinit { close(fileDescriptor) }

    /// Arms the timer to expire at `deadline` (a `MonotonicClock` instant), then every
    /// `interval` if it is not zero. A deadline in the past expires at once.
    ///
    /// The corresponding C function is `timerfd_settime(TFD_TIMER_ABSTIME)`.
    /// - Throws: `Errno` from `timerfd_settime`.
    public func arm(at deadline: Instant, interval: DuplexCore.Duration = .zero) throws(Errno) {
        _ = try Syscall.retrying {
            CDuplexShims_timerfd_arm_absolute(fileDescriptor, deadline.nanoseconds, interval.nanoseconds)
        }
    }

    /// Stops the timer; pending expirations that were not read stay readable.
    ///
    /// The corresponding C function is `timerfd_settime` with a zero `it_value`.
    public func disarm() throws(Errno) {
        _ = try Syscall.retrying { CDuplexShims_timerfd_disarm(fileDescriptor) }
    }

    /// Reads and resets the number of expirations since the last read.
    ///
    /// The corresponding C function is `read(2)` of the 8-byte counter.
    /// - Returns: the expirations; 0 when none happened (`EAGAIN`).
    /// - Throws: `Errno` other than `EINTR` and `EAGAIN`.
    public func readExpirations() throws(Errno) -> UInt64 {
        var expirations: UInt64 = 0
        let result = try Syscall.nonBlocking { CDuplexShims_timerfd_read(fileDescriptor, &expirations) }
        return result == nil ? 0 : expirations
    }
}
