/// The standby's side: the replica's stream from the active.
struct ReceiverState: Sendable {
    enum Phase: Sendable, Hashable {
        /// Asked for a snapshot (or will, once the mate is reachable); none has started.
        case waiting
        /// Receiving a snapshot.
        case syncing
        /// The replica follows the live stream.
        case live
    }

    var phase: Phase = .waiting
    var assembler: SnapshotAssembler?
    /// Chunks of the snapshot being received that came after a missing one, by index (at most
    /// `Limits.snapshotChunksInFlightMax` ahead, `Limits.snapshotBytesInFlightMax` bytes):
    /// taken once the missing one arrives, so that a loss costs that chunk only.
    var earlyChunks: [UInt32: SnapshotChunk] = [:]
    var earlyChunkBytes = 0
    /// The snapshot asked for, being received, or installed.
    var snapshot: UInt64 = 0
    /// What the installed snapshot held.
    var installed: SnapshotSummary?
    var requestedAt: Instant?
    /// The last chunk accepted.
    var progressAt: Instant = .zero
    /// Updates received that cannot be applied yet, by sequence.
    var backlog: [UInt64: CheckpointUpdate] = [:]
    var backlogBytes = 0
    /// The highest sequence received from the active.
    var highestSeen: UInt64 = 0
    var ackDueAt: Instant?
    /// When the last acknowledgement went out: a live replica acknowledges at least every
    /// `snapshotRequestInterval`, so that an active that dropped its stream can refuse it.
    var ackSentAt: Instant?
    var appliedSinceAck = 0
    var nackedFrom: UInt64 = 0
    var nackedAt: Instant?
    /// Caught up after the snapshot; stays so until the next resync.
    var hot = false
    /// The mate was unreachable while the replica was live: resync when it comes back.
    var sessionLost = false
    /// The replica the installed snapshot replaced, until the adapter takes it to release.
    var retired: CheckpointStore?
}

extension ReplicationCore {
    mutating func updateReceived(
        _ update: CheckpointUpdate, ackNow: Bool, epoch messageEpoch: UInt64, now: Instant,
        into actions: inout ReplicationActions
    ) {
        switch receiver.phase {
        case .waiting:
            // No snapshot yet to apply it to; it comes again once one is installed.
            counters.staleDropped += 1
        case .syncing:
            guard messageEpoch == receiver.assembler!.epoch, let header = receiver.assembler!.header else {
                counters.staleDropped += 1
                return
            }
            guard update.sequence > header.cutover else {
                counters.duplicatesDropped += 1
                return
            }
            hold(update, above: header.cutover)
            scheduleAck(now: now, at: ackNow, into: &actions)
        case .live:
            guard messageEpoch == epoch else {
                if messageEpoch > epoch {
                    startResync(.epochChanged, now: now, into: &actions)
                } else {
                    counters.staleDropped += 1
                }
                return
            }
            liveUpdate(update, ackNow: ackNow, now: now, into: &actions)
        }
    }

    /// Consecutive updates in one message (`ReplicationMessage.Body.updates`): each taken as
    /// `updateReceived` takes one, with one acknowledgement decision for the whole batch.
    mutating func updatesReceived(
        _ updates: [CheckpointUpdate], ackNow: Bool, epoch messageEpoch: UInt64, now: Instant,
        into actions: inout ReplicationActions
    ) {
        switch receiver.phase {
        case .waiting:
            counters.staleDropped += UInt64(updates.count)
        case .syncing:
            guard messageEpoch == receiver.assembler!.epoch, let header = receiver.assembler!.header else {
                counters.staleDropped += UInt64(updates.count)
                return
            }
            var held = false
            for update in updates {
                guard update.sequence > header.cutover else {
                    counters.duplicatesDropped += 1
                    continue
                }
                hold(update, above: header.cutover)
                held = true
            }
            if held { scheduleAck(now: now, at: ackNow, into: &actions) }
        case .live:
            guard messageEpoch == epoch else {
                if messageEpoch > epoch {
                    startResync(.epochChanged, now: now, into: &actions)
                } else {
                    counters.staleDropped += UInt64(updates.count)
                }
                return
            }
            var duplicates = 0
            for update in updates {
                switch takeLive(update, now: now, into: &actions) {
                case .duplicate: duplicates += 1
                case .taken: break
                case .diverged: return
                }
            }
            // Only retransmissions: our acknowledgement was probably lost.
            if duplicates == updates.count { return sendAck(into: &actions) }
            if ackNow { waitedUpdatesTaken &+= 1 }
            afterLive(ackNow: ackNow || duplicates > 0, now: now, into: &actions)
        }
    }

