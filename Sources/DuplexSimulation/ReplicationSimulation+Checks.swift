import DuplexCore

extension ReplicationSimulation {
    /// The next step of the current crash episode.
    mutating func runEpisode() {
        let episode = episodes.removeFirst()
        switch episode.step {
        case .crash(let active):
            guard let victim = active ? activeIndex : standbyIndex else {
                // Nothing to crash: skip this episode's other steps.
                episodes.removeFirst(min(2, episodes.count))
                return
            }
            crashed = (victim, active)
            boards[victim].alive = false
            requests = requests.filter { $0.value.board != victim }
            record(victim, .note("CRASH (\(active ? "active" : "standby"))"))
        case .detect:
            guard let (victim, wasActive) = crashed else { return }
            let survivor = 1 - victim
            let wasHot = boards[survivor].core.isHot
            handle(survivor, .mateReachable(false))
            if wasActive { takeOver(survivor, wasHot: wasHot) }
        case .restart:
            guard let (victim, wasActive) = crashed else { return }
            boards[victim] = makeBoard()
            record(victim, .note("restarted as a new standby"))
            handle(victim, .roleChanged(.standby, epoch: 0))
            handle(victim, .mateReachable(true))
            handle(1 - victim, .mateReachable(true))
            if !wasActive { outcome.standbyRestarts += 1 }
            crashed = nil
        }
    }

    /// The standby takes over: every write completed as replicated must be in its store,
    /// unless it recorded that it was not hot.
    private mutating func takeOver(_ survivor: Int, wasHot: Bool) {
        epoch += 1
        let lossesBefore = outcome.lossyTakeovers
        handle(survivor, .roleChanged(.active, epoch: epoch))
        outcome.takeovers += 1
        let sequence = boards[survivor].core.store.sequence
        let recorded = outcome.lossyTakeovers > lossesBefore
        if wasHot, recorded {
            fail(.noAcknowledgedLoss, "a hot standby recorded a loss of state on takeover")
        }
        if replicatedMax > sequence, !recorded {
            fail(.noAcknowledgedLoss, "write #\(replicatedMax) was completed as replicated; the new active is at #\(sequence)")
        }
        guard sequence <= UInt64(history.count) else {
            return fail(.replicaIsPrefix, "the new active is at #\(sequence), past the history's #\(history.count)")
        }
        // The new line of history goes on from what the new active holds.
        history.removeLast(history.count - Int(sequence))
        replicatedMax = min(replicatedMax, sequence)
        for index in boards.indices where boards[index].shadow.sequence > sequence {
            boards[index].shadow = CheckpointStore()
        }
    }

    /// The active committed an update: it must be the next of the history.
    mutating func committed(_ update: CheckpointUpdate) {
        guard update.sequence == UInt64(history.count) + 1 else {
            return fail(.requestsAnswered, "the active committed #\(update.sequence) after #\(history.count)")
        }
        history.append(update)
    }

    /// A request was answered: exactly once, and a replicated write is on the replica.
    mutating func completed(_ id: UInt64, _ result: WriteOutcome, on board: Int) {
        guard let pending = requests.removeValue(forKey: id) else {
            return fail(.requestsAnswered, "request #\(id) answered twice, or never made")
        }
        switch result {
        case .replicated(let sequence):
            outcome.replicated += 1
            replicatedMax = max(replicatedMax, sequence)
            guard let standby = standbyIndex, standby != board, boards[standby].startedAt < pending.issuedAt else { return }
            let held = boards[standby].core.store.sequence
            if held < sequence {
                fail(.syncWriteOnReplica, "request #\(id) completed as replicated at #\(sequence); the replica is at #\(held)")
            }
        case .local: outcome.local += 1
        case .unconfirmed: outcome.unconfirmed += 1
        case .refused: outcome.refused += 1
        }
    }

    /// Every standby's replica equals the active's store as it was at the replica's sequence.
    mutating func checkReplicas() {
        for index in boards.indices where boards[index].alive && boards[index].core.role == .standby {
            let progress = boards[index].core.progress
            guard progress.sectionsReceived <= progress.sectionsTotal, progress.bytesReceived <= progress.bytesTotal,
                progress.chunksReceived <= progress.chunksTotal
            else {
                return fail(.replicaIsPrefix, "snapshot progress past its totals: \(progress)")
            }
            let sequence = boards[index].core.store.sequence
            guard sequence != boards[index].checkedSequence || boards[index].replaced else { continue }
            guard sequence >= boards[index].checkedSequence else {
                return fail(.replicaIsPrefix, "the replica went back from #\(boards[index].checkedSequence) to #\(sequence)")
            }
            guard sequence <= UInt64(history.count) else {
                return fail(.replicaIsPrefix, "the replica is at #\(sequence), past the active's #\(history.count)")
            }
            guard replayShadow(index, to: sequence) else { return }
            // The checksums cover every byte; the full comparison runs every few updates and
            // after every snapshot (it costs the store's size).
            let full = boards[index].replaced || sequence % Self.fullComparisonEvery == 0
            if !same(boards[index].shadow, boards[index].core.store, full: full) {
                return fail(.replicaIsPrefix, "the replica at #\(sequence) differs from the active's store at #\(sequence)")
            }
            boards[index].checkedSequence = sequence
            boards[index].replaced = false
        }
    }

    static let fullComparisonEvery: UInt64 = 8

    private func same(_ one: CheckpointStore, _ two: CheckpointStore, full: Bool) -> Bool {
        guard one.sequence == two.sequence, one.size == two.size, one.count == two.count,
            one.checksum == two.checksum
        else { return false }
        return !full || one == two
    }

    /// Brings a board's shadow (the history replayed) to `sequence`.
    private mutating func replayShadow(_ index: Int, to sequence: UInt64) -> Bool {
        if boards[index].shadow.sequence > sequence { boards[index].shadow = CheckpointStore() }
        for position in Int(boards[index].shadow.sequence)..<Int(sequence) {
            do {
                try boards[index].shadow.replay(history[position])
            } catch {
                fail(.replicaIsPrefix, "the history does not replay at #\(position + 1): \(error)")
                return false
            }
        }
        return true
    }

    /// The standby is hot and equal to the active, and nothing waits.
    func converged() -> Bool {
        guard episodes.isEmpty, blips.isEmpty, crashed == nil, let active = activeIndex, let standby = standbyIndex
        else { return false }
        let a = boards[active].core
        let s = boards[standby].core
        return s.isHot && a.mateIsHot && s.store.sequence == a.store.sequence && a.pendingCount == 0
            && a.windowCount == 0 && requests.isEmpty && s.store == a.store
    }

    func convergenceReport() -> String {
        guard let active = activeIndex, let standby = standbyIndex else { return "no active and standby pair" }
        let a = boards[active].core
        let s = boards[standby].core
        return "standby \(s.progress.phase) at #\(s.store.sequence), active at #\(a.store.sequence), "
            + "window \(a.windowCount), pending \(a.pendingCount), requests \(requests.count)"
    }
}
