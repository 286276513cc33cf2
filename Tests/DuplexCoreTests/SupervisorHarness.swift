import DuplexCore

/// Drives a `SupervisorCore` on a simulated clock with simulated processes: a `.start` is
/// answered at once (started, or `.startFailed` for components in `failStart`), `.terminate`
/// ends the process unless it is in `ignoresTerm`, `.kill` always does.
struct SupervisorHarness {
    var core: SupervisorCore
    var now = Instant(nanoseconds: 1_000_000_000)
    var failStart: Set<String> = []
    var ignoresTerm: Set<String> = []
    /// Components whose simulated process does not end on SIGABRT (stopped, or it blocks it).
    var ignoresAbort: Set<String> = []
    /// Every action returned, in order.
    var actions: [SupervisorAction] = []
    /// Components whose simulated process runs.
    var running: Set<Int> = []

    init(_ components: [SupervisedComponent], role: Role? = nil) {
        core = SupervisorCore(configuration: SupervisorConfiguration(components: components))
        send(.started)
        if let role { send(.roleChanged(role)) }
    }

    func index(_ name: String) -> Int {
        guard let index = core.configuration.components.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("no component \(name)")
        }
        return index
    }

    func name(_ index: Int) -> String { core.configuration.components[index].name }

    func state(_ name: String) -> ComponentState { core.state(of: index(name)) }

    /// Delivers `event` and the simulated processes' answers to the orders it brings.
    mutating func send(_ event: SupervisorEvent) {
        var pending = [event]
        // Each answer comes from one order; a crash loop ends at its restart intensity.
        for _ in 0..<10_000 {
            guard !pending.isEmpty else { return }
            let next = pending.removeFirst()
            let result = core.handle(next, now: now)
            for action in result {
                actions.append(action)
                pending += answer(action)
            }
        }
        preconditionFailure("the simulated processes never settled")
    }

    private mutating func answer(_ action: SupervisorAction) -> [SupervisorEvent] {
        switch action {
        case .start(let index):
            if failStart.contains(name(index)) { return [.componentExited(index, .startFailed(errno: 2))] }
            running.insert(index)
            return [.componentStarted(index)]
        case .terminate(let index):
            guard !ignoresTerm.contains(name(index)), running.contains(index) else { return [] }
            running.remove(index)
            return [.componentExited(index, .signalled(signal: 15))]
        case .kill(let index):
            guard running.contains(index) else { return [] }  // a process ends once
            running.remove(index)
            return [.componentExited(index, .signalled(signal: 9))]
        case .abort(let index):
            guard !ignoresAbort.contains(name(index)), running.contains(index) else { return [] }
            running.remove(index)
            return [.componentExited(index, .signalled(signal: 6))]
        case .escalateSwitchover, .escalateBoardRecovery, .trace, .stopped:
            return []
        }
    }

    /// The process of `name` ends by itself.
    mutating func exit(_ name: String, _ exit: ComponentExit = .exited(status: 1)) {
        let index = index(name)
        precondition(running.contains(index), "\(name) is not running")
        running.remove(index)
        send(.componentExited(index, exit))
    }

    /// Moves the clock on by `duration`, delivering a `.tick` at each deadline on the way.
    mutating func advance(_ duration: Duration) {
        let end = now + duration
        for _ in 0..<1_000 {
            let deadline = core.nextDeadline
            guard deadline <= end else { break }
            now = max(now, deadline)
            send(.tick)
        }
        now = end
    }

    /// Clears the recorded actions and returns them.
    mutating func take() -> [SupervisorAction] {
        defer { actions.removeAll() }
        return actions
    }

    /// The recorded actions without traces.
    mutating func orders() -> [SupervisorAction] {
        take().filter { if case .trace = $0 { false } else { true } }
    }
}
