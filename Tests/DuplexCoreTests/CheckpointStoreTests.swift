import Testing

@testable import DuplexCore

@Suite struct CheckpointStoreTests {
    @Test func writeReadOverwriteDeleteRemove() throws {
        var store = CheckpointStore()
        let created = try store.create("calls", limits: CheckpointSamples.small)
        #expect(created.sequence == 1 && store.sequence == 1)
        try store.write("calls", "a", [1, 2, 3])
        #expect(try store.read("calls", "a") == [1, 2, 3])
        try store.write("calls", "a", [4])
        #expect(try store.read("calls", "a") == [4])
        #expect(store.checkpoint("calls")?.size == 2)
        try store.delete("calls", "a")
        #expect(try store.read("calls", "a") == nil)
        #expect(store.checkpoint("calls")?.sectionCount == 0)
        #expect(store.checkpoint("calls")?.checksum == 0)
        try store.remove("calls")
        #expect(store.checkpoint("calls") == nil)
        #expect(store.sequence == 5 && store.size == 0)
        #expect(throws: CheckpointError(.noSuchCheckpoint, checkpoint: "calls")) { try store.read("calls", "a") }
    }

    @Test func sequenceAndChecksumFollowEveryUpdate() throws {
        var store = CheckpointSamples.store()
        let checkpoint = store.checkpoint("calls")!
        #expect(checkpoint.sequence == 4)
        #expect(store.checkpoint("counters")!.sequence == 5)
        let before = checkpoint.checksum
        let update = try store.write("calls", "c", [3])
        #expect(update.sequence == 6)
        #expect(update.checksum == store.checkpoint("calls")!.checksum)
        #expect(update.checksum != before)
        try store.verify()
    }

    @Test func iterationIsInKeyOrder() throws {
        var store = CheckpointStore()
        try store.create("c", limits: .maximal)
        var random = CheckpointRandom(seed: 7)
        var keys: [SectionKey] = []
        for _ in 0..<50 {
            let key = SectionKey(random.bytes(1 + random.below(6)))
            keys.append(key)
            try store.write("c", key, random.bytes(random.below(20)))
        }
        let listed = try store.sections(of: "c").map(\.key)
        #expect(listed == Array(Set(keys)).sorted())
        #expect(store.checkpoint("c")!.keys == listed)
        #expect(store.names == ["c"])
    }

    @Test func sameContentSameChecksumWhateverTheOrder() throws {
        var one = CheckpointStore()
        var two = CheckpointStore()
        try one.create("c", limits: .maximal)
        try two.create("c", limits: .maximal)
        try one.write("c", "a", [1])
        try one.write("c", "b", [2])
        try two.write("c", "b", [9])
        try two.write("c", "a", [1])
        try two.write("c", "b", [2])
        #expect(one.checkpoint("c")!.checksum == two.checkpoint("c")!.checksum)
        #expect(one.checksum == two.checksum)
        #expect(one != two, "the sequences differ")
    }

    @Test func batchAppliesAllOrNothing() throws {
        var store = CheckpointSamples.store()
        let update = CheckpointUpdate(
            checkpoint: "calls", operations: [.write("a", [9]), .delete("b"), .write("c", [3]), .write("a", [8])])
        let committed = try store.commit(update)
        #expect(committed.sequence == 6)
        #expect(try store.sections(of: "calls").map(\.key) == ["a", "c"])
        #expect(try store.read("calls", "a") == [8])
        let before = store
        let failing = CheckpointUpdate(
            checkpoint: "calls", operations: [.write("d", [4]), .delete("a"), .delete("zz")])
        #expect(throws: CheckpointError(.noSuchSection, checkpoint: "calls", key: "zz")) { try store.commit(failing) }
        #expect(store == before)
        #expect(CheckpointSamples.bytes(of: store) == CheckpointSamples.bytes(of: before))
    }

    @Test func createWithContentInOneUpdate() throws {
        var store = CheckpointStore()
        try store.commit(
            CheckpointUpdate(checkpoint: "n", operations: [.create(CheckpointSamples.small), .write("k", [1])]))
        #expect(try store.read("n", "k") == [1])
        #expect(store.sequence == 1)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var update: CheckpointUpdate
        var code: CheckpointError.Code
        var testDescription: String { name }
    }

