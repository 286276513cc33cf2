/// What the pair core needs to know about its board, its mate and its paths.
public struct PairConfiguration: Sendable, Hashable {
    /// Per-path heartbeat settings.
    public struct Path: Sendable, Hashable {
        /// A heartbeat is sent every `interval`.
        public var interval: Duration
        /// The path is down after `missedHeartbeatsMax` intervals of silence.
        public var missedHeartbeatsMax: UInt64

        public init(interval: Duration = .milliseconds(4), missedHeartbeatsMax: UInt64 = 3) {
            self.interval = interval
            self.missedHeartbeatsMax = missedHeartbeatsMax
        }

        /// Silence longer than this means the path is down: `missedHeartbeatsMax` heartbeats
        /// missed, the last of them by more than half an interval (so that losing
        /// `missedHeartbeatsMax - 1` heartbeats and a slightly late next one is not a failure).
        public var timeout: Duration { interval * missedHeartbeatsMax + interval / 2 }
    }

    /// How heartbeats use the paths when the pair is healthy.
    public enum Heartbeats: Sendable, Hashable {
        /// A heartbeat on every path every interval.
        case everyPath
        /// One heartbeat per interval, on the paths of the rotation group in turn, while every
        /// one of them is up both ways and no heartbeat went missing recently; on every path
        /// otherwise (see `PairCore`). The mate is lost after the same silence as with
        /// `everyPath`; a single path is declared down later (`relaxedTimeout`).
        case rotate
    }

    public var cluster: UInt32
    public var board: UInt16
    public var priority: UInt8
    /// Grows with every start of the daemon (serial-number order, never 0), so that the mate
    /// can tell a restart from late frames of the previous start.
    public var incarnation: UInt32
    public var paths: [Path]
    public var discoveryWindow: Duration
    /// Whether this board, when preferred, takes the role back from an active mate.
    public var preempt: Bool
    /// How long a quiesced board waits for the mate to take the role before taking it back.
    public var handoverTimeout: Duration
    public let heartbeats: Heartbeats
    /// The paths heartbeats rotate over (`rotate`): those with the shortest interval and the
    /// missed count of the first of them. Empty with `everyPath` or fewer than two such paths.
    public let rotationGroup: [Int]
    /// While heartbeats rotate and the mate is a working active, a standby sends its heartbeats
    /// this far apart instead of every interval, and wakes only for its own deadlines (it keeps
    /// judging the active at the interval). The active then allows the standby's paths the
    /// longer silences of `quietTimeout` and `quietRelaxedTimeout(of:)`. Nil, or not longer than
    /// the rotation's interval: a standby sends at the interval. Both boards must agree.
    public let standbyInterval: Duration?
    /// Claims attempted before the board declares itself failed.
    public var actuationAttemptsMax: Int
    /// Pause between two actuation attempts.
    public var actuationRetryDelay: Duration
    /// A persistent checkpoint's journal was refused when this board started (damaged): what
    /// it holds is less than what it persisted. While starting it says so in its frames
    /// (`stateDamaged`), and at start-up discovery a board whose state is whole is preferred
    /// to it whatever their priorities, so that its snapshot does not replace the mate's good
    /// copy. Set by the daemon from the journals it loaded, before the pair starts.
    public var persistedStateDamaged = false
    /// The sequence of the persistent checkpoint state this board loaded at start (0: none).
    /// While starting it sends it (`PairFrame.persistedSequence`), and at start-up discovery the
    /// board that persisted more is preferred (after the damaged-journal rule, before the
    /// priorities): a board that was away while its mate went on writing, or a replacement
    /// board with empty journals, never wins over the copy that holds the newer state. Set by
    /// the daemon, before the pair starts.
    public var persistedSequence: UInt64 = 0
    /// How long a starting board that hears no mate waits before it takes the role alone, when
    /// that is longer than `discoveryWindow` (nil: the discovery window). A mate heard in the
    /// meantime is arbitrated with at once, as always. The daemon sets it for a board whose
    /// persistent checkpoints it last held as a standby: its mate may have gone on writing
    /// after it left, and only the mate's state has those writes.
    public var aloneStartWindow: Duration?
    /// What this board's build can do, sent in every frame (`PairFrame.Capabilities`).
    public var capabilities: PairFrame.Capabilities = .thisBuild

