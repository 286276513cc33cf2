import DuplexCore
import DuplexLinux
import Glibc
import Synchronization
import SystemPackage
import Testing

/// Two namespaces joined by two veth pairs, the lab's two dedicated links:
///
/// ```
///   [a] link0 192.0.2.1/30 ═══ veth ═══ 192.0.2.2/30 link0 [b]
///       link1 192.0.2.5/30 ═══ veth ═══ 192.0.2.6/30 link1
/// ```
/// Removed by `remove()` and in `deinit`, so a failing test leaves nothing behind.
final class TwoLinkNetns: Sendable {
    private static let counter = Atomic<Int>(0)

    let a: String
    let b: String
    /// Interface names per link, on a and on b.
    let interfacesA: [String]
    let interfacesB: [String]
    private let removed = Atomic<Bool>(false)

    init() throws {
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        let pid = getpid()
        a = "dxrt\(pid)-\(number)a"
        b = "dxrt\(pid)-\(number)b"
        interfacesA = ["dxr\(number)a0", "dxr\(number)a1"]
        interfacesB = ["dxr\(number)b0", "dxr\(number)b1"]
        do {
            try ip("netns", "add", a)
            try ip("netns", "add", b)
            for link in 0..<2 {
                try ip("-n", a, "link", "add", interfacesA[link], "type", "veth", "peer", "name", interfacesB[link], "netns", b)
                for (ns, interface, host) in [(a, interfacesA[link], 1), (b, interfacesB[link], 2)] {
                    try ip("-n", ns, "addr", "add", "192.0.2.\(4 * link + host)/30", "dev", interface)
                    try ip("-n", ns, "link", "set", interface, "up")
                }
            }
            for ns in [a, b] { try ip("-n", ns, "link", "set", "lo", "up") }
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes both namespaces (and with them the veth pairs). Safe to call twice.
    func remove() {
        guard !removed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for ns in [a, b] {
            // Clean-up must go on for the second namespace even if the first is already gone.
            do { try ip("netns", "delete", ns) } catch { print("netns clean-up: \(error)") }
        }
    }

    deinit { remove() }

    static func endpoint(_ text: String) -> IPEndpoint { IPEndpoint(parsing: text)! }

    /// Board a's (`side == 0`) or board b's paths, in link order.
    func paths(side: Int, port: UInt16 = 7410) -> [ReplicationTransport.Path] {
        (0..<2).map { link in
            let local = 4 * link + 1 + side
            let peer = 4 * link + 2 - side
            return ReplicationTransport.Path(
                name: "bp\(link)", local: Self.endpoint("192.0.2.\(local):\(port)"),
                peer: Self.endpoint("192.0.2.\(peer):\(port)"), device: (side == 0 ? interfacesA : interfacesB)[link])
        }
    }

    /// Board a's transport, and the mate's endpoint of link 0 as a plain UDP socket that sends
    /// anything.
    func transportAndRawMate() throws -> (ReplicationTransport, UDPLink) {
        let pathsA = paths(side: 0)
        let a = try withNetworkNamespace(self.a) { try ReplicationTransport(paths: pathsA) }
        let mate = try withNetworkNamespace(b) {
            try UDPLink(local: Self.endpoint("192.0.2.2:7410"), peer: Self.endpoint("192.0.2.1:7410"))
        }
        return (a, mate)
    }

    /// Both boards' transports, each opened in its namespace.
    /// - Parameter segmentation: side A sends trains (see `ReplicationTransport.init`).
    func transports(segmentation: Bool = true) throws -> (a: ReplicationTransport, b: ReplicationTransport) {
        let pathsA = paths(side: 0)
        let pathsB = paths(side: 1)
        let a = try withNetworkNamespace(self.a) { try ReplicationTransport(paths: pathsA, segmentation: segmentation) }
        let b = try withNetworkNamespace(self.b) { try ReplicationTransport(paths: pathsB) }
        return (a, b)
    }
}

/// The IPv4 fragments the kernel of namespace `ns` received so far (`ReasmReqds` in
/// `/proc/net/snmp`).
func kernelReassemblies(_ ns: String) throws -> Int {
    let snmp = try run("/usr/sbin/ip", ["netns", "exec", ns, "cat", "/proc/net/snmp"])
    let lines = snmp.split(separator: "\n").filter { $0.hasPrefix("Ip:") }
    guard lines.count == 2 else { throw CommandFailed(command: "cat /proc/net/snmp", status: 0, output: snmp) }
    let names = lines[0].split(separator: " ")
    let values = lines[1].split(separator: " ")
    guard let index = names.firstIndex(of: "ReasmReqds"), let value = Int(values[index]) else {
        throw CommandFailed(command: "cat /proc/net/snmp", status: 0, output: snmp)
    }
    return value
}

/// Receives until `count` datagrams arrived or about `seconds` passed with nothing new.
func collect(
    _ transport: ReplicationTransport, count: Int, seconds: Int = 3
) -> [(path: Int, event: ReplicationEvent)] {
    var events: [(path: Int, event: ReplicationEvent)] = []
    var idle = 0
    for _ in 0..<(count + 100) where events.count < count && idle < seconds * 10 {
        guard waitReadable(transport.fileDescriptor, timeoutMilliseconds: 100) else {
            idle += 1
            continue
        }
        transport.receiveAll(max: 64) { events.append(($0, $1)) }
    }
    return events
}

enum ReplicationSamples {
    static let update = CheckpointUpdate(
        checkpoint: "calls",
        operations: [
            .create(CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 100, sectionSizeMax: 4096)),
            .write("a", [1, 2, 3]), .delete("b"),
        ],
        sequence: 7, checksum: 0xDEAD_BEEF)

    static let messages: [ReplicationMessage] = [
        ReplicationMessage(epoch: 3, .update(update, ackNow: true)),
        ReplicationMessage(epoch: 3, .update(CheckpointUpdate(checkpoint: "x", operations: [.remove], sequence: 8), ackNow: false)),
        ReplicationMessage(
            epoch: 4, .ack(ReplicationAck(snapshot: 1 << 32 | 5, received: 90, applied: 80, chunks: 7, installed: true, hot: false))),
        ReplicationMessage(epoch: 4, .nack(snapshot: 6, from: 10, through: 12)),
        ReplicationMessage(epoch: 0, .snapshotRequest(snapshot: 6, replicaSequence: 44)),
        ReplicationMessage(
            epoch: 5,
            .snapshotChunk(SnapshotChunk(snapshot: 6, index: 2, total: 3, bytes: Array(repeating: 0xAB, count: Limits.checkpointChunkSizeMax)))),
        ReplicationMessage(
            epoch: 5,
            .snapshotDone(SnapshotSummary(snapshot: 6, cutover: 100, checkpoints: 2, sections: 30, bytes: 4000, checksum: 77, chunks: 3))),
    ]

    /// An update whose message is as large as the core makes one (`checkpointUpdateSizeMax`).
    static func largest(sequence: UInt64) -> ReplicationMessage {
        let base = CheckpointUpdate(checkpoint: "big", operations: [.write("k", []), .write("l", [])], sequence: sequence)
        let room = Limits.checkpointUpdateSizeMax - base.encodedSize
        let first = min(room, Limits.sectionSizeMax)
        let update = CheckpointUpdate(
            checkpoint: "big",
            operations: [.write("k", (0..<first).map { UInt8(truncatingIfNeeded: $0) }), .write("l", Array(repeating: 2, count: room - first))],
            sequence: sequence)
        return ReplicationMessage(epoch: 9, .update(update, ackNow: false))
    }

    /// A small asynchronous write, as the 64-byte benchmark makes.
    static func small(sequence: UInt64) -> ReplicationMessage {
        let update = CheckpointUpdate(
            checkpoint: "counters", operations: [.write("k", Array(repeating: UInt8(truncatingIfNeeded: sequence), count: 64))],
            sequence: sequence)
        return ReplicationMessage(epoch: 2, .update(update, ackNow: false))
    }
}

@Suite("ReplicationTransport over two veth links", .serialized, .tags(.netns), .enabled(if: isRoot))
struct ReplicationTransportTests {
    @Test func everyKindRoundTripsBothWays() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        for message in ReplicationSamples.messages { #expect(a.send(message) == .sent(path: 0)) }
        let atB = collect(b, count: ReplicationSamples.messages.count)
        #expect(atB.map(\.event) == ReplicationSamples.messages.map { .messageReceived($0) })
        #expect(atB.allSatisfy { $0.path == 0 })
        for message in ReplicationSamples.messages.reversed() { #expect(b.send(message) == .sent(path: 0)) }
        let atA = collect(a, count: ReplicationSamples.messages.count)
        #expect(atA.map(\.event) == ReplicationSamples.messages.reversed().map { .messageReceived($0) })
        let statsA = a.statistics.snapshot()
        #expect(statsA[0].sent == UInt64(ReplicationSamples.messages.count) && statsA[0].received == statsA[0].sent)
        #expect(statsA[0].isCurrent && statsA[0].down == nil && statsA[1].sent == 0)
        #expect(statsA[0].bytesSent == UInt64(ReplicationSamples.messages.reduce(0) { $0 + $1.encodedSize }))
        #expect(statsA.allSatisfy { $0.malformed == 0 && $0.sendErrors == 0 && $0.sendDrops == 0 })
    }

    @Test func theLargestUpdateArrivesWhole() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        let message = ReplicationSamples.largest(sequence: 1)
        #expect(message.encodedSize > 48 * 1024 && message.encodedSize <= Limits.replicationMessageSizeMax)
        let reassembliesBefore = try kernelReassemblies(net.b)
        #expect(a.send(message) == .sent(path: 0))
        let received = collect(b, count: 1)
        #expect(received.map(\.event) == [.messageReceived(message)])
        #expect(b.statistics.snapshot()[0].bytesReceived == UInt64(message.encodedSize))
        #expect(a.statistics.snapshot()[0].bytesSent == UInt64(message.encodedSize))
        // 34 segments of at most 1,472 bytes (MTU 1,500), put back together by b's transport:
        // the kernel fragmented nothing.
        let plan = try #require(ReplicationSegment.plan(length: message.encodedSize, datagramSize: a.datagramPayloadMax))
        #expect(plan.count == 34)
        #expect(a.statistics.segments.sent == 34 && a.statistics.snapshot()[0].datagramsSent == 34)
        let atB = b.statistics.segments
        #expect(atB.received == 34 && atB.reassembled == 1 && atB.discarded == 0)
        #expect(try kernelReassemblies(net.b) == reassembliesBefore)
    }

