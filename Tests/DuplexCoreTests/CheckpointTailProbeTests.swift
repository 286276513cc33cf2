import Testing

@testable import DuplexCore

/// The tail-loss probe: a lost last update (or its lost acknowledgement) is repaired after
/// `tailProbeTimeout`, not `retransmitTimeout`; acknowledgements that keep coming send none.
@Suite struct CheckpointTailProbeTests {
    typealias Pair = ReplicationPair

    /// Moves time on in steps of `step` until `done` or `limit`; returns the time it took.
    static func time(_ pair: inout Pair, step: Duration = .microseconds(250), limit: Duration, until done: (Pair) -> Bool) -> Duration? {
        let start = pair.now
        for _ in 0..<10_000 {
            if done(pair) { return pair.now.since(start) }
            guard pair.now.since(start) < limit else { return nil }
            pair.advance(by: step)
            pair.deliverAll()
        }
        return nil
    }

    @Test func aLostLastSyncUpdateIsSentAgainAfterTheProbeTimeout() {
        var pair = CheckpointOneSidedLossTests.written()
        let probe = pair.boards[0].configuration.tailProbeTimeout
        let request = pair.write(Pair.set("lost", [7]), sync: true)
        #expect(pair.inFlightKinds.count == 1)
        pair.inFlight.removeAll()  // the update is lost; no later one follows it
        let took = Self.time(&pair, limit: .milliseconds(15)) { $0.completions[request] != nil }
        #expect(took.map { $0 >= probe && $0 < probe + .milliseconds(1) } ?? false, "completed after \(String(describing: took))")
        #expect(pair.completions[request] == .replicated(sequence: pair.boards[0].store.sequence))
        #expect(pair.boards[0].counters.tailProbes == 1)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    @Test func aLostAcknowledgementIsRepeatedAfterTheProbe() {
        var pair = CheckpointOneSidedLossTests.written()
        let request = pair.write(Pair.set("acked", [8]), sync: true)
        pair.deliver()  // the update reaches the standby ...
        #expect(pair.inFlightKinds == ["ack"])
        pair.inFlight.removeAll()  // ... and its acknowledgement is lost
        let took = Self.time(&pair, limit: .milliseconds(15)) { $0.completions[request] != nil }
        #expect(took.map { $0 < .milliseconds(3) } ?? false, "completed after \(String(describing: took))")
        #expect(pair.boards[1].counters.duplicatesDropped >= 1)
        #expect(pair.boards[0].counters.tailProbes == 1)
    }

    @Test func acknowledgementsThatKeepComingSendNoProbe() {
        var pair = CheckpointOneSidedLossTests.written()
        for index in 0..<200 {
            pair.write(Pair.set(SectionKey("k\(index % 7)"), [UInt8(index & 0xFF)]), sync: index % 3 == 0)
            pair.deliverAll()
            pair.advance(by: .microseconds(400))
            pair.deliverAll()
        }
        _ = Self.time(&pair, limit: .milliseconds(30)) { $0.boards[0].windowCount == 0 }
        #expect(pair.boards[0].windowCount == 0)
        #expect(pair.boards[0].counters.tailProbes == 0)
        #expect(pair.boards[0].counters.updatesResent == 0)
    }
}
