/// The 2N pair protocol of one board: role arbitration, the failure detector over N paths,
/// epochs, graceful switchover, split-brain resolution and the isolation rule.
///
/// Pure and synchronous: facts go in through `handle(_:now:)`, orders come out as
/// `PairActions`. Time enters only as an argument. The adapter arms its timer at
/// `nextDeadline` and delivers `.tick` when it expires.
public struct PairCore: Sendable {
    public let configuration: PairConfiguration
    public internal(set) var role: Role = .starting
    /// Grows on every takeover; the higher epoch wins a dual-active conflict.
    public internal(set) var epoch: UInt64 = 0

    var paths: [PathState]
    var mate = MateState()
    var isolationOK = true
    var hot = true
    var sequence: UInt64 = 0
    var startedAt: Instant?
    var lastEventAt: Instant = .zero
    var discoveryEndsAt: Instant = .zero
    /// When a starting board that hears no mate takes the role alone (`aloneStartWindow`).
    var aloneEndsAt: Instant = .zero
    var actuation = ActuationState()
    var quiesce: QuiesceState?
    var reannouncePending = false
    var degraded = false
    /// Whether a path to the mate was up after the previous step.
    var mateWasReachable = false
    /// Heartbeats go on every path until then: a heartbeat of the rotating mate went missing.
    var everyPathUntil: Instant = .zero
    /// The next heartbeats go on every path (a role change is told on all of them at once).
    var everyPathNext = false
    /// The path of the last rotating heartbeat.
    var rotationCursor = 0
    /// When a path of the rotation group last went down: the rotating mate's silence on the
    /// group counts from then at the earliest (it still sent on that path until it noticed).
    var groupPathLostAt: Instant = .zero
    /// The deadline asked for after the previous step: a step much later than it means this
    /// board did not run (see `noticeStall`).
    var wantedAt = Instant(nanoseconds: .max)
    /// The mate epoch of the dual-active resolution this board won and told (see
    /// `arbitrateActive`); nil once the mate is seen not active.
    var dualActiveWonTold: UInt64?
    /// Whether the last rotating heartbeat went out as a quiet standby's.
    var sentQuietly = false
    /// When the last rotating heartbeat went out.
    var lastBeatAt: Instant = .zero
    /// When frames of another board with this board's id were last told (`boardIDConflict`).
    var boardIDConflictReportedAt: Instant?
    /// How often a board-id conflict or a timing mismatch that goes on is told again.
    static let boardIDConflictReportInterval = Duration.seconds(10)
    /// Set once `.stop` was returned: the core then only answers with nothing.
    public internal(set) var stopped = false
    public internal(set) var lastRoleChange: RoleChange?
    public internal(set) var counters = Counters()

    public struct RoleChange: Sendable, Hashable {
        public var at: Instant
        public var from: Role
        public var to: Role
        public var reason: RoleChangeReason
    }

    public struct Counters: Sendable, Hashable {
        public var framesSent: UInt64 = 0
        public var framesReceived: UInt64 = 0
        public var framesMalformed: UInt64 = 0
        /// Frames without the tag of this board's key, or with a wrong one.
        public var framesUnauthenticated: UInt64 = 0
        public var framesForeign: UInt64 = 0
        public var framesStale: UInt64 = 0
        public var takeovers: UInt64 = 0
        public var stalls: UInt64 = 0
        /// Steps late by more than `PairConfiguration.latenessForgiven` but less than a stall,
        /// whose lateness was not held against the mate (see `noticeStall`).
        public var latenessForgiven: UInt64 = 0
        /// Heartbeats of the rotating mate that went missing (each one puts both boards on
        /// every path for a while).
        public var heartbeatGaps: UInt64 = 0
    }

    public init(configuration: PairConfiguration) {
        self.configuration = configuration
        self.paths = configuration.paths.map { PathState(configuration: $0) }
    }

    /// The next instant at which the core wants a `.tick`.
    public var nextDeadline: Instant {
        guard startedAt != nil else { return Instant(nanoseconds: .max) }
        var deadline = Instant(nanoseconds: .max)
        for index in paths.indices {
            let path = paths[index]
            deadline = min(deadline, path.nextSendAt)
            if path.up, let heard = path.lastHeardAt {
                deadline = min(deadline, expiry(of: index, heardAt: heard))
            }
        }
        if let rotating = rotatingMateDeadline { deadline = min(deadline, rotating) }
        if role == .starting { deadline = min(deadline, mateReachable ? discoveryEndsAt : aloneEndsAt) }
        if let quiesce, role == .quiesced { deadline = min(deadline, quiesce.deadline) }
        if let retryAt = actuation.retryAt { deadline = min(deadline, retryAt) }
        return deadline
    }

    /// Whether at least one path to the mate is up.
    public var mateReachable: Bool { paths.contains { $0.up } }

    /// Handles one fact and returns the orders that follow from it.
    public mutating func handle(_ event: PairEvent, now rawNow: Instant) -> PairActions {
        precondition(startedAt != nil || event == .started, "the first event must be .started")
        var actions = PairActions()
        guard !stopped else { return actions }
        let now = max(rawNow, lastEventAt)
        if event == .started {
            guard startedAt == nil else { return actions }
            start(now: now, into: &actions)
        } else {
            noticeStall(now: now, into: &actions)
        }
        // Before the event: a frame read late (from a receive ring) still shows the gap before it.
        watchForGaps(now: now, into: &actions)
        lastEventAt = now
        apply(event, now: now, into: &actions)
        watchForGaps(now: now, into: &actions)
        expirePaths(now: now, into: &actions)
        // A role change can enable one more decision (separated -> standby -> active): at most 3.
        for _ in 0..<3 {
            guard !stopped, arbitrate(now: now, into: &actions) else { break }
        }
        driveActuation(now: now, into: &actions)
        if !stopped { sendDueHeartbeats(now: now, woken: event == .tick, into: &actions) }
        mateWasReachable = mateReachable
        wantedAt = nextDeadline
        assertInvariants()
        return actions
    }

