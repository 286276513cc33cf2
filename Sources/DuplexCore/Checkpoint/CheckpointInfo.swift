/// What a process learns when it opens a checkpoint (the `opened` response), and what
/// `duplexctl checkpoints` lists.
public struct CheckpointInfo: Sendable, Hashable {
    public var name: String
    public var limits: CheckpointLimits
    /// The store sequence of the last update applied to this checkpoint.
    public var sequence: UInt64
    /// Bytes of every section's key and value.
    public var size: Int
    public var sectionCount: Int
    /// The board's role when the answer was made.
    public var role: Role
    /// Whether this board takes writes (it is active).
    public var isWritable: Bool
    /// Active: the mate's replica is hot (a sync write waits for it). Standby: this replica is hot.
    public var isReplicaHot: Bool

    public init(
        name: String, limits: CheckpointLimits, sequence: UInt64, size: Int, sectionCount: Int, role: Role,
        isWritable: Bool, isReplicaHot: Bool
    ) {
        self.name = name
        self.limits = limits
        self.sequence = sequence
        self.size = size
        self.sectionCount = sectionCount
        self.role = role
        self.isWritable = isWritable
        self.isReplicaHot = isReplicaHot
    }

    /// The description of a checkpoint of `store`.
    public init(_ checkpoint: Checkpoint, role: Role, isWritable: Bool, isReplicaHot: Bool) {
        self.init(
            name: checkpoint.name, limits: checkpoint.limits, sequence: checkpoint.sequence, size: checkpoint.size,
            sectionCount: checkpoint.sectionCount, role: role, isWritable: isWritable, isReplicaHot: isReplicaHot)
    }

    /// Encoded size: name (1 + n), limits 16, sequence 8, size 8, count 4, role 1, flags 1.
    public func encode(into bytes: inout [UInt8]) {
        bytes.append(name: name)
        bytes.append(bigEndian: UInt64(limits.sizeMax))
        bytes.append(bigEndian: limits.encodedSections)
        bytes.append(bigEndian: UInt32(limits.sectionSizeMax))
        bytes.append(bigEndian: sequence)
        bytes.append(bigEndian: UInt64(size))
        bytes.append(bigEndian: UInt32(sectionCount))
        bytes.append(role.rawValue)
        bytes.append((isWritable ? 1 : 0) | (isReplicaHot ? 2 : 0))
    }

    public init(decoding reader: inout ByteReader) throws(ReplicationDecodeError) {
        let name = try reader.checkpointName()
        let limits = try reader.checkpointLimits()
        let sequence = try reader.field(UInt64.self)
        let size = try reader.field(UInt64.self)
        let count = try reader.field(UInt32.self)
        guard size <= UInt64(Limits.checkpointSizeMax), count <= UInt32(Limits.sectionsMax) else { throw .overLimit }
        guard let role = Role(rawValue: try reader.field(UInt8.self)) else { throw .malformed }
        let flags = try reader.field(UInt8.self)
        guard flags & ~3 == 0 else { throw .malformed }
        self.init(
            name: name, limits: limits, sequence: sequence, size: Int(size), sectionCount: Int(count), role: role,
            isWritable: flags & 1 != 0, isReplicaHot: flags & 2 != 0)
    }
}
