import Testing

@testable import DuplexCore

/// A standby that comes back with the replica of the stream it followed resumes that stream
/// from its replica's sequence instead of installing a snapshot, when the active still holds
/// every update after it (`resumeRequest` / `streamResumed`); otherwise, and whenever the
/// replica may not be a prefix of the active's history, it takes a snapshot as before.
@Suite struct CheckpointResumeTests {
    typealias Pair = CheckpointOneSidedLossTests.Pair

    static func resumed(_ pair: Pair) -> [ReplicationTrace] {
        pair.traces(1).filter { if case .streamResumed = $0 { true } else { false } }
    }

    static func installs(_ pair: Pair) -> UInt64 { pair.boards[1].counters.snapshotsInstalled }

    /// Both boards lose each other (every dedicated link down), the active writes meanwhile,
    /// and they see each other again.
    static func partition(_ pair: inout Pair, writes: Int, sync: Bool = false) {
        pair.handle(0, .mateReachable(false))
        pair.handle(1, .mateReachable(false))
        pair.inFlight = []  // what was on the wire is lost with the links
        for index in 0..<writes {
            pair.write(Pair.set(SectionKey("p\(index)"), [UInt8(truncatingIfNeeded: index)]), sync: sync)
        }
        pair.handle(0, .mateReachable(true))
        pair.handle(1, .mateReachable(true))
    }

    @Test func aPartitionShorterThanAWindowResumesWithoutASnapshot() throws {
        var pair = CheckpointOneSidedLossTests.written()
        let installsBefore = Self.installs(pair)
        Self.partition(&pair, writes: 40)
        let elapsed = CheckpointOneSidedLossTests.converge(&pair)
        #expect(elapsed != nil, "hot again")
        #expect(Self.installs(pair) == installsBefore, "no snapshot installed")
        let resumed = try #require(Self.resumed(pair).first)
        guard case .streamResumed(_, let sequence) = resumed else { return }
        #expect(sequence == 6, "from the replica's sequence before the partition (create and five writes)")
        #expect(pair.boards[1].store == pair.boards[0].store)
        #expect(pair.traces(0).contains { if case .streamResumedForMate(_, 6, 40) = $0 { true } else { false } })
        // The resumed stream is a stream like any other: a sync write is replicated.
        let request = pair.write(Pair.set("after", [1]), sync: true)
        _ = CheckpointOneSidedLossTests.converge(&pair)
        #expect(pair.completions[request] == .replicated(sequence: pair.boards[0].store.sequence))
    }

