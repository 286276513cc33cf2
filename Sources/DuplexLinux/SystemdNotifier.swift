public import DuplexCore
import Glibc
import Synchronization

/// systemd's readiness and watchdog protocol (`sd_notify(3)`), without libsystemd: datagrams
/// such as `READY=1` sent to the `AF_UNIX` socket named by `NOTIFY_SOCKET` (a path, or an
/// abstract name written with a leading `@`).
public final class SystemdNotifier: Sendable {
    /// The socket address, as given.
    public let socketPath: String
    /// Half of `WATCHDOG_USEC` when systemd watches this process (`WatchdogSec=`): how often to
    /// send `WATCHDOG=1`. nil without a service watchdog.
    public let watchdogInterval: DuplexCore.Duration?
    private let descriptor: CInt

    /// - Returns: nil when `NOTIFY_SOCKET` is not set (not started by systemd as `Type=notify`),
    ///   or the socket cannot be created.
    /// The corresponding C functions are `getenv` and `socket(AF_UNIX, SOCK_DGRAM)`.
    public init?() {
        guard let value = getenv("NOTIFY_SOCKET"), value.pointee == UInt8(ascii: "/") || value.pointee == UInt8(ascii: "@") else { return nil }
        socketPath = String(cString: value)
        var interval: DuplexCore.Duration?
        if let usec = getenv("WATCHDOG_USEC").flatMap({ UInt64(String(cString: $0)) }), usec > 0 {
            // WATCHDOG_PID, when set, names the process meant (sd_watchdog_enabled(3)).
            let pid = getenv("WATCHDOG_PID").flatMap { Int32(String(cString: $0)) }
            if pid == nil || pid == getpid() { interval = .microseconds(usec / 2) }
        }
        watchdogInterval = interval
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    /// Sends one notification (`READY=1`, `STOPPING=1`, `WATCHDOG=1`, `STATUS=...`).
    /// - Returns: whether the datagram was sent.
    /// The corresponding C function is `sendto(2)` with `MSG_NOSIGNAL`.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }  // an abstract name starts with a NUL byte
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        // offsetof(sockaddr_un, sun_path) is 2; an abstract address's length counts its bytes exactly.
        let length = socklen_t(2 + path.count + (abstract ? 0 : 1))
        let bytes = Array(state.utf8)
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, raw.baseAddress, raw.count, CInt(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == bytes.count
    }
}

/// When the pair thread last answered a liveness probe: written by the control thread,
/// read by the systemd watchdog thread.
public final class PairLiveness: Sendable {
    private let answeredAt = Atomic<UInt64>(0)

    public init() {}

    /// The control request id of the probes (never a client's: those count up from 1).
    public static let probeRequest = UInt32.max

    public func answered(at instant: Instant) { answeredAt.store(instant.nanoseconds, ordering: .releasing) }

    /// The last answer; nil before the first.
    public var lastAnswer: Instant? {
        let nanoseconds = answeredAt.load(ordering: .acquiring)
        return nanoseconds == 0 ? nil : Instant(nanoseconds: nanoseconds)
    }
}

extension SystemdNotifier {
    /// Sends `WATCHDOG=1` every ``watchdogInterval`` while the pair thread answers: each round
    /// asks it for a status (answered only while its loop runs; the control thread records the
    /// answer in `liveness`) and pings only if an answer came within the last two intervals.
    /// Runs on the calling thread until the process exits. Allocation-light; never blocks on
    /// the pair thread.
    public func superviseWatchdog(pair: PairService, liveness: PairLiveness) {
        guard let interval = watchdogInterval else { return }
        let startedAt = MonotonicClock.now()
        // Runs for the life of the process; each pass sleeps one interval.
        while true {
            if pair.commands.push(.status(request: PairLiveness.probeRequest)) {
                _ = try? pair.commandSignal.signal()  // an eventfd write cannot block
            }
            let now = MonotonicClock.now()
            let answered = liveness.lastAnswer.map { now.since($0) < interval * 2 } ?? (now.since(startedAt) < interval * 2)
            if answered { notify("WATCHDOG=1") }
            var spec = timespec(tv_sec: Int(interval.nanoseconds / 1_000_000_000), tv_nsec: Int(interval.nanoseconds % 1_000_000_000))
            _ = nanosleep(&spec, nil)  // a signal cutting it short only pings early
        }
    }
}
