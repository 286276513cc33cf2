/// The updates sent to the standby and not acknowledged, oldest first: an array whose
/// acknowledged front is dropped by moving a start index, and cut off only once it is at least
/// half of the storage (amortised constant time per update, where `removeFirst` moved every
/// entry still in the window on every acknowledgement: 4.6 % of the active's checkpoint
/// thread under asynchronous writes).
///
/// Indices run from 0 (the oldest entry) to `count`.
struct UpdateWindow: Sendable, RandomAccessCollection, MutableCollection {
    private var storage: [WindowEntry] = []
    private var start = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { storage.count - start }

    subscript(position: Int) -> WindowEntry {
        get {
            precondition(position >= 0 && position < endIndex, "an index within the window")
            return storage[start + position]
        }
        set {
            precondition(position >= 0 && position < endIndex, "an index within the window")
            storage[start + position] = newValue
        }
    }

    /// When the entry at `position` was last sent (read in place: no copy of its update).
    func sentAt(_ position: Int) -> Instant {
        precondition(position >= 0 && position < endIndex, "an index within the window")
        return storage[start + position].sentAt
    }

    /// Marks the entry at `position` sent at `at`, in place, and returns what a message needs
    /// of it. (Through the subscript, `window[i].sentAt = at` copies the entry out and back,
    /// retaining and releasing its update's storage each time.)
    mutating func markSent(_ position: Int, at: Instant) -> (update: CheckpointUpdate, size: Int, ackNow: Bool) {
        precondition(position >= 0 && position < endIndex, "an index within the window")
        storage[start + position].sentAt = at
        return (storage[start + position].update, storage[start + position].size, storage[start + position].ackNow)
    }

    /// The encoded bytes of the `count` oldest entries (read in place).
    func size(ofFirst count: Int) -> Int {
        precondition(count >= 0 && count <= endIndex, "at most the whole window")
        var bytes = 0
        for index in start..<(start + count) { bytes += storage[index].size }
        return bytes
    }

    mutating func append(_ entry: WindowEntry) {
        storage.append(entry)
    }

    /// Drops the `count` oldest entries.
    mutating func removeFirst(_ count: Int) {
        precondition(count >= 0 && count <= endIndex, "at most the whole window")
        start += count
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 64, start * 2 >= storage.count {
            storage.removeFirst(start)
            start = 0
        }
    }
}