    static let key257 = SectionKey(Array(repeating: 1, count: Limits.sectionKeySizeMax + 1))
    static let refusals: [Refusal] = [
        Refusal(name: "empty name", update: .init(checkpoint: "", operations: [.remove]), code: .invalidName),
        Refusal(name: "long name", update: .init(checkpoint: String(repeating: "n", count: 65), operations: [.remove]), code: .invalidName),
        Refusal(name: "no operation", update: .init(checkpoint: "calls", operations: []), code: .tooManyOperations),
        Refusal(name: "too many operations", update: .init(checkpoint: "calls", operations: Array(repeating: .write("a", []), count: 65)), code: .tooManyOperations),
        Refusal(name: "create not first", update: .init(checkpoint: "x", operations: [.write("a", []), .create(CheckpointSamples.small)]), code: .malformedUpdate),
        Refusal(name: "remove not alone", update: .init(checkpoint: "calls", operations: [.remove, .write("a", [])]), code: .malformedUpdate),
        Refusal(name: "create existing", update: .init(checkpoint: "calls", operations: [.create(CheckpointSamples.small)]), code: .checkpointExists),
        Refusal(name: "zero limit", update: .init(checkpoint: "x", operations: [.create(CheckpointLimits(sizeMax: 0, sectionsMax: 1, sectionSizeMax: 1))]), code: .invalidLimits),
        Refusal(name: "limit above bound", update: .init(checkpoint: "x", operations: [.create(CheckpointLimits(sizeMax: 1, sectionsMax: Limits.sectionsMax + 1, sectionSizeMax: 1))]), code: .invalidLimits),
        Refusal(name: "missing checkpoint", update: .init(checkpoint: "nope", operations: [.write("a", [])]), code: .noSuchCheckpoint),
        Refusal(name: "remove missing", update: .init(checkpoint: "nope", operations: [.remove]), code: .noSuchCheckpoint),
        Refusal(name: "key too large", update: .init(checkpoint: "calls", operations: [.write(key257, [])]), code: .keyTooLarge),
        Refusal(name: "section too large", update: .init(checkpoint: "calls", operations: [.write("a", Array(repeating: 0, count: 257))]), code: .sectionTooLarge),
        Refusal(name: "too many sections", update: .init(checkpoint: "calls", operations: [.write("c", []), .write("d", []), .write("e", [])]), code: .tooManySections),
        Refusal(name: "checkpoint too large", update: .init(checkpoint: "calls", operations: (0..<4).map { .write(SectionKey([UInt8($0)]), Array(repeating: 0, count: 250)) } + [.write("b", Array(repeating: 0, count: 100))]), code: .checkpointTooLarge),
        Refusal(name: "delete missing", update: .init(checkpoint: "calls", operations: [.delete("zz")]), code: .noSuchSection),
        Refusal(name: "delete twice", update: .init(checkpoint: "calls", operations: [.delete("a"), .delete("a")]), code: .noSuchSection),
        Refusal(name: "update too large", update: .init(checkpoint: "counters", operations: (0..<2).map { .write(SectionKey([UInt8($0)]), Array(repeating: 0, count: 30_000)) }), code: .updateTooLarge),
    ]

    @Test(arguments: refusals)
    func overLimitWritesAreRefusedAndChangeNothing(_ refusal: Refusal) {
        var store = CheckpointSamples.store()
        let before = store
        let beforeBytes = CheckpointSamples.bytes(of: store)
        var thrown: CheckpointError?
        do {
            try store.commit(refusal.update)
        } catch {
            thrown = error
        }
        #expect(thrown?.code == refusal.code, "\(String(describing: thrown))")
        #expect(thrown?.checkpoint == refusal.update.checkpoint)
        #expect(store == before)
        #expect(CheckpointSamples.bytes(of: store) == beforeBytes)
        #expect((try? store.validate(refusal.update)) == nil, "validate agrees with commit")
    }

    @Test func errorsCarryTheLimitAndTheValue() {
        var store = CheckpointSamples.store()
        #expect(
            throws: CheckpointError(.sectionTooLarge, checkpoint: "calls", key: "a", value: 300, limit: 256)
        ) { try store.write("calls", "a", Array(repeating: 0, count: 300)) }
        let error = CheckpointError(.tooManySections, checkpoint: "calls", value: 5, limit: 4)
        #expect(error.description == "checkpoint \"calls\": too many sections: 5, limit 4")
    }

    @Test func tooManyCheckpointsIsRefused() throws {
        var store = CheckpointStore()
        let tiny = CheckpointLimits(sizeMax: 1, sectionsMax: 1, sectionSizeMax: 1)
        for index in 0..<Limits.checkpointsMax {
            try store.create("c\(index)", limits: tiny)
        }
        let before = store
        #expect(throws: CheckpointError(.tooManyCheckpoints, checkpoint: "one more", value: 257, limit: 256)) {
            try store.create("one more", limits: tiny)
        }
        #expect(store == before)
    }

    @Test func replayTakesOnlyTheNextUpdateWithTheSameChecksum() throws {
        var active = CheckpointStore()
        var replica = CheckpointStore()
        let updates = [
            try active.create("c", limits: .maximal), try active.write("c", "a", [1]),
            try active.write("c", "b", [2]), try active.delete("c", "a"),
        ]
        #expect(throws: CheckpointError(.outOfOrder, checkpoint: "c", value: 2, limit: 1)) {
            try replica.replay(updates[1])
        }
        try replica.replay(updates[0])
        var forged = updates[1]
        forged.checksum &+= 1
        let before = replica
        #expect(throws: CheckpointError.self) { try replica.replay(forged) }
        #expect(replica == before)
        for update in updates.dropFirst() { try replica.replay(update) }
        #expect(replica == active)
    }

    @Test func readRefusesBytesThatNoLongerMatchTheirChecksum() throws {
        var store = CheckpointSamples.store()
        let section = store.checkpoints["calls"]!.sections["b"]!
        var corrupted = section.bytes
        corrupted[0] ^= 0x10
        store.checkpoints["calls"]!.sections["b"] = Section(key: "b", bytes: corrupted, checksum: section.checksum)
        #expect(throws: CheckpointError.self) { try store.read("calls", "b") }
        #expect(throws: CheckpointError.self) { try store.sections(of: "calls") }
        #expect(throws: CheckpointError.self) { try store.verify() }
        #expect(try store.read("calls", "a") == [1], "other sections stay readable")
    }

    @Test func sectionKeysPrintAsTextOrHex() {
        #expect(SectionKey("abc").description == "abc")
        #expect(SectionKey([0, 0xFF]).description == "0x00ff")
        #expect(SectionKey([1]) < SectionKey([1, 0]))
        #expect(SectionKey([2]) > SectionKey([1, 9]))
    }
}
