@testable import DuplexCore

/// Shared helpers of the checkpoint tests.
enum CheckpointSamples {
    static let small = CheckpointLimits(sizeMax: 1024, sectionsMax: 4, sectionSizeMax: 256)

    /// A store with two checkpoints and a few sections.
    static func store() -> CheckpointStore {
        var store = CheckpointStore()
        try! store.create("calls", limits: small)
        try! store.create("counters", limits: .maximal)
        try! store.write("calls", "b", [2, 2])
        try! store.write("calls", "a", [1])
        try! store.write("counters", "x", Array(repeating: 7, count: 100))
        return store
    }

    /// Every byte of a store, as a snapshot lays it out: equal bytes, equal stores.
    static func bytes(of store: CheckpointStore) -> [UInt8] {
        var writer = SnapshotWriter(snapshot: 1, store: store)
        var bytes: [UInt8] = []
        while let chunk = writer.nextChunk() { bytes += chunk.bytes }
        return bytes
    }

    /// Every update kind, with awkward sizes.
    static let updates: [CheckpointUpdate] = [
        CheckpointUpdate(checkpoint: "c", operations: [.create(small)], sequence: 1, checksum: 0),
        CheckpointUpdate(checkpoint: "c", operations: [.remove], sequence: 9, checksum: 0),
        CheckpointUpdate(
            checkpoint: "sessions/é", operations: [.write("k", [1, 2, 3]), .delete("old"), .write("", [])],
            sequence: 0x0102_0304_0506_0708, checksum: 0xDEAD_BEEF),
        CheckpointUpdate(
            checkpoint: "big", operations: [.write(SectionKey(Array(repeating: 0xFF, count: 256)), Array(repeating: 9, count: 32 * 1024))],
            sequence: 3, checksum: 4),
    ]
}

/// The tests' own SplitMix64 for the checkpoint tests' random inputs.
struct CheckpointRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
