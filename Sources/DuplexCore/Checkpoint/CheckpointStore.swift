/// The checkpoints of one board: the active's store, or the standby's replica.
///
/// Pure and synchronous. Every change goes through a `CheckpointUpdate`, applied all or
/// nothing: an update that would break a limit throws a `CheckpointError` and leaves the store
/// exactly as it was. `sequence` counts the updates applied, so a replica that applied the same
/// updates in the same order holds the same bytes, and `replay` refuses any other order.
public struct CheckpointStore: Sendable, Hashable {
    /// The sequence number of the last update applied (0: none yet).
    public internal(set) var sequence: UInt64 = 0
    /// Bytes of every checkpoint together.
    public internal(set) var size: Int = 0
    /// Changed only through `insert(_:)`, `removeCheckpoint(_:)` and `apply` (in place, at an
    /// index), which keep `lastChanged` valid.
    var checkpoints: [String: Checkpoint] = [:]
    /// The checkpoint the last update changed in place and where it is in `checkpoints`: most
    /// updates go to the checkpoint of the update before, and a name compares (the same
    /// string: its storage) faster than it hashes. Reset whenever a checkpoint is added or
    /// removed (its index is valid until then).
    var lastChanged = Bookkeeping<LastChanged?>(nil)
    /// Whether the checkpoint the last update applied to is persistent (its limits say so;
    /// for a removal, the removed checkpoint's). Outside equality.
    var lastAppliedPersistent = Bookkeeping(false)

    struct LastChanged: Sendable {
        var name: String
        var index: Dictionary<String, Checkpoint>.Index
    }

    public init() {}

    /// Where checkpoint `name` is in `checkpoints`.
    func index(of name: String) -> Dictionary<String, Checkpoint>.Index? {
        if let last = lastChanged.value, last.name == name { return last.index }
        return checkpoints.index(forKey: name)
    }

    /// Adds or replaces a whole checkpoint (restored from a file or a snapshot); the caller
    /// accounts for its size.
    mutating func insert(_ checkpoint: Checkpoint) {
        lastChanged.value = nil
        checkpoints[checkpoint.name] = checkpoint
    }

    /// Removes checkpoint `name`.
    mutating func removeCheckpoint(_ name: String) {
        lastChanged.value = nil
        checkpoints[name] = nil
    }

    /// Number of checkpoints.
    public var count: Int { checkpoints.count }

    /// The checkpoint names in order.
    public var names: [String] { checkpoints.keys.sorted() }

    /// Sections in every checkpoint together.
    public var sectionCount: Int {
        var total = 0
        for checkpoint in checkpoints.values { total += checkpoint.sectionCount }
        return total
    }

    /// A checkpoint's description and content, or nil when it does not exist.
    public func checkpoint(_ name: String) -> Checkpoint? {
        checkpoints[name]
    }

    /// The wrapping sum, over the checkpoints, of each one's content checksum plus the CRC-32C
    /// of its name: equal on two boards that hold the same checkpoints with the same content.
    public var checksum: UInt32 {
        var total: UInt32 = 0
        for (name, checkpoint) in checkpoints {
            total &+= checkpoint.checksum &+ CRC32C.checksum(Array(name.utf8))
        }
        return total
    }

    /// The bytes of a section, or nil when the section does not exist.
    /// - Throws: `noSuchCheckpoint`, or `corrupted` when the bytes fail their CRC.
    public func read(_ name: String, _ key: SectionKey) throws(CheckpointError) -> [UInt8]? {
        guard let checkpoint = checkpoints[name] else {
            throw CheckpointError(.noSuchCheckpoint, checkpoint: name)
        }
        return try checkpoint.read(key)
    }

    /// Every section of a checkpoint in key order, each checked against its CRC.
    /// - Throws: `noSuchCheckpoint`, or `corrupted`.
    public func sections(of name: String) throws(CheckpointError) -> [(key: SectionKey, bytes: [UInt8])] {
        guard let checkpoint = checkpoints[name] else {
            throw CheckpointError(.noSuchCheckpoint, checkpoint: name)
        }
        var result: [(key: SectionKey, bytes: [UInt8])] = []
        result.reserveCapacity(checkpoint.sectionCount)
        for key in checkpoint.keys {
            result.append((key, try checkpoint.read(key)!))
        }
        assert(result.count == checkpoint.sectionCount, "every section read once")
        return result
    }

    /// Checks every checkpoint (`Checkpoint.verify`) and the store's size.
    /// - Throws: `corrupted` at the first difference.
    public func verify() throws(CheckpointError) {
        precondition(checkpoints.count <= Limits.checkpointsMax, "at most checkpointsMax checkpoints")
        var total = 0
        for name in names {
            try checkpoints[name]!.verify()
            total += checkpoints[name]!.size
        }
        guard total == size else {
            throw CheckpointError(.corrupted, checkpoint: "", value: UInt64(total), limit: UInt64(size))
        }
    }

    /// Checks an update against every limit without applying it.
    /// - Throws: the `CheckpointError` that `commit` would throw.
    public func validate(_ update: CheckpointUpdate) throws(CheckpointError) {
        var copy = self  // `plan` reads the checkpoint in place; this store stays as it is
        _ = try copy.plan(update)
    }

    /// Applies an update made on this board (the active): stamps it with the next sequence
    /// number and the checkpoint's checksum afterwards.
    /// - Returns: the stamped update, to replicate and to persist.
    /// - Throws: `CheckpointError`; the store is then unchanged.
    @discardableResult
    public mutating func commit(_ update: CheckpointUpdate) throws(CheckpointError) -> CheckpointUpdate {
        let plan = try plan(update)
        var stamped = update
        stamped.sequence = sequence + 1
        stamped.checksum = plan.removes ? 0 : plan.checksum
        apply(plan, of: stamped)
        assert(sequence == stamped.sequence, "a commit advances the sequence by one")
        return stamped
    }

    /// Applies an update received from the active (the replica): it must be the next in
    /// sequence and must leave the checkpoint with the active's checksum.
    /// - Throws: `outOfOrder`, `checksumMismatch` (the replicas diverged) or any limit error;
    ///   the store is then unchanged.
    public mutating func replay(_ update: CheckpointUpdate) throws(CheckpointError) {
        guard update.sequence == sequence + 1 else {
            throw CheckpointError(
                .outOfOrder, checkpoint: update.checkpoint, value: update.sequence, limit: sequence + 1)
        }
        let plan = try plan(update)
        let expected = plan.removes ? 0 : plan.checksum
        guard expected == update.checksum else {
            throw CheckpointError(
                .checksumMismatch, checkpoint: update.checkpoint, value: UInt64(expected),
                limit: UInt64(update.checksum))
        }
        apply(plan, of: update)
        assert(sequence == update.sequence, "a replay advances the sequence by one")
    }
}
