/// What a takeover would lose with the replica as it was.
struct ReplicaState: Sendable, Hashable {
    /// Installed and caught up once (hot).
    var hot: Bool
    /// Hot, and nothing held behind a gap.
    var caughtUp: Bool
    var missing: UInt64
    var snapshotIncomplete: Bool
}

extension ReplicationCore {
    mutating func roleChanged(
        to next: Role, epoch newEpoch: UInt64, now: Instant, into actions: inout ReplicationActions
    ) {
        let from = mode
        let to = Self.mode(of: next)
        let replica = replicaState
        let idle = idleReplica
        role = next
        idleReplica = nil
        switch (from, to) {
        case (.receiver, .sender), (.receiver, .draining):
            takeOver(epoch: newEpoch, replica: replica, into: &actions)
        case (.idle, .sender), (.idle, .draining):
            takeOver(epoch: newEpoch, replica: idle, into: &actions)
        case (.sender, .sender), (.sender, .draining), (.draining, .sender), (.draining, .draining):
            // A switchover in progress or abandoned keeps the stream; a new epoch starts another.
            if newEpoch != epoch {
                dropSession(into: &actions)
                sender.retained = nil  // of the old epoch: no replica can resume it
                epoch = newEpoch
            }
        case (.sender, .receiver), (.draining, .receiver):
            dropSession(into: &actions)
            let written = store.sequence - sender.sequenceAtTakeover
            let confirmed = max(sender.sequenceAtTakeover, sender.mateApplied)
            if store.sequence > confirmed {
                // A lost split-brain resolution (or a forced switchover to a replica behind):
                // the snapshot from the new active replaces these.
                actions.append(.trace(.unconfirmedWritesDiscarded(
                    count: store.sequence - confirmed, writesSinceTakeover: written, sequence: store.sequence)))
            }
            sender = SenderState()
            startResync(.roleLost, writesSinceTakeover: written, now: now, into: &actions)
        case (.idle, .receiver):
            startResync(.joined, now: now, into: &actions)
        case (.receiver, .receiver):
            break
        case (.idle, .idle):
            idleReplica = idle
        case (.sender, .idle), (.draining, .idle):
            dropSession(into: &actions)
            sender = SenderState()
        case (.receiver, .idle):
            // Remembered for a takeover from the idle role (a separated board that takes over).
            idleReplica = replica
            receiver = ReceiverState()
            report(hot: false, into: &actions)
        }
        assert(Self.mode(of: role) == to, "the role is the new one")
    }

    /// What a takeover would lose with the replica as it is now.
    var replicaState: ReplicaState {
        let known = max(receiver.highestSeen, receiver.assembler?.header?.cutover ?? 0)
        return ReplicaState(
            hot: receiver.phase == .live && receiver.hot,
            caughtUp: receiver.phase == .live && receiver.hot && receiver.backlog.isEmpty,
            missing: known > store.sequence ? known - store.sequence : 0,
            snapshotIncomplete: receiver.phase != .live)
    }

    /// Becomes the active: the replica is the store, and the stream goes on from its sequence.
    private mutating func takeOver(epoch newEpoch: UInt64, replica: ReplicaState?, into actions: inout ReplicationActions) {
        precondition(newEpoch > 0, "an active board has an epoch")
        if let replica, !replica.hot {
            // A replica that was not hot: record what is known to be missing.
            actions.append(
                .trace(
                    .stateLost(
                        replicaSequence: store.sequence, missing: replica.missing,
                        snapshotIncomplete: replica.snapshotIncomplete)))
        } else if let replica, !replica.caughtUp {
            actions.append(.trace(.inFlightLost(replicaSequence: store.sequence, missing: replica.missing)))
        }
        receiver = ReceiverState()
        sender = SenderState()
        replicaStream = nil  // the store takes this board's own writes from now on
        sender.sequenceAtTakeover = store.sequence
        epoch = newEpoch
        actions.append(.trace(.tookOver(sequence: store.sequence, epoch: newEpoch)))
        assert(sender.session == nil && sender.pending.isEmpty, "a new active starts without a stream")
    }

    mutating func mateReachabilityChanged(_ reachable: Bool, now: Instant, into actions: inout ReplicationActions) {
        guard reachable != mateReachable else { return }
        mateReachable = reachable
        switch mode {
        case .sender, .draining:
            let held = sender.heldRequest
            let heldResume = sender.heldResume
            sender.heldRequest = nil
            sender.heldResume = nil
            if !reachable {
                dropSession(into: &actions)
            } else if sender.session == nil, let dropped = sender.dropped {
                // The standby may have kept the dropped stream (the loss was seen here only).
                sendRefusal(dropped, into: &actions)
            }
            // A request that overtook the news of the mate: served now, if it is recent.
            if reachable, let heldResume, heldResume.at + configuration.snapshotRequestHold >= now {
                resumeRequested(heldResume.request, now: now, into: &actions)
            }
            if reachable, let held, held.at + configuration.snapshotRequestHold >= now {
                snapshotRequested(held.snapshot, now: now, into: &actions)
            }
        case .receiver:
            if reachable {
                if receiver.sessionLost { startResync(.mateReturned, now: now, into: &actions) }
            } else if receiver.phase == .live {
                receiver.sessionLost = true
            } else {
                // The active dropped our stream: start again with a fresh identifier when it is back.
                let hot = receiver.hot
                receiver = ReceiverState()
                receiver.snapshot = nextSnapshotID()
                assert(!hot, "a replica that is not live is not hot")
            }
        case .idle:
            break
        }
        assert(mateReachable == reachable, "reachability recorded")
    }
}
