import Duplex
import DuplexCore
import DuplexLinux
import Glibc
import Synchronization
import Testing

/// The client connection's read role: blocked callers read their own answers, the reader
/// thread reads for `async` callers and for failures of asynchronous writes.
@Suite("CheckpointConnection", .serialized)
struct CheckpointConnectionTests {
    /// Threads sharing one checkpoint: each gets its own answers, in the order it wrote.
    @Test func threadsSharingOneConnectionGetTheirOwnAnswers() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("shared")
        let threads = 4
        let writes = 200
        let failures = FailureCount()
        var started: [PosixThread] = []
        for thread in 0..<threads {
            started.append(try PosixThread.start(name: "ckpt-writer") {
                var last: UInt64 = 0
                for index in 0..<writes {
                    do {
                        let key = SectionKey("t\(thread)/\(index % 50)")
                        if index % 10 == 9 {
                            try checkpoint.write(key, [UInt8(index % 256)], mode: .async)
                            continue
                        }
                        guard let result = try checkpoint.write(key, [UInt8(thread), UInt8(index % 256)]),
                            result.sequence > last
                        else {
                            failures.value.add(1, ordering: .relaxed)
                            continue
                        }
                        last = result.sequence
                        if index % 25 == 0, try checkpoint.read(key) == nil { failures.value.add(1, ordering: .relaxed) }
                    } catch {
                        failures.value.add(1, ordering: .relaxed)
                    }
                }
            })
        }
        for thread in started { thread.join() }
        #expect(failures.value.load(ordering: .relaxed) == 0)
        try checkpoint.flush()
        for thread in 0..<threads {
            // Index 199 (async) is the last write of key 49; 198 (sync) of key 48.
            #expect(try checkpoint.read(SectionKey("t\(thread)/49")) == [199])
            #expect(try checkpoint.read(SectionKey("t\(thread)/48")) == [UInt8(thread), 198])
        }
    }

    /// Blocking and `async` callers on one connection at the same time.
    @Test func blockingAndAsyncCallersShareOneConnection() async throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("mixed")
        let blocking = try PosixThread.start(name: "ckpt-blocking") {
            for index in 0..<300 {
                // The async task checks every value it reads; a failure here shows below.
                _ = try? checkpoint.write(SectionKey("b/\(index % 20)"), [1])
            }
        }
        for index in 0..<300 {
            let result = try await checkpoint.write(SectionKey("a/\(index % 20)"), [2])
            #expect(result != nil)
        }
        blocking.join()
        #expect(try await checkpoint.read("b/19") == [1])
        #expect(try await checkpoint.read("a/19") == [2])
        #expect(try await checkpoint.flush().sequence > 0)
    }

    /// Asynchronous writes sent together (one socket write, served in one wake-up) that run
    /// into the checkpoint's size limit part-way: exactly the writes over the limit fail,
    /// reported at the flush in order, and the sections before them are all there.
    @Test func coalescedAsyncWritesFailExactlyThoseOverTheLimit() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("full", limits: CheckpointLimits(sizeMax: 16 * 1024, sectionsMax: 100, sectionSizeMax: 1024))
        let count = 40
        for index in 0..<count {
            try checkpoint.write(SectionKey("k/\(100 + index)"), [UInt8](repeating: UInt8(index), count: 1000), mode: .async)
        }
        var failed: [CheckpointClientError] = []
        do {
            try checkpoint.flush()
            Issue.record("the flush reports no failure")
        } catch {
            #expect(error.code == .asyncWriteFailed)
            failed = error.asyncFailures
        }
        var present = 0
        for index in 0..<count where try checkpoint.read(SectionKey("k/\(100 + index)")) != nil {
            #expect(index == present, "the sections written are a prefix of the writes")
            present += 1
        }
        #expect(present > 0 && present < count)
        #expect(failed.count == count - present)
        #expect(failed.allSatisfy { $0.code == .overLimit })
        #expect(failed.first?.checkpointError?.code == .checkpointTooLarge)
        // The connection goes on: a sync write after the failures is answered.
        #expect(try checkpoint.write("k/000", [1])?.sequence ?? 0 > 0)
    }

    /// A connection the daemon closed fails its calls with `connectionLost`; dropping it
    /// later leaves alone a connection opened since (which may have its descriptor number if
    /// the broken one had closed its own early).
    @Test func aBrokenConnectionFailsAndItsCloseSparesLaterConnections() throws {
        var first: Duplex.Checkpoint?
        do {
            let fixture = try CheckpointServiceFixture(policy: .degrade)
            first = try fixture.open("gone")
            try first!.write("k", [1])
            // An asynchronous write keeps the reader thread reading: it sees the end.
            try first!.write("k", [2], mode: .async)
            try first!.write("k", [3], mode: .async)
            fixture.stop()
        }  // the service is gone: its client sockets are closed
        expectError(.connectionLost) { () throws(CheckpointClientError) in
            for _ in 0..<3 { try first!.flush() }
        }
        // Not a timing check: time for a reader thread that would close its descriptor early
        // to do so, so that the connections below could get its number.
        usleep(50_000)
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        // Enough connections that one of them gets any descriptor number freed above.
        let later = try (0..<12).map { _ throws(CheckpointClientError) in try fixture.open("kept") }
        first = nil
        for (index, checkpoint) in later.enumerated() {
            #expect(try checkpoint.write("k", [UInt8(index)]) != nil)
        }
        #expect(try later[0].read("k") == [11])
    }

    /// Checkpoints opened, used and dropped one after the other: each connection ends (its
    /// reader thread, idle since the blocked callers read their own answers, sees the close).
    @Test func closingWhileIdleEndsTheReaderThread() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        for round in 0..<20 {
            let checkpoint = try fixture.open("idle")
            try checkpoint.write(SectionKey("r/\(round)"), [1])
        }
        let checkpoint = try fixture.open("idle")
        #expect(try checkpoint.allSections().count == 20)
    }
}

/// A count shared by writer threads.
final class FailureCount: Sendable {
    let value = Atomic<Int>(0)
}
