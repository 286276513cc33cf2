public import DuplexCore

/// How much a random plan does: the length of its fault phase and how dense the faults are.
public struct SimulationProfile: Sendable, Hashable {
    public var faultPhase: ClosedRange<Duration>
    /// Faults per simulated second of fault phase.
    public var faultsPerSecond: ClosedRange<Int>
    /// See `SimulationPlan.failsReleases`.
    public var failsReleases: Bool
    /// Whether plans clog paths (hold every frame, then deliver them at once: late frames,
    /// some from a previous incarnation of the sender or offered to one of the receiver).
    public var clogs: Bool

    public init(
        faultPhase: ClosedRange<Duration>, faultsPerSecond: ClosedRange<Int>, failsReleases: Bool = true,
        clogs: Bool = true
    ) {
        self.faultPhase = faultPhase
        self.faultsPerSecond = faultsPerSecond
        self.failsReleases = failsReleases
        self.clogs = clogs
    }

    /// Short runs for the fixed-seed test suite (debug builds).
    public static let quick = SimulationProfile(
        faultPhase: .milliseconds(300) ... .milliseconds(1200), faultsPerSecond: 4...14)
    /// Longer runs for `duplex-vopr`.
    public static let standard = SimulationProfile(
        faultPhase: .seconds(1) ... .seconds(6), faultsPerSecond: 2...12)
}

extension SimulationPlan {
    /// A random plan: topology, timing, priorities and a fault schedule, all from `seed`.
    public static func random(seed: UInt64, profile: SimulationProfile = .standard) -> SimulationPlan {
        var rng = SplitMix64(seed: seed)
        var plan = SimulationPlan(seed: seed, paths: rng.uniform(1...3))
        plan.failsReleases = profile.failsReleases
        plan.variedPersistedState = true
        plan.randomizeConfigurations(&rng)
        plan.randomizeNetwork(&rng)
        let start = max(plan.startAt[0], plan.startAt[1])
        // Usually the faults begin once the pair has formed; sometimes during start-up.
        let faultsBegin =
            rng.chance(perMille: 200)
            ? rng.uniform(Duration.zero...start) : start + plan.configurations[0].discoveryWindow + .milliseconds(20)
        let phase = rng.uniform(profile.faultPhase)
        plan.healAt = faultsBegin + phase
        let count = max(1, Int(phase.nanoseconds / 1_000_000) * rng.uniform(profile.faultsPerSecond) / 1000)
        for _ in 0..<count {
            let at = faultsBegin + rng.uniform(Duration.zero...phase)
            let faults = randomFaults(at: at, plan: plan, profile: profile, rng: &rng)
            plan.faults += faults
        }
        // BUGGIFY for one seed in ten: rare paths forced at role changes, late timer wake-ups,
        // the timer before the frames on a thaw, clocks off by up to 2%.
        if rng.chance(perMille: 100) {
            plan.buggifyPerMille = rng.uniform(100...600)
            plan.tickSpikePerMille = rng.uniform(0...20)
            plan.thawsTimerFirst = rng.chance(perMille: 500)
            if rng.chance(perMille: 300) {
                plan.clockDriftPPM = [Int64(rng.uniform(0...40_000)) - 20_000, Int64(rng.uniform(0...40_000)) - 20_000]
            }
        }
        // Half the plans rotate their heartbeats (drawn last, so that the rest of a seed's
        // plan is what it was before the rotation existed).
        if rng.chance(perMille: 500) {
            plan.configurations = plan.configurations.map { $0.with(heartbeats: .rotate) }
            // Half of those have a quiet standby, 2 to 6 intervals between its heartbeats.
            if rng.chance(perMille: 500), let shortest = plan.configurations[0].paths.map(\.interval).min() {
                let standby = shortest * UInt64(rng.uniform(2...6))
                plan.configurations = plan.configurations.map { $0.with(standbyInterval: standby) }
            }
        }
        return plan
    }

    private mutating func randomizeConfigurations(_ rng: inout SplitMix64) {
        let timing = (0..<pathCount).map { _ in
            PairConfiguration.Path(
                interval: .milliseconds(rng.pick([2, 4, 4, 4, 5, 10])),
                missedHeartbeatsMax: rng.pick([2, 3, 3, 3, 4, 5]))
        }
        let priorities: [UInt8] =
            switch rng.weighted([70, 15, 15]) {
            case 0: [200, 100]
            case 1: [100, 100]
            default: [UInt8(rng.uniform(0...255)), UInt8(rng.uniform(0...255))]
            }
        let discovery = rng.uniform(Duration.milliseconds(50) ... .milliseconds(300))
        for index in 0..<2 {
            configurations[index] = PairConfiguration(
                cluster: configurations[index].cluster, board: UInt16(index + 1),
                priority: priorities[index], incarnation: 1, paths: timing, discoveryWindow: discovery,
                preempt: rng.chance(perMille: 150),
                handoverTimeout: rng.uniform(Duration.milliseconds(50) ... .milliseconds(250)),
                actuationAttemptsMax: rng.uniform(1...4),
                actuationRetryDelay: rng.uniform(Duration.milliseconds(5) ... .milliseconds(30)))
        }
        if rng.chance(perMille: 600) {
            startAt = [rng.uniform(Duration.zero ... .milliseconds(1)), rng.uniform(Duration.zero ... .milliseconds(1))]
        } else {
            startAt = [rng.uniform(Duration.zero ... .milliseconds(500)), rng.uniform(Duration.zero ... .milliseconds(500))]
        }
        clockOffsets = [rng.uniform(1_000_000_000...1_000_000_000_000), rng.uniform(1_000_000_000...1_000_000_000_000)]
        // Crystal oscillators: within 200 ppm.
        clockDriftPPM = [Int64(rng.uniform(0...400)) - 200, Int64(rng.uniform(0...400)) - 200]
    }

