/// The active's side: the stream to the standby that asked for it.
struct SenderState: Sendable {
    /// The standby's stream, from its snapshot request on; nil without a standby listening.
    var session: SenderSession?
    /// Synchronous writes and flushes waiting for the mate, in sequence order.
    var pending: [PendingRequest] = []
    /// A write was refused because the window was full: say `.windowOpened` when it has room.
    var windowWasFull = false
    /// The store's sequence when this board became active.
    var sequenceAtTakeover: UInt64 = 0
    /// The highest sequence the mate's installed replica applied since then (kept when a
    /// stream is dropped): what a lost role would leave unconfirmed is above it.
    var mateApplied: UInt64 = 0
    /// The last stream dropped in this role: refused again when the mate is back, in case the
    /// standby kept it (it never saw the mate lost).
    var dropped: StreamID?
    /// The last refusal sent in answer to a message, and when (they are paced).
    var refused: StreamID?
    var refusedAt: Instant = .zero
    /// A snapshot request that came while the mate was not reachable (as far as the pair
    /// knows), and when: served if the mate becomes reachable within
    /// `ReplicationConfiguration.snapshotRequestHold`, else forgotten.
    var heldRequest: (snapshot: UInt64, at: Instant)?
    /// A resume request held likewise (served before the held snapshot request).
    var heldResume: (request: ResumeRequest, at: Instant)?
    /// The snapshot of the held request, made while the pair's news of the mate is on its way
    /// (the sort and the count of chunks: milliseconds for a large store, which the wait then
    /// covers). Served if nothing changed meanwhile; dropped by any write (a writer holds the
    /// store's tables, which a write would otherwise copy) and with the held request.
    var prepared: PreparedSnapshot?
    /// The stream dropped when the mate was lost, with every update the standby may lack
    /// (from its last acknowledgement on, and each write since): while it lasts, a standby
    /// that comes back with that stream's replica resumes it (`resumeRequested`). Given up
    /// once it would hold more than a window (the standby then takes a snapshot).
    var retained: RetainedStream?
}

/// A snapshot made for a held request (see `SenderState.prepared`).
struct PreparedSnapshot: Sendable {
    var snapshot: UInt64
    var writer: SnapshotWriter
    /// The store's sequence it holds, and whether its sections go in key order.
    var cutover: UInt64
    var inKeyOrder: Bool
}

/// The updates kept for a dropped stream (see `SenderState.retained`).
struct RetainedStream: Sendable {
    var stream: StreamID
    /// The standby acknowledged every update up to here.
    var acked: UInt64
    /// Updates `acked + 1 ... store.sequence`.
    var window: UpdateWindow
    var bytes: Int
}

/// A standby's offer to resume its stream (`ReplicationMessage.Body.resumeRequest`).
struct ResumeRequest: Sendable, Hashable {
    var snapshot: UInt64
    var stream: StreamID
    var replicaSequence: UInt64
}

/// A standby's stream: the snapshot its replica comes from, and the active's epoch.
struct StreamID: Sendable, Hashable {
    var snapshot: UInt64
    var epoch: UInt64
}

struct SenderSession: Sendable {
    /// The snapshot the standby's replica comes from.
    var snapshot: UInt64
    /// The sequence that snapshot holds.
    var cutover: UInt64
    /// Updates sent and not acknowledged: sequences `acked + 1 ... store.sequence`.
    var window = UpdateWindow()
    var windowBytes = 0
    /// The last `unsent` entries of `window` wait for their batch (`batchSizeMax`) and were
    /// never sent; always 0 without batches.
    var unsent = 0
    /// At most the earliest `sentAt` in `window` (meaningful while it is not empty): kept as a
    /// lower bound, so that neither the timers nor the deadline scan the window on every event.
    /// Appends and retransmissions only raise the entries' times; a scan makes it exact again.
    var sentAtFloor = Instant(nanoseconds: .max)
    /// The standby holds every update up to here.
    var acked: UInt64
    /// The standby applied every update up to here (meaningful once `installed`).
    var applied: UInt64 = 0
    var installed = false
    var mateHot = false
    /// The snapshot being sent, until the standby installed it.
    var serving: SnapshotServing?
    /// A resumed stream: the replica's sequence it went on from (told again to a repeated
    /// request, whose answer may have been lost).
    var resumedFrom: UInt64?
    /// When the latest acknowledgement of this stream came (nil: none yet).
    var ackedAt: Instant?
    /// The window's sent entries when the tail-loss probe last went (it goes once per newest
    /// entry): `acked` plus the sent count, the sequence of the newest update sent.
    var probedThrough: UInt64 = 0
}

