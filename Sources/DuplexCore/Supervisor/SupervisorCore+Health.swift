extension SupervisorCore {
    /// When component `index` is hung unless it sends a heartbeat first; nil without a health
    /// timeout or a running process.
    func healthDeadline(_ index: Int) -> Instant? {
        guard let timeout = configuration.components[index].healthTimeout,
              let last = components[index].lastHealthAt else { return nil }
        return last + timeout
    }

    /// Silent past its health timeout: SIGABRT now, SIGKILL after its abort timeout, then the
    /// restart policy (the exit counts as a failure).
    mutating func hung(_ index: Int, now: Instant, into actions: inout SupervisorActions) {
        precondition(components[index].state == .running, "only a running component can hang")
        let silent = now.since(components[index].lastHealthAt ?? now)
        change(index, to: .failing, now: now)
        actions.append(.trace(.hung(index, silentFor: silent)))
        actions.append(.abort(index))
        end(index, after: configuration.components[index].abortTimeout, now: now, into: &actions)
    }

    /// Arms the SIGKILL that follows a SIGABRT or SIGTERM after `grace` (at once for zero).
    private mutating func end(_ index: Int, after grace: Duration, now: Instant, into actions: inout SupervisorActions) {
        assert(components[index].state == .stopping || components[index].state == .failing, "ending a component")
        if grace == .zero {
            actions.append(.kill(index))
        } else {
            components[index].killAt = now + grace
        }
    }

    /// A component's own error report, handled as it recommends.
    mutating func errorReported(
        _ index: Int, _ recovery: RecommendedRecovery, now: Instant, into actions: inout SupervisorActions
    ) {
        guard components[index].state == .running else { return }  // a late report of a process that is ending
        actions.append(.trace(.errorReported(index, recovery)))
        let active = ComponentRole.active.runs(in: role)
        switch recovery {
        case .switchover where active, .rebootBoard where active:
            if !switchoverEscalated {
                switchoverEscalated = true
                actions.append(.escalateSwitchover(index))
            }
            guard recovery == .rebootBoard, !recoveryEscalated else { return }
            recoveryEscalated = true
            actions.append(.escalateBoardRecovery(index))
        case .rebootBoard:
            guard !recoveryEscalated else { return }
            recoveryEscalated = true
            actions.append(.escalateBoardRecovery(index))
        case .restart, .switchover:
            change(index, to: .failing, now: now)
            actions.append(.terminate(index))
            end(index, after: configuration.components[index].stopTimeout, now: now, into: &actions)
        }
    }

    /// Why an operator command cannot be carried out now, or nil when it can.
    public func refusal(of command: ComponentCommand, for index: Int) -> String? {
        precondition(components.indices.contains(index), "no component \(index)")
        guard !stopping else { return "duplexd is stopping" }
        let component = configuration.components[index]
        switch command {
        case .start, .restart:
            guard component.role.runs(in: role) else {
                return "\(component.name) runs only with role \(component.role) and this board is \(role)"
            }
            let waitingFor = component.dependencies.filter { components[$0].held }.map { configuration.components[$0].name }
            guard waitingFor.isEmpty else {
                return "\(component.name) comes after \(waitingFor.joined(separator: ", ")), stopped by an operator"
            }
        case .stop:
            let dependents = configuration.dependents[index].filter { components[$0].state.hasProcess }
            guard dependents.isEmpty else {
                let names = dependents.map { configuration.components[$0].name }.joined(separator: ", ")
                return "\(names) \(dependents.count == 1 ? "comes" : "come") after \(component.name); stop \(dependents.count == 1 ? "it" : "them") first"
            }
        }
        return nil
    }

    /// Carries out an operator command; the adapter checked ``refusal(of:for:)``.
    mutating func commanded(_ index: Int, _ command: ComponentCommand, now: Instant, into actions: inout SupervisorActions) {
        actions.append(.trace(.commanded(index, command)))
        switch command {
        case .stop:
            components[index].held = true  // `reconcile` stops it: it is no longer wanted
        case .start, .restart:
            components[index].held = false
            let state = components[index].state
            if state == .failed || (state == .stopped && components[index].completed) {
                components[index].completed = false
                components[index].restartTimes.removeAll()
                if state == .failed { change(index, to: .stopped, now: now) }
            } else if state == .backoff {
                change(index, to: .waiting, now: now)
            } else if command == .restart, state == .running || state == .starting {
                change(index, to: .stopping, now: now)
                components[index].restartRequested = true
                actions.append(.terminate(index))
                end(index, after: configuration.components[index].stopTimeout, now: now, into: &actions)
            } else if command == .restart, state == .stopping {
                components[index].restartRequested = true
            }
        }
    }
}