    /// What became of one update of the live stream.
    private enum Taken {
        /// Already applied: dropped.
        case duplicate
        /// Applied (with what the backlog held after it), or held behind a gap.
        case taken
        /// It or a held one did not apply: the replica resynchronises.
        case diverged
    }

    private mutating func takeLive(_ update: CheckpointUpdate, now: Instant, into actions: inout ReplicationActions) -> Taken {
        receiver.highestSeen = max(receiver.highestSeen, update.sequence)
        if update.sequence <= store.sequence {
            counters.duplicatesDropped += 1
            return .duplicate
        }
        if update.sequence == store.sequence + 1 {
            guard applyUpdate(update, now: now, into: &actions) else { return .diverged }
            if !receiver.backlog.isEmpty { drainBacklog(now: now, into: &actions) }
        } else {
            hold(update, above: store.sequence)
        }
        return receiver.phase == .live ? .taken : .diverged
    }

    private mutating func liveUpdate(
        _ update: CheckpointUpdate, ackNow: Bool, now: Instant, into actions: inout ReplicationActions
    ) {
        switch takeLive(update, now: now, into: &actions) {
        case .duplicate: return sendAck(into: &actions)  // a retransmission: our ack was probably lost
        case .diverged: return
        case .taken:
            if ackNow { waitedUpdatesTaken &+= 1 }
            afterLive(ackNow: ackNow, now: now, into: &actions)
        }
    }

    /// After live updates were taken: ask for a gap, maybe become hot, acknowledge.
    private mutating func afterLive(ackNow: Bool, now: Instant, into actions: inout ReplicationActions) {
        nackGap(now: now, into: &actions)
        checkHot(into: &actions)
        let immediate = ackNow || receiver.appliedSinceAck >= configuration.ackEvery
        scheduleAck(now: now, at: immediate, into: &actions)
    }

    /// Keeps an update that cannot be applied yet, if it is within the backlog's bounds.
    private mutating func hold(_ update: CheckpointUpdate, above floor: UInt64) {
        receiver.highestSeen = max(receiver.highestSeen, update.sequence)
        guard receiver.backlog[update.sequence] == nil else {
            counters.duplicatesDropped += 1
            return
        }
        let size = update.encodedSize
        guard update.sequence <= floor + UInt64(Limits.replicationBacklogMax),
            receiver.backlog.count < Limits.replicationBacklogMax,
            receiver.backlogBytes + size <= Limits.replicationBacklogSizeMax
        else {
            // The active sends it again after its timeout, when there is room.
            counters.staleDropped += 1
            return
        }
        receiver.backlog[update.sequence] = update
        receiver.backlogBytes += size
    }

    /// Applies the next update to the replica; on failure the replicas diverged: resync.
    /// - Returns: whether it applied.
    private mutating func applyUpdate(
        _ update: CheckpointUpdate, now: Instant, into actions: inout ReplicationActions
    ) -> Bool {
        do {
            try store.replay(update)
        } catch {
            actions.append(.trace(.replicaDiverged(error)))
            replicaStream = nil  // not a prefix of the active's history: a snapshot replaces it
            startResync(.diverged, now: now, into: &actions)
            return false
        }
        counters.updatesApplied += 1
        receiver.appliedSinceAck += 1
        if configuration.reportsTransientApplies || store.lastAppliedPersistent.value { actions.append(.apply(update)) }
        return true
    }

