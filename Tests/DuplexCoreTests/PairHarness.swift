@testable import DuplexCore

/// Two cores joined by paths with a fixed latency, an instant-ish actuator, and manual control
/// of paths. Deterministic: every step is ordered by time, then by insertion.
struct PairHarness {
    struct Pending {
        var at: Instant
        var order: Int
        var board: Int
        var event: PairEvent
    }

    var cores: [PairCore]
    var pending: [Pending] = []
    var now = Instant(nanoseconds: 1_000_000_000)
    var order = 0
    var latency = Duration.microseconds(50)
    var actuationDelay = Duration.microseconds(40)
    var actuationOK = [true, true]
    /// pathCut[path] drops frames both ways.
    var pathCut: [Bool]
    var frozen = [false, false]
    var holds = [false, false]
    var traces: [[PairTrace]] = [[], []]
    var replies: [[CommandOutcome]] = [[], []]
    var stopped = [false, false]
    var claimEpochs: [[UInt64]] = [[], []]
    var announces = [0, 0]
    var started = [false, false]
    /// Per board: heartbeats wait in a receive ring until the board's timer wakes it, then go
    /// to the core each at its arrival time, as `PairService` reads them (handovers and
    /// goodbyes still wake it at once).
    var ringed = [false, false]
    var rings: [[(at: Instant, event: PairEvent)]] = [[], []]
    /// Timer wake-ups per board.
    var ticks = [0, 0]

    init(
        paths: Int = 2, priorities: (UInt8, UInt8) = (200, 100), preempt: Bool = false,
        heartbeats: PairConfiguration.Heartbeats = .everyPath, standbyInterval: Duration? = nil,
        damaged: (Bool, Bool) = (false, false), persisted: (UInt64, UInt64) = (0, 0),
        aloneStartWindows: (Duration?, Duration?) = (nil, nil)
    ) {
        let pathConfig = [PairConfiguration.Path](repeating: .init(), count: paths)
        cores = [
            (UInt16(1), priorities.0, UInt32(11), damaged.0, persisted.0, aloneStartWindows.0),
            (2, priorities.1, 22, damaged.1, persisted.1, aloneStartWindows.1),
        ].map { board, priority, incarnation, damaged, persisted, alone in
            var configuration = PairConfiguration(
                cluster: 7, board: board, priority: priority, incarnation: incarnation, paths: pathConfig,
                preempt: preempt, heartbeats: heartbeats, standbyInterval: standbyInterval)
            configuration.persistedStateDamaged = damaged
            configuration.persistedSequence = persisted
            configuration.aloneStartWindow = alone
            return PairCore(configuration: configuration)
        }
        pathCut = Array(repeating: false, count: paths)
    }

    mutating func start(_ board: Int) {
        deliver(board, .started)
    }

    mutating func inject(_ board: Int, _ event: PairEvent) {
        deliver(board, event)
    }

    mutating func schedule(_ board: Int, _ event: PairEvent, after delay: Duration) {
        order += 1
        pending.append(Pending(at: now + delay, order: order, board: board, event: event))
    }

    private mutating func deliver(_ board: Int, _ event: PairEvent, at: Instant? = nil) {
        guard !frozen[board], !stopped[board] else { return }
        // An unstarted board has no sockets open: what is sent to it is lost.
        guard event == .started || cores[board].lastRoleChange != nil || cores[board].role != .starting
            || started[board] else { return }
        if event == .started { started[board] = true }
        let actions = cores[board].handle(event, now: at ?? now)
        for action in actions { perform(action, board: board) }
    }

    private mutating func perform(_ action: PairAction, board: Int) {
        let other = 1 - board
        switch action {
        case .send(let frame, let path):
            guard !pathCut[path] else { return }
            var bytes = [UInt8](repeating: 0, count: PairFrame.size)
            bytes.withUnsafeMutableBytes { _ = frame.encode(into: $0) }
            let decoded = bytes.withUnsafeBytes { PairFrame.decode($0) }
            guard case .success(let copy) = decoded else { preconditionFailure("codec") }
            schedule(other, .frameReceived(copy, path: path), after: latency)
        case .claimAddresses(let epoch):
            claimEpochs[board].append(epoch)
            let ok = actuationOK[board]
            if ok { holds[board] = true }
            schedule(board, .addressesClaimed(ok: ok), after: actuationDelay)
        case .releaseAddresses:
            holds[board] = false
            schedule(board, .addressesReleased(ok: true), after: actuationDelay)
        case .announceAddresses:
            announces[board] += 1
        case .reply(_, let outcome):
            replies[board].append(outcome)
        case .trace(let trace):
            traces[board].append(trace)
        case .stop:
            stopped[board] = true
        }
    }

    /// Runs until `deadline`, delivering frames, actuator results and ticks in order.
    mutating func run(for duration: Duration) {
        let end = now + duration
        for _ in 0..<1_000_000 {
            let tickBoard = (0..<2).filter { !frozen[$0] && !stopped[$0] }
                .min { cores[$0].nextDeadline < cores[$1].nextDeadline }
            let tickAt = tickBoard.map { cores[$0].nextDeadline } ?? Instant(nanoseconds: .max)
            let next = pending.indices.min { (pending[$0].at, pending[$0].order) < (pending[$1].at, pending[$1].order) }
            let nextAt = next.map { pending[$0].at } ?? Instant(nanoseconds: .max)
            if min(tickAt, nextAt) > end {
                now = end
                return
            }
            if let next, nextAt <= tickAt {
                let item = pending.remove(at: next)
                now = max(now, item.at)
                if frozen[item.board] {
                    // A frozen board's socket keeps the frame until it thaws.
                    pending.append(Pending(at: end + .nanoseconds(1), order: item.order, board: item.board, event: item.event))
                    continue
                }
                if ringed[item.board], case .frameReceived(let frame, _) = item.event, frame.kind == .heartbeat {
                    rings[item.board].append((item.at, item.event))
                    continue
                }
                drainRing(item.board)
                deliver(item.board, item.event)
            } else if let tickBoard {
                now = max(now, tickAt)
                drainRing(tickBoard)
                ticks[tickBoard] += 1
                deliver(tickBoard, .tick)
            }
        }
        preconditionFailure("harness did not converge")
    }

    /// Hands the board's ringed heartbeats to its core, each at its arrival time.
    private mutating func drainRing(_ board: Int) {
        let ring = rings[board]
        rings[board].removeAll()
        for (at, event) in ring { deliver(board, event, at: at) }
    }

    func roleChanges(_ board: Int) -> [(Role, Role, RoleChangeReason)] {
        traces[board].compactMap {
            if case .roleChanged(let from, let to, let reason, _) = $0 { return (from, to, reason) }
            return nil
        }
    }

    var roles: [Role] { cores.map(\.role) }

    /// Both boards started and settled: board 0 active, board 1 standby.
    static func settled(paths: Int = 2) -> PairHarness {
        var harness = PairHarness(paths: paths)
        harness.start(0)
        harness.start(1)
        harness.run(for: .milliseconds(400))
        return harness
    }
}
