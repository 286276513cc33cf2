// Throughput of the checkpoint replication transport between two network namespaces, one
// dedicated link: a sender thread in namespace A blasts messages (batched with sendmmsg), a
// receiver thread in namespace B drains and decodes them (recvmmsg). Prints per-run figures
// and the medians. Driven by Tools/bench/transport, which makes and removes the namespaces.
//
// usage: duplex-transport-bench NS_A NS_B DEV_A DEV_B [--kind update|chunk] [--size BYTES]
//        [--count N] [--runs R] [--coalesce BYTES (0: one message per datagram)]
import CDuplexShims
import DuplexCore
import DuplexLinux
import Glibc
import Synchronization

struct Options {
    var namespaceA = "", namespaceB = "", deviceA = "", deviceB = ""
    var chunk = false
    var size = 64
    var count = 200_000
    var runs = 5
    var coalescing = ReplicationTransport.coalescingSizeDefault
}

func fail(_ message: String) -> Never {
    let line = Array("duplex-transport-bench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }  // best effort: exiting anyway
    exit(2)
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var positional: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        let value = index + 1 < arguments.count ? arguments[index + 1] : ""
        switch argument {
        case "--kind": options.chunk = value == "chunk"; index += 2
        case "--size": options.size = Int(value) ?? -1; index += 2
        case "--count": options.count = Int(value) ?? -1; index += 2
        case "--runs": options.runs = Int(value) ?? -1; index += 2
        case "--coalesce": options.coalescing = Int(value) ?? -1; index += 2
        default: positional.append(argument); index += 1
        }
    }
    guard positional.count == 4 else { fail("expected NS_A NS_B DEV_A DEV_B") }
    (options.namespaceA, options.namespaceB, options.deviceA, options.deviceB) =
        (positional[0], positional[1], positional[2], positional[3])
    let sizeMax = options.chunk ? Limits.checkpointChunkSizeMax : Limits.sectionSizeMax
    guard (1...sizeMax).contains(options.size) else { fail("--size must be 1...\(sizeMax)") }
    guard (1...10_000_000).contains(options.count), (1...50).contains(options.runs),
        (0...ReplicationTransport.datagramSizeMax).contains(options.coalescing)
    else { fail("bad --count, --runs or --coalesce") }
    return options
}

func enter(_ namespace: String) {
    let descriptor = open("/var/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0, CDuplexShims_setns(descriptor, CDuplexShims_CLONE_NEWNET) == 0 else {
        fail("cannot enter namespace \(namespace): errno \(errno)")
    }
    close(descriptor)
}

func message(_ options: Options) -> ReplicationMessage {
    let bytes = [UInt8](repeating: 0x5A, count: options.size)
    if options.chunk {
        return ReplicationMessage(epoch: 1, .snapshotChunk(SnapshotChunk(snapshot: 1, index: 0, total: 1, bytes: bytes)))
    }
    let update = CheckpointUpdate(checkpoint: "bench", operations: [.write("key-0001", bytes)], sequence: 1)
    return ReplicationMessage(epoch: 1, .update(update, ackNow: false))
}

struct RunResult {
    var received = 0
    var dropped = 0
    var seconds = 0.0
}

final class Shared: Sendable {
    let ready = Atomic<Int>(0)
    let startNanoseconds = Atomic<UInt64>(0)
    let sendDone = Atomic<Bool>(false)
    let received = Atomic<Int>(0)
    let lastNanoseconds = Atomic<UInt64>(0)
    let dropped = Atomic<Int>(0)
}

func path(_ local: String, _ peer: String, port: UInt16, device: String) -> [ReplicationTransport.Path] {
    [ReplicationTransport.Path(
        name: "bp0", local: IPEndpoint(parsing: "\(local):\(port)")!, peer: IPEndpoint(parsing: "\(peer):\(port)")!,
        device: device)]
}

