import Duplex
import DuplexCore
import DuplexLinux
import Glibc
import Logging
import Synchronization
import Testing

/// A checkpoint service on its own thread, serving a socket under /tmp; stopped and joined by
/// `stop()` (each test calls it in a `defer`).
final class CheckpointServiceFixture: Sendable {
    static let counter = Atomic<Int>(0)

    let service: CheckpointService
    let thread: PosixThread
    let path: String

    init(policy: ReplicationConfiguration.SyncPolicy, role: Role? = .active, sharedMemory: Bool = true) throws {
        let serial = Self.counter.add(1, ordering: .relaxed).newValue
        path = "/tmp/duplex-ckpt-\(getpid())-\(serial).sock"
        service = try CheckpointService(
            configuration: ReplicationConfiguration(incarnation: 1, syncPolicy: policy), socketPath: path,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        service.sharedMemorySessions = sharedMemory
        let service = self.service
        thread = try PosixThread.start(name: "ckpt-test") {
            do {
                try service.run()
            } catch {
                Issue.record("checkpoint service failed: \(error)")
            }
        }
        if let role { try setRole(role, epoch: 1) }
    }

    /// Changes the role and waits (bounded) until the service took it.
    func setRole(_ role: Role, epoch: UInt64) throws {
        #expect(service.post(.roleChanged(role, epoch: epoch)))
        for _ in 0..<2_000 where service.status.role != role {
            usleep(1_000)
        }
        try #require(service.status.role == role)
    }

    func stop() {
        service.post(.stop)
        thread.join()
    }

    func open(_ name: String, limits: CheckpointLimits = .small, creating: Bool = true) throws(CheckpointClientError) -> Duplex.Checkpoint {
        try Duplex.Checkpoint.open(name: name, limits: limits, creating: creating, socketPath: path, timeout: .seconds(5))
    }
}

extension CheckpointLimits {
    static let small = CheckpointLimits(sizeMax: 64 * 1024, sectionsMax: 2_000, sectionSizeMax: 1024)
}

/// Expects a checkpoint client error with this code.
func expectError(_ code: CheckpointClientError.Code, _ body: () throws(CheckpointClientError) -> Void) {
    do {
        try body()
        Issue.record("expected \(code), nothing thrown")
    } catch {
        #expect(error.code == code, "\(error)")
    }
}

@Suite("CheckpointService", .serialized)
struct CheckpointServiceTests {
    @Test func writesReadsAndIteratesOnTheActive() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("calls")
        #expect(checkpoint.isWritable)
        #expect(checkpoint.openedInfo.sectionCount == 0)
        let written = try checkpoint.write("a", [1, 2, 3])
        let result = try #require(written)
        #expect(!result.isReplicated)  // no mate, sync policy degrade
        #expect(try checkpoint.read("a") == [1, 2, 3])
        #expect(try checkpoint.read("missing") == nil)
        try checkpoint.write("a", [4])
        #expect(try checkpoint.read("a") == [4])
        for index in 0..<1_500 {
            try checkpoint.write(SectionKey("k\(index)"), [UInt8(truncatingIfNeeded: index)], mode: .async)
        }
        let flushed = try checkpoint.flush()
        #expect(flushed.sequence == result.sequence + 1_501)
        #expect(try checkpoint.read("k1499") == [UInt8(truncatingIfNeeded: 1499)])
        let all = try checkpoint.allSections()
        #expect(all.count == 1_501)
        #expect(all.map { $0.key } == all.map { $0.key }.sorted())
        try checkpoint.delete("a")
        #expect(try checkpoint.read("a") == nil)
        let again = try fixture.open("calls", creating: false)
        #expect(again.openedInfo.sectionCount == 1_500)
    }

