import DuplexCore
import DuplexLinux
import DuplexBenchSupport
import Glibc

// duplex-core-bench RUNS COUNT: the CPU an asynchronous 64-byte checkpoint write costs the two
// boards' checkpoint threads, without I/O: the active's part (a client's request frame decoded,
// the write handed to its `ReplicationCore`, the batch it sends encoded, the acknowledgement
// taken) and the standby's part (the batch decoded and applied, its acknowledgement encoded),
// for COUNT writes per run in batches of 64, as one wake-up of `duplexd` serves them, with the
// hardware CRC-32C and the batch size that duplexd uses on links of MTU 9,000. One JSON line per
// run: nanoseconds per write on each side.

let (runs, count) = runsAndCount(program: "duplex-core-bench", counts: 1_000...10_000_000)
ChecksumAcceleration.install()  // as duplexd does
let batch = 64
let name = "bench-async-64"
let keys = (0..<1_000).map { SectionKey("s/\($0)") }
let values = (0..<16).map { index in (0..<64).map { UInt8(truncatingIfNeeded: index &+ $0) } }
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
defer { buffer.deallocate() }

/// Both cores, started and settled: board 0 active with the checkpoint created, board 1 a hot
/// standby.
func settledPair() -> (active: ReplicationCore, standby: ReplicationCore, now: Instant) {
    // Batches as duplexd sizes them for a dedicated link of MTU 9,000 (a UDP payload of 8,972).
    func configuration(_ incarnation: UInt32) -> ReplicationConfiguration {
        var configuration = ReplicationConfiguration(incarnation: incarnation)
        configuration.batchSizeMax = ReplicationConfiguration.batchSize(fitting: 8_972)
        configuration.reportsTransientApplies = false  // as duplexd sets it
        return configuration
    }
    var active = ReplicationCore(configuration: configuration(1))
    var standby = ReplicationCore(configuration: configuration(2))
    var now = Instant(nanoseconds: 1_000_000_000)
    var inFlight: [(to: Int, bytes: [UInt8])] = []
    func collect(_ actions: ReplicationActions, from board: Int) {
        for action in actions { if case .send(let message) = action { inFlight.append((1 - board, message.encoded())) } }
    }
    collect(active.handle(.roleChanged(.active, epoch: 1), now: now), from: 0)
    collect(standby.handle(.roleChanged(.standby, epoch: 0), now: now), from: 1)
    collect(active.handle(.mateReachable(true), now: now), from: 0)
    collect(standby.handle(.mateReachable(true), now: now), from: 1)
    let create = CheckpointUpdate(checkpoint: name, operations: [.create(.maximal)])
    collect(active.handle(.writeRequested(request: 0, update: create, sync: false), now: now), from: 0)
    for _ in 0..<100_000 where !inFlight.isEmpty {
        let (to, bytes) = inFlight.removeFirst()
        let message = try! ReplicationMessage(decoding: bytes)
        if to == 0 { collect(active.handle(.messageReceived(message), now: now), from: 0) }
        else { collect(standby.handle(.messageReceived(message), now: now), from: 1) }
        now = now + .microseconds(10)
    }
    precondition(standby.isHot && active.mateIsHot, "the pair settles hot")
    return (active, standby, now)
}

var checksum: UInt64 = 0  // what the loops computed, printed so that none is optimised away
for run in 1...runs {
    var (active, standby, now) = settledPair()
    var frames: [UInt8] = []
    frames.reserveCapacity(batch * 128)
    var activeActions = ReplicationActions()
    var standbyActions = ReplicationActions()
    var toStandby: [UnsafeRawBufferPointer] = []
    var activeNanoseconds: UInt64 = 0
    var standbyNanoseconds: UInt64 = 0
    var written = 0
    var lastName: String?
    while written < count {
        // What the client library sends (not timed: the client's CPU, not the daemon's).
        frames.removeAll(keepingCapacity: true)
        let inBatch = min(batch, count - written)
        for index in written..<(written + inBatch) {
            try! SessionRequest.encodeWrite(
                request: UInt32(truncatingIfNeeded: index), name: name, key: keys[index % keys.count],
                bytes: values[index % values.count], sync: false, into: &frames)
        }
        // The active: decode each frame, hand the write to the core, encode what it sends.
        var start = monotonicNanoseconds()
        var used = 0
        toStandby.removeAll(keepingCapacity: true)
        frames.withUnsafeBytes { raw in
            var offset = 0
            for _ in 0..<inBatch {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[offset...])
                let header = try! SessionHeader.parse(bytes)!
                let payload = UnsafeRawBufferPointer(rebasing: bytes[SessionHeader.size..<header.length])
                offset += header.length
                let request = try! SessionRequest(type: header.type, payload: payload, knownName: lastName)
                guard case .write(let name, let operations, let sync) = request else { fatalError("a write") }
                if name != lastName { lastName = name }
                active.handle(
                    .writeRequested(
                        request: UInt64(header.request), update: CheckpointUpdate(checkpoint: name, operations: operations),
                        sync: sync),
                    now: now, into: &activeActions)
            }
            active.handle(.tick, now: now, into: &activeActions)  // a batch goes at the end of a wake-up
        }
        // As duplexd's `perform`: each action borrowed, a switch on it.
        func send(_ action: ReplicationAction) {
            switch action {
            case .send(let message):
                let length = message.encode(into: UnsafeMutableRawBufferPointer(rebasing: buffer[used...]))
                toStandby.append(UnsafeRawBufferPointer(rebasing: buffer[used..<(used + length)]))
                used += length
            default:
                break
            }
        }
        for index in activeActions.indices { send(activeActions[index]) }
        activeActions.removeAll()
        activeNanoseconds += monotonicNanoseconds() - start
        // The standby: decode and apply, encode its acknowledgement.
        start = monotonicNanoseconds()
        var acks: [UInt8] = []
        for bytes in toStandby {
            let message = try! ReplicationMessage(decoding: bytes)
            standby.handle(.messageReceived(message), now: now, into: &standbyActions)
        }
        standby.handle(.tick, now: now + .milliseconds(1), into: &standbyActions)
        func acknowledge(_ action: ReplicationAction) {
            switch action {
            case .send(let message): acks = message.encoded()
            default: break
            }
        }
        for index in standbyActions.indices { acknowledge(standbyActions[index]) }
        standbyActions.removeAll()
        standbyNanoseconds += monotonicNanoseconds() - start
        // The active takes the acknowledgement (its time, counted on its side).
        start = monotonicNanoseconds()
        if !acks.isEmpty {
            active.handle(.messageReceived(try! ReplicationMessage(decoding: acks)), now: now, into: &activeActions)
            activeActions.removeAll()
        }
        activeNanoseconds += monotonicNanoseconds() - start
        written += inBatch
        now = now + .microseconds(50)
    }
    precondition(active.windowCount < 1_024, "the standby keeps up (lag \(active.windowCount))")
    precondition(active.store.checksum == standby.store.checksum, "the replica equals the store")
    checksum &+= active.store.sequence &+ standby.store.sequence
    let perActive = Double(activeNanoseconds) / Double(count)
    let perStandby = Double(standbyNanoseconds) / Double(count)
    print(
        "{\"run\":\(run),\"count\":\(count),\"active_ns\":\((perActive * 10).rounded() / 10),"
            + "\"standby_ns\":\((perStandby * 10).rounded() / 10),\"checksum\":\(checksum)}")
}