    /// Applies the held updates that follow the replica's sequence.
    mutating func drainBacklog(now: Instant, into actions: inout ReplicationActions) {
        for _ in 0..<Limits.replicationBacklogMax {
            guard let next = receiver.backlog.removeValue(forKey: store.sequence + 1) else { return }
            receiver.backlogBytes -= next.encodedSize
            guard applyUpdate(next, now: now, into: &actions) else { return }
        }
        assert(receiver.backlog[store.sequence + 1] == nil, "the backlog drained")
    }

    /// Asks for the updates between the replica and the first held one, unless it just did.
    mutating func nackGap(now: Instant, into actions: inout ReplicationActions) {
        let from = store.sequence + 1
        guard receiver.phase == .live, let lowest = receiver.backlog.keys.min(), lowest > from else {
            receiver.nackedAt = nil
            return
        }
        if receiver.nackedFrom == from, let at = receiver.nackedAt, at + configuration.nackInterval > now {
            return
        }
        receiver.nackedFrom = from
        receiver.nackedAt = now
        counters.nacksSent += 1
        actions.append(
            .send(ReplicationMessage(epoch: epoch, .nack(snapshot: receiver.snapshot, from: from, through: lowest - 1))))
    }

    /// Hot once the snapshot is installed and nothing held waits behind a gap.
    mutating func checkHot(into actions: inout ReplicationActions) {
        guard receiver.phase == .live, !receiver.hot, receiver.backlog.isEmpty else { return }
        receiver.hot = true
        actions.append(.trace(.becameHot(sequence: store.sequence)))
        report(hot: true, into: &actions)
        sendAck(into: &actions)
    }

    func currentAck() -> ReplicationAck {
        switch receiver.phase {
        case .waiting:
            return ReplicationAck(snapshot: receiver.snapshot, received: 0, applied: 0, chunks: 0, installed: false, hot: false)
        case .syncing:
            let assembler = receiver.assembler!
            var received = assembler.header?.cutover ?? 0
            for _ in 0..<Limits.replicationBacklogMax {
                guard receiver.backlog[received + 1] != nil else { break }
                received += 1
            }
            return ReplicationAck(
                snapshot: receiver.snapshot, received: assembler.header == nil ? 0 : received, applied: 0,
                chunks: assembler.nextIndex, installed: false, hot: false, gap: !receiver.earlyChunks.isEmpty)
        case .live:
            return ReplicationAck(
                snapshot: receiver.snapshot, received: store.sequence, applied: store.sequence,
                chunks: receiver.installed?.chunks ?? 0, installed: true, hot: receiver.hot)
        }
    }

    mutating func sendAck(into actions: inout ReplicationActions) {
        let ackEpoch = receiver.phase == .syncing ? receiver.assembler!.epoch : epoch
        actions.append(.send(ReplicationMessage(epoch: ackEpoch, .ack(currentAck()))))
        receiver.ackDueAt = nil
        receiver.ackSentAt = lastEventAt
        receiver.appliedSinceAck = 0
        counters.acksSent += 1
    }

    /// Acknowledges at once, or within `ackDelay` to coalesce with what follows.
    func scheduleAckDeadline(now: Instant) -> Instant {
        receiver.ackDueAt ?? (now + configuration.ackDelay)
    }

    mutating func scheduleAck(now: Instant, at immediate: Bool, into actions: inout ReplicationActions) {
        if immediate {
            sendAck(into: &actions)
        } else {
            receiver.ackDueAt = scheduleAckDeadline(now: now)
        }
    }

