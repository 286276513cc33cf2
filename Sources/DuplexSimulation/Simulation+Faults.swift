import DuplexCore

extension Simulation {
    /// Starts a fault now.
    mutating func inject(_ fault: Fault) {
        statistics.faults += 1
        mix(0xFA17 ^ UInt64(statistics.faults))
        switch fault {
        case .impair(let path, let from, let impairment, let lasting):
            record(.fault(fault), board: nil)
            let id = beginEpisode(.impairment(path: path), lasting: lasting)
            // The heal ends it early: a clog releases its frames then at the latest.
            let until = min(now + lasting.nanoseconds, healAt)
            for direction in from.map({ [$0] }) ?? [0, 1] {
                network.paths[path].impairments[direction].append((id, impairment, until))
            }
            network.markFault(path: path, now: now)
        case .linkDown(let path, let lasting):
            record(.fault(fault), board: nil)
            _ = beginEpisode(.linkDown(path: path), lasting: lasting)
            network.paths[path].downCount += 1
            network.markFault(path: path, now: now)
            if network.paths[path].downCount == 1 {
                network.paths[path].generation += 1
                announceCarrier(path: path)
            }
        case .partition(let from, let lasting):
            record(.fault(fault), board: nil)
            let id = beginEpisode(.partition, lasting: lasting)
            network.partitions.append((id, from))
            network.markFaultOnAll(now: now)
        default:
            injectBoardFault(fault)
        }
    }

    private mutating func injectBoardFault(_ fault: Fault) {
        guard let index = resolve(fault) else {
            record(.note("fault skipped (no such board now): \(fault)"), board: nil)
            return
        }
        record(.fault(fault), board: index)
        boards[index].lastFaultAt = now
        switch fault {
        case .impair, .linkDown, .partition:
            preconditionFailure("network faults are injected by `inject`")
        case .crash(_, let restartAfter):
            crash(index, restartAfter: restartAfter)
        case .freeze(_, let lasting):
            guard boards[index].life == .running else { return }
            boards[index].life = .frozen
            _ = beginEpisode(.freeze(board: index), lasting: lasting)
        case .clockStep(_, let forward, let by):
            stepClock(index, forward: forward, by: by)
        case .actuatorFailsNth(_, let n):
            boards[index].actuator.failingCalls.append(boards[index].actuator.calls + n)
        case .actuatorFailsAll(_, let lasting):
            boards[index].actuator.failAll += 1
            _ = beginEpisode(.actuatorFailsAll(board: index), lasting: lasting)
        case .actuatorSlow(_, let lasting):
            boards[index].actuator.slow += 1
            _ = beginEpisode(.actuatorSlow(board: index), lasting: lasting)
        case .isolationLost(_, let lasting):
            network.isolated[index] += 1
            network.markFault(path: network.serviceLANPath, now: now)
            _ = beginEpisode(.isolation(board: index), lasting: lasting)
            if network.isolated[index] == 1, boards[index].isUp {
                deliverOrQueue(index, .isolationChanged(ok: false))
            }
        default:
            injectOperatorAction(fault, board: index)
        }
    }

    private mutating func injectOperatorAction(_ fault: Fault, board index: Int) {
        guard boards[index].isUp else { return }
        switch fault {
        case .switchover(_, let force):
            deliverOrQueue(index, .switchoverRequested(force: force, request: takeRequestNumber()))
        case .shutdown(_, let restartAfter):
            boards[index].restartAfterStop = restartAfter
            deliverOrQueue(index, .shutdownRequested)
        case .failure:
            deliverOrQueue(index, .failureReported)
        case .lock(_, let force, let lasting):
            _ = beginEpisode(.lock(board: index), lasting: lasting)
            deliverOrQueue(index, .lockRequested(force: force, request: takeRequestNumber()))
        case .notHot(_, let lasting):
            _ = beginEpisode(.notHot(board: index), lasting: lasting)
            deliverOrQueue(index, .readinessChanged(hot: false))
        default:
            preconditionFailure("not an operator action: \(fault)")
        }
    }

    mutating func takeRequestNumber() -> UInt32 {
        defer { nextRequest += 1 }
        return nextRequest
    }

    private func resolve(_ fault: Fault) -> Int? {
        let target: BoardTarget
        switch fault {
        case .crash(let t, _), .freeze(let t, _), .clockStep(let t, _, _), .actuatorFailsNth(let t, _),
            .actuatorFailsAll(let t, _), .actuatorSlow(let t, _), .isolationLost(let t, _),
            .switchover(let t, _), .shutdown(let t, _), .failure(let t), .lock(let t, _, _), .notHot(let t, _):
            target = t
        case .impair, .linkDown, .partition:
            return nil
        }
        switch target {
        case .index(let index): return index
        case .active: return boards.firstIndex { $0.role == .active }
        case .standby: return boards.firstIndex { $0.role == .standby }
        }
    }

    /// A clock step makes the core see silence that did not happen (forward) or stalls its
    /// timers (back): it counts as a disruption for the single-holder checker.
    private mutating func stepClock(_ index: Int, forward: Bool, by: Duration) {
        lastDisruptedAt = now
        if forward {
            boards[index].clockOffset += by.nanoseconds
        } else {
            // Local time stays far above zero: the offsets start at one second or more.
            let room = boards[index].clockOffset > 1_000_000 ? boards[index].clockOffset - 1_000_000 : 0
            boards[index].clockOffset -= min(by.nanoseconds, room)
        }
        scheduleTick(index, force: true)
    }

