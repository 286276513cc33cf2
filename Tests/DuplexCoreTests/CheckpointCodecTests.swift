import Testing

@testable import DuplexCore

@Suite struct CheckpointCodecTests {
    static let messages: [ReplicationMessage] = [
        ReplicationMessage(epoch: 3, .update(CheckpointSamples.updates[2], ackNow: true)),
        ReplicationMessage(epoch: 3, .update(CheckpointSamples.updates[3], ackNow: false)),
        ReplicationMessage(
            epoch: 4,
            .ack(ReplicationAck(snapshot: 1 << 32 | 5, received: 90, applied: 80, chunks: 7, installed: true, hot: false))),
        ReplicationMessage(
            epoch: 4,
            .ack(ReplicationAck(snapshot: 9, received: 90, applied: 0, chunks: 7, installed: false, hot: false, gap: true))),
        ReplicationMessage(epoch: 4, .nack(snapshot: 6, from: 10, through: 12)),
        ReplicationMessage(epoch: 0, .snapshotRequest(snapshot: 6, replicaSequence: 44)),
        ReplicationMessage(
            epoch: 5, .snapshotChunk(SnapshotChunk(snapshot: 6, index: 2, total: 3, bytes: Array(repeating: 0xAB, count: 8192)))),
        ReplicationMessage(epoch: 5, .snapshotChunk(SnapshotChunk(snapshot: 6, index: 0, total: 1, bytes: []))),
        ReplicationMessage(
            epoch: 5,
            .snapshotDone(
                SnapshotSummary(snapshot: 6, cutover: 100, checkpoints: 2, sections: 30, bytes: 4000, checksum: 77, chunks: 3))),
    ]

    @Test(arguments: CheckpointSamples.updates.indices)
    func updateRoundTrip(_ index: Int) throws {
        let update = CheckpointSamples.updates[index]
        let bytes = update.encoded()
        #expect(bytes.count == update.encodedSize)
        #expect(try CheckpointUpdate(decoding: bytes) == update)
    }

    @Test(arguments: messages.indices)
    func messageRoundTrip(_ index: Int) throws {
        let message = Self.messages[index]
        let bytes = message.encoded()
        #expect(bytes.count == message.encodedSize)
        #expect(bytes.count <= Limits.replicationMessageSizeMax)
        #expect(try ReplicationMessage(decoding: bytes) == message)
        let length = bytes.withUnsafeBytes { ReplicationMessage.length(prefix: UnsafeRawBufferPointer(rebasing: $0[0..<8])) }
        #expect(length == bytes.count)
    }

    /// A chunk's head, its records and the trailer are exactly its encoded message (what a
    /// transport sends without copying the records); other messages have no head.
    @Test(arguments: messages.indices)
    func chunkHeadRecordsAndTrailerAreTheMessage(_ index: Int) {
        let message = Self.messages[index]
        var head = [UInt8](repeating: 0, count: Limits.replicationMessageSizeMax)
        let headSize = head.withUnsafeMutableBytes { message.encodeChunkHead(into: $0) }
        guard case .snapshotChunk(let chunk) = message.body else {
            #expect(headSize == nil)
            return
        }
        guard let headSize else {
            Issue.record("a chunk has a head")
            return
        }
        head.removeSubrange(headSize...)
        let trailer = head.withUnsafeBytes { head in
            chunk.bytes.withUnsafeBytes { ReplicationMessage.chunkTrailer(head: head, records: $0) }
        }
        let pieced = head + chunk.bytes + withUnsafeBytes(of: trailer.bigEndian) { [UInt8]($0) }
        #expect(pieced == message.encoded())
    }

    @Test func updateLayoutIsBigEndian() {
        let bytes = CheckpointSamples.updates[0].encoded()
        #expect(Array(bytes[0..<4]) == [0x43, 0x55, 1, 0])  // "CU", version 1, reserved
        #expect(Array(bytes[4..<8]) == [0, 0, 0, UInt8(bytes.count)])
        #expect(Array(bytes[8..<16]) == [0, 0, 0, 0, 0, 0, 0, 1])  // sequence
        #expect(bytes[20] == 1 && bytes[21] == UInt8(ascii: "c"))  // name
    }

