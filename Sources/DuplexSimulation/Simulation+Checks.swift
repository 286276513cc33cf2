import DuplexCore

extension Simulation {
    mutating func fail(_ invariant: Invariant, _ detail: String) {
        guard failure == nil else { return }
        failure = SimulationFailure(
            seed: plan.seed, time: Duration(nanoseconds: now), invariant: invariant,
            detail: detail + " [\(bounds)]", trace: ring.records)
    }

    /// Checks run after every event: (a) at most one holder outside disruptions, and (b) the
    /// settled state once the liveness bound after the heal has passed.
    mutating func checkAfterEvent() {
        checkSingleHolder()
        guard failure == nil, healed else { return }
        let settled = isSettled
        if settled {
            if settledSince == nil { settledSince = now }
        } else {
            settledSince = nil
        }
        if !settled, now >= livenessDeadline {
            fail(.settlesAfterHeal,
                "not settled \(Duration(nanoseconds: now - healAt)) after the heal (bound \(bounds.liveness)"
                    + " + clock debt \(Duration(nanoseconds: livenessDeadline - healAt) - bounds.liveness)): \(describeBoards())")
        }
    }

    /// The end of the run: record how long settling took.
    mutating func finish() {
        if let settledSince, settledSince >= healAt {
            statistics.settledAfterHeal = Duration(nanoseconds: settledSince - healAt)
        }
    }

    /// Exactly one running board is active and holds the addresses; the other is a standby
    /// without them.
    var isSettled: Bool {
        let roles = boards.map { $0.life == .running ? $0.core?.role : nil }
        guard let first = roles[0], let second = roles[1] else { return false }
        switch (first, second) {
        case (.active, .standby): return boards[0].holdsAddresses && !boards[1].holdsAddresses
        case (.standby, .active): return boards[1].holdsAddresses && !boards[0].holdsAddresses
        default: return false
        }
    }

    /// Something the protocol cannot see through: a board not running normally, a failing
    /// actuator, or a board with no live path (every path either carrier-down in its view or
    /// silent for longer than the shortest timeout, `bounds.silenceMax`). A clock step and a
    /// failed release are disruptions at the instant they happen.
    var isDisrupted: Bool {
        for board in boards {
            if board.life != .running || board.actuator.failAll > 0 { return true }
            if !hasLivePath(board) { return true }
        }
        return false
    }

    /// Whether some path of the board has its carrier up (as the core was told) and carried
    /// a fresh frame from the mate within the shortest timeout.
    /// (While the mate's newest heartbeat was a quiet standby's, within its quiet timeout.)
    func hasLivePath(_ board: SimulatedBoard) -> Bool {
        let timeout = silence(heardBy: board.index, perPath: false).nanoseconds
        for path in board.carrierView.indices where board.carrierView[path] {
            if now <= board.freshAt[path] + timeout { return true }
        }
        return false
    }

    /// The longest silence that board `index` tolerates from its mate without any fault: on
    /// every path together, or on one path (`perPath`) while the mate's heartbeats rotate.
    func silence(heardBy index: Int, perPath: Bool) -> Duration {
        guard boards[1 - index].sentQuiet, let quiet = bounds.quietSilenceMax, let path = bounds.quietPathSilenceMax
        else { return bounds.silenceMax }
        return perPath ? path : quiet
    }

    /// (a) Both boards may hold the addresses only during a disruption and for
    /// `bounds.overlap` after it.
    private mutating func checkSingleHolder() {
        if isDisrupted { lastDisruptedAt = now }
        guard boards[0].holdsAddresses, boards[1].holdsAddresses else {
            overlapSince = nil
            return
        }
        let since = overlapSince ?? now
        overlapSince = since
        statistics.longestOverlap = max(statistics.longestOverlap, Duration(nanoseconds: now - since))
        if now > lastDisruptedAt + bounds.overlap.nanoseconds {
            fail(.singleHolder,
                "both boards hold the addresses (since \(SimulationRecord.format(Duration(nanoseconds: since)))), "
                    + "last disruption ended at \(SimulationRecord.format(Duration(nanoseconds: lastDisruptedAt))): "
                    + describeBoards())
        }
    }

