import DuplexCore

extension Simulation {
    // MARK: - Life cycle

    /// Starts (or restarts) a board with a fresh core and a new incarnation.
    mutating func startBoard(_ index: Int) {
        // Random at the first start, then growing in serial-number order (RFC 1982), never 0.
        var incarnation =
            boards[index].incarnation == 0
            ? UInt32(truncatingIfNeeded: rng.next()) : boards[index].incarnation &+ UInt32(rng.uniform(1...(1 << 20)))
        if incarnation == 0 { incarnation = 1 }
        var configuration = boards[index].template
        configuration.incarnation = incarnation
        // The persisted state a start of a random plan finds, from the incarnation's bits: no
        // draw of its own, so that earlier seeds draw the same faults.
        configuration.persistedStateDamaged = plan.variedPersistedState && incarnation % 8 == 5
        configuration.persistedSequence = plan.variedPersistedState ? UInt64(incarnation >> 8 & 3) : 0
        let paths = configuration.paths.count
        boards[index].core = PairCore(configuration: configuration)
        boards[index].incarnation = incarnation
        boards[index].life = .running
        boards[index].pending = []
        boards[index].pendingFrames = 0
        boards[index].actuator.inFlight = nil
        boards[index].lastEpoch = 0
        boards[index].roleSince = now
        boards[index].lastFaultAt = now
        boards[index].overdueTicks = 0
        boards[index].localHighWater = 0
        boards[index].carrierView = Array(repeating: true, count: paths)
        boards[index].freshIncarnation = Array(repeating: 0, count: paths)
        boards[index].freshSequence = Array(repeating: 0, count: paths)
        boards[index].freshAt = Array(repeating: 0, count: paths)
        boards[index].mateIncarnation = 0
        boards[index].mateDeparted = false
        boards[index].isolationToldOK = true
        boards[index].restartAfterStop = nil
        record(.started(incarnation: incarnation), board: index)
        mix(UInt64(incarnation))
        step(index, .started)
        // The adapter reads the carrier and the isolation state at start-up.
        for path in 0..<paths where !network.paths[path].carrierUp && boards[index].life == .running {
            step(index, .carrierChanged(path: path, up: false))
        }
        if network.isolated[index] > 0, boards[index].life == .running {
            step(index, .isolationChanged(ok: false))
        }
        // A restarted board resynchronises its replica: not hot while a not-hot fault lasts.
        if episodes.contains(where: { $0.kind == .notHot(board: index) }), boards[index].life == .running {
            step(index, .readinessChanged(hot: false))
        }
    }

    /// A board reset: the core and the kernel's addresses are gone; restart later.
    mutating func crash(_ index: Int, restartAfter: Duration, reason: SimulationRecord.Kind = .crashed) {
        guard boards[index].life != .notStarted else { return }
        record(reason, board: index)
        boards[index].lastFaultAt = now
        if boards[index].holdsAddresses {
            boards[index].holdsAddresses = false
            record(.addresses(held: false), board: index)
        }
        takeDown(index, life: .crashed)
        boards[index].actuator.generation += 1
        boards[index].actuator.busyUntil = now
        // A reset also ends a freeze.
        for episode in episodes where episode.kind == .freeze(board: index) {
            endEpisode(episode.id)
        }
        scheduleRestart(index, after: restartAfter)
    }

    /// The core said `.stop`: the daemon exits; the kernel keeps whatever it has, and calls in
    /// flight still complete.
    mutating func stop(_ index: Int) {
        record(.stopped, board: index)
        boards[index].lastFaultAt = now
        let after = boards[index].restartAfterStop ?? rng.uniform(plan.recoveryDelay)
        takeDown(index, life: .stopped)
        scheduleRestart(index, after: healed ? .milliseconds(1) : after)
    }

    private mutating func takeDown(_ index: Int, life: SimulatedBoard.Life) {
        boards[index].core = nil
        boards[index].life = life
        boards[index].pending = []
        boards[index].pendingFrames = 0
        boards[index].tickToken += 1
        boards[index].tickDeadline = .max
        boards[index].actuator.inFlight = nil
    }

    mutating func scheduleRestart(_ index: Int, after: Duration) {
        boards[index].restartToken += 1
        queue.push(.start(board: index, token: boards[index].restartToken), at: now + after.nanoseconds)
    }

    /// A failed board is recovered (reset and restarted) by the supervisor after a while.
    mutating func scheduleRecovery(_ index: Int) {
        let delay = healed ? Duration.milliseconds(1) : rng.uniform(plan.recoveryDelay)
        boards[index].restartToken += 1
        record(.recovering, board: index)
        queue.push(.recover(board: index, token: boards[index].restartToken), at: now + delay.nanoseconds)
    }

    // MARK: - Actions

    mutating func perform(_ action: PairAction, board index: Int) {
        switch action {
        case .send(let frame, let path):
            if frame.kind == .heartbeat { boards[index].sentQuiet = frame.flags.contains(.quiet) }
            send(frame, from: index, path: path)
        case .claimAddresses:
            actuate(index, claim: true)
        case .releaseAddresses:
            actuate(index, claim: false)
        case .announceAddresses:
            mix(0xA22)
        case .reply(let request, let outcome):
            replies.append((request, index, outcome))
            record(.reply(request: request, outcome), board: index)
        case .trace(let trace):
            observe(trace, board: index)
        case .stop:
            break  // after the other actions of this step (see `step`)
        }
    }

