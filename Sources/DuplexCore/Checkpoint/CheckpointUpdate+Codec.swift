/// Wire format of a checkpoint update, version 1, big-endian:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 2 | magic `0x4355` ("CU") |
/// | 2 | 1 | version (1) |
/// | 3 | 1 | reserved, zero |
/// | 4 | 4 | length of the whole record, CRC included |
/// | 8 | 8 | sequence |
/// | 16 | 4 | checksum of the checkpoint after the update |
/// | 20 | 1 + n | name: length n (1...64), UTF-8 |
/// | | 2 | operation count (1...`Limits.checkpointOperationsMax`) |
/// | | | operations: a kind byte, then `create` (1): UInt64 size, UInt32 sections, UInt32 section size; `remove` (2): nothing; `write` (3): UInt16 key length, key, UInt32 value length, value; `delete` (4): UInt16 key length, key |
/// | end − 4 | 4 | CRC-32C of every byte before it |
extension CheckpointUpdate {
    public static let magic: UInt16 = 0x4355
    public static let version: UInt8 = 1
    static let headerSize = 20

    private enum OperationKind: UInt8 {
        case create = 1, remove = 2, write = 3, delete = 4
    }

    /// The number of bytes `encode` writes.
    public var encodedSize: Int {
        var total = Self.headerSize + 1 + checkpoint.utf8.count + 2 + 4
        for operation in operations {
            switch operation {
            case .create: total += 1 + 16
            case .remove: total += 1
            case .write(let key, let bytes): total += 1 + 2 + key.count + 4 + bytes.count
            case .delete(let key): total += 1 + 2 + key.count
            }
        }
        return total
    }

    /// The encoded record.
    /// - Important: traps for an update over `Limits.checkpointUpdateSizeMax` (the store
    ///   refuses those before they are committed).
    public func encoded() -> [UInt8] {
        let size = encodedSize
        precondition(size <= Limits.checkpointUpdateSizeMax, "an update within its size bound")
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = ByteWriter(buffer)
            encode(into: &writer)
            assert(writer.offset == size, "encodedSize and encode agree")
        }
        return bytes
    }

    /// Writes the record at the writer's offset; the writer must have `encodedSize` bytes left.
    public func encode(into writer: inout ByteWriter) {
        let start = writer.offset
        let size = encodedSize
        precondition(writer.remaining >= size, "room for the update")
        precondition(operations.count <= Int(UInt16.max), "the operation count fits a UInt16")
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(UInt8(0))
        writer.write(UInt32(size))
        writer.write(sequence)
        writer.write(checksum)
        writer.write(name: checkpoint)
        encodeOperations(into: &writer)
        let body = UnsafeRawBufferPointer(rebasing: writer.buffer[start..<writer.offset])
        writer.write(CRC32C.checksum(body))
        assert(writer.offset - start == size, "encodedSize and encode agree")
    }

    /// Writes the operation count and the operations (shared by the record and the entries of
    /// a batch message).
    func encodeOperations(into writer: inout ByteWriter) {
        writer.write(UInt16(operations.count))
        for operation in operations {
            switch operation {
            case .create(let limits):
                writer.write(OperationKind.create.rawValue)
                writer.write(limits: limits)
            case .remove:
                writer.write(OperationKind.remove.rawValue)
            case .write(let key, let bytes):
                writer.write(OperationKind.write.rawValue)
                writer.write(key: key)
                writer.write(UInt32(bytes.count))
                bytes.withUnsafeBytes { writer.write(bytes: $0) }
            case .delete(let key):
                writer.write(OperationKind.delete.rawValue)
                writer.write(key: key)
            }
        }
    }

    /// Decodes untrusted bytes holding exactly one record. Never traps.
    /// - Throws: `ReplicationDecodeError`.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(ReplicationDecodeError) {
        guard bytes.count >= Self.headerSize + 4 else { throw .truncated }
        guard bytes.count <= Limits.checkpointUpdateSizeMax else { throw .tooLarge }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]))
        guard try reader.field(UInt16.self) == Self.magic else { throw .badMagic }
        guard try reader.field(UInt8.self) == Self.version else { throw .unsupportedVersion }
        guard try reader.field(UInt8.self) == 0 else { throw .malformed }
        guard try reader.field(UInt32.self) == UInt32(bytes.count) else { throw .badLength }
        let stored = bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).bigEndian
        guard CRC32C.checksum(reader.buffer) == stored else { throw .badChecksum }
        let sequence = try reader.field(UInt64.self)
        let checksum = try reader.field(UInt32.self)
        let name = try reader.checkpointName()
        let operations = try Self.decodeOperations(&reader)
        guard reader.remaining == 0 else { throw .malformed }
        self.init(checkpoint: name, operations: operations, sequence: sequence, checksum: checksum)
        assert(encodedSize == bytes.count, "a decoded update encodes to the same size")
    }

    /// Decodes a record from an array (tests and cold paths).
    public init(decoding bytes: [UInt8]) throws(ReplicationDecodeError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ReplicationDecodeError) in try CheckpointUpdate(decoding: buffer) }
        }
        self = try result.get()
    }

    /// Reads what `encodeOperations` writes. Never traps.
    static func decodeOperations(_ reader: inout ByteReader) throws(ReplicationDecodeError) -> [Operation] {
        let count = Int(try reader.field(UInt16.self))
        guard count >= 1, count <= Limits.checkpointOperationsMax else { throw .overLimit }
        var operations: [Operation] = []
        operations.reserveCapacity(count)
        for _ in 0..<count {
            operations.append(try Self.decodeOperation(&reader))
        }
        return operations
    }

    private static func decodeOperation(_ reader: inout ByteReader) throws(ReplicationDecodeError) -> Operation {
        guard let kind = OperationKind(rawValue: try reader.field(UInt8.self)) else { throw .unknownOperation }
        switch kind {
        case .create:
            return .create(try reader.checkpointLimits())
        case .remove:
            return .remove
        case .write:
            let key = try reader.sectionKey()
            let count = Int(try reader.field(UInt32.self))
            guard count <= Limits.sectionSizeMax else { throw .overLimit }
            return .write(key, try reader.field(bytes: count))
        case .delete:
            return .delete(try reader.sectionKey())
        }
    }
}
