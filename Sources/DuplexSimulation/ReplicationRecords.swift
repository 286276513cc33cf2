import DuplexCore

/// The last events and actions of a replication run, kept as values and formatted only when
/// a failure prints them.
struct ReplicationRecords: Sendable {
    struct Entry: Sendable {
        var time: Duration
        var board: Int?
        var what: What
    }

    enum What: Sendable {
        case event(ReplicationEvent)
        case action(ReplicationAction)
        case note(String)
    }

    private var storage: [Entry] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "an empty ring")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    mutating func append(_ entry: Entry) {
        if storage.count < capacity {
            storage.append(entry)
        } else {
            storage[next] = entry
        }
        next = (next + 1) % capacity
        assert(storage.count <= capacity, "the ring stays within its capacity")
    }

    /// Oldest first, each line cut to a readable length.
    var formatted: [String] {
        let ordered = storage.count == capacity ? Array(storage[next...] + storage[..<next]) : storage
        return ordered.map { entry in
            let who = entry.board.map { "board\($0 + 1)" } ?? "sim"
            let text: String
            switch entry.what {
            case .event(let event): text = "<- \(Self.describe(event))"
            case .action(let action): text = "-> \(Self.describe(action))"
            case .note(let note): text = note
            }
            return "\(SimulationRecord.format(entry.time)) \(who) \(text)"
        }
    }

    static func describe(_ event: ReplicationEvent) -> String {
        switch event {
        case .messageReceived(let message): describe(message)
        case .writeRequested(let request, let update, let sync):
            "write #\(request) \(sync ? "sync" : "async") \(update.checkpoint) \(update.operations.count) ops"
        default: cut("\(event)")
        }
    }

    static func describe(_ action: ReplicationAction) -> String {
        switch action {
        case .send(let message): "send \(describe(message))"
        case .apply(let update): "apply \(update)"
        default: cut("\(action)")
        }
    }

    static func describe(_ message: ReplicationMessage) -> String {
        switch message.body {
        case .update(let update, let ackNow): "update #\(update.sequence)\(ackNow ? " ackNow" : "") e\(message.epoch)"
        case .updates(let updates, let ackNow):
            "updates #\(updates.first!.sequence)...\(updates.last!.sequence)\(ackNow ? " ackNow" : "") e\(message.epoch)"
        case .snapshotChunk(let chunk): "chunk \(chunk.index)/\(chunk.total) of \(chunk.snapshot) e\(message.epoch)"
        default: cut("\(message.body) e\(message.epoch)")
        }
    }

    static func cut(_ text: String) -> String {
        text.count <= 200 ? text : String(text.prefix(200)) + "..."
    }
}
