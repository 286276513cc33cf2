import DuplexCore
import DuplexSimulation
import Testing

/// Rotating heartbeats (`heartbeats = rotate`): one frame per interval while the pair is
/// healthy, every path as soon as a heartbeat goes missing, and the mate lost after the same
/// silence as with a heartbeat on every path.
@Suite struct RotationScenarioTests {
    typealias Duration = DuplexCore.Duration

    /// Three paths at 4 ms x 3 (the defaults), rotating; fault-free until faults are added.
    static func plan(_ heartbeats: PairConfiguration.Heartbeats = .rotate, healAt: Duration = .seconds(3)) -> SimulationPlan {
        var plan = ScenarioTests.plan(paths: 3, healAt: healAt)
        plan.configurations = plan.configurations.map { $0.with(heartbeats: heartbeats) }
        return plan
    }

    /// Frames each board sent between `from` and `to`, per path.
    static func framesSent(_ simulation: inout Simulation, from: Duration, to: Duration) -> [[UInt64]] {
        #expect(simulation.run(until: from) == nil)
        let before = [0, 1].map { simulation.status(board: $0)?.paths.map(\.framesSent) ?? [] }
        #expect(simulation.run(until: to) == nil)
        let after = [0, 1].map { simulation.status(board: $0)?.paths.map(\.framesSent) ?? [] }
        return [0, 1].map { board in zip(after[board], before[board]).map { $0 - $1 } }
    }

    @Test func aHealthyPairSendsOneHeartbeatPerIntervalSpreadOverThePaths() throws {
        var rotating = Simulation(plan: Self.plan(), keepsHistory: true)
        let sent = Self.framesSent(&rotating, from: .seconds(1), to: .seconds(2))
        var everyPath = Simulation(plan: Self.plan(.everyPath), keepsHistory: true)
        let reference = Self.framesSent(&everyPath, from: .seconds(1), to: .seconds(2))
        for board in [0, 1] {
            let total = sent[board].reduce(0, +)
            #expect((245...255).contains(total), "board \(board + 1): \(sent[board]) in 1 s at 4 ms")
            #expect(sent[board].allSatisfy { (80...87).contains($0) }, "an even turn per path: \(sent[board])")
            #expect(reference[board].reduce(0, +) >= 3 * 245, "every path: \(reference[board])")
            let status = try #require(rotating.status(board: board))
            #expect(status.rotating && status.paths.allSatisfy(\.up))
            #expect(status.counters.heartbeatGaps == 0)
        }
        #expect(rotating.run().failure == nil)
    }

    @Test func theActivesCrashIsTakenOverAsFastAsWithAHeartbeatOnEveryPath() throws {
        var plan = Self.plan(healAt: .milliseconds(1500))
        plan.add(.crash(.index(0), restartAfter: .seconds(5)), at: .seconds(1))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        let takeover = try #require(simulation.history.roleChanges(board: 1).first { $0.to == .active })
        #expect(takeover.reason == .mateLost)
        let held = try #require(simulation.history.addressChanges(board: 1).first { $0.held }.map(\.time))
        // The silence of one path timeout (not a round of the rotation), then the actuation.
        let bound = Duration.seconds(1) + plan.configurations[1].paths[0].timeout + plan.actuationDelay.upperBound
            + .microseconds(200)
        #expect(held <= bound, "addresses held at \(held), bound \(bound)")
    }

