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

    /// Orders for the supervisor thread.
    public enum Command: Sendable, Hashable {
        /// The pair changed this board's role.
        case roleChanged(Role)
        /// Stop every component, dependents first, then return from `run()`.
        case stop
    }

    /// One component as `duplexctl components` shows it.
    public struct Snapshot: Sendable, Hashable {
        public var status: ComponentStatus
        public var role: ComponentRole
        public var critical: Bool
        /// The pid of its running process, if any.
        public var pid: Int32?
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

    static let commandToken: UInt64 = 1
    static let timerToken: UInt64 = 2
    static let recoveryToken: UInt64 = 3
    static let exitTokenBase: UInt64 = 1_000
    static let outputTokenBase: UInt64 = 2_000

    /// - Parameters:
    ///   - components: the validated `[component NAME]` sections.
    ///   - socketPath: the control socket, given to components as `DUPLEX_SOCKET`.
    ///   - onSwitchover: called on this thread with the component's name when a critical
    ///     component fails on the active board; it must hand the role over (post
    ///     `.failureReported` to the pair thread) and return at once.
    ///   - criticalHealth: set after each step to whether no critical component is failed.
    /// - Throws: `Errno` from epoll, the timer, the eventfd or `/dev/null`; a user or group
    ///   that does not exist traps (``ComponentPreflight/check(_:file:)`` refuses it first).
    public init(
        components: [Configuration.Component], supervisor: Configuration.Supervisor, socketPath: String,
        logger: Logger, criticalHealth: CriticalHealth? = nil, onSwitchover: @escaping @Sendable (String) -> Void
    ) throws(Errno) {
        precondition(components.count <= Limits.componentsMax, "too many components")
        self.components = components
        var launches: [ComponentLaunch] = []
        for component in components {
            do throws(ComponentLaunch.LaunchProblem) {
                launches.append(try ComponentLaunch(component, socketPath: socketPath))
            } catch {
                preconditionFailure("[component \(component.name)] \(error.key): \(error.message)")
            }
        }
        self.launches = launches
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

    /// The components as of the last step; callable from any thread.
    public func snapshot() -> [Snapshot] {
        published.withLock { $0 }
    }

    /// Runs the loop on the calling thread until an orderly stop (`post(.stop)`) completes.
    /// - Throws: `Errno` from epoll or the timer (a broken descriptor).
    public func run() throws(Errno) {
        step(.started)
        while !finished {
            try arm()
            let ready = try epoll.wait(into: events, timeout: nil)
            for index in 0..<ready {
                try dispatch(events[index].token)
            }
            let now = MonotonicClock.now()
            if now >= core.nextDeadline { step(.tick) }
            if let stopDeadline, now >= stopDeadline { abandonStop() }
        }
    }

    private func arm() throws(Errno) {
        let deadline = min(core.nextDeadline, stopDeadline ?? Instant(nanoseconds: .max))
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
