import Testing

@testable import DuplexCore

/// `keysChangedAt`, what a cached key order is checked against.
@Suite struct CheckpointKeyOrderTests {
    @Test func onlyAddedOrRemovedKeysMoveTheStamp() throws {
        var store = CheckpointStore()
        try store.create("calls", limits: .maximal)
        #expect(store.checkpoint("calls")!.keysChangedAt == 1, "created at sequence 1")
        try store.write("calls", "a", [1])
        #expect(store.checkpoint("calls")!.keysChangedAt == 2, "a key added")
        try store.write("calls", "a", [2])
        try store.write("calls", "a", [3, 4])
        #expect(store.checkpoint("calls")!.keysChangedAt == 2, "overwrites keep the key set")
        try store.delete("calls", "a")
        #expect(store.checkpoint("calls")!.keysChangedAt == 5, "a key removed")
        try store.commit(CheckpointUpdate(checkpoint: "calls", operations: [.write("b", [1]), .write("c", [2])]))
        #expect(store.checkpoint("calls")!.keysChangedAt == 6)
        try store.remove("calls")
        try store.create("calls", limits: .maximal)
        #expect(store.checkpoint("calls")!.keysChangedAt == 8, "a new checkpoint of the same name: a new stamp")
    }

    @Test func theStampIsNotContent() throws {
        var first = CheckpointStore()
        try first.create("calls", limits: .maximal)
        try first.write("calls", "a", [1])
        try first.write("calls", "b", [2])
        try first.write("calls", "a", [3])
        try first.write("calls", "b", [2])
        var second = CheckpointStore()
        try second.create("calls", limits: .maximal)
        try second.write("calls", "b", [2])
        try second.write("calls", "a", [3])
        try second.delete("calls", "b")
        try second.write("calls", "b", [2])
        #expect(first.checkpoint("calls")!.keysChangedAt != second.checkpoint("calls")!.keysChangedAt)
        #expect(first.checkpoint("calls") == second.checkpoint("calls"))
        #expect(first.checkpoint("calls")!.hashValue == second.checkpoint("calls")!.hashValue)
    }
}
