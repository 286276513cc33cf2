import DuplexCore
import Testing

/// The replication counters in the checkpoint part of the status and checkpoint reports
/// (`duplexctl checkpoints --json`: resent, nacks, duplicates dropped...).
@Suite struct ReplicationCountersCodecTests {
    static var counters: ReplicationCore.Counters {
        var counters = ReplicationCore.Counters()
        counters.updatesSent = 3_000
        counters.updatesResent = 41
        counters.updatesApplied = 2_999
        counters.duplicatesDropped = 17
        counters.staleDropped = 2
        counters.acksSent = 600
        counters.nacksSent = 12
        counters.nacksReceived = 11
        counters.chunksSent = 5
        counters.chunksResent = 1
        counters.snapshotsServed = 1
        counters.snapshotsInstalled = 1
        counters.resyncs = 1
        counters.malformed = 3
        counters.writesRefused = UInt64.max
        counters.tailProbes = 4
        return counters
    }

    static var report: CheckpointSyncReport {
        var report = CheckpointSyncReport(role: .active, syncPolicy: .fail, mateIsHot: true, mateReachable: true, sequence: 9)
        report.replication = counters
        return report
    }

    @Test func theCountersRoundTripInTheStatusAndCheckpointReports() throws {
        #expect(try CheckpointSyncReport(blob: Self.report.encoded()).replication == Self.counters)
        let response = ControlResponse.checkpoints(CheckpointReport(sync: Self.report, checkpoints: []))
        let decoded = try ControlResponse.decode(try ControlFrame.decode(try response.encode()))
        guard case .checkpoints(let report) = decoded else {
            Issue.record("not a checkpoint report: \(decoded)")
            return
        }
        #expect(report.sync.replication == Self.counters)
    }

    @Test func fewerOrMoreCountersThanKnownDecode() throws {
        var bytes = CheckpointSyncReport(role: .standby, syncPolicy: .degrade).encoded()
        let known = 16  // the counters this build encodes
        #expect(bytes.last == 0 && bytes[bytes.count - 1 - known * 8] == UInt8(known))
        // The counters part of a zeroed report: its count and that many zeros. Two counters only:
        bytes.removeLast(known * 8 + 1)
        let two = bytes + [2] + [UInt8](repeating: 0, count: 7) + [5] + [UInt8](repeating: 0, count: 7) + [6]
        var expected = ReplicationCore.Counters()
        expected.updatesSent = 5
        expected.updatesResent = 6
        #expect(try CheckpointSyncReport(blob: two).replication == expected)
        // One counter more than this build knows: ignored.
        let more = bytes + [UInt8(known + 1)] + [UInt8](repeating: 0, count: (known + 1) * 8)
        #expect(try CheckpointSyncReport(blob: more).replication == ReplicationCore.Counters())
    }
}