    private mutating func observe(_ trace: PairTrace, board index: Int) {
        record(.core(trace), board: index)
        switch trace {
        case .roleChanged(let from, let to, let reason, let epoch):
            statistics.roleChanges += 1
            mix(UInt64(from.rawValue) << 16 | UInt64(to.rawValue) << 8 | UInt64(reason.rawValue))
            roleChanged(index, from: from, to: to, reason: reason, epoch: epoch)
            boards[index].roleSince = now
            if to == .failed { scheduleRecovery(index) }
            if to == .blocked, !episodes.contains(where: { $0.kind == .lock(board: index) }) {
                // The lock completed after its fault ended (the unlock came too early).
                queue.push(.unlock(board: index), at: now)
            }
            buggify(after: to, board: index)
        case .pathsDegraded:
            statistics.degradedAlarms += 1
        case .dualActiveResolved:
            statistics.dualActiveResolutions += 1
        case .stallDetected:
            statistics.stalls += 1
        case .pathChanged, .pathsRestored, .frameRejected, .actuationFailed, .mateRestarted, .boardIDConflict, .timingMismatch,
            .mateCapabilities:
            break
        }
    }

    /// Tracks, for the checkers, what the core is about to be told.
    mutating func observeInput(_ index: Int, _ event: PairEvent) {
        switch event {
        case .carrierChanged(let path, let up):
            boards[index].carrierView[path] = up
            // The core holds a path that lost its carrier down until a heartbeat arrives on it
            // after the carrier is back: frames from before the loss are not news of it.
            if !up { boards[index].freshAt[path] = 0 }
        case .isolationChanged(let ok):
            boards[index].isolationToldOK = ok
        case .addressesClaimed, .addressesReleased:
            boards[index].actuator.inFlight = nil
        case .frameReceived(let frame, let path):
            noteFresh(index, frame: frame, path: path)
        default:
            break
        }
    }

    /// A frame the core will count as news from the mate on a path whose carrier it
    /// believes up: the silence in that direction ends here. Mirrors the core's staleness
    /// rules: a duplicate or reordered frame, a frame of an older incarnation (serial-number
    /// order), or one sent after the mate's goodbye is not news.
    private mutating func noteFresh(_ index: Int, frame: PairFrame, path: Int) {
        let board = boards[index]
        if board.mateIncarnation == 0 || Self.isNewer(frame.incarnation, than: board.mateIncarnation) {
            boards[index].mateIncarnation = frame.incarnation
            boards[index].mateDeparted = false
        }
        guard frame.incarnation == boards[index].mateIncarnation, !boards[index].mateDeparted else { return }
        if frame.kind == .goodbye {
            boards[index].mateDeparted = true
            return
        }
        guard board.carrierView[path] else { return }
        guard frame.incarnation != board.freshIncarnation[path] || frame.sequence > board.freshSequence[path]
        else { return }
        if !hasLivePath(board) { lastDisruptedAt = now }
        boards[index].freshIncarnation[path] = frame.incarnation
        boards[index].freshSequence[path] = frame.sequence
        boards[index].freshAt[path] = now
        statistics.framesDelivered += 1
    }

    /// Serial-number order (RFC 1982) of incarnations.
    static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        Int32(bitPattern: a &- b) > 0
    }

    // MARK: - Actuator

    private mutating func actuate(_ index: Int, claim: Bool) {
        if let inFlight = boards[index].actuator.inFlight {
            return fail(.oneActuationInFlight,
                "board\(index + 1) asked to \(claim ? "claim" : "release") while a \(inFlight ? "claim" : "release") is in flight")
        }
        boards[index].actuator.inFlight = claim
        boards[index].actuator.calls += 1
        let call = boards[index].actuator.calls
        var ok = boards[index].actuator.failAll == 0
        if let failing = boards[index].actuator.failingCalls.firstIndex(of: call) {
            boards[index].actuator.failingCalls.remove(at: failing)
            ok = false
        }
        if !claim, !plan.failsReleases { ok = true }
        let slow = boards[index].actuator.slow > 0 || rng.chance(perMille: plan.slowActuationPerMille)
        let delay = rng.uniform(slow ? plan.slowActuationDelay : plan.actuationDelay)
        let done = max(now, boards[index].actuator.busyUntil) + delay.nanoseconds
        boards[index].actuator.busyUntil = done
        record(.actuatorCall(claim: claim, ok: ok, delay: Duration(nanoseconds: done - now)), board: index)
        queue.push(
            .actuated(
                board: index, generation: boards[index].actuator.generation,
                incarnation: boards[index].incarnation, claim: claim, ok: ok),
            at: done)
    }

    mutating func actuated(_ index: Int, generation: UInt64, incarnation: UInt32, claim: Bool, ok: Bool) {
        guard generation == boards[index].actuator.generation else { return }  // reset since
        // A failed release may leave the address on a board that hands over anyway (a
        // failing or stopping board): a disruption the protocol cannot hide.
        if !claim, !ok { lastDisruptedAt = now }
        if ok, boards[index].holdsAddresses != claim {
            boards[index].holdsAddresses = claim
            record(.addresses(held: claim), board: index)
        }
        guard boards[index].isUp, incarnation == boards[index].incarnation else { return }
        deliverOrQueue(index, claim ? .addressesClaimed(ok: ok) : .addressesReleased(ok: ok))
    }
}