    /// With segments turned off (a mate of an older build), the kernel fragments the message
    /// and the mate's stack reassembles it: the same message arrives.
    @Test func withoutSegmentsTheKernelFragments() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let pathsA = net.paths(side: 0)
        let a = try withNetworkNamespace(net.a) { try ReplicationTransport(paths: pathsA, segmenting: false) }
        let (_, b) = try net.transports()
        let message = ReplicationSamples.largest(sequence: 1)
        let reassembliesBefore = try kernelReassemblies(net.b)
        #expect(a.send(message) == .sent(path: 0))
        #expect(collect(b, count: 1).map(\.event) == [.messageReceived(message)])
        #expect(a.statistics.segments.sent == 0 && a.statistics.snapshot()[0].datagramsSent == 1)
        #expect(try kernelReassemblies(net.b) >= reassembliesBefore + 34)  // 48 KiB in fragments of 1,480 bytes
    }

    /// Segments of messages that lost one never deliver anything; each holds a slot of the
    /// reassembler until newer messages need it (`SegmentReassembler.slotsDefault` slots), and is
    /// then counted as given up.
    /// A whole message after them arrives; a segment with a bad CRC is counted as malformed.
    @Test func segmentsOfALostMessageAreGivenUpAndTheNextMessageArrives() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, mate) = try net.transportAndRawMate()
        func segments(_ message: ReplicationMessage, number: UInt32) -> [[UInt8]] {
            ReplicationSegment.datagrams(message: number, encoded: message.encoded(), datagramSize: 1_472)!
        }
        var datagrams: [[UInt8]] = []
        let lossy = SegmentReassembler.slotsDefault + 1
        for number in 1...lossy {  // each loses its third segment
            var parts = segments(ReplicationSamples.largest(sequence: UInt64(number)), number: UInt32(number))
            parts.remove(at: 2)
            datagrams += parts
        }
        var corrupt = segments(ReplicationSamples.largest(sequence: 9), number: 9)[0]
        corrupt[100] ^= 1
        let whole = ReplicationSamples.largest(sequence: 100)
        datagrams += [corrupt] + segments(whole, number: 100)
        for datagram in datagrams { #expect(try datagram.withUnsafeBytes { try mate.send($0) }) }
        let events = collect(a, count: 2).map(\.event)
        #expect(events == [.messageMalformed(.badChecksum), .messageReceived(whole)])
        let stats = a.statistics.segments
        // The last lossy message took the first one's slot, the whole one the second's.
        #expect(stats.received == UInt64(datagrams.count - 1) && stats.reassembled == 1 && stats.discarded == 2)
        #expect(a.statistics.snapshot()[0].malformed == 1 && a.statistics.snapshot()[0].received == 1)
    }

    @Test func garbageIsCountedAsMalformedAndDropped() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, mate) = try net.transportAndRawMate()
        var corrupt = ReplicationSamples.messages[3].encoded()
        corrupt[20] ^= 0x40
        let (first, second) = (ReplicationSamples.messages[3], ReplicationSamples.messages[4])
        let datagrams: [[UInt8]] = [
            Array("garbage".utf8), corrupt, Array(repeating: 0x44, count: 60_000), first.encoded(),
            first.encoded() + second.encoded() + Array("junk".utf8),  // two messages, then bytes that are none
            second.encoded() + corrupt + first.encoded(),  // a bad message ends its datagram
        ]
        for datagram in datagrams { #expect(try datagram.withUnsafeBytes { try mate.send($0) }) }
        let events = collect(a, count: 9).map(\.event)
        #expect(events == [
            .messageMalformed(.truncated), .messageMalformed(.badChecksum), .messageMalformed(.tooLarge),
            .messageReceived(first),
            .messageReceived(first), .messageReceived(second), .messageMalformed(.truncated),
            .messageReceived(second), .messageMalformed(.badChecksum),
        ])
        let stats = a.statistics.snapshot()[0]
        #expect(stats.malformed == 5 && stats.received == 4 && stats.datagramsReceived == 6)
    }

    @Test func trafficMovesToLinkOneWhenTheOwnerReportsLinkZeroDown() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        let before = ReplicationSamples.small(sequence: 1)
        #expect(a.send(before) == .sent(path: 0))
        #expect(collect(b, count: 1).map(\.path) == [0])

        try ip("-n", net.a, "link", "del", net.interfacesA[0])  // the cable is cut
        a.markDown(path: 0, reason: .carrierLost)
        b.markDown(path: 0, reason: .mateSilent)
        #expect(a.currentPath == 1 && !a.isUp(path: 0) && a.isUp(path: 1))
        let after = (2...20).map { ReplicationSamples.small(sequence: $0) }
        for message in after { #expect(a.send(message) == .sent(path: 1)) }
        let atB = collect(b, count: after.count)
        #expect(atB.map(\.event) == after.map { .messageReceived($0) })
        #expect(atB.allSatisfy { $0.path == 1 })
        #expect(b.send(ReplicationSamples.messages[2]) == .sent(path: 1))
        #expect(collect(a, count: 1).map(\.event) == [.messageReceived(ReplicationSamples.messages[2])])

        let statsA = a.statistics.snapshot()
        #expect(statsA[0].down == .carrierLost && !statsA[0].isCurrent && statsA[0].sent == 1)
        #expect(statsA[1].isCurrent && statsA[1].sent == UInt64(after.count) && statsA[1].selected == 1)
        #expect(b.statistics.snapshot()[0].down == .mateSilent)
    }

    @Test func everyPathDownKeepsTheCurrentOneAndTheFirstBackUpTakesOver() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, _) = try net.transports()
        a.markDown(path: 1, reason: .carrierLost)
        #expect(a.currentPath == 0)  // the current path is still up: no move
        a.markDown(path: 0, reason: .mateSilent)
        #expect(a.currentPath == 0)  // nowhere to go: stays, best effort
        a.markUp(path: 1)
        #expect(a.currentPath == 1)
        a.markUp(path: 0)
        #expect(a.currentPath == 1)  // sticky: no move back while the current path is up
        a.markDown(path: 1, reason: .carrierLost)
        #expect(a.currentPath == 0)
    }

    @Test func batchesKeepTheOrderAndAccountForEveryMessage() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        let messages = (1...2_000).map { ReplicationSamples.small(sequence: UInt64($0)) }
        var outcome = ReplicationTransport.BatchOutcome()
        var received: [ReplicationEvent] = []
        for chunk in stride(from: 0, to: messages.count, by: 500) {
            for message in messages[chunk..<(chunk + 500)] { a.enqueue(message) }
            let part = a.flush()
            outcome.sent += part.sent
            outcome.dropped += part.dropped
            outcome.failed += part.failed
            for _ in 0..<100 where b.receiveAll(max: 64, { received.append($1) }) > 0 {}
        }
        #expect(outcome.sent + outcome.dropped == messages.count && outcome.failed == 0)
        received += collect(b, count: outcome.sent - received.count).map(\.event)
        let sequences = received.compactMap { event -> UInt64? in
            guard case .messageReceived(let message) = event, case .update(let update, _) = message.body else { return nil }
            return update.sequence
        }
        #expect(sequences.count == outcome.sent)
        #expect(sequences == sequences.sorted())  // one path: the order holds
        let stats = a.statistics.snapshot()[0]
        #expect(stats.sent == UInt64(outcome.sent) && stats.sendDrops == UInt64(outcome.dropped))
        // 132-byte messages, eleven to a datagram of the path MTU's payload (1,472 bytes).
        #expect(a.coalescingLimit == a.datagramPayloadMax && a.datagramPayloadMax == 1_472)
        let perDatagram = a.coalescingLimit / messages[0].encodedSize
        #expect(stats.datagramsSent * UInt64(perDatagram) >= stats.sent && stats.datagramsSent < stats.sent / 2)
        #expect(b.statistics.snapshot()[0].datagramsReceived <= stats.datagramsSent)
    }

    @Test func withoutCoalescingEachMessageIsOneDatagram() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let pathsA = net.paths(side: 0)
        let a = try withNetworkNamespace(net.a) { try ReplicationTransport(paths: pathsA, coalescingSizeMax: 0) }
        let (_, b) = try net.transports()
        let messages = (1...100).map { ReplicationSamples.small(sequence: UInt64($0)) }
        for message in messages { a.enqueue(message) }
        #expect(a.flush().sent == messages.count)
        #expect(collect(b, count: messages.count).map(\.event) == messages.map { .messageReceived($0) })
        let stats = a.statistics.snapshot()[0]
        #expect(stats.sent == 100 && stats.datagramsSent == 100)
        #expect(b.statistics.snapshot()[0].datagramsReceived == 100)
    }

    @Test func aLargeMessageGoesAloneBetweenCoalescedOnes() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        let messages = [ReplicationSamples.small(sequence: 1), ReplicationSamples.small(sequence: 2),
                        ReplicationSamples.largest(sequence: 3), ReplicationSamples.small(sequence: 4)]
        for message in messages { a.enqueue(message) }
        #expect(a.flush().sent == messages.count)
        #expect(collect(b, count: messages.count).map(\.event) == messages.map { .messageReceived($0) })
        // The two small ones share a datagram, the large one goes as its 34 segments (none
        // shared with the small one after it), then the last small one.
        #expect(a.statistics.snapshot()[0].datagramsSent == 1 + 34 + 1)
        #expect(a.statistics.segments.sent == 34)
    }

    /// Snapshot chunks sized to the path MTU go out as trains (UDP segmentation offload) and
    /// arrive as one datagram each, in order, between coalesced small messages; a shorter
    /// chunk ends a train. Without segmentation the same messages arrive the same way.
    @Test(arguments: [true, false]) func chunksOfThePathMTUGoAsTrains(_ segmentation: Bool) throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports(segmentation: segmentation)
        let size = ReplicationConfiguration.chunkSize(fitting: a.datagramPayloadMax)
        func chunk(_ index: UInt32, _ count: Int) -> ReplicationMessage {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: Int(index) &* 31 &+ $0) }
            return ReplicationMessage(epoch: 5, .snapshotChunk(SnapshotChunk(snapshot: 6, index: index, total: 200, bytes: bytes)))
        }
        let messages: [ReplicationMessage] =
            [ReplicationSamples.small(sequence: 1)] + (0..<100).map { chunk($0, size) } + [chunk(100, size - 300)]
            + [ReplicationSamples.small(sequence: 2), ReplicationSamples.small(sequence: 3)] + (101..<150).map { chunk($0, size) }
        #expect(messages[1].encodedSize == a.datagramPayloadMax)
        for message in messages { a.enqueue(message) }
        #expect(a.flush().sent == messages.count)
        #expect(collect(b, count: messages.count).map(\.event) == messages.map { .messageReceived($0) })
        let stats = a.statistics.snapshot()[0]
        // Each chunk is a datagram of its own; the two small messages after chunk 100 share one
        // (without trains, the shorter chunk 100's too: it leaves room for them).
        let datagrams = messages.count - (segmentation ? 1 : 2)
        #expect(stats.sent == UInt64(messages.count) && stats.datagramsSent == UInt64(datagrams))
        #expect(b.statistics.snapshot()[0].datagramsReceived == stats.datagramsSent)
        let trains = a.statistics.trains
        #expect(trains.refusals == 0 && a.segmentation == segmentation)
        // 44 segments of 1,472 bytes fit a train of 65,000: 101 chunks in 3 trains, 49 in 2.
        #expect(segmentation ? trains.sent >= 5 : trains.sent == 0)
        // The receiving socket takes a train whole (`UDP_GRO`) and cuts it itself.
        #expect(segmentation ? b.statistics.coalescedReceives >= 5 : b.statistics.coalescedReceives == 0)
    }

    /// Large chunks go out from their own records (gathered, not copied): the transport keeps
    /// them alive until they are sent, whoever made them lets go at once, and a batch that
    /// needs more pieces than one `sendmmsg` takes goes in several. Every chunk arrives whole
    /// and in order (its CRC covers head, records and all).
    @Test(arguments: [true, false]) func chunksAreSentFromTheirOwnRecords(_ segmentation: Bool) throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports(segmentation: segmentation)
        let size = ReplicationConfiguration.chunkSize(fitting: a.datagramPayloadMax)
        #expect(size >= ReplicationTransport.gatheredRecordsMin)
        func chunk(_ index: UInt32) -> ReplicationMessage {
            let count = index % 7 == 3 ? size - 200 : size  // a shorter one ends a train now and then
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: Int(index) &* 131 &+ $0 &* 7) }
            return ReplicationMessage(epoch: 5, .snapshotChunk(SnapshotChunk(snapshot: 9, index: index, total: 600, bytes: bytes)))
        }
        // 600 chunks in one batch: 3 pieces each (head, records, CRC) is over the 1,024 one
        // `sendmmsg` gathers from.
        #expect(600 * 3 > ReplicationTransport.sendPiecesMax)
        var sent = 0
        for index in 0..<UInt32(600) {
            a.enqueue(chunk(index))
            if index % 200 == 199 {
                sent += a.flush().sent
                let received = collect(b, count: 200).map(\.event)
                #expect(received == (index - 199...index).map { .messageReceived(chunk($0)) })
            }
        }
        #expect(sent == 600)
        #expect(a.statistics.snapshot()[0].sent == 600)
    }

    /// A receive budget counts datagrams, those of a train taken whole one by one: a train
    /// fills a budget of 2 at once, and what one call returns is what it handed over.
    @Test func aTrainTakenWholeCountsEveryDatagramAgainstTheBudget() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        #expect(a.segmentation)
        let size = ReplicationConfiguration.chunkSize(fitting: a.datagramPayloadMax)
        let messages = (0..<10).map { index in
            ReplicationMessage(epoch: 5, .snapshotChunk(SnapshotChunk(snapshot: 6, index: UInt32(index), total: 10, bytes: Array(repeating: UInt8(index), count: size))))
        }
        for message in messages { a.enqueue(message) }
        #expect(a.flush().sent == messages.count && a.statistics.trains.sent == 1)
        #expect(waitReadable(b.fileDescriptor, timeoutMilliseconds: 2_000))
        var events: [ReplicationEvent] = []
        let count = b.receiveAll(max: 2) { events.append($1) }
        #expect(count == 10 && events == messages.map { .messageReceived($0) }, "\(count) datagrams, \(events.count) events")
        #expect(b.statistics.coalescedReceives == 1)
    }

    /// Updates, single or batched, never go in a train, even of the size of a chunk that
    /// would: each is a datagram of its own, lost or held back alone.
    @Test func updatesOfThePathMTUGoAsSeparateDatagrams() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        #expect(a.segmentation)
        func update(_ sequence: UInt64, _ count: Int) -> CheckpointUpdate {
            CheckpointUpdate(checkpoint: "c", operations: [.write("k", Array(repeating: 3, count: count))], sequence: sequence)
        }
        let batches = (0..<10).map { index in
            ReplicationMessage(epoch: 2, .updates([update(2 * index + 1, 500), update(2 * index + 2, 500)], ackNow: false))
        }
        let singles = (21...30).map { ReplicationMessage(epoch: 2, .update(update(UInt64($0), 1_000), ackNow: false)) }
        let messages = batches + singles
        for group in [batches, singles] {
            let size = group[0].encodedSize
            #expect(group.allSatisfy { $0.encodedSize == size } && size * 2 > a.coalescingLimit && size <= a.datagramPayloadMax)
        }
        for message in messages { a.enqueue(message) }
        #expect(a.flush().sent == messages.count)
        #expect(collect(b, count: messages.count).map(\.event) == messages.map { .messageReceived($0) })
        #expect(a.statistics.snapshot()[0].datagramsSent == UInt64(messages.count))
        #expect(a.statistics.trains.sent == 0)
    }

    /// A train the kernel refuses (here: the link's MTU went down after the transport measured
    /// it, so a segment no longer fits) turns segmentation off: that batch's trains are
    /// dropped and counted (the core retransmits), later chunks go as plain datagrams.
    @Test func aRefusedTrainTurnsSegmentationOff() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let pathsA = net.paths(side: 0)
        let a = try withNetworkNamespace(net.a) { try ReplicationTransport(paths: pathsA) }
        let (_, b) = try net.transports()
        let size = ReplicationConfiguration.chunkSize(fitting: a.datagramPayloadMax)
        let chunks = (0..<10).map { index in
            ReplicationMessage(
                epoch: 5, .snapshotChunk(SnapshotChunk(snapshot: 6, index: index, total: 10, bytes: Array(repeating: 7, count: size))))
        }
        try ip("-n", net.a, "link", "set", net.interfacesA[0], "mtu", "1280")
        let small = ReplicationSamples.small(sequence: 1)
        a.enqueue(small)
        for chunk in chunks { a.enqueue(chunk) }
        let first = a.flush()
        #expect(first.sent == 1 && first.dropped == chunks.count && first.failed == 0)
        #expect(!a.segmentation && a.statistics.trains.refusals == 1)
        #expect(collect(b, count: 1).map(\.event) == [.messageReceived(small)])
        for chunk in chunks { a.enqueue(chunk) }
        #expect(a.flush().sent == chunks.count)  // fragmented by the kernel, as without trains
        let received = collect(b, count: chunks.count).map(\.event)
        #expect(received.count == chunks.count && received == chunks.map { .messageReceived($0) })
    }

    /// The receiver reads the path that delivered last and stops there once it drained it (the
    /// mate sends on one path), yet a datagram waiting on the other path is not starved by a
    /// flow that keeps the first one busy: it comes within a few calls.
    @Test func aBusyPathDoesNotStarveAnother() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        func update(_ sequence: UInt64) -> ReplicationMessage {
            ReplicationMessage(epoch: 3, .update(CheckpointUpdate(checkpoint: "x", operations: [.remove], sequence: sequence), ackNow: false))
        }
        // Path 0 delivers first, so that the receiver starts there.
        #expect(a.send(update(1)) == .sent(path: 0))
        #expect(waitReadable(b.fileDescriptor, timeoutMilliseconds: 2_000))
        var paths: [Int] = []
        var events: [ReplicationEvent] = []
        #expect(b.receiveAll(max: 8) { paths.append($0); events.append($1) } == 1)
        // One datagram on path 1, then path 0 again, with a new datagram before every call.
        a.markDown(path: 0, reason: .carrierLost)
        let lonely = ReplicationSamples.messages[3]
        #expect(a.send(lonely) == .sent(path: 1))
        a.markUp(path: 0)
        a.markDown(path: 1, reason: .carrierLost)
        var calls = 0
        for sequence in 2...40 where !events.contains(.messageReceived(lonely)) {
            #expect(a.send(update(UInt64(sequence))) == .sent(path: 0))
            #expect(waitReadable(b.fileDescriptor, timeoutMilliseconds: 2_000))
            b.receiveAll(max: 8) { paths.append($0); events.append($1) }
            calls += 1
        }
        let lonelyCame = events.contains(.messageReceived(lonely))
        #expect(lonelyCame, "the datagram on path 1 never came in \(calls) calls")
        #expect(calls <= 9, "path 1 read within \(calls) calls")
        // Nothing lost or reordered on path 0.
        for _ in 0..<10 where waitReadable(b.fileDescriptor, timeoutMilliseconds: 0) {
            b.receiveAll(max: 8) { paths.append($0); events.append($1) }
        }
        let onPath0 = zip(paths, events).filter { $0.0 == 0 }.map(\.1)
        #expect(onPath0 == (1...(calls + 1)).map { .messageReceived(update(UInt64($0))) })
    }

    @Test func theDescriptorNestsInTheOwnersEpollSet() throws {
        let net = try TwoLinkNetns()
        defer { net.remove() }
        let (a, b) = try net.transports()
        let epoll = try Epoll()
        try epoll.add(b.fileDescriptor, token: 42)
        let buffer = Epoll.EventBuffer(capacity: 4)
        #expect(try epoll.wait(into: buffer, timeout: .milliseconds(0)) == 0)
        a.markDown(path: 0, reason: .carrierLost)  // arrives on link 1: either socket wakes the set
        #expect(a.send(ReplicationSamples.messages[4]) == .sent(path: 1))
        #expect(try epoll.wait(into: buffer, timeout: .seconds(3)) == 1)
        #expect(buffer[0].token == 42)
        var paths: [Int] = []
        #expect(b.receiveAll(max: 8) { path, _ in paths.append(path) } == 1)
        #expect(paths == [1])
        #expect(try epoll.wait(into: buffer, timeout: .milliseconds(0)) == 0)  // drained
    }
}
