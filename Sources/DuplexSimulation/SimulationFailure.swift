public import DuplexCore

/// The invariants the checkers hold the pair protocol to.
public enum Invariant: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// (a) At most one board holds the logical addresses, except during a disruption and for
    /// `SimulationBounds.overlap` after it.
    case singleHolder
    /// (b) After the heal, within `SimulationBounds.liveness`: exactly one active board that
    /// holds the addresses and one standby.
    case settlesAfterHeal
    /// (c) A board's epoch never decreases within one incarnation.
    case epochMonotonic
    /// (d) No takeover while the mate is active and reachable over a clean path.
    case noFalseTakeover
    /// (e) A handover offer is accepted at most once, and only if it was made.
    case handoverAcceptedOnce
    /// The core issues at most one actuator call at a time.
    case oneActuationInFlight
    /// The core never asks for a tick at an instant it has already handled.
    case deadlineAdvances

    public var description: String { rawValue }
}

/// A checker failure: enough to replay it (`seed`) and to debug it (`trace`).
public struct SimulationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var seed: UInt64
    /// Global simulated time of the failure.
    public var time: Duration
    public var invariant: Invariant
    public var detail: String
    /// The last records before the failure (role, path, address and fault changes).
    public var trace: [SimulationRecord]

    public var description: String {
        var lines = [
            "seed \(seed): invariant \(invariant) violated at \(SimulationRecord.format(time)): \(detail)",
            "last \(trace.count) records:",
        ]
        lines += trace.map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}