func receiver(_ options: Options, port: UInt16, _ shared: Shared) {
    enter(options.namespaceB)
    let transport: ReplicationTransport
    do { transport = try ReplicationTransport(paths: path("192.0.2.2", "192.0.2.1", port: port, device: options.deviceB)) } catch {
        fail("receiver: \(error)")
    }
    shared.ready.add(1, ordering: .sequentiallyConsistent)
    var received = 0
    var idle = 0
    var entry = pollfd(fd: transport.fileDescriptor, events: Int16(POLLIN), revents: 0)
    // Bounded: stops after every message, or 300 ms of silence once the sender is done, or 60 s.
    for _ in 0..<600_000 where received < options.count && idle < 3 {
        guard poll(&entry, 1, 100) == 1 else {
            if shared.sendDone.load(ordering: .acquiring) { idle += 1 }
            continue
        }
        let count = transport.receiveAll(max: 256) { _, event in
            if case .messageReceived = event { received += 1 }
        }
        if count > 0 { shared.lastNanoseconds.store(CDuplexShims_monotonic_ns(), ordering: .relaxed) }
    }
    shared.received.store(received, ordering: .releasing)
}

func sender(_ options: Options, port: UInt16, _ shared: Shared) {
    enter(options.namespaceA)
    let transport: ReplicationTransport
    do {
        transport = try ReplicationTransport(
            paths: path("192.0.2.1", "192.0.2.2", port: port, device: options.deviceA), coalescingSizeMax: options.coalescing)
    } catch {
        fail("sender: \(error)")
    }
    let message = message(options)
    for _ in 0..<1000 where shared.ready.load(ordering: .sequentiallyConsistent) == 0 { usleep(1000) }
    shared.startNanoseconds.store(CDuplexShims_monotonic_ns(), ordering: .relaxed)
    var dropped = 0
    for index in 0..<options.count {
        transport.enqueue(message)
        if index % ReplicationTransport.sendBatchMax == ReplicationTransport.sendBatchMax - 1 {
            dropped += transport.flush().dropped
        }
    }
    dropped += transport.flush().dropped
    shared.dropped.store(dropped, ordering: .relaxed)
    shared.sendDone.store(true, ordering: .releasing)
}

func run(_ options: Options, number: Int) -> RunResult {
    let shared = Shared()
    let port = UInt16(7500 + number)
    do {
        let receiving = try PosixThread.start(name: "bench-rx") { receiver(options, port: port, shared) }
        let sending = try PosixThread.start(name: "bench-tx") { sender(options, port: port, shared) }
        sending.join()
        receiving.join()
    } catch {
        fail("thread: \(error)")
    }
    let start = shared.startNanoseconds.load(ordering: .relaxed)
    let last = shared.lastNanoseconds.load(ordering: .relaxed)
    return RunResult(
        received: shared.received.load(ordering: .acquiring), dropped: shared.dropped.load(ordering: .relaxed),
        seconds: last > start ? Double(last - start) / 1e9 : 0)
}

/// `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    var fraction = String(abs(scaled) % Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return digits == 0 ? "\(whole)" : "\(whole).\(fraction)"
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

let options = parse(Array(CommandLine.arguments.dropFirst()))
let sample = message(options)
let kind = options.chunk ? "snapshot chunk" : "update"
print("\(options.count) × \(kind) messages of \(sample.encodedSize) bytes (\(options.size) payload bytes), "
    + "coalesced up to \(options.coalescing) bytes a datagram, \(options.runs) runs")
var rates: [Double] = []
var megabytes: [Double] = []
var losses: [Double] = []
for number in 0..<options.runs {
    let result = run(options, number: number)
    let rate = result.seconds > 0 ? Double(result.received) / result.seconds : 0
    let payload = rate * Double(options.size) / 1e6
    let loss = 100 * Double(options.count - result.received) / Double(options.count)
    rates.append(rate)
    megabytes.append(payload)
    losses.append(loss)
    print("run \(number + 1): received \(result.received) in \(fixed(result.seconds, 3)) s: "
        + "\(Int(rate)) messages/s, \(fixed(payload, 1)) MB/s payload; "
        + "sender EAGAIN drops \(result.dropped), lost \(fixed(loss, 2)) %")
}
print("median: \(Int(median(rates))) messages/s, \(fixed(median(megabytes), 1)) MB/s payload, "
    + "\(fixed(median(losses), 2)) % lost")
