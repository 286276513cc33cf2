@testable import DuplexCore
import Testing

/// A quiet standby (`standbyInterval`): while the heartbeats rotate and its mate is a working
/// active, the standby sends every standby interval and wakes only for its own deadlines,
/// reading the active's heartbeats from its receive ring then; it still judges the active at
/// the interval. Driven as `PairService` drives the core: board 2's heartbeats wait in a ring
/// until its timer wakes it.
@Suite struct PairQuietStandbyTests {
    static let standbyInterval = Duration.milliseconds(16)

    /// Three paths at 4 ms x 3, rotating, standby interval 16 ms; board 1 active, board 2 a
    /// standby that reads heartbeats only when its timer wakes it. Settled for 1 s.
    static func settled() -> PairHarness {
        var harness = PairHarness(paths: 3, heartbeats: .rotate, standbyInterval: standbyInterval)
        harness.ringed[1] = true
        harness.start(0)
        harness.start(1)
        harness.run(for: .seconds(1))
        return harness
    }

    static func framesSent(_ harness: PairHarness, _ board: Int) -> UInt64 {
        harness.cores[board].status.paths.reduce(0) { $0 + $1.framesSent }
    }

    static func pathChanges(_ harness: PairHarness, _ board: Int) -> Int {
        harness.traces[board].filter { if case .pathChanged = $0 { return true } else { return false } }.count
    }

    @Test func theQuietStandbyWakesForItsDeadlinesAndSendsOnThoseWakeUps() throws {
        var harness = Self.settled()
        #expect(harness.roles == [.active, .standby])
        let ticks = harness.ticks
        let sent = [0, 1].map { Self.framesSent(harness, $0) }
        let changes = [0, 1].map { Self.pathChanges(harness, $0) }
        harness.run(for: .seconds(1))
        let woke = [0, 1].map { harness.ticks[$0] - ticks[$0] }
        let frames = [0, 1].map { Self.framesSent(harness, $0) - sent[$0] }
        // The active sends every 4 ms; the standby wakes about every 12 ms (14 ms after the
        // newest heartbeat it read) and sends on each of those wake-ups.
        #expect((245...255).contains(woke[0]), "active wake-ups \(woke[0])")
        #expect((245...255).contains(frames[0]), "active frames \(frames[0])")
        #expect((62...100).contains(woke[1]), "standby wake-ups \(woke[1]) in 1 s")
        #expect((62...100).contains(frames[1]), "standby frames \(frames[1]) in 1 s")
        #expect(harness.cores[1].status.quiet && harness.cores[1].status.rotating)
        #expect(!harness.cores[0].status.quiet)
        for board in [0, 1] {
            let status = harness.cores[board].status
            #expect(status.paths.allSatisfy { $0.up }, "board \(board + 1): every path stays up")
            #expect(status.counters.stalls == 0, "board \(board + 1): a long sleep is not a stall")
            #expect(status.counters.heartbeatGaps == 0, "board \(board + 1): no gap")
            let pathChanges = Self.pathChanges(harness, board)
            #expect(pathChanges == changes[board], "board \(board + 1): no path change")
        }
        #expect(harness.roles == [.active, .standby])
    }

    @Test func aFrozenActiveIsTakenOverAfterTheSameSilenceAsWithoutAQuietStandby() throws {
        var harness = Self.settled()
        harness.frozen[0] = true
        // The active's last heartbeat left at most 4 ms before the freeze; the path timeout is
        // 14 ms: still standby 9 ms after the freeze, active 15 ms after it.
        harness.run(for: .milliseconds(9))
        #expect(harness.roles[1] == .standby)
        harness.run(for: .milliseconds(6))
        #expect(harness.roles[1] == .active)
        let reason = harness.roleChanges(1).last?.2
        #expect(reason == .mateLost)
    }

    @Test func aNewActiveJustAfterASwitchoverIsJudgedAtTheIntervalAtOnce() throws {
        var harness = Self.settled()
        harness.ringed = [true, false]  // board 1 becomes the standby now
        harness.inject(0, .switchoverRequested(force: false, request: 1))
        harness.run(for: .milliseconds(30))
        #expect(harness.roles == [.standby, .active])
        // The new active, quiet until the switchover, fails 30 ms after it: its mate must not
        // allow it the quiet standby's 56 ms.
        harness.frozen[1] = true
        harness.run(for: .milliseconds(15))
        #expect(harness.roles[0] == .active, "taken over after the interval's silence")
    }

    @Test func theActiveAllowsTheQuietStandbyItsLongerSilence() throws {
        var harness = Self.settled()
        let timeout = try #require(harness.cores[0].configuration.quietTimeout)
        #expect(timeout == .milliseconds(56), "3 standby intervals plus half of one")
        harness.frozen[1] = true
        // The standby's last heartbeat left at most 16 ms before the freeze.
        harness.run(for: timeout - Self.standbyInterval - .milliseconds(1))
        #expect(harness.cores[0].status.paths.allSatisfy { $0.up }, "within the quiet timeout")
        harness.run(for: Self.standbyInterval + .milliseconds(2))
        #expect(harness.cores[0].status.paths.allSatisfy { !$0.up }, "the frozen standby is gone")
        #expect(harness.roles[0] == .active)
    }

    @Test func aStandbyAskedForEveryPathSendsAtTheIntervalAgain() throws {
        var harness = Self.settled()
        // Path 0 drops everything: the active misses a quiet heartbeat and asks for every path.
        harness.pathCut[0] = true
        harness.run(for: .milliseconds(120))
        #expect(!harness.cores[1].status.quiet, "every path: the standby no longer sends quietly")
        let sent = Self.framesSent(harness, 1)
        harness.run(for: .milliseconds(100))
        #expect(Self.framesSent(harness, 1) - sent >= 40, "at least a heartbeat per interval on the paths left")
        #expect(harness.roles == [.active, .standby], "no takeover")
    }

    @Test func theStandbyIntervalNeedsARotationAndMustBeLongerThanTheInterval() {
        let path = PairConfiguration.Path(interval: .milliseconds(4), missedHeartbeatsMax: 3)
        func configuration(_ paths: Int, _ heartbeats: PairConfiguration.Heartbeats, _ standby: Duration) -> PairConfiguration {
            PairConfiguration(
                cluster: 7, board: 1, incarnation: 1, paths: Array(repeating: path, count: paths), heartbeats: heartbeats,
                standbyInterval: standby)
        }
        #expect(configuration(3, .rotate, .milliseconds(16)).standbyInterval == .milliseconds(16))
        #expect(configuration(3, .rotate, .milliseconds(16)).quietRelaxedTimeout(of: 0) == .milliseconds(152))
        #expect(configuration(3, .everyPath, .milliseconds(16)).standbyInterval == nil, "no rotation")
        #expect(configuration(1, .rotate, .milliseconds(16)).standbyInterval == nil, "one path: no rotation")
        #expect(configuration(3, .rotate, .milliseconds(4)).standbyInterval == nil, "not longer than the interval")
        #expect(configuration(3, .rotate, .milliseconds(4)).quietTimeout == nil)
    }
}
