import Testing

@testable import DuplexCore

@Suite struct CheckpointLimitsTests {
    @Test func limitsAgree() {
        // One write of the largest section under the longest key fits one update.
        let largestWrite = CheckpointUpdate.headerSize + 1 + Limits.checkpointNameSizeMax + 2
            + (1 + 2 + Limits.sectionKeySizeMax + 4 + Limits.sectionSizeMax) + 4
        #expect(largestWrite <= Limits.checkpointUpdateSizeMax)
        // Any update, and any chunk, fits a replication message.
        #expect(ReplicationMessage.headerSize + 1 + Limits.checkpointUpdateSizeMax + 4 <= Limits.replicationMessageSizeMax)
        #expect(ReplicationMessage.headerSize + 18 + Limits.checkpointChunkSizeMax + 4 <= Limits.replicationMessageSizeMax)
        // An update travels the control socket in one frame, with room for its request fields.
        #expect(Limits.checkpointUpdateSizeMax + 1024 <= ControlFrame.payloadSizeMax)
        // Wire field widths.
        #expect(Limits.checkpointNameSizeMax <= Int(UInt8.max))
        #expect(Limits.sectionKeySizeMax <= Int(UInt16.max))
        #expect(Limits.checkpointOperationsMax <= Int(UInt16.max))
        #expect(Limits.checkpointChunkSizeMax <= Int(UInt16.max))
        #expect(Limits.sectionsMax <= Int(UInt32.max) && Limits.sectionSizeMax <= Int(UInt32.max))
        // A chunk always has room for a section header and a useful part of the value.
        #expect(Limits.checkpointChunkSizeMax >= SnapshotChunk.beginSize + 13 + Limits.sectionKeySizeMax + SnapshotChunk.partMin)
        #expect(Limits.checkpointChunkSizeMax >= SnapshotChunk.beginSize + 34 + Limits.checkpointNameSizeMax)
        // Sizes nest.
        #expect(Limits.sectionSizeMax <= Limits.checkpointSizeMax)
        #expect(Limits.checkpointSizeMax <= Limits.checkpointStoreSizeMax)
        #expect(Limits.checkpointOperationsMax >= 2)
    }

    @Test func replicationLimitsAgree() {
        // A standby can hold everything the active has in flight, and more during a snapshot.
        #expect(Limits.replicationBacklogMax >= Limits.replicationWindowMax)
        #expect(Limits.replicationBacklogSizeMax >= Limits.replicationWindowSizeMax)
        #expect(Limits.replicationWindowSizeMax >= Limits.checkpointUpdateSizeMax)
        #expect(Limits.replicationResendBatchMax <= Limits.replicationWindowMax)
        #expect(Limits.replicationPendingMax >= Limits.replicationWindowMax, "every write in flight may be synchronous")
        // One step: every held update applied, every waiting request completed, two resend
        // batches (a nack and the timer), the chunks in flight twice (new and resent), and a few
        // acks and traces.
        #expect(
            Limits.replicationActionsMax
                >= Limits.replicationBacklogMax + Limits.replicationPendingMax + 2 * Limits.replicationResendBatchMax
                + 2 * Limits.snapshotChunksInFlightMax + 16)
        #expect(ReplicationConfiguration(incarnation: 1).isValid)
    }
}
