/// Something the replication core did or saw, for the log and the event history.
public enum ReplicationTrace: Sendable, Hashable {
    /// Standby: asked the active for a snapshot.
    case snapshotRequested(snapshot: UInt64, replicaSequence: UInt64)
    /// Active: began sending a snapshot of the store as of `cutover`.
    case snapshotStarted(snapshot: UInt64, cutover: UInt64, chunks: UInt32)
    /// Active: the mate installed the snapshot.
    case snapshotServed(snapshot: UInt64)
    /// Standby: replaced its replica (at `previousSequence`) by the snapshot.
    case snapshotInstalled(snapshot: UInt64, cutover: UInt64, previousSequence: UInt64)
    /// Standby: a snapshot's records or summary did not check out.
    case snapshotRejected(snapshot: UInt64, ReplicationDecodeError)
    /// Standby: gives up its stream and resynchronises. `writesSinceTakeover` counts the
    /// updates this board made while it was active, which the snapshot will discard if the
    /// new active never had them (a lost split-brain resolution).
    case resyncStarted(ResyncReason, replicaSequence: UInt64, writesSinceTakeover: UInt64)
    /// Lost the active role with `count` of its `writesSinceTakeover` updates (the last one
    /// at `sequence`) never applied by the mate's replica: the resynchronisation from the new
    /// active (the winner of a split brain) discards them. Only when `count` > 0.
    case unconfirmedWritesDiscarded(count: UInt64, writesSinceTakeover: UInt64, sequence: UInt64)
    /// Standby: an update from the active did not apply (the replicas diverged).
    case replicaDiverged(CheckpointError)
    /// Standby: caught up after a snapshot.
    case becameHot(sequence: UInt64)
    /// Took over the active role from a replica that was not hot: `missing` updates known to
    /// exist were never applied; `snapshotIncomplete` if a snapshot was still arriving.
    case stateLost(replicaSequence: UInt64, missing: UInt64, snapshotIncomplete: Bool)
    /// Took over from a hot replica that held `missing` updates behind a gap (in flight when
    /// the active failed). None was acknowledged as applied, so no synchronous write is lost;
    /// asynchronous writes among them are.
    case inFlightLost(replicaSequence: UInt64, missing: UInt64)
    /// Became active with the replica at `sequence`.
    case tookOver(sequence: UInt64, epoch: UInt64)
    /// Active: the mate is gone; `unconfirmed` waiting requests were completed as such.
    case mateLost(unconfirmed: Int)
    /// Active: told the standby that it holds no stream for the standby's `snapshot` at
    /// `epoch` (dropped on a mate loss only this board saw, or before a new epoch): the
    /// standby resynchronises.
    case streamRefused(snapshot: UInt64, epoch: UInt64)
    /// A message arrived that this role does not take (for example an update at an active:
    /// both boards think they are active).
    case unexpectedMessage(role: Role, epoch: UInt64)
    /// An acknowledgement for updates never sent (a mate with a bug).
    case bogusAck(received: UInt64, sequence: UInt64)
    /// Bytes from the mate failed to decode.
    case messageRejected(ReplicationDecodeError)
    /// Active: resumed the standby's stream from its replica's sequence `from` as stream
    /// `snapshot`, with the `updates` after it, instead of sending a snapshot.
    case streamResumedForMate(snapshot: UInt64, from: UInt64, updates: Int)
    /// Standby: the active resumed the replica's stream from `sequence`: no snapshot needed.
    case streamResumed(snapshot: UInt64, sequence: UInt64)
}

/// Why a standby resynchronises.
public enum ResyncReason: UInt8, Sendable, Hashable, CaseIterable {
    /// It became a standby (at start, or after being blocked).
    case joined = 1
    /// It was active and lost the role (a switchover, or a lost split-brain resolution).
    case roleLost
    /// The active's epoch changed under it.
    case epochChanged
    /// An update did not apply to the replica.
    case diverged
    /// The mate was unreachable and came back.
    case mateReturned
    /// The snapshot made no progress for `snapshotStallTimeout`.
    case snapshotStalled
    /// The snapshot did not check out.
    case snapshotRejected
    /// An operator asked for it (`duplexctl resync`).
    case operatorRequested
    /// The active holds no stream for the replica's snapshot any more
    /// (`ReplicationMessage.Body.streamRefused`): it dropped it while this board still saw it.
    case streamRefused
}
