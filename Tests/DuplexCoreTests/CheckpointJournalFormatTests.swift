import Testing

@testable import DuplexCore

@Suite struct CheckpointJournalFormatTests {
    static let persistent = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 2048, sectionSizeMax: 1024, persistent: true)

    /// A file of the header and one record per update.
    static func file(_ updates: [CheckpointUpdate]) -> [UInt8] {
        var bytes = CheckpointJournalFormat.fileHeader
        for (index, update) in updates.enumerated() {
            bytes += CheckpointJournalFormat.record(update, number: UInt64(index + 1))
        }
        return bytes
    }

    /// A store with a persistent checkpoint "p" (and another one in between) and the
    /// updates of "p" as the store stamped them.
    static func history(writes: Int) throws -> (CheckpointStore, [CheckpointUpdate]) {
        var store = CheckpointStore()
        var updates = [try store.create("p", limits: persistent)]
        try store.create("other", limits: CheckpointSamples.small)
        for index in 0..<writes {
            updates.append(try store.write("p", SectionKey(Array("k\(index % 300)".utf8)), Array(repeating: UInt8(truncatingIfNeeded: index), count: index % 50)))
            if index % 7 == 0 { try store.write("other", "x", [UInt8(truncatingIfNeeded: index)]) }
            if index % 11 == 5 { updates.append(try store.delete("p", SectionKey(Array("k\(index % 300)".utf8)))) }
        }
        return (store, updates)
    }

    static func replay(_ bytes: [UInt8], name: String = "p") throws(CheckpointJournalError) -> CheckpointJournalContent {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(CheckpointJournalError) in try CheckpointJournalFormat.replay(buffer, checkpoint: name) }
        }
        return try result.get()
    }

    @Test func persistentFlagTravelsWithTheLimits() throws {
        let update = CheckpointUpdate(checkpoint: "p", operations: [.create(Self.persistent)], sequence: 1)
        #expect(try CheckpointUpdate(decoding: update.encoded()) == update)
        let plain = CheckpointUpdate(checkpoint: "p", operations: [.create(CheckpointSamples.small)], sequence: 1)
        #expect(try CheckpointUpdate(decoding: plain.encoded()) == plain)
        #expect(Self.persistent != Self.persistent.persistent(false))
    }

    @Test func roundTripOfAThousandUpdates() throws {
        let (store, updates) = try Self.history(writes: 1000)
        let content = try Self.replay(Self.file(updates))
        #expect(content.tornTail == nil)
        #expect(content.records == updates.count)
        #expect(content.checkpoint == store.checkpoint("p"))
        #expect(content.checkpoint?.sequence == store.checkpoint("p")?.sequence)
        #expect(content.checkpoint?.limits.persistent == true)
    }

    @Test func imageRebuildsTheSameCheckpoint() throws {
        let (store, _) = try Self.history(writes: 1000)
        let checkpoint = store.checkpoint("p")!
        let image = CheckpointJournalFormat.image(of: checkpoint)
        #expect(image.count >= 2)  // 300 sections: more than one update's operations
        let content = try Self.replay(Self.file(image))
        #expect(content.checkpoint == checkpoint)
        var restored = CheckpointStore()
        try restored.restore(content.checkpoint!)
        #expect(restored.sequence == checkpoint.sequence)
        #expect(try restored.sections(of: "p").count == checkpoint.sectionCount)
    }

    @Test func tornTailIsReportedAndNotReplayed() throws {
        let (_, updates) = try Self.history(writes: 20)
        let whole = Self.file(updates)
        let previous = Self.file(Array(updates.dropLast()))
        for cut in [1, 15, 16, 17, whole.count - previous.count - 1] {
            let content = try Self.replay(Array(whole.dropLast(cut)))
            #expect(content.tornTail?.code == .tornTail)
            #expect(content.tornTail?.record == UInt64(updates.count))
            #expect(content.validSize == previous.count)
            #expect(content.records == updates.count - 1)
        }
        // A creation that never finished: nothing to load, nothing wrong.
        let torn = try Self.replay(Array(Self.file([updates[0]]).dropLast(3)))
        #expect(torn.checkpoint == nil && torn.tornTail != nil)
    }

    @Test func flippedByteInTheMiddleNamesTheRecord() throws {
        let (_, updates) = try Self.history(writes: 20)
        let bytes = Self.file(updates)
        let offset = Self.file(Array(updates.prefix(5))).count
        for position in [offset, offset + 4, offset + 12, offset + 16, offset + 30] {
            var damaged = bytes
            damaged[position] ^= 0x40
            #expect {
                try Self.replay(damaged)
            } throws: { error in
                let error = error as! CheckpointJournalError
                return error.record == 6 && error.offset == offset
                    && (error.code == .corruptRecord || error.code == .outOfOrder)
            }
        }
    }

    @Test func outOfOrderRecordIsRefused() throws {
        let (_, updates) = try Self.history(writes: 10)
        var bytes = CheckpointJournalFormat.fileHeader
        for (index, update) in updates.enumerated() {
            let number = index == 3 ? 5 : index == 4 ? 4 : index + 1
            bytes += CheckpointJournalFormat.record(update, number: UInt64(number))
        }
        #expect(throws: CheckpointJournalError.self) { try Self.replay(bytes) }
        do {
            _ = try Self.replay(bytes)
        } catch {
            #expect(error.code == .outOfOrder && error.record == 4)
        }
        // Records numbered in order whose updates go back in store sequence.
        var swapped = updates
        swapped.swapAt(3, 4)
        #expect(throws: CheckpointJournalError.self) { try Self.replay(Self.file(swapped)) }
    }

    @Test func otherDamageIsRefused() throws {
        let (_, updates) = try Self.history(writes: 5)
        #expect(throws: CheckpointJournalError.self) { try Self.replay([0, 1, 2]) }
        var header = Self.file(updates)
        header[0] ^= 1
        #expect(throws: CheckpointJournalError.self) { try Self.replay(header) }
        #expect(throws: CheckpointJournalError.self) { try Self.replay(Self.file(updates), name: "q") }
        #expect(throws: CheckpointJournalError.self) { try Self.replay(Self.file(Array(updates.dropFirst()))) }
        // A length far past any record: corrupt, not a torn tail.
        var length = Self.file(updates)
        length[CheckpointJournalFormat.fileHeaderSize] = 0x7F
        #expect(throws: CheckpointJournalError.self) { try Self.replay(length) }
    }

    @Test func fileNamesRoundTrip() {
        for name in ["calls", "a/b", "..", "sessions/é", "x%y", "-_.", String(repeating: "z", count: 64)] {
            let file = CheckpointJournalFormat.fileName(for: name)
            #expect(!file.contains("/") && file.hasSuffix(".journal") && !file.hasPrefix("."))
            #expect(CheckpointJournalFormat.checkpointName(fileName: file) == name)
        }
        #expect(CheckpointJournalFormat.checkpointName(fileName: "a%2f.journal") == nil)
        #expect(CheckpointJournalFormat.checkpointName(fileName: "a.journal.tmp") == nil)
        #expect(CheckpointJournalFormat.checkpointName(fileName: ".journal") == nil)
    }
}