    private mutating func beginEpisode(_ kind: EpisodeKind, lasting: Duration) -> Int {
        let id = nextEpisodeID
        nextEpisodeID += 1
        precondition(episodes.count < 10_000, "episodes unbounded")
        episodes.append(Episode(id: id, kind: kind))
        queue.push(.episodeEnds(id), at: now + lasting.nanoseconds)
        return id
    }

    /// Ends a fault episode (a no-op if it already ended, for example at the heal).
    mutating func endEpisode(_ id: Int) {
        guard let position = episodes.firstIndex(where: { $0.id == id }) else { return }
        let episode = episodes.remove(at: position)
        record(.faultEnded(episode.kind.description), board: nil)
        switch episode.kind {
        case .impairment(let path):
            for direction in 0..<2 { network.paths[path].impairments[direction].removeAll { $0.id == id } }
            network.markFault(path: path, now: now)
        case .linkDown(let path):
            network.paths[path].downCount -= 1
            network.markFault(path: path, now: now)
            if network.paths[path].carrierUp { announceCarrier(path: path) }
        case .partition:
            network.partitions.removeAll { $0.id == id }
            network.markFaultOnAll(now: now)
        case .freeze(let index):
            let stillFrozen = episodes.contains { $0.kind == .freeze(board: index) }
            if !stillFrozen, boards[index].life == .frozen { thaw(index) }
        case .actuatorFailsAll(let index):
            boards[index].actuator.failAll -= 1
            boards[index].lastFaultAt = now
        case .actuatorSlow(let index):
            boards[index].actuator.slow -= 1
        case .isolation(let index):
            network.isolated[index] -= 1
            network.markFault(path: network.serviceLANPath, now: now)
            if network.isolated[index] == 0, boards[index].isUp {
                deliverOrQueue(index, .isolationChanged(ok: true))
            }
        case .lock(let index):
            if boards[index].isUp { deliverOrQueue(index, .unlockRequested(request: takeRequestNumber())) }
        case .notHot(let index):
            let stillCold = episodes.contains { $0.kind == .notHot(board: index) }
            if !stillCold, boards[index].isUp { deliverOrQueue(index, .readinessChanged(hot: true)) }
        }
    }

    /// Both ends of a path see a carrier change after a netlink delay.
    private mutating func announceCarrier(path: Int) {
        for index in 0..<2 {
            let delay = rng.uniform(plan.carrierEventDelay)
            queue.push(.carrier(board: index, path: path), at: now + delay.nanoseconds)
        }
    }

    /// SIGCONT: the board handles what queued up while it was stopped, then its timer.
    private mutating func thaw(_ index: Int) {
        boards[index].life = .running
        boards[index].lastFaultAt = now
        let inputs = boards[index].pending
        boards[index].pending = []
        boards[index].pendingFrames = 0
        record(.thawed(queued: inputs.count), board: index)
        if plan.thawsTimerFirst, let core = boards[index].core,
            core.nextDeadline.nanoseconds <= boards[index].localTime(global: now)
        {
            step(index, .tick)
        }
        for input in inputs {
            guard boards[index].life == .running, failure == nil else { return }
            step(index, input)
        }
        scheduleTick(index, force: true)
    }

    /// Every fault ends; down boards restart; failed boards recover.
    mutating func heal() {
        record(.healed, board: nil)
        healed = true
        // A clock stepped back stalls its core's timers until it catches up: healing cannot
        // undo that, so the liveness bound starts after it.
        let debt = boards.map { $0.isUp ? $0.clockDebt(global: now) : 0 }.max() ?? 0
        livenessDeadline = healAt + bounds.liveness.nanoseconds + debt
        endTime = Duration(nanoseconds: livenessDeadline) + plan.settledFor
        for episode in episodes { endEpisode(episode.id) }
        for index in 0..<2 {
            boards[index].actuator.failingCalls = []
            if !boards[index].isUp {
                scheduleRestart(index, after: .zero)
            } else if boards[index].role == .failed {
                scheduleRecovery(index)
            }
        }
    }

    /// BUGGIFY: at a role change during the fault phase, now and then force a rare fault at
    /// that very instant (a partition as a switchover starts, a crash right after a takeover).
    mutating func buggify(after role: Role, board index: Int) {
        guard !healed, plan.buggifyPerMille > 0, rng.chance(perMille: plan.buggifyPerMille) else { return }
        let mate = 1 - index
        let short = rng.uniform(Duration.milliseconds(1) ... .milliseconds(40))
        let long = rng.uniform(Duration.milliseconds(20) ... .milliseconds(400))
        let path = rng.uniform(0..<plan.pathCount)
        let options: [Fault]
        switch role {
        case .quiescing, .quiesced:
            options = [
                .partition(from: nil, lasting: long), .partition(from: mate, lasting: long),
                .freeze(.index(index), lasting: long), .crash(.index(index), restartAfter: long),
                .crash(.index(mate), restartAfter: long), .linkDown(path: path, lasting: short),
            ]
        case .active:
            options = [
                .crash(.index(index), restartAfter: long), .freeze(.index(index), lasting: short),
                .partition(from: nil, lasting: long), .switchover(.index(index), force: false),
                .failure(.index(index)), .actuatorFailsNth(.index(index), n: 1),
            ]
        case .standby:
            options = [
                .switchover(.active, force: true), .crash(.index(mate), restartAfter: long),
                .freeze(.index(mate), lasting: long), .clockStep(.index(index), forward: true, by: short),
            ]
        default:
            return
        }
        statistics.buggified += 1
        queue.push(.injected(rng.pick(options)), at: now)
    }
}