    /// (c) A board's epoch never decreases within one incarnation.
    mutating func checkEpoch(_ index: Int) {
        guard let epoch = boards[index].core?.epoch else { return }
        if epoch < boards[index].lastEpoch {
            fail(.epochMonotonic, "board\(index + 1) epoch went from \(boards[index].lastEpoch) to \(epoch)")
        }
        boards[index].lastEpoch = epoch
    }

    /// (d) and (e), at every role change.
    mutating func roleChanged(_ index: Int, from: Role, to: Role, reason: RoleChangeReason, epoch: UInt64) {
        guard to == .active else { return }
        let mate = boards[1 - index]
        if mate.life != .crashed, mate.life != .stopped, mate.core?.role == .active, mate.core?.epoch == epoch {
            // Allowed (priority breaks the tie) but worth counting: two actives, one epoch.
            statistics.sameEpochActives += 1
            record(.note("two active boards at epoch \(epoch)"), board: index)
        }
        if reason == .handoverReceived {
            statistics.handovers += 1
            checkHandoverAccepted(index, epoch: epoch)
        } else if [.standby, .separated, .starting].contains(from) {
            statistics.takeovers[index] += 1
            checkNoFalseTakeover(index, from: from, reason: reason)
        }
    }

    /// (d) A takeover while the mate has been active for a while, neither board had a fault
    /// for `bounds.quiet`, and a path without any fault for that long (and for the longest a
    /// fault's frames stay in flight) delivered fresh frames in both directions within the
    /// shortest timeout, is a false takeover.
    private mutating func checkNoFalseTakeover(_ index: Int, from: Role, reason: RoleChangeReason) {
        let mate = 1 - index
        let quiet = bounds.quiet.nanoseconds
        guard boards[mate].life == .running, boards[mate].core?.role == .active,
            now >= boards[mate].roleSince + quiet,
            now >= boards[index].lastFaultAt + quiet, now >= boards[mate].lastFaultAt + quiet
        else { return }
        let recent = now > bounds.silenceMax.nanoseconds ? now - bounds.silenceMax.nanoseconds : 0
        // The active hears a quiet standby on one path only once per quiet round.
        let mateSilence = silence(heardBy: mate, perPath: true).nanoseconds
        let mateRecent = now > mateSilence ? now - mateSilence : 0
        let cleanPath = (0..<plan.pathCount).first { path in
            // Frames a fault delayed still arrive (in order, with news that was true when they
            // left) for up to `inFlightMax` after it ended.
            network.isClean(path: path, now: now, quiet: bounds.quiet + bounds.inFlightMax)
                && boards[index].freshAt[path] >= recent && boards[mate].freshAt[path] >= mateRecent
        }
        guard let cleanPath else { return }
        fail(.noFalseTakeover,
            "board\(index + 1) took over (\(from) -> active: \(reason)) while board\(mate + 1) is active "
                + "and path\(cleanPath) is clean and delivering both ways: \(describeBoards())")
    }

    /// (e) A handover offer is accepted once, and only an offer the mate made.
    private mutating func checkHandoverAccepted(_ index: Int, epoch: UInt64) {
        let mate = 1 - index
        guard let offer = offers.lastIndex(where: { $0.board == mate && $0.epoch == epoch }) else {
            return fail(.handoverAcceptedOnce, "board\(index + 1) accepted a handover at epoch \(epoch) that board\(mate + 1) never offered")
        }
        if offers[offer].accepted {
            return fail(.handoverAcceptedOnce, "board\(index + 1) accepted the handover at epoch \(epoch) a second time")
        }
        offers[offer].accepted = true
    }

    func describeBoards() -> String {
        boards.map { board in
            let role = board.role.map { "\($0)" } ?? "\(board.life)"
            let life = board.life == .frozen ? " (frozen)" : ""
            let heard = board.freshAt.map { SimulationRecord.format(Duration(nanoseconds: $0)) }
            return "board\(board.index + 1) \(role)\(life) epoch \(board.core?.epoch ?? 0) "
                + (board.holdsAddresses ? "holds" : "does not hold") + ", last heard the mate at \(heard)"
        }.joined(separator: "; ")
    }
}
