import DuplexCore
import DuplexSimulation
import Testing

/// Focused scenarios with a fixed schedule: each asserts one property of the protocol.
@Suite struct ScenarioTests {
    typealias Duration = DuplexCore.Duration

    /// A fault-free plan with deterministic actuation timing (never slow).
    static func plan(paths: Int = 2, healAt: Duration = .seconds(2)) -> SimulationPlan {
        var plan = SimulationPlan(seed: 7, paths: paths, healAt: healAt)
        plan.slowActuationPerMille = 0
        return plan
    }

    static func run(_ plan: SimulationPlan) -> (Simulation, SimulationOutcome) {
        var simulation = Simulation(plan: plan, keepsHistory: true)
        let outcome = simulation.run()
        return (simulation, outcome)
    }

    @Test func cleanStartElectsThePreferredBoard() {
        let (simulation, outcome) = Self.run(Self.plan(healAt: .milliseconds(500)))
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let roles = simulation.roles
        let holders = simulation.holders
        #expect(roles == [.active, .standby])
        #expect(holders == [0])
        let reasons = [0, 1].map { simulation.history.roleChanges(board: $0).map(\.reason) }
        #expect(reasons == [[.discoveryPreferred], [.discoveryMatePreferred]])
    }

    @Test func activeCrashIsTakenOverWithinTimeoutAndActuation() throws {
        var plan = Self.plan(healAt: .milliseconds(1500))
        plan.add(.crash(.index(0), restartAfter: .seconds(5)), at: .seconds(1))
        let (simulation, outcome) = Self.run(plan)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let history = simulation.history
        let takeover = try #require(history.roleChanges(board: 1).first { $0.to == .active })
        #expect(takeover.reason == .mateLost)
        let held = try #require(history.addressChanges(board: 1).first { $0.held }.map(\.time))
        let timeout = plan.configurations[1].paths[0].timeout
        let bound = Duration.seconds(1) + timeout + plan.actuationDelay.upperBound + .microseconds(200)
        #expect(takeover.time > .seconds(1))
        #expect(held <= bound, "addresses held at \(held), bound \(bound)")
        // The crashed board restarts at the heal and joins as standby (no preemption).
        let roles = simulation.roles
        #expect(roles == [.standby, .active])
    }

    @Test func freezeOfTheActiveIsTakenOverAndThawLeavesOneActive() throws {
        var plan = Self.plan()
        plan.add(.freeze(.index(0), lasting: .milliseconds(200)), at: .seconds(1))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        #expect(simulation.run(until: .milliseconds(1100)) == nil)
        let rolesWhileFrozen = simulation.roles
        let holdersWhileFrozen = simulation.holders
        #expect(rolesWhileFrozen[1] == .active)
        #expect(holdersWhileFrozen == [0, 1], "a frozen board keeps its address (the watchdog's job)")
        #expect(simulation.run(until: .milliseconds(1250)) == nil)
        let rolesAfterThaw = simulation.roles
        let holdersAfterThaw = simulation.holders
        #expect(rolesAfterThaw == [.standby, .active])
        #expect(holdersAfterThaw == [1])
        let released = try #require(simulation.history.addressChanges(board: 0).last { !$0.held }.map(\.time))
        #expect(released < .milliseconds(1210), "released \(released) after the thaw at 1.2s")
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
    }

    @Test func partitionThenHealLeavesExactlyOneActive() {
        var plan = Self.plan()
        plan.add(.partition(from: nil, lasting: .milliseconds(500)), at: .seconds(1))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        #expect(simulation.run(until: .milliseconds(1400)) == nil)
        let rolesDuringPartition = simulation.roles
        #expect(rolesDuringPartition == [.active, .active])
        #expect(simulation.run(until: .milliseconds(1600)) == nil)
        let rolesAfter = simulation.roles
        let holdersAfter = simulation.holders
        #expect(rolesAfter == [.standby, .active], "the higher epoch (the board that took over) keeps the role")
        #expect(holdersAfter == [1])
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(outcome.statistics.dualActiveResolutions > 0)
    }