struct WindowEntry: Sendable {
    var update: CheckpointUpdate
    var size: Int
    var sentAt: Instant
    var ackNow: Bool
}

struct PendingRequest: Sendable, Hashable {
    var request: UInt64
    /// Complete it once the mate applied this sequence.
    var sequence: UInt64
}

extension ReplicationCore {
    mutating func write(
        request: UInt64, update: CheckpointUpdate, sync: Bool, now: Instant, into actions: inout ReplicationActions
    ) {
        func refuse(_ refusal: WriteRefusal) {
            counters.writesRefused += 1
            actions.append(.complete(request: request, .refused(refusal)))
        }
        guard mode == .sender else { return refuse(.notActive) }
        let waits = sync && mateIsHot
        if sync, !waits, configuration.syncPolicy == .fail { return refuse(.mateNotHot) }
        if waits, sender.pending.count >= Limits.replicationPendingMax { return refuse(.busy) }
        if let window = sender.session?.window.count, let bytes = sender.session?.windowBytes {
            guard window < configuration.windowMax, bytes + update.encodedSize <= configuration.windowSizeMax else {
                sender.windowWasFull = true
                return refuse(.windowFull)
            }
        }
        let committed: CheckpointUpdate
        sender.prepared = nil  // before the store changes: no copy of the tables it holds
        do {
            committed = try store.commit(update)
        } catch {
            return refuse(.invalid(error))
        }
        if configuration.reportsTransientApplies || store.lastAppliedPersistent.value { actions.append(.apply(committed)) }
        if sender.session != nil {
            enqueue(committed, ackNow: waits, now: now, into: &actions)
        } else if sender.retained != nil {
            retain(committed)
        }
        if waits {
            sender.pending.append(PendingRequest(request: request, sequence: committed.sequence))
        } else {
            actions.append(.complete(request: request, .local(sequence: committed.sequence)))
        }
    }

    private mutating func enqueue(
        _ update: CheckpointUpdate, ackNow: Bool, now: Instant, into actions: inout ReplicationActions
    ) {
        precondition(update.sequence == sender.session!.acked + UInt64(sender.session!.window.count) + 1, "in order")
        let size = update.encodedSize
        if sender.session!.window.isEmpty { sender.session!.sentAtFloor = now }
        sender.session!.window.append(WindowEntry(update: update, size: size, sentAt: now, ackNow: ackNow))
        sender.session!.windowBytes += size
        counters.updatesSent += 1
        guard configuration.batchSizeMax > 0 else {
            return actions.append(.send(ReplicationMessage(epoch: epoch, .update(update, ackNow: ackNow))))
        }
        sender.session!.unsent += 1
        // A synchronous write goes at once (with what waits before it); so does a full batch.
        if ackNow || sender.session!.unsent >= Limits.replicationBatchUpdatesMax {
            sendUnsent(now: now, into: &actions)
        }
    }

    /// Keeps a write made while the standby's stream is dropped, for a resume; gives the
    /// stream up once it would hold more than a window.
    private mutating func retain(_ update: CheckpointUpdate) {
        let size = update.encodedSize
        guard sender.retained!.window.count < configuration.windowMax,
            sender.retained!.bytes + size <= configuration.windowSizeMax
        else {
            sender.retained = nil
            return
        }
        assert(update.sequence == sender.retained!.acked + UInt64(sender.retained!.window.count) + 1, "in order")
        sender.retained!.window.append(WindowEntry(update: update, size: size, sentAt: .zero, ackNow: false))
        sender.retained!.bytes += size
    }

