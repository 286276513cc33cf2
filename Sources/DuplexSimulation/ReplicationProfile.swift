public import DuplexCore

/// What a replication simulation run does: the workload on the active, the faults of the
/// channel between the boards, and the crash episodes.
public struct ReplicationProfile: Sendable, Hashable {
    /// How long the workload and the faults last; the run then checks convergence.
    public var duration: Duration = .milliseconds(500)
    /// After `duration`, the standby must be hot and equal to the active within this.
    public var quiet: Duration = .seconds(3)
    /// Time between two writes on the active.
    public var writeGap: ClosedRange<Duration> = .microseconds(100)...(.milliseconds(4))
    public var syncPerMille: UInt64 = 400
    public var flushPerMille: UInt64 = 30
    /// Channel faults while `duration` lasts: each message is lost, duplicated or has one bit
    /// flipped with these chances, and takes a delay in `delay` (so messages overtake).
    public var lossPerMille: UInt64 = 60
    public var duplicatePerMille: UInt64 = 40
    public var corruptPerMille: UInt64 = 5
    public var delay: ClosedRange<Duration> = .microseconds(30)...(.milliseconds(2))
    /// Crash episodes: the active dies and the standby takes over, or the standby restarts.
    public var crashes = true
    /// One-sided reachability blips while `duration` lasts (at most this many, 0 for none):
    /// one board's core is told that the mate was lost and, a moment later, back, while the
    /// other never hears of it (its pair thread never missed the mate); sometimes instead the
    /// active alone moves to a new epoch (a dual-active resolution it won).
    public var blipsMax = 3
    /// Sections written on the active before the standby joins (bulk resync).
    public var preloadSections = 0
    public var syncPolicy: ReplicationConfiguration.SyncPolicy = .fail
    /// The dedicated link's MTU (bytes of an IPv4 packet), or nil for a channel that carries
    /// messages of any size whole. A message whose UDP datagram is larger travels as IP
    /// fragments: when it is lost, its other fragments still arrive (a loss by UDP port, as in
    /// the lab, drops only the first fragment; on a wire any one lost leaves the others) and
    /// stay in the receiver's reassembly memory for `reassemblyTimeout`; while that memory is
    /// over `reassemblyMemoryMax`, no fragmented datagram is reassembled (Linux: `ipfrag_time`
    /// 30 s, `ipfrag_high_thresh` 4 MiB).
    public var linkMTU: Int?
    public var reassemblyMemoryMax = 4 * 1024 * 1024
    public var reassemblyTimeout: Duration = .seconds(30)
    /// With `linkMTU`: snapshot chunks sized to one datagram of the link, as duplexd sizes
    /// them; false for the largest chunks (cut into fragments).
    public var chunksFitMTU = true
    /// With `linkMTU`: a message larger than one datagram of the link goes as segments that
    /// each fit one (`ReplicationSegment`), each lost, duplicated, corrupted and delayed on
    /// its own, and put back together by the receiver's `SegmentReassembler`, as duplexd's
    /// transport does; false leaves it to IP fragments (see `linkMTU`).
    public var segmentsLargeMessages = true
    /// Operator resyncs of the standby (`duplexctl resync`) at random times while the faults
    /// last: at least one and at most this many (0: none).
    public var resyncsMax = 0
    /// Bytes of a batch of updates (`ReplicationConfiguration.batchSizeMax`; 0: every update
    /// alone). With `linkMTU`, batches fit one datagram of the link as duplexd sizes them.
    public var batchSizeMax = 8_972
    /// Writes the active takes at one instant, at most (a client's pipelined requests served
    /// in one wake-up): asynchronous ones between two ticks share batches.
    public var burstMax = 6

    public init() {}

    /// Short runs for the fixed-seed suite in a debug build.
    public static let quick = ReplicationProfile()

    /// The lab's operator resync under loss: a standby with a replica of many sections is told
    /// to resync (up to eight times in three seconds) while writes go on and a fifth of the
    /// replication datagrams are lost, over a link of MTU 1,500.
    public static var resyncUnderLoss: ReplicationProfile {
        var profile = ReplicationProfile.bulk
        profile.duration = .seconds(3)
        profile.lossPerMille = 200
        profile.duplicatePerMille = 0
        profile.corruptPerMille = 0
        profile.linkMTU = 1_500
        profile.resyncsMax = 8
        return profile
    }

