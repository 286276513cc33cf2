public import SystemPackage
import CDuplexShims
import Glibc

/// A non-blocking event counter: another thread `signal`s, the loop thread wakes in `Epoll`
/// and `drain`s. Used to tell the pair thread that a bounded queue has work.
public final class EventFD: Sendable {
    /// The eventfd descriptor; register it with `Epoll` for `.readable`.
    public let fileDescriptor: CInt

    /// Creates a counter at zero.
    ///
    /// The corresponding C function is `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
    /// - Throws: `Errno` from `eventfd`.
    public init() throws(Errno) {
        fileDescriptor = try Syscall.retrying { CDuplexShims_eventfd_create(0) }
    }

    deinit { close(fileDescriptor) }

    /// Adds `value` to the counter, waking a waiter.
    ///
    /// The corresponding C function is `write(2)` of 8 bytes.
    /// - Returns: `false` when the counter is saturated (`EAGAIN`): a wake-up is already
    ///   pending, so nothing is lost.
    /// - Throws: `Errno` other than `EINTR` and `EAGAIN`.
    @discardableResult
    public func signal(_ value: UInt64 = 1) throws(Errno) -> Bool {
        precondition(value > 0 && value < UInt64.max, "eventfd increment")
        return try Syscall.nonBlocking { CDuplexShims_eventfd_write(fileDescriptor, value) } != nil
    }

    /// Reads and resets the counter.
    ///
    /// The corresponding C function is `read(2)` of 8 bytes.
    /// - Returns: the sum of the signals since the last drain; 0 when none (`EAGAIN`).
    /// - Throws: `Errno` other than `EINTR` and `EAGAIN`.
    @discardableResult
    public func drain() throws(Errno) -> UInt64 {
        var value: UInt64 = 0
        let result = try Syscall.nonBlocking { CDuplexShims_eventfd_read(fileDescriptor, &value) }
        return result == nil ? 0 : value
    }
}
