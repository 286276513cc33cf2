public import DuplexCore
public import Logging
public import SystemPackage
import Glibc
import Synchronization

/// The takeover barrier between the actuator and the checkpoint thread: before the logical
/// addresses of a takeover are added, the checkpoint thread reads everything the mate sent
/// (its replication sockets), applies it in order and takes the replica over as the store of
/// the new epoch; the actuator waits for that answer (one eventfd round trip each way) at most
/// `timeout`. Without an answer by then the addresses are added anyway and the event history
/// records a possible loss of state.
public final class CheckpointBarrier: ClaimBarrier {
    /// The longest wait for the checkpoint thread (`[checkpoint] takeover-barrier`).
    public let timeout: DuplexCore.Duration
    let service: CheckpointService
    let logger: Logger
    /// Signalled by the checkpoint thread after each answer.
    let answerSignal: EventFD
    /// The last question asked (actuator thread) and the last answered (checkpoint thread).
    let asked = Atomic<UInt64>(0)
    let answered = Atomic<UInt64>(0)

    /// Wake-ups per wait at most (answers to earlier, timed-out questions also wake it).
    static let wakeUpsMax = 64

    /// - Parameters:
    ///   - service: the checkpoint service whose thread answers.
    ///   - timeout: the longest wait, more than zero.
    /// - Throws: `Errno` from `eventfd`.
    public init(service: CheckpointService, timeout: DuplexCore.Duration, logger: Logger) throws(Errno) {
        precondition(timeout > .zero, "a barrier waits a positive time")
        self.service = service
        self.timeout = timeout
        self.logger = logger
        answerSignal = try EventFD()
    }

    /// Asks the checkpoint thread to apply what it received and take over for `epoch`, and
    /// waits for its answer at most `timeout`. Allocates nothing and logs nothing.
    ///
    /// The corresponding C function for the wait is `poll` (whole milliseconds, rounded up: a
    /// timeout may overshoot by less than 1 ms; an answer wakes it at once).
    public func awaitBeforeClaim(epoch: UInt64) -> ClaimBarrierOutcome {
        let start = MonotonicClock.now()
        let token = asked.add(1, ordering: .relaxed).newValue
        guard service.post(.takeover(epoch: epoch, token: token, barrier: self)) else { return .notAsked }
        let deadline = start + timeout
        var descriptor = pollfd(fd: answerSignal.fileDescriptor, events: Int16(POLLIN), revents: 0)
        for _ in 0..<Self.wakeUpsMax {
            if answered.load(ordering: .acquiring) >= token { return .passed(waited: MonotonicClock.now().since(start)) }
            let now = MonotonicClock.now()
            guard now < deadline else { break }
            let remaining = deadline.since(now).nanoseconds
            _ = poll(&descriptor, 1, Int32(clamping: (remaining + 999_999) / 1_000_000))  // EINTR, timeout: look again
            _ = try? answerSignal.drain()  // level reset only; `answered` holds the answer
        }
        if answered.load(ordering: .acquiring) >= token { return .passed(waited: MonotonicClock.now().since(start)) }
        return .timedOut(waited: MonotonicClock.now().since(start))
    }

    /// The checkpoint thread's answer to question `token` (questions are answered in order).
    func answer(_ token: UInt64) {
        answered.store(token, ordering: .releasing)
        _ = try? answerSignal.signal()  // an eventfd write never blocks; saturated means a wake-up is pending
    }

    /// Logs the early claim and records it in the event history (after the addresses were added).
    public func claimedWithoutBarrier(epoch: UInt64, outcome: ClaimBarrierOutcome) {
        logger.warning("logical addresses added before the checkpoint replica was applied", metadata: [
            "duplex.epoch": "\(epoch)", "duplex.barrier": "\(outcome)",
        ])
        service.record(
            "LOSS OF STATE possible: took over at epoch \(epoch) and added the logical addresses before the "
                + "checkpoint replica had applied what the mate sent (barrier \(outcome))",
            epoch: epoch)
    }
}
