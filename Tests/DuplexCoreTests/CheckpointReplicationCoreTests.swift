import Testing

@testable import DuplexCore

@Suite struct CheckpointReplicationCoreTests {
    typealias Pair = ReplicationPair

    // MARK: - Writes on the active

    struct WriteCase: CustomTestStringConvertible, Sendable {
        var name: String
        var mate: Mate
        var policy: ReplicationConfiguration.SyncPolicy
        var sync: Bool
        var expected: Expected
        var testDescription: String { name }

        enum Mate: Sendable { case none, syncing, hot }
        enum Expected: Sendable, Equatable { case local, waits, refusedMateNotHot }
    }

    static let writeCases: [WriteCase] = [
        WriteCase(name: "async, no mate", mate: .none, policy: .fail, sync: false, expected: .local),
        WriteCase(name: "sync, no mate, fail", mate: .none, policy: .fail, sync: true, expected: .refusedMateNotHot),
        WriteCase(name: "sync, no mate, degrade", mate: .none, policy: .degrade, sync: true, expected: .local),
        WriteCase(name: "async, mate syncing", mate: .syncing, policy: .fail, sync: false, expected: .local),
        WriteCase(name: "sync, mate syncing, fail", mate: .syncing, policy: .fail, sync: true, expected: .refusedMateNotHot),
        WriteCase(name: "sync, mate syncing, degrade", mate: .syncing, policy: .degrade, sync: true, expected: .local),
        WriteCase(name: "async, mate hot", mate: .hot, policy: .fail, sync: false, expected: .local),
        WriteCase(name: "sync, mate hot", mate: .hot, policy: .fail, sync: true, expected: .waits),
    ]

    @Test(arguments: writeCases)
    func writeOutcomes(_ testCase: WriteCase) {
        var pair: Pair
        switch testCase.mate {
        case .none:
            pair = Pair.started(policy: testCase.policy)
            pair.handle(0, .mateReachable(false))
            pair.inFlight = []
        case .syncing:
            pair = Pair.started(policy: testCase.policy)
            pair.deliver()  // the snapshot request: the active starts a snapshot
        case .hot:
            pair = Pair.hot(policy: testCase.policy)
        }
        pair.write(Pair.create, sync: false)
        let before = pair.boards[0].store
        let request = pair.write(Pair.set("k", [1]), sync: testCase.sync)
        switch testCase.expected {
        case .local:
            #expect(pair.completions[request] == .local(sequence: before.sequence + 1))
        case .waits:
            #expect(pair.completions[request] == nil)
            pair.deliverAll()
            #expect(pair.completions[request] == .replicated(sequence: before.sequence + 1))
        case .refusedMateNotHot:
            #expect(pair.completions[request] == .refused(.mateNotHot))
            #expect(pair.boards[0].store == before)
        }
    }

    @Test func writesAreRefusedOffTheActiveAndWhenInvalid() {
        var pair = Pair.hot()
        let onStandby = pair.write(Pair.create, sync: false, on: 1)
        #expect(pair.completions[onStandby] == .refused(.notActive))
        let before = pair.boards[0].store
        let invalid = pair.write(Pair.set("k", [1], in: "missing"), sync: true)
        #expect(pair.completions[invalid] == .refused(.invalid(CheckpointError(.noSuchCheckpoint, checkpoint: "missing"))))
        #expect(pair.boards[0].store == before)
        #expect(pair.inFlight.isEmpty, "nothing is sent for a refused write")
        pair.handle(0, .roleChanged(.quiescing, epoch: 1))
        let quiescing = pair.write(Pair.create, sync: false)
        #expect(pair.completions[quiescing] == .refused(.notActive))
    }

    // MARK: - Joining, snapshot, hot

    @Test func aJoiningStandbyGetsASnapshotAndBecomesHotOnce() {
        var pair = Pair.started()
        pair.write(Pair.create, sync: false)
        pair.write(Pair.set("a", [1]), sync: false)
        #expect(pair.inFlightKinds == ["snapshotRequest"])
        #expect(pair.boards[1].progress.phase == .waiting)
        pair.deliver()
        #expect(pair.inFlightKinds == ["snapshotChunk"])
        pair.deliver()
        #expect(pair.boards[1].progress.phase == .receiving)
        #expect(pair.boards[1].progress.sectionsTotal == 1 && pair.boards[1].progress.sectionsReceived == 1)
        pair.deliverAll()
        #expect(pair.boards[1].isHot)
        #expect(pair.boards[1].store == pair.boards[0].store)
        #expect(pair.boards[1].progress.phase == .hot)
        #expect(pair.log[1].filter { $0 == .readinessChanged(hot: true) }.count == 1)
        #expect(pair.log[1].contains { if case .replaceReplica(let summary) = $0 { summary.cutover == 2 } else { false } })
        #expect(pair.boards[0].mateIsHot && pair.boards[0].mateLag == 0)
        #expect(pair.traces(0).contains(.snapshotServed(snapshot: pair.boards[1].progress.snapshot)))
    }

