public import DuplexCore

/// What a run counted.
public struct SimulationStatistics: Sendable, Hashable {
    public init() {}

    public var events: UInt64 = 0
    public var coreSteps: UInt64 = 0
    public var framesSent: UInt64 = 0
    public var framesDelivered: UInt64 = 0
    public var framesDropped: UInt64 = 0
    public var framesCorrupted: UInt64 = 0
    /// Takeovers (role changes to active) other than by a handover, per board index.
    public var takeovers: [UInt64] = [0, 0]
    public var handovers: UInt64 = 0
    public var roleChanges: UInt64 = 0
    public var dualActiveResolutions: UInt64 = 0
    /// Takeovers at the epoch the (active) mate already had: the tie goes to priority.
    public var sameEpochActives: UInt64 = 0
    public var degradedAlarms: UInt64 = 0
    public var stalls: UInt64 = 0
    public var faults: UInt64 = 0
    public var buggified: UInt64 = 0
    /// The longest both boards held the addresses at once.
    public var longestOverlap: Duration = .zero
    /// How long after the heal the pair settled (one active holder, one standby) for good.
    public var settledAfterHeal: Duration?
}

/// The result of one run.
public struct SimulationOutcome: Sendable, Hashable {
    public var seed: UInt64
    public var failure: SimulationFailure?
    public var statistics: SimulationStatistics
    /// Simulated time covered.
    public var duration: Duration
    /// A digest of everything that happened: the same seed gives the same digest.
    public var digest: UInt64

    public var passed: Bool { failure == nil }
}
