import Duplex
import DuplexCore
import DuplexLinux
import Glibc
import Logging
import Testing

/// The takeover barrier between the actuator and the checkpoint thread.
@Suite("CheckpointBarrier", .serialized)
struct CheckpointBarrierTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func passedBarrierLeavesTheStoreWritable() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade, role: .standby)
        defer { fixture.stop() }
        let barrier = try CheckpointBarrier(service: fixture.service, timeout: .seconds(2), logger: Self.quiet)
        let outcome = barrier.awaitBeforeClaim(epoch: 2)
        #expect(outcome.passed, "\(outcome)")
        // The takeover is done before the answer: a process opening now may write.
        let checkpoint = try fixture.open("calls")
        #expect(checkpoint.isWritable)
        try checkpoint.write("a", [1])
        // A role trace of an older epoch that arrives after the barrier is stale.
        fixture.service.post(.pairTrace(.roleChanged(from: .starting, to: .standby, reason: .discoveryMateActive, epoch: 1)))
        #expect(barrier.awaitBeforeClaim(epoch: 2).passed)  // also waits until the trace was handled
        try checkpoint.write("b", [2])
        // (Without a mate this standby never had a snapshot: the takeover itself is a loss.)
        #expect(!fixture.service.takeRecords().contains { $0.message.hasPrefix("LOSS OF STATE possible") })
    }

    @Test func unansweredBarrierTimesOutAndRecordsAPossibleLoss() throws {
        // A service whose thread never runs: nobody answers.
        let path = "/tmp/duplex-barrier-\(getpid()).sock"
        defer { unlink(path) }
        let service = try CheckpointService(
            configuration: ReplicationConfiguration(incarnation: 1, syncPolicy: .fail), socketPath: path, logger: Self.quiet)
        let barrier = try CheckpointBarrier(service: service, timeout: .milliseconds(3), logger: Self.quiet)
        let outcome = barrier.awaitBeforeClaim(epoch: 4)
        guard case .timedOut(let waited) = outcome else {
            Issue.record("expected a timeout, got \(outcome)")
            return
        }
        #expect(waited >= .milliseconds(3))
        barrier.claimedWithoutBarrier(epoch: 4, outcome: outcome)
        let records = service.takeRecords()
        #expect(records.count == 1)
        #expect(records.first?.message.hasPrefix("LOSS OF STATE possible") == true, "\(records)")
        #expect(records.first?.epoch == 4)
    }
}
