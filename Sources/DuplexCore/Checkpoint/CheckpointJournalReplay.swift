/// What a journal file held: the checkpoint rebuilt from its records (see
/// `CheckpointJournalFormat`), and whether its last record was torn.
public struct CheckpointJournalContent: Sendable, Hashable {
    /// The checkpoint, or nil when the file held no whole record (its creation was torn).
    public var checkpoint: Checkpoint?
    /// Whole records replayed.
    public var records: Int
    /// Bytes of the header and the whole records: the size to truncate a torn file to.
    public var validSize: Int
    /// The last record was incomplete (the file ends inside it): it was not replayed, and the
    /// file should be truncated to `validSize`.
    public var tornTail: CheckpointJournalError?
}

/// Why a journal file is not loaded (or, for `tornTail`, what was cut from its end).
public struct CheckpointJournalError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The file header is missing or not ours.
        case badHeader
        /// The last record ends past the end of the file (a write cut short).
        case tornTail
        /// A record's length is out of bounds or its CRC-32C does not match.
        case corruptRecord
        /// A record's sequence is not one more than the previous one's.
        case outOfOrder
        /// The update inside a record does not decode, names another checkpoint, goes back in
        /// store sequence, or does not apply (limit, checksum, missing creation).
        case badUpdate
    }

    public var code: Code
    /// The record's number in the file, from 1 (0: the header).
    public var record: UInt64
    /// The record's byte offset in the file.
    public var offset: Int
    public var detail: String

    public init(_ code: Code, record: UInt64, offset: Int, detail: String) {
        self.code = code
        self.record = record
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        "\(code) at record \(record) (offset \(offset)): \(detail)"
    }
}

extension CheckpointJournalFormat {
    /// Replays a journal file's bytes in order. A torn last record is reported in the result
    /// (and not replayed); any other damage throws, and nothing of the file may be loaded.
    /// - Parameter name: the checkpoint the file is for (from its file name).
    /// - Throws: `CheckpointJournalError` naming the first bad record.
    public static func replay(
        _ bytes: UnsafeRawBufferPointer, checkpoint name: String
    ) throws(CheckpointJournalError) -> CheckpointJournalContent {
        try checkHeader(bytes)
        var scratch = CheckpointStore()
        var offset = fileHeaderSize
        var number: UInt64 = 0
        var lastSequence: UInt64 = 0
        var content = CheckpointJournalContent(checkpoint: nil, records: 0, validSize: offset, tornTail: nil)
        while offset < bytes.count {
            let next = number + 1
            guard let payload = try recordPayload(bytes, at: offset, number: next) else {
                content.tornTail = CheckpointJournalError(
                    .tornTail, record: next, offset: offset, detail: "\(bytes.count - offset) bytes of an incomplete record")
                break
            }
            let update = try decodeUpdate(payload, number: next, offset: offset, name: name)
            guard update.sequence >= max(lastSequence, 1) else {
                throw CheckpointJournalError(
                    .badUpdate, record: next, offset: offset,
                    detail: "store sequence \(update.sequence) after \(lastSequence)")
            }
            try replay(update, into: &scratch, number: next, offset: offset)
            lastSequence = update.sequence
            number = next
            offset += recordHeaderSize + payload.count
            content.records += 1
            content.validSize = offset
        }
        content.checkpoint = scratch.checkpoint(name)
        if content.records > 0, content.checkpoint == nil {
            throw CheckpointJournalError(.badUpdate, record: number, offset: offset, detail: "the checkpoint was removed")
        }
        return content
    }

    private static func checkHeader(_ bytes: UnsafeRawBufferPointer) throws(CheckpointJournalError) {
        guard bytes.count >= fileHeaderSize else {
            throw CheckpointJournalError(.badHeader, record: 0, offset: 0, detail: "\(bytes.count) bytes, no header")
        }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<fileHeaderSize]))
        let fields = Result { () throws(ReplicationDecodeError) in
            (try reader.field(UInt32.self), try reader.field(UInt16.self), try reader.field(UInt16.self))
        }
        guard case .success(let (magic, version, reserved)) = fields, magic == Self.magic, version == Self.version,
            reserved == 0
        else {
            throw CheckpointJournalError(.badHeader, record: 0, offset: 0, detail: "not a version 1 journal")
        }
    }

    /// The payload of the record at `offset`, or nil when the file ends inside it.
    private static func recordPayload(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, number: UInt64
    ) throws(CheckpointJournalError) -> UnsafeRawBufferPointer? {
        guard bytes.count - offset >= recordHeaderSize else { return nil }
        let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian)
        guard length >= 1, length <= Limits.checkpointUpdateSizeMax else {
            throw CheckpointJournalError(.corruptRecord, record: number, offset: offset, detail: "length \(length)")
        }
        guard bytes.count - offset - recordHeaderSize >= length else { return nil }
        let record = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + recordHeaderSize + length)])
        let stored = record.loadUnaligned(fromByteOffset: 12, as: UInt32.self).bigEndian
        guard recordChecksum(record) == stored else {
            throw CheckpointJournalError(.corruptRecord, record: number, offset: offset, detail: "CRC-32C mismatch")
        }
        let sequence = record.loadUnaligned(fromByteOffset: 4, as: UInt64.self).bigEndian
        guard sequence == number else {
            throw CheckpointJournalError(
                .outOfOrder, record: number, offset: offset, detail: "record sequence \(sequence), expected \(number)")
        }
        return UnsafeRawBufferPointer(rebasing: record[recordHeaderSize...])
    }

    private static func decodeUpdate(
        _ payload: UnsafeRawBufferPointer, number: UInt64, offset: Int, name: String
    ) throws(CheckpointJournalError) -> CheckpointUpdate {
        let update: CheckpointUpdate
        do {
            update = try CheckpointUpdate(decoding: payload)
        } catch {
            throw CheckpointJournalError(.badUpdate, record: number, offset: offset, detail: "\(error)")
        }
        guard update.checkpoint == name else {
            throw CheckpointJournalError(
                .badUpdate, record: number, offset: offset, detail: "an update of \"\(update.checkpoint)\"")
        }
        return update
    }

    /// Applies one record's update to the scratch store at the update's own sequence; it must
    /// leave the checkpoint with the checksum the update carries.
    private static func replay(
        _ update: CheckpointUpdate, into scratch: inout CheckpointStore, number: UInt64, offset: Int
    ) throws(CheckpointJournalError) {
        let creates = if case .create = update.operations[0] { true } else { false }
        guard creates == (number == 1) else {
            throw CheckpointJournalError(
                .badUpdate, record: number, offset: offset,
                detail: creates ? "a second creation" : "the first record does not create the checkpoint")
        }
        let plan: UpdatePlan
        do {
            plan = try scratch.plan(update)
        } catch {
            throw CheckpointJournalError(.badUpdate, record: number, offset: offset, detail: "\(error)")
        }
        guard !plan.removes, plan.checksum == update.checksum else {
            throw CheckpointJournalError(
                .badUpdate, record: number, offset: offset, detail: "checksum after the update differs (or a removal)")
        }
        scratch.sequence = update.sequence - 1
        scratch.apply(plan, of: update)
    }
}
