import DuplexCore
import Testing

/// The checkpoint part of the status report (`duplexctl status`).
@Suite struct StatusCheckpointCodecTests {
    static func status(_ checkpoints: CheckpointSyncReport?) -> StatusReport {
        var report = ControlSamples.fullStatus
        report.checkpoints = checkpoints
        return report
    }

    static var receiving: CheckpointSyncReport {
        var progress = ReplicationProgress()
        progress.phase = .receiving
        progress.snapshot = 9
        progress.chunksReceived = 12
        progress.chunksTotal = 30
        progress.sectionsReceived = 1_200
        progress.sectionsTotal = 3_000
        progress.bytesReceived = 1_228_800
        progress.bytesTotal = 3_072_000
        progress.sequence = 41
        progress.backlog = 7
        return CheckpointSyncReport(
            role: .standby, syncPolicy: .degrade, progress: progress, mateReachable: true, sequence: 41,
            checkpoints: 2, sections: 1_200, bytes: 1_228_800, clients: 1)
    }

    static var activeWithLag: CheckpointSyncReport {
        var progress = ReplicationProgress()
        progress.sequence = UInt64.max
        return CheckpointSyncReport(
            role: .active, syncPolicy: .fail, progress: progress, mateIsHot: true, mateReachable: true, mateLag: 3,
            sequence: UInt64.max, checkpoints: 1, sections: 5, bytes: 320, window: 3, pending: 1, clients: 2,
            writesRefused: 4)
    }

    @Test(arguments: [nil, receiving, activeWithLag])
    func statusWithCheckpointsRoundTrips(_ sync: CheckpointSyncReport?) throws {
        let response = ControlResponse.status(Self.status(sync))
        let decoded = try ControlResponse.decode(try ControlFrame.decode(try response.encode()))
        #expect(decoded == response)
        guard case .status(let report) = decoded else { return }
        #expect(report.checkpoints?.summary == sync?.summary)
    }

    @Test func theSummaryShowsTheSnapshotProgress() {
        #expect(Self.receiving.summary == "receiving 40%")
        #expect(Self.activeWithLag.summary == "mate hot")
    }

    @Test(arguments: [receiving, activeWithLag])
    func everyTruncatedStatusIsRefused(_ sync: CheckpointSyncReport) throws {
        let frame = try ControlResponse.status(Self.status(sync)).frame()
        for length in 0..<frame.payload.count {
            let truncated = ControlFrame(type: frame.type, payload: Array(frame.payload.prefix(length)))
            #expect(ControlProtocolTests.code { try ControlResponse.decode(truncated) } == .truncated, "length \(length)")
        }
    }

    @Test func aBadCheckpointPartIsMalformed() throws {
        var payload = try ControlResponse.status(Self.status(Self.activeWithLag)).frame().payload
        let blobLength = Self.activeWithLag.encoded().count
        // The blob's first byte is the role.
        payload[payload.count - blobLength] = 200
        let frame = ControlFrame(type: .statusReport, payload: payload)
        #expect(ControlProtocolTests.code { try ControlResponse.decode(frame) } == .malformed)
        // A blob with a byte too many.
        var longer = try ControlResponse.status(Self.status(nil)).frame().payload
        longer.removeLast()
        longer += [1] + ControlProtocolTests.bigEndian(UInt32(blobLength + 1)) + Self.activeWithLag.encoded() + [0]
        #expect(ControlProtocolTests.code {
            try ControlResponse.decode(ControlFrame(type: .statusReport, payload: longer))
        } == .malformed)
    }
}
