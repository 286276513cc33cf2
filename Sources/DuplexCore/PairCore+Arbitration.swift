extension PairCore {
    /// Decides the role from what is known now. Returns true when the role changed, so that the
    /// caller can run it again (bounded by the caller) for follow-on decisions.
    mutating func arbitrate(now: Instant, into actions: inout PairActions) -> Bool {
        let before = role
        switch role {
        case .starting: arbitrateStarting(now: now, into: &actions)
        case .standby: arbitrateStandby(now: now, into: &actions)
        case .separated: arbitrateSeparated(now: now, into: &actions)
        case .active: arbitrateActive(now: now, into: &actions)
        case .quiesced: arbitrateQuiesced(now: now, into: &actions)
        case .quiescing, .blocked, .failed: break
        }
        return role != before
    }

    private var mateHoldsRole: Bool {
        mate.role == .active || mate.role == .quiescing
    }

    private mutating func arbitrateStarting(now: Instant, into actions: inout PairActions) {
        if mateReachable {
            if mateHoldsRole || mate.role == .quiesced {
                epoch = max(epoch, mate.epoch)
                return changeRole(to: .standby, reason: .discoveryMateActive, now: now, into: &actions)
            }
            if mate.role == .starting, !preferredAtStartOverMate {
                return changeRole(to: .standby, reason: yieldingAtStartReason, now: now, into: &actions)
            }
        }
        guard now >= discoveryEndsAt else { return }
        if mateReachable {
            // The mate is reachable and not active (starting but less preferred, standby,
            // separated, blocked or failed): this board takes the role.
            takeOver(reason: .discoveryPreferred, now: now, into: &actions)
        } else if now < aloneEndsAt {
            return  // no mate yet: a board that last ran as a standby waits longer for it
        } else if isolationOK {
            takeOver(reason: .discoveryNoMate, now: now, into: &actions)
        } else {
            changeRole(to: .separated, reason: .isolationLost, now: now, into: &actions)
        }
    }

    private mutating func arbitrateStandby(now: Instant, into actions: inout PairActions) {
        guard mateReachable else {
            if isolationOK {
                takeOver(reason: .mateLost, now: now, into: &actions)
            } else {
                changeRole(to: .separated, reason: .mateLostIsolated, now: now, into: &actions)
            }
            return
        }
        switch mate.role {
        case .active, .quiescing, .starting:
            break
        case .quiesced:
            // An offer made to a previous incarnation of this board (before it restarted) is
            // not for this one.
            if mate.flags.contains(.handoverOffered), mate.epoch > epoch,
                mate.offeredTo == configuration.incarnation
            {
                takeOver(epoch: mate.epoch, reason: .handoverReceived, now: now, into: &actions)
            }
        case .failed, .blocked:
            takeOver(reason: .mateNotActive, now: now, into: &actions)
        case .standby, .separated:
            // Nobody is active; a separated mate in touch again becomes standby at once.
            // Only the preferred board takes the role, so the two never both do.
            if preferredOverMate {
                takeOver(reason: .bothStandbyPreferred, now: now, into: &actions)
            }
        }
    }

    private mutating func arbitrateSeparated(now: Instant, into actions: inout PairActions) {
        if mateReachable {
            // Back in touch: become standby; the standby rules decide the rest at once.
            changeRole(to: .standby, reason: .mateReturned, now: now, into: &actions)
        } else if isolationOK {
            takeOver(reason: .isolationRecovered, now: now, into: &actions)
        }
    }

    private mutating func arbitrateActive(now: Instant, into actions: inout PairActions) {
        if !mateReachable {
            if !isolationOK {
                changeRole(to: .separated, reason: .isolationLost, now: now, into: &actions)
            }
            return
        }
        if !mateWasReachable {
            // Back in touch after a partition: the mate may have served the addresses meanwhile
            // and clients may still have its MAC address. Announce once it is not active.
            reannouncePending = true
        }
        if mate.role == .active {
            let won = !mateWinsResolution
            // Told once per mate epoch while this board wins: the loser's frames sent before it
            // stepped down keep arriving for a while, and each would tell it again.
            if !won || dualActiveWonTold != mate.epoch {
                actions.append(.trace(.dualActiveResolved(won: won, mateEpoch: mate.epoch)))
                dualActiveWonTold = won ? mate.epoch : nil
            }
            if won {
                reannouncePending = true
            } else {
                epoch = max(epoch, mate.epoch)
                changeRole(to: .standby, reason: .lostResolution, now: now, into: &actions)
            }
            return
        }
        dualActiveWonTold = nil
        if reannouncePending {
            reannouncePending = false
            actions.append(.announceAddresses)
        }
        if mate.flags.contains(.preemptRequested), mate.role == .standby, mate.flags.contains(.hot),
            quiesce == nil, !preferredOverMate
        {
            beginQuiesce(.preempt, request: nil, now: now, into: &actions)
        }
    }

    private mutating func arbitrateQuiesced(now: Instant, into actions: inout PairActions) {
        guard let quiesce else { preconditionFailure("quiesced without a quiesce state") }
        if mateReachable, mate.role == .active, mate.epoch >= quiesce.offeredEpoch {
            epoch = max(epoch, mate.epoch)
            finishQuiesce(outcome: .done, now: now, into: &actions)
        } else if now >= quiesce.deadline {
            // The mate did not take the role: take it back at an epoch above the one offered.
            let request = quiesce.request
            let purpose = quiesce.purpose
            self.quiesce = nil
            if purpose == .shutdown {
                stopped = true
                actions.append(.stop)
                return
            }
            takeOver(epoch: max(quiesce.offeredEpoch, mate.epoch) + 1, reason: .handoverTimeout, now: now, into: &actions)
            if let request { actions.append(.reply(request: request, .refused(.handoverTimedOut))) }
        }
    }
}
