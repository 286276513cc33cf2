/// The settings of a board's checkpoint replication.
public struct ReplicationConfiguration: Sendable, Hashable {
    /// What a synchronous write does when the mate is not hot (absent, or still resynchronising).
    public enum SyncPolicy: UInt8, Sendable, Hashable, CaseIterable {
        /// Refuse it (`WriteRefusal.mateNotHot`); nothing is written.
        case fail = 1
        /// Apply it here and complete it at once as `.local`, like an asynchronous write.
        case degrade = 2
    }

    /// Random per start of the board: makes this board's snapshot identifiers differ across
    /// restarts, so that a late chunk of an earlier life is never taken for a current one.
    public var incarnation: UInt32
    public var syncPolicy: SyncPolicy = .fail
    /// How long a standby may hold an acknowledgement to coalesce it with later ones.
    public var ackDelay: Duration = .microseconds(500)
    /// A standby acknowledges at once after this many updates applied since its last ack.
    public var ackEvery = 64
    /// The active sends an unacknowledged update (or snapshot chunk) again after this long.
    public var retransmitTimeout: Duration = .milliseconds(20)
    /// A tail-loss probe: when no acknowledgement came for this long after the newest update
    /// was sent, the active sends that update again, once. A standby that lost it (or any
    /// before it) answers at once with an ack or a negative ack, so a lost last update costs
    /// this instead of `retransmitTimeout`: a synchronous write has no later update whose
    /// arrival would reveal the gap.
    public var tailProbeTimeout: Duration = .milliseconds(2)
    /// The active ignores a negative ack for an update it sent less than this long ago (it is
    /// probably only reordered).
    public var resendHoldoff: Duration = .microseconds(500)
    /// A standby repeats a negative ack for a gap that persists this long.
    public var nackInterval: Duration = .milliseconds(2)
    /// A standby repeats its snapshot request until the first chunk comes, at this interval;
    /// a live standby also acknowledges at least this often while the mate is reachable, so
    /// that an active which dropped its stream can refuse it again if a refusal was lost.
    public var snapshotRequestInterval: Duration = .milliseconds(200)
    /// How long the active keeps a snapshot request that came before the pair reported the
    /// mate reachable (a rejoining standby's request can overtake the active's own news of
    /// it: the pair thread reads heartbeats at its next timer tick): served if the mate is
    /// reachable within this time. A request that comes while the mate is unreachable never
    /// starts a stream at once: a stopping standby's last request would make a stream that
    /// nobody acknowledges, and synchronous writes would wait on it for good.
    public var snapshotRequestHold: Duration = .milliseconds(20)
    /// A standby gives up a snapshot that made no progress for this long and asks for another.
    public var snapshotStallTimeout: Duration = .seconds(2)
    /// Bytes of records in one snapshot chunk (`Limits.checkpointChunkSizeMin` ...
    /// `Limits.checkpointChunkSizeMax`). The daemon sets it with `chunkSize(fitting:)` so
    /// that a chunk message fits one datagram of the dedicated link: the IP fragments of a
    /// larger one that are left when one of them is lost stay in the standby's reassembly
    /// memory (30 s on Linux), and once that is full no fragmented datagram gets through.
    public var chunkSizeMax = Limits.checkpointChunkSizeMax
    /// Updates in flight to the mate (at most `Limits.replicationWindowMax`).
    public var windowMax = Limits.replicationWindowMax
    /// Encoded bytes in flight to the mate (at most `Limits.replicationWindowSizeMax`).
    public var windowSizeMax = Limits.replicationWindowSizeMax
    /// Bytes of one replication message of kind `updates`, at most: consecutive updates of
    /// the stream share a message (one header, one checksum, one step of the standby's core)
    /// up to this size; 0 sends every update alone, at once, in an `update` message. With
    /// batches, an asynchronous write waits in the window, unsent, until the next event that
    /// is not a write (the core's deadline is then the present: an adapter that ticks at the
    /// deadline before it sends sends it in the same wake-up), a synchronous write, or a full
    /// batch. The daemon sets it with `batchSize(fitting:)` so that a batch fits a datagram.
    /// 0 or `Limits.checkpointChunkSizeMin ... Limits.replicationMessageSizeMax`.
    public var batchSizeMax = 0
    /// Whether `.apply` actions report updates of checkpoints that are not persistent. The
    /// daemon keeps only persistent checkpoints anywhere else (their journals) and sets it
    /// false: an update of a transient checkpoint then makes no action to build, copy and
    /// destroy on either board. True by default (the simulation watches every update).
    public var reportsTransientApplies = true

    public init(incarnation: UInt32, syncPolicy: SyncPolicy = .fail) {
        self.incarnation = incarnation
        self.syncPolicy = syncPolicy
    }

    /// Whether every setting is within its bound.
    public var isValid: Bool {
        windowMax >= 1 && windowMax <= Limits.replicationWindowMax
            && windowSizeMax >= Limits.checkpointUpdateSizeMax && windowSizeMax <= Limits.replicationWindowSizeMax
            && ackEvery >= 1 && ackEvery <= Limits.replicationWindowMax
            && retransmitTimeout > .zero && nackInterval > .zero && snapshotRequestInterval > .zero
            && tailProbeTimeout > .zero && tailProbeTimeout <= retransmitTimeout
            && snapshotStallTimeout > .zero
            && chunkSizeMax >= Limits.checkpointChunkSizeMin && chunkSizeMax <= Limits.checkpointChunkSizeMax
            && (batchSizeMax == 0
                || (batchSizeMax >= Limits.checkpointChunkSizeMin && batchSizeMax <= Limits.replicationMessageSizeMax))
    }

    /// Snapshot chunks sent and not acknowledged, at most: `Limits.snapshotBytesInFlightMax`
    /// of chunks of `chunkSizeMax` (64 of the largest).
    public var chunksInFlightMax: Int {
        min(Limits.snapshotChunksInFlightMax, max(1, Limits.snapshotBytesInFlightMax / chunkSizeMax))
    }

    /// The chunk size whose messages fit a datagram payload of `payloadMax` bytes (a link's
    /// MTU less the IP and UDP headers), within the chunk size bounds.
    public static func chunkSize(fitting payloadMax: Int) -> Int {
        min(Limits.checkpointChunkSizeMax, max(Limits.checkpointChunkSizeMin, payloadMax - SnapshotChunk.messageOverhead))
    }

    /// The batch size whose `updates` messages fit a datagram payload of `payloadMax` bytes
    /// (a link's MTU less the IP and UDP headers), within the batch size bounds.
    public static func batchSize(fitting payloadMax: Int) -> Int {
        min(Limits.replicationMessageSizeMax, max(Limits.checkpointChunkSizeMin, payloadMax))
    }
}
