extension CheckpointStore {
    /// Adds a checkpoint loaded from a persistent file (at start, before any update). The
    /// store's sequence becomes the largest of its own and the checkpoint's, so that new
    /// updates carry higher sequences than any record of any file.
    /// - Throws: `checkpointExists`, `tooManyCheckpoints` or `storeTooLarge`; the store is then
    ///   unchanged.
    public mutating func restore(_ checkpoint: Checkpoint) throws(CheckpointError) {
        let name = checkpoint.name
        guard checkpoints[name] == nil else { throw CheckpointError(.checkpointExists, checkpoint: name) }
        guard checkpoints.count < Limits.checkpointsMax else {
            throw CheckpointError(
                .tooManyCheckpoints, checkpoint: name, value: UInt64(checkpoints.count + 1),
                limit: UInt64(Limits.checkpointsMax))
        }
        guard size + checkpoint.size <= Limits.checkpointStoreSizeMax else {
            throw CheckpointError(
                .storeTooLarge, checkpoint: name, value: UInt64(size + checkpoint.size),
                limit: UInt64(Limits.checkpointStoreSizeMax))
        }
        insert(checkpoint)
        size += checkpoint.size
        sequence = max(sequence, checkpoint.sequence)
    }

    /// The names of the checkpoints kept in a persistent file, in order.
    public var persistentNames: [String] {
        names.filter { checkpoints[$0]!.limits.persistent }
    }
}
