/// How a write reaches the mate.
public enum WriteMode: Sendable, Hashable {
    /// Returns once the mate's replica holds the write (or, with `[checkpoint] sync-policy =
    /// degrade` and no hot mate, once it is applied here: see ``WriteResult/isReplicated``).
    case sync
    /// Returns at once; the write is applied and replicated in order later. A failure is
    /// reported by the next ``Checkpoint/flush()``.
    case async
}

/// What a synchronous write or a flush achieved.
public struct WriteResult: Sendable, Hashable {
    /// The board's update sequence of the write (for a flush: of the last write before it).
    public var sequence: UInt64
    /// The mate's replica holds it: a failover does not lose it.
    public var isReplicated: Bool

    public init(sequence: UInt64, isReplicated: Bool) {
        self.sequence = sequence
        self.isReplicated = isReplicated
    }
}

/// Several section writes and deletes applied as one atomic update: all or none, in one
/// sequence number, replicated together.
///
/// ```swift
/// var batch = CheckpointBatch()
/// batch.write("calls/17", callRecord)
/// batch.delete("calls/12")
/// try checkpoint.apply(batch)
/// ```
public struct CheckpointBatch: Sendable, Hashable {
    public private(set) var operations: [CheckpointUpdate.Operation] = []

    public init() {}

    /// Writes (creates or overwrites) a section.
    public mutating func write(_ key: SectionKey, _ bytes: [UInt8]) {
        operations.append(.write(key, bytes))
    }

    /// Deletes a section (the update fails with `invalid` if it does not exist).
    public mutating func delete(_ key: SectionKey) {
        operations.append(.delete(key))
    }

    public var isEmpty: Bool { operations.isEmpty }
    public var count: Int { operations.count }
}
