extension ReplicationCore {
    /// A new snapshot identifier: this board's incarnation and a counter that skips 0.
    mutating func nextSnapshotID() -> UInt64 {
        snapshotCounter &+= 1
        if snapshotCounter == 0 { snapshotCounter = 1 }
        return UInt64(configuration.incarnation) << 32 | UInt64(snapshotCounter)
    }

    /// Gives up the stream and asks the active for a snapshot (now if the mate is reachable,
    /// otherwise once it is). The replica stays readable until the snapshot replaces it.
    mutating func startResync(
        _ reason: ResyncReason, writesSinceTakeover: UInt64 = 0, now: Instant, into actions: inout ReplicationActions
    ) {
        precondition(mode == .receiver, "only a receiver resynchronises")
        counters.resyncs += 1
        actions.append(
            .trace(.resyncStarted(reason, replicaSequence: store.sequence, writesSinceTakeover: writesSinceTakeover)))
        report(hot: false, into: &actions)
        receiver = ReceiverState()
        receiver.snapshot = nextSnapshotID()
        if mateReachable { requestSnapshot(now: now, into: &actions) }
        assert(receiver.phase == .waiting && !receiver.hot, "a resync starts from nothing")
    }

    /// Takes the replica that the last installed snapshot replaced, if the adapter has not
    /// taken it yet: releasing a large store takes time (every section is freed), which the
    /// adapter may spend elsewhere (another thread) or after its answers went out. Dropped with
    /// the receiver's state otherwise.
    public mutating func takeRetiredReplica() -> CheckpointStore? {
        defer { receiver.retired = nil }
        return receiver.retired
    }

    mutating func requestSnapshot(now: Instant, into actions: inout ReplicationActions) {
        precondition(receiver.phase == .waiting && receiver.snapshot != 0, "a request while waiting")
        receiver.requestedAt = now
        if mateResumesStreams, let stream = replicaStream {
            // First an offer to resume the replica's stream; the snapshot request right after
            // it is served only if the active cannot (or does not know how to).
            actions.append(
                .send(
                    ReplicationMessage(
                        epoch: epoch,
                        .resumeRequest(
                            snapshot: receiver.snapshot, streamSnapshot: stream.snapshot, streamEpoch: stream.epoch,
                            replicaSequence: store.sequence))))
        }
        actions.append(.trace(.snapshotRequested(snapshot: receiver.snapshot, replicaSequence: store.sequence)))
        actions.append(
            .send(
                ReplicationMessage(
                    epoch: epoch, .snapshotRequest(snapshot: receiver.snapshot, replicaSequence: store.sequence))))
    }

    mutating func chunkReceived(
        _ chunk: SnapshotChunk, epoch messageEpoch: UInt64, now: Instant, into actions: inout ReplicationActions
    ) {
        guard chunk.snapshot == receiver.snapshot else {
            counters.staleDropped += 1
            return
        }
        switch receiver.phase {
        case .waiting:
            // A snapshot starts with its first chunk; the active sends the others again.
            guard chunk.index == 0 else {
                counters.staleDropped += 1
                return
            }
            receiver.assembler = SnapshotAssembler(snapshot: chunk.snapshot, epoch: messageEpoch, previous: store)
            receiver.phase = .syncing
            receiver.progressAt = now
        case .syncing:
            guard messageEpoch == receiver.assembler!.epoch else {
                counters.staleDropped += 1
                return
            }
        case .live:
            // A repeat after the install: the active missed our acknowledgement.
            return sendAck(into: &actions)
        }
        if chunk.index == receiver.assembler!.nextIndex {
            guard accept(chunk, now: now, into: &actions) else { return }
            if chunk.index == 0, let header = receiver.assembler!.header {
                actions.append(.prepareReplica(sections: header.sections, bytes: header.bytes))
            }
            // The chunks held after it, in order (each at most once: the loop is bounded).
            for _ in 0..<Limits.snapshotChunksInFlightMax {
                guard let next = receiver.earlyChunks.removeValue(forKey: receiver.assembler!.nextIndex) else { break }
                receiver.earlyChunkBytes -= next.bytes.count
                guard accept(next, now: now, into: &actions) else { return }
            }
        } else {
            holdEarly(chunk)
        }
        // Chunks are paced by these acknowledgements: send one for every chunk (it reports a
        // gap while chunks are held after a missing one).
        sendAck(into: &actions)
    }

    /// Gives the next chunk to the assembler; a chunk it refuses makes the snapshot useless.
    /// - Returns: whether it took it (otherwise the standby resynchronises).
    private mutating func accept(_ chunk: SnapshotChunk, now: Instant, into actions: inout ReplicationActions) -> Bool {
        do {
            try receiver.assembler!.accept(chunk)
        } catch {
            actions.append(.trace(.snapshotRejected(snapshot: chunk.snapshot, error)))
            startResync(.snapshotRejected, now: now, into: &actions)
            return false
        }
        receiver.progressAt = now
        return true
    }

