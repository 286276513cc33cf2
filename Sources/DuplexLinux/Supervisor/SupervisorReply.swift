public import DuplexCore
import Glibc
import Synchronization

/// The supervisor thread's answer to one operator command, awaited by the control thread.
public final class SupervisorReply: Sendable, CustomStringConvertible {
    /// `.some(nil)`: done; `.some(text)`: refused with this reason; nil: not answered yet.
    private let answer = Mutex<String??>(nil)
    /// Signalled once when answered; the waiter polls it. nil when eventfd failed (the waiter
    /// then looks at the answer every millisecond).
    private let signal: EventFD?

    public init() {
        signal = try? EventFD()  // out of descriptors: `wait` falls back to sleeping
    }

    /// Called once by the supervisor thread.
    func send(_ refusal: String?) {
        answer.withLock { $0 = .some(refusal) }
        _ = try? signal?.signal()  // cannot block: the counter is far from its maximum
    }

    /// Waits for the answer at most `timeout`.
    /// - Returns: `.some(nil)` when done, `.some(reason)` when refused, nil on time-out.
    /// The corresponding C function is `poll(2)` on an eventfd.
    public func wait(timeout: DuplexCore.Duration) -> String?? {
        let deadline = MonotonicClock.now() + timeout
        // Bounded by the deadline: each pass waits until it or until answered.
        for _ in 0..<100_000 {
            if let answered = answer.withLock({ $0 }) { return answered }
            let left = deadline.since(MonotonicClock.now())
            guard left > .zero else { return nil }
            if let signal {
                var poller = pollfd(fd: signal.fileDescriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&poller, 1, CInt(clamping: left.nanoseconds / 1_000_000 + 1))  // EINTR: looped
            } else {
                usleep(1_000)
            }
        }
        return answer.withLock { $0 }
    }

    public var description: String { "reply" }
}
