import Testing

@testable import DuplexCore

@Suite struct CheckpointSnapshotTests {
    func roundTrip(
        _ store: CheckpointStore, snapshot: UInt64 = 9, chunkSize: Int = Limits.checkpointChunkSizeMax
    ) throws -> (CheckpointStore, [SnapshotChunk]) {
        var writer = SnapshotWriter(snapshot: snapshot, store: store, chunkSize: chunkSize)
        var chunks: [SnapshotChunk] = []
        while let chunk = writer.nextChunk() { chunks.append(chunk) }
        #expect(chunks.count == Int(writer.summary.chunks))
        var assembler = SnapshotAssembler(snapshot: snapshot, epoch: 1)
        for chunk in chunks {
            #expect(chunk.bytes.count <= chunkSize)
            #expect(chunk.total == writer.summary.chunks)
            try assembler.accept(chunk)
        }
        return (try assembler.finish(writer.summary), chunks)
    }

    /// The smallest chunks still carry the longest names and keys, and values cut into parts.
    @Test func theSmallestChunksRoundTrip() throws {
        var store = CheckpointStore()
        let name = String(repeating: "n", count: Limits.checkpointNameSizeMax)
        try store.create(name, limits: .maximal)
        try store.create("b", limits: .maximal)
        for index in 0..<20 {
            let key = SectionKey(String(repeating: "k", count: Limits.sectionKeySizeMax - 2) + "\(index % 10)\(index / 10)")
            try store.write(name, key, Array(repeating: UInt8(index), count: index * 700))
            try store.write("b", SectionKey("s\(index)"), [UInt8(index)])
        }
        let (copy, chunks) = try roundTrip(store, chunkSize: Limits.checkpointChunkSizeMin)
        #expect(copy == store)
        #expect(chunks.count > store.size / Limits.checkpointChunkSizeMin)
    }

    @Test func emptyStoreIsOneChunk() throws {
        let (copy, chunks) = try roundTrip(CheckpointStore())
        #expect(chunks.count == 1)
        #expect(copy == CheckpointStore())
    }

    @Test func smallStoreRoundTrips() throws {
        let store = CheckpointSamples.store()
        let (copy, _) = try roundTrip(store)
        #expect(copy == store)
        #expect(copy.checkpoint("calls")!.sequence == 4)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func largeSectionsAndManySmallOnesRoundTrip(_ seed: UInt64) throws {
        var random = CheckpointRandom(seed: seed)
        var store = CheckpointStore()
        try store.create("a-empty", limits: .maximal)
        try store.create("b-large", limits: .maximal)
        try store.create("c-small", limits: .maximal)
        for index in 0..<12 {
            let size = [0, 1, 255, 8_000, 8_192, 20_000, Limits.sectionSizeMax][random.below(7)]
            try store.write("b-large", SectionKey("k\(index)"), random.bytes(size))
        }
        for index in 0..<600 {
            try store.write("c-small", SectionKey(random.bytes(1 + random.below(40)) + [UInt8(index & 0xFF)]), random.bytes(random.below(64)))
        }
        let (copy, chunks) = try roundTrip(store)
        #expect(copy == store)
        // About 150 KB in chunks of 32 KiB: several, with large sections cut across them.
        #expect(chunks.count >= 3)
    }

