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
    /// The active ignores a negative ack for an update it sent less than this long ago (it is
    /// probably only reordered).
    public var resendHoldoff: Duration = .microseconds(500)
    /// A standby repeats a negative ack for a gap that persists this long.
    public var nackInterval: Duration = .milliseconds(2)
    /// A standby repeats its snapshot request until the first chunk comes, at this interval;
    /// a live standby also acknowledges at least this often while the mate is reachable, so
    /// that an active which dropped its stream can refuse it again if a refusal was lost.
    public var snapshotRequestInterval: Duration = .milliseconds(200)
    /// A standby gives up a snapshot that made no progress for this long and asks for another.
    public var snapshotStallTimeout: Duration = .seconds(2)
    /// Updates in flight to the mate (at most `Limits.replicationWindowMax`).
    public var windowMax = Limits.replicationWindowMax
    /// Encoded bytes in flight to the mate (at most `Limits.replicationWindowSizeMax`).
    public var windowSizeMax = Limits.replicationWindowSizeMax

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
            && snapshotStallTimeout > .zero
    }
}
