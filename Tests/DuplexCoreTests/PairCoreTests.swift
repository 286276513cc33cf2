import Testing

@testable import DuplexCore

@Suite struct PairCoreTests {
    /// A started board 1 of cluster 7 on one path, and a frame of its mate (board 2) to feed it.
    static func startedAlone(at start: Instant) -> (core: PairCore, mateFrame: PairFrame) {
        var core = PairCore(configuration: .init(cluster: 7, board: 1, incarnation: 1, paths: [.init()]))
        _ = core.handle(.started, now: start)
        var frame = PairFrameTests.sample()
        frame.cluster = 7
        return (core, frame)
    }

    @Test func startsAloneAndBecomesActiveAfterDiscovery() {
        var harness = PairHarness()
        harness.start(0)
        harness.run(for: .milliseconds(299))
        #expect(harness.roles[0] == .starting)
        harness.run(for: .milliseconds(2))
        #expect(harness.roles[0] == .active)
        #expect(harness.cores[0].epoch == 1)
        #expect(harness.holds[0])
        #expect(harness.roleChanges(0).last?.2 == .discoveryNoMate)
    }

    /// A board that last held its persistent checkpoints as a standby waits its longer alone
    /// window when it hears no mate; a mate heard meanwhile is arbitrated with at once, and the
    /// usual discovery window still applies then.
    @Test func aLongerAloneWindowHoldsOnlyABoardThatHearsNoMate() {
        var harness = PairHarness(aloneStartWindows: (nil, .seconds(2)))
        harness.start(1)
        harness.run(for: .milliseconds(1_990))
        #expect(harness.roles[1] == .starting, "still waiting for its mate")
        harness.run(for: .milliseconds(20))
        #expect(harness.roles[1] == .active)
        #expect(harness.roleChanges(1).last?.2 == .discoveryNoMate)

        // The mate comes within the window: the preferred board takes the role after the
        // ordinary discovery window, not the long one.
        var joint = PairHarness(priorities: (100, 200), aloneStartWindows: (nil, .seconds(2)))
        joint.start(1)
        joint.run(for: .milliseconds(500))
        joint.start(0)
        joint.run(for: .milliseconds(50))
        #expect(joint.roles == [.standby, .active], "board 2 (priority 200) took the role once its mate was heard")
        #expect(joint.roleChanges(1).last?.2 == .discoveryPreferred)

        // A board without the window starts alone after the discovery window, as before.
        var plain = PairHarness()
        plain.start(1)
        plain.run(for: .milliseconds(310))
        #expect(plain.roles[1] == .active)
    }

    /// The mate's capabilities are told once when it is first heard, and again when they
    /// change (it restarted with another build), not with every frame.
    @Test func theMatesCapabilitiesAreToldWhenFirstHeardAndWhenTheyChange() {
        let harness = PairHarness.settled()
        for board in 0..<2 {
            let told = harness.traces[board].compactMap { if case .mateCapabilities(let c) = $0 { c } else { nil } }
            #expect(told == [.thisBuild], "board \(board + 1): \(told)")
        }
        func told(_ actions: PairActions) -> [PairFrame.Capabilities] {
            actions.compactMap { if case .trace(.mateCapabilities(let c)) = $0 { c } else { nil } }
        }
        var (core, frame) = Self.startedAlone(at: Instant(nanoseconds: 1_000_000))
        frame.path = 0
        #expect(told(core.handle(.frameReceived(frame, path: 0), now: Instant(nanoseconds: 2_000_000))) == [.thisBuild])
        frame.sequence += 1
        #expect(told(core.handle(.frameReceived(frame, path: 0), now: Instant(nanoseconds: 3_000_000))) == [])
        frame.sequence += 1
        frame.capabilities = []  // the mate restarted with an older build
        #expect(told(core.handle(.frameReceived(frame, path: 0), now: Instant(nanoseconds: 4_000_000))) == [[]])
    }

    @Test func cleansUpStaleAddressesAtStart() {
        var core = PairCore(configuration: .init(cluster: 1, board: 1, incarnation: 1, paths: [.init()]))
        let actions = core.handle(.started, now: Instant(nanoseconds: 10))
        #expect(actions.contains(.releaseAddresses))
    }

