import DuplexCore
import DuplexLinux
import Foundation
import Testing

@Suite struct CheckpointJournalTests {
    static let persistent = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 2048, sectionSizeMax: 1024, persistent: true)

    /// A fresh directory under the temporary directory, removed by the caller.
    static func directory() -> String {
        let path = NSTemporaryDirectory() + "duplex-journal-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)  // cleanup only: a leftover temporary directory is harmless
    }

    /// Commits an update to the store and records it in the journal, as the service does.
    static func commit(_ update: CheckpointUpdate, _ store: inout CheckpointStore, _ journal: CheckpointJournal) throws {
        let stamped = try store.commit(update)
        try journal.record(stamped, in: store)
    }

    static func write(_ store: inout CheckpointStore, _ journal: CheckpointJournal, count: Int, from start: Int = 0) throws {
        for index in start..<(start + count) {
            let key = SectionKey(Array("k\(index % 250)".utf8))
            try commit(CheckpointUpdate(checkpoint: "p", operations: [.write(key, Array(repeating: UInt8(truncatingIfNeeded: index), count: 40))]), &store, journal)
            try commit(CheckpointUpdate(checkpoint: "plain", operations: [.write("x", [UInt8(truncatingIfNeeded: index)])]), &store, journal)
            if index % 100 == 99 { try journal.sync() }
        }
        try journal.sync()
    }

    /// A store with a persistent checkpoint "p" of `count` writes and a plain one, journalled.
    static func populate(_ path: String, count: Int, compaction: Int = 4 << 20) throws -> CheckpointStore {
        let journal = try CheckpointJournal(directory: path, compactionSizeMin: compaction)
        var store = CheckpointStore()
        try commit(CheckpointUpdate(checkpoint: "p", operations: [.create(persistent)]), &store, journal)
        try commit(CheckpointUpdate(checkpoint: "plain", operations: [.create(.maximal)]), &store, journal)
        try write(&store, journal, count: count)
        return store
    }

    @Test func roundTripOfAThousandUpdates() throws {
        let path = Self.directory()
        defer { Self.remove(path) }
        let store = try Self.populate(path, count: 1000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["p.journal"])
        let loaded = try CheckpointJournal(directory: path).load()
        #expect(loaded.findings.isEmpty)
        #expect(loaded.checkpoints == 1 && loaded.records == 1001)
        #expect(loaded.store.checkpoint("p") == store.checkpoint("p"))
        #expect(loaded.store.checkpoint("plain") == nil)
        #expect(loaded.store.sequence == store.checkpoint("p")!.sequence)
    }

    @Test func appendsGoOnAfterALoadAndCompactionKeepsTheContent() throws {
        let path = Self.directory()
        defer { Self.remove(path) }
        _ = try Self.populate(path, count: 300, compaction: 16 * 1024)
        let journal = try CheckpointJournal(directory: path, compactionSizeMin: 16 * 1024)
        var store = try journal.load().store
        try store.restore(Self.plainCheckpoint())
        try Self.write(&store, journal, count: 500, from: 300)
        let size = try FileManager.default.attributesOfItem(atPath: path + "/p.journal")[.size] as! Int
        #expect(size < 3 * 16 * 1024 + 250 * 60)  // compacted: not one record per write
        let loaded = try CheckpointJournal(directory: path).load()
        #expect(loaded.findings.isEmpty)
        #expect(loaded.store.checkpoint("p") == store.checkpoint("p"))
    }

    @Test func tornTailIsCutOffAndTheRestLoads() throws {
        let path = Self.directory()
        defer { Self.remove(path) }
        var store = try Self.populate(path, count: 10)
        let before = store.checkpoint("p")
        let journal = try CheckpointJournal(directory: path)
        store = try journal.load().store
        try store.restore(Self.plainCheckpoint())
        try Self.write(&store, journal, count: 1, from: 10)
        let file = path + "/p.journal"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.dropLast(5).write(to: URL(fileURLWithPath: file))
        let loaded = try CheckpointJournal(directory: path).load()
        #expect(loaded.findings.count == 1)
        #expect(loaded.findings.first?.refused == false)
        #expect(loaded.findings.first?.message.contains("record 12") == true)
        #expect(loaded.store.checkpoint("p") == before)
        // Cut off on disk: the next load finds nothing wrong.
        let again = try CheckpointJournal(directory: path).load()
        #expect(again.findings.isEmpty && again.store.checkpoint("p") == before)
    }

    @Test func flippedByteInTheMiddleIsReportedAndNotLoaded() throws {
        let path = Self.directory()
        defer { Self.remove(path) }
        _ = try Self.populate(path, count: 50)
        let file = path + "/p.journal"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: file))
        let loaded = try CheckpointJournal(directory: path).load()
        #expect(loaded.checkpoints == 0 && loaded.store.count == 0)
        #expect(loaded.findings.count == 1)
        let finding = try #require(loaded.findings.first)
        #expect(finding.refused && finding.file == "p.journal")
        #expect(finding.message.contains("record ") && finding.message.contains("offset "))
        #expect(FileManager.default.fileExists(atPath: file + ".corrupt"))
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test func outOfOrderRecordIsReportedAndNotLoaded() throws {
        let path = Self.directory()
        defer { Self.remove(path) }
        var store = CheckpointStore()
        var updates = [try store.create("p", limits: Self.persistent)]
        for index in 0..<5 { updates.append(try store.write("p", "k", [UInt8(index)])) }
        var bytes = CheckpointJournalFormat.fileHeader
        for (index, update) in updates.enumerated() {
            bytes += CheckpointJournalFormat.record(update, number: UInt64(index == 2 ? 4 : index + 1))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/p.journal"))
        let loaded = try CheckpointJournal(directory: path).load()
        #expect(loaded.store.count == 0)
        #expect(loaded.findings.first?.message.contains("outOfOrder at record 3") == true)
    }

    @Test func snapshotReplacementRewritesEveryFile() throws {
        let path = Self.directory()
        defer { Self.remove(path) }
        var store = try Self.populate(path, count: 20)
        let journal = try CheckpointJournal(directory: path)
        _ = try journal.load()
        // The replica is replaced by the active's store: "q" persistent, "p" gone.
        var active = CheckpointStore()
        try active.create("q", limits: Self.persistent)
        for index in 0..<300 { try active.write("q", SectionKey(Array("s\(index)".utf8)), [UInt8(index & 0xFF)]) }
        try active.create("plain", limits: .maximal)
        try journal.replaceAll(from: active)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["q.journal"])
        store = active
        try Self.commit(CheckpointUpdate(checkpoint: "q", operations: [.write("s1", [9])]), &store, journal)
        try journal.sync()
        let loaded = try CheckpointJournal(directory: path).load()
        #expect(loaded.findings.isEmpty)
        #expect(loaded.store.checkpoint("q") == store.checkpoint("q"))
        // Removing the checkpoint removes its journal.
        try Self.commit(CheckpointUpdate(checkpoint: "q", operations: [.remove]), &store, journal)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
    }

    static func plainCheckpoint() -> Checkpoint {
        var scratch = CheckpointStore()
        try! scratch.create("plain", limits: .maximal)
        return scratch.checkpoint("plain")!
    }
}