    /// Updates with sections of up to 8 KiB (six datagrams each at MTU 1,500) while a fifth
    /// of the datagrams are lost, over a link of MTU 1,500: with IP fragments, the fragments
    /// of the updates that lost one fill the receiver's reassembly memory.
    public static var largeUpdatesUnderLoss: ReplicationProfile {
        var profile = ReplicationProfile()
        profile.duration = .seconds(2)
        profile.writeGap = .microseconds(50)...(.microseconds(500))
        profile.lossPerMille = 200
        profile.linkMTU = 1_500
        profile.largeSectionsPerMille = 900
        profile.crashes = false
        return profile
    }

    /// Of the sections the workload writes within their limits, the share (per mille) of large
    /// ones (1,500 bytes to 8 KiB, in checkpoints that allow them); the others hold up to 300
    /// bytes.
    public var largeSectionsPerMille: UInt64 = 0

    /// A standby joins a store of many sections, some larger than a chunk, while writes go on.
    public static var bulk: ReplicationProfile {
        var profile = ReplicationProfile()
        profile.preloadSections = 1_500
        profile.crashes = false
        profile.blipsMax = 0
        profile.duration = .milliseconds(400)
        return profile
    }
}

/// The invariants the replication checkers hold the core to.
public enum ReplicationInvariant: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A replica only ever holds a prefix of the active's history, applied in order: its store
    /// equals the active's store as it was at the replica's sequence, which never goes back.
    case replicaIsPrefix
    /// When a synchronous write is completed as replicated, the standby's replica holds it.
    case syncWriteOnReplica
    /// After a takeover from a standby that was hot, every write completed as replicated is in
    /// the new active's store; a takeover that may lose one records it (`stateLost`).
    case noAcknowledgedLoss
    /// Every request is completed exactly once; the active commits in sequence.
    case requestsAnswered
    /// After the faults stop, the standby is hot and equal to the active within `quiet`.
    case converges
    /// The cores never ask to run more than a bounded number of times at one instant.
    case timeAdvances

    public var description: String { rawValue }
}

/// A checker failure, with what is needed to replay it.
public struct ReplicationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var seed: UInt64
    public var time: Duration
    public var invariant: ReplicationInvariant
    public var detail: String
    /// The last records before the failure.
    public var trace: [String]

    public var description: String {
        (["seed \(seed): \(invariant) violated at \(SimulationRecord.format(time)): \(detail)",
          "last \(trace.count) records:"] + trace.map { "  \($0)" }).joined(separator: "\n")
    }
}

/// What a run did.
public struct ReplicationOutcome: Sendable, Hashable {
    public var failure: ReplicationFailure?
    public var writes = 0
    public var refused = 0
    public var replicated = 0
    public var local = 0
    public var unconfirmed = 0
    public var messages = 0
    public var lost = 0
    public var duplicated = 0
    public var corrupted = 0
    public var snapshotsInstalled = 0
    /// Streams a standby resumed from its replica instead of installing a snapshot.
    public var streamsResumed = 0
    public var takeovers = 0
    /// Takeovers from a standby that was not hot (recorded as `stateLost`).
    public var lossyTakeovers = 0
    public var standbyRestarts = 0
    /// One-sided reachability blips and lone epoch changes played.
    public var blips = 0
    /// Resynchronisations a standby started because the active refused its stream.
    public var refusedStreamResyncs = 0
    /// Updates a standby received while a snapshot was arriving (held, then applied after the
    /// snapshot's cut-over).
    public var updatesDuringSnapshot = 0
    /// Operator resyncs of the standby played.
    public var operatorResyncs = 0
    /// Messages of several updates (`updates`) delivered, and the updates they carried.
    public var batches = 0
    public var batchedUpdates = 0
    /// Fragmented datagrams dropped because the receiver's reassembly memory was full.
    public var reassemblyDrops = 0
    /// Messages sent as segments, and those the receiver put back together.
    public var segmentedMessages = 0
    public var reassembledMessages = 0
    public var events = 0
    /// Simulated time from the end of the faults to convergence.
    public var convergedAfter: Duration = .zero
    /// The active's final store sequence and size.
    public var finalSequence: UInt64 = 0
    public var finalSections = 0

    public init() {}
}
