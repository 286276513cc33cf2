/// What the core reports happened. The daemon turns these into log lines and event history.
public enum PairTrace: Sendable, Hashable {
    case roleChanged(from: Role, to: Role, reason: RoleChangeReason, epoch: UInt64)
    case pathChanged(path: Int, up: Bool, reason: PathChangeReason)
    /// Some but not all paths are down: redundancy of the heartbeat is degraded (an alarm,
    /// not a failover). `pathsUp` of `pathsTotal` remain.
    case pathsDegraded(pathsUp: Int, pathsTotal: Int)
    /// Every path is up again.
    case pathsRestored
    case frameRejected(path: Int, reason: FrameRejection)
    case actuationFailed(claim: Bool, attempt: Int)
    /// Both boards were active; `won` tells whether this board kept the role.
    case dualActiveResolved(won: Bool, mateEpoch: UInt64)
    /// The gap between two events was longer than a path timeout: this board itself was
    /// stalled (frozen, preempted, clock step), so silence was not held against the mate.
    case stallDetected(Duration)
    /// A different incarnation of the mate appeared (the mate restarted).
    case mateRestarted(board: UInt16)
    /// Frames carrying this board's own id came from another board (another incarnation) on
    /// `path`: two boards are configured with the same `[board] id`. Told when first heard,
    /// then at most every `PairCore.boardIDConflictReportInterval` while it lasts.
    case boardIDConflict(path: Int, incarnation: UInt32)
    /// The mate's heartbeat timing on `path` (as its frames say) is not this board's: both
    /// boards must configure the same. Told when first heard, then at most every
    /// `PairCore.boardIDConflictReportInterval` while it lasts.
    case timingMismatch(path: Int, mateInterval: Duration, mateMissedHeartbeatsMax: UInt8)
    /// The mate's build can do this (first heard, or changed: a restart with another build).
    case mateCapabilities(PairFrame.Capabilities)
}

public enum RoleChangeReason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case discoveryNoMate = 1
    case discoveryMateActive
    case discoveryMatePreferred
    case discoveryPreferred
    case mateLost
    case mateLostIsolated
    case isolationLost
    case isolationRecovered
    case mateNotActive
    case bothStandbyPreferred
    case handoverReceived
    case switchoverRequested
    case preemptRequested
    case quiesced
    case handoverComplete
    case handoverTimeout
    case lostResolution
    case mateReturned
    case operatorLock
    case operatorUnlock
    case failureReported
    case shutdown
    case actuationFailed
    case releaseFailed
    case discoveryMateStateWhole
    case discoveryMatePersistedMore
    case boardIDConflict

    public var description: String {
        switch self {
        case .discoveryNoMate: "no mate heard during the discovery window"
        case .discoveryMateActive: "the mate is already active"
        case .discoveryMatePreferred: "the mate is preferred"
        case .discoveryPreferred: "this board is preferred"
        case .mateLost: "every path to the mate is down"
        case .mateLostIsolated: "every path to the mate is down and the isolation check fails"
        case .isolationLost: "no path to the mate and the isolation check fails"
        case .isolationRecovered: "the isolation check passes again and the mate is still lost"
        case .mateNotActive: "the mate reports it cannot be active"
        case .bothStandbyPreferred: "both boards standby and this board is preferred"
        case .handoverReceived: "the mate handed the role over"
        case .switchoverRequested: "an operator asked for a switchover"
        case .preemptRequested: "the preferred mate asked for the role (preemption)"
        case .quiesced: "the logical addresses are released and the role is offered to the mate"
        case .handoverComplete: "the mate took the role"
        case .handoverTimeout: "the mate did not take the role in time"
        case .lostResolution: "both boards were active and the mate wins"
        case .mateReturned: "a path to the mate is back"
        case .operatorLock: "an operator locked the board"
        case .operatorUnlock: "an operator unlocked the board"
        case .failureReported: "this board reported a failure"
        case .shutdown: "orderly stop"
        case .actuationFailed: "the logical addresses could not be claimed"
        case .releaseFailed: "the logical addresses could not be removed for a switchover"
        case .discoveryMateStateWhole: "this board's checkpoint journal was refused and the mate's state is whole"
        case .discoveryMatePersistedMore: "the mate persisted newer checkpoint state"
        case .boardIDConflict: "another board uses this board's id; fix [board] id on one of them and restart it"
        }
    }
}

public enum PathChangeReason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case heartbeatReceived = 1
    case heartbeatsMissed
    case carrierLost
    case carrierRestored
    case mateSaidGoodbye

    public var description: String {
        switch self {
        case .heartbeatReceived: "heartbeat received"
        case .heartbeatsMissed: "heartbeats missed"
        case .carrierLost: "carrier lost"
        case .carrierRestored: "carrier restored"
        case .mateSaidGoodbye: "the mate stopped in order"
        }
    }
}

public enum FrameRejection: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case malformed = 1
    case foreignCluster
    case ownBoard
    case stale
    case unknownPath
    case unauthenticated

    public var description: String {
        switch self {
        case .malformed: "malformed"
        case .foreignCluster: "foreign cluster id"
        case .ownBoard: "carries this board's own id"
        case .stale: "duplicate or reordered"
        case .unknownPath: "unknown path"
        case .unauthenticated: "not authenticated with this board's key"
        }
    }
}
