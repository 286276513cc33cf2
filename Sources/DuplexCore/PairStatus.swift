/// A snapshot of the pair as one board sees it, for the control plane. Built on request, off
/// the heartbeat path (it allocates).
public struct PairStatus: Sendable, Hashable {
    public struct Mate: Sendable, Hashable {
        public var board: UInt16
        public var role: Role
        public var epoch: UInt64
        public var priority: UInt8
        public var hot: Bool
        public var lastHeardAt: Instant?
    }

    public struct Path: Sendable, Hashable {
        public var up: Bool
        public var carrierUp: Bool
        public var rtt: Duration?
        public var lastHeardAt: Instant?
        public var framesSent: UInt64
        public var framesReceived: UInt64
        public var framesRejected: UInt64
    }

    public var role: Role
    public var epoch: UInt64
    public var mate: Mate?
    public var mateReachable: Bool
    public var paths: [Path]
    public var addressesHeld: Bool
    public var hot: Bool
    public var isolationOK: Bool
    public var lastRoleChange: PairCore.RoleChange?
    public var counters: PairCore.Counters
    /// Whether the heartbeats rotate over the paths (one per interval) at the last step.
    public var rotating: Bool
    /// Whether this board, a standby, sent its last heartbeat at the standby interval.
    public var quiet: Bool
}

extension PairCore {
    public var status: PairStatus {
        PairStatus(
            role: role, epoch: epoch,
            mate: mate.known
                ? PairStatus.Mate(
                    board: mate.board, role: mate.role, epoch: mate.epoch, priority: mate.priority,
                    hot: mate.flags.contains(.hot), lastHeardAt: mate.lastHeardAt) : nil,
            mateReachable: mateReachable,
            paths: paths.map {
                PairStatus.Path(
                    up: $0.up, carrierUp: $0.carrierUp, rtt: $0.rtt, lastHeardAt: $0.lastHeardAt,
                    framesSent: $0.framesSent, framesReceived: $0.framesReceived,
                    framesRejected: $0.framesRejected)
            },
            addressesHeld: actuation.held == .held, hot: hot, isolationOK: isolationOK,
            lastRoleChange: lastRoleChange, counters: counters, rotating: rotationSet(now: lastEventAt) != 0,
            quiet: sentQuietly)
    }
}