    @Test func moreWritesThanAWindowDuringThePartitionTakeASnapshot() {
        var pair = CheckpointOneSidedLossTests.written()
        let installsBefore = Self.installs(pair)
        Self.partition(&pair, writes: pair.boards[0].configuration.windowMax + 1)
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).isEmpty)
        #expect(Self.installs(pair) == installsBefore + 1)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    /// Only the active lost the mate: it refuses the standby's stream, the standby offers it
    /// back, and the active resumes it from what it kept.
    @Test func aLossSeenByTheActiveAloneResumesTheRefusedStream() {
        var pair = CheckpointOneSidedLossTests.written()
        let installsBefore = Self.installs(pair)
        pair.handle(0, .mateReachable(false))
        pair.write(Pair.set("during", [9]), sync: false)
        pair.handle(0, .mateReachable(true))
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(CheckpointOneSidedLossTests.resyncReasons(pair).contains(.streamRefused))
        #expect(Self.resumed(pair).count == 1 && Self.installs(pair) == installsBefore)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    /// Only the standby lost the mate: the active's stream is still live, and the new stream
    /// goes on from its window.
    @Test func aLossSeenByTheStandbyAloneResumesFromTheLiveWindow() {
        var pair = CheckpointOneSidedLossTests.written()
        let installsBefore = Self.installs(pair)
        pair.handle(1, .mateReachable(false))
        pair.write(Pair.set("during", [9]), sync: false)
        pair.inFlight = []
        pair.handle(1, .mateReachable(true))
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).count == 1 && Self.installs(pair) == installsBefore)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    /// A mate whose build does not resume streams (its pair frames say so) gets no offer: the
    /// standby asks for a snapshot alone, as before.
    @Test func noOfferToAMateThatCannotResume() {
        var pair = CheckpointOneSidedLossTests.written()
        pair.boards[1].mateResumesStreams = false
        pair.handle(1, .mateReachable(false))
        pair.handle(1, .mateReachable(true))
        #expect(pair.inFlightKinds.contains("snapshotRequest") && !pair.inFlightKinds.contains("resumeRequest"))
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).isEmpty)
    }

    /// The snapshot's sections in the order they went: the order of their values in memory by
    /// default, key order for a mate whose build needs it (its pair frames say so).
    @Test(arguments: [true, false])
    func aMateThatNeedsKeyOrderGetsItsSnapshotInKeyOrder(_ unordered: Bool) {
        var pair = Pair.hot()
        pair.write(Pair.create, sync: false)
        for index in 0..<200 { pair.write(Pair.set(SectionKey("k\(index)"), [UInt8(index & 0xFF)]), sync: false) }
        pair.deliverAll()
        pair.boards[0].mateTakesUnorderedSnapshots = unordered
        pair.handle(1, .resyncRequested)
        var chunks: [SnapshotChunk] = []
        for _ in 0..<10_000 where !pair.inFlight.isEmpty {
            if case .snapshotChunk(let chunk) = try? ReplicationMessage(decoding: pair.inFlight[0].bytes).body { chunks.append(chunk) }
            _ = pair.deliver()
        }
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(pair.boards[1].store == pair.boards[0].store)
        let keys = SnapshotWriterTests.keysInChunks(chunks.sorted { $0.index < $1.index })
        let table = pair.boards[0].store.checkpoint("c")!.sections
        #expect(keys.count == 200)
        let inMemoryOrder = SnapshotWriter.storageOrder(table).map { table[$0.position].key }
        #expect(keys == (unordered ? inMemoryOrder : table.keys.sorted()))
        #expect(inMemoryOrder != table.keys.sorted(), "the two orders differ")
    }

    @Test func anOperatorResyncAlwaysTakesASnapshot() {
        var pair = CheckpointOneSidedLossTests.written()
        let installsBefore = Self.installs(pair)
        pair.handle(1, .resyncRequested)
        #expect(!pair.inFlightKinds.contains("resumeRequest"))
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).isEmpty && Self.installs(pair) == installsBefore + 1)
    }

    /// A new epoch (the active won a split-brain resolution, or took over again) ends every
    /// stream of the old one: the standby's offer is declined and it takes a snapshot.
    @Test func aStreamOfAnotherEpochIsNotResumed() {
        var pair = CheckpointOneSidedLossTests.written()
        let installsBefore = Self.installs(pair)
        pair.handle(0, .mateReachable(false))
        pair.handle(1, .mateReachable(false))
        pair.handle(0, .roleChanged(.active, epoch: 2))
        pair.handle(0, .mateReachable(true))
        pair.handle(1, .mateReachable(true))
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).isEmpty && Self.installs(pair) == installsBefore + 1)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    /// A board that was active (its store took its own writes) never offers a stream: after
    /// losing the role it takes a snapshot, which discards what the new active never had.
    @Test func aBoardThatWasActiveTakesASnapshot() {
        var pair = CheckpointOneSidedLossTests.written()
        // A split brain: both active, each writes; board 0 keeps the role with a new epoch.
        pair.handle(0, .mateReachable(false))
        pair.handle(1, .mateReachable(false))
        pair.handle(1, .roleChanged(.active, epoch: 2))
        pair.write(Pair.set("b-only", [2]), sync: false, on: 1)
        pair.write(Pair.set("a-only", [1]), sync: false, on: 0)
        pair.handle(0, .roleChanged(.active, epoch: 3))
        pair.handle(1, .roleChanged(.standby, epoch: 3))
        pair.handle(0, .mateReachable(true))
        pair.handle(1, .mateReachable(true))
        #expect(!pair.inFlightKinds.contains("resumeRequest"))
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).isEmpty)
        #expect(pair.boards[1].store == pair.boards[0].store)
        #expect((try? pair.boards[1].store.read("c", "b-only")) == .some(nil), "the loser's write is discarded")
    }

    /// The answer is lost: the standby asks again with the same identifier, and the active
    /// tells it again; the updates follow by retransmission.
    @Test func aLostAnswerIsToldAgain() {
        var pair = CheckpointOneSidedLossTests.written()
        Self.partition(&pair, writes: 3)
        // Drop the first `streamResumed` on its way to the standby.
        var dropped = false
        for _ in 0..<100 where !dropped {
            guard let index = pair.inFlight.firstIndex(where: { $0.to == 1 && Self.kind($0.bytes) == "streamResumed" }) else {
                guard !pair.inFlight.isEmpty else { break }
                _ = pair.deliver()
                continue
            }
            pair.inFlight.remove(at: index)
            dropped = true
        }
        #expect(dropped)
        #expect(CheckpointOneSidedLossTests.converge(&pair) != nil)
        #expect(Self.resumed(pair).count == 1)
        #expect(pair.boards[1].store == pair.boards[0].store)
    }

    static func kind(_ bytes: [UInt8]) -> String {
        (try? ReplicationMessage(decoding: bytes)).map { "\($0.kind)" } ?? "garbage"
    }

    @Test func theNewMessagesRoundTripAndRefuseGarbage() throws {
        let messages = [
            ReplicationMessage(epoch: 4, .resumeRequest(snapshot: 9, streamSnapshot: 7, streamEpoch: 4, replicaSequence: 120)),
            ReplicationMessage(epoch: 4, .streamResumed(snapshot: 9, from: 120)),
        ]
        for message in messages {
            let bytes = message.encoded()
            #expect(try ReplicationMessage(decoding: bytes) == message)
        }
        // Identifiers 0 are refused; so is a truncated body.
        let zero = ReplicationMessage(epoch: 4, .resumeRequest(snapshot: 9, streamSnapshot: 0, streamEpoch: 4, replicaSequence: 1))
        #expect(throws: ReplicationDecodeError.malformed) { try ReplicationMessage(decoding: zero.encoded()) }
        let noStream = ReplicationMessage(epoch: 4, .streamResumed(snapshot: 0, from: 1))
        #expect(throws: ReplicationDecodeError.malformed) { try ReplicationMessage(decoding: noStream.encoded()) }
    }
}