    @Test func preferredBoardWinsAJointStart() {
        let harness = PairHarness.settled()
        #expect(harness.roles == [.active, .standby])
        #expect(harness.holds == [true, false])
        #expect(harness.cores[1].epoch == harness.cores[0].epoch)
        #expect(harness.roleChanges(1).last?.2 == .discoveryMatePreferred)
    }

    /// A board whose checkpoint journal was refused at start yields to a mate whose state is
    /// whole at a joint start, whatever their priorities: its snapshot would otherwise replace
    /// the mate's good copy.
    @Test func aBoardWithARefusedJournalYieldsToAWholeMateAtAJointStart() {
        var harness = PairHarness(damaged: (true, false))
        harness.start(0)
        harness.start(1)
        harness.run(for: .milliseconds(400))
        #expect(harness.roles == [.standby, .active])
        #expect(harness.holds == [false, true])
        #expect(harness.roleChanges(0).last?.2 == .discoveryMateStateWhole)
        #expect(harness.roleChanges(1).last?.2 == .discoveryPreferred)
        // Both damaged: the priorities decide as before.
        var both = PairHarness(damaged: (true, true))
        both.start(0)
        both.start(1)
        both.run(for: .milliseconds(400))
        #expect(both.roles == [.active, .standby])
        #expect(both.roleChanges(1).last?.2 == .discoveryMatePreferred)
        // Alone, a damaged board still takes the role after the discovery window.
        var alone = PairHarness(damaged: (true, false))
        alone.start(0)
        alone.run(for: .milliseconds(400))
        #expect(alone.roles[0] == .active)
        #expect(alone.roleChanges(0).last?.2 == .discoveryNoMate)
    }

    /// At a joint start the board that persisted newer checkpoint state wins whatever the
    /// priorities (a board that was away while its mate went on writing, or a replacement
    /// with empty journals, would otherwise replace the newer copy with its own); equal
    /// sequences leave it to the priorities, and a whole journal beats a damaged one first.
    @Test func theBoardThatPersistedMoreWinsAJointStart() {
        func joint(_ persisted: (UInt64, UInt64), damaged: (Bool, Bool) = (false, false)) -> PairHarness {
            var harness = PairHarness(damaged: damaged, persisted: persisted)
            harness.start(0)
            harness.start(1)
            harness.run(for: .milliseconds(400))
            return harness
        }
        let newer = joint((5, 9))
        #expect(newer.roles == [.standby, .active])
        #expect(newer.roleChanges(0).last?.2 == .discoveryMatePersistedMore)
        let empty = joint((7, 0))
        #expect(empty.roles == [.active, .standby])
        #expect(empty.roleChanges(1).last?.2 == .discoveryMatePersistedMore)
        let equal = joint((7, 7))
        #expect(equal.roles == [.active, .standby])
        #expect(equal.roleChanges(1).last?.2 == .discoveryMatePreferred)
        let damaged = joint((1, 100), damaged: (false, true))
        #expect(damaged.roles == [.active, .standby])
        #expect(damaged.roleChanges(1).last?.2 == .discoveryMateStateWhole)
    }

    /// The damaged flag and the persisted sequence are in a board's frames while it starts, and
    /// only then.
    @Test func persistedStateIsSaidInFramesWhileStarting() {
        var configuration = PairConfiguration(cluster: 1, board: 1, incarnation: 1, paths: [.init()])
        configuration.persistedStateDamaged = true
        configuration.persistedSequence = 42
        var core = PairCore(configuration: configuration)
        func frames(_ actions: PairActions) -> [PairFrame] {
            actions.compactMap { if case .send(let frame, _) = $0 { frame } else { nil } }
        }
        let first = frames(core.handle(.started, now: Instant(nanoseconds: 10)))
        #expect(!first.isEmpty && first.allSatisfy { $0.flags.contains(.stateDamaged) && $0.persistedSequence == 42 })
        var later: [PairFrame] = []
        var now = Instant(nanoseconds: 10)
        for _ in 0..<200 where core.role == .starting || later.isEmpty {
            now = now + .milliseconds(4)
            let sent = frames(core.handle(.tick, now: now))
            if core.role != .starting { later += sent }
        }
        #expect(core.role == .active)
        #expect(!later.isEmpty && later.allSatisfy { !$0.flags.contains(.stateDamaged) && $0.persistedSequence == 0 })
    }