    @Test func aChunkThatLiesIsRefused() throws {
        let store = CheckpointSamples.store()
        var writer = SnapshotWriter(snapshot: 3, store: store)
        let chunk = writer.nextChunk()!
        // A section byte changed behind the transport's CRC: the checkpoint's checksum catches it.
        var tampered = chunk
        tampered.bytes[tampered.bytes.count - 1] ^= 1
        var assembler = SnapshotAssembler(snapshot: 3, epoch: 1)
        try assembler.accept(tampered)
        #expect(throws: ReplicationDecodeError.badChecksum) { _ = try assembler.finish(writer.summary) }
        // A summary that does not match what came.
        var honest = SnapshotAssembler(snapshot: 3, epoch: 1)
        try honest.accept(chunk)
        var summary = writer.summary
        summary.sections += 1
        #expect(throws: ReplicationDecodeError.malformed) { _ = try honest.finish(summary) }
        // A chunk without the begin record.
        var headless = SnapshotAssembler(snapshot: 3, epoch: 1)
        #expect(throws: ReplicationDecodeError.self) {
            try headless.accept(SnapshotChunk(snapshot: 3, index: 0, total: 1, bytes: Array(chunk.bytes.dropFirst(SnapshotChunk.beginSize))))
        }
    }

    @Test func truncatedRecordsAreRefused() {
        var writer = SnapshotWriter(snapshot: 3, store: CheckpointSamples.store())
        let chunk = writer.nextChunk()!
        for length in 1..<chunk.bytes.count {
            var assembler = SnapshotAssembler(snapshot: 3, epoch: 1)
            let cut = SnapshotChunk(snapshot: 3, index: 0, total: 1, bytes: Array(chunk.bytes.prefix(length)))
            var refused = false
            do {
                try assembler.accept(cut)
                _ = try assembler.finish(writer.summary)
            } catch {
                refused = true
            }
            #expect(refused, "cut at \(length)")
        }
    }

    /// A snapshot assembled over the replica it replaces shares the bytes of every section
    /// that did not change (no new allocation), takes new bytes for the others, and is equal
    /// to the active's store either way.
    @Test func unchangedSectionsShareThePreviousReplicasBytes() throws {
        var replica = CheckpointStore()
        try replica.create("c", limits: .maximal)
        try replica.create("gone", limits: .maximal)
        for index in 0..<50 {
            try replica.write("c", SectionKey("k\(index)"), (0..<300).map { UInt8(truncatingIfNeeded: index &+ $0) })
        }
        try replica.write("gone", "x", [1])
        var store = replica
        for index in 0..<10 {  // ten changed, one new, one checkpoint removed
            try store.write("c", SectionKey("k\(index)"), (0..<300).map { UInt8(truncatingIfNeeded: index &* 3 &+ 1 &+ $0) })
        }
        try store.write("c", "new", [7, 7])
        try store.remove("gone")
        var writer = SnapshotWriter(snapshot: 4, store: store, chunkSize: 2_048)
        var assembler = SnapshotAssembler(snapshot: 4, epoch: 1, previous: replica)
        while let chunk = writer.nextChunk() { try assembler.accept(chunk) }
        let copy = try assembler.finish(writer.summary)
        #expect(copy == store)
        #expect(assembler.sectionsReused == 40)
        func storage(_ store: CheckpointStore, _ key: String) -> UnsafeRawPointer? {
            store.checkpoint("c")!.sections[SectionKey(key)]!.bytes.withUnsafeBytes { $0.baseAddress }
        }
        #expect(storage(copy, "k20") == storage(replica, "k20"), "an unchanged section shares its bytes")
        #expect(storage(copy, "k3") != storage(replica, "k3"))
        // Without a previous replica nothing is shared.
        var fresh = SnapshotAssembler(snapshot: 4, epoch: 1)
        var again = SnapshotWriter(snapshot: 4, store: store, chunkSize: 2_048)
        while let chunk = again.nextChunk() { try fresh.accept(chunk) }
        #expect(try fresh.finish(again.summary) == store && fresh.sectionsReused == 0)
    }

    @Test func bytesCompareEightAtATimeAndTheRest() {
        let a: [UInt8] = Array(0..<21)
        var b = a
        #expect(a.withUnsafeBytes { x in b.withUnsafeBytes { x.holdsSameBytes(as: $0) } })
        for index in [0, 7, 8, 15, 16, 20] {
            b = a
            b[index] ^= 1
            #expect(!a.withUnsafeBytes { x in b.withUnsafeBytes { x.holdsSameBytes(as: $0) } }, "byte \(index)")
        }
        #expect(!a.withUnsafeBytes { x in Array(a.dropLast()).withUnsafeBytes { x.holdsSameBytes(as: $0) } })
    }
}
