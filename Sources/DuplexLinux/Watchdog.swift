public import DuplexCore
import CDuplexShims
import Glibc
import Synchronization
public import SystemPackage

/// A Linux hardware watchdog (`/dev/watchdog`), fed from the pair thread.
///
/// The Linux watchdog API (Documentation/watchdog/watchdog-api.rst) treats any `write` to the
/// device as a keepalive, and a close right after writing the magic character `V` as an orderly
/// disarm. A close without it, as when the process crashes, leaves the watchdog running: the
/// board resets when its timeout expires. `feed()` allocates nothing and never blocks (the
/// descriptor is non-blocking), so the pair thread may call it from its loop.
///
/// A file that is not a watchdog (a FIFO standing in for the device in tests) answers the
/// timeout `ioctl` with `ENOTTY`; it is then fed by writes only, with the configured timeout.
/// A FIFO whose reader has gone raises `SIGPIPE` on the next feed, as a pipe does.
public final class HardwareWatchdog: @unchecked Sendable {
    // @unchecked Sendable: `descriptor` is written only by `disarm()`, which the owner calls on
    // the feeding thread (the pair thread, after its loop) or after that thread has ended.

    /// The device's path, as configured.
    public let path: String
    /// The device's timeout: what `WDIOC_GETTIMEOUT` reported after `WDIOC_SETTIMEOUT`, or the
    /// requested timeout (rounded up to whole seconds) on a device without timeout ioctls.
    public let timeout: DuplexCore.Duration
    /// Whether the device took the timeout ioctls (false for a FIFO or plain file).
    public let setsTimeout: Bool
    private var descriptor: CInt
    /// CLOCK_MONOTONIC nanoseconds of the last keepalive written (0: none yet), and counts of
    /// keepalives written and lost: read by `duplexctl watchdog` from the control thread.
    private let lastFeedNanoseconds = Atomic<UInt64>(0)
    private let feedCount = Atomic<UInt64>(0)
    private let feedErrorCount = Atomic<UInt64>(0)

    /// When the last keepalive was written; nil before the first. Callable from any thread.
    public var lastFeed: Instant? {
        let nanoseconds = lastFeedNanoseconds.load(ordering: .relaxed)
        return nanoseconds == 0 ? nil : Instant(nanoseconds: nanoseconds)
    }

    /// Keepalives written and keepalive writes that failed. Callable from any thread.
    public var feeds: (written: UInt64, failed: UInt64) {
        (feedCount.load(ordering: .relaxed), feedErrorCount.load(ordering: .relaxed))
    }

    /// Opens the device and sets its timeout. Opening a watchdog device starts it.
    /// - Parameters:
    ///   - path: the device, usually `/dev/watchdog`.
    ///   - timeout: rounded up to whole seconds (the ioctl's unit), at least one second.
    /// - Throws: `Errno` from `open`, `fcntl` or an `ioctl` error other than `ENOTTY`/`EINVAL`
    ///   on a device that does not take timeouts. The corresponding C functions are `open(2)`
    ///   and `ioctl(WDIOC_SETTIMEOUT)`/`ioctl(WDIOC_GETTIMEOUT)`.
    public init(path: String, timeout: DuplexCore.Duration) throws(Errno) {
        precondition(timeout.nanoseconds > 0, "a watchdog needs a timeout")
        self.path = path
        let fd = try Syscall.retrying { open(path, O_WRONLY | O_CLOEXEC) }
        descriptor = fd
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            let error = Errno(rawValue: errno)
            close(fd)
            throw error
        }
        let wholeSeconds = (timeout.nanoseconds + 999_999_999) / 1_000_000_000
        var seconds = CInt(clamping: max(1, wholeSeconds))
        if CDuplexShims_watchdog_settimeout(fd, &seconds) == 0 {
            // The driver may round the timeout; its own figure is the one that counts.
            var actual: CInt = 0
            if CDuplexShims_watchdog_gettimeout(fd, &actual) == 0, actual > 0 { seconds = actual }
            setsTimeout = true
        } else {
            let error = Errno(rawValue: errno)
            guard error == .inappropriateIOCTLForDevice || error == .invalidArgument else {
                close(fd)
                throw error
            }
            setsTimeout = false  // not a watchdog (ENOTTY), or no settable timeout: feed by write
        }
        self.timeout = .seconds(UInt64(seconds))
        assert(self.timeout.nanoseconds > 0)
    }

    deinit {
        // No magic character: a watchdog dropped without `disarm()` keeps running (and barks).
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether the device is still open (`disarm()` closes it).
    public var isOpen: Bool { descriptor >= 0 }

    /// Feeds the watchdog: one `write(2)` of one byte. Allocates nothing, never blocks.
    /// - Returns: false when the write failed or would block (the keepalive is lost).
    @discardableResult
    public func feed() -> Bool {
        precondition(descriptor >= 0, "feeding a disarmed watchdog")
        var byte: UInt8 = 0x2E  // "."; anything but "V"
        let written = withUnsafeBytes(of: &byte) { raw in
            try? Syscall.nonBlocking { write(descriptor, raw.baseAddress, 1) }  // nil or error: lost
        }
        if written == 1 {
            lastFeedNanoseconds.store(MonotonicClock.nowNanoseconds(), ordering: .relaxed)
            feedCount.add(1, ordering: .relaxed)
        } else {
            feedErrorCount.add(1, ordering: .relaxed)
        }
        return written == 1
    }

    /// The magic close: writes `V`, then closes, which stops a watchdog whose driver allows it.
    /// Use it only on an orderly stop. Idempotent.
    /// - Throws: `Errno` from the write (the descriptor is closed all the same: the watchdog
    ///   then keeps running, which is the safe side).
    public func disarm() throws(Errno) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        defer { close(fd) }
        var magic = UInt8(ascii: "V")
        let written = try withUnsafeBytes(of: &magic) { (raw) throws(Errno) -> Int in
            try Syscall.retrying { write(fd, raw.baseAddress, 1) }
        }
        assert(written == 1, "a one-byte write writes one byte")
    }
}
