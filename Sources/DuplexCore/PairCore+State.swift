extension PairCore {
    /// What the core knows about one path to the mate.
    struct PathState: Sendable {
        let configuration: PairConfiguration.Path
        var carrierUp = true
        var up = false
        var lastHeardAt: Instant?
        var nextSendAt: Instant = .zero
        var mateIncarnation: UInt32?
        var mateSequence: UInt64 = 0
        var mateSentAt: Instant = .zero
        var mateReceivedAt: Instant = .zero
        var rtt: Duration?
        /// When other heartbeat timing of the mate's on this path was last told.
        var timingMismatchReportedAt: Instant?
        var framesSent: UInt64 = 0
        var framesReceived: UInt64 = 0
        var framesRejected: UInt64 = 0

        init(configuration: PairConfiguration.Path) {
            self.configuration = configuration
        }
    }

    /// The mate as last heard on any path (the newest frame wins).
    struct MateState: Sendable {
        var known = false
        var board: UInt16 = 0
        var incarnation: UInt32 = 0
        var sequence: UInt64 = 0
        var role: Role = .starting
        var epoch: UInt64 = 0
        var priority: UInt8 = 0
        var flags: PairFrame.Flags = []
        /// While the mate starts: the sequence of the persistent state it loaded.
        var persistedSequence: UInt64 = 0
        /// What the mate's build can do, and whether it was reported (`.mateCapabilities`).
        var capabilities: PairFrame.Capabilities = []
        var capabilitiesTold = false
        var lastHeardAt: Instant?
        /// The mate said goodbye: later frames of the same incarnation are stale.
        var departed = false
        /// The incarnation of this board the mate last heard (whom its handover offer is for).
        var offeredTo: UInt32 = 0
        /// The paths on which the mate hears this board (bit i: path i).
        var pathsUp: UInt8 = 0
        /// When a frame of the mate's last said that it rotates its heartbeats.
        var rotatingHeardAt: Instant?
        /// When a frame of the mate's last said that it is a quiet standby.
        var quietHeardAt: Instant?
    }

    enum Holding: Sendable {
        case held, released, unknown
    }

    /// The logical addresses: what the role wants, what the kernel is known to have, and the
    /// one actuation in flight (there is never more than one, so the actuator queue is bounded).
    struct ActuationState: Sendable {
        var wanted = false
        var held: Holding = .released
        var inFlight: Bool?  // true: claim, false: release
        var failures = 0
        var retryAt: Instant?
    }

    enum QuiescePurpose: Sendable {
        case switchover, preempt, lock, failure, shutdown
    }

    /// A graceful hand-over in progress.
    struct QuiesceState: Sendable {
        var purpose: QuiescePurpose
        var request: UInt32?
        var offeredEpoch: UInt64 = 0
        var deadline: Instant = .zero
    }

    /// Whether this board is preferred over the mate for the active role: higher priority,
    /// then lower board id.
    var preferredOverMate: Bool {
        configuration.priority != mate.priority
            ? configuration.priority > mate.priority : configuration.board < mate.board
    }

    /// Whether this board is preferred to a starting mate at start-up discovery: a board
    /// whose persisted checkpoint state is whole before one whose journal was refused, then the
    /// one that persisted more (the higher sequence: the checkpoints' sequence only grows along
    /// the stream both boards share), then `preferredOverMate`.
    var preferredAtStartOverMate: Bool {
        let mateDamaged = mate.flags.contains(.stateDamaged)
        guard configuration.persistedStateDamaged == mateDamaged else { return mateDamaged }
        guard configuration.persistedSequence == mate.persistedSequence else {
            return configuration.persistedSequence > mate.persistedSequence
        }
        return preferredOverMate
    }

    /// Why this board yields to a starting mate (`preferredAtStartOverMate` is false).
    var yieldingAtStartReason: RoleChangeReason {
        if configuration.persistedStateDamaged, !mate.flags.contains(.stateDamaged) { return .discoveryMateStateWhole }
        if configuration.persistedStateDamaged == mate.flags.contains(.stateDamaged),
            mate.persistedSequence > configuration.persistedSequence
        {
            return .discoveryMatePersistedMore
        }
        return .discoveryMatePreferred
    }

    /// Whether the mate wins a dual-active conflict: higher epoch, then priority, then lower
    /// board id.
    var mateWinsResolution: Bool {
        if mate.epoch != epoch { return mate.epoch > epoch }
        return !preferredOverMate
    }
}
