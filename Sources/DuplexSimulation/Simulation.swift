public import DuplexCore

/// A deterministic discrete-event simulation of a mated pair: two boards each running a
/// `PairCore` on its own clock, M paths between them, actuators, faults, and checkers that
/// run after every event.
///
/// Everything random comes from one `SplitMix64` seeded by the plan, and events at the same
/// instant run in the order they were scheduled, so a plan replays exactly.
public struct Simulation {
    public let plan: SimulationPlan
    public let bounds: SimulationBounds
    var rng: SplitMix64
    var queue = EventQueue<SimulationEvent>(capacity: 1 << 20)
    /// Global simulated time, nanoseconds since the start.
    var now: UInt64 = 0
    var boards: [SimulatedBoard]
    var network: SimulatedNetwork
    var episodes: [Episode] = []
    var nextEpisodeID = 1
    var nextRequest: UInt32 = 1
    var offers: [HandoverOffer] = []
    var ring = RecordRing(capacity: 40)
    var fullHistory: [SimulationRecord] = []
    let keepsHistory: Bool
    let observer: ((SimulationRecord) -> Void)?
    public internal(set) var statistics = SimulationStatistics()
    var digest: UInt64 = 0xCBF2_9CE4_8422_2325
    var healed = false
    var lastDisruptedAt: UInt64 = 0
    var overlapSince: UInt64?
    var settledSince: UInt64?
    var failure: SimulationFailure?
    var replies: [(request: UInt32, board: Int, outcome: CommandOutcome)] = []
    let healAt: UInt64
    /// Heal + liveness bound + the clock debt of backward steps at the heal.
    var livenessDeadline: UInt64
    /// The run ends here: the liveness deadline + the settled window.
    public internal(set) var endTime: Duration

    /// - Parameters:
    ///   - keepsHistory: keep every record (for scenario tests; bounded to 200,000).
    ///   - observer: called with every record as it happens (a verbose replay).
    public init(
        plan: SimulationPlan, keepsHistory: Bool = false,
        observer: ((SimulationRecord) -> Void)? = nil
    ) {
        precondition(plan.configurations.count == 2, "a pair has two boards")
        precondition(plan.configurations[0].paths == plan.configurations[1].paths, "both ends of a path agree")
        precondition(plan.pathDelays.count == plan.pathCount, "one delay pair per path")
        self.plan = plan
        bounds = SimulationBounds(plan: plan)
        rng = SplitMix64(seed: plan.seed ^ 0x5EED_0F_D0_B1E5)
        boards = (0..<2).map { index in
            SimulatedBoard(
                index: index, template: plan.configurations[index], clockOffset: plan.clockOffsets[index],
                driftPPM: plan.clockDriftPPM[index])
        }
        network = SimulatedNetwork(pathCount: plan.pathCount)
        self.keepsHistory = keepsHistory
        self.observer = observer
        healAt = plan.healAt.nanoseconds
        livenessDeadline = (plan.healAt + bounds.liveness).nanoseconds
        endTime = plan.healAt + bounds.liveness + plan.settledFor
        for index in 0..<2 {
            queue.push(.start(board: index, token: 0), at: plan.startAt[index].nanoseconds)
        }
        for (index, scheduled) in plan.faults.enumerated() where scheduled.at < plan.healAt {
            queue.push(.fault(index), at: scheduled.at.nanoseconds)
        }
        queue.push(.heal, at: healAt)
    }

    /// Runs one random plan of `profile` for `seed`.
    public static func run(
        seed: UInt64, profile: SimulationProfile = .standard,
        observer: ((SimulationRecord) -> Void)? = nil
    ) -> SimulationOutcome {
        var simulation = Simulation(plan: SimulationPlan.random(seed: seed, profile: profile), observer: observer)
        return simulation.run()
    }

    /// Runs to the end (or to the first failure).
    public mutating func run() -> SimulationOutcome {
        var limit = endTime
        repeat {
            limit = endTime
            _ = run(until: limit)
        } while failure == nil && endTime > limit
        return SimulationOutcome(
            seed: plan.seed, failure: failure, statistics: statistics, duration: time, digest: digest)
    }

    /// Runs every event up to `limit` (inclusive) and returns the first failure, if any.
    public mutating func run(until limit: Duration) -> SimulationFailure? {
        while failure == nil, let next = queue.nextTime, next <= limit.nanoseconds {
            let (time, event) = queue.pop()!
            precondition(time >= now, "time went back")
            now = time
            statistics.events += 1
            mix(time)
            handle(event)
            if failure == nil { checkAfterEvent() }
        }
        if failure == nil, limit.nanoseconds > now {
            now = min(limit.nanoseconds, endTime.nanoseconds)
            checkAfterEvent()
        }
        if failure == nil, now >= endTime.nanoseconds { finish() }
        return failure
    }

    // MARK: - Observation (for tests and the replay tool)

    /// Global simulated time now.
    public var time: Duration { Duration(nanoseconds: now) }
    /// The role of board `index` (0 or 1), nil while it is down.
    public func role(board index: Int) -> Role? { boards[index].role }
    public func epoch(board index: Int) -> UInt64? { boards[index].isUp ? boards[index].core?.epoch : nil }
    /// Whether the simulated kernel of board `index` has the logical addresses.
    public func holdsAddresses(board index: Int) -> Bool { boards[index].holdsAddresses }
    /// The pair core's status of board `index`, nil while it is down.
    public func status(board index: Int) -> PairStatus? { boards[index].isUp ? boards[index].core?.status : nil }
    /// Every record so far (only with `keepsHistory`).
    public var history: [SimulationRecord] { fullHistory }
    /// Operator replies so far: (request, board index, outcome).
    public var operatorReplies: [(request: UInt32, board: Int, outcome: CommandOutcome)] { replies }

