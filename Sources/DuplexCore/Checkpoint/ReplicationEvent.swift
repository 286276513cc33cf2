/// A fact delivered to `ReplicationCore.handle(_:now:)`.
public enum ReplicationEvent: Sendable, Hashable {
    /// The pair protocol changed this board's role (at this epoch: the active's own).
    case roleChanged(Role, epoch: UInt64)
    /// The pair protocol found the mate reachable (some path up) or lost it (every path down).
    case mateReachable(Bool)
    /// A local process asks for an update (on the active). `sync`: complete it only once the
    /// mate's replica holds it.
    case writeRequested(request: UInt64, update: CheckpointUpdate, sync: Bool)
    /// A local process asks to be told when every earlier write is on the mate.
    case flushRequested(request: UInt64)
    /// A decoded message arrived from the mate.
    case messageReceived(ReplicationMessage)
    /// Bytes from the mate failed to decode (counted, never trusted).
    case messageMalformed(ReplicationDecodeError)
    /// A timer expired (the adapter arms it at `ReplicationCore.nextDeadline`).
    case tick
    /// An operator asks this standby to drop its replica's stream and resynchronise in full
    /// (`duplexctl resync`, after a suspected divergence). Ignored in any other role.
    case resyncRequested
}

/// An order returned by `ReplicationCore.handle(_:now:)`.
public enum ReplicationAction: Sendable, Hashable {
    /// Send this message to the mate.
    case send(ReplicationMessage)
    /// Answer a write or flush request.
    case complete(request: UInt64, WriteOutcome)
    /// The core's store applied this update: apply it to the board's other copies (a
    /// persistent file, local readers' views). Only for persistent checkpoints when
    /// `ReplicationConfiguration.reportsTransientApplies` is false.
    case apply(CheckpointUpdate)
    /// The core's replica was replaced by a snapshot: reload the other copies from the store.
    case replaceReplica(SnapshotSummary)
    /// A snapshot of this many sections and bytes (`CheckpointStore.size`) has begun to arrive:
    /// the board may make room for the replica it will build (memory in large pages), before
    /// the sections come.
    case prepareReplica(sections: UInt64, bytes: UInt64)
    /// This board's replica became hot (caught up) or stopped being hot: tell the pair protocol
    /// (`PairEvent.readinessChanged`).
    case readinessChanged(hot: Bool)
    /// The window had refused a write as full and has room again: resume taking writes.
    case windowOpened
    /// Record something that happened (the core never logs).
    case trace(ReplicationTrace)
}

/// The answer to a write or flush request.
public enum WriteOutcome: Sendable, Hashable {
    /// Applied here and on the mate's replica (a synchronous write, or a flush of every write
    /// up to `sequence`).
    case replicated(sequence: UInt64)
    /// Applied here; replicated in order later, without confirmation (an asynchronous write, or
    /// a synchronous one degraded by `SyncPolicy.degrade`).
    case local(sequence: UInt64)
    /// Applied here, but the confirmation that was asked for never came (the mate was lost, or
    /// this board lost the role): a failover or resync may lose it.
    case unconfirmed(sequence: UInt64)
    /// Nothing was written.
    case refused(WriteRefusal)
}

/// Why a write was refused; the store is unchanged.
public enum WriteRefusal: Sendable, Hashable {
    /// The update breaks a limit or names what does not exist.
    case invalid(CheckpointError)
    /// This board is not active.
    case notActive
    /// A synchronous write while the mate is not hot, with `SyncPolicy.fail`.
    case mateNotHot
    /// The window to the mate is full: wait for `.windowOpened`.
    case windowFull
    /// Too many requests wait for the mate (`Limits.replicationPendingMax`).
    case busy
}