    /// Keeps a chunk that came after a missing one, within the bounds; drops a repeat.
    private mutating func holdEarly(_ chunk: SnapshotChunk) {
        let next = receiver.assembler!.nextIndex
        guard chunk.index > next, receiver.earlyChunks[chunk.index] == nil else {
            counters.duplicatesDropped += 1
            return
        }
        guard chunk.index - next <= UInt32(Limits.snapshotChunksInFlightMax),
            receiver.earlyChunks.count < Limits.snapshotChunksInFlightMax,
            receiver.earlyChunkBytes + chunk.bytes.count <= Limits.snapshotBytesInFlightMax
        else {
            // Beyond what the active has in flight: it sends it again.
            counters.staleDropped += 1
            return
        }
        receiver.earlyChunks[chunk.index] = chunk
        receiver.earlyChunkBytes += chunk.bytes.count
    }

    mutating func snapshotDone(
        _ summary: SnapshotSummary, epoch messageEpoch: UInt64, now: Instant, into actions: inout ReplicationActions
    ) {
        guard summary.snapshot == receiver.snapshot else {
            counters.staleDropped += 1
            return
        }
        switch receiver.phase {
        case .waiting:
            counters.staleDropped += 1
        case .live:
            sendAck(into: &actions)
        case .syncing:
            // Read in place: a copy of the assembler would make `finish` copy its store.
            guard messageEpoch == receiver.assembler!.epoch, receiver.assembler!.total > 0,
                receiver.assembler!.nextIndex == receiver.assembler!.total
            else {
                // Chunks are missing: the active sends them again.
                counters.staleDropped += 1
                return
            }
            let replica: CheckpointStore
            do {
                replica = try receiver.assembler!.finish(summary)
            } catch {
                actions.append(.trace(.snapshotRejected(snapshot: summary.snapshot, error)))
                return startResync(.snapshotRejected, now: now, into: &actions)
            }
            install(replica, summary: summary, epoch: messageEpoch, now: now, into: &actions)
        }
    }

    /// The active resumed the replica's stream from `from` (see `resumeRequested`): live
    /// again without a snapshot, if the replica is still that stream's at that sequence.
    mutating func streamResumed(
        _ snapshot: UInt64, from: UInt64, epoch messageEpoch: UInt64, now: Instant, into actions: inout ReplicationActions
    ) {
        guard snapshot == receiver.snapshot, receiver.phase == .waiting else {
            // A repeat after we went live: the active may have missed our acknowledgement.
            if snapshot == receiver.snapshot, receiver.phase == .live { return sendAck(into: &actions) }
            counters.staleDropped += 1
            return
        }
        guard let stream = replicaStream, stream.epoch == messageEpoch, from == store.sequence else {
            // Not this replica's stream any more: the snapshot request stands.
            counters.staleDropped += 1
            return
        }
        epoch = messageEpoch
        replicaStream = StreamID(snapshot: snapshot, epoch: messageEpoch)
        receiver.phase = .live
        receiver.sessionLost = false
        receiver.installed = SnapshotSummary(
            snapshot: snapshot, cutover: from, checkpoints: UInt32(store.count), sections: UInt64(store.sectionCount),
            bytes: UInt64(store.size), checksum: store.checksum, chunks: 0)
        let stale = receiver.backlog.keys.filter { $0 <= from }
        for sequence in stale {
            receiver.backlogBytes -= receiver.backlog.removeValue(forKey: sequence)!.encodedSize
        }
        actions.append(.trace(.streamResumed(snapshot: snapshot, sequence: from)))
        drainBacklog(now: now, into: &actions)
        guard receiver.phase == .live else { return }
        nackGap(now: now, into: &actions)
        checkHot(into: &actions)
        sendAck(into: &actions)
    }

    /// Replaces the replica by the snapshot, then applies what was held after its cut-over.
    private mutating func install(
        _ replica: CheckpointStore, summary: SnapshotSummary, epoch activeEpoch: UInt64, now: Instant,
        into actions: inout ReplicationActions
    ) {
        precondition(replica.sequence == summary.cutover, "the snapshot is at its cut-over")
        let previous = store.sequence
        // Kept for the adapter to release off this path (100,000 sections take tens of ms to free).
        receiver.retired = store
        store = replica
        epoch = activeEpoch
        replicaStream = StreamID(snapshot: summary.snapshot, epoch: activeEpoch)
        receiver.assembler = nil
        receiver.earlyChunks = [:]
        receiver.earlyChunkBytes = 0
        receiver.phase = .live
        receiver.installed = summary
        receiver.sessionLost = false
        let stale = receiver.backlog.keys.filter { $0 <= summary.cutover }
        for sequence in stale {
            receiver.backlogBytes -= receiver.backlog.removeValue(forKey: sequence)!.encodedSize
        }
        counters.snapshotsInstalled += 1
        actions.append(
            .trace(.snapshotInstalled(snapshot: summary.snapshot, cutover: summary.cutover, previousSequence: previous)))
        actions.append(.replaceReplica(summary))
        drainBacklog(now: now, into: &actions)
        guard receiver.phase == .live else { return }
        nackGap(now: now, into: &actions)
        checkHot(into: &actions)
        sendAck(into: &actions)
    }
}