    @Test func gracefulSwitchoverNeverDoubleHoldsAndTheGapIsBelowOneMillisecond() throws {
        var plan = Self.plan()
        plan.add(.switchover(.index(0), force: false), at: .seconds(1))
        let (simulation, outcome) = Self.run(plan)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(outcome.statistics.longestOverlap == .zero)
        let replies = simulation.operatorReplies.map(\.outcome)
        #expect(replies == [.done])
        let history = simulation.history
        let bothHeld = history.bothHeldAtSomeInstant
        #expect(!bothHeld)
        let released = try #require(history.addressChanges(board: 0).first { !$0.held && $0.time >= .seconds(1) }.map(\.time))
        let claimed = try #require(history.addressChanges(board: 1).first { $0.held }.map(\.time))
        #expect(claimed > released)
        let gap = Duration(nanoseconds: claimed.nanoseconds - released.nanoseconds)
        #expect(gap < .milliseconds(1), "no board held the address for \(gap)")
        let roles = simulation.roles
        #expect(roles == [.standby, .active])
    }

    @Test(arguments: [false, true])
    func lossOfOneOfTwoPathsIsAnAlarmNotATakeover(carrierLost: Bool) {
        var plan = Self.plan(healAt: .seconds(4))
        let fault: Fault =
            carrierLost
            ? .linkDown(path: 0, lasting: .seconds(2))
            : .impair(path: 0, from: nil, .blackhole, lasting: .seconds(2))
        plan.add(fault, at: .seconds(1))
        let (simulation, outcome) = Self.run(plan)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let history = simulation.history
        let standbyTakeovers = history.roleChanges(board: 1).filter { $0.to == .active }.count
        #expect(standbyTakeovers == 0)
        #expect(outcome.statistics.takeovers == [1, 0], "only the initial election")
        for board in 0..<2 {
            let alarmed = history.contains { $0.board == board && $0.kind == .core(.pathsDegraded(pathsUp: 1, pathsTotal: 2)) }
            let restored = history.contains { $0.board == board && $0.kind == .core(.pathsRestored) }
            #expect(alarmed && restored, "board\(board + 1): alarm \(alarmed), restored \(restored)")
        }
    }

    /// 20% loss in both directions of every path for 60 s: a path goes down now and then
    /// (an alarm), but never every path at once, so the standby never takes over.
    @Test(arguments: [(paths: 3, lossPerMille: 200 as UInt64), (paths: 2, lossPerMille: 100)])
    func heavySubThresholdLossCausesNoTakeover(paths: Int, lossPerMille: UInt64) {
        var plan = Self.plan(paths: paths, healAt: .seconds(61))
        for path in 0..<paths {
            plan.add(.impair(path: path, from: nil, Impairment(lossPerMille: lossPerMille), lasting: .seconds(60)), at: .seconds(1))
        }
        let (simulation, outcome) = Self.run(plan)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(outcome.statistics.takeovers == [1, 0], "only the initial election")
        #expect(outcome.statistics.degradedAlarms > 0)
        let standbyTakeovers = simulation.history.roleChanges(board: 1).filter { $0.to == .active }.count
        #expect(standbyTakeovers == 0)
    }

    /// One path, 4 ms x 3: the active's heartbeats of 1004 and 1008 ms are lost and the one of
    /// 1012 ms arrives 100 us late. Only two heartbeats were missed (fewer than
    /// `missedHeartbeatsMax`): the standby must not take over.
    @Test func twoLostHeartbeatsAndALateOneAreNotAFailure() {
        var plan = Self.plan(paths: 1)
        plan.tickLateness = .zero ... .zero
        plan.pathJitter = .zero
        plan.add(.impair(path: 0, from: 0, .blackhole, lasting: .microseconds(8_000)), at: .microseconds(1_000_500))
        plan.add(.impair(path: 0, from: 0, Impairment(extraDelay: .microseconds(100)), lasting: .milliseconds(5)), at: .microseconds(1_008_500))
        let (simulation, outcome) = Self.run(plan)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let standbyTakeovers = simulation.history.roleChanges(board: 1).filter { $0.to == .active }.count
        #expect(standbyTakeovers == 0)
    }

    /// A switchover whose release fails (one attempt allowed) is abandoned: the board stays
    /// active and the address is never on both boards.
    @Test func switchoverWhoseReleaseFailsIsAbandoned() {
        var plan = Self.plan()
        plan.configurations[0].actuationAttemptsMax = 1
        plan.add(.actuatorFailsNth(.index(0), n: 1), at: .seconds(1))
        plan.add(.switchover(.index(0), force: false), at: .seconds(1))
        let (simulation, outcome) = Self.run(plan)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(outcome.statistics.longestOverlap == .zero)
        let replies = simulation.operatorReplies.map(\.outcome)
        #expect(replies == [.refused(.releaseFailed)])
        let roles = simulation.roles
        let holders = simulation.holders
        #expect(roles == [.active, .standby])
        #expect(holders == [0])
    }

