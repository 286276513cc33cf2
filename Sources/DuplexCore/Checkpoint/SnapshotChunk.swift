/// One piece of a bulk snapshot of a checkpoint store, as the active sends it to a (re)joining
/// standby: `bytes` (at most `Limits.checkpointChunkSizeMax`) hold whole records.
///
/// Records, big-endian, each starting with a tag byte:
///
/// | tag | record | fields |
/// | ---: | --- | --- |
/// | 1 | begin (first in chunk 0 only) | UInt64 cut-over sequence, UInt32 checkpoints, UInt64 sections, UInt64 bytes |
/// | 2 | checkpoint | name (UInt8 length, UTF-8), limits (UInt64, UInt32, UInt32), UInt64 sequence, UInt32 checksum, UInt32 section count |
/// | 3 | section part | key (UInt16 length, bytes), UInt32 value length, UInt32 offset, UInt16 part length, part |
///
/// Checkpoints come in name order, each section once, in the order of the active's table (in
/// key order for a mate whose build lacks `takesUnorderedSnapshots`); a section larger than
/// the room left in a chunk continues in the next ones (same key, growing offset).
public struct SnapshotChunk: Sendable, Hashable {
    /// The snapshot's identifier, chosen by the standby that asked for it.
    public var snapshot: UInt64
    /// This chunk's place, from 0.
    public var index: UInt32
    /// The number of chunks of the snapshot (at least 1).
    public var total: UInt32
    public var bytes: [UInt8]

    public init(snapshot: UInt64, index: UInt32, total: UInt32, bytes: [UInt8]) {
        self.snapshot = snapshot
        self.index = index
        self.total = total
        self.bytes = bytes
    }

    enum Tag: UInt8 {
        case begin = 1, checkpoint = 2, section = 3
    }

    /// Bytes a chunk's message adds to its records: the message header and CRC, and the
    /// chunk's snapshot, index, total and length fields.
    public static let messageOverhead = 16 + 8 + 4 + 4 + 2 + 4
    static let beginSize = 1 + 8 + 4 + 8 + 8
    static func checkpointRecordSize(name: String) -> Int { 1 + 1 + name.utf8.count + 16 + 8 + 4 + 4 }
    static func sectionHeaderSize(keyLength: Int) -> Int { 1 + 2 + keyLength + 4 + 4 + 2 }
    /// A section does not start (or go on) in a chunk with room for fewer bytes of it than this.
    static let partMin = 256
}

/// What a complete snapshot holds; the active sends it after the last chunk, and the standby
/// installs the snapshot only if what it assembled matches every field.
public struct SnapshotSummary: Sendable, Hashable {
    public var snapshot: UInt64
    /// The store sequence the snapshot holds: updates after it come through the live stream.
    public var cutover: UInt64
    public var checkpoints: UInt32
    public var sections: UInt64
    /// `CheckpointStore.size`.
    public var bytes: UInt64
    /// `CheckpointStore.checksum`.
    public var checksum: UInt32
    public var chunks: UInt32

    public init(
        snapshot: UInt64, cutover: UInt64, checkpoints: UInt32, sections: UInt64, bytes: UInt64,
        checksum: UInt32, chunks: UInt32
    ) {
        self.snapshot = snapshot
        self.cutover = cutover
        self.checkpoints = checkpoints
        self.sections = sections
        self.bytes = bytes
        self.checksum = checksum
        self.chunks = chunks
    }
}
