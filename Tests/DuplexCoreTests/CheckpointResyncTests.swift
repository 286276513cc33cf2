import Testing

@testable import DuplexCore

/// A standby's full resynchronisation (an operator's `duplexctl resync`, a rejoin): writes keep
/// flowing during it, lost chunks and acks are repaired, and it ends hot with every write.
@Suite struct CheckpointResyncTests {
    typealias Pair = ReplicationPair

    /// A hot pair whose checkpoint "c" holds `count` sections of `size` bytes.
    static func filled(count: Int, size: Int) -> Pair {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        for index in 0..<count {
            pair.write(Pair.set(SectionKey("k\(index)"), Self.value(index, size: size)), sync: false)
            pair.deliverAll()
        }
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        pair.deliverAll()
        precondition(pair.boards[1].store == pair.boards[0].store, "the replica holds the fill")
        return pair
    }

    static func value(_ index: Int, size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    @Test func anOperatorResyncWhileWritesContinueEndsHotWithEveryWrite() {
        var pair = Self.filled(count: 200, size: 1024)
        let installed = pair.boards[1].counters.snapshotsInstalled
        pair.handle(1, .resyncRequested)
        #expect(!pair.boards[1].isHot)
        #expect(pair.traces(1).contains { trace in
            if case .resyncStarted(.operatorRequested, _, _) = trace { true } else { false }
        })
        // The replica stays readable until the snapshot replaces it.
        #expect(pair.boards[1].store.sectionCount == 200)
        // Writes keep coming while the snapshot is on its way: overwrites, new keys, removals.
        var written = 0
        for round in 0..<400 where !pair.inFlight.isEmpty || round < 50 {
            let key = SectionKey("k\((round * 7) % 260)")
            let update = round % 9 == 0
                ? CheckpointUpdate(checkpoint: "c", operations: [.delete(key)])
                : Pair.set(key, Self.value(round, size: 100 + round))
            let request = pair.write(update, sync: false)
            if case .local = pair.completions[request] { written += 1 }
            if !pair.inFlight.isEmpty { pair.deliver() }
            if !pair.inFlight.isEmpty { pair.deliver() }
        }
        pair.settle()
        #expect(written > 0)
        #expect(pair.boards[1].isHot)
        #expect(pair.boards[0].mateIsHot)
        #expect(pair.boards[1].counters.snapshotsInstalled == installed + 1)
        #expect(pair.replicaMatches)
        // Synchronous writes are replicated again.
        let request = pair.write(Pair.set("after", [1, 2, 3]), sync: true)
        pair.settle()
        #expect(pair.completions[request] == .replicated(sequence: pair.boards[0].store.sequence))
    }

    @Test(arguments: [3, 4, 7] as [Int])
    func aResyncWithLossDuringTheTransferConverges(_ every: Int) {
        var pair = Self.filled(count: 300, size: 1024)
        pair.handle(1, .resyncRequested)
        // Every `every`-th message is lost (chunks, acks, updates, the summary) while writes go on.
        var sent = 0
        for round in 0..<20_000 {
            if round < 300, round % 3 == 0 {
                pair.write(Pair.set(SectionKey("w\(round)"), Self.value(round, size: 64)), sync: false)
            }
            if pair.inFlight.isEmpty {
                if round >= 300 && pair.boards[1].isHot { break }
                pair.advance(by: pair.boards[0].configuration.retransmitTimeout)
                continue
            }
            sent += 1
            if sent % every == 0 {
                pair.inFlight.removeFirst()
            } else {
                pair.deliver()
            }
        }
        pair.settle()
        #expect(pair.boards[1].isHot)
        #expect(pair.replicaMatches)
        #expect(pair.boards[0].counters.chunksResent > 0)
    }

    @Test func theReplacedReplicaIsHandedOverOnce() {
        var pair = Self.filled(count: 50, size: 64)
        _ = pair.boards[1].takeRetiredReplica()  // the empty one of the first snapshot
        let before = pair.boards[1].store
        pair.handle(1, .resyncRequested)
        pair.write(Pair.set("during", [1]), sync: false)
        pair.settle()
        #expect(pair.boards[1].isHot)
        let retired = pair.boards[1].takeRetiredReplica()
        #expect(retired?.sequence == before.sequence && retired?.sectionCount == 50)
        #expect(pair.boards[1].takeRetiredReplica() == nil)
        #expect(pair.replicaMatches)
    }

    @Test func aSnapshotRoundTripsAndRefusesAKeyTwice() throws {
        var store = CheckpointStore()
        try store.create("c", limits: .maximal)
        for index in 0..<500 { try store.write("c", SectionKey("k\(index)"), Self.value(index, size: 100)) }
        try store.write("c", "a", [1, 2, 3])
        try store.write("c", "b", [4, 5, 6])
        var writer = SnapshotWriter(snapshot: 5, store: store)
        var chunks: [SnapshotChunk] = []
        while let chunk = writer.nextChunk() { chunks.append(chunk) }
        var assembler = SnapshotAssembler(snapshot: 5, epoch: 1)
        for chunk in chunks { try assembler.accept(chunk) }
        #expect(try assembler.finish(writer.summary) == store)
        // Two records of one key ("b" turned into "a") in a one-chunk snapshot of a and b.
        var small = CheckpointStore()
        try small.create("c", limits: .maximal)
        try small.write("c", "a", [1, 2, 3])
        try small.write("c", "b", [4, 5, 6])
        var smallWriter = SnapshotWriter(snapshot: 6, store: small)
        let cut = smallWriter.nextChunk()
        var chunk = try #require(cut)
        let record = 1 + 2 + 1 + 4 + 4 + 2 + 3
        let second = chunk.bytes.count - record
        let first = second - record
        let keys = [chunk.bytes[first + 3], chunk.bytes[second + 3]]
        #expect(Set(keys) == [UInt8(ascii: "a"), UInt8(ascii: "b")])
        chunk.bytes[second + 3] = chunk.bytes[first + 3]
        var duplicated = SnapshotAssembler(snapshot: 6, epoch: 1)
        #expect(throws: ReplicationDecodeError.malformed) { try duplicated.accept(chunk) }
    }

    @Test func aResyncRequestOffAStandbyIsIgnored() {
        var pair = Pair.hot()
        let actions = pair.handle(0, .resyncRequested)
        #expect(actions.isEmpty)
        #expect(pair.boards[0].counters.resyncs == 0)
    }
}

extension ReplicationPair {
    /// Delivers everything and lets the acknowledgement, nack and retransmission timers run,
    /// until the active's window is empty and nothing is in flight (bounded).
    fileprivate mutating func settle() {
        for _ in 0..<200 {
            deliverAll()
            if boards[0].windowCount == 0, boards[1].isHot { return }
            advance(by: .milliseconds(3))
        }
    }

    /// The standby's replica equals the active's store (a Bool: a failed expectation would
    /// print both stores whole).
    fileprivate var replicaMatches: Bool { boards[1].store == boards[0].store }
}
