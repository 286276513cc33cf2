import Testing

@testable import DuplexCore

/// A loss of the mate seen by one board only: the active drops the standby's stream while the
/// standby keeps it (its pair thread never missed the active). The pair must converge again.
@Suite struct CheckpointOneSidedLossTests {
    typealias Pair = ReplicationPair

    /// A hot pair with a few updates replicated.
    static func written() -> Pair {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        for index in 0..<5 {
            pair.write(Pair.set(SectionKey("k\(index)"), [UInt8(index)]), sync: true)
            pair.deliverAll()
        }
        precondition(pair.boards[0].mateIsHot && pair.boards[1].isHot, "hot before the loss")
        return pair
    }

    /// Delivers and ticks until the pair is hot again or `limit` has passed; returns the time
    /// it took, nil if it never did.
    static func converge(_ pair: inout Pair, limit: Duration = .seconds(2)) -> Duration? {
        let start = pair.now
        for _ in 0..<2_000 {
            pair.deliverAll()
            if pair.boards[0].mateIsHot, pair.boards[1].isHot, pair.boards[0].windowCount == 0 {
                return pair.now.since(start)
            }
            guard pair.now.since(start) < limit else { return nil }
            pair.advance(by: .milliseconds(5))
        }
        return nil
    }

    static func resyncReasons(_ pair: Pair) -> [ResyncReason] {
        pair.traces(1).compactMap { if case .resyncStarted(let reason, _, _) = $0 { reason } else { nil } }
    }

    @Test func theActiveLosingTheMateAloneEndsHotAgain() {
        var pair = Self.written()
        // Only the active's pair thread missed the mate, for a moment.
        pair.handle(0, .mateReachable(false))
        pair.handle(0, .mateReachable(true))
        #expect(!pair.boards[0].mateIsHot)
        // Writes go on meanwhile: asynchronous ones are applied here only.
        pair.write(Pair.set("during", [9]), sync: false)
        let elapsed = Self.converge(&pair)
        #expect(elapsed != nil, "the standby is hot again and the active knows it")
        #expect(elapsed.map { $0 < .seconds(1) } ?? false)
        #expect(Self.resyncReasons(pair).contains(.streamRefused))
        #expect(pair.boards[1].store == pair.boards[0].store)
        // Synchronous writes are replicated again, not refused as mateNotHot.
        let request = pair.write(Pair.set("after", [1, 2]), sync: true)
        _ = Self.converge(&pair)
        #expect(pair.completions[request] == .replicated(sequence: pair.boards[0].store.sequence))
    }

    @Test func theRefusalLostTheKeepaliveStillEndsHotAgain() {
        var pair = Self.written()
        pair.handle(0, .mateReachable(false))
        pair.handle(0, .mateReachable(true))
        // Every message of the moment is lost (the refusals among them).
        pair.inFlight = []
        #expect(Self.converge(&pair) != nil)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    @Test func anActiveThatStartedANewEpochAloneEndsHotAgain() {
        // The active's epoch changed (a dual-active resolution it won) while the standby kept
        // its stream: no update is sent under the new epoch until the standby asks again.
        var pair = Self.written()
        pair.handle(0, .roleChanged(.active, epoch: 2))
        #expect(!pair.boards[0].mateIsHot)
        #expect(Self.converge(&pair) != nil)
        #expect(pair.boards[1].epoch == 2)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    @Test func aRefusalOfAnotherSnapshotIsIgnored() {
        var pair = Self.written()
        let snapshot = pair.boards[1].progress.snapshot
        let resyncs = pair.boards[1].counters.resyncs
        pair.handle(1, .messageReceived(ReplicationMessage(epoch: 1, .streamRefused(snapshot: snapshot &+ 1))))
        pair.handle(1, .messageReceived(ReplicationMessage(epoch: 2, .streamRefused(snapshot: snapshot))))
        #expect(pair.boards[1].counters.resyncs == resyncs)
        #expect(pair.boards[1].isHot)
        pair.handle(1, .messageReceived(ReplicationMessage(epoch: 1, .streamRefused(snapshot: snapshot))))
        #expect(pair.boards[1].counters.resyncs == resyncs + 1)
        #expect(!pair.boards[1].isHot)
    }

    @Test func anIdleHotStandbyOnlyAcknowledgesAtItsKeepaliveInterval() {
        var pair = Self.written()
        let acks = pair.boards[1].counters.acksSent
        for _ in 0..<100 { pair.advance(by: .milliseconds(10)) }
        pair.deliverAll()
        let sent = pair.boards[1].counters.acksSent - acks
        let interval = pair.boards[1].configuration.snapshotRequestInterval
        #expect(sent >= 1 && sent <= Duration.seconds(1).nanoseconds / interval.nanoseconds + 1)
        #expect(pair.boards[0].mateIsHot && pair.boards[1].isHot)
        #expect(pair.boards[1].counters.resyncs == 1, "only the join's")
    }

    @Test func aRefusalRoundTripsThroughTheCodec() throws {
        let message = ReplicationMessage(epoch: 7, .streamRefused(snapshot: 0x1234_5678_9ABC))
        #expect(try ReplicationMessage(decoding: message.encoded()) == message)
        var zero = ReplicationMessage(epoch: 7, .streamRefused(snapshot: 0)).encoded()
        #expect(throws: ReplicationDecodeError.malformed) { try ReplicationMessage(decoding: zero) }
        zero[3] = 99
        #expect(throws: ReplicationDecodeError.self) { try ReplicationMessage(decoding: zero) }
    }
}