    @Test func laterBoardJoinsAsStandbyWithoutPreemption() {
        var harness = PairHarness()
        harness.start(1)  // the less preferred board starts first
        harness.run(for: .milliseconds(400))
        harness.start(0)
        harness.run(for: .milliseconds(400))
        #expect(harness.roles == [.standby, .active])
        #expect(harness.roleChanges(0).last?.2 == .discoveryMateActive)
    }

    @Test func preemptionHandsTheRoleToThePreferredBoard() {
        var harness = PairHarness(preempt: true)
        harness.start(1)
        harness.run(for: .milliseconds(400))
        harness.start(0)
        harness.run(for: .milliseconds(400))
        #expect(harness.roles == [.active, .standby])
        #expect(harness.holds == [true, false])
    }

    @Test func standbyTakesOverOnlyAfterEveryPathTimesOut() {
        var harness = PairHarness.settled()
        let epoch = harness.cores[0].epoch
        harness.frozen[0] = true
        harness.run(for: .milliseconds(8))  // less than 3 x 4 ms of silence
        #expect(harness.roles[1] == .standby)
        harness.run(for: .milliseconds(10))
        #expect(harness.roles[1] == .active)
        #expect(harness.cores[1].epoch == epoch + 1)
        #expect(harness.roleChanges(1).last?.2 == .mateLost)
        #expect(harness.holds[1])
    }

    /// A standby whose step comes late (held up by what held up the active: in a lab both
    /// boards share processors) does not hold its own lateness against the active: the silence
    /// it judges is shorter by it, and the active's next heartbeat keeps the roles.
    @Test func aLateStandbyDoesNotHoldItsOwnLatenessAgainstTheActive() {
        var harness = PairHarness.settled()
        let changes = harness.roleChanges(1).count
        harness.frozen[0] = true
        harness.run(for: .milliseconds(8))
        harness.frozen[1] = true  // its next tick, due within 4 ms, comes at the thaw
        harness.run(for: .milliseconds(8))
        harness.frozen[1] = false
        harness.run(for: .microseconds(100))  // 16 ms of silence, over the 14 ms timeout
        #expect(harness.roles == [.active, .standby])
        #expect(harness.cores[1].counters.latenessForgiven >= 1)
        #expect(harness.cores[1].counters.stalls == 0, "late, not stalled")
        harness.frozen[0] = false
        harness.run(for: .milliseconds(50))
        #expect(harness.roles == [.active, .standby])
        #expect(harness.roleChanges(1).count == changes)
    }

    /// The same late standby still replaces an active that stays silent, later by its own
    /// lateness at most.
    @Test func aLateStandbyStillTakesOverFromAGoneActive() {
        var harness = PairHarness.settled()
        harness.frozen[0] = true
        harness.run(for: .milliseconds(8))
        harness.frozen[1] = true
        harness.run(for: .milliseconds(8))
        harness.frozen[1] = false
        harness.run(for: .microseconds(100))
        #expect(harness.roles[1] == .standby)
        harness.run(for: .milliseconds(8))  // 24 ms of silence: 16 less the lateness (< 8)
        #expect(harness.roles[1] == .active)
        #expect(harness.roleChanges(1).last?.2 == .mateLost)
    }

    /// Lateness up to half the shortest interval is a scheduling delay and counts as silence.
    @Test func latenessForgivenIsHalfTheShortestInterval() {
        var config = PairConfiguration(cluster: 7, board: 1, incarnation: 1, paths: [.init(), .init()])
        #expect(config.latenessForgiven == .milliseconds(2))
        config.paths[0].interval = .milliseconds(10)
        #expect(config.latenessForgiven == .milliseconds(2), "half of the shortest interval")
        config.paths[1].interval = .milliseconds(1)
        #expect(config.latenessForgiven == .microseconds(500))
        #expect(config.latenessForgiven < config.stallLateness)
    }

    @Test func thawedActiveStepsDownToTheHigherEpochAndTheWinnerTellsItOnce() {
        var harness = PairHarness.settled()
        harness.frozen[0] = true
        harness.run(for: .milliseconds(100))
        harness.frozen[0] = false
        harness.run(for: .milliseconds(50))
        #expect(harness.roles == [.standby, .active])
        #expect(harness.holds == [false, true])
        #expect(harness.traces[0].contains(.dualActiveResolved(won: false, mateEpoch: 2)))
        #expect(harness.traces[0].contains { if case .stallDetected = $0 { true } else { false } })
        // The winner tells the resolution once, however many of the loser's frames sent before
        // it stepped down arrive (two here).
        #expect(harness.traces[1].filter { $0 == .dualActiveResolved(won: true, mateEpoch: 1) }.count == 1)
    }

