public import SystemPackage
import CDuplexShims
import Glibc

/// Termination signals as readable events: the signals are blocked, and a `signalfd` reports
/// them, so the daemon handles SIGTERM/SIGINT/SIGHUP in its own loop instead of in a handler.
public final class SignalFD: Sendable {
    /// SIGTERM, SIGINT and SIGHUP: the signals a daemon handles.
    public static let terminationSignals: [CInt] = [SIGTERM, SIGINT, SIGHUP]

    /// The signalfd; register it with `Epoll` for `.readable`.
    public let fileDescriptor: CInt
    public let signals: [CInt]

    /// Blocks `signals` on the calling thread and opens a signalfd for them.
    ///
    /// Call it on the main thread before starting any other thread: threads inherit the mask,
    /// and a signal that some thread does not block is delivered there instead.
    ///
    /// The corresponding C functions are `pthread_sigmask(SIG_BLOCK)` and
    /// `signalfd(SFD_NONBLOCK | SFD_CLOEXEC)`.
    /// - Throws: `Errno` from either call.
    public init(signals: [CInt] = SignalFD.terminationSignals) throws(Errno) {
        precondition(!signals.isEmpty, "at least one signal")
        self.signals = signals
        try Self.block(signals)
        fileDescriptor = try signals.withUnsafeBufferPointer { (list) throws(Errno) -> CInt in
            try Syscall.retrying { CDuplexShims_signalfd_create(list.baseAddress, CInt(list.count)) }
        }
    }

    deinit { close(fileDescriptor) }

    /// Blocks `signals` on the calling thread.
    ///
    /// The corresponding C function is `pthread_sigmask(SIG_BLOCK)`.
    public static func block(_ signals: [CInt]) throws(Errno) {
        _ = try signals.withUnsafeBufferPointer { (list) throws(Errno) -> CInt in
            try Syscall.retrying { CDuplexShims_block_signals(list.baseAddress, CInt(list.count)) }
        }
    }

    /// Unblocks `signals` on the calling thread.
    ///
    /// The corresponding C function is `pthread_sigmask(SIG_UNBLOCK)`.
    public static func unblock(_ signals: [CInt]) throws(Errno) {
        _ = try signals.withUnsafeBufferPointer { (list) throws(Errno) -> CInt in
            try Syscall.retrying { CDuplexShims_unblock_signals(list.baseAddress, CInt(list.count)) }
        }
    }

    /// Reads the next pending signal.
    ///
    /// The corresponding C function is `read(2)` of a `signalfd_siginfo`.
    /// - Returns: the signal number, or `nil` when none is pending.
    /// - Throws: `Errno` other than `EINTR`/`EAGAIN`.
    public func next() throws(Errno) -> CInt? {
        var signal: CInt = 0
        return try Syscall.nonBlocking { CDuplexShims_signalfd_read(fileDescriptor, &signal) } == nil ? nil : signal
    }
}
