@testable import DuplexCore

/// Two replication cores joined by a perfect, hand-driven channel: messages wait in `inFlight`
/// (encoded and decoded on the way, like on the wire) until a test delivers, drops or
/// reorders them.
struct ReplicationPair {
    var boards: [ReplicationCore]
    var now = Instant(nanoseconds: 1_000_000_000)
    /// Messages sent and not delivered: (destination board, bytes).
    var inFlight: [(to: Int, bytes: [UInt8])] = []
    var completions: [UInt64: WriteOutcome] = [:]
    /// Every action of every step, per board.
    var log: [[ReplicationAction]] = [[], []]
    var nextRequest: UInt64 = 1

    init(configuration: (Int) -> ReplicationConfiguration = { ReplicationConfiguration(incarnation: UInt32($0 + 1)) }) {
        boards = [ReplicationCore(configuration: configuration(0)), ReplicationCore(configuration: configuration(1))]
    }

    /// Board 0 active at epoch 1, board 1 standby, both reachable; nothing delivered yet.
    static func started(policy: ReplicationConfiguration.SyncPolicy = .fail, windowMax: Int? = nil) -> ReplicationPair {
        started { configuration in
            configuration.syncPolicy = policy
            if let windowMax { configuration.windowMax = windowMax }
        }
    }

    /// Started as above, both boards' configurations changed by `configure`.
    static func started(configure: (inout ReplicationConfiguration) -> Void) -> ReplicationPair {
        var pair = ReplicationPair { index in
            var configuration = ReplicationConfiguration(incarnation: UInt32(index + 1))
            configure(&configuration)
            return configuration
        }
        pair.handle(0, .roleChanged(.active, epoch: 1))
        pair.handle(1, .roleChanged(.standby, epoch: 0))
        pair.handle(0, .mateReachable(true))
        pair.handle(1, .mateReachable(true))
        return pair
    }

    /// A started pair whose standby installed its snapshot and is hot.
    static func hot(policy: ReplicationConfiguration.SyncPolicy = .fail, windowMax: Int? = nil) -> ReplicationPair {
        var pair = started(policy: policy, windowMax: windowMax)
        pair.deliverAll()
        precondition(pair.boards[1].isHot && pair.boards[0].mateIsHot, "the pair settles hot")
        return pair
    }

    @discardableResult
    mutating func handle(_ board: Int, _ event: ReplicationEvent) -> [ReplicationAction] {
        let actions = Array(boards[board].handle(event, now: now))
        log[board] += actions
        for action in actions {
            switch action {
            case .send(let message): inFlight.append((1 - board, message.encoded()))
            case .complete(let request, let outcome): completions[request] = outcome
            default: break
            }
        }
        return actions
    }

    /// A write on board 0; returns the request number.
    @discardableResult
    mutating func write(_ update: CheckpointUpdate, sync: Bool, on board: Int = 0) -> UInt64 {
        let request = nextRequest
        nextRequest += 1
        handle(board, .writeRequested(request: request, update: update, sync: sync))
        return request
    }

    /// Delivers the message at `index` of `inFlight`.
    @discardableResult
    mutating func deliver(at index: Int = 0) -> [ReplicationAction] {
        let (to, bytes) = inFlight.remove(at: index)
        return handle(to, .messageReceived(try! ReplicationMessage(decoding: bytes)))
    }

    /// Delivers in order until nothing is in flight (bounded).
    mutating func deliverAll(steps: Int = 10_000) {
        for _ in 0..<steps where !inFlight.isEmpty {
            deliver()
        }
        precondition(inFlight.isEmpty, "the exchange settles")
    }

    /// Moves time on and ticks both boards.
    mutating func advance(by duration: Duration) {
        now = now + duration
        handle(0, .tick)
        handle(1, .tick)
    }

    /// The kinds of message in flight, for short expectations.
    var inFlightKinds: [String] {
        inFlight.map { "\(try! ReplicationMessage(decoding: $0.bytes).kind)" }
    }

    func traces(_ board: Int) -> [ReplicationTrace] {
        log[board].compactMap { if case .trace(let trace) = $0 { trace } else { nil } }
    }

    static func set(_ key: SectionKey, _ bytes: [UInt8], in name: String = "c") -> CheckpointUpdate {
        CheckpointUpdate(checkpoint: name, operations: [.write(key, bytes)])
    }

    static let create = CheckpointUpdate(checkpoint: "c", operations: [.create(.maximal)])
}
