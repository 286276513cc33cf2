/// The last `capacity` records, oldest first.
struct RecordRing: Sendable {
    private var storage: [SimulationRecord] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "an empty ring")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    /// Appends a record; one identical to the newest (same board and kind) only counts.
    mutating func append(_ record: SimulationRecord) {
        let newest = next == 0 ? storage.count - 1 : next - 1
        if newest >= 0, newest < storage.count, storage[newest].board == record.board,
            storage[newest].kind == record.kind
        {
            storage[newest].repeats += 1
            storage[newest].lastTime = record.time
            return
        }
        if storage.count < capacity {
            storage.append(record)
        } else {
            storage[next] = record
        }
        next = (next + 1) % capacity
    }

    var records: [SimulationRecord] {
        guard storage.count == capacity else { return storage }
        return Array(storage[next...] + storage[..<next])
    }
}
