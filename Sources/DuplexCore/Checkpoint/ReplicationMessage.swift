/// A message of the checkpoint replication protocol between the active and its standby.
///
/// `epoch` is the epoch of the active whose stream the message belongs to (from the active, its
/// own; from the standby, the one its replica follows, 0 before it has one). Messages of
/// another epoch are stale or start a resync; they are never applied.
public struct ReplicationMessage: Sendable, Hashable {
    public var epoch: UInt64
    public var body: Body

    public enum Body: Sendable, Hashable {
        /// Active → standby: the next update of the stream. `ackNow` asks for an acknowledgement
        /// at once rather than after the standby's short delay (a synchronous write waits on it).
        case update(CheckpointUpdate, ackNow: Bool)
        /// Active → standby: consecutive updates of the stream, the first one's sequence first
        /// (1...`Limits.replicationBatchUpdatesMax` of them, sequences without a gap), in one
        /// message: one header, one checksum, one step of the standby's core. `ackNow` as for
        /// `update`. The standby takes them as it would take each alone, in order.
        case updates([CheckpointUpdate], ackNow: Bool)
        /// Standby → active: cumulative acknowledgement.
        case ack(ReplicationAck)
        /// Standby → active: updates `from...through` are missing (a gap before later ones).
        case nack(snapshot: UInt64, from: UInt64, through: UInt64)
        /// Standby → active: send a snapshot of the store, tagged `snapshot`.
        case snapshotRequest(snapshot: UInt64, replicaSequence: UInt64)
        /// Active → standby: one piece of the snapshot.
        case snapshotChunk(SnapshotChunk)
        /// Active → standby: every chunk was acknowledged; what the snapshot holds.
        case snapshotDone(SnapshotSummary)
        /// Active → standby: the active holds no stream for snapshot `snapshot` at the message's
        /// epoch (it dropped it on a mate loss only it saw, or started a new epoch): a standby
        /// whose replica follows that stream resynchronises. The epoch is the refused stream's.
        case streamRefused(snapshot: UInt64)
        /// Standby → active, just before the `snapshotRequest` of the same `snapshot`: the
        /// replica is the stream `streamSnapshot` of the active's epoch `streamEpoch` up to
        /// `replicaSequence` and nothing else; if the active still holds every update after
        /// that, it resumes the stream from there (`streamResumed`) instead of sending a
        /// snapshot. A build without it drops it (unknown kind) and serves the snapshot.
        case resumeRequest(snapshot: UInt64, streamSnapshot: UInt64, streamEpoch: UInt64, replicaSequence: UInt64)
        /// Active → standby: the stream goes on, tagged `snapshot`, from the replica's sequence
        /// `from`: the updates after it follow; no snapshot comes.
        case streamResumed(snapshot: UInt64, from: UInt64)
    }

    public init(epoch: UInt64, _ body: Body) {
        self.epoch = epoch
        self.body = body
    }
}

/// The standby's cumulative acknowledgement.
public struct ReplicationAck: Sendable, Hashable {
    /// The snapshot the replica comes from (or is coming from).
    public var snapshot: UInt64
    /// Every update up to this sequence is held: applied, or kept for after the snapshot.
    public var received: UInt64
    /// Every update up to this sequence is applied to the replica (valid once `installed`).
    public var applied: UInt64
    /// Snapshot chunks received in order.
    public var chunks: UInt32
    /// The snapshot is installed: the replica holds the store as of `applied`.
    public var installed: Bool
    /// The replica caught up after its snapshot (see `ReplicationCore.isHot`).
    public var hot: Bool
    /// The standby holds snapshot chunks after chunk `chunks`, which is missing: the active
    /// sends that one again at once instead of waiting for its timeout.
    public var gap: Bool

    public init(
        snapshot: UInt64, received: UInt64, applied: UInt64, chunks: UInt32, installed: Bool, hot: Bool, gap: Bool = false
    ) {
        self.snapshot = snapshot
        self.received = received
        self.applied = applied
        self.chunks = chunks
        self.installed = installed
        self.hot = hot
        self.gap = gap
    }
}
