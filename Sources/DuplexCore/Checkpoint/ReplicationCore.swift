/// Checkpoint replication of one board, in both roles: on the active, a sender that streams
/// every committed update to the standby in sequence order with a bounded window, cumulative
/// and negative acks, retransmission and bulk snapshots; on the standby, a receiver that
/// applies the stream in order to its replica, asks for a snapshot when it (re)joins, and is
/// hot once it has one and caught up.
///
/// Pure and synchronous, like `PairCore`: facts go in through `handle(_:now:)`, orders come out
/// as `ReplicationActions`; time enters only as an argument. The adapter arms its timer at
/// `nextDeadline` and delivers `.tick` when it expires.
///
/// The stream's sequence numbers are the store's: update n of the stream is the n-th update the
/// active's store applied, so a replica at sequence n holds exactly the active's store as it
/// was after update n, and on takeover the new active goes on from its replica's sequence.
public struct ReplicationCore: Sendable {
    public let configuration: ReplicationConfiguration
    /// The active's store, or the standby's replica.
    public internal(set) var store: CheckpointStore
    public internal(set) var role: Role = .starting
    /// Active: its own epoch. Standby: the epoch of the active whose stream the replica follows.
    public internal(set) var epoch: UInt64 = 0
    public internal(set) var mateReachable = false
    public internal(set) var counters = Counters()
    /// Standby: live updates taken that a synchronous writer on the active waits for (sent
    /// with `ackNow`, acknowledged at once). The adapter reads it to poll for the next one.
    public internal(set) var waitedUpdatesTaken: UInt64 = 0
    var sender = SenderState()
    var receiver = ReceiverState()
    var snapshotCounter: UInt32 = 0
    var lastEventAt: Instant = .zero
    /// The last value sent with `.readinessChanged`.
    var reportedHot = false
    /// The replica as it was when this board left the standby role for an idle one.
    var idleReplica: ReplicaState?
    /// Standby: the stream the replica follows, and nothing else: installed from its snapshot
    /// (or resumed) and changed since only by its updates, in order. Nil when the replica is
    /// anything else (a board that was active, a diverged update, an operator's resync). A
    /// resync offers it to the active, which may resume it instead of sending a snapshot.
    var replicaStream: StreamID?
    /// Standby: whether the mate's build answers an offer to resume (`resumeRequest`); the
    /// adapter sets it from the mate's pair frames (`PairFrame.Capabilities`). An older build
    /// would drop the offer as an unknown kind (and count it as malformed).
    public var mateResumesStreams = true
    /// Active: whether the mate's build assembles a snapshot whose sections come in any order
    /// (`PairFrame.Capabilities.takesUnorderedSnapshots`; the adapter sets it). An older build
    /// refuses anything but key order, which costs a sort of every key before the first chunk.
    public var mateTakesUnorderedSnapshots = true

    public struct Counters: Sendable, Hashable {
        public var updatesSent: UInt64 = 0
        public var updatesResent: UInt64 = 0
        /// Tail-loss probes sent (`ReplicationConfiguration.tailProbeTimeout`; also counted in
        /// `updatesResent`).
        public var tailProbes: UInt64 = 0
        public var updatesApplied: UInt64 = 0
        public var duplicatesDropped: UInt64 = 0
        public var staleDropped: UInt64 = 0
        public var acksSent: UInt64 = 0
        public var nacksSent: UInt64 = 0
        public var nacksReceived: UInt64 = 0
        public var chunksSent: UInt64 = 0
        public var chunksResent: UInt64 = 0
        public var snapshotsServed: UInt64 = 0
        public var snapshotsInstalled: UInt64 = 0
        public var resyncs: UInt64 = 0
        public var malformed: UInt64 = 0
        public var writesRefused: UInt64 = 0

        /// Every counter at zero.
        public init() {}
    }

    /// What the core does in a role.
    enum Mode: Sendable, Hashable {
        /// Active: takes writes and streams them.
        case sender
        /// Quiescing or quiesced: takes no writes, but drains the stream to the mate.
        case draining
        /// Standby or blocked: keeps a replica.
        case receiver
        /// Anything else: keeps the store as it is.
        case idle
    }