    @Test func batchIsAtomicAndOverLimitLeavesTheStateUnchanged() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let limits = CheckpointLimits(sizeMax: 100, sectionsMax: 3, sectionSizeMax: 60)
        let checkpoint = try fixture.open("tight", limits: limits)
        var batch = CheckpointBatch()
        batch.write("x", Array(repeating: 1, count: 40))
        batch.write("y", Array(repeating: 2, count: 40))
        try checkpoint.apply(batch)
        // Over the checkpoint size: neither section of the batch is written.
        var over = CheckpointBatch()
        over.write("x", Array(repeating: 3, count: 10))
        over.write("z", Array(repeating: 4, count: 50))
        expectError(.overLimit) { () throws(CheckpointClientError) in try checkpoint.apply(over) }
        expectError(.overLimit) { () throws(CheckpointClientError) in try checkpoint.write("w", Array(repeating: 0, count: 61)) }
        #expect(try checkpoint.read("x") == Array(repeating: 1, count: 40))
        #expect(try checkpoint.read("z") == nil)
        #expect(try checkpoint.allSections().count == 2)
        expectError(.invalid) { () throws(CheckpointClientError) in try checkpoint.delete("nope") }
        // An asynchronous write over the limit is reported by the next flush.
        try checkpoint.write("z", Array(repeating: 5, count: 50), mode: .async)
        do {
            try checkpoint.flush()
            Issue.record("the failed asynchronous write was not reported")
        } catch {
            #expect(error.code == .asyncWriteFailed)
            #expect(error.asyncFailures.first?.code == .overLimit)
            #expect(error.checkpointError?.code == .checkpointTooLarge)
        }
        #expect(try checkpoint.read("z") == nil)
        try checkpoint.flush()  // reported once
    }

    @Test func syncPolicyFailRefusesSyncWritesWithoutAMate() throws {
        let fixture = try CheckpointServiceFixture(policy: .fail)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("state")
        expectError(.mateNotHot) { () throws(CheckpointClientError) in try checkpoint.write("a", [1]) }
        #expect(try checkpoint.read("a") == nil)
        try checkpoint.write("a", [2], mode: .async)
        #expect(try !checkpoint.flush().isReplicated)
        #expect(try checkpoint.read("a") == [2])
    }

    /// A board without a replication path (no `replication` on any `[link]`) sees its mate on
    /// the pair's paths, but its checkpoints stay local: the standby asks for no snapshot (it
    /// would ask every 200 ms for good, and log each) and the operator reads "not replicated".
    @Test func withoutAReplicationPathTheStandbyAsksForNoSnapshot() throws {
        let fixture = try CheckpointServiceFixture(policy: .fail, role: nil)
        defer { fixture.stop() }
        #expect(fixture.service.post(.pairTrace(.pathChanged(path: 0, up: true, reason: .heartbeatReceived))))
        try fixture.setRole(.standby, epoch: 1)  // handled after the path change: one queue
        let status = fixture.service.status
        #expect(!status.isReplicated)
        #expect(!status.mateReachable)  // so the core never asks (it asks only a reachable mate)
        #expect(status.report.summary == "not replicated")
        let decoded = try CheckpointSyncReport(blob: status.report.encoded())
        #expect(!decoded.isReplicated)
        #expect(decoded.summary == "not replicated")
        // Taking the role over records no loss of a replica this board never had.
        try fixture.setRole(.active, epoch: 2)
        let records = fixture.service.takeRecords().map(\.message)
        #expect(!records.contains { $0.contains("LOSS OF STATE") }, "\(records)")
    }

    @Test func standbyReadsTheReplicaReadOnly() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let writer = try fixture.open("cache")
        try writer.write("a", [7])
        try fixture.setRole(.standby, epoch: 1)
        expectError(.notActive) { () throws(CheckpointClientError) in try writer.write("a", [8]) }
        expectError(.notActive) { () throws(CheckpointClientError) in _ = try fixture.open("new") }
        let reader = try fixture.open("cache", creating: false)
        #expect(!reader.isWritable)
        #expect(try reader.read("a") == [7])
        if case .list(let infos)? = fixture.service.ask(.list) {
            #expect(infos.map(\.name) == ["cache"])
        } else {
            Issue.record("no answer to the list query")
        }
    }

    @Test func asyncVariantsDoNotBlock() async throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let checkpoint = try await Duplex.Checkpoint.open(name: "async", limits: .small, socketPath: fixture.path)
        let result = try await checkpoint.write("a", [1, 2])
        #expect(result?.sequence == checkpoint.openedInfo.sequence + 1)
        #expect(try await checkpoint.read("a") == [1, 2])
        try await checkpoint.write("b", [3], mode: .async)
        try await checkpoint.flush()
        #expect(try await checkpoint.allSections().count == 2)
    }

    @Test func unreachableDaemonIsTyped() {
        expectError(.daemonUnreachable) { () throws(CheckpointClientError) in
            _ = try Duplex.Checkpoint.open(name: "x", socketPath: "/tmp/duplex-ckpt-none-\(getpid()).sock")
        }
    }
}