    @Test func losingOnePathRaisesAnAlarmButNoFailover() {
        var harness = PairHarness.settled()
        harness.pathCut[0] = true
        harness.inject(1, .carrierChanged(path: 0, up: false))
        harness.run(for: .milliseconds(200))
        #expect(harness.roles == [.active, .standby])
        #expect(harness.traces[1].contains(.pathsDegraded(pathsUp: 1, pathsTotal: 2)))
        harness.pathCut[0] = false
        harness.inject(1, .carrierChanged(path: 0, up: true))
        harness.run(for: .milliseconds(20))
        #expect(harness.traces[1].last { if case .pathsRestored = $0 { true } else { false } } != nil)
    }

    @Test func carrierLossOnEveryPathTakesOverAtOnce() {
        var harness = PairHarness.settled()
        harness.pathCut = [true, true]
        harness.inject(1, .carrierChanged(path: 0, up: false))
        #expect(harness.roles[1] == .standby)
        harness.inject(1, .carrierChanged(path: 1, up: false))
        #expect(harness.roles[1] == .active)
    }

    @Test func isolatedStandbyGoesSeparatedAndClaimsNothing() {
        var harness = PairHarness.settled()
        harness.inject(1, .isolationChanged(ok: false))
        harness.pathCut = [true, true]
        harness.run(for: .milliseconds(50))
        #expect(harness.roles[1] == .separated)
        #expect(!harness.holds[1])
        harness.inject(1, .isolationChanged(ok: true))
        #expect(harness.roles[1] == .active)
    }

    @Test func isolatedActiveReleasesItsAddresses() {
        var harness = PairHarness.settled()
        harness.pathCut = [true, true]
        harness.inject(0, .isolationChanged(ok: false))
        harness.run(for: .milliseconds(50))
        #expect(harness.roles == [.separated, .active])
        #expect(harness.holds == [false, true])
    }

    @Test func partitionHealLeavesExactlyOneActive() {
        var harness = PairHarness.settled()
        harness.pathCut = [true, true]
        harness.run(for: .milliseconds(100))
        #expect(harness.roles == [.active, .active])
        harness.pathCut = [false, false]
        harness.run(for: .milliseconds(50))
        #expect(harness.roles == [.standby, .active], "the higher epoch keeps the role")
        #expect(harness.holds == [false, true])
        #expect(harness.announces[1] == 1, "the winner re-announces after the loser released: \(harness.traces[1].suffix(12))")
    }

    @Test func gracefulSwitchoverHandsOverAtTheOfferedEpoch() {
        var harness = PairHarness.settled()
        let epoch = harness.cores[0].epoch
        harness.inject(0, .switchoverRequested(force: false, request: 9))
        #expect(harness.roles[0] == .quiescing)
        harness.run(for: .milliseconds(5))
        #expect(harness.roles == [.standby, .active])
        #expect(harness.cores[1].epoch == epoch + 1)
        #expect(harness.replies[0] == [.done])
        #expect(harness.roleChanges(1).last?.2 == .handoverReceived)
        #expect(harness.holds == [false, true])
    }

    @Test func switchoverIsRefusedWithoutAStandby() {
        var harness = PairHarness.settled()
        harness.inject(1, .switchoverRequested(force: false, request: 1))
        #expect(harness.replies[1] == [.refused(.notActive)])
        harness.inject(1, .lockRequested(force: false, request: 2))
        harness.run(for: .milliseconds(10))
        harness.inject(0, .switchoverRequested(force: false, request: 3))
        #expect(harness.replies[0] == [.refused(.mateNotStandby)])
        harness.inject(1, .readinessChanged(hot: false))
        harness.inject(1, .unlockRequested(request: 4))
        harness.run(for: .milliseconds(10))
        harness.inject(0, .switchoverRequested(force: false, request: 5))
        #expect(harness.replies[0].last == .refused(.mateNotHot))
        harness.inject(0, .switchoverRequested(force: true, request: 6))
        harness.run(for: .milliseconds(5))
        #expect(harness.roles == [.standby, .active])
    }

