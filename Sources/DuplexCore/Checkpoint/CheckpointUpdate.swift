/// One atomic change to one checkpoint: the record that the active applies, replicates to the
/// mate in sequence order, and (later) appends to a persistent file.
///
/// A client builds it with `sequence` and `checksum` zero; `CheckpointStore.commit` stamps both:
/// `sequence` is the store's update number (one more than the previous update of any
/// checkpoint), `checksum` the checkpoint's content checksum after the update (zero after
/// `remove`), which the replica checks after applying it.
public struct CheckpointUpdate: Sendable, Hashable, CustomStringConvertible {
    public enum Operation: Sendable, Hashable {
        /// Creates the checkpoint with these limits; only as the first operation.
        case create(CheckpointLimits)
        /// Removes the checkpoint and every section; only as the only operation.
        case remove
        /// Writes (creates or overwrites) a section.
        case write(SectionKey, [UInt8])
        /// Deletes a section that exists.
        case delete(SectionKey)
    }

    public var checkpoint: String
    public var sequence: UInt64
    public var checksum: UInt32
    public var operations: [Operation]

    public init(checkpoint: String, operations: [Operation], sequence: UInt64 = 0, checksum: UInt32 = 0) {
        self.checkpoint = checkpoint
        self.operations = operations
        self.sequence = sequence
        self.checksum = checksum
    }

    public var description: String {
        "update #\(sequence) of \"\(checkpoint)\" (\(operations.count) operations)"
    }
}