    private mutating func randomizeNetwork(_ rng: inout SplitMix64) {
        let count = pathCount
        pathDelays = (0..<count).map { path in
            let range: ClosedRange<Duration> =
                path == count - 1 ? .microseconds(50) ... .microseconds(400) : .microseconds(5) ... .microseconds(100)
            return [rng.uniform(range), rng.uniform(range)]
        }
        pathJitter = rng.uniform(Duration.zero ... .microseconds(30))
        slowActuationPerMille = rng.uniform(0...20)
    }

    /// One fault at `at` (or, BUGGIFY, two at the very same instant).
    private static func randomFaults(
        at: Duration, plan: SimulationPlan, profile: SimulationProfile, rng: inout SplitMix64
    ) -> [ScheduledFault] {
        var faults = [ScheduledFault(at: at, randomFault(plan: plan, clogs: profile.clogs, rng: &rng))]
        if rng.chance(perMille: 30) {
            // A switchover or a crash exactly when a partition starts, and the like.
            let pair: [Fault] = [
                .switchover(.active, force: rng.chance(perMille: 500)),
                .crash(.active, restartAfter: rng.uniform(Duration.milliseconds(20) ... .milliseconds(500))),
                .freeze(.active, lasting: rng.uniform(Duration.milliseconds(5) ... .milliseconds(200))),
                .failure(.active),
            ]
            faults.append(ScheduledFault(at: at, rng.pick(pair)))
        }
        return faults
    }

    private static func randomFault(plan: SimulationPlan, clogs: Bool, rng: inout SplitMix64) -> Fault {
        let path = rng.uniform(0..<plan.pathCount)
        let board: BoardTarget = rng.pick([.active, .active, .standby, .index(0), .index(1)])
        let short = rng.uniform(Duration.milliseconds(1) ... .milliseconds(50))
        let long = rng.uniform(Duration.milliseconds(50) ... .milliseconds(1000))
        let lasting = rng.chance(perMille: 500) ? short : long
        let from: Int? = rng.pick([nil, nil, 0, 1])
        switch rng.weighted([14, 6, 6, 4, 8, 6, 5, 6, 6, 4, 3, 3, 3, 3, 5, 3, 2, 2, 2]) {
        case 0: return .impair(path: path, from: from, Impairment(lossPerMille: rng.uniform(10...1000)), lasting: lasting)
        case 1:
            let delay = Impairment(
                extraDelay: rng.uniform(Duration.microseconds(100) ... .milliseconds(20)),
                jitter: rng.uniform(Duration.zero ... .milliseconds(5)))
            return .impair(path: path, from: from, delay, lasting: lasting)
        case 2: return .impair(path: path, from: from, Impairment(duplicatePerMille: rng.uniform(10...500)), lasting: lasting)
        case 3 where clogs && rng.chance(perMille: 300):
            return .impair(path: path, from: from, Impairment(clog: true), lasting: lasting)
        case 3:
            let reorder = Impairment(reorderPerMille: rng.uniform(10...500), reorderSpread: rng.uniform(Duration.microseconds(100) ... .milliseconds(8)))
            return .impair(path: path, from: from, reorder, lasting: lasting)
        case 4: return .impair(path: path, from: from, Impairment(corruptPerMille: rng.uniform(10...300)), lasting: lasting)
        case 5: return .impair(path: path, from: rng.uniform(0...1), .blackhole, lasting: lasting)
        case 6: return .linkDown(path: path, lasting: lasting)
        case 7: return .partition(from: rng.chance(perMille: 300) ? rng.uniform(0...1) : nil, lasting: lasting)
        case 8: return .crash(board, restartAfter: rng.uniform(Duration.milliseconds(10) ... .milliseconds(800)))
        case 9: return .freeze(board, lasting: lasting)
        case 10: return .clockStep(board, forward: rng.chance(perMille: 500), by: rng.uniform(Duration.microseconds(100) ... .seconds(2)))
        case 11:
            return rng.chance(perMille: 500)
                ? .actuatorFailsNth(board, n: rng.uniform(1...4)) : .actuatorFailsAll(board, lasting: lasting)
        case 12: return .actuatorSlow(board, lasting: lasting)
        case 13: return .isolationLost(board, lasting: lasting)
        case 14: return .switchover(rng.chance(perMille: 800) ? .active : board, force: rng.chance(perMille: 300))
        case 15: return .shutdown(board, restartAfter: rng.uniform(Duration.milliseconds(10) ... .milliseconds(800)))
        case 16: return .failure(rng.chance(perMille: 800) ? .active : board)
        case 17: return .lock(board, force: rng.chance(perMille: 300), lasting: lasting)
        default: return .notHot(board, lasting: lasting)
        }
    }
}
