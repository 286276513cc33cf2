/// The actions of one `ReplicationCore.handle` call, at most `Limits.replicationActionsMax`.
public struct ReplicationActions: Sendable, RandomAccessCollection {
    private var storage: [ReplicationAction] = []

    public init() {
        // A write makes three actions (apply, send, complete): one allocation, not three.
        storage.reserveCapacity(4)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }

    public subscript(position: Int) -> ReplicationAction {
        // Read in place: a caller that passes `actions[i]` on borrows it, no copy (and no
        // retain and release of what it carries).
        _read { yield storage[position] }
    }

    /// - Important: traps when more than `Limits.replicationActionsMax` actions are appended (a
    ///   core bug: every source of actions is bounded by a smaller limit).
    mutating func append(_ action: ReplicationAction) {
        precondition(storage.count < Limits.replicationActionsMax, "too many actions in one step")
        storage.append(action)
    }

    /// Empties the collection and keeps its storage, for the next `handle(_:now:into:)`.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }
}
