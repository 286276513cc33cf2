/// A fact delivered to `SupervisorCore.handle(_:now:)`.
public enum SupervisorEvent: Sendable, Hashable {
    /// The supervisor started; components that run in every role may start.
    case started
    /// The pair changed this board's role.
    case roleChanged(Role)
    /// The process of a component ordered by `.start` is running.
    case componentStarted(Int)
    /// The process of a component ended, or could not be started (`.startFailed`).
    case componentExited(Int, ComponentExit)
    /// A timer expired (the adapter arms it at `SupervisorCore.nextDeadline`).
    case tick
    /// Orderly stop: stop every component, dependents first, then report `.stopped`.
    case stopRequested
    /// A health heartbeat of a component: from the `Duplex` library, or its health command
    /// succeeded. Ignored unless the component runs.
    case componentHealthy(Int)
    /// A component reported an error and recommends a recovery. Ignored unless it runs.
    case componentErrorReported(Int, RecommendedRecovery)
    /// An operator asked to start, stop or restart a component (`duplexctl start|stop|restart`);
    /// check ``SupervisorCore/refusal(of:for:)`` first.
    case operatorRequested(Int, ComponentCommand)
}

/// What a component that reports an error recommends (SA Forum AMF's recommended recovery).
public enum RecommendedRecovery: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// End and restart this component (counted against its restart intensity).
    case restart = 1
    /// Hand the pair role to the mate (on the active board; a restart elsewhere).
    case switchover = 2
    /// Recover the board (its recovery command, a reboot by default); the active board
    /// switches over first.
    case rebootBoard = 3

    public var description: String {
        switch self {
        case .restart: "restart"
        case .switchover: "switchover"
        case .rebootBoard: "reboot-board"
        }
    }
}

/// An operator's order for one component.
public enum ComponentCommand: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Start it again: clears an operator stop and a failed state.
    case start = 1
    /// Stop it (SIGTERM, SIGKILL after its stop timeout) and keep it stopped until `start`.
    case stop = 2
    /// Stop it and start it again at once; not counted against its restart intensity.
    case restart = 3

    public var description: String {
        switch self {
        case .start: "start"
        case .stop: "stop"
        case .restart: "restart"
        }
    }
}

/// An order returned by `SupervisorCore.handle(_:now:)`.
public enum SupervisorAction: Sendable, Hashable {
    /// Spawn the component; answer with `.componentStarted` or `.componentExited(.startFailed)`.
    case start(Int)
    /// Send SIGTERM to the component's process group.
    case terminate(Int)
    /// Send SIGKILL to the component's process group (its stop timeout passed).
    case kill(Int)
    /// The component is hung: send SIGABRT to its process (and SIGCONT, so that a stopped
    /// process acts on it), for a core dump that shows where it hung.
    case abort(Int)
    /// A critical component failed on the active board: hand the role to the mate at once.
    case escalateSwitchover(Int)
    /// A critical component failed on a board that is not active: recover the board.
    case escalateBoardRecovery(Int)
    /// Record something that happened (the core never logs).
    case trace(SupervisorTrace)
    /// The orderly stop is complete: every component is stopped.
    case stopped
}

/// What the supervisor core reports for the log.
public enum SupervisorTrace: Sendable, Hashable {
    /// A component ended; `expected` when it had been told to stop.
    case exited(Int, ComponentExit, expected: Bool)
    /// A component will be started again after `delay` (zero: at once).
    case restartScheduled(Int, delay: Duration, restart: Int)
    /// A component is left failed.
    case gaveUp(Int, GiveUpReason)
    /// A component outlived its stop timeout and is killed.
    case stopTimedOut(Int)
    /// A component sent no heartbeat for `silentFor` (its health timeout): it is aborted.
    case hung(Int, silentFor: Duration)
    /// A component reported an error; what the supervisor does follows its recommendation.
    case errorReported(Int, RecommendedRecovery)
    /// An operator command was carried out.
    case commanded(Int, ComponentCommand)

    public enum GiveUpReason: UInt8, Sendable, Hashable, CustomStringConvertible {
        /// More than `restart-intensity` allows.
        case intensityExceeded = 1
        /// A failure under `restart = never`.
        case restartNever = 2

        public var description: String {
            switch self {
            case .intensityExceeded: "restart intensity exceeded"
            case .restartNever: "failed and its restart policy is never"
            }
        }
    }
}

/// The actions of one `handle` call.
public struct SupervisorActions: Sendable, RandomAccessCollection {
    /// Enough for every component to be started, stopped, aborted, killed, traced twice and
    /// escalated in one step.
    public static let capacity = 10 * Limits.componentsMax + 1
    private var storage: [SupervisorAction] = []

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }

    public subscript(position: Int) -> SupervisorAction { storage[position] }

    /// - Important: traps when more than `capacity` actions are appended (a core bug).
    mutating func append(_ action: SupervisorAction) {
        precondition(storage.count < Self.capacity, "too many supervisor actions in one step")
        storage.append(action)
    }
}
