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
}

/// An order returned by `SupervisorCore.handle(_:now:)`.
public enum SupervisorAction: Sendable, Hashable {
    /// Spawn the component; answer with `.componentStarted` or `.componentExited(.startFailed)`.
    case start(Int)
    /// Send SIGTERM to the component's process group.
    case terminate(Int)
    /// Send SIGKILL to the component's process group (its stop timeout passed).
    case kill(Int)
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
    /// Enough for every component to be started, stopped, killed, traced twice and escalated
    /// in one step.
    public static let capacity = 8 * Limits.componentsMax + 1
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
