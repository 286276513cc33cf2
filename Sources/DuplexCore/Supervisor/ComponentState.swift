/// The supervisor's state of one component.
public enum ComponentState: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not running and not to be started: its role does not run on this board now, the board
    /// is stopping, or it exited cleanly under a policy that does not restart it.
    case stopped = 0
    /// To be started once every component it comes `after` is running.
    case waiting = 1
    /// Being spawned.
    case starting = 2
    case running = 3
    /// SIGTERM was sent to its process group; SIGKILL follows after its stop timeout.
    case stopping = 4
    /// Exited; restarts when its backoff delay has passed.
    case backoff = 5
    /// Exited and not restarted: its restart intensity was exceeded, or it failed under
    /// `restart = never`. Left alone until its role stops running on this board.
    case failed = 6
    /// It failed while running: hung (SIGABRT sent) or it reported an error asking for a
    /// restart (SIGTERM sent); SIGKILL follows after its grace, then its restart policy.
    case failing = 7

    public var description: String {
        switch self {
        case .stopped: "stopped"
        case .waiting: "waiting"
        case .starting: "starting"
        case .running: "running"
        case .stopping: "stopping"
        case .backoff: "backoff"
        case .failed: "failed"
        case .failing: "failing"
        }
    }

    /// Whether a process of the component may exist in this state.
    public var hasProcess: Bool { self == .starting || self == .running || self == .stopping || self == .failing }

    /// The explicit transition table. `SupervisorCore` asserts every change against it.
    public static let allowed: [ComponentState: Set<ComponentState>] = [
        .stopped: [.waiting],
        .waiting: [.starting, .stopped],
        .starting: [.running, .waiting, .backoff, .failed, .stopped],
        .running: [.stopping, .failing, .waiting, .backoff, .failed, .stopped],
        // To `.waiting`: an operator's restart.
        .stopping: [.stopped, .waiting],
        .failing: [.waiting, .backoff, .failed, .stopped],
        .backoff: [.waiting, .stopped],
        .failed: [.stopped],
    ]

    public func canChange(to next: ComponentState) -> Bool {
        Self.allowed[self]?.contains(next) ?? false
    }
}