    /// The standby learns the replica's size from the snapshot's first chunk and says so once
    /// (`prepareReplica`, the board's cue to make room), before the sections are installed.
    @Test func theFirstChunkAnnouncesTheReplicasSizeOnce() {
        var pair = Pair.started()
        pair.write(Pair.create, sync: false)
        for index in 0..<200 {
            pair.write(Pair.set(SectionKey("s/\(index)"), [UInt8](repeating: UInt8(index & 0xFF), count: 1_000)), sync: false)
        }
        pair.deliverAll()
        #expect(pair.boards[1].isHot)
        let store = pair.boards[0].store
        let prepared = pair.log[1].indices.filter { if case .prepareReplica = pair.log[1][$0] { true } else { false } }
        let replaced = pair.log[1].firstIndex { if case .replaceReplica = $0 { true } else { false } }
        #expect(prepared.count == 1, "announced \(prepared.count) times")
        #expect(pair.log[1][prepared[0]] == .prepareReplica(sections: UInt64(store.sectionCount), bytes: UInt64(store.size)))
        #expect(store.sectionCount == 200 && store.size > 200_000)
        #expect(replaced.map { prepared[0] < $0 } == true, "announced before the install")
        #expect(pair.log[0].allSatisfy { if case .prepareReplica = $0 { false } else { true } }, "the active makes no room")
    }

    @Test func writesDuringTheSnapshotAreHeldAndAppliedAfterTheCutOver() {
        var pair = Pair.started()
        pair.write(Pair.create, sync: false)
        pair.deliver()  // the request: cut-over at 1
        pair.write(Pair.set("a", [1]), sync: false)  // sequence 2, sent before the chunk
        pair.write(Pair.set("b", [2]), sync: false)
        #expect(pair.inFlightKinds == ["snapshotChunk", "update", "update"])
        // The updates arrive first: a standby that has not started the snapshot drops them.
        pair.deliver(at: 1)
        #expect(pair.boards[1].counters.staleDropped == 1)
        pair.deliver(at: 0)  // chunk 0: the snapshot starts
        pair.deliver(at: 0)  // sequence 3: held
        #expect(pair.boards[1].progress.backlog == 1)
        pair.deliverAll()  // done, then install: 3 held behind a gap at 2, nacked
        #expect(!pair.boards[1].isHot)
        #expect(pair.boards[1].store.sequence == 1)
        pair.advance(by: .milliseconds(3))  // the nack is repeated past the resend holdoff
        pair.deliverAll()
        #expect(pair.boards[1].isHot)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    /// With `reportsTransientApplies` false (the daemon's setting), `.apply` reports the
    /// updates of persistent checkpoints only, on the active and on the replica; the default
    /// reports every update. Either way the replica holds every update.
    @Test(arguments: [false, true])
    func appliesOfTransientCheckpointsAreReportedOnlyWhenAsked(reported: Bool) {
        var pair = Pair.started { $0.reportsTransientApplies = reported }
        pair.deliverAll()
        pair.write(CheckpointUpdate(checkpoint: "t", operations: [.create(.maximal)]), sync: false)
        pair.write(CheckpointUpdate(checkpoint: "p", operations: [.create(CheckpointLimits.maximal.persistent(true))]), sync: false)
        pair.write(Pair.set("a", [1], in: "t"), sync: false)
        pair.write(Pair.set("a", [2], in: "p"), sync: false)
        pair.write(CheckpointUpdate(checkpoint: "t", operations: [.remove]), sync: false)
        pair.write(CheckpointUpdate(checkpoint: "p", operations: [.remove]), sync: false)
        pair.advance(by: .milliseconds(1))
        pair.deliverAll()
        for board in 0..<2 {
            let applied = pair.log[board].compactMap { action -> String? in
                guard case .apply(let update) = action else { return nil }
                return "\(update.checkpoint) \(update.sequence)"
            }
            let expected = reported ? ["t 1", "p 2", "t 3", "p 4", "t 5", "p 6"] : ["p 2", "p 4", "p 6"]
            #expect(applied == expected, "board \(board)")
        }
        #expect(pair.boards[1].store == pair.boards[0].store && pair.boards[1].store.sequence == 6)
    }

    // MARK: - Acks, gaps, retransmission

    @Test func asyncAcksAreDelayedAndCoalesced() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        pair.write(Pair.set("a", [1]), sync: false)
        let flush = pair.nextRequest
        pair.handle(0, .flushRequested(request: flush))
        pair.deliverAll()
        #expect(pair.completions[flush] == nil, "no ack yet")
        #expect(pair.boards[1].nextDeadline == pair.now + pair.boards[1].configuration.ackDelay)
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        #expect(pair.inFlightKinds == ["ack"])
        pair.deliverAll()
        #expect(pair.completions[flush] == .replicated(sequence: 2))
        #expect(pair.boards[0].windowCount == 0)
    }

