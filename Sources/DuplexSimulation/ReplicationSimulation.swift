import DuplexCore

/// A deterministic simulation of checkpoint replication: two `ReplicationCore`s exchange
/// encoded `ReplicationMessage`s through a channel that loses, duplicates, corrupts and
/// reorders them, under a random workload and crash episodes, on a simulated clock driven by
/// one seeded `SplitMix64`. Every step is checked against `ReplicationInvariant`.
public struct ReplicationSimulation: Sendable {
    public let seed: UInt64
    public let profile: ReplicationProfile
    var network: SplitMix64
    var workload: SplitMix64
    var now = Instant(nanoseconds: 1_000_000_000)
    let start = Instant(nanoseconds: 1_000_000_000)
    var boards: [ReplicaBoard] = []
    var epoch: UInt64 = 1
    var flights: [Flight] = []
    var heldFragments: [HeldFragments] = []
    var serial: UInt64 = 0
    /// The updates of the current line of history, by sequence (index + 1).
    var history: [CheckpointUpdate] = []
    /// The highest sequence completed as replicated on this line of history.
    var replicatedMax: UInt64 = 0
    var requests: [UInt64: Request] = [:]
    var nextRequest: UInt64 = 1
    var nextWriteAt: Instant
    var episodes: [Episode] = []
    /// One-sided faults still to play, earliest first.
    var blips: [Blip] = []
    var outcome = ReplicationOutcome()
    var records = ReplicationRecords(capacity: 64)
    /// The board that crashed in the current episode, and whether it was the active.
    var crashed: (board: Int, wasActive: Bool)?
    var sameInstant = 0
    var lastInstant = Instant.zero
    var failure: ReplicationFailure?

    /// Bounds of a run: events processed, messages in flight.
    static let eventsMax = 2_000_000
    static let flightsMax = 20_000
    /// Events the cores may ask for at one instant (a resend batch at a time, and the chunks in
    /// flight, which arrive at once once the faults stop and every message takes the same delay).
    static let sameInstantMax =
        4 * Limits.replicationWindowMax / Limits.replicationResendBatchMax + 2 * Limits.snapshotChunksInFlightMax + 64

    struct ReplicaBoard: Sendable {
        var core: ReplicationCore
        var alive = true
        var startedAt: Instant
        /// The replica's sequence at the last check (within this incarnation).
        var checkedSequence: UInt64 = 0
        var replaced = false
        /// `history` replayed up to `shadow.sequence`.
        var shadow = CheckpointStore()
        var incarnation: UInt32
        /// Segmented messages from the mate being put back together, as its transport does.
        var reassembler = SegmentReassembler()
        /// The number its next segmented message carries.
        var nextSegmented: UInt32 = 0
    }

    struct Flight: Sendable {
        var at: Instant
        var serial: UInt64
        var to: Int
        var bytes: [UInt8]
        /// The IP fragments the datagram was cut into (1: none).
        var fragments = 1
        /// Only the fragments after a lost first one: they take reassembly memory, and
        /// deliver nothing.
        var tailOnly = false
    }

    /// Fragments a board's kernel holds for datagrams that will never be complete.
    struct HeldFragments: Sendable {
        var board: Int
        var bytes: Int
        var until: Instant
    }

    struct Request: Sendable {
        var board: Int
        var sync: Bool
        var issuedAt: Instant
    }

    /// A scheduled crash-and-recover episode.
    struct Episode: Sendable {
        var at: Instant
        var step: Step
        enum Step: Sendable { case crash(active: Bool), detect, restart }
    }

    /// A one-sided fault: only one board's core hears of it.
    struct Blip: Sendable {
        var at: Instant
        var step: Step
        enum Step: Sendable {
            /// The board (the active if `active`, else the standby) sees the mate lost, and
            /// back after `gap`.
            case lost(active: Bool, gap: Duration)
            /// That board sees the mate back.
            case back(board: Int, incarnation: UInt32)
            /// The active alone moves to a new epoch.
            case newEpoch
            /// The operator tells the standby to resync (`duplexctl resync`).
            case resync
        }
    }

    public init(seed: UInt64, profile: ReplicationProfile) {
        self.seed = seed
        self.profile = profile
        var root = SplitMix64(seed: seed)
        network = root.split()
        workload = root.split()
        nextWriteAt = now
        boards = [makeBoard(), makeBoard()]
        episodes = planEpisodes(&root)
        blips = planBlips(&root)
    }

    /// Runs one seed to the end and reports the first failure, if any.
    public static func run(seed: UInt64, profile: ReplicationProfile = .quick) -> ReplicationOutcome {
        var simulation = ReplicationSimulation(seed: seed, profile: profile)
        simulation.run()
        return simulation.outcome
    }