    /// A standby offers to resume its stream from its replica's sequence (just before it asks
    /// for a snapshot with the same identifier): resumed when the replica is that stream's, of
    /// this epoch, and every update after it is still here (the live stream's window, or what
    /// was kept when it was dropped). The stream goes on as `request.snapshot`: the standby is
    /// told (`streamResumed`), the updates it lacks follow at once, and the snapshot request
    /// that follows is a repeat of a stream already running. Otherwise nothing: the snapshot
    /// request is served.
    mutating func resumeRequested(_ request: ResumeRequest, now: Instant, into actions: inout ReplicationActions) {
        if sender.session?.snapshot == request.snapshot {
            // A repeat: the answer may have been lost (a snapshot stream of that name: nothing).
            if let from = sender.session!.resumedFrom {
                actions.append(.send(ReplicationMessage(epoch: epoch, .streamResumed(snapshot: request.snapshot, from: from))))
            }
            return
        }
        guard request.stream.epoch == epoch, request.replicaSequence <= store.sequence else { return }
        var window: UpdateWindow
        let acked: UInt64
        if sender.session?.snapshot == request.stream.snapshot, sender.session!.installed, sender.session!.serving == nil {
            window = sender.session!.window
            acked = sender.session!.acked
        } else if let retained = sender.retained, retained.stream == request.stream {
            window = retained.window
            acked = retained.acked
        } else {
            return
        }
        // The replica holds at least what it acknowledged, and nothing this board did not send.
        guard request.replicaSequence >= acked, request.replicaSequence - acked <= UInt64(window.count) else { return }
        window.removeFirst(Int(request.replicaSequence - acked))
        assert(
            window.isEmpty ? request.replicaSequence == store.sequence
                : window[0].update.sequence == request.replicaSequence + 1 && window[window.count - 1].update.sequence == store.sequence,
            "the window holds exactly the updates after the replica")
        var session = SenderSession(snapshot: request.snapshot, cutover: request.replicaSequence, acked: request.replicaSequence)
        session.window = window
        session.windowBytes = window.reduce(0) { $0 + $1.size }
        session.installed = true
        session.applied = request.replicaSequence
        session.resumedFrom = request.replicaSequence
        session.sentAtFloor = now
        sender.session = session
        sender.retained = nil
        sender.mateApplied = max(sender.mateApplied, request.replicaSequence)
        actions.append(.trace(.streamResumedForMate(snapshot: request.snapshot, from: request.replicaSequence, updates: window.count)))
        actions.append(.send(ReplicationMessage(epoch: epoch, .streamResumed(snapshot: request.snapshot, from: request.replicaSequence))))
        if !window.isEmpty {
            counters.updatesResent += UInt64(window.count)
            sendEntries(0..<window.count, now: now, into: &actions)
        }
        completeReplicated(into: &actions)
        if sender.windowWasFull, window.count < configuration.windowMax {
            sender.windowWasFull = false
            actions.append(.windowOpened)
        }
    }

    /// Sends the updates that wait for their batch, if any.
    mutating func sendUnsent(now: Instant, into actions: inout ReplicationActions) {
        guard let unsent = sender.session?.unsent, unsent > 0 else { return }
        let count = sender.session!.window.count
        precondition(unsent <= count, "unsent updates are in the window")
        sender.session!.unsent = 0
        sendEntries((count - unsent)..<count, now: now, into: &actions)
    }

    /// Sends window entries `range` in order, in as few messages as `batchSizeMax` allows
    /// (each alone without batches; a batch of one as an `update`), and marks them sent now.
    private mutating func sendEntries(_ range: Range<Int>, now: Instant, into actions: inout ReplicationActions) {
        var batch: [CheckpointUpdate] = []
        var size = ReplicationMessage.batchOverhead
        var ackNow = false
        func emit() {
            guard !batch.isEmpty else { return }
            let body: ReplicationMessage.Body =
                batch.count == 1 ? .update(batch[0], ackNow: ackNow) : .updates(batch, ackNow: ackNow)
            actions.append(.send(ReplicationMessage(epoch: epoch, body)))
            batch.removeAll(keepingCapacity: true)
            size = ReplicationMessage.batchOverhead
            ackNow = false
        }
        if configuration.batchSizeMax > 0 { batch.reserveCapacity(min(range.count, Limits.replicationBatchUpdatesMax)) }
        for index in range {
            let entry = sender.session!.window.markSent(index, at: now)
            var entrySize = ReplicationMessage.batchEntrySize(entry.update, after: batch.last, recordSize: entry.size)
            if !batch.isEmpty,
                size + entrySize > configuration.batchSizeMax || batch.count == Limits.replicationBatchUpdatesMax
            {
                emit()
                entrySize = ReplicationMessage.batchEntrySize(entry.update, after: nil, recordSize: entry.size)
            }
            batch.append(entry.update)
            size += entrySize
            ackNow = ackNow || entry.ackNow
        }
        emit()
    }

