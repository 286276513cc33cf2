/// Body of a replication message of kind `updates` (8), big-endian:
///
/// | size | field |
/// | ---: | --- |
/// | 1 | flags (bit 0: ack now) |
/// | 8 | sequence of the first update (at least 1) |
/// | 2 | update count n (1...`Limits.replicationBatchUpdatesMax`) |
/// | | n entries: UInt32 checksum of the checkpoint after the update; the name as a UInt8 length and UTF-8, length 0 meaning the previous entry's name (not in the first entry); then the operations as in the update record (`CheckpointUpdate+Codec`) |
///
/// Update i has sequence first + i. An entry is the update record less its own magic,
/// version, length, sequence and CRC (the message's header and CRC cover it): 20 bytes less,
/// and the name's bytes less when it repeats.
extension ReplicationMessage {
    /// Bytes of an `updates` message besides its entries: header, flags, first sequence,
    /// count, CRC.
    public static let batchOverhead = headerSize + 1 + 8 + 2 + 4

    /// The bytes `update` takes as an entry of a batch after an entry for `previous`.
    /// - Parameter recordSize: `update.encodedSize`, when the caller knows it.
    public static func batchEntrySize(
        _ update: CheckpointUpdate, after previous: CheckpointUpdate?, recordSize: Int? = nil
    ) -> Int {
        let repeated = previous.map { $0.checkpoint == update.checkpoint } ?? false
        let size = recordSize ?? update.encodedSize
        assert(size == update.encodedSize, "the record's size")
        return batchEntrySize(recordSize: size, name: update.checkpoint, repeated: repeated)
    }

    /// An update's record less its header, and less its checkpoint's name when the entry
    /// before it names the same checkpoint (the batch then writes a 0 instead).
    private static func batchEntrySize(recordSize: Int, name: String, repeated: Bool) -> Int {
        recordSize - CheckpointUpdate.headerSize - (repeated ? name.utf8.count : 0)
    }

    // The batch's updates are read in place, by index: `for update in updates` copies each one
    // (a retain and a release of its name and its operations), a measurable share of the
    // active's checkpoint thread under asynchronous writes.

    static func batchBodySize(_ updates: [CheckpointUpdate]) -> Int {
        var total = 1 + 8 + 2
        for index in updates.indices {
            let repeated = index > 0 && updates[index - 1].checkpoint == updates[index].checkpoint
            total += batchEntrySize(
                recordSize: updates[index].encodedSize, name: updates[index].checkpoint, repeated: repeated)
        }
        return total
    }

    /// - Important: traps for an empty batch, one over `Limits.replicationBatchUpdatesMax`, or
    ///   sequences with a gap (the core never makes one).
    static func encodeBatch(_ updates: [CheckpointUpdate], ackNow: Bool, into writer: inout ByteWriter) {
        precondition(!updates.isEmpty && updates.count <= Limits.replicationBatchUpdatesMax, "a batch within its bound")
        let first = updates[0].sequence
        precondition(first >= 1, "sequences start at 1")
        writer.write(UInt8(ackNow ? 1 : 0))
        writer.write(first)
        writer.write(UInt16(updates.count))
        for offset in updates.indices {
            precondition(updates[offset].sequence == first + UInt64(offset), "consecutive sequences in a batch")
            writer.write(updates[offset].checksum)
            if offset > 0, updates[offset - 1].checkpoint == updates[offset].checkpoint {
                writer.write(UInt8(0))
            } else {
                writer.write(name: updates[offset].checkpoint)
            }
            updates[offset].encodeOperations(into: &writer)
        }
    }

    /// Reads what `encodeBatch` writes. Never traps.
    static func decodeBatch(_ reader: inout ByteReader) throws(ReplicationDecodeError) -> Body {
        let flags = try reader.field(UInt8.self)
        let first = try reader.field(UInt64.self)
        let count = Int(try reader.field(UInt16.self))
        guard flags & ~1 == 0, first >= 1 else { throw .malformed }
        guard count >= 1, count <= Limits.replicationBatchUpdatesMax else { throw .overLimit }
        guard first <= UInt64.max - UInt64(count) else { throw .malformed }
        var updates: [CheckpointUpdate] = []
        updates.reserveCapacity(count)
        var name = ""
        for offset in 0..<count {
            let checksum = try reader.field(UInt32.self)
            if reader.remaining > 0, reader.buffer[reader.offset] == 0 {
                guard offset > 0 else { throw .invalidName }
                _ = try reader.field(UInt8.self)
            } else {
                name = try reader.checkpointName()
            }
            let operations = try CheckpointUpdate.decodeOperations(&reader)
            let update = CheckpointUpdate(
                checkpoint: name, operations: operations, sequence: first + UInt64(offset), checksum: checksum)
            // Each update must fit its own record (the journal and the backlog keep records).
            guard update.encodedSize <= Limits.checkpointUpdateSizeMax else { throw .tooLarge }
            updates.append(update)
        }
        return .updates(updates, ackNow: flags == 1)
    }
}