    @Test func aPathThatSilentlyDropsEverythingIsAnAlarmAndTheRotationGoesOnWithoutIt() throws {
        var plan = Self.plan()
        plan.add(.impair(path: 0, from: nil, Impairment(lossPerMille: 1000), lasting: .milliseconds(1800)), at: .seconds(1))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        #expect(simulation.run(until: .milliseconds(1500)) == nil)
        var gaps: UInt64 = 0
        for board in [0, 1] {
            let status = try #require(simulation.status(board: board))
            #expect(!status.paths[0].up && status.paths[1].up && status.paths[2].up)
            gaps += status.counters.heartbeatGaps
        }
        // The first board to notice puts both on every path: the other may never see a gap.
        #expect(gaps >= 1, "the missing heartbeat was noticed")
        // After the hold of every-path heartbeats, the rotation resumes over the two paths left.
        let sent = Self.framesSent(&simulation, from: .milliseconds(2200), to: .milliseconds(2700))
        for board in [0, 1] {
            #expect(simulation.status(board: board)?.rotating == true)
            // Path 0 (down) at its interval, paths 1 and 2 taking turns: 125 + 2 x 62.5 in 0.5 s.
            #expect((120...130).contains(sent[board][0]) && sent[board][1...].allSatisfy { (58...67).contains($0) },
                    "board \(board + 1): \(sent[board])")
        }
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(simulation.history.roleChanges(board: 0).map(\.to) == [.active], "no takeover")
        #expect(simulation.history.roleChanges(board: 1).map(\.to) == [.standby], "no takeover")
        #expect(simulation.status(board: 0)?.paths.allSatisfy(\.up) == true, "path 0 is back after the fault")
    }

    @Test func oneWayLossTakesThePathOutOfTheRotationOfTheBoardThatIsNotHeard() throws {
        var plan = Self.plan()
        // Frames from board 1 (index 0) on path 1 are lost; board 2's frames there still arrive.
        plan.add(.impair(path: 1, from: 0, Impairment(lossPerMille: 1000), lasting: .milliseconds(1800)), at: .seconds(1))
        var simulation = Simulation(plan: plan, keepsHistory: true)
        let sent = Self.framesSent(&simulation, from: .milliseconds(2200), to: .milliseconds(2700))
        // Board 2 does not hear board 1 on path 1 and says so: board 1 leaves it out of its
        // rotation (and probes it at its interval).
        #expect(simulation.status(board: 1)?.paths[1].up == false)
        #expect((120...130).contains(sent[0][1]) && (58...67).contains(sent[0][0]), "board 1: \(sent[0])")
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(simulation.history.roleChanges(board: 1).map(\.to) == [.standby], "no takeover")
    }

    /// Both dedicated links cut at once, while the mate still rotates onto them for a while
    /// (its carrier events come late): the LAN alone must carry the mate's liveness, and the
    /// silence counts from the cut, not from the mate's last turn on the LAN.
    @Test func bothDedicatedLinksCutIsNoTakeoverEvenWithLateCarrierEvents() throws {
        for seed: UInt64 in 1...20 {
            var plan = Self.plan()
            plan = SimulationPlan(seed: seed, paths: 3, healAt: .seconds(3))
            plan.slowActuationPerMille = 0
            plan.configurations = plan.configurations.map { $0.with(heartbeats: .rotate) }
            plan.carrierEventDelay = .microseconds(50) ... .milliseconds(12)
            plan.tickLateness = .zero ... .microseconds(2_500)  // a loaded board wakes late
            let at = Duration.seconds(1) + .microseconds(seed * 397)  // a different turn of the rotation each time
            plan.add(.linkDown(path: 0, lasting: .milliseconds(800)), at: at)
            plan.add(.linkDown(path: 1, lasting: .milliseconds(800)), at: at)
            var simulation = Simulation(plan: plan, keepsHistory: true)
            let outcome = simulation.run()
            #expect(outcome.failure == nil, "seed \(seed): \(outcome.failure!)")
            #expect(simulation.history.roleChanges(board: 1).map(\.to) == [.standby], "seed \(seed): no takeover")
        }
    }

    @Test func randomLossOnEveryPathMakesNoFalseTakeover() throws {
        var plan = Self.plan(healAt: .seconds(4))
        for path in 0..<3 {
            plan.add(.impair(path: path, from: nil, Impairment(lossPerMille: 150), lasting: .seconds(2)), at: .seconds(1))
        }
        var simulation = Simulation(plan: plan, keepsHistory: true)
        let outcome = simulation.run()
        #expect(outcome.failure == nil, "\(outcome.failure!)")
        #expect(simulation.history.roleChanges(board: 0).map(\.to) == [.active], "no takeover")
        #expect(simulation.history.roleChanges(board: 1).map(\.to) == [.standby], "no takeover")
        #expect((simulation.status(board: 1)?.counters.heartbeatGaps ?? 0) > 0, "gaps were noticed and bridged")
    }
}
