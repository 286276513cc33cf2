extension ReplicationCore.Counters {
    /// The counters in their wire order (`CheckpointSyncReport`'s encoding): new counters go
    /// at the end only.
    var encodedValues: [UInt64] {
        [
            updatesSent, updatesResent, updatesApplied, duplicatesDropped, staleDropped, acksSent, nacksSent,
            nacksReceived, chunksSent, chunksResent, snapshotsServed, snapshotsInstalled, resyncs, malformed,
            writesRefused, tailProbes,
        ]
    }

    /// The counters from `encodedValues`; values past the known ones are ignored, missing ones are 0.
    init(encodedValues values: [UInt64]) {
        self.init()
        let fields: [WritableKeyPath<Self, UInt64>] = [
            \.updatesSent, \.updatesResent, \.updatesApplied, \.duplicatesDropped, \.staleDropped, \.acksSent,
            \.nacksSent, \.nacksReceived, \.chunksSent, \.chunksResent, \.snapshotsServed, \.snapshotsInstalled,
            \.resyncs, \.malformed, \.writesRefused, \.tailProbes,
        ]
        for (field, value) in zip(fields, values) { self[keyPath: field] = value }
    }
}