    /// A lost last update goes again as a tail-loss probe; when the probe is lost too, the
    /// retransmission timeout sends it again.
    @Test func aLostUpdateIsProbedThenRetransmittedAfterTheTimeout() {
        var pair = Pair.hot()
        let request = pair.write(Pair.create, sync: true)
        pair.inFlight.removeAll()  // lost
        #expect(pair.boards[0].nextDeadline == pair.now + pair.boards[0].configuration.tailProbeTimeout)
        pair.advance(by: pair.boards[0].configuration.tailProbeTimeout)
        #expect(pair.inFlightKinds == ["update"])
        #expect(pair.boards[0].counters.tailProbes == 1)
        pair.inFlight.removeAll()  // the probe is lost too: no second probe for the same update
        // (The deadline is a lower bound: the timer may scan once early, at the first send's timeout.)
        #expect(pair.boards[0].nextDeadline <= pair.now + pair.boards[0].configuration.retransmitTimeout)
        pair.advance(by: pair.boards[0].configuration.retransmitTimeout - .microseconds(1))
        #expect(pair.inFlight.isEmpty, "nothing before the probe's own timeout")
        pair.advance(by: .microseconds(1))
        #expect(pair.inFlightKinds == ["update"])
        #expect(pair.boards[0].counters.updatesResent == 2 && pair.boards[0].counters.tailProbes == 1)
        pair.deliverAll()
        #expect(pair.completions[request] == .replicated(sequence: 1))
    }

