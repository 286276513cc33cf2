import DuplexCore

/// One simulated board: its pair core (nil while down), its clock, its kernel's view of the
/// logical addresses, its actuator and its socket buffers.
struct SimulatedBoard {
    enum Life: Equatable {
        case notStarted, running, frozen, crashed, stopped
    }

    let index: Int
    let template: PairConfiguration
    var core: PairCore?
    var life: Life = .notStarted
    var incarnation: UInt32 = 0
    /// Local time = global time + offset. Clock steps change it.
    var clockOffset: UInt64
    /// The latest local time the core was given: after a backward clock step the core's
    /// timers stand still until the clock is back there (the core clamps time).
    var localHighWater: UInt64 = 0
    /// Whether the simulated kernel has the logical addresses on an interface.
    var holdsAddresses = false
    /// Inputs that reached the board while it was frozen (socket buffers, netlink, control).
    var pending: [PairEvent] = []
    var pendingFrames = 0
    /// The local deadline the scheduled tick is for, and a token that invalidates older ticks.
    var tickDeadline: UInt64 = .max
    var tickToken: UInt64 = 0
    var overdueTicks = 0
    /// Restart or recovery scheduled; a token invalidates an older one.
    var restartToken: UInt64 = 0
    var restartAfterStop: Duration?
    var actuator = Actuator()
    /// Epoch seen after the last step, for the monotonicity checker.
    var lastEpoch: UInt64 = 0
    /// Global time of the last role change.
    var roleSince: UInt64 = 0
    /// Global time of the last board-level fault (freeze, thaw, step, crash, restart...).
    var lastFaultAt: UInt64 = 0
    /// What the core was told about each path's carrier.
    var carrierView: [Bool]
    /// Per path: the mate incarnation and sequence of the newest frame handled, and when.
    var freshIncarnation: [UInt32]
    var freshSequence: [UInt64]
    var freshAt: [UInt64]
    /// Whether the newest heartbeat this board sent was a quiet standby's.
    var sentQuiet = false
    /// The mate's newest incarnation heard (0: none yet), and whether it said goodbye.
    var mateIncarnation: UInt32 = 0
    var mateDeparted = false
    var isolationToldOK = true

    struct Actuator {
        /// Bumped by a board reset: completions of older calls never reach the kernel.
        var generation: UInt64 = 0
        var calls = 0
        var failingCalls: [Int] = []
        var failAll = 0
        var slow = 0
        /// Calls complete in order: a call starts when the previous one finished.
        var busyUntil: UInt64 = 0
        /// The core's call in flight (per incarnation): claim (true) or release (false).
        var inFlight: Bool?
    }

    /// Clock rate error in parts per million (positive: the board's clock runs fast).
    let driftPPM: Int64

    init(index: Int, template: PairConfiguration, clockOffset: UInt64, driftPPM: Int64) {
        precondition(driftPPM > -100_000 && driftPPM < 100_000, "drift within 10%")
        self.index = index
        self.template = template
        self.clockOffset = clockOffset
        self.driftPPM = driftPPM
        let paths = template.paths.count
        carrierView = Array(repeating: true, count: paths)
        freshIncarnation = Array(repeating: 0, count: paths)
        freshSequence = Array(repeating: 0, count: paths)
        freshAt = Array(repeating: 0, count: paths)
    }

    /// The board runs its core (possibly frozen).
    var isUp: Bool { life == .running || life == .frozen }
    var role: Role? { isUp ? core?.role : nil }

    /// The board's clock: offset + global time, running fast or slow by `driftPPM`.
    func localTime(global: UInt64) -> UInt64 {
        let skew = Int64(global) * driftPPM / 1_000_000
        return UInt64(Int64(clockOffset) + Int64(global) + skew)
    }

    /// The first global time, not before `earliest`, at which the board's clock reads `local`.
    func globalTime(local: UInt64, notBefore earliest: UInt64) -> UInt64 {
        let start = localTime(global: earliest)
        guard local > start else { return earliest }
        var global = earliest + (local - start) * 1_000_000 / UInt64(1_000_000 + driftPPM)
        // Integer division can land a few nanoseconds early; step forward (bounded).
        for _ in 0..<64 where localTime(global: global) < local { global += 1 }
        assert(localTime(global: global) >= local, "inverse clock off by more than 64 ns")
        return global
    }

    /// How long (global time) the board's clock needs to catch up with the time its core
    /// has seen.
    func clockDebt(global: UInt64) -> UInt64 {
        globalTime(local: localHighWater, notBefore: global) - global
    }

    /// The newest fresh frame from the mate, on any path, was handled at this global time.
    var lastFreshAt: UInt64 { freshAt.max() ?? 0 }
}
