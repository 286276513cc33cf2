/// The file format of a persistent checkpoint's journal, version 1, big-endian. One file per
/// persistent checkpoint: a corrupt file costs one checkpoint, not the board's whole set, and a
/// snapshot, a compaction or a removal rewrites or unlinks one file without touching the
/// others.
///
/// The file starts with an 8-byte header: magic `0x44504A4C` ("DPJL"), UInt16 version (1),
/// UInt16 reserved (zero). Records follow back to back:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 4 | length n of the payload (1...`Limits.checkpointUpdateSizeMax`) |
/// | 4 | 8 | record sequence: 1 for the file's first record, then one more per record |
/// | 12 | 4 | CRC-32C of the length, the record sequence and the payload |
/// | 16 | n | payload: one `CheckpointUpdate`, encoded as on the wire (with its own CRC) |
///
/// The record sequence is the file's own count (contiguous, so a missing or repeated record
/// shows); the update inside carries the store sequence, which never decreases along a file.
/// The first record creates the checkpoint (`.create` as its first operation); a snapshot or
/// compaction writes the checkpoint's content as such a creation and as many writes as needed,
/// all stamped with the checkpoint's sequence.
public enum CheckpointJournalFormat {
    public static let magic: UInt32 = 0x4450_4A4C
    public static let version: UInt16 = 1
    public static let fileHeaderSize = 8
    public static let recordHeaderSize = 16

    /// The file header.
    public static var fileHeader: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: fileHeaderSize)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = ByteWriter(buffer)
            writer.write(magic)
            writer.write(version)
            writer.write(UInt16(0))
        }
        return bytes
    }

    /// One record holding `update`, numbered `number`.
    public static func record(_ update: CheckpointUpdate, number: UInt64) -> [UInt8] {
        let payloadSize = update.encodedSize
        var bytes = [UInt8](repeating: 0, count: recordHeaderSize + payloadSize)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = ByteWriter(buffer)
            writer.write(UInt32(payloadSize))
            writer.write(number)
            writer.write(UInt32(0))
            update.encode(into: &writer)
            precondition(writer.offset == buffer.count, "the record fills its bytes")
            let crc = recordChecksum(UnsafeRawBufferPointer(buffer))
            buffer.storeBytes(of: crc.bigEndian, toByteOffset: 12, as: UInt32.self)
        }
        return bytes
    }

    /// The CRC-32C of a record (its first 12 bytes and its payload, not the CRC field).
    static func recordChecksum(_ record: UnsafeRawBufferPointer) -> UInt32 {
        let crc = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: record[0..<12]))
        return CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: record[recordHeaderSize...]))
    }

    /// The records that make up `checkpoint`'s content: a creation with its limits, then
    /// writes of every section in key order, packed up to the operation and size bounds of
    /// one update, each stamped with the checkpoint's sequence and its checksum so far.
    public static func image(of checkpoint: Checkpoint) -> [CheckpointUpdate] {
        precondition(checkpoint.sequence >= 1, "a checkpoint made by an update")
        var scratch = CheckpointStore()
        var updates: [CheckpointUpdate] = []
        var operations: [CheckpointUpdate.Operation] = [.create(checkpoint.limits)]
        scratch.sequence = checkpoint.sequence - 1
        var size = CheckpointUpdate(checkpoint: checkpoint.name, operations: operations).encodedSize
        func emit() {
            var update = CheckpointUpdate(checkpoint: checkpoint.name, operations: operations)
            update.sequence = checkpoint.sequence
            let plan: UpdatePlan
            do {
                plan = try scratch.plan(update)
            } catch {
                preconditionFailure("a checkpoint's own content holds every limit: \(error)")
            }
            update.checksum = plan.checksum
            scratch.apply(plan, of: update)
            scratch.sequence = checkpoint.sequence &- 1
            updates.append(update)
            operations.removeAll(keepingCapacity: true)
            size = CheckpointUpdate.headerSize + 1 + checkpoint.name.utf8.count + 2 + 4
        }
        for key in checkpoint.keys {
            let bytes = checkpoint.sections[key]!.bytes
            let added = 1 + 2 + key.count + 4 + bytes.count
            if operations.count == Limits.checkpointOperationsMax || size + added > Limits.checkpointUpdateSizeMax {
                emit()
            }
            operations.append(.write(key, bytes))
            size += added
        }
        if !operations.isEmpty { emit() }
        assert(scratch.checkpoint(checkpoint.name) == checkpoint, "the image holds the same content")
        return updates
    }
}

extension CheckpointJournalFormat {
    /// The suffix of a journal file's name.
    public static let fileSuffix = ".journal"

    /// The file name of a checkpoint's journal: the name's bytes, with every byte other than
    /// an ASCII letter, digit, `-` or `_` written as `%XX` (so `/`, `.` and control bytes never
    /// reach the file system), then `.journal`.
    public static func fileName(for checkpoint: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in checkpoint.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self) + fileSuffix
    }

    /// The checkpoint name a journal file is for, or nil when the file name is not one that
    /// `fileName(for:)` makes.
    public static func checkpointName(fileName: String) -> String? {
        guard fileName.hasSuffix(fileSuffix) else { return nil }
        let escaped = Array(fileName.utf8.dropLast(fileSuffix.utf8.count))
        var bytes: [UInt8] = []
        var index = 0
        while index < escaped.count {
            if escaped[index] == UInt8(ascii: "%") {
                guard index + 2 < escaped.count, let high = hexValue(escaped[index + 1]),
                    let low = hexValue(escaped[index + 2])
                else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(escaped[index])
                index += 1
            }
        }
        guard !bytes.isEmpty, bytes.count <= Limits.checkpointNameSizeMax,
            let name = String(validating: bytes, as: UTF8.self), Self.fileName(for: name) == fileName
        else { return nil }
        return name
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