    static func mode(of role: Role) -> Mode {
        switch role {
        case .active: .sender
        case .quiescing, .quiesced: .draining
        case .standby, .blocked: .receiver
        case .starting, .separated, .failed: .idle
        }
    }

    var mode: Mode { Self.mode(of: role) }

    /// - Parameter store: the store to start from (empty, or one loaded from a persistent file).
    public init(configuration: ReplicationConfiguration, store: CheckpointStore = CheckpointStore()) {
        precondition(configuration.isValid, "replication settings within their bounds")
        self.configuration = configuration
        self.store = store
    }

    /// Handles one fact and returns the orders that follow from it.
    public mutating func handle(_ event: ReplicationEvent, now rawNow: Instant) -> ReplicationActions {
        var actions = ReplicationActions()
        handle(event, now: rawNow, into: &actions)
        return actions
    }

    /// `handle(_:now:)` that appends the actions to a collection the caller keeps (emptied
    /// between steps, its storage reused: one allocation less per write).
    public mutating func handle(_ event: ReplicationEvent, now rawNow: Instant, into actions: inout ReplicationActions) {
        let now = max(rawNow, lastEventAt)
        lastEventAt = now
        // Updates waiting for their batch go before anything that is not another write.
        if case .writeRequested = event {} else { sendUnsent(now: now, into: &actions) }
        switch event {
        case .roleChanged(let next, let epoch):
            roleChanged(to: next, epoch: epoch, now: now, into: &actions)
        case .mateReachable(let reachable):
            mateReachabilityChanged(reachable, now: now, into: &actions)
        case .writeRequested(let request, let update, let sync):
            write(request: request, update: update, sync: sync, now: now, into: &actions)
        case .flushRequested(let request):
            flush(request: request, into: &actions)
        case .messageReceived(let message):
            receive(message, now: now, into: &actions)
        case .messageMalformed(let error):
            counters.malformed += 1
            actions.append(.trace(.messageRejected(error)))
        case .tick:
            break
        case .resyncRequested:
            // An operator's resync rebuilds the replica from a snapshot, never by resuming.
            if mode == .receiver {
                replicaStream = nil
                startResync(.operatorRequested, now: now, into: &actions)
            }
        }
        // Timers are checked after every event, not only on a tick that may come late.
        switch mode {
        case .sender, .draining:
            senderTimers(now: now, into: &actions)
        case .receiver:
            receiverTimers(now: now, into: &actions)
        case .idle:
            break
        }
        assertInvariants()
    }

    private mutating func receive(_ message: ReplicationMessage, now: Instant, into actions: inout ReplicationActions) {
        switch (mode, message.body) {
        case (.sender, .ack(let ack)), (.draining, .ack(let ack)):
            ackReceived(ack, epoch: message.epoch, now: now, into: &actions)
        case (.sender, .nack(let snapshot, let from, let through)),
            (.draining, .nack(let snapshot, let from, let through)):
            nackReceived(snapshot: snapshot, from: from, through: through, epoch: message.epoch, now: now, into: &actions)
        case (.sender, .snapshotRequest(let snapshot, _)), (.draining, .snapshotRequest(let snapshot, _)):
            guard mateReachable else {
                // Served if the pair reports the mate soon (see `snapshotRequestHold`), with
                // the snapshot made now, while that news is on its way.
                if sender.heldRequest?.snapshot != snapshot, sender.session?.snapshot != snapshot {
                    sender.prepared = PreparedSnapshot(
                        snapshot: snapshot,
                        writer: SnapshotWriter(
                            snapshot: snapshot, store: store, chunkSize: configuration.chunkSizeMax,
                            inKeyOrder: !mateTakesUnorderedSnapshots),
                        cutover: store.sequence, inKeyOrder: !mateTakesUnorderedSnapshots)
                }
                sender.heldRequest = (snapshot, now)
                return
            }
            snapshotRequested(snapshot, now: now, into: &actions)
        case (.sender, .resumeRequest(let snapshot, let streamSnapshot, let streamEpoch, let sequence)),
            (.draining, .resumeRequest(let snapshot, let streamSnapshot, let streamEpoch, let sequence)):
            let request = ResumeRequest(
                snapshot: snapshot, stream: StreamID(snapshot: streamSnapshot, epoch: streamEpoch), replicaSequence: sequence)
            guard mateReachable else {
                sender.heldResume = (request, now)
                return
            }
            resumeRequested(request, now: now, into: &actions)
        case (.receiver, .streamResumed(let snapshot, let from)):
            streamResumed(snapshot, from: from, epoch: message.epoch, now: now, into: &actions)
        case (.receiver, .update(let update, let ackNow)):
            updateReceived(update, ackNow: ackNow, epoch: message.epoch, now: now, into: &actions)
        case (.receiver, .updates(let updates, let ackNow)):
            updatesReceived(updates, ackNow: ackNow, epoch: message.epoch, now: now, into: &actions)
        case (.receiver, .snapshotChunk(let chunk)):
            chunkReceived(chunk, epoch: message.epoch, now: now, into: &actions)
        case (.receiver, .snapshotDone(let summary)):
            snapshotDone(summary, epoch: message.epoch, now: now, into: &actions)
        case (.receiver, .streamRefused(let snapshot)):
            streamRefused(snapshot, epoch: message.epoch, now: now, into: &actions)
        case (.sender, .update), (.sender, .updates), (.sender, .snapshotChunk), (.sender, .snapshotDone):
            // Another active streams to us: a dual-active moment the pair protocol resolves.
            counters.staleDropped += 1
            actions.append(.trace(.unexpectedMessage(role: role, epoch: message.epoch)))
        default:
            counters.staleDropped += 1
        }
    }

