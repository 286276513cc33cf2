extension SupervisorCore {
    /// Brings every component towards what is wanted: starts in dependency order, stops in
    /// reverse dependency order (a component stops only once nothing that comes after it runs).
    mutating func reconcile(now: Instant, into actions: inout SupervisorActions) {
        for index in configuration.order {
            let wanted = isWanted(index)
            switch components[index].state {
            case .stopped:
                if wanted, !components[index].completed {
                    change(index, to: .waiting, now: now)
                } else if !wanted {
                    components[index].completed = false
                    components[index].restartTimes.removeAll()
                }
            case .waiting, .backoff, .failed:
                if !wanted {
                    change(index, to: .stopped, now: now)
                    components[index].completed = false
                    components[index].restartTimes.removeAll()
                }
            case .starting, .running, .stopping, .failing:
                break
            }
            if components[index].state == .waiting, dependenciesSatisfied(index) {
                change(index, to: .starting, now: now)
                actions.append(.start(index))
            }
        }
        for index in configuration.order.reversed()
        where components[index].state == .running && !isWanted(index) && !hasLiveDependents(index) {
            change(index, to: .stopping, now: now)
            actions.append(.terminate(index))
            let timeout = configuration.components[index].stopTimeout
            if timeout == .zero {
                actions.append(.kill(index))
            } else {
                components[index].killAt = now + timeout
            }
        }
    }

    /// A dependency is satisfied when it runs, or when it ran to a clean end (a set-up task).
    func dependenciesSatisfied(_ index: Int) -> Bool {
        configuration.components[index].dependencies.allSatisfy { dependency in
            let component = components[dependency]
            return component.state == .running || (component.state == .stopped && component.completed)
        }
    }

    func hasLiveDependents(_ index: Int) -> Bool {
        configuration.dependents[index].contains { components[$0].state.hasProcess }
    }

    mutating func expireDeadlines(now: Instant, into actions: inout SupervisorActions) {
        for index in components.indices {
            if let at = components[index].restartAt, now >= at {
                change(index, to: .waiting, now: now)
            }
            if let at = components[index].killAt, now >= at {
                components[index].killAt = nil
                if components[index].state == .stopping { actions.append(.trace(.stopTimedOut(index))) }
                actions.append(.kill(index))
            }
            if components[index].state == .running, let at = healthDeadline(index), now >= at {
                hung(index, now: now, into: &actions)
            }
        }
    }

    /// A process ended: expected (it was told to stop), restarted under its policy and
    /// intensity, or given up on (and escalated when critical).
    mutating func exited(_ index: Int, _ exit: ComponentExit, now: Instant, into actions: inout SupervisorActions) {
        let state = components[index].state
        precondition(state.hasProcess, "an exit of a component without a process")
        components[index].lastExit = exit
        components[index].lastExitAt = now
        let expected = state == .stopping
        actions.append(.trace(.exited(index, exit, expected: expected)))
        if expected, components[index].restartRequested, isWanted(index) {
            return change(index, to: .waiting, now: now)  // an operator's restart: not counted
        }
        guard !expected, isWanted(index) else {
            return change(index, to: .stopped, now: now)
        }
        let component = configuration.components[index]
        // Ended by the supervisor because it hung or asked for it: a failure, whatever its status.
        let failure = exit.isFailure || state == .failing
        let restart = component.restart == .always || (component.restart == .onFailure && failure)
        guard restart else {
            if failure { return giveUp(index, .restartNever, now: now, into: &actions) }
            components[index].completed = true
            return change(index, to: .stopped, now: now)
        }
        components[index].restartTimes.removeAll { now.since($0) >= component.intensity.period }
        guard components[index].restartTimes.count < component.intensity.count else {
            return giveUp(index, .intensityExceeded, now: now, into: &actions)
        }
        components[index].restartTimes.append(now)
        components[index].restarts += 1
        let count = components[index].restartTimes.count
        let delay = component.backoff.delay(restart: count)
        actions.append(.trace(.restartScheduled(index, delay: delay, restart: count)))
        if delay == .zero {
            change(index, to: .waiting, now: now)
        } else {
            change(index, to: .backoff, now: now)
            components[index].restartAt = now + delay
        }
    }

    /// Leaves the component failed; a critical one escalates: switchover on the active board
    /// (once until it leaves the role), board recovery elsewhere (once).
    mutating func giveUp(
        _ index: Int, _ reason: SupervisorTrace.GiveUpReason, now: Instant, into actions: inout SupervisorActions
    ) {
        change(index, to: .failed, now: now)
        components[index].restartTimes.removeAll()
        actions.append(.trace(.gaveUp(index, reason)))
        guard configuration.components[index].critical else { return }
        if ComponentRole.active.runs(in: role) {
            guard !switchoverEscalated else { return }
            switchoverEscalated = true
            actions.append(.escalateSwitchover(index))
        } else {
            guard !recoveryEscalated else { return }
            recoveryEscalated = true
            actions.append(.escalateBoardRecovery(index))
        }
    }
}
