import Duplex
import DuplexCore
import DuplexLinux
import Glibc
import Synchronization
import SystemPackage
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

    /// A daemon that answers faster than the client reads and reads the client's requests
    /// only once its answers are taken (as `duplexd` does: a client whose answers back up is
    /// not read). A writer whose send is blocked by the full socket must not hold what the
    /// reader thread needs to take the answers: a send blocked under the connection's lock
    /// once hung a line-card process for good (every asynchronous write of a fill failed with
    /// "not active" after a role change, one answer each). Here a fake daemon sends 30,000
    /// failure answers before it reads anything, while the client writes 30,000 asynchronous
    /// 1 KB sections; both directions must drain. Bounded: if the writes do not end within
    /// 60 s, the fake daemon shuts the socket down (the blocked send fails) and the test fails.
    /// With three writer threads, the two that do not send queue a bounded amount and wait.
    @Test(arguments: [1, 3]) func aWriterBlockedOnAFullSocketLetsTheAnswersBeRead(_ threads: Int) throws {
        let path = "/tmp/duplex-flood-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try FloodServer(path: path, answers: 30_000)
        defer { server.finish() }
        let checkpoint = try Duplex.Checkpoint.open(name: "flood", socketPath: path, timeout: .seconds(5))
        let done = FailureCount()
        let errors = FailureCount()
        let writers = try (0..<threads).map { thread in
            try PosixThread.start(name: "ckpt-flood") {
                for index in stride(from: thread, to: 30_000, by: threads) {
                    do {
                        try checkpoint.write(SectionKey("k/\(index)"), [UInt8](repeating: 9, count: 1_000), mode: .async)
                    } catch {
                        errors.value.add(1, ordering: .relaxed)
                        break
                    }
                }
                done.value.add(1, ordering: .releasing)
            }
        }
        var waited = 0
        while done.value.load(ordering: .acquiring) < threads, waited < 6_000 {
            usleep(10_000)
            waited += 1
        }
        let finished = done.value.load(ordering: .acquiring) == threads
        #expect(finished, "the asynchronous writes ended within 60 s")
        if !finished { server.shutDownClient() }
        for writer in writers { writer.join() }
        #expect(errors.value.load(ordering: .relaxed) == 0)
        #expect(server.answersSent() == 30_000, "every answer was taken")
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

/// A fake checkpoint service for one client: answers its `open`, then sends `answers`
/// failure answers (as for asynchronous writes) before it reads anything more, then reads
/// and drops everything until the client goes.
final class FloodServer: @unchecked Sendable {
    // @unchecked Sendable: `client` is set by the server thread before `ready` is signalled
    // and read after; the counter is atomic.
    let path: String
    let listener: Int32
    let sent = Atomic<Int>(0)
    let clientDescriptor = Atomic<Int32>(-1)
    private var thread: PosixThread?

    init(path: String, answers: Int) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        let bound = withUnixAddress(path) { bind(fd, $0, $1) }
        guard bound == 0, listen(fd, 1) == 0 else {
            let error = Errno(rawValue: errno)
            Glibc.close(fd)
            throw error
        }
        listener = fd
        thread = try PosixThread.start(name: "flood-server") { [self] in
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            clientDescriptor.store(client, ordering: .releasing)
            defer { Glibc.close(client) }
            // The open request (after refusing the library's offer of shared rings, as a daemon
            // that keeps sessions on the socket does): answer it as writable.
            guard var (openID, _, type) = Self.readFrame(client) else { return }
            if type == .sharedRings {
                var refusal: [UInt8] = []
                SessionResponse.failed(SessionError(.badRequest, message: "socket only")).encode(request: openID, into: &refusal)
                guard Self.writeAll(client, refusal), let next = Self.readFrame(client) else { return }
                (openID, _, type) = next
            }
            let info = CheckpointInfo(
                name: "flood", limits: .maximal, sequence: 0, size: 0, sectionCount: 0, role: .active, isWritable: true,
                isReplicaHot: true)
            var bytes: [UInt8] = []
            SessionResponse.opened(info).encode(request: openID, into: &bytes)
            guard Self.writeAll(client, bytes) else { return }
            // Failure answers for the requests that follow, before reading any of them.
            for index in 0..<answers {
                bytes.removeAll(keepingCapacity: true)
                SessionResponse.failed(SessionError(.notActive, message: "flood")).encode(
                    request: openID &+ 1 &+ UInt32(index), into: &bytes)
                guard Self.writeAll(client, bytes) else { return }
                sent.add(1, ordering: .relaxed)
            }
            var sink = [UInt8](repeating: 0, count: 65_536)
            while recv(client, &sink, sink.count, 0) > 0 {}
        }
    }

    func answersSent() -> Int { sent.load(ordering: .relaxed) }

    /// Ends a hung exchange: the client's blocked send fails.
    func shutDownClient() {
        let client = clientDescriptor.load(ordering: .acquiring)
        if client >= 0 { _ = shutdown(client, Int32(SHUT_RDWR)) }
    }

    func finish() {
        shutDownClient()
        _ = shutdown(listener, Int32(SHUT_RDWR))
        thread?.join()
        Glibc.close(listener)
        unlink(path)
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    /// One whole request frame: its id, length and type.
    static func readFrame(_ descriptor: Int32) -> (UInt32, Int, SessionMessageType)? {
        var frame = [UInt8](repeating: 0, count: SessionHeader.size)
        guard readExactly(descriptor, &frame, from: 0),
            let header = try? frame.withUnsafeBytes({ try SessionHeader.parse($0) })
        else { return nil }
        frame += [UInt8](repeating: 0, count: header.length - SessionHeader.size)
        guard readExactly(descriptor, &frame, from: SessionHeader.size) else { return nil }
        return (header.request, header.length, header.type)
    }

    static func readExactly(_ descriptor: Int32, _ bytes: inout [UInt8], from start: Int) -> Bool {
        var offset = start
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + offset, $0.count - offset, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }
}
