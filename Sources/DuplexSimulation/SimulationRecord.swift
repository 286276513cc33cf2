public import DuplexCore

/// One thing that happened during a run, at a global simulated time. Failures print the
/// last of these; a verbose replay prints all of them.
public struct SimulationRecord: Sendable, Hashable, CustomStringConvertible {
    /// Global simulated time since the start of the run.
    public var time: Duration
    /// Board index (0 is board id 1), nil for network-wide records.
    public var board: Int?
    public var kind: Kind
    /// How many identical records in a row this one stands for (in a failure's trace), and
    /// the time of the last of them.
    public var repeats = 1
    public var lastTime: Duration?

    public init(time: Duration, board: Int?, kind: Kind) {
        self.time = time
        self.board = board
        self.kind = kind
    }

    public enum Kind: Sendable, Hashable {
        /// A trace action of the board's core.
        case core(PairTrace)
        /// The board's kernel gained (true) or lost (false) the logical addresses.
        case addresses(held: Bool)
        case actuatorCall(claim: Bool, ok: Bool, delay: Duration)
        case reply(request: UInt32, CommandOutcome)
        case fault(Fault)
        case faultEnded(String)
        case started(incarnation: UInt32)
        case stopped
        case crashed
        case thawed(queued: Int)
        case recovering
        case healed
        case note(String)
    }

    public var description: String {
        let who = board.map { "board\($0 + 1)" } ?? "net"
        let repeated = repeats > 1 ? " (x\(repeats) until \(Self.format(lastTime ?? time)))" : ""
        return "\(Self.format(time)) \(who) \(Self.describe(kind))\(repeated)"
    }

    /// `12.345678s`: seconds with microseconds, no Foundation.
    public static func format(_ time: Duration) -> String {
        let micros = time.nanoseconds / 1_000
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)s"
    }

    static func describe(_ kind: Kind) -> String {
        switch kind {
        case .core(let trace): describe(trace)
        case .addresses(let held): held ? "kernel: addresses held" : "kernel: addresses gone"
        case .actuatorCall(let claim, let ok, let delay):
            "actuator: \(claim ? "claim" : "release") \(ok ? "will succeed" : "will FAIL") in \(delay)"
        case .reply(let request, let outcome): "reply #\(request): \(outcome)"
        case .fault(let fault): "FAULT \(fault)"
        case .faultEnded(let what): "fault ends: \(what)"
        case .started(let incarnation): "started, incarnation \(incarnation)"
        case .stopped: "stopped in order"
        case .crashed: "CRASHED (kernel state lost)"
        case .thawed(let queued): "thawed, \(queued) queued inputs"
        case .recovering: "failed: board recovery scheduled"
        case .healed: "HEAL: every fault ends"
        case .note(let text): text
        }
    }

    static func describe(_ trace: PairTrace) -> String {
        switch trace {
        case .roleChanged(let from, let to, let reason, let epoch):
            "role \(from) -> \(to) epoch \(epoch) (\(reason))"
        case .pathChanged(let path, let up, let reason): "path\(path) \(up ? "up" : "down") (\(reason))"
        case .pathsDegraded(let up, let total): "ALARM paths degraded: \(up)/\(total) up"
        case .pathsRestored: "paths restored"
        case .frameRejected(let path, let reason): "frame rejected on path\(path): \(reason)"
        case .actuationFailed(let claim, let attempt): "\(claim ? "claim" : "release") failed, attempt \(attempt)"
        case .dualActiveResolved(let won, let mateEpoch): "dual active: \(won ? "won" : "lost") (mate epoch \(mateEpoch))"
        case .stallDetected(let gap): "stall detected: \(gap)"
        case .mateRestarted(let board): "mate board\(board) restarted"
        case .boardIDConflict(let path, let incarnation): "ALARM board id used by another board (incarnation \(incarnation)) on path\(path)"
        case .timingMismatch(let path, let interval, let missed): "ALARM mate's timing on path\(path): \(interval) x \(missed)"
        case .mateCapabilities(let capabilities): "mate capabilities \(capabilities.rawValue)"
        }
    }
}
