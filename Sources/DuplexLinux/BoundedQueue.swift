import Synchronization

/// A fixed-capacity FIFO ring between threads: `push` never blocks and never grows, `pop`
/// never blocks. Storage is allocated once, at `init`.
///
/// It is `Sendable` because all of its mutable state lives inside a `Mutex` (which hands
/// access to one thread at a time) and its elements are `Sendable`; `capacity` is immutable.
/// The lock is held only for the few instructions that move an element: never across a system
/// call, so the pair thread can push without waiting on a thread that sleeps in the kernel.
/// Pair it with an `EventFD` to wake the consumer.
public final class BoundedQueue<Element: Sendable>: Sendable {
    private struct Ring {
        /// `capacity` slots, allocated once; assigning a slot in place never reallocates
        /// because the array is uniquely owned by the mutex.
        var slots: [Element?]
        var head = 0
        var count = 0
    }

    /// The most elements the queue holds.
    public let capacity: Int
    private let ring: Mutex<Ring>

    /// - Parameter capacity: at least 1.
    /// - Important: traps when `capacity` is less than 1.
    public init(capacity: Int) {
        precondition(capacity >= 1, "a queue holds at least one element")
        self.capacity = capacity
        ring = Mutex(Ring(slots: Array(repeating: nil, count: capacity)))
    }

    /// Appends `element` at the tail.
    /// - Returns: `false`, leaving the queue unchanged, when it is full.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        ring.withLock { ring in
            guard ring.count < capacity else { return false }
            let tail = (ring.head + ring.count) % capacity
            precondition(ring.slots[tail] == nil, "the tail slot is free")
            ring.slots[tail] = element
            ring.count += 1
            return true
        }
    }

    /// Removes and returns the element at the head; `nil` when the queue is empty.
    public func pop() -> Element? {
        ring.withLock { ring in
            guard ring.count > 0 else { return nil }
            let element = ring.slots[ring.head].take()
            precondition(element != nil, "the head slot is full")
            ring.head = (ring.head + 1) % capacity
            ring.count -= 1
            return element
        }
    }

    /// The number of queued elements (a snapshot: another thread may change it at once).
    public var count: Int { ring.withLock { $0.count } }

    /// Whether the queue was empty at the moment of the call.
    public var isEmpty: Bool { count == 0 }
}
