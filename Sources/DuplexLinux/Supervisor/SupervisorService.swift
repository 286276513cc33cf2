public import DuplexCore
public import Logging
import Glibc
public import SystemPackage
import Synchronization

/// The supervisor thread: runs the `SupervisorCore` over the board's component processes.
///
/// Its own thread with its own epoll (pidfds, output pipes, a timerfd, an eventfd for
/// commands) rather than the control thread's: a control client that is slow to read can hold
/// the control thread for up to a second (`SO_SNDTIMEO`), and a restart must not wait for that;
/// a chatty component's output, logged here, must not delay `duplexctl` either. Role changes
/// come from the control thread (which drains the pair thread's notices) through `post`.
public final class SupervisorService: @unchecked Sendable {
    // @unchecked Sendable: `core`, `children`, `splitters`, `launches` and `recovery` are used
    // only by the thread that calls `run()`; `commands`, `commandSignal` (thread-safe queue and
    // eventfd) and `published` (a Mutex) are what other threads touch.

    /// The request id of the quiesce that precedes an orderly stop (SIGTERM) of an active
    /// board (no client waits for its answer). Control requests never use it.
    public static let shutdownRequest = UInt32.max - 1

    /// What follows the components' quiesce: the order then given to the pair.
    public enum QuiesceFollowUp: Sendable, Hashable {
        /// An operator's switchover (`force`: even to a mate that is not hot).
        case switchover(force: Bool)
        /// An operator's lock of this board out of service.
        case lock
        /// The orderly stop of this board (SIGTERM).
        case stop
    }

    /// Orders for the supervisor thread.
    public enum Command: Sendable {
        /// The pair changed this board's role.
        case roleChanged(Role)
        /// Stop every component, dependents first, then return from `run()`.
        case stop
        /// An operator's start, stop or restart of component `index`; the refusal (or nil)
        /// goes to `reply`.
        case component(ComponentCommand, index: Int, reply: SupervisorReply)
        /// A graceful switchover or lock was asked for (control request `request`), or an
        /// orderly stop (`shutdownRequest`): tell the
        /// registered components `quiescing`, wait until each confirmed or its quiesce timeout
        /// passed, then call `onQuiesced(request, followUp)`.
        case quiesce(request: UInt32, then: QuiesceFollowUp)
        /// The pair answered control request `request`; a refused switchover that quiesced
        /// the components gives them back their role.
        case answered(request: UInt32, refused: Bool)
    }

    /// One component as `duplexctl components` shows it.
    public struct Snapshot: Sendable, Hashable {
        public var status: ComponentStatus
        public var role: ComponentRole
        public var critical: Bool
        /// The pid of its running process, if any.
        public var pid: Int32?
        /// Its health timeout, if it is watched for hangs.
        public var healthTimeout: DuplexCore.Duration?
    }

    var core: SupervisorCore
    let components: [Configuration.Component]
    let launches: [ComponentLaunch]
    let recovery: BoardRecovery
    let logger: Logger
    let onSwitchover: @Sendable (String) -> Void
    /// Cleared while a critical component is failed: the pair thread then stops feeding the
    /// hardware watchdog.
    let criticalHealth: CriticalHealth?
    let commands = BoundedQueue<Command>(capacity: 64)
    let commandSignal: EventFD
    let epoll: Epoll
    let timer: TimerFD
    let events = Epoll.EventBuffer(capacity: 32)
    let devNull: CInt
    var children: [ChildProcess?]
    var splitters: [OutputLineSplitter]
    var recoveryProcess: ChildProcess?
    var finished = false
    /// When a stop gives up waiting and kills what is left.
    var stopDeadline: Instant?
    let published: Mutex<[Snapshot]>
    /// The component socket (`DUPLEX_COMPONENT_SOCKET`) and its sessions, by descriptor.
    let componentListener: UnixListener
    var sessions: [CInt: ComponentSession] = [:]
    /// The graceful handover being prepared: its request, what follows, and its deadline.
    var quiescing: (request: UInt32, then: QuiesceFollowUp, deadline: Instant)?
    /// The last switchover request for which the components were quiesced.
    var lastQuiesce: UInt32?
    var quiesceStartedAt = Instant.zero
    let onQuiesced: @Sendable (UInt32, QuiesceFollowUp) -> Void
    /// Health commands: the running check of each component, and when the next one runs.
    var healthChecks: [HealthCheck?]
    var nextHealthCheck: [Instant?]
    let healthLaunches: [ComponentLaunch?]

