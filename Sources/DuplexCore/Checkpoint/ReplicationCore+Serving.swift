/// A snapshot on its way to the standby: chunks sent and not acknowledged (go-back-N).
struct SnapshotServing: Sendable {
    var writer: SnapshotWriter
    /// Chunks `acked ..< writer.nextIndex`, in order.
    var inFlight: [SnapshotChunk] = []
    var acked: UInt32 = 0
    /// The last progress or retransmission of the chunks in flight.
    var sentAt: Instant
    /// When the summary was last sent, once every chunk was acknowledged.
    var doneSentAt: Instant?
    /// When the first chunk in flight was last sent again because the standby reported it
    /// missing (nil: not since it became the first).
    var headResentAt: Instant?
}

extension ReplicationCore {
    /// The standby asks for a snapshot: a new stream starts at the store's current sequence.
    mutating func snapshotRequested(_ snapshot: UInt64, now: Instant, into actions: inout ReplicationActions) {
        // A repeat of the current request: its chunks are on their way.
        guard sender.session?.snapshot != snapshot else { return }
        // The standby's replica is being replaced (an operator resync, or a loss seen on its
        // side only): requests waiting for it would wait for the whole snapshot, hundreds of
        // milliseconds for a large store. They are answered now, unconfirmed (on this board;
        // the snapshot carries them), as when the mate is lost.
        for pending in sender.pending {
            actions.append(.complete(request: pending.request, .unconfirmed(sequence: pending.sequence)))
        }
        sender.pending = []
        sender.retained = nil  // writes go to the new stream's window from now on
        let inKeyOrder = !mateTakesUnorderedSnapshots
        let prepared = sender.prepared
        sender.prepared = nil
        let writer =
            if let prepared, prepared.snapshot == snapshot, prepared.cutover == store.sequence, prepared.inKeyOrder == inKeyOrder {
                prepared.writer
            } else {
                SnapshotWriter(snapshot: snapshot, store: store, chunkSize: configuration.chunkSizeMax, inKeyOrder: inKeyOrder)
            }
        let summary = writer.summary
        sender.session = SenderSession(
            snapshot: snapshot, cutover: store.sequence, acked: store.sequence,
            serving: SnapshotServing(writer: writer, sentAt: now))
        if sender.windowWasFull {
            sender.windowWasFull = false
            actions.append(.windowOpened)
        }
        actions.append(.trace(.snapshotStarted(snapshot: snapshot, cutover: summary.cutover, chunks: summary.chunks)))
        assert(summary.cutover == store.sequence, "the snapshot holds the store as it is now")
    }

    /// The standby received chunks `0 ..< chunks` in order.
    mutating func chunksAcknowledged(_ chunks: UInt32, now: Instant) {
        guard let serving = sender.session?.serving, chunks > serving.acked,
            chunks <= serving.writer.nextIndex
        else { return }
        let count = Int(chunks - serving.acked)
        sender.session!.serving!.inFlight.removeFirst(count)
        sender.session!.serving!.acked = chunks
        sender.session!.serving!.sentAt = now
        sender.session!.serving!.headResentAt = nil
        assert(
            sender.session!.serving!.inFlight.first.map { $0.index == chunks } ?? true,
            "the chunks in flight start after the acknowledged ones")
    }

    /// The standby holds chunks after the first one in flight, which it is missing (lost):
    /// sends that one again now, at most once per `resendHoldoff` (the standby reports the
    /// gap with every chunk that arrives after it), instead of every chunk in flight after
    /// `retransmitTimeout`. With chunks the size of a datagram a loss costs a round trip.
    mutating func chunkGapReported(at index: UInt32, now: Instant, into actions: inout ReplicationActions) {
        guard let serving = sender.session?.serving, serving.acked == index, let head = serving.inFlight.first,
            serving.headResentAt.map({ $0 + configuration.resendHoldoff <= now }) ?? true
        else { return }
        assert(head.index == index, "the first chunk in flight is the first not acknowledged")
        sender.session!.serving!.headResentAt = now
        counters.chunksResent += 1
        actions.append(.send(ReplicationMessage(epoch: epoch, .snapshotChunk(head))))
    }

    /// Sends chunks up to `configuration.chunksInFlightMax` in flight, all of them again after
    /// a timeout, and the summary once every chunk was acknowledged.
    mutating func pumpSnapshot(now: Instant, into actions: inout ReplicationActions) {
        guard sender.session?.serving != nil else { return }
        let inFlightMax = configuration.chunksInFlightMax
        for _ in 0..<inFlightMax {
            guard sender.session!.serving!.inFlight.count < inFlightMax,
                let chunk = sender.session!.serving!.writer.nextChunk()
            else { break }
            if sender.session!.serving!.inFlight.isEmpty { sender.session!.serving!.sentAt = now }
            sender.session!.serving!.inFlight.append(chunk)
            counters.chunksSent += 1
            actions.append(.send(ReplicationMessage(epoch: epoch, .snapshotChunk(chunk))))
        }
        let serving = sender.session!.serving!
        if !serving.inFlight.isEmpty, serving.sentAt + configuration.retransmitTimeout <= now {
            for chunk in serving.inFlight {
                counters.chunksResent += 1
                actions.append(.send(ReplicationMessage(epoch: epoch, .snapshotChunk(chunk))))
            }
            sender.session!.serving!.sentAt = now
        }
        if serving.writer.isFinished, serving.inFlight.isEmpty,
            serving.doneSentAt.map({ $0 + configuration.retransmitTimeout <= now }) ?? true
        {
            sender.session!.serving!.doneSentAt = now
            actions.append(.send(ReplicationMessage(epoch: epoch, .snapshotDone(serving.writer.summary))))
        }
        assert(sender.session!.serving!.inFlight.count <= inFlightMax, "chunks in flight bounded")
    }
}
