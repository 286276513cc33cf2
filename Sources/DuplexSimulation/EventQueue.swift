/// A priority queue of timed items, ordered by (time, insertion counter), so that items at
/// the same instant come out in the order they were scheduled: the order never depends on
/// anything but the seed.
struct EventQueue<Item> {
    private struct Entry {
        var time: UInt64
        var order: UInt64
        var item: Item
    }

    private var heap: [Entry] = []
    private var counter: UInt64 = 0
    /// A bound on pending items: a simulation that exceeds it is broken, not slow.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(256)
    }

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    var nextTime: UInt64? { heap.first?.time }

    /// - Important: traps when the queue is full (a runaway simulation).
    mutating func push(_ item: Item, at time: UInt64) {
        precondition(heap.count < capacity, "event queue overflow")
        counter += 1
        heap.append(Entry(time: time, order: counter, item: item))
        siftUp(heap.count - 1)
    }

    mutating func pop() -> (time: UInt64, item: Item)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return (top.time, top.item)
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.time != b.time ? a.time < b.time : a.order < b.order
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            var smallest = left
            if right < heap.count, Self.before(heap[right], heap[left]) { smallest = right }
            guard Self.before(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