    mutating func flush(request: UInt64, into actions: inout ReplicationActions) {
        guard mode == .sender || mode == .draining else {
            counters.writesRefused += 1
            return actions.append(.complete(request: request, .refused(.notActive)))
        }
        let sequence = store.sequence
        guard let session = sender.session else {
            return actions.append(.complete(request: request, .unconfirmed(sequence: sequence)))
        }
        if session.installed, session.applied >= sequence {
            return actions.append(.complete(request: request, .replicated(sequence: sequence)))
        }
        guard sender.pending.count < Limits.replicationPendingMax else {
            counters.writesRefused += 1
            return actions.append(.complete(request: request, .refused(.busy)))
        }
        sender.pending.append(PendingRequest(request: request, sequence: sequence))
    }

    mutating func ackReceived(
        _ ack: ReplicationAck, epoch messageEpoch: UInt64, now: Instant, into actions: inout ReplicationActions
    ) {
        guard sender.session != nil, messageEpoch == epoch, ack.snapshot == sender.session!.snapshot,
            // An installed replica behind the cut-over comes from an earlier stream of that
            // snapshot (a late repeat of its request started this one).
            !ack.installed || ack.applied >= sender.session!.cutover
        else {
            counters.staleDropped += 1
            return refuseStream(StreamID(snapshot: ack.snapshot, epoch: messageEpoch), now: now, into: &actions)
        }
        guard ack.received <= store.sequence, ack.applied <= ack.received else {
            return actions.append(.trace(.bogusAck(received: ack.received, sequence: store.sequence)))
        }
        sender.session!.ackedAt = now
        chunksAcknowledged(ack.chunks, now: now)
        if ack.gap { chunkGapReported(at: ack.chunks, now: now, into: &actions) }
        if ack.received > sender.session!.acked {
            release(through: ack.received)
        }
        if ack.installed {
            if !sender.session!.installed {
                sender.session!.installed = true
                sender.session!.serving = nil
                counters.snapshotsServed += 1
                actions.append(.trace(.snapshotServed(snapshot: ack.snapshot)))
            }
            sender.session!.applied = max(sender.session!.applied, ack.applied)
            sender.mateApplied = max(sender.mateApplied, sender.session!.applied)
            sender.session!.mateHot = ack.hot
        }
        completeReplicated(into: &actions)
        if sender.windowWasFull, sender.session!.window.count < configuration.windowMax {
            sender.windowWasFull = false
            actions.append(.windowOpened)
        }
    }

    /// Drops the updates the standby holds from the window.
    private mutating func release(through received: UInt64) {
        let count = Int(received - sender.session!.acked)
        precondition(count <= sender.session!.window.count, "an ack within the window")
        let bytes = sender.session!.window.size(ofFirst: count)
        sender.session!.window.removeFirst(count)
        sender.session!.windowBytes -= bytes
        sender.session!.acked = received
        // Never more unsent than held (an ack can only cover what was sent).
        sender.session!.unsent = min(sender.session!.unsent, sender.session!.window.count)
        assert(sender.session!.windowBytes >= 0, "window bytes never go negative")
    }

    /// Completes the waiting requests the mate's replica now holds, in order.
    private mutating func completeReplicated(into actions: inout ReplicationActions) {
        // Only the fields: a copy of the whole session would retain its window and snapshot.
        guard sender.session?.installed == true, let applied = sender.session?.applied else { return }
        var done = 0
        for pending in sender.pending {
            guard pending.sequence <= applied else { break }
            actions.append(.complete(request: pending.request, .replicated(sequence: pending.sequence)))
            done += 1
        }
        sender.pending.removeFirst(done)
        assert(sender.pending.first.map { $0.sequence > applied } ?? true, "completed in order")
    }

