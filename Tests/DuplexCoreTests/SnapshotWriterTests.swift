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

    /// The section records' keys in the order the chunks carry them.
    static func keysInChunks(_ chunks: [SnapshotChunk]) -> [SectionKey] {
        var keys: [SectionKey] = []
        for chunk in chunks {
            var offset = chunk.index == 0 ? SnapshotChunk.beginSize : 0
            while offset < chunk.bytes.count {
                let bytes = chunk.bytes
                if bytes[offset] == SnapshotChunk.Tag.checkpoint.rawValue {
                    offset += SnapshotChunk.checkpointRecordSize(name: String(decoding: bytes[(offset + 2)..<(offset + 2 + Int(bytes[offset + 1]))], as: UTF8.self))
                    continue
                }
                let keyLength = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                let key = SectionKey(Array(bytes[(offset + 3)..<(offset + 3 + keyLength)]))
                let at = offset + 3 + keyLength
                let valueOffset = Int(bytes[at + 4]) << 24 | Int(bytes[at + 5]) << 16 | Int(bytes[at + 6]) << 8 | Int(bytes[at + 7])
                let part = Int(bytes[at + 8]) << 8 | Int(bytes[at + 9])
                if valueOffset == 0 { keys.append(key) }
                offset = at + 10 + part
            }
        }
        return keys
    }

    /// By default the sections go in the order their values lie in memory, each once with its
    /// lengths taken from the table's entries; for an older mate they go in key order. Both
    /// assemble into the same store.
    @Test func sectionsGoInTheirValuesMemoryOrderOrInKeyOrderForAnOlderMate() throws {
        var store = CheckpointStore()
        try store.create("c", limits: .maximal)
        var random = TestRandom(seed: 23)
        for index in 0..<500 {
            let key = SectionKey((0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) } + [UInt8(index & 0xFF), UInt8(index >> 8)])
            try store.write("c", key, Array(repeating: UInt8(index & 0xFF), count: Int.random(in: 0...3_000, using: &random)))
        }
        let table = store.checkpoint("c")!.sections
        let entries = SnapshotWriter.storageOrder(table)
        #expect(Set(entries.map(\.position)) == Set(table.indices) && entries.count == table.count)
        let addresses = entries.map { SnapshotWriter.storageAddress(of: table[$0.position].value.bytes) }
        #expect(addresses == addresses.sorted() && Set(addresses).count > 400, "the values in the order they lie in memory")
        #expect(addresses.first! > 0)
        #expect(entries.allSatisfy { $0.keyLength == table[$0.position].key.bytes.count && $0.valueLength == table[$0.position].value.bytes.count })
        for inKeyOrder in [false, true] {
            var writer = SnapshotWriter(snapshot: 7, store: store, chunkSize: 4_096, inKeyOrder: inKeyOrder)
            var chunks: [SnapshotChunk] = []
            while let chunk = writer.nextChunk() { chunks.append(chunk) }
            let keys = Self.keysInChunks(chunks)
            #expect(keys == (inKeyOrder ? table.keys.sorted() : entries.map { table[$0.position].key }), "in key order: \(inKeyOrder)")
            var assembler = SnapshotAssembler(snapshot: 7, epoch: 1)
            for chunk in chunks { try assembler.accept(chunk) }
            #expect(try assembler.finish(writer.summary) == store)
        }
    }

    /// A section that comes twice (in whatever order) makes the snapshot malformed.
    @Test func aKeyThatComesTwiceIsRefused() throws {
        var store = CheckpointStore()
        try store.create("c", limits: .maximal)
        try store.write("c", "a", [1, 2, 3])
        try store.write("c", "b", [4, 5, 6])
        var writer = SnapshotWriter(snapshot: 3, store: store)
        var chunk = writer.nextChunk()!
        #expect(writer.nextChunk() == nil)
        // The record of key "b" (tag 3, key length 1) made into a second record of "a".
        let record: [UInt8] = [SnapshotChunk.Tag.section.rawValue, 0, 1, UInt8(ascii: "b")]
        let at = try #require(chunk.bytes.indices.first { chunk.bytes[$0...].starts(with: record) })
        chunk.bytes[at + 3] = UInt8(ascii: "a")
        var assembler = SnapshotAssembler(snapshot: 3, epoch: 1)
        #expect(throws: ReplicationDecodeError.malformed) { try assembler.accept(chunk) }
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
        // Shaped like storage addresses: 16-byte aligned within 128 MiB of a heap (three
        // passes of 11 bits over bits 4 to 26), some equal; and words differing in one high bit.
        let base: UInt64 = 0x5555_4000_0000
        let addresses = (0..<20_000).map { _ in base + UInt64.random(in: 0..<(1 << 23), using: &random) << 4 }
        let highBit = (0..<1_000).map { _ in Bool.random(using: &random) ? UInt64(1) << 63 : 0 }
        for words in [addresses, highBit, [7, 7, 7], [UInt64.max, 0]] {
            let slots = SnapshotWriter.radixSorted(words).map(Int.init)
            #expect(slots == words.indices.sorted { words[$0] != words[$1] ? words[$0] < words[$1] : $0 < $1 })
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