    /// A failing board whose release fails hands over anyway and keeps retrying the release
    /// until the address is gone.
    @Test func failingBoardKeepsRetryingItsRelease() {
        var plan = Self.plan()
        plan.configurations[0].actuationAttemptsMax = 1
        plan.recoveryDelay = .seconds(5) ... .seconds(5)
        plan.add(.actuatorFailsNth(.index(0), n: 1), at: .seconds(1))
        plan.add(.failure(.index(0)), at: .seconds(1))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        #expect(simulation.run(until: .milliseconds(1100)) == nil)
        let roles = simulation.roles
        let holders = simulation.holders
        #expect(roles == [.failed, .active])
        #expect(holders == [1])
    }

    /// Path 1 is clogged from board 1 while board 1 fails, recovers as a new incarnation and
    /// takes the role back by a switchover. When the clog clears, board 2 (standby) gets the
    /// old incarnation's frames ("failed") before the new ones: they are old news, and board 2
    /// must not take over from the active board 1.
    @Test func lateFrameFromPreviousIncarnationIsOldNews() {
        var plan = Self.plan(healAt: .milliseconds(2500))
        plan.recoveryDelay = .milliseconds(100) ... .milliseconds(100)
        plan.add(.impair(path: 1, from: 0, Impairment(clog: true), lasting: .milliseconds(900)), at: .seconds(1))
        plan.add(.failure(.index(0)), at: .milliseconds(1010))
        plan.add(.switchover(.index(1), force: false), at: .milliseconds(1500))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        #expect(simulation.run(until: .milliseconds(1800)) == nil)
        let rolesBefore = simulation.roles
        #expect(rolesBefore == [.active, .standby])
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let lateTakeovers = simulation.history.roleChanges(board: 1).filter { $0.to == .active && $0.time > .milliseconds(1800) }
        #expect(lateTakeovers.isEmpty)
    }
    /// Path 1 is clogged from board 1 while board 1 hands the role over to board 2 (over
    /// path 0), board 2 crashes and board 1 takes the role back. Board 2 restarts just before
    /// the clog clears, so the first frames it hears are the old ones, among them the handover
    /// offer its previous incarnation already accepted: it must not accept it again.
    @Test func staleHandoverOfferIsNotAcceptedAfterARestart() {
        var plan = Self.plan(healAt: .milliseconds(2500))
        plan.add(.impair(path: 1, from: 0, Impairment(clog: true), lasting: .milliseconds(200)), at: .seconds(1))
        plan.add(.switchover(.index(0), force: false), at: .milliseconds(1010))
        plan.add(.crash(.index(1), restartAfter: .microseconds(149_950)), at: .milliseconds(1050))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let handovers = simulation.history.roleChanges(board: 1).filter { $0.reason == .handoverReceived }.count
        #expect(handovers == 1)
    }
}

extension Simulation {
    /// Both boards' roles (nil while down).
    var roles: [Role?] { [role(board: 0), role(board: 1)] }
    /// The boards whose kernel holds the logical addresses.
    var holders: [Int] { [0, 1].filter { holdsAddresses(board: $0) } }
}

extension [SimulationRecord] {
    struct RoleChange {
        var time: DuplexCore.Duration
        var from: Role
        var to: Role
        var reason: RoleChangeReason
    }

    func roleChanges(board: Int) -> [RoleChange] {
        compactMap { record in
            guard record.board == board, case .core(.roleChanged(let from, let to, let reason, _)) = record.kind
            else { return nil }
            return RoleChange(time: record.time, from: from, to: to, reason: reason)
        }
    }

    func addressChanges(board: Int) -> [(time: DuplexCore.Duration, held: Bool)] {
        compactMap { record in
            guard record.board == board, case .addresses(let held) = record.kind else { return nil }
            return (record.time, held)
        }
    }

    /// Replays the kernel address changes in order: did both boards ever hold at once?
    var bothHeldAtSomeInstant: Bool {
        var held = [false, false]
        for record in self {
            guard let board = record.board, case .addresses(let now) = record.kind else { continue }
            held[board] = now
            if held[0] && held[1] { return true }
        }
        return false
    }
}