    @Test func handoverTimeoutTakesTheRoleBack() {
        var harness = PairHarness.settled()
        harness.inject(0, .switchoverRequested(force: false, request: 1))
        harness.frozen[1] = true  // the mate never answers, though its paths stay up briefly
        harness.run(for: .milliseconds(400))
        #expect(harness.roles[0] == .active)
        #expect(harness.holds[0])
    }

    @Test func lockedStandbyNeverTakesOver() {
        var harness = PairHarness.settled()
        harness.inject(1, .lockRequested(force: false, request: 1))
        #expect(harness.roles[1] == .blocked)
        harness.frozen[0] = true
        harness.run(for: .milliseconds(100))
        #expect(harness.roles[1] == .blocked)
        harness.inject(1, .unlockRequested(request: 2))
        harness.run(for: .milliseconds(1))
        #expect(harness.roles[1] == .active)
    }

    @Test func reportedFailureHandsOverWithoutWaitingForATimeout() {
        var harness = PairHarness.settled()
        harness.inject(0, .failureReported)
        harness.run(for: .milliseconds(1))
        #expect(harness.roles == [.failed, .active])
        #expect(harness.roleChanges(1).last?.2 == .mateNotActive)
    }

    @Test func orderlyStopOfTheActiveHandsOverThenStops() {
        var harness = PairHarness.settled()
        harness.inject(0, .shutdownRequested)
        harness.run(for: .milliseconds(2))
        #expect(harness.stopped[0])
        #expect(harness.roles[1] == .active)
        #expect(!harness.holds[0])
    }

    @Test func framesInFlightAfterAGoodbyeAreStale() {
        var core = PairCore(configuration: .init(cluster: 7, board: 1, incarnation: 1, paths: [.init(), .init()]))
        let t0 = Instant(nanoseconds: 1_000)
        _ = core.handle(.started, now: t0)
        var heartbeat = PairFrameTests.sample()
        heartbeat.sequence = 10
        _ = core.handle(.frameReceived(heartbeat, path: 1), now: t0)
        var goodbye = heartbeat
        goodbye.kind = .goodbye
        goodbye.sequence = 12
        _ = core.handle(.frameReceived(goodbye, path: 0), now: t0)
        #expect(!core.mateReachable)
        heartbeat.sequence = 11  // sent before the goodbye, arrives after it on another path
        _ = core.handle(.frameReceived(heartbeat, path: 1), now: t0)
        #expect(!core.mateReachable)
        heartbeat.incarnation += 1  // the mate restarted
        heartbeat.sequence = 1
        _ = core.handle(.frameReceived(heartbeat, path: 1), now: t0)
        #expect(core.mateReachable)
    }

    @Test func failingClaimsEndInAHandover() {
        var harness = PairHarness.settled()
        harness.actuationOK[1] = false
        harness.inject(0, .switchoverRequested(force: false, request: 1))
        harness.run(for: .milliseconds(200))
        #expect(harness.roles == [.active, .failed])
        #expect(harness.holds[0])
    }

    @Test func rejectsForeignAndStaleFrames() {
        let t0 = Instant(nanoseconds: 1_000)
        var (core, frame) = Self.startedAlone(at: t0)
        frame.cluster = 8
        let foreign = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(foreign.contains(.trace(.frameRejected(path: 0, reason: .foreignCluster))))
        frame.cluster = 7
        _ = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(core.mateReachable)
        _ = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(core.counters.framesStale == 1)
        frame.sender = 1
        frame.sequence += 1
        let own = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(own.contains(.trace(.frameRejected(path: 0, reason: .ownBoard))))
    }

    @Test func aSaturatedEchoHoldOrAQueuedFrameMeasuresNoRoundTrip() {
        let t0 = Instant(nanoseconds: 10_000_000_000)
        var (core, frame) = Self.startedAlone(at: t0)
        // Our frame of 6 s ago, held by the mate longer than the wire can say (we were frozen).
        frame.echoSentAt = Instant(nanoseconds: 4_000_000_000)
        frame.echoHold = PairFrame.echoHoldMax
        _ = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(core.mateReachable)
        #expect(core.status.paths[0].rtt == nil, "not 6 s - 4.3 s")
        frame.sequence += 1
        frame.echoSentAt = Instant(nanoseconds: 9_999_000_000)
        frame.echoHold = .microseconds(900)
        _ = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(core.status.paths[0].rtt == .microseconds(100))
        // A frame handled 1.8 s after it came (this board was frozen for 2 s; the mate held our
        // last frame for the 0.2 s before): the queue's wait, not the path's round trip.
        frame.sequence += 1
        frame.echoSentAt = Instant(nanoseconds: 8_000_000_000)
        frame.echoHold = .milliseconds(200)
        _ = core.handle(.frameReceived(frame, path: 0), now: t0)
        #expect(core.status.paths[0].rtt == .microseconds(100), "not 1.8 s")
    }

