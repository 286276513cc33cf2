public import DuplexCore

/// Which board a fault or an operator action is aimed at, resolved when it fires.
public enum BoardTarget: Sendable, Hashable, CustomStringConvertible {
    /// Board index 0 (board id 1) or 1 (board id 2).
    case index(Int)
    /// Whichever board is active when the fault fires (nothing happens if none is).
    case active
    /// Whichever board is standby when the fault fires (nothing happens if none is).
    case standby

    public var description: String {
        switch self {
        case .index(let index): "board\(index + 1)"
        case .active: "active"
        case .standby: "standby"
        }
    }
}

/// One fault (or operator action) of a schedule. Faults with a duration end by themselves;
/// everything ends at the heal time in any case.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// Impairs one path; `from` is the sending board index, nil for both directions.
    case impair(path: Int, from: Int?, Impairment, lasting: Duration)
    /// Carrier down on both ends of a path (both boards get `.carrierChanged`), then up.
    case linkDown(path: Int, lasting: Duration)
    /// No frame crosses any path (`from` nil) or none from one board (`from` set).
    case partition(from: Int?, lasting: Duration)
    /// A board reset: the kernel forgets the logical addresses; restart after `restartAfter`.
    case crash(BoardTarget, restartAfter: Duration)
    /// SIGSTOP: the board handles nothing; frames queue in its bounded receive queue.
    case freeze(BoardTarget, lasting: Duration)
    /// The board's clock jumps forward or back.
    case clockStep(BoardTarget, forward: Bool, by: Duration)
    /// The `n`-th next actuator call of the board fails (1 = the next one).
    case actuatorFailsNth(BoardTarget, n: Int)
    /// Every actuator call of the board fails for a while.
    case actuatorFailsAll(BoardTarget, lasting: Duration)
    /// Every actuator call of the board is slow (several milliseconds) for a while.
    case actuatorSlow(BoardTarget, lasting: Duration)
    /// The board loses the service LAN: its isolation check fails and the last path (the
    /// service LAN) carries nothing to or from it.
    case isolationLost(BoardTarget, lasting: Duration)
    /// An operator asks the board for a graceful switchover.
    case switchover(BoardTarget, force: Bool)
    /// Orderly stop (SIGTERM), then a restart after `restartAfter`.
    case shutdown(BoardTarget, restartAfter: Duration)
    /// The board reports a failure of a critical component.
    case failure(BoardTarget)
    /// An operator locks the board, and unlocks it after `lasting`.
    case lock(BoardTarget, force: Bool, lasting: Duration)
    /// The board's checkpoint replica is not hot (resynchronising) for a while.
    case notHot(BoardTarget, lasting: Duration)

    public var description: String {
        switch self {
        case .impair(let path, let from, let impairment, let lasting):
            "impair path\(path)\(from.map { " from board\($0 + 1)" } ?? "") \(impairment) for \(lasting)"
        case .linkDown(let path, let lasting): "link down path\(path) for \(lasting)"
        case .partition(let from, let lasting):
            "partition\(from.map { " from board\($0 + 1)" } ?? "") for \(lasting)"
        case .crash(let target, let after): "crash \(target), restart after \(after)"
        case .freeze(let target, let lasting): "freeze \(target) for \(lasting)"
        case .clockStep(let target, let forward, let by): "clock step \(target) \(forward ? "+" : "-")\(by)"
        case .actuatorFailsNth(let target, let n): "actuator of \(target) fails call #\(n)"
        case .actuatorFailsAll(let target, let lasting): "actuator of \(target) fails for \(lasting)"
        case .actuatorSlow(let target, let lasting): "actuator of \(target) slow for \(lasting)"
        case .isolationLost(let target, let lasting): "\(target) loses the service LAN for \(lasting)"
        case .switchover(let target, let force): "operator switchover on \(target)\(force ? " (force)" : "")"
        case .shutdown(let target, let after): "orderly shutdown of \(target), restart after \(after)"
        case .failure(let target): "failure reported on \(target)"
        case .lock(let target, let force, let lasting): "operator lock\(force ? " (force)" : "") of \(target) for \(lasting)"
        case .notHot(let target, let lasting): "\(target) not hot for \(lasting)"
        }
    }
}

/// A fault at a time since the start of the simulation.
public struct ScheduledFault: Sendable, Hashable {
    public var at: Duration
    public var fault: Fault

    public init(at: Duration, _ fault: Fault) {
        self.at = at
        self.fault = fault
    }
}
