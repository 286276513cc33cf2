import Testing

@testable import DuplexCore

/// The word-at-a-time key order and the one-call hash against their definitions.
@Suite struct SectionKeyOrderTests {
    /// Keys of 0...40 bytes from a small alphabet, so that long common prefixes are frequent.
    static func keys(count: Int, seed: UInt64) -> [SectionKey] {
        var random = TestRandom(seed: seed)  // SplitMix64: a failure replays
        return (0..<count).map { _ in
            let length = Int.random(in: 0...40, using: &random)
            return SectionKey((0..<length).map { _ in UInt8.random(in: 0...2, using: &random) * 0x7F })
        }
    }

    @Test func orderIsByteOrder() {
        let keys = Self.keys(count: 300, seed: 7)
        for left in keys {
            for right in keys.prefix(60) {
                #expect((left < right) == left.bytes.lexicographicallyPrecedes(right.bytes), "\(left) < \(right)")
            }
        }
        #expect(SectionKey([1, 2, 3, 4, 5, 6, 7, 8, 0]) > SectionKey([1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(SectionKey([1, 2, 3, 4, 5, 6, 7, 0xFF]) > SectionKey([1, 2, 3, 4, 5, 6, 7, 8, 9]))
        #expect(!(SectionKey([]) < SectionKey([])))
    }

    /// The snapshot's sort by eight-byte words, with ties (long common prefixes, zero bytes
    /// against padding) broken by the full keys.
    @Test func theSnapshotOrderIsTheKeyOrder() {
        var sections: [SectionKey: Section] = [:]
        for key in Self.keys(count: 2000, seed: 5) + [SectionKey([]), SectionKey([0]), SectionKey([0, 0])] {
            sections[key] = Section(key: key, bytes: key.bytes)
        }
        let ordered = SnapshotWriter.inKeyOrder(sections)
        #expect(ordered.map(\.key) == sections.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        #expect(ordered.allSatisfy { $0.section.bytes == $0.key.bytes })
    }

    @Test func equalKeysHashAlikeAndFindTheirValue() {
        let keys = Self.keys(count: 500, seed: 11)
        var table: [SectionKey: Int] = [:]
        for (index, key) in keys.enumerated() { table[key] = index }
        for key in keys {
            #expect(key.hashValue == SectionKey(key.bytes).hashValue)
            #expect(keys[table[key]!] == key)
        }
    }

    /// Keys of up to 16 bytes are kept inline, longer ones in an array: every way of making a
    /// key gives the same bytes, count, equality and hash, around the boundary too.
    @Test func inlineAndArrayKeysAgreeWithTheirBytes() {
        var random = TestRandom(seed: 29)
        var all: [[UInt8]] = []
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 24, 255, 256] {
            for _ in 0..<4 { all.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }) }
            all.append([UInt8](repeating: 0, count: length))
        }
        var table: [SectionKey: [UInt8]] = [:]
        for bytes in all {
            let key = SectionKey(bytes)
            #expect(key.bytes == bytes && key.count == bytes.count)
            #expect(key.withUnsafeBytes { [UInt8]($0) } == bytes)
            let raw = bytes.withUnsafeBytes { SectionKey($0) }
            #expect(raw == key && raw.hashValue == key.hashValue)
            var changed = SectionKey("x")
            changed.bytes = bytes
            #expect(changed == key)
            table[key] = bytes
        }
        for bytes in all { #expect(table[SectionKey(bytes)] == bytes) }
        // A shorter key padded with zeros is still another key.
        #expect(SectionKey([1]) != SectionKey([1, 0]) && SectionKey([]) != SectionKey([0]))
        #expect(SectionKey([UInt8](repeating: 0, count: 16)) != SectionKey([UInt8](repeating: 0, count: 17)))
        for left in all {
            for right in all {
                #expect((SectionKey(left) < SectionKey(right)) == left.lexicographicallyPrecedes(right))
                #expect((SectionKey(left) == SectionKey(right)) == (left == right))
            }
        }
    }
}