    /// Two boards configured with the same id cannot tell each other from their own frames,
    /// and would both take the role: a starting board that hears another incarnation with its
    /// id fails (and says why), a board that has a role keeps it; both tell it at once and
    /// then every ten seconds while it lasts. Its own frames reflected back (same incarnation)
    /// are only rejected.
    @Test func anotherBoardWithThisBoardsIDIsAConflict() {
        func conflicts(_ actions: PairActions) -> Int {
            actions.filter { if case .trace(.boardIDConflict) = $0 { true } else { false } }.count
        }
        let t0 = Instant(nanoseconds: 10_000_000_000)
        var frame = PairFrameTests.sample()
        frame.cluster = 7
        frame.sender = 1
        var starting = PairCore(configuration: .init(cluster: 7, board: 1, incarnation: 5, paths: [.init()]))
        _ = starting.handle(.started, now: t0)
        frame.incarnation = 5  // its own frame, reflected
        #expect(conflicts(starting.handle(.frameReceived(frame, path: 0), now: t0)) == 0)
        #expect(starting.role == .starting)
        frame.incarnation = 6
        frame.sequence += 1
        #expect(conflicts(starting.handle(.frameReceived(frame, path: 0), now: t0)) == 1)
        #expect(starting.role == .failed)
        #expect(starting.lastRoleChange?.reason == .boardIDConflict)
        #expect(!starting.mateReachable)

        var harness = PairHarness()
        harness.start(0)
        harness.run(for: .milliseconds(400))
        #expect(harness.roles[0] == .active)
        var active = harness.cores[0]
        let now = harness.now
        frame.incarnation = 99
        frame.sequence += 1
        #expect(conflicts(active.handle(.frameReceived(frame, path: 0), now: now)) == 1)
        frame.sequence += 1
        #expect(conflicts(active.handle(.frameReceived(frame, path: 0), now: now + .seconds(1))) == 0)
        frame.sequence += 1
        #expect(conflicts(active.handle(.frameReceived(frame, path: 0), now: now + .seconds(11))) == 1)
        #expect(active.role == .active)
    }

    /// Both boards must configure the same heartbeat timing; frames say the sender's, and a
    /// board that hears other timing on a path says so (paced), whatever its role. A frame that
    /// says none is not checked.
    @Test func otherHeartbeatTimingOfTheMateIsAnAlarm() {
        func mismatches(_ actions: PairActions) -> [PairTrace] {
            actions.compactMap { if case .trace(let trace) = $0, case .timingMismatch = trace { trace } else { nil } }
        }
        let t0 = Instant(nanoseconds: 10_000_000_000)
        var (core, frame) = Self.startedAlone(at: t0)
        func receive(_ interval: Duration, _ missed: UInt8, at: Instant) -> [PairTrace] {
            frame.sequence += 1
            frame.interval = interval
            frame.missedHeartbeatsMax = missed
            return mismatches(core.handle(.frameReceived(frame, path: 0), now: at))
        }
        let own = PairConfiguration.Path()
        #expect(receive(own.interval, UInt8(own.missedHeartbeatsMax), at: t0).isEmpty)
        #expect(receive(.zero, 0, at: t0).isEmpty, "a frame that says no timing")
        #expect(receive(.milliseconds(10), UInt8(own.missedHeartbeatsMax), at: t0)
            == [.timingMismatch(path: 0, mateInterval: .milliseconds(10), mateMissedHeartbeatsMax: UInt8(own.missedHeartbeatsMax))])
        #expect(receive(.milliseconds(10), 3, at: t0 + .seconds(5)).isEmpty, "paced")
        #expect(receive(own.interval, 9, at: t0 + .seconds(10)).count == 1, "the limit differs")
    }

    @Test func measuresRoundTripTimeFromEchoes() {
        var harness = PairHarness.settled()
        harness.run(for: .milliseconds(20))
        let rtt = harness.cores[0].status.paths[0].rtt
        #expect(rtt == .microseconds(100), "two one-way latencies of 50 us")
    }
}