    mutating func nackReceived(
        snapshot: UInt64, from: UInt64, through: UInt64, epoch messageEpoch: UInt64, now: Instant,
        into actions: inout ReplicationActions
    ) {
        guard sender.session != nil, messageEpoch == epoch, snapshot == sender.session!.snapshot else {
            counters.staleDropped += 1
            return refuseStream(StreamID(snapshot: snapshot, epoch: messageEpoch), now: now, into: &actions)
        }
        counters.nacksReceived += 1
        let acked = sender.session!.acked
        let sent = sender.session!.window.count - sender.session!.unsent
        let low = max(from, acked + 1)
        let high = min(through, acked + UInt64(sent))
        guard low <= high else { return }
        var resent = 0
        var run: Range<Int>?
        for index in Int(low - acked - 1)...Int(high - acked - 1) {
            guard resent < Limits.replicationResendBatchMax else { break }
            guard sender.session!.window.sentAt(index) + configuration.resendHoldoff <= now else {
                resend(&run, now: now, into: &actions)
                continue
            }
            extend(&run, with: index, now: now, into: &actions)
            resent += 1
        }
        resend(&run, now: now, into: &actions)
    }

    /// Adds window entry `index` to the run of consecutive entries to resend; a run it does
    /// not continue is sent first.
    private mutating func extend(_ run: inout Range<Int>?, with index: Int, now: Instant, into actions: inout ReplicationActions) {
        if let current = run, current.upperBound == index {
            run = current.lowerBound..<(index + 1)
        } else {
            resend(&run, now: now, into: &actions)
            run = index..<(index + 1)
        }
    }

    /// Sends a run of window entries again (batched as `batchSizeMax` allows) and empties it.
    private mutating func resend(_ run: inout Range<Int>?, now: Instant, into actions: inout ReplicationActions) {
        guard let range = run else { return }
        run = nil
        counters.updatesResent += UInt64(range.count)
        sendEntries(range, now: now, into: &actions)
    }

    /// Retransmits what timed out, probes a silent tail and keeps the snapshot flowing.
    mutating func senderTimers(now: Instant, into actions: inout ReplicationActions) {
        if sender.prepared != nil, sender.heldRequest.map({ $0.at + configuration.snapshotRequestHold < now }) ?? true {
            sender.prepared = nil  // its request is forgotten
        }
        guard sender.session != nil else { return }
        if !sender.session!.window.isEmpty, sender.session!.sentAtFloor + configuration.retransmitTimeout <= now {
            retransmitExpired(now: now, into: &actions)
        }
        if let at = tailProbeAt, at <= now { probeTail(now: now, into: &actions) }
        pumpSnapshot(now: now, into: &actions)
    }

    /// When the tail-loss probe goes: `tailProbeTimeout` after the newest update was sent or
    /// the latest acknowledgement came, whichever is later, once per newest update; nil when
    /// nothing sent waits for an acknowledgement.
    var tailProbeAt: Instant? {
        // Only the fields: a copy of the whole session would retain its window on every event.
        guard sender.session != nil else { return nil }
        let sent = sender.session!.window.count - sender.session!.unsent
        guard sent > 0, sender.session!.acked + UInt64(sent) > sender.session!.probedThrough else { return nil }
        let newestSentAt = sender.session!.window.sentAt(sent - 1)
        return max(newestSentAt, sender.session!.ackedAt ?? newestSentAt) + configuration.tailProbeTimeout
    }

    /// Sends the newest sent update again: the standby acknowledges it, or reports what it
    /// misses before it.
    private mutating func probeTail(now: Instant, into actions: inout ReplicationActions) {
        let sent = sender.session!.window.count - sender.session!.unsent
        precondition(sent > 0, "a probe needs an update sent")
        sender.session!.probedThrough = sender.session!.acked + UInt64(sent)
        counters.tailProbes += 1
        counters.updatesResent += 1
        sendEntries((sent - 1)..<sent, now: now, into: &actions)
    }

