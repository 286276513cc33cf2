public import DuplexCore

/// Something the actuator waits for before it adds the logical addresses of a takeover, so
/// that clients reach this board only once it can serve them (the checkpoint replica applied
/// and taken over: `CheckpointBarrier`). Called on the actuator thread; it must return within
/// its own short bound.
public protocol ClaimBarrier: Sendable {
    /// Waits until the board is ready for the addresses of `epoch`, or for the barrier's bound.
    func awaitBeforeClaim(epoch: UInt64) -> ClaimBarrierOutcome
    /// Called after the addresses were added when ``awaitBeforeClaim(epoch:)`` did not pass:
    /// the place for what must not delay the claim (logging, the event history).
    func claimedWithoutBarrier(epoch: UInt64, outcome: ClaimBarrierOutcome)
}

/// How a ``ClaimBarrier`` ended.
public enum ClaimBarrierOutcome: Sendable, Hashable, CustomStringConvertible {
    /// Ready after `waited`.
    case passed(waited: DuplexCore.Duration)
    /// No answer within the bound `waited`: the addresses are added anyway.
    case timedOut(waited: DuplexCore.Duration)
    /// The question could not be asked (the other thread's queue was full).
    case notAsked

    public var passed: Bool {
        if case .passed = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .passed(let waited): "passed after \(waited)"
        case .timedOut(let waited): "timed out after \(waited)"
        case .notAsked: "not asked (queue full)"
        }
    }
}
