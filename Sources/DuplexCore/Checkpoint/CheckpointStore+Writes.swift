/// Single-operation conveniences: each is one update, committed as the active does.
extension CheckpointStore {
    /// Creates an empty checkpoint.
    @discardableResult
    public mutating func create(_ name: String, limits: CheckpointLimits) throws(CheckpointError) -> CheckpointUpdate {
        try commit(CheckpointUpdate(checkpoint: name, operations: [.create(limits)]))
    }

    /// Removes a checkpoint and its sections.
    @discardableResult
    public mutating func remove(_ name: String) throws(CheckpointError) -> CheckpointUpdate {
        try commit(CheckpointUpdate(checkpoint: name, operations: [.remove]))
    }

    /// Writes (creates or overwrites) one section.
    @discardableResult
    public mutating func write(_ name: String, _ key: SectionKey, _ bytes: [UInt8]) throws(CheckpointError)
        -> CheckpointUpdate
    {
        try commit(CheckpointUpdate(checkpoint: name, operations: [.write(key, bytes)]))
    }

    /// Deletes one section.
    @discardableResult
    public mutating func delete(_ name: String, _ key: SectionKey) throws(CheckpointError) -> CheckpointUpdate {
        try commit(CheckpointUpdate(checkpoint: name, operations: [.delete(key)]))
    }
}