    private mutating func start(now: Instant, into actions: inout PairActions) {
        startedAt = now
        discoveryEndsAt = now + configuration.discoveryWindow
        aloneEndsAt = now + max(configuration.discoveryWindow, configuration.aloneStartWindow ?? .zero)
        for index in paths.indices { paths[index].nextSendAt = now }
        // A crash may have left the logical addresses behind: remove them before anything else.
        actuation.held = .unknown
    }

    private mutating func apply(_ event: PairEvent, now: Instant, into actions: inout PairActions) {
        switch event {
        case .started, .tick:
            break
        case .frameReceived(let frame, let path):
            receive(frame, path: path, now: now, into: &actions)
        case .frameMalformed(let path):
            counters.framesMalformed += 1
            actions.append(.trace(.frameRejected(path: path, reason: .malformed)))
        case .frameUnauthenticated(let path):
            counters.framesUnauthenticated += 1
            actions.append(.trace(.frameRejected(path: path, reason: .unauthenticated)))
        case .carrierChanged(let path, let up):
            carrierChanged(path: path, up: up, now: now, into: &actions)
        case .isolationChanged(let ok):
            isolationOK = ok
        case .readinessChanged(let ready):
            hot = ready
        case .switchoverRequested(let force, let request):
            requestQuiesce(.switchover, force: force, request: request, now: now, into: &actions)
        case .lockRequested(let force, let request):
            lock(force: force, request: request, now: now, into: &actions)
        case .unlockRequested(let request):
            unlock(request: request, now: now, into: &actions)
        case .failureReported:
            failureReported(now: now, into: &actions)
        case .shutdownRequested:
            shutdown(now: now, into: &actions)
        case .addressesClaimed(let ok):
            actuationFinished(claim: true, ok: ok, now: now, into: &actions)
        case .addressesReleased(let ok):
            actuationFinished(claim: false, ok: ok, now: now, into: &actions)
        }
    }

    /// A step that comes later than `stallLateness` after the deadline the core asked for means
    /// this board was not running (frozen, preempted, or its clock stepped): silence meanwhile
    /// says nothing about the mate, so every path gets a fresh timeout instead of being
    /// declared down. (Measured from the deadline, not from the previous step: a quiet standby
    /// legitimately sleeps longer than a path timeout between steps.)
    ///
    /// A step late by less than that, but by more than `latenessForgiven` (half the shortest
    /// interval: more than a scheduling delay), does not count its lateness against the mate
    /// either: every path's silence is shortened by it. The mate's heartbeats may have been
    /// held up by what held this board up (its receive path runs on the same processors), and
    /// a silence of a path timeout judged this late would be a takeover from a live mate.
    /// Detection of a mate that is really gone is later by this board's own lateness at most.
    private mutating func noticeStall(now: Instant, into actions: inout PairActions) {
        guard now > wantedAt else { return }
        let gap = now.since(lastEventAt)
        let lateness = now.since(wantedAt)
        guard lateness > configuration.stallLateness else {
            guard lateness > configuration.latenessForgiven else { return }
            counters.latenessForgiven += 1
            for index in paths.indices where paths[index].up {
                guard let heard = paths[index].lastHeardAt else { continue }
                paths[index].lastHeardAt = min(now, heard + lateness)
            }
            return
        }
        counters.stalls += 1
        actions.append(.trace(.stallDetected(gap)))
        for index in paths.indices where paths[index].up {
            paths[index].lastHeardAt = now
        }
    }

    mutating func changeRole(
        to next: Role, reason: RoleChangeReason, now: Instant, into actions: inout PairActions
    ) {
        let previous = role
        precondition(previous.canChange(to: next), "illegal role change \(previous) -> \(next)")
        role = next
        lastRoleChange = RoleChange(at: now, from: previous, to: next, reason: reason)
        actuation.wanted = next.ownsAddresses
        actions.append(.trace(.roleChanged(from: previous, to: next, reason: reason, epoch: epoch)))
        // Tell the mate at once, on every path, rather than at the next interval.
        for index in paths.indices { paths[index].nextSendAt = now }
        everyPathNext = true
    }

    /// Becomes active at a new epoch, higher than any seen.
    mutating func takeOver(
        epoch offered: UInt64? = nil, reason: RoleChangeReason, now: Instant,
        into actions: inout PairActions
    ) {
        let next = offered ?? (max(epoch, mate.epoch) + 1)
        precondition(next > epoch, "an epoch never goes back")
        epoch = next
        counters.takeovers += 1
        changeRole(to: .active, reason: reason, now: now, into: &actions)
    }

    func assertInvariants() {
        assert(paths.count == configuration.paths.count, "path table changed size")
        assert(role != .active || actuation.wanted || stopped, "an active board wants its addresses")
        assert(!role.ownsAddresses || epoch > 0, "an active board has an epoch")
        assert(quiesce == nil || [.quiescing, .quiesced, .active, .failed].contains(role) || quiesce!.purpose == .shutdown,
            "a quiesce belongs to a quiescing board")
    }
}