    static let commandToken: UInt64 = 1
    static let timerToken: UInt64 = 2
    static let recoveryToken: UInt64 = 3
    static let listenerToken: UInt64 = 4
    static let exitTokenBase: UInt64 = 1_000
    static let outputTokenBase: UInt64 = 2_000
    static let healthTokenBase: UInt64 = 3_000
    static let sessionTokenBase: UInt64 = 1 << 32

    /// - Parameters:
    ///   - components: the validated `[component NAME]` sections.
    ///   - socketPath: the control socket, given to components as `DUPLEX_SOCKET`.
    ///   - onSwitchover: called on this thread with the component's name when a critical
    ///     component fails on the active board; it must hand the role over (post
    ///     `.failureReported` to the pair thread) and return at once.
    ///   - criticalHealth: set after each step to whether no critical component is failed.
    ///   - onQuiesced: called on this thread when the components are quiesced for the
    ///     switchover `request` (`.quiesce`): it must post the switchover to the pair.
    /// - Throws: `Errno` from epoll, the timer, the eventfd, `/dev/null` or the component
    ///   socket; a user or group that does not exist traps (``ComponentPreflight/check(_:file:)``
    ///   refuses it first).
    public init(
        components: [Configuration.Component], supervisor: Configuration.Supervisor, socketPath: String,
        logger: Logger, criticalHealth: CriticalHealth? = nil, onSwitchover: @escaping @Sendable (String) -> Void,
        onQuiesced: @escaping @Sendable (UInt32, QuiesceFollowUp) -> Void = { _, _ in }
    ) throws(Errno) {
        precondition(components.count <= Limits.componentsMax, "too many components")
        self.components = components
        let componentSocket = supervisor.componentSocketPath(control: socketPath)
        var launches: [ComponentLaunch] = []
        var healthLaunches: [ComponentLaunch?] = []
        for component in components {
            do throws(ComponentLaunch.LaunchProblem) {
                launches.append(try ComponentLaunch(component, socketPath: socketPath, componentSocketPath: componentSocket))
                healthLaunches.append(try component.healthCommand.map { command throws(ComponentLaunch.LaunchProblem) in
                    var check = component
                    check.command = command
                    check.arguments = []
                    return try ComponentLaunch(check, socketPath: socketPath, componentSocketPath: componentSocket)
                })
            } catch {
                preconditionFailure("[component \(component.name)] \(error.key): \(error.message)")
            }
        }
        self.launches = launches
        self.healthLaunches = healthLaunches
        self.onQuiesced = onQuiesced
        healthChecks = Array(repeating: nil, count: components.count)
        nextHealthCheck = Array(repeating: nil, count: components.count)
        componentListener = try UnixListener(path: componentSocket)
        // Components may run as other users; a session is accepted only from the process
        // group of the component it names (SO_PEERCRED), so the socket may be open to all.
        _ = chmod(componentSocket, 0o666)
        core = SupervisorCore(configuration: SupervisorConfiguration(components))
        recovery = BoardRecovery(supervisor, socketPath: socketPath)
        self.logger = logger
        self.onSwitchover = onSwitchover
        self.criticalHealth = criticalHealth
        children = Array(repeating: nil, count: components.count)
        splitters = Array(repeating: OutputLineSplitter(lineMax: Limits.componentOutputLineMax), count: components.count)
        published = Mutex([])
        commandSignal = try EventFD()
        epoll = try Epoll()
        timer = try TimerFD()
        let null = try Syscall.retrying { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        devNull = null > 2 ? null : fcntl(null, F_DUPFD_CLOEXEC, 3)
        if null <= 2 { close(null) }
        try epoll.add(commandSignal.fileDescriptor, token: Self.commandToken)
        try epoll.add(timer.fileDescriptor, token: Self.timerToken)
        try epoll.add(componentListener.fileDescriptor, token: Self.listenerToken)
    }

    deinit { close(devNull) }

    /// Queues `command` for the supervisor thread; callable from any thread, never blocks.
    /// - Returns: false when the queue is full (the command is dropped and logged).
    @discardableResult
    public func post(_ command: Command) -> Bool {
        guard commands.push(command) else {
            logger.error("supervisor command queue full; command dropped", metadata: ["duplex.command": "\(command)"])
            return false
        }
        _ = try? commandSignal.signal()  // an eventfd write cannot block; see EventFD.signal
        return true
    }

    /// Asks the supervisor thread to start, stop or restart component `name`; waits for its
    /// answer (one step: at most a few milliseconds) up to 2 s.
    /// - Returns: nil when done, else why not.
    public func request(_ command: ComponentCommand, name: String) -> String? {
        guard let index = components.firstIndex(where: { $0.name == name }) else {
            let names = components.map(\.name)
            return "no component \(name)" + (names.isEmpty ? " (none configured)" : " (components: \(names.joined(separator: ", ")))")
        }
        let reply = SupervisorReply()
        guard post(.component(command, index: index, reply: reply)) else { return "the supervisor is busy; try again" }
        return reply.wait(timeout: .seconds(2)) ?? "the supervisor did not answer in time"
    }

    /// The components as of the last step; callable from any thread.
    public func snapshot() -> [Snapshot] {
        published.withLock { $0 }
    }

    /// Runs the loop on the calling thread until an orderly stop (`post(.stop)`) completes.
    /// - Throws: `Errno` from epoll or the timer (a broken descriptor).
    public func run() throws(Errno) {
        step(.started)
        while !finished {
            // Before arming: a component that just started gets its first check scheduled.
            runHealthChecks(now: MonotonicClock.now())
            try arm()
            let ready = try epoll.wait(into: events, timeout: nil)
            for index in 0..<ready {
                try dispatch(events[index].token)
            }
            let now = MonotonicClock.now()
            if now >= core.nextDeadline { step(.tick) }
            if let quiescing, now >= quiescing.deadline { finishQuiesce(timedOut: true) }
            if let stopDeadline, now >= stopDeadline { abandonStop() }
        }
        for fd in Array(sessions.keys) { dropSession(fd) }
        endHealthChecks()
    }

    private func arm() throws(Errno) {
        var deadline = min(core.nextDeadline, stopDeadline ?? Instant(nanoseconds: .max))
        if let quiescing { deadline = min(deadline, quiescing.deadline) }
        if let health = healthCheckDeadline { deadline = min(deadline, health) }
        if deadline.nanoseconds == .max {
            try timer.disarm()
        } else {
            try timer.arm(at: deadline)
        }
    }

    private func dispatch(_ token: UInt64) throws(Errno) {
        switch token {
        case Self.commandToken:
            _ = try commandSignal.drain()
            drainCommands()
        case Self.timerToken:
            _ = try timer.readExpirations()
        case Self.recoveryToken:
            reapRecovery()
        case Self.listenerToken:
            acceptSessions()
        case Self.healthTokenBase..<Self.healthTokenBase + UInt64(Limits.componentsMax):
            healthCheckEnded(Int(token - Self.healthTokenBase))
        case Self.sessionTokenBase...:
            serveSession(CInt(truncatingIfNeeded: token - Self.sessionTokenBase))
        case Self.exitTokenBase..<Self.exitTokenBase + UInt64(Limits.componentsMax):
            exited(Int(token - Self.exitTokenBase))
        case Self.outputTokenBase..<Self.outputTokenBase + UInt64(Limits.componentsMax):
            readOutput(Int(token - Self.outputTokenBase))
        default:
            preconditionFailure("unknown epoll token \(token)")
        }
    }

    private func drainCommands() {
        for _ in 0..<commands.capacity {
            guard let command = commands.pop() else { return }
            switch command {
            case .roleChanged(let role):
                step(.roleChanged(role))
                assignRoles()
            case .component(let command, let index, let reply):
                let refusal = core.refusal(of: command, for: index)
                if refusal == nil { step(.operatorRequested(index, command)) }
                reply.send(refusal)
            case .quiesce(let request, let followUp):
                startQuiesce(request: request, then: followUp)
            case .answered(let request, let refused):
                if refused, request == lastQuiesce {
                    lastQuiesce = nil
                    assignRoles()
                }
            case .stop:
                guard stopDeadline == nil else { continue }
                // Each component gets its stop timeout in turn (a chain stops one by one), plus a second.
                let total = components.reduce(Duration.seconds(1)) { $0 + $1.stopTimeout }
                stopDeadline = MonotonicClock.now() + total
                logger.notice("stopping components", metadata: ["duplex.components": "\(components.count)"])
                step(.stopRequested)
            }
        }
    }
}
