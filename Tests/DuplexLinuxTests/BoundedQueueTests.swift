import DuplexLinux
import Glibc
import Testing

@Suite("BoundedQueue")
struct BoundedQueueTests {
    @Test func keepsOrderAndRefusesWhenFull() {
        let queue = BoundedQueue<Int>(capacity: 3)
        #expect(queue.capacity == 3)
        #expect(queue.pop() == nil)
        #expect(queue.push(1))
        #expect(queue.push(2))
        #expect(queue.push(3))
        #expect(!queue.push(4))
        #expect(queue.count == 3)
        #expect(queue.pop() == 1)
        #expect(queue.push(4))
        #expect(queue.pop() == 2)
        #expect(queue.pop() == 3)
        #expect(queue.pop() == 4)
        #expect(queue.pop() == nil)
        #expect(queue.isEmpty)
    }

    @Test func wrapsAroundManyTimes() {
        let queue = BoundedQueue<String>(capacity: 4)
        var next = 0
        var expected = 0
        for round in 0..<100 {
            for _ in 0..<(round % 4 + 1) where queue.push("item \(next)") { next += 1 }
            for _ in 0..<(round % 3 + 1) {
                guard let item = queue.pop() else { break }
                #expect(item == "item \(expected)")
                expected += 1
            }
        }
        #expect(queue.count == next - expected)
    }

    @Test func passesEveryElementInOrderBetweenThreads() throws {
        let queue = BoundedQueue<Int>(capacity: 8)
        let total = 20_000
        let producer = try PosixThread.start(name: "producer") {
            var value = 0
            // Bounded: the consumer drains continuously, so a few yields per element suffice.
            for _ in 0..<(total * 1_000) where value < total {
                if queue.push(value) { value += 1 } else { sched_yield() }
            }
        }
        var received = 0
        var inOrder = true
        for _ in 0..<(total * 1_000) where received < total {
            if let value = queue.pop() {
                inOrder = inOrder && value == received
                received += 1
            } else {
                sched_yield()
            }
        }
        producer.join()
        #expect(received == total)
        #expect(inOrder)
    }
}
