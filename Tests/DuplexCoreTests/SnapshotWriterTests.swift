import Testing

@testable import DuplexCore

/// The snapshot writer's frozen copy and its radix sort of keys.
@Suite struct SnapshotWriterTests {
    /// Writes to the store after the writer was made (overwrites, new keys, removals, a new
    /// checkpoint) change none of its chunks: it cuts the store as it was.
    @Test func theWriterCutsTheStoreAsItWas() throws {
        var store = CheckpointStore()
        try store.create("c", limits: .maximal)
        for index in 0..<300 { try store.write("c", SectionKey("k\(index)"), Array(repeating: UInt8(index & 0xFF), count: 90)) }
        let before = store
        var reference = SnapshotWriter(snapshot: 4, store: before, chunkSize: Limits.checkpointChunkSizeMin)
        var writer = SnapshotWriter(snapshot: 4, store: store, chunkSize: Limits.checkpointChunkSizeMin)
        var chunks: [SnapshotChunk] = []
        for step in 0..<400 {
            switch step % 4 {
            case 0: try store.write("c", SectionKey("k\(step % 300)"), [1, 2, 3])
            case 1: try store.write("c", SectionKey("new\(step)"), Array(repeating: 9, count: 500))
            case 2: try store.delete("c", SectionKey("k\(step / 4)"))
            default: if step == 3 { try store.create("b", limits: .maximal) }
            }
            if let chunk = writer.nextChunk() { chunks.append(chunk) }
        }
        while let chunk = writer.nextChunk() { chunks.append(chunk) }
        var expected: [SnapshotChunk] = []
        while let chunk = reference.nextChunk() { expected.append(chunk) }
        #expect(chunks == expected)
        #expect(writer.summary == reference.summary)
        var assembler = SnapshotAssembler(snapshot: 4, epoch: 1)
        for chunk in chunks { try assembler.accept(chunk) }
        #expect(try assembler.finish(writer.summary) == before)
    }

    /// The radix sort orders by word, stably, whatever bytes the words differ in.
    @Test func theRadixSortIsAStableSortOfTheWords() {
        var random = TestRandom(seed: 17)
        for count in [0, 1, 2, 3, 255, 256, 1_000] {
            // Few distinct values per byte, in every byte position, and many equal words.
            let words = (0..<count).map { _ in
                (0..<8).reduce(UInt64(0)) { word, _ in word << 8 | UInt64([0, 1, 0x7F, 0xFF][Int.random(in: 0...3, using: &random)]) }
                    & [UInt64.max, 0xFF00_0000_0000_00FF, 0x0000_FFFF_0000_0000][Int.random(in: 0...2, using: &random)]
            }
            let slots = SnapshotWriter.radixSorted(words).map(Int.init)
            let expected = words.indices.sorted { words[$0] != words[$1] ? words[$0] < words[$1] : $0 < $1 }
            #expect(slots == expected, "\(count) words")
        }
    }

    /// Keys alike in their first eight bytes (long common prefixes, zero bytes against
    /// padding) are ordered by their full bytes.
    @Test func keysAlikeInTheirFirstWordAreOrderedInFull() {
        var sections: [SectionKey: Section] = [:]
        let keys: [SectionKey] = [
            SectionKey([]), SectionKey([0]), SectionKey([0, 0]), SectionKey([0, 0, 0, 0, 0, 0, 0, 0]),
            SectionKey([0, 0, 0, 0, 0, 0, 0, 0, 0]), SectionKey("common/prefix/b"), SectionKey("common/prefix/a"),
            SectionKey("common/prefix"), SectionKey("common/p"), SectionKey("common/"), SectionKey("z"),
        ]
        for key in keys { sections[key] = Section(key: key, bytes: [UInt8(key.bytes.count)]) }
        let ordered = SnapshotWriter.keyOrder(sections).map { sections[$0.position].key }
        #expect(ordered == keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        #expect(SnapshotWriter.keyOrder(sections).allSatisfy { $0.valueLength == 1 })
    }
}