    func decodeUpdate(_ bytes: [UInt8]) -> ReplicationDecodeError? {
        do {
            _ = try CheckpointUpdate(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    func decodeMessage(_ bytes: [UInt8]) -> ReplicationDecodeError? {
        do {
            _ = try ReplicationMessage(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    /// Re-stamps the CRC after a change, to reach the checks behind it.
    func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let crc = CRC32C.checksum(Array(bytes.dropLast(4)))
        bytes.replaceSubrange((bytes.count - 4)..., with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
        return bytes
    }

    @Test func updateRejectsEachKindOfDamage() {
        let good = CheckpointSamples.updates[2].encoded()
        #expect(decodeUpdate(Array(good.prefix(10))) == .truncated)
        var bad = good
        bad[0] = 0
        #expect(decodeUpdate(bad) == .badMagic)
        bad = good
        bad[2] = 2
        #expect(decodeUpdate(bad) == .unsupportedVersion)
        bad = good
        bad[3] = 1
        #expect(decodeUpdate(bad) == .malformed)
        #expect(decodeUpdate(good + [0]) == .badLength)
        bad = good
        bad[12] ^= 1
        #expect(decodeUpdate(bad) == .badChecksum)
        // Behind a valid CRC: an unknown operation, an empty name, a key over its limit.
        let nameEnd = 21 + Int(good[20])
        bad = good
        bad[nameEnd + 2] = 9
        #expect(decodeUpdate(resealed(bad)) == .unknownOperation)
        bad = good
        bad[20] = 0
        #expect(decodeUpdate(resealed(bad)) == .invalidName)
        bad = good
        bad[nameEnd + 3] = 0xFF
        #expect(decodeUpdate(resealed(bad)) == .overLimit)
        #expect(decodeUpdate([UInt8](repeating: 0, count: Limits.checkpointUpdateSizeMax + 1)) == .tooLarge)
    }

    @Test func messageRejectsEachKindOfDamage() {
        let good = Self.messages[3].encoded()
        #expect(decodeMessage(Array(good.prefix(19))) == .truncated)
        var bad = good
        bad[1] = 0
        #expect(decodeMessage(bad) == .badMagic)
        bad = good
        bad[2] = 9
        #expect(decodeMessage(bad) == .unsupportedVersion)
        bad = good
        bad[3] = 99
        #expect(decodeMessage(resealed(bad)) == .unknownKind)
        bad = good
        bad[20] ^= 0x80
        #expect(decodeMessage(bad) == .badChecksum)
        // A nack whose range is backwards.
        let backwards = ReplicationMessage(epoch: 1, .nack(snapshot: 1, from: 5, through: 4))
        #expect(decodeMessage(backwards.encoded()) == .malformed)
        #expect(decodeMessage(good + [0]) == .badLength)
        #expect(decodeMessage([UInt8](repeating: 0, count: Limits.replicationMessageSizeMax + 1)) == .tooLarge)
    }

    @Test func truncationAtEveryLengthIsRefused() {
        for message in Self.messages {
            let bytes = message.encoded()
            for length in 0..<bytes.count {
                #expect(decodeMessage(Array(bytes.prefix(length))) != nil, "\(message.kind) cut at \(length)")
            }
        }
        for update in CheckpointSamples.updates.prefix(3) {
            let bytes = update.encoded()
            for length in 0..<bytes.count {
                #expect(decodeUpdate(Array(bytes.prefix(length))) != nil)
            }
        }
    }

    @Test func everySingleBitFlipIsCaught() {
        for message in Self.messages where message.encodedSize < 1024 {
            let bytes = message.encoded()
            for bit in 0..<(bytes.count * 8) {
                var flipped = bytes
                flipped[bit / 8] ^= 1 << UInt8(bit % 8)
                #expect(decodeMessage(flipped) != nil, "\(message.kind) bit \(bit)")
            }
        }
    }

    @Test(arguments: 0..<4 as Range<UInt64>)
    func seededGarbageNeverTraps(_ seed: UInt64) {
        var random = CheckpointRandom(seed: seed)
        var accepted = 0
        for _ in 0..<2_000 {
            var bytes = random.bytes(random.below(200))
            // Half of the inputs get a plausible header, so that the checks behind it run.
            if random.below(2) == 0, bytes.count >= 16 {
                bytes[0] = 0x44
                bytes[1] = 0x52
                bytes[2] = 1
                bytes[3] = UInt8(1 + random.below(6))
                bytes.replaceSubrange(4..<8, with: [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)])
                if random.below(2) == 0 { bytes = resealed(bytes) }
            }
            if decodeMessage(bytes) == nil { accepted += 1 }
            _ = decodeUpdate(bytes)
            var assembler = SnapshotAssembler(snapshot: 1, epoch: 1)
            _ = try? assembler.accept(SnapshotChunk(snapshot: 1, index: 0, total: 1, bytes: bytes))  // only must not trap
        }
        #expect(accepted < 100, "garbage is almost never a message")
    }

    @Test func anUpdateAtTheSizeBoundIsAcceptedAndOneByteMoreIsNot() throws {
        var store = CheckpointStore()
        try store.create("c", limits: .maximal)
        let base = CheckpointUpdate(checkpoint: "c", operations: [.write("k", []), .write("l", [])])
        let room = Limits.checkpointUpdateSizeMax - base.encodedSize
        let first = min(room, Limits.sectionSizeMax)
        let fits = CheckpointUpdate(
            checkpoint: "c",
            operations: [.write("k", Array(repeating: 1, count: first)), .write("l", Array(repeating: 2, count: room - first))])
        #expect(fits.encodedSize == Limits.checkpointUpdateSizeMax)
        let committed = try store.commit(fits)
        #expect(try CheckpointUpdate(decoding: committed.encoded()) == committed)
        let message = ReplicationMessage(epoch: 1, .update(committed, ackNow: false))
        #expect(try ReplicationMessage(decoding: message.encoded()) == message)
        var over = fits
        over.operations[1] = .write("l", Array(repeating: 2, count: room - first + 1))
        #expect(throws: CheckpointError.self) { try store.commit(over) }
    }
}