    // MARK: - Dispatch

    private mutating func handle(_ event: SimulationEvent) {
        switch event {
        case .start(let board, let token):
            guard token == boards[board].restartToken, !boards[board].isUp else { return }
            startBoard(board)
        case .recover(let board, let token):
            guard token == boards[board].restartToken, boards[board].role == .failed else { return }
            crash(board, restartAfter: .milliseconds(1), reason: .recovering)
        case .tick(let board, let token):
            guard token == boards[board].tickToken, boards[board].life == .running else { return }
            tick(board)
        case .arrival(let board, let path, let frame, let generation):
            arrive(frame, at: board, path: path, generation: generation)
        case .carrier(let board, let path):
            deliverOrQueue(board, .carrierChanged(path: path, up: network.paths[path].carrierUp))
        case .actuated(let board, let generation, let incarnation, let claim, let ok):
            actuated(board, generation: generation, incarnation: incarnation, claim: claim, ok: ok)
        case .fault(let index):
            guard !healed else { return }
            inject(plan.faults[index].fault)
        case .injected(let fault):
            guard !healed else { return }
            inject(fault)
        case .episodeEnds(let id):
            endEpisode(id)
        case .unlock(let board):
            guard boards[board].role == .blocked else { return }
            record(.note("operator unlocks a board whose lock fault ended"), board: board)
            deliverOrQueue(board, .unlockRequested(request: takeRequestNumber()))
        case .heal:
            heal()
        }
    }

    /// Feeds one event to a running board's core and carries out the actions. A frozen board
    /// queues it instead; a down board drops it.
    mutating func deliverOrQueue(_ index: Int, _ event: PairEvent) {
        switch boards[index].life {
        case .running:
            step(index, event)
        case .frozen:
            if case .frameReceived = event {
                guard boards[index].pendingFrames < plan.receiveQueueMax else {
                    statistics.framesDropped += 1
                    return
                }
                boards[index].pendingFrames += 1
            } else if case .frameMalformed = event {
                guard boards[index].pendingFrames < plan.receiveQueueMax else { return }
                boards[index].pendingFrames += 1
            }
            precondition(boards[index].pending.count < plan.receiveQueueMax + 4096, "pending inputs unbounded")
            boards[index].pending.append(event)
        case .notStarted, .crashed, .stopped:
            if case .frameReceived = event { statistics.framesDropped += 1 }
        }
    }

    /// One call to `PairCore.handle`, then its actions, then the next tick.
    mutating func step(_ index: Int, _ event: PairEvent) {
        precondition(boards[index].life == .running && boards[index].core != nil, "step on a board that is not running")
        observeInput(index, event)
        let local = Instant(nanoseconds: boards[index].localTime(global: now))
        boards[index].localHighWater = max(boards[index].localHighWater, local.nanoseconds)
        let actions = boards[index].core!.handle(event, now: local)
        statistics.coreSteps += 1
        checkEpoch(index)
        var stops = false
        for action in actions {
            perform(action, board: index)
            if case .stop = action { stops = true }
            if failure != nil { return }
        }
        mix(UInt64(boards[index].core!.role.rawValue) << 56 | boards[index].core!.epoch << 8 | UInt64(actions.count))
        if stops {
            stop(index)
        } else {
            scheduleTick(index)
        }
    }

    private mutating func tick(_ index: Int) {
        step(index, .tick)
        guard failure == nil, boards[index].life == .running, let core = boards[index].core else { return }
        let deadline = core.nextDeadline.nanoseconds
        if deadline <= boards[index].localTime(global: now) {
            boards[index].overdueTicks += 1
            if boards[index].overdueTicks > 3 {
                fail(.deadlineAdvances, "board\(index + 1) keeps asking for a tick at \(deadline) (local now \(boards[index].localTime(global: now)))")
            } else {
                scheduleTick(index, force: true)  // as a real timer would fire again at once
            }
        } else {
            boards[index].overdueTicks = 0
        }
    }

    /// Arms the board's timer at the core's next deadline (plus the wake-up lateness).
    mutating func scheduleTick(_ index: Int, force: Bool = false) {
        guard boards[index].life == .running, let core = boards[index].core else { return }
        let deadline = core.nextDeadline.nanoseconds
        guard force || deadline != boards[index].tickDeadline else { return }
        boards[index].tickDeadline = deadline
        boards[index].tickToken += 1
        guard deadline != .max else { return }
        var at = boards[index].globalTime(local: deadline, notBefore: now)
        at += rng.uniform(plan.tickLateness).nanoseconds
        if !healed, plan.tickSpikePerMille > 0, rng.chance(perMille: plan.tickSpikePerMille) {
            at += rng.uniform(plan.tickSpike).nanoseconds
            boards[index].lastFaultAt = now
        }
        queue.push(.tick(board: index, token: boards[index].tickToken), at: at)
    }

    // MARK: - Records

    mutating func record(_ kind: SimulationRecord.Kind, board: Int?) {
        let entry = SimulationRecord(time: Duration(nanoseconds: now), board: board, kind: kind)
        if case .core(.frameRejected) = kind {} else { ring.append(entry) }
        if keepsHistory, fullHistory.count < 200_000 { fullHistory.append(entry) }
        observer?(entry)
    }

    /// FNV-1a over 64-bit words: the run's digest.
    mutating func mix(_ value: UInt64) {
        digest = (digest ^ value) &* 0x0000_0100_0000_01B3
    }
}