    /// Sends again the updates that timed out (at most `replicationResendBatchMax`, oldest
    /// first; the rest at the next event) and makes `sentAtFloor` exact.
    private mutating func retransmitExpired(now: Instant, into actions: inout ReplicationActions) {
        var resent = 0
        var floor = Instant(nanoseconds: .max)
        var run: Range<Int>?
        // Unsent entries (waiting for their batch) are not retransmitted, but bound the floor.
        let sent = sender.session!.window.count - sender.session!.unsent
        for index in sender.session!.window.indices {
            if index < sent, resent < Limits.replicationResendBatchMax,
                sender.session!.window.sentAt(index) + configuration.retransmitTimeout <= now
            {
                extend(&run, with: index, now: now, into: &actions)
                resent += 1
                floor = min(floor, now)  // sent again now, when its run goes
            } else {
                floor = min(floor, sender.session!.window.sentAt(index))
            }
        }
        resend(&run, now: now, into: &actions)
        sender.session!.sentAtFloor = floor
    }

    var senderDeadline: Instant {
        guard sender.session != nil else { return Instant(nanoseconds: .max) }
        var deadline = Instant(nanoseconds: .max)
        // Updates waiting for their batch go at the next event: a tick now.
        if sender.session!.unsent > 0 { return lastEventAt }
        if !sender.session!.window.isEmpty {
            // A lower bound: at worst one early tick, whose scan makes the floor exact.
            deadline = sender.session!.sentAtFloor + configuration.retransmitTimeout
        }
        if let probe = tailProbeAt { deadline = min(deadline, probe) }
        if sender.session!.serving != nil {
            if !sender.session!.serving!.inFlight.isEmpty {
                deadline = min(deadline, sender.session!.serving!.sentAt + configuration.retransmitTimeout)
            } else if let doneSentAt = sender.session!.serving!.doneSentAt {
                deadline = min(deadline, doneSentAt + configuration.retransmitTimeout)
            }
        }
        return deadline
    }

    /// Forgets the standby's stream: what waited for it is completed as unconfirmed.
    mutating func dropSession(into actions: inout ReplicationActions) {
        let unconfirmed = sender.pending.count
        for pending in sender.pending {
            actions.append(.complete(request: pending.request, .unconfirmed(sequence: pending.sequence)))
        }
        sender.pending = []
        let hadSession = sender.session != nil
        sender.retained = nil
        if let session = sender.session, mode == .sender || mode == .draining {
            // Kept for a resume: a replica installed from this stream holds every update up
            // to its acknowledgement.
            if session.installed, session.serving == nil {
                sender.retained = RetainedStream(
                    stream: StreamID(snapshot: session.snapshot, epoch: epoch), acked: session.acked, window: session.window,
                    bytes: session.windowBytes)
            }
            // The standby may not see the mate lost (or the epoch change): tell it at once; it
            // resynchronises. Told again when the mate is back, and in answer to its messages.
            let stream = StreamID(snapshot: session.snapshot, epoch: epoch)
            sender.dropped = stream
            sendRefusal(stream, into: &actions)
        }
        sender.session = nil
        if sender.windowWasFull {
            sender.windowWasFull = false
            actions.append(.windowOpened)
        }
        if hadSession || unconfirmed > 0 {
            actions.append(.trace(.mateLost(unconfirmed: unconfirmed)))
        }
    }
}

extension ReplicationCore {
    /// Answers a standby's message for a stream this active does not hold: the standby
    /// resynchronises. At most one answer per stream per `retransmitTimeout` (a burst of stale
    /// acknowledgements gets one); the standby's acknowledgements repeat, so a lost one is
    /// answered again.
    mutating func refuseStream(_ stream: StreamID, now: Instant, into actions: inout ReplicationActions) {
        // 0: a standby that has no snapshot identifier yet has no stream to refuse.
        guard stream.snapshot != 0 else { return }
        if sender.refused == stream, sender.refusedAt + configuration.retransmitTimeout > now { return }
        sender.refused = stream
        sender.refusedAt = now
        sendRefusal(stream, into: &actions)
    }

    func sendRefusal(_ stream: StreamID, into actions: inout ReplicationActions) {
        actions.append(.trace(.streamRefused(snapshot: stream.snapshot, epoch: stream.epoch)))
        actions.append(.send(ReplicationMessage(epoch: stream.epoch, .streamRefused(snapshot: stream.snapshot))))
    }
}