    public init(
        cluster: UInt32, board: UInt16, priority: UInt8 = 100, incarnation: UInt32,
        paths: [Path], discoveryWindow: Duration = .milliseconds(300), preempt: Bool = false,
        handoverTimeout: Duration = .milliseconds(250), actuationAttemptsMax: Int = 3,
        actuationRetryDelay: Duration = .milliseconds(20), heartbeats: Heartbeats = .everyPath,
        standbyInterval: Duration? = nil
    ) {
        precondition(!paths.isEmpty && paths.count <= Limits.linksMax, "1...linksMax paths")
        precondition(board != 0, "board id 0 is reserved")
        precondition(incarnation != 0, "incarnation 0 means none")
        precondition(actuationAttemptsMax >= 1, "at least one actuation attempt")
        for path in paths {
            precondition(path.interval > .zero && path.missedHeartbeatsMax >= 1, "bad path timing")
        }
        self.cluster = cluster
        self.board = board
        self.priority = priority
        self.incarnation = incarnation
        self.paths = paths
        self.discoveryWindow = discoveryWindow
        self.preempt = preempt
        self.handoverTimeout = handoverTimeout
        self.actuationAttemptsMax = actuationAttemptsMax
        self.actuationRetryDelay = actuationRetryDelay
        self.heartbeats = heartbeats
        let rotationGroup = heartbeats == .rotate ? Self.group(of: paths) : []
        self.rotationGroup = rotationGroup
        if let standbyInterval, let first = rotationGroup.first, standbyInterval > paths[first].interval {
            self.standbyInterval = standbyInterval
        } else {
            self.standbyInterval = nil
        }
    }

    /// The same configuration with another heartbeat mode.
    public func with(heartbeats: Heartbeats) -> PairConfiguration {
        rebuilt(heartbeats: heartbeats, standbyInterval: standbyInterval)
    }

    /// The same configuration with another standby interval (nil: the standby sends at the interval).
    public func with(standbyInterval: Duration?) -> PairConfiguration {
        rebuilt(heartbeats: heartbeats, standbyInterval: standbyInterval)
    }

    /// The same configuration built again (the rotation group and the standby interval derive
    /// from these two), with every other field as it is.
    private func rebuilt(heartbeats: Heartbeats, standbyInterval: Duration?) -> PairConfiguration {
        var copy = PairConfiguration(
            cluster: cluster, board: board, priority: priority, incarnation: incarnation, paths: paths,
            discoveryWindow: discoveryWindow, preempt: preempt, handoverTimeout: handoverTimeout,
            actuationAttemptsMax: actuationAttemptsMax, actuationRetryDelay: actuationRetryDelay,
            heartbeats: heartbeats, standbyInterval: standbyInterval)
        copy.persistedStateDamaged = persistedStateDamaged
        copy.persistedSequence = persistedSequence
        copy.aloneStartWindow = aloneStartWindow
        copy.capabilities = capabilities
        return copy
    }

    private static func group(of paths: [Path]) -> [Int] {
        let shortest = paths.map(\.interval).min()!
        let first = paths.first { $0.interval == shortest }!
        let group = paths.indices.filter { paths[$0] == first }
        return group.count >= 2 ? group : []
    }

    /// The silence after which path `index` is down while the mate rotates its heartbeats:
    /// `missedHeartbeatsMax` rounds of the whole group, plus half an interval. The path's own
    /// `timeout` for paths outside the group.
    public func relaxedTimeout(of index: Int) -> Duration {
        let path = paths[index]
        guard rotationGroup.contains(index) else { return path.timeout }
        return path.interval * (path.missedHeartbeatsMax * UInt64(rotationGroup.count)) + path.interval / 2
    }

    /// The silence of a quiet standby on the whole rotation group after which it is gone: its
    /// `missedHeartbeatsMax` standby intervals plus half of one. Nil without a standby interval.
    public var quietTimeout: Duration? {
        guard let standbyInterval, let first = rotationGroup.first else { return nil }
        return standbyInterval * paths[first].missedHeartbeatsMax + standbyInterval / 2
    }

    /// The silence after which path `index` of the group is down while the mate is a quiet
    /// standby: `missedHeartbeatsMax` rounds of the group at the standby interval, plus half of
    /// one; `relaxedTimeout(of:)` without a standby interval or outside the group.
    public func quietRelaxedTimeout(of index: Int) -> Duration {
        guard let standbyInterval, rotationGroup.contains(index) else { return relaxedTimeout(of: index) }
        let path = paths[index]
        return standbyInterval * (path.missedHeartbeatsMax * UInt64(rotationGroup.count)) + standbyInterval / 2
    }

    /// How late a step may come after the deadline the core asked for before it counts as a
    /// stall of this board: the shortest path timeout less the shortest interval (10 ms at 4 ms
    /// and 3 missed), so that a board stepping every interval notices the same stalls as by
    /// the gap between its steps.
    public var stallLateness: Duration {
        stallThreshold - shortestInterval
    }

    /// How late a step may come after the deadline the core asked for and still count its
    /// whole lateness as silence of the mate: half the shortest interval (2 ms at 4 ms), well
    /// above a real-time thread's scheduling delay. Later steps (up to `stallLateness`) do not
    /// hold their lateness against the mate.
    public var latenessForgiven: Duration {
        shortestInterval / 2
    }

    /// The shortest path interval.
    var shortestInterval: Duration {
        var shortest = Duration(nanoseconds: .max)
        for path in paths { shortest = min(shortest, path.interval) }  // no allocation: hot path
        return shortest
    }

    /// The shortest path timeout: an event gap longer than this means the board itself stalled.
    public var stallThreshold: Duration {
        var shortest = Duration(nanoseconds: .max)
        for path in paths { shortest = min(shortest, path.timeout) }  // no allocation: hot path
        return shortest
    }
}
