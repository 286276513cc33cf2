import Testing

@testable import DuplexCore

/// Snapshot requests that come while the pair does not report the mate reachable.
@Suite struct CheckpointHeldRequestTests {
    static func started(_ traces: [ReplicationTrace]) -> Int {
        traces.filter { if case .snapshotStarted = $0 { true } else { false } }.count
    }

    /// A stopping standby's last request (it came after the pair reported the mate gone) must
    /// not start a stream: nobody would acknowledge it, the active would count its mate as hot,
    /// and synchronous writes would wait for it for good.
    @Test func aRequestAfterTheMateIsGoneStartsNoStream() {
        var pair = ReplicationPair.hot()
        pair.write(ReplicationPair.create, sync: true)
        pair.deliverAll()
        #expect(Self.started(pair.traces(0)) == 1)
        pair.handle(0, .mateReachable(false))
        #expect(!pair.boards[0].mateIsHot)
        // The stopping standby's last request arrives, and the standby answers whatever comes.
        pair.handle(0, .messageReceived(ReplicationMessage(epoch: 1, .snapshotRequest(snapshot: 77, replicaSequence: 0))))
        pair.deliverAll()
        #expect(Self.started(pair.traces(0)) == 1, "no stream for the late request")
        #expect(!pair.boards[0].mateIsHot)
        // A synchronous write is refused at once (policy fail), not left waiting.
        let request = pair.write(ReplicationPair.set("k", [1]), sync: true)
        #expect(pair.completions[request] == .refused(.mateNotHot))
        // Much later the pair reports the mate again: the old request is not served.
        pair.now = pair.now + .seconds(1)
        pair.handle(0, .mateReachable(true))
        #expect(Self.started(pair.traces(0)) == 1)
    }

    /// A synchronous write waiting for the mate when the standby asks for a new snapshot (an
    /// operator resync) is answered at once, unconfirmed, instead of waiting for the whole
    /// snapshot; later synchronous writes are refused until the standby is hot again, and the
    /// write is in the snapshot.
    @Test func aWriteWaitingWhenTheStandbyResyncsIsAnsweredAtOnce() {
        var pair = ReplicationPair.hot()
        pair.write(ReplicationPair.create, sync: true)
        pair.deliverAll()
        let waiting = pair.write(ReplicationPair.set("k", [1]), sync: true)
        #expect(pair.completions[waiting] == nil, "waits for the mate")
        pair.inFlight.removeAll()  // the update never reaches the standby's old stream
        pair.handle(0, .messageReceived(ReplicationMessage(epoch: 1, .snapshotRequest(snapshot: 77, replicaSequence: 0))))
        guard case .unconfirmed? = pair.completions[waiting] else {
            Issue.record("answered \(String(describing: pair.completions[waiting]))")
            return
        }
        let next = pair.write(ReplicationPair.set("k", [2]), sync: true)
        #expect(pair.completions[next] == .refused(.mateNotHot))
    }

    /// A rejoining standby's request can overtake the pair's news of it: it is held and served
    /// as soon as the mate is reported reachable.
    @Test func aRequestThatOvertakesTheNewsOfTheMateIsServedWhenItArrives() {
        var pair = ReplicationPair()
        pair.handle(0, .roleChanged(.active, epoch: 1))
        pair.handle(1, .roleChanged(.standby, epoch: 0))
        pair.handle(1, .mateReachable(true))  // the standby heard the active first
        #expect(pair.inFlightKinds == ["snapshotRequest"])
        pair.deliver()
        #expect(Self.started(pair.traces(0)) == 0)
        pair.now = pair.now + .milliseconds(3)
        pair.handle(0, .mateReachable(true))
        #expect(Self.started(pair.traces(0)) == 1)
        pair.deliverAll()
        #expect(pair.boards[1].isHot && pair.boards[0].mateIsHot)
    }

    /// The held request's snapshot is made while the pair's news is on its way, and served as
    /// made when it arrives; a write meanwhile drops it (the snapshot then served holds the
    /// write), and so does the end of the hold.
    @Test(arguments: [false, true])
    func theHeldRequestsSnapshotIsMadeAtOnce(_ writeMeanwhile: Bool) {
        var pair = ReplicationPair()
        pair.handle(0, .roleChanged(.active, epoch: 1))
        pair.write(ReplicationPair.create, sync: false)
        for index in 0..<50 { pair.write(ReplicationPair.set(SectionKey("k\(index)"), [UInt8](repeating: 1, count: 300)), sync: false) }
        pair.handle(1, .roleChanged(.standby, epoch: 0))
        pair.handle(1, .mateReachable(true))
        #expect(pair.inFlightKinds == ["snapshotRequest"])
        pair.deliver()
        let prepared = pair.boards[0].sender.prepared
        #expect(prepared?.snapshot == pair.boards[1].progress.snapshot && prepared?.cutover == pair.boards[0].store.sequence)
        #expect(Self.started(pair.traces(0)) == 0)
        if writeMeanwhile {
            pair.write(ReplicationPair.set("late", [2]), sync: false)
            #expect(pair.boards[0].sender.prepared == nil, "a write drops the prepared snapshot")
        }
        pair.now = pair.now + .milliseconds(3)
        pair.handle(0, .mateReachable(true))
        #expect(pair.boards[0].sender.prepared == nil)
        #expect(Self.started(pair.traces(0)) == 1)
        #expect(pair.traces(0).contains { if case .snapshotStarted(_, let cutover, _) = $0 { cutover == pair.boards[0].store.sequence } else { false } })
        pair.deliverAll()
        #expect(pair.boards[1].isHot && pair.boards[0].mateIsHot)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    @Test func aPreparedSnapshotIsDroppedWithItsHeldRequest() {
        var pair = ReplicationPair()
        pair.handle(0, .roleChanged(.active, epoch: 1))
        pair.write(ReplicationPair.create, sync: false)
        pair.handle(0, .messageReceived(ReplicationMessage(epoch: 1, .snapshotRequest(snapshot: 77, replicaSequence: 0))))
        #expect(pair.boards[0].sender.prepared?.snapshot == 77)
        pair.now = pair.now + pair.boards[0].configuration.snapshotRequestHold + .milliseconds(1)
        pair.handle(0, .tick)
        #expect(pair.boards[0].sender.prepared == nil)
        pair.handle(0, .mateReachable(true))
        #expect(Self.started(pair.traces(0)) == 0, "the forgotten request is not served")
    }
}
