/// The supervisor's policy for the board's components: start in dependency order, start and
/// stop with the pair role, restart with intensity and backoff, escalate when a critical
/// component cannot be kept running, stop in reverse dependency order.
///
/// Pure and synchronous, like `PairCore`: facts go in through `handle(_:now:)`, orders come out
/// as `SupervisorActions`. The adapter arms its timer at `nextDeadline`.
public struct SupervisorCore: Sendable {
    public let configuration: SupervisorConfiguration
    /// The board's pair role as last reported; `.starting` until the pair decides.
    public private(set) var role: Role = .starting
    /// Set by `.stopRequested`: nothing is wanted any more.
    public private(set) var stopping = false
    /// Set once `.stopped` was returned.
    public private(set) var stopped = false
    var components: [ComponentRuntime]
    var started = false
    var lastEventAt: Instant = .zero
    /// A switchover was asked for and the board has not left the active role since.
    var switchoverEscalated = false
    /// Board recovery was asked for: it is not asked again.
    var recoveryEscalated = false

    /// What the core keeps per component.
    struct ComponentRuntime: Sendable, Hashable {
        var state: ComponentState = .stopped
        var since: Instant = .zero
        /// It exited cleanly and its policy does not restart it: not started again while wanted.
        var completed = false
        /// Restarts within the intensity period, oldest first.
        var restartTimes: [Instant] = []
        var restartAt: Instant?
        var killAt: Instant?
        var startedAt: Instant?
        var restarts: UInt64 = 0
        var lastExit: ComponentExit?
        var lastExitAt: Instant?
        /// When its current process started or last sent a heartbeat (nil without a process).
        var lastHealthAt: Instant?
        /// Stopped by an operator: not wanted until an operator starts it again.
        var held = false
        /// An operator's restart: once the process has stopped, it is started again at once.
        var restartRequested = false
    }

    public init(configuration: SupervisorConfiguration) {
        self.configuration = configuration
        components = Array(repeating: ComponentRuntime(), count: configuration.components.count)
    }

    /// The next instant at which the core wants a `.tick`.
    public var nextDeadline: Instant {
        var deadline = Instant(nanoseconds: .max)
        for component in components {
            if let at = component.restartAt { deadline = min(deadline, at) }
            if let at = component.killAt { deadline = min(deadline, at) }
        }
        for (index, component) in components.enumerated() where component.state == .running {
            if let at = healthDeadline(index) { deadline = min(deadline, at) }
        }
        return deadline
    }

    /// The state of component `index`.
    public func state(of index: Int) -> ComponentState { components[index].state }

    /// What `duplexctl components` shows of component `index`.
    public func status(of index: Int) -> ComponentStatus {
        let component = components[index]
        return ComponentStatus(
            name: configuration.components[index].name, state: component.state, since: component.since,
            startedAt: component.startedAt, restarts: component.restarts, lastExit: component.lastExit,
            lastExitAt: component.lastExitAt, lastHealthAt: component.lastHealthAt, held: component.held)
    }

    /// Handles one fact and returns the orders that follow from it.
    public mutating func handle(_ event: SupervisorEvent, now rawNow: Instant) -> SupervisorActions {
        precondition(started || event == .started, "the first event must be .started")
        var actions = SupervisorActions()
        guard !stopped else { return actions }
        let now = max(rawNow, lastEventAt)
        lastEventAt = now
        switch event {
        case .started:
            started = true
        case .roleChanged(let next):
            role = next
            if !ComponentRole.active.runs(in: next) { switchoverEscalated = false }
        case .componentStarted(let index):
            precondition(components[index].state == .starting, "started without a start order")
            change(index, to: .running, now: now)
            components[index].startedAt = now
            components[index].lastHealthAt = now
        case .componentExited(let index, let exit):
            exited(index, exit, now: now, into: &actions)
        case .tick:
            break
        case .stopRequested:
            stopping = true
        case .componentHealthy(let index):
            if components[index].state == .running { components[index].lastHealthAt = now }
        case .componentErrorReported(let index, let recovery):
            errorReported(index, recovery, now: now, into: &actions)
        case .operatorRequested(let index, let command):
            commanded(index, command, now: now, into: &actions)
        }
        expireDeadlines(now: now, into: &actions)
        reconcile(now: now, into: &actions)
        if stopping, components.allSatisfy({ $0.state == .stopped }) {
            stopped = true
            actions.append(.stopped)
        }
        assertInvariants()
        return actions
    }

    mutating func change(_ index: Int, to next: ComponentState, now: Instant) {
        let previous = components[index].state
        precondition(previous.canChange(to: next), "illegal component state change \(previous) -> \(next)")
        components[index].state = next
        components[index].since = now
        if !next.hasProcess {
            components[index].startedAt = nil
            components[index].lastHealthAt = nil
        }
        if next != .backoff { components[index].restartAt = nil }
        if next != .stopping && next != .failing { components[index].killAt = nil }
        if next != .stopping { components[index].restartRequested = false }
    }

    /// Whether component `index` should run now.
    func isWanted(_ index: Int) -> Bool {
        !stopping && !components[index].held && configuration.components[index].role.runs(in: role)
    }

    func assertInvariants() {
        assert(components.count == configuration.components.count, "component table changed size")
        for component in components {
            assert(component.state == .backoff || component.restartAt == nil, "a restart time belongs to backoff")
            assert(component.state == .stopping || component.state == .failing || component.killAt == nil,
                   "a kill time belongs to stopping or failing")
            assert(component.state == .stopping || !component.restartRequested, "a restart request belongs to stopping")
            assert(component.restartTimes.count <= Limits.componentRestartsMax, "restart history bounded")
            assert(component.state.hasProcess || component.startedAt == nil, "no start time without a process")
        }
        assert(!stopped || stopping, "stopped only after a stop request")
    }
}

/// One component as `duplexctl components` shows it (the adapter adds the pid).
public struct ComponentStatus: Sendable, Hashable {
    public var name: String
    public var state: ComponentState
    /// When it entered `state`.
    public var since: Instant
    /// When its current process started running, if it has one.
    public var startedAt: Instant?
    /// Restarts since duplexd started.
    public var restarts: UInt64
    public var lastExit: ComponentExit?
    public var lastExitAt: Instant?
    /// When its current process started or last sent a heartbeat.
    public var lastHealthAt: Instant? = nil
    /// Stopped by an operator (`duplexctl stop`) and kept stopped.
    public var held: Bool = false
}