    /// The next instant at which the core wants a `.tick`.
    public var nextDeadline: Instant {
        switch mode {
        case .sender, .draining: senderDeadline
        case .receiver: receiverDeadline
        case .idle: Instant(nanoseconds: .max)
        }
    }

    /// This board's replica is caught up (standby): a takeover loses nothing acknowledged.
    public var isHot: Bool {
        mode == .receiver && receiver.phase == .live && receiver.hot
    }

    /// Active: the mate installed a snapshot and caught up.
    public var mateIsHot: Bool {
        sender.session?.mateHot ?? false
    }

    /// Active: updates applied here and not yet on the mate's replica; nil without a mate
    /// that installed a snapshot.
    public var mateLag: UInt64? {
        // Only the fields: a copy of the whole session would retain its window and snapshot.
        guard sender.session?.installed == true, let applied = sender.session?.applied else { return nil }
        return store.sequence - applied
    }

    /// Active: updates sent and not yet acknowledged.
    public var windowCount: Int { sender.session?.window.count ?? 0 }

    /// Active: requests waiting for the mate.
    public var pendingCount: Int { sender.pending.count }

    func assertInvariants() {
        // Debug builds only: the binding below would copy the session on every event otherwise.
        guard _isDebugAssertConfiguration() else { return }
        assert(sender.pending.count <= Limits.replicationPendingMax, "pending requests within their bound")
        assert(receiver.backlog.count <= Limits.replicationBacklogMax, "the backlog within its bound")
        if let session = sender.session {
            assert(mode == .sender || mode == .draining, "only a sender has a session")
            assert(session.window.count <= configuration.windowMax, "the window within its bound")
            assert(
                session.window.isEmpty
                    ? session.acked == store.sequence
                    : session.window.first!.update.sequence == session.acked + 1
                        && session.window.last!.update.sequence == store.sequence,
                "the window holds exactly the unacknowledged updates")
            assert(session.applied <= session.acked, "nothing applied that was not received")
            assert(session.unsent <= session.window.count, "unsent updates are in the window")
            assert(configuration.batchSizeMax > 0 || session.unsent == 0, "nothing waits without batches")
            assert(session.window.allSatisfy { $0.sentAt >= session.sentAtFloor }, "the floor bounds the window's times")
        }
        assert(mode == .receiver || receiver.phase == .waiting, "only a receiver keeps a stream")
        assert(receiver.phase != .syncing || receiver.assembler != nil, "a snapshot in progress has an assembler")
        assert(receiver.earlyChunks.isEmpty || receiver.phase == .syncing, "chunks held only while a snapshot arrives")
        assert(receiver.earlyChunks.count <= Limits.snapshotChunksInFlightMax, "held chunks within their bound")
    }
}