    mutating func makeBoard() -> ReplicaBoard {
        let incarnation = UInt32(truncatingIfNeeded: workload.next())
        var configuration = ReplicationConfiguration(incarnation: incarnation, syncPolicy: profile.syncPolicy)
        configuration.windowMax = 256
        if let mtu = profile.linkMTU, profile.chunksFitMTU {
            configuration.chunkSizeMax = ReplicationConfiguration.chunkSize(fitting: mtu - Self.ipv4UDPHeaderSize)
        }
        configuration.batchSizeMax = profile.batchSizeMax
        if let mtu = profile.linkMTU, profile.batchSizeMax > 0 {
            configuration.batchSizeMax = ReplicationConfiguration.batchSize(fitting: mtu - Self.ipv4UDPHeaderSize)
        }
        var board = ReplicaBoard(core: ReplicationCore(configuration: configuration), startedAt: now, incarnation: incarnation)
        board.nextSegmented = incarnation  // each start numbers its segmented messages from elsewhere
        return board
    }

    public mutating func run() {
        startBoards()
        for _ in 0..<Self.eventsMax {
            guard failure == nil else { break }
            if now >= start + profile.duration, converged() {
                outcome.convergedAfter = now.since(start + profile.duration)
                break
            }
            guard now <= start + profile.duration + profile.quiet else {
                fail(.converges, "the standby did not converge: \(convergenceReport())")
                break
            }
            step()
            outcome.events += 1
        }
        if failure == nil, outcome.convergedAfter == .zero, !converged() {
            fail(.converges, "the run ended before converging")
        }
        outcome.failure = failure
        if let active = activeIndex {
            outcome.finalSequence = boards[active].core.store.sequence
            outcome.finalSections = boards[active].core.store.sectionCount
        }
    }

    /// Board 0 active at epoch 1 with the preloaded sections, board 1 standby; then both see
    /// the mate.
    private mutating func startBoards() {
        handle(0, .roleChanged(.active, epoch: epoch))
        preload()
        handle(1, .roleChanged(.standby, epoch: 0))
        handle(0, .mateReachable(true))
        handle(1, .mateReachable(true))
    }

    /// The next thing to happen, then the checks.
    private mutating func step() {
        var next = start + profile.duration + profile.quiet + .nanoseconds(1)
        var what = 0
        if let flight = flights.indices.min(by: { earlier(flights[$0], flights[$1]) }).map({ flights[$0] }) {
            if flight.at < next { (next, what) = (flight.at, 1) }
        }
        for index in boards.indices where boards[index].alive && boards[index].core.nextDeadline < next {
            (next, what) = (boards[index].core.nextDeadline, 2 + index)
        }
        if writing, nextWriteAt < next { (next, what) = (nextWriteAt, 4) }
        if let episode = episodes.first, episode.at < next { (next, what) = (episode.at, 5) }
        if let blip = blips.first, blip.at < next { (next, what) = (blip.at, 6) }
        // A core may ask for a deadline already past: it runs now.
        advance(to: max(next, now))
        switch what {
        case 1: deliverNext()
        case 2, 3: handle(what - 2, .tick)
        case 4: writeOnActive()
        case 5: runEpisode()
        case 6: runBlip()
        default: break
        }
        checkReplicas()
    }

    private func earlier(_ lhs: Flight, _ rhs: Flight) -> Bool {
        (lhs.at, lhs.serial) < (rhs.at, rhs.serial)
    }

    private mutating func advance(to instant: Instant) {
        precondition(instant >= now, "time never goes back")
        if instant == lastInstant {
            sameInstant += 1
            if sameInstant > Self.sameInstantMax { fail(.timeAdvances, "\(sameInstant) events at one instant") }
        } else {
            sameInstant = 0
            lastInstant = instant
        }
        now = instant
    }

    /// Whether the workload and faults still run.
    var faulty: Bool { now < start + profile.duration }
    var writing: Bool { faulty && activeIndex != nil }

    var activeIndex: Int? {
        boards.indices.first { boards[$0].alive && boards[$0].core.role == .active }
    }

    var standbyIndex: Int? {
        boards.indices.first { boards[$0].alive && boards[$0].core.role == .standby }
    }

    mutating func record(_ board: Int?, _ what: ReplicationRecords.What) {
        records.append(ReplicationRecords.Entry(time: now.since(start), board: board, what: what))
    }

    mutating func fail(_ invariant: ReplicationInvariant, _ detail: String) {
        guard failure == nil else { return }
        failure = ReplicationFailure(
            seed: seed, time: now.since(start), invariant: invariant, detail: detail, trace: records.formatted)
    }
}
