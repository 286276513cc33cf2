public import DuplexCore

/// Everything a run depends on: the two boards' configurations, the network's base delays,
/// the actuator's timing, and the fault schedule. A plan and its seed replay exactly.
public struct SimulationPlan: Sendable {
    /// Seeds the run's own random stream (loss, delays, actuator outcomes, incarnations).
    public var seed: UInt64
    /// The two boards' configurations (index 0 is board id 1). Incarnations are replaced at
    /// every start: random at the first, then growing (serial-number order) by a random step.
    public var configurations: [PairConfiguration]
    /// When each board starts.
    public var startAt: [Duration]
    /// Each board's clock offset: local time = global time + offset.
    public var clockOffsets: [UInt64]
    /// Each board's clock rate error in parts per million (positive: fast).
    public var clockDriftPPM: [Int64] = [0, 0]
    /// One-way base delay per path and sending board index: `pathDelays[path][from]`.
    public var pathDelays: [[Duration]]
    /// Normal jitter added to every frame (order within a path direction is kept).
    public var pathJitter: Duration = .microseconds(10)
    /// How long an actuator call normally takes.
    public var actuationDelay: ClosedRange<Duration> = .microseconds(20) ... .microseconds(300)
    /// How long a slow actuator call takes (a stalled `rtnl_lock`).
    public var slowActuationDelay: ClosedRange<Duration> = .milliseconds(2) ... .milliseconds(8)
    /// Whether actuator faults fail releases as well as claims.
    public var failsReleases = true
    /// Calls that are slow even without an actuator fault.
    public var slowActuationPerMille: UInt64 = 5
    /// How late a netlink carrier event reaches the board after the carrier changed.
    public var carrierEventDelay: ClosedRange<Duration> = .microseconds(50) ... .microseconds(200)
    /// How late the board's timer wakes the pair thread.
    public var tickLateness: ClosedRange<Duration> = .zero ... .microseconds(50)
    /// Rare, much later wake-ups (a preempted thread), per mille of ticks.
    public var tickSpikePerMille: UInt64 = 0
    public var tickSpike: ClosedRange<Duration> = .milliseconds(1) ... .milliseconds(6)
    /// On a thaw, whether the overdue timer is handled before the queued frames (the order
    /// of one `epoll_wait` batch is not specified).
    public var thawsTimerFirst = false
    /// Frames a frozen board's socket buffers hold; later frames are dropped.
    public var receiveQueueMax = 64
    /// How long a failed board takes to recover (restart) during the fault phase.
    public var recoveryDelay: ClosedRange<Duration> = .milliseconds(100) ... .milliseconds(600)
    /// The fault schedule, in any order.
    public var faults: [ScheduledFault]
    /// Every fault ends here; afterwards the pair must settle within `livenessBound`.
    public var healAt: Duration
    /// How long after `healAt + livenessBound` the settled state is checked at every step.
    public var settledFor: Duration = .milliseconds(100)
    /// BUGGIFY: per mille chance, at each role change during the fault phase, of forcing a
    /// rare fault right then (a partition as a switchover starts, a crash while quiesced...).
    public var buggifyPerMille: UInt64 = 0
    /// Whether starts find varied persisted checkpoint state: a damaged journal
    /// (`persistedStateDamaged`) one start in eight, and a persisted sequence of 0 to 3, both
    /// from the start's incarnation. Off in hand-written scenarios.
    public var variedPersistedState = false

    /// A fault-free plan: boards 1 and 2 with priorities 200 and 100, `paths` paths with the
    /// default timing, both starting at once. Scenario tests add faults to it.
    public init(seed: UInt64, paths: Int = 2, healAt: Duration = .seconds(1)) {
        precondition(paths >= 1 && paths <= Limits.linksMax, "1...linksMax paths")
        self.seed = seed
        let pathConfigurations = Array(repeating: PairConfiguration.Path(), count: paths)
        configurations = [
            PairConfiguration(cluster: 0x00D0_B1E5, board: 1, priority: 200, incarnation: 1, paths: pathConfigurations),
            PairConfiguration(cluster: 0x00D0_B1E5, board: 2, priority: 100, incarnation: 1, paths: pathConfigurations),
        ]
        startAt = [.zero, .zero]
        clockOffsets = [1_000_000_000_000, 5_000_000_000_000]
        pathDelays = (0..<paths).map { path in
            path == paths - 1 && paths > 1
                ? [.microseconds(120), .microseconds(120)] : [.microseconds(30), .microseconds(30)]
        }
        faults = []
        self.healAt = healAt
    }

    public var pathCount: Int { configurations[0].paths.count }
    /// The last path is the service LAN (when there is more than one path).
    public var serviceLANPath: Int { pathCount - 1 }

    /// Schedules a fault at `at` after the start.
    public mutating func add(_ fault: Fault, at: Duration) {
        faults.append(ScheduledFault(at: at, fault))
    }
}
