/// A request of the checkpoint session protocol, from a process to its board's `duplexd`.
/// See `SessionHeader` for the framing and `SessionMessageType` for each payload.
public enum SessionRequest: Sendable, Hashable {
    /// Opens a checkpoint; with `create`, creates it with `limits` when it does not exist (the
    /// limits of an existing checkpoint stay as they are; the answer says which they are).
    case open(name: String, limits: CheckpointLimits, create: Bool)
    /// One atomic update of `write` and `delete` operations. `sync`: answer once the mate's
    /// replica holds it; otherwise answer only a failure.
    case write(name: String, operations: [CheckpointUpdate.Operation], sync: Bool)
    /// One section of the board's store or replica.
    case read(name: String, key: SectionKey)
    /// Up to `countMax` sections in key order, starting after `after`.
    case sections(name: String, after: SectionKey?, countMax: Int)
    /// Waits until every earlier write of the board is on the mate.
    case flush
    /// Removes a checkpoint and its sections (synchronous like a `sync` write).
    case remove(name: String)
    /// Moves the rest of the session into two shared byte rings of `capacity` bytes each
    /// (the descriptors travel with the frame; see `SessionMessageType.sharedRings`).
    case sharedRings(capacity: Int)

    public var type: SessionMessageType {
        switch self {
        case .open: .open
        case .write: .write
        case .read: .read
        case .sections: .sections
        case .flush: .flush
        case .remove: .remove
        case .sharedRings: .sharedRings
        }
    }

    /// Appends the request as one frame.
    /// - Throws: `tooLarge` when it exceeds `SessionHeader.frameSizeMax` (`bytes` is then as it
    ///   was); `invalidName` for a name of more than 255 bytes.
    public func encode(request: UInt32, into bytes: inout [UInt8]) throws(ReplicationDecodeError) {
        let start = SessionHeader.begin(&bytes, type: type, request: request)
        switch self {
        case .open(let name, let limits, let create):
            guard name.utf8.count <= Int(UInt8.max) else { return try abandon(&bytes, start, .invalidName) }
            bytes.append(create ? 1 : 0)
            bytes.append(name: name)
            bytes.append(bigEndian: UInt64(limits.sizeMax))
            bytes.append(bigEndian: limits.encodedSections)
            bytes.append(bigEndian: UInt32(clamping: limits.sectionSizeMax))
        case .write(let name, let operations, let sync):
            guard name.utf8.count <= Int(UInt8.max) else { return try abandon(&bytes, start, .invalidName) }
            guard operations.count <= Int(UInt16.max) else { return try abandon(&bytes, start, .overLimit) }
            bytes.append(sync ? 1 : 0)
            bytes.append(name: name)
            bytes.append(bigEndian: UInt16(operations.count))
            for operation in operations {
                guard Self.append(operation, to: &bytes, frameStart: start) else { return try abandon(&bytes, start, .tooLarge) }
            }
        case .read(let name, let key), .sections(let name, .some(let key), _):
            guard name.utf8.count <= Int(UInt8.max), key.count <= Int(UInt16.max) else {
                return try abandon(&bytes, start, .invalidName)
            }
            bytes.append(name: name)
            if case .sections(_, _, let countMax) = self {
                bytes.append(1)
                bytes.append(key: key)
                bytes.append(bigEndian: UInt32(clamping: countMax))
            } else {
                bytes.append(key: key)
            }
        case .sections(let name, .none, let countMax):
            guard name.utf8.count <= Int(UInt8.max) else { return try abandon(&bytes, start, .invalidName) }
            bytes.append(name: name)
            bytes.append(0)
            bytes.append(bigEndian: UInt32(clamping: countMax))
        case .flush:
            break
        case .remove(let name):
            guard name.utf8.count <= Int(UInt8.max) else { return try abandon(&bytes, start, .invalidName) }
            bytes.append(name: name)
        case .sharedRings(let capacity):
            guard SessionRings.isValidCapacity(capacity) else { return try abandon(&bytes, start, .overLimit) }
            bytes.append(bigEndian: UInt32(capacity))
        }
        guard bytes.count - start <= SessionHeader.frameSizeMax else { return try abandon(&bytes, start, .tooLarge) }
        SessionHeader.finish(&bytes, at: start)
    }

    /// Appends a single-section write without building an operation array (the hot path of
    /// the client library).
    /// - Throws: as `encode(request:into:)`.
    public static func encodeWrite(
        request: UInt32, name: String, key: SectionKey, bytes value: some Collection<UInt8>, sync: Bool,
        into bytes: inout [UInt8]
    ) throws(ReplicationDecodeError) {
        let size = SessionHeader.size + 1 + 1 + name.utf8.count + 2 + 1 + 2 + key.count + 4 + value.count
        guard name.utf8.count <= Int(UInt8.max), key.count <= Int(UInt16.max) else { throw .invalidName }
        guard size <= SessionHeader.frameSizeMax else { throw .tooLarge }
        let start = SessionHeader.begin(&bytes, type: .write, request: request)
        bytes.append(sync ? 1 : 0)
        bytes.append(name: name)
        bytes.append(bigEndian: UInt16(1))
        bytes.append(3)
        bytes.append(key: key)
        bytes.append(bigEndian: UInt32(value.count))
        bytes.append(contentsOf: value)
        SessionHeader.finish(&bytes, at: start)
        assert(bytes.count - start == size, "the size computed and the bytes written agree")
    }

