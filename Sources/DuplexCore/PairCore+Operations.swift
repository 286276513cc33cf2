extension PairCore {
    /// Operator switchover, lock of an active board, preemption: release, then hand over.
    mutating func requestQuiesce(
        _ purpose: QuiescePurpose, force: Bool, request: UInt32, now: Instant,
        into actions: inout PairActions
    ) {
        if let refusal = quiesceRefusal(force: force) {
            actions.append(.reply(request: request, .refused(refusal)))
            return
        }
        beginQuiesce(purpose, request: request, now: now, into: &actions)
    }

    private func quiesceRefusal(force: Bool) -> CommandOutcome.Refusal? {
        if quiesce != nil { return .busy }
        if role != .active { return .notActive }
        if !mateReachable { return .mateUnreachable }
        if mate.role != .standby { return .mateNotStandby }
        if !mate.flags.contains(.hot), !force { return .mateNotHot }
        return nil
    }

    mutating func beginQuiesce(
        _ purpose: QuiescePurpose, request: UInt32?, now: Instant, into actions: inout PairActions
    ) {
        precondition(role == .active, "only an active board quiesces")
        quiesce = QuiesceState(purpose: purpose, request: request)
        let reason: RoleChangeReason =
            switch purpose {
            case .switchover: .switchoverRequested
            case .preempt: .preemptRequested
            case .lock: .operatorLock
            case .failure: .failureReported
            case .shutdown: .shutdown
            }
        changeRole(to: .quiescing, reason: reason, now: now, into: &actions)
    }

    /// The addresses are gone (or could not be removed): offer the role to the mate.
    mutating func quiesced(now: Instant, into actions: inout PairActions) {
        guard var state = quiesce, role == .quiescing else { return }
        state.offeredEpoch = max(epoch, mate.epoch) + 1
        state.deadline = now + configuration.handoverTimeout
        quiesce = state
        if state.purpose == .failure {
            changeRole(to: .failed, reason: .failureReported, now: now, into: &actions)
            quiesce = nil
            return
        }
        changeRole(to: .quiesced, reason: .quiesced, now: now, into: &actions)
        sendToAll(.handover, now: now, into: &actions)
    }

    mutating func finishQuiesce(outcome: CommandOutcome, now: Instant, into actions: inout PairActions) {
        guard let state = quiesce else { return }
        quiesce = nil
        switch state.purpose {
        case .switchover, .preempt:
            changeRole(to: .standby, reason: .handoverComplete, now: now, into: &actions)
        case .lock:
            changeRole(to: .blocked, reason: .operatorLock, now: now, into: &actions)
        case .failure:
            changeRole(to: .failed, reason: .failureReported, now: now, into: &actions)
        case .shutdown:
            sendToAll(.goodbye, now: now, into: &actions)
            stopped = true
            actions.append(.stop)
        }
        if let request = state.request { actions.append(.reply(request: request, outcome)) }
    }

    mutating func lock(force: Bool, request: UInt32, now: Instant, into actions: inout PairActions) {
        switch role {
        case .active:
            requestQuiesce(.lock, force: force, request: request, now: now, into: &actions)
        case .quiescing, .quiesced:
            actions.append(.reply(request: request, .refused(.busy)))
        case .blocked:
            actions.append(.reply(request: request, .done))
        case .starting, .standby, .separated:
            changeRole(to: .blocked, reason: .operatorLock, now: now, into: &actions)
            actions.append(.reply(request: request, .done))
        case .failed:
            actions.append(.reply(request: request, .refused(.notActive)))
        }
    }

    mutating func unlock(request: UInt32, now: Instant, into actions: inout PairActions) {
        guard role == .blocked else {
            actions.append(.reply(request: request, .refused(.notBlocked)))
            return
        }
        changeRole(to: .standby, reason: .operatorUnlock, now: now, into: &actions)
        actions.append(.reply(request: request, .done))
    }

    mutating func failureReported(now: Instant, into actions: inout PairActions) {
        switch role {
        case .active:
            beginQuiesce(.failure, request: nil, now: now, into: &actions)
        case .quiescing, .quiesced:
            quiesce?.purpose = .failure
        case .failed:
            break
        case .starting, .standby, .separated, .blocked:
            changeRole(to: .failed, reason: .failureReported, now: now, into: &actions)
        }
    }

    mutating func shutdown(now: Instant, into actions: inout PairActions) {
        if role == .active, mateReachable, mate.role == .standby, quiesce == nil {
            beginQuiesce(.shutdown, request: nil, now: now, into: &actions)
            return
        }
        if role == .quiescing || role == .quiesced, quiesce != nil {
            quiesce?.purpose = .shutdown
            return
        }
        // Not active, or no mate to hand over to: release what we hold, say goodbye, stop.
        actuation.wanted = false
        sendToAll(.goodbye, now: now, into: &actions)
        stopped = true
        actions.append(.stop)
    }

    // MARK: - Actuation

    /// Issues the one claim or release that makes the kernel match the role.
    mutating func driveActuation(now: Instant, into actions: inout PairActions) {
        guard actuation.inFlight == nil else { return }
        if let retryAt = actuation.retryAt {
            guard now >= retryAt else { return }
            actuation.retryAt = nil
        }
        let wanted = actuation.wanted
        switch (wanted, actuation.held) {
        case (true, .held), (false, .released):
            if role == .quiescing { quiesced(now: now, into: &actions) }
        case (true, _):
            actuation.inFlight = true
            actions.append(.claimAddresses(epoch: epoch))
        case (false, _):
            actuation.inFlight = false
            actions.append(.releaseAddresses)
        }
    }

    mutating func actuationFinished(claim: Bool, ok: Bool, now: Instant, into actions: inout PairActions) {
        guard actuation.inFlight == claim else { return }  // a stale answer: ignore it
        actuation.inFlight = nil
        if ok {
            actuation.held = claim ? .held : .released
            actuation.failures = 0
            return
        }
        actuation.failures += 1
        actuation.held = .unknown
        actions.append(.trace(.actuationFailed(claim: claim, attempt: actuation.failures)))
        if actuation.failures >= configuration.actuationAttemptsMax {
            actuation.failures = 0
            if claim, role == .active {
                // Cannot serve: hand the role to the mate.
                beginQuiesce(.failure, request: nil, now: now, into: &actions)
                return
            }
            if !claim, role == .quiescing, let state = quiesce {
                releaseGivenUp(state, now: now, into: &actions)
                return
            }
        }
        actuation.retryAt = now + configuration.actuationRetryDelay
    }

    /// The addresses could not be removed for a hand-over. An operator's switchover (or a lock,
    /// or a preemption) is abandoned: the board stays active, so the address is never on both
    /// boards. A board that is failing or stopping hands over anyway and keeps retrying the
    /// release: a mate that serves is better than none.
    private mutating func releaseGivenUp(_ state: QuiesceState, now: Instant, into actions: inout PairActions) {
        actuation.retryAt = now + configuration.actuationRetryDelay
        switch state.purpose {
        case .switchover, .preempt, .lock:
            quiesce = nil
            changeRole(to: .active, reason: .releaseFailed, now: now, into: &actions)
            if let request = state.request { actions.append(.reply(request: request, .refused(.releaseFailed))) }
        case .failure, .shutdown:
            quiesced(now: now, into: &actions)
        }
    }
}
