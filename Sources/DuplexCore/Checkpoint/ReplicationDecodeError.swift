/// Why bytes of the replication protocol (a checkpoint update, a replication message, a
/// snapshot chunk's records) were rejected. The decoders never trap on garbage: they return one
/// of these, and the caller counts it and drops the bytes.
public enum ReplicationDecodeError: UInt8, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Fewer bytes than a field needs.
    case truncated
    /// More bytes than the record's size bound in `Limits`.
    case tooLarge
    /// The record does not start with its magic number.
    case badMagic
    /// A version this build does not speak.
    case unsupportedVersion
    /// The length field disagrees with the number of bytes.
    case badLength
    /// The CRC-32C does not match.
    case badChecksum
    /// An unknown message or record type.
    case unknownKind
    /// An unknown checkpoint operation.
    case unknownOperation
    /// A count or size over its bound in `Limits`.
    case overLimit
    /// A checkpoint name that is empty, too long or not UTF-8.
    case invalidName
    /// Anything else that cannot be: reserved bits set, bytes left over, records out of order.
    case malformed

    public var description: String {
        switch self {
        case .truncated: "truncated"
        case .tooLarge: "too large"
        case .badMagic: "bad magic"
        case .unsupportedVersion: "unsupported version"
        case .badLength: "bad length"
        case .badChecksum: "bad checksum"
        case .unknownKind: "unknown kind"
        case .unknownOperation: "unknown operation"
        case .overLimit: "over a limit"
        case .invalidName: "invalid name"
        case .malformed: "malformed"
        }
    }
}

extension ByteReader {
    /// A field that must be present.
    mutating func field<T: FixedWidthInteger>(_: T.Type = T.self) throws(ReplicationDecodeError) -> T {
        guard let value: T = read() else { throw .truncated }
        return value
    }

    /// `count` bytes that must be present, copied out.
    mutating func field(bytes count: Int) throws(ReplicationDecodeError) -> [UInt8] {
        guard let slice = readBytes(count) else { throw .truncated }
        return Array(slice)
    }

    /// A checkpoint name: a UInt8 length (1...`Limits.checkpointNameSizeMax`) and UTF-8.
    mutating func checkpointName() throws(ReplicationDecodeError) -> String {
        let count = Int(try field(UInt8.self))
        guard count >= 1, count <= Limits.checkpointNameSizeMax else { throw .invalidName }
        guard let bytes = readBytes(count) else { throw .truncated }
        // Validated in place: no array copy first (a name is decoded with every request).
        let name = bytes.withMemoryRebound(to: UInt8.self) { String(validating: $0, as: UTF8.self) }
        guard let name else { throw .invalidName }
        return name
    }

    /// A section key: a UInt16 length (at most `Limits.sectionKeySizeMax`) and the bytes.
    mutating func sectionKey() throws(ReplicationDecodeError) -> SectionKey {
        let count = Int(try field(UInt16.self))
        guard count <= Limits.sectionKeySizeMax else { throw .overLimit }
        guard let raw = readBytes(count) else { throw .truncated }
        return SectionKey(raw)
    }

    /// Checkpoint limits: UInt64 size, UInt32 sections (bit 31: persistent), UInt32 section
    /// size, each within its global bound (zero is left for the store to refuse).
    mutating func checkpointLimits() throws(ReplicationDecodeError) -> CheckpointLimits {
        let size = try field(UInt64.self)
        let sectionsField = try field(UInt32.self)
        let persistent = sectionsField & CheckpointLimits.persistentBit != 0
        let sections = sectionsField & ~CheckpointLimits.persistentBit
        let sectionSize = try field(UInt32.self)
        guard size <= UInt64(Limits.checkpointSizeMax), sections <= UInt32(Limits.sectionsMax),
            sectionSize <= UInt32(Limits.sectionSizeMax)
        else { throw .overLimit }
        return CheckpointLimits(
            sizeMax: Int(size), sectionsMax: Int(sections), sectionSizeMax: Int(sectionSize), persistent: persistent)
    }
}

extension ByteWriter {
    /// Writes a name as `ByteReader.checkpointName` reads it.
    mutating func write(name: String) {
        let utf8 = Array(name.utf8)
        precondition(utf8.count <= Int(UInt8.max), "a checkpoint name fits a UInt8 length")
        write(UInt8(utf8.count))
        utf8.withUnsafeBytes { write(bytes: $0) }
    }

    /// Writes a key as `ByteReader.sectionKey` reads it.
    mutating func write(key: SectionKey) {
        precondition(key.count <= Int(UInt16.max), "a key fits a UInt16 length")
        write(UInt16(key.count))
        key.withUnsafeBytes { write(bytes: $0) }
    }

    /// Writes limits as `ByteReader.checkpointLimits` reads them.
    mutating func write(limits: CheckpointLimits) {
        write(UInt64(limits.sizeMax))
        write(limits.encodedSections)
        write(UInt32(limits.sectionSizeMax))
    }
}