    private func abandon(_ bytes: inout [UInt8], _ start: Int, _ error: ReplicationDecodeError) throws(ReplicationDecodeError) {
        bytes.removeSubrange(start...)
        throw error
    }

    /// Appends a write or delete; false when the frame would outgrow its bound (checked before
    /// copying a value, so a huge value is never copied).
    private static func append(_ operation: CheckpointUpdate.Operation, to bytes: inout [UInt8], frameStart: Int) -> Bool {
        switch operation {
        case .write(let key, let value):
            guard key.count <= Int(UInt16.max),
                bytes.count - frameStart + 7 + key.count + value.count <= SessionHeader.frameSizeMax
            else { return false }
            bytes.append(3)
            bytes.append(key: key)
            bytes.append(bigEndian: UInt32(value.count))
            bytes.append(contentsOf: value)
        case .delete(let key):
            guard key.count <= Int(UInt16.max) else { return false }
            bytes.append(4)
            bytes.append(key: key)
        case .create, .remove:
            // Not sent as operations: `open` and `remove` requests carry them.
            bytes.append(0)
        }
        return true
    }

    /// Decodes the payload of a request frame. Never traps on untrusted bytes.
    /// - Parameter knownName: a checkpoint name decoded before: a write to a checkpoint of
    ///   this name gets this string, without validating and building another (a process
    ///   mostly writes to one checkpoint).
    /// - Throws: `ReplicationDecodeError`: `unknownKind` for a type that is not a request,
    ///   `unknownOperation` for a write with an operation other than write and delete.
    public init(type: SessionMessageType, payload: UnsafeRawBufferPointer, knownName: String? = nil) throws(ReplicationDecodeError) {
        var reader = ByteReader(payload)
        switch type {
        case .open:
            let create = try reader.flag()
            self = .open(name: try reader.checkpointName(), limits: try reader.checkpointLimits(), create: create)
        case .write:
            let sync = try reader.flag()
            let name = try Self.checkpointName(&reader, known: knownName)
            let count = Int(try reader.field(UInt16.self))
            guard count >= 1, count <= Limits.checkpointOperationsMax else { throw .overLimit }
            var operations: [CheckpointUpdate.Operation] = []
            operations.reserveCapacity(count)
            for _ in 0..<count {
                operations.append(try Self.decodeOperation(&reader))
            }
            self = .write(name: name, operations: operations, sync: sync)
        case .read:
            self = .read(name: try reader.checkpointName(), key: try reader.sectionKey())
        case .sections:
            let name = try reader.checkpointName()
            let after = try reader.flag() ? try reader.sectionKey() : nil
            self = .sections(name: name, after: after, countMax: Int(try reader.field(UInt32.self)))
        case .flush:
            self = .flush
        case .remove:
            self = .remove(name: try reader.checkpointName())
        case .sharedRings:
            let capacity = Int(try reader.field(UInt32.self))
            guard SessionRings.isValidCapacity(capacity) else { throw .overLimit }
            self = .sharedRings(capacity: capacity)
        default:
            throw .unknownKind
        }
        guard reader.remaining == 0 else { throw .malformed }
    }

    /// The name at the reader: `known` when its bytes are the same, else a validated new one.
    private static func checkpointName(_ reader: inout ByteReader, known: String?) throws(ReplicationDecodeError) -> String {
        guard let known else { return try reader.checkpointName() }
        var peek = reader
        guard let count = peek.read(UInt8.self), let bytes = peek.readBytes(Int(count)), known.utf8.count == bytes.count,
            // A native string's bytes eight at a time (a generic walk of `utf8` was 3.8 % of
            // the active's checkpoint thread under 64 B async writes, `elementsEqual` over its
            // contiguous storage, a byte at a time, still 3.9 %).
            known.utf8.withContiguousStorageIfAvailable({ UnsafeRawBufferPointer($0).holdsSameBytes(as: bytes) })
                ?? known.utf8.elementsEqual(bytes)
        else { return try reader.checkpointName() }
        reader = peek
        return known
    }

    private static func decodeOperation(_ reader: inout ByteReader) throws(ReplicationDecodeError) -> CheckpointUpdate.Operation {
        switch try reader.field(UInt8.self) {
        case 3:
            let key = try reader.sectionKey()
            let count = Int(try reader.field(UInt32.self))
            guard count <= Limits.sectionSizeMax else { throw .overLimit }
            return .write(key, try reader.field(bytes: count))
        case 4:
            return .delete(try reader.sectionKey())
        default:
            throw .unknownOperation
        }
    }
}