    mutating func receiverTimers(now: Instant, into actions: inout ReplicationActions) {
        switch receiver.phase {
        case .waiting:
            guard mateReachable else { return }
            if receiver.requestedAt.map({ $0 + configuration.snapshotRequestInterval <= now }) ?? true {
                requestSnapshot(now: now, into: &actions)
            }
        case .syncing:
            if receiver.progressAt + configuration.snapshotStallTimeout <= now {
                return startResync(.snapshotStalled, now: now, into: &actions)
            }
            if let due = receiver.ackDueAt, due <= now { sendAck(into: &actions) }
        case .live:
            if let due = receiver.ackDueAt, due <= now {
                sendAck(into: &actions)
            } else if mateReachable, keepaliveDue <= now {
                sendAck(into: &actions)
            }
            if let at = receiver.nackedAt, at + configuration.nackInterval <= now {
                nackGap(now: now, into: &actions)
            }
        }
    }

    var receiverDeadline: Instant {
        var deadline = receiver.ackDueAt ?? Instant(nanoseconds: .max)
        switch receiver.phase {
        case .waiting:
            guard mateReachable else { return Instant(nanoseconds: .max) }
            deadline = min(deadline, (receiver.requestedAt ?? lastEventAt) + configuration.snapshotRequestInterval)
        case .syncing:
            deadline = min(deadline, receiver.progressAt + configuration.snapshotStallTimeout)
        case .live:
            if !receiver.backlog.isEmpty, let at = receiver.nackedAt {
                deadline = min(deadline, at + configuration.nackInterval)
            }
            if mateReachable { deadline = min(deadline, keepaliveDue) }
        }
        return deadline
    }

    /// Live: when an idle replica acknowledges again (its keepalive); now if it never did.
    private var keepaliveDue: Instant {
        receiver.ackSentAt.map { $0 + configuration.snapshotRequestInterval } ?? lastEventAt
    }

    /// The active says it holds no stream for `snapshot` at `messageEpoch`: if that is this
    /// replica's stream, it is gone (the active dropped it on a mate loss this board never
    /// saw, or moved to a new epoch) and nothing more will come on it: resynchronise.
    mutating func streamRefused(
        _ snapshot: UInt64, epoch messageEpoch: UInt64, now: Instant, into actions: inout ReplicationActions
    ) {
        let streamEpoch: UInt64? =
            switch receiver.phase {
            case .waiting: nil  // already asking for a snapshot
            case .syncing: receiver.assembler!.epoch
            case .live: epoch
            }
        guard snapshot == receiver.snapshot, let streamEpoch, messageEpoch == streamEpoch else {
            counters.staleDropped += 1
            return
        }
        startResync(.streamRefused, now: now, into: &actions)
    }

    /// Sends `.readinessChanged` when the hot flag the pair protocol knows changes.
    mutating func report(hot: Bool, into actions: inout ReplicationActions) {
        guard reportedHot != hot else { return }
        reportedHot = hot
        actions.append(.readinessChanged(hot: hot))
    }

    /// Where the standby's replica stands.
    public var progress: ReplicationProgress {
        var progress = ReplicationProgress()
        progress.sequence = store.sequence
        progress.backlog = receiver.backlog.count
        guard mode == .receiver else { return progress }
        progress.snapshot = receiver.snapshot
        switch receiver.phase {
        case .waiting:
            progress.phase = .waiting
        case .syncing:
            let assembler = receiver.assembler!
            progress.phase = .receiving
            progress.chunksReceived = assembler.nextIndex
            progress.chunksTotal = assembler.total
            progress.sectionsReceived = assembler.sectionsReceived
            progress.bytesReceived = assembler.bytesReceived
            progress.sectionsTotal = assembler.header?.sections ?? 0
            progress.bytesTotal = assembler.header?.bytes ?? 0
        case .live:
            progress.phase = receiver.hot ? .hot : .catchingUp
            let summary = receiver.installed!
            progress.chunksReceived = summary.chunks
            progress.chunksTotal = summary.chunks
            progress.sectionsReceived = summary.sections
            progress.sectionsTotal = summary.sections
            progress.bytesReceived = summary.bytes
            progress.bytesTotal = summary.bytes
        }
        return progress
    }
}
