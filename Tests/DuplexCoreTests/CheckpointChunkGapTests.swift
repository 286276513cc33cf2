import DuplexCore
import Testing

/// Snapshot chunks the size of a datagram, and a lost one: the standby keeps the chunks after
/// it and reports the gap; the active sends the missing chunk again at once, and only it.
@Suite struct CheckpointChunkGapTests {
    static let start = Instant(nanoseconds: 1_000_000_000)

    static func sends(_ actions: ReplicationActions) -> [ReplicationMessage] {
        actions.compactMap { action in
            if case .send(let message) = action { message } else { nil }
        }
    }

    static func chunkIndices(_ messages: [ReplicationMessage]) -> [UInt32] {
        messages.compactMap { message in
            if case .snapshotChunk(let chunk) = message.body { chunk.index } else { nil }
        }
    }

    static func acks(_ messages: [ReplicationMessage]) -> [ReplicationAck] {
        messages.compactMap { message in
            if case .ack(let ack) = message.body { ack } else { nil }
        }
    }

    @Test func aLostChunkIsSentAgainOnTheGapReportAlone() throws {
        var configuration = ReplicationConfiguration(incarnation: 1)
        configuration.chunkSizeMax = Limits.checkpointChunkSizeMin
        #expect(configuration.isValid)
        var active = ReplicationCore(configuration: configuration)
        var standby = ReplicationCore(configuration: ReplicationConfiguration(incarnation: 2))
        _ = active.handle(.roleChanged(.active, epoch: 1), now: Self.start)
        let create = CheckpointUpdate(checkpoint: "c", operations: [.create(.maximal)])
        _ = active.handle(.writeRequested(request: 1, update: create, sync: false), now: Self.start)
        for index in 0..<40 {
            let update = CheckpointUpdate(
                checkpoint: "c", operations: [.write(SectionKey("k\(index)"), Array(repeating: UInt8(index), count: 200))])
            _ = active.handle(.writeRequested(request: UInt64(2 + index), update: update, sync: false), now: Self.start)
        }
        _ = standby.handle(.roleChanged(.standby, epoch: 0), now: Self.start)
        _ = active.handle(.mateReachable(true), now: Self.start)
        let requests = Self.sends(standby.handle(.mateReachable(true), now: Self.start))
        var chunks: [ReplicationMessage] = []
        for request in requests { chunks += Self.sends(active.handle(.messageReceived(request), now: Self.start)) }
        let sent = Self.chunkIndices(chunks)
        #expect(sent.count >= 8, "every chunk of a small snapshot in flight at once: \(sent)")
        // Chunk 1 is lost; the others arrive and are held.
        let arrival = Self.start + .microseconds(100)
        var answers: [ReplicationMessage] = []
        for (position, message) in chunks.enumerated() where position != 1 {
            answers += Self.sends(standby.handle(.messageReceived(message), now: arrival))
        }
        let reported = try #require(Self.acks(answers).last)
        #expect(reported.chunks == 1 && reported.gap, "the gap reported: \(reported)")
        #expect(standby.progress.chunksReceived == 1)
        // The active answers the reports with chunk 1 once (within the holdoff), nothing else.
        var resent: [ReplicationMessage] = []
        for answer in answers { resent += Self.sends(active.handle(.messageReceived(answer), now: arrival + .microseconds(50))) }
        #expect(Self.chunkIndices(resent) == [1], "only the missing chunk again: \(Self.chunkIndices(resent))")
        #expect(active.counters.chunksResent == 1)
        // Chunk 1 arrives: the held chunks are taken with it, and the gap is gone.
        var after: [ReplicationMessage] = []
        for message in resent { after += Self.sends(standby.handle(.messageReceived(message), now: arrival + .microseconds(100))) }
        let caughtUp = try #require(Self.acks(after).last)
        #expect(caughtUp.chunks == UInt32(sent.count) && !caughtUp.gap, "every chunk taken: \(caughtUp)")
    }

    @Test func aChunkSizeFitsTheLinksDatagrams() {
        #expect(ReplicationConfiguration.chunkSize(fitting: 1_472) == 1_472 - SnapshotChunk.messageOverhead)
        #expect(ReplicationConfiguration.chunkSize(fitting: 8_972) == 8_972 - SnapshotChunk.messageOverhead)
        #expect(ReplicationConfiguration.chunkSize(fitting: 65_507) == Limits.checkpointChunkSizeMax)
        #expect(ReplicationConfiguration.chunkSize(fitting: 100) == Limits.checkpointChunkSizeMin)
        var configuration = ReplicationConfiguration(incarnation: 1)
        configuration.chunkSizeMax = ReplicationConfiguration.chunkSize(fitting: 1_472)
        #expect(configuration.isValid)
        // 1,462 chunks of this size would fit the bytes: the count bounds it.
        #expect(configuration.chunksInFlightMax == Limits.snapshotChunksInFlightMax)
        configuration.chunkSizeMax = ReplicationConfiguration.chunkSize(fitting: 8_972)
        #expect(configuration.chunksInFlightMax == Limits.snapshotBytesInFlightMax / configuration.chunkSizeMax)
        configuration.chunkSizeMax = Limits.checkpointChunkSizeMax
        #expect(configuration.chunksInFlightMax == 64)
        configuration.chunkSizeMax = Limits.checkpointChunkSizeMin - 1
        #expect(!configuration.isValid)
    }
}
