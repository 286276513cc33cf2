@testable import DuplexCore
import Testing

/// The active's window of unacknowledged updates: entries read and changed in place by
/// position (counted from the oldest), across the acknowledged front it drops.
struct UpdateWindowTests {
    static func entry(_ sequence: UInt64, size: Int, ackNow: Bool = false) -> WindowEntry {
        let update = CheckpointUpdate(
            checkpoint: "c", operations: [.write(SectionKey(Array("k\(sequence)".utf8)), [UInt8](repeating: 1, count: size))], sequence: sequence)
        return WindowEntry(update: update, size: size, sentAt: .zero, ackNow: ackNow)
    }

    @Test func markingAnEntrySentChangesOnlyItsTimeAndReturnsWhatAMessageNeeds() {
        var window = UpdateWindow()
        for sequence in 1...100 { window.append(Self.entry(UInt64(sequence), size: sequence, ackNow: sequence % 7 == 0)) }
        window.removeFirst(70)  // past the cut-off: the storage is compacted
        #expect(window.count == 30 && window[0].update.sequence == 71)
        let marked = window.markSent(6, at: Instant(nanoseconds: 5_000))
        #expect(marked.update.sequence == 77 && marked.size == 77 && marked.ackNow)
        #expect(window.sentAt(6) == Instant(nanoseconds: 5_000))
        #expect(window.sentAt(5) == .zero && window.sentAt(7) == .zero)
        #expect(window[6].update == marked.update)
    }

    @Test func theSizeOfTheOldestEntriesIsTheirSum() {
        var window = UpdateWindow()
        for sequence in 1...10 { window.append(Self.entry(UInt64(sequence), size: 10 * sequence)) }
        #expect(window.size(ofFirst: 0) == 0)
        #expect(window.size(ofFirst: 3) == 10 + 20 + 30)
        window.removeFirst(2)
        #expect(window.size(ofFirst: 3) == 30 + 40 + 50)
        #expect(window.size(ofFirst: window.count) == (3...10).reduce(0) { $0 + 10 * $1 })
    }
}