    @Test func aGapIsNackedAndFilled() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        pair.write(Pair.set("a", [1]), sync: false)
        pair.write(Pair.set("b", [2]), sync: false)
        pair.inFlight.remove(at: 0)  // sequence 1 lost
        pair.deliver()  // 2: held, nack 1...1
        #expect(pair.inFlightKinds == ["update", "nack"])
        pair.deliver()  // 3: held
        pair.deliver()  // the nack, within the holdoff: ignored
        #expect(pair.inFlight.isEmpty)
        #expect(pair.boards[1].progress.backlog == 2)
        pair.advance(by: pair.boards[1].configuration.nackInterval)
        pair.deliverAll()
        #expect(pair.boards[1].store == pair.boards[0].store)
        #expect(pair.boards[1].progress.backlog == 0)
        #expect(pair.boards[0].counters.nacksReceived == 2)
    }

    /// The standby counts the live updates a synchronous writer waits for (its adapter polls
    /// for the next one while they come back to back): not async ones, not a duplicate.
    @Test func theStandbyCountsTheUpdatesASyncWriterWaitsFor() {
        var pair = Pair.hot()
        let before = pair.boards[1].waitedUpdatesTaken
        pair.write(Pair.create, sync: false)
        pair.write(Pair.set("a", [1]), sync: false)
        pair.deliverAll()
        #expect(pair.boards[1].waitedUpdatesTaken == before)
        pair.write(Pair.set("b", [2]), sync: true)
        let copy = pair.inFlight[0]
        pair.deliverAll()
        #expect(pair.boards[1].waitedUpdatesTaken == before + 1)
        pair.inFlight.append(copy)  // the same update again: a duplicate, answered, not counted
        pair.deliverAll()
        #expect(pair.boards[1].counters.duplicatesDropped == 1)
        #expect(pair.boards[1].waitedUpdatesTaken == before + 1)
        pair.write(Pair.set("c", [3]), sync: true)
        pair.deliverAll()
        #expect(pair.boards[1].waitedUpdatesTaken == before + 2)
        #expect(pair.boards[0].waitedUpdatesTaken == 0, "the active takes no updates")
    }

    @Test func duplicatesAreDroppedAndAnsweredAtOnce() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        let copy = pair.inFlight[0]
        pair.deliverAll()
        pair.inFlight.append(copy)
        let actions = pair.deliver()
        #expect(pair.boards[1].counters.duplicatesDropped == 1)
        #expect(actions.contains { if case .send(let message) = $0 { message.kind == .ack } else { false } })
        #expect(pair.boards[1].store.sequence == 1)
    }

    @Test func aFullWindowRefusesWritesUntilAcksOpenIt() {
        var pair = Pair.hot(windowMax: 3)
        pair.write(Pair.create, sync: false)
        pair.write(Pair.set("a", [1]), sync: false)
        pair.write(Pair.set("b", [1]), sync: false)
        let before = pair.boards[0].store
        let refused = pair.write(Pair.set("c", [1]), sync: false)
        #expect(pair.completions[refused] == .refused(.windowFull))
        #expect(pair.boards[0].store == before)
        pair.deliverAll()
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        pair.deliverAll()
        #expect(pair.log[0].last == .windowOpened)
        let accepted = pair.write(Pair.set("c", [1]), sync: false)
        #expect(pair.completions[accepted] == .local(sequence: 4))
    }

    @Test func staleAndBogusAcksAreIgnored() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: true)
        let snapshot = pair.boards[1].progress.snapshot
        let stale = ReplicationAck(snapshot: snapshot + 1, received: 1, applied: 1, chunks: 1, installed: true, hot: true)
        pair.handle(0, .messageReceived(ReplicationMessage(epoch: 1, .ack(stale))))
        #expect(pair.boards[0].counters.staleDropped == 1)
        let bogus = ReplicationAck(snapshot: snapshot, received: 9, applied: 9, chunks: 1, installed: true, hot: true)
        pair.handle(0, .messageReceived(ReplicationMessage(epoch: 1, .ack(bogus))))
        #expect(pair.traces(0).contains(.bogusAck(received: 9, sequence: 1)))
        #expect(pair.boards[0].pendingCount == 1, "the sync write still waits")
        pair.handle(0, .messageMalformed(.badChecksum))
        #expect(pair.boards[0].counters.malformed == 1)
    }

    // MARK: - Losing the mate, role changes

    @Test func losingTheMateCompletesWaitingRequestsAsUnconfirmed() {
        var pair = Pair.hot()
        let sync = pair.write(Pair.create, sync: true)
        let flush = pair.nextRequest
        pair.handle(0, .flushRequested(request: flush))
        pair.handle(0, .mateReachable(false))
        #expect(pair.completions[sync] == .unconfirmed(sequence: 1))
        #expect(pair.completions[flush] == .unconfirmed(sequence: 1))
        #expect(pair.traces(0).contains(.mateLost(unconfirmed: 2)))
        #expect(!pair.boards[0].mateIsHot && pair.boards[0].nextDeadline == Instant(nanoseconds: .max))
    }

    @Test func aHotStandbyTakesOverAndGoesOnFromItsSequence() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: true)
        pair.write(Pair.set("a", [1]), sync: true)
        pair.deliverAll()
        pair.handle(1, .mateReachable(false))
        pair.handle(1, .roleChanged(.active, epoch: 2))
        #expect(pair.traces(1).contains(.tookOver(sequence: 2, epoch: 2)))
        #expect(!pair.traces(1).contains { if case .stateLost = $0 { true } else { false } })
        let next = pair.write(Pair.set("b", [2]), sync: false, on: 1)
        #expect(pair.completions[next] == .local(sequence: 3))
    }

    @Test func aHotStandbyWithAGapRecordsTheUpdatesInFlight() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        pair.write(Pair.set("a", [1]), sync: false)
        pair.write(Pair.set("b", [1]), sync: false)
        pair.inFlight.remove(at: 1)  // sequence 2 lost; 3 is held behind the gap
        pair.deliverAll()
        pair.handle(1, .roleChanged(.active, epoch: 2))
        #expect(pair.traces(1).contains(.inFlightLost(replicaSequence: 1, missing: 2)))
        #expect(!pair.traces(1).contains { if case .stateLost = $0 { true } else { false } })
    }

    @Test func aStandbyThatIsNotHotRecordsTheLossWhenItTakesOver() {
        var pair = Pair.started()
        pair.write(Pair.create, sync: false)
        pair.deliver()  // request
        pair.write(Pair.set("a", [1]), sync: false)
        pair.deliver()  // chunk 0: receiving
        pair.deliver()  // update 2: held
        pair.handle(1, .roleChanged(.active, epoch: 2))
        #expect(pair.traces(1).contains(.stateLost(replicaSequence: 0, missing: 2, snapshotIncomplete: true)))
    }

    @Test func anActiveThatLosesTheRoleResyncsAndCountsItsWrites() {
        var pair = Pair.hot()
        pair.handle(1, .mateReachable(false))
        pair.handle(1, .roleChanged(.active, epoch: 2))  // split brain: both active
        pair.write(Pair.create, sync: false, on: 1)
        pair.write(Pair.create, sync: false, on: 0)
        pair.write(Pair.set("x", [1]), sync: false, on: 0)
        pair.inFlight.removeAll()
        pair.handle(0, .roleChanged(.standby, epoch: 2))  // board 0 loses the resolution
        #expect(pair.traces(0).contains(.resyncStarted(.roleLost, replicaSequence: 2, writesSinceTakeover: 2)))
        #expect(pair.traces(0).contains(.unconfirmedWritesDiscarded(count: 2, writesSinceTakeover: 2, sequence: 2)))
        #expect(pair.inFlightKinds == ["snapshotRequest"])
        pair.handle(1, .mateReachable(true))
        pair.deliverAll()
        #expect(pair.boards[0].isHot)
        #expect(pair.boards[0].store == pair.boards[1].store, "the divergent writes are gone")
        #expect(pair.boards[0].epoch == 2)
    }

    @Test func aLostRoleCountsOnlyTheWritesTheMateNeverApplied() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: true)
        pair.deliverAll()
        pair.handle(0, .mateReachable(false))
        pair.handle(1, .mateReachable(false))
        pair.handle(1, .roleChanged(.active, epoch: 2))  // split brain: both active
        pair.write(Pair.set("x", [1]), sync: false, on: 0)
        pair.write(Pair.set("y", [1]), sync: false, on: 0)
        pair.inFlight.removeAll()
        pair.handle(0, .roleChanged(.standby, epoch: 2))
        #expect(pair.traces(0).contains(.unconfirmedWritesDiscarded(count: 2, writesSinceTakeover: 3, sequence: 3)))
    }

    @Test func aSwitchoverToAHotMateDiscardsNothing() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: true)
        pair.write(Pair.set("x", [1]), sync: true)
        pair.deliverAll()
        pair.handle(0, .roleChanged(.standby, epoch: 1))
        #expect(!pair.traces(0).contains { if case .unconfirmedWritesDiscarded = $0 { true } else { false } })
    }

    @Test func aStandbyResyncsOnANewEpochAndOnDivergence() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        pair.deliverAll()
        var forged = pair.boards[0].store
        let update = try! forged.commit(Pair.set("k", [1]))
        pair.handle(1, .messageReceived(ReplicationMessage(epoch: 7, .update(update, ackNow: false))))
        #expect(pair.traces(1).contains(.resyncStarted(.epochChanged, replicaSequence: 1, writesSinceTakeover: 0)))
        pair.inFlight.removeAll()
        pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        pair.deliverAll()
        var wrong = update
        wrong.checksum &+= 1
        pair.handle(1, .messageReceived(ReplicationMessage(epoch: 1, .update(wrong, ackNow: false))))
        #expect(pair.traces(1).contains { if case .replicaDiverged = $0 { true } else { false } })
        #expect(!pair.boards[1].isHot)
        #expect(pair.log[1].last == .send(ReplicationMessage(epoch: 1, .snapshotRequest(snapshot: pair.boards[1].progress.snapshot, replicaSequence: 1))))
    }

    @Test func aSwitchoverDrainsTheStreamBeforeHandingOver() {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        pair.handle(0, .roleChanged(.quiescing, epoch: 1))
        pair.inFlight.removeAll()  // lost: the draining active retransmits
        let flush = pair.nextRequest
        pair.handle(0, .flushRequested(request: flush))
        pair.advance(by: pair.boards[0].configuration.retransmitTimeout)
        pair.deliverAll()
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        pair.deliverAll()
        #expect(pair.completions[flush] == .replicated(sequence: 1))
        #expect(pair.boards[0].mateLag == 0)
    }

    @Test func aStalledSnapshotIsAskedForAgain() {
        var pair = Pair.started()
        pair.write(Pair.create, sync: false)
        pair.deliver()  // request
        pair.deliver()  // chunk 0
        pair.inFlight.removeAll()  // everything after is lost, and the active goes silent
        pair.handle(0, .roleChanged(.failed, epoch: 1))
        let first = pair.boards[1].progress.snapshot
        pair.advance(by: pair.boards[1].configuration.snapshotStallTimeout)
        #expect(pair.traces(1).contains(.resyncStarted(.snapshotStalled, replicaSequence: 0, writesSinceTakeover: 0)))
        #expect(pair.boards[1].progress.snapshot != first)
        #expect(pair.inFlightKinds == ["snapshotRequest"])
    }
}
