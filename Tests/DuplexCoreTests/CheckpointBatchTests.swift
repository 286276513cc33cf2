import Testing

@testable import DuplexCore

/// Several updates in one replication message (`updates`): the codec, and the stream with
/// batches: sent at the next event that is not a write, applied in one step, acknowledged
/// cumulatively, retransmitted (as batches) after a loss or a negative ack.
@Suite struct CheckpointBatchTests {
    typealias Pair = ReplicationPair

    static func update(_ sequence: UInt64, _ name: String = "c", value: UInt8 = 7) -> CheckpointUpdate {
        CheckpointUpdate(
            checkpoint: name, operations: [.write(SectionKey("k\(sequence)"), [UInt8](repeating: value, count: 64))],
            sequence: sequence, checksum: UInt32(truncatingIfNeeded: sequence &* 2_654_435_761))
    }

    /// A hot pair whose active batches up to `batchSizeMax` bytes.
    static func hotPair(batchSizeMax: Int = 8_972) -> Pair {
        var pair = Pair.started { $0.batchSizeMax = batchSizeMax }
        pair.deliverAll()
        precondition(pair.boards[1].isHot && pair.boards[0].mateIsHot, "the pair settles hot")
        pair.write(Pair.create, sync: true)  // a sync write goes at once
        pair.deliverAll()
        return pair
    }

    /// Delivers what is in flight and the standby's delayed ack: the replica equals the store and
    /// the active's window is empty.
    static func expectReplicatedAndAcknowledged(_ pair: inout Pair) {
        pair.deliverAll()
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        pair.deliverAll()
        #expect(pair.boards[1].store == pair.boards[0].store)
        #expect(pair.boards[0].windowCount == 0)
    }

    /// The messages in flight, decoded.
    static func messages(_ pair: Pair) -> [ReplicationMessage] {
        pair.inFlight.map { try! ReplicationMessage(decoding: $0.bytes) }
    }

    static func sequences(_ message: ReplicationMessage) -> [UInt64] {
        switch message.body {
        case .update(let update, _): [update.sequence]
        case .updates(let updates, _): updates.map(\.sequence)
        default: []
        }
    }

    // MARK: - Codec

    @Test func aBatchRoundTripsAndIsSmallerThanItsUpdatesAlone() throws {
        let updates = [Self.update(41), Self.update(42), Self.update(43, "other"), Self.update(44, "other")]
        let message = ReplicationMessage(epoch: 9, .updates(updates, ackNow: true))
        let bytes = message.encoded()
        #expect(bytes.count == message.encodedSize)
        #expect(try ReplicationMessage(decoding: bytes) == message)
        let alone = updates.map { ReplicationMessage(epoch: 9, .update($0, ackNow: false)).encodedSize }.reduce(0, +)
        // Alone: 21 bytes of envelope each. Batched: 31 once, 20 less per record, and the
        // repeated names ("c", "other") once each less.
        #expect(bytes.count == alone - 4 * 21 + 31 - 4 * 20 - 1 - 5)
    }

    @Test func aSingleUpdateMessageStillDecodes() throws {
        let message = ReplicationMessage(epoch: 3, .update(Self.update(5), ackNow: false))
        #expect(try ReplicationMessage(decoding: message.encoded()) == message)
    }

    /// Bytes of an `updates` message with this body and a valid header and checksum, so that
    /// the body's checks are reached.
    static func sealed(body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x44, 0x52, 1, 8]
        let length = UInt32(16 + body.count + 4)
        bytes += withUnsafeBytes(of: length.bigEndian) { Array($0) }
        bytes += withUnsafeBytes(of: UInt64(9).bigEndian) { Array($0) }
        bytes += body
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        bytes += withUnsafeBytes(of: crc.bigEndian) { Array($0) }
        return bytes
    }

    static func entry(name: [UInt8], operations: [UInt8] = [0, 1, 2]) -> [UInt8] {
        [0, 0, 0, 1] + [UInt8(name.count)] + name + operations
    }

    static func header(flags: UInt8 = 0, first: UInt64 = 1, count: UInt16 = 1) -> [UInt8] {
        [flags] + withUnsafeBytes(of: first.bigEndian) { Array($0) } + withUnsafeBytes(of: count.bigEndian) { Array($0) }
    }

    @Test func malformedBatchesAreRejected() {
        let cases: [([UInt8], ReplicationDecodeError)] = [
            (Self.header(count: 0), .overLimit),
            (Self.header(count: UInt16(Limits.replicationBatchUpdatesMax + 1)), .overLimit),
            (Self.header(first: 0) + Self.entry(name: [0x63]), .malformed),
            (Self.header(flags: 2) + Self.entry(name: [0x63]), .malformed),
            (Self.header(first: .max) + Self.entry(name: [0x63]), .malformed),
            (Self.header() + Self.entry(name: []), .invalidName),  // "same name" in the first entry
            (Self.header() + Self.entry(name: [0xFF, 0xFE]), .invalidName),
            (Self.header(count: 2) + Self.entry(name: [0x63]), .truncated),
            (Self.header() + Self.entry(name: [0x63]) + [0], .malformed),  // a byte left over
            (Self.header() + Self.entry(name: [0x63], operations: [0, 1, 9]), .unknownOperation),
            (Self.header() + Self.entry(name: [0x63], operations: [0, 0]), .overLimit),
        ]
        for (body, expected) in cases {
            #expect(throws: expected) { try ReplicationMessage(decoding: Self.sealed(body: body)) }
        }
        // A well-formed one for comparison.
        #expect(throws: Never.self) { try ReplicationMessage(decoding: Self.sealed(body: Self.header() + Self.entry(name: [0x63]))) }
    }

    @Test func everyTruncationAndByteFlipOfABatchIsRejectedWithoutTrapping() {
        let message = ReplicationMessage(epoch: 2, .updates([Self.update(1), Self.update(2), Self.update(3, "d")], ackNow: false))
        let bytes = message.encoded()
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try ReplicationMessage(decoding: Array(bytes[0..<length])) }
        }
        // Flips inside the body, checksum fixed up: decoded or rejected, never a trap.
        var decoded = 0
        for index in 16..<(bytes.count - 4) {
            var body = Array(bytes[16..<(bytes.count - 4)])
            body[index - 16] ^= 0x5A
            if (try? ReplicationMessage(decoding: Self.sealed(body: body))) != nil { decoded += 1 }  // either is fine
        }
        #expect(decoded < bytes.count)
    }

    // MARK: - The stream with batches

    @Test func asyncWritesWaitForTheNextEventAndGoInOneMessage() {
        var pair = Self.hotPair()
        let base = pair.boards[0].store.sequence
        for index in 0..<5 { pair.write(Pair.set(SectionKey("k\(index)"), [UInt8(index)]), sync: false) }
        #expect(pair.inFlight.isEmpty, "async writes wait for their batch")
        #expect(pair.boards[0].nextDeadline <= pair.now, "the core asks for a tick at once")
        pair.handle(0, .tick)
        let messages = Self.messages(pair)
        #expect(messages.count == 1)
        #expect(messages.first.map(Self.sequences) == Array((base + 1)...(base + 5)))
        pair.deliver()
        #expect(pair.boards[1].store == pair.boards[0].store, "applied in one step")
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        pair.deliverAll()
        #expect(pair.boards[0].windowCount == 0, "one cumulative ack releases the whole batch")
        #expect(pair.boards[0].mateLag == 0)
    }

    @Test func aSyncWriteTakesTheWaitingUpdatesWithIt() {
        var pair = Self.hotPair()
        let base = pair.boards[0].store.sequence
        pair.write(Pair.set("a", [1]), sync: false)
        pair.write(Pair.set("b", [2]), sync: false)
        let request = pair.write(Pair.set("c", [3]), sync: true)
        let messages = Self.messages(pair)
        #expect(messages.count == 1)
        #expect(messages.first.map(Self.sequences) == [base + 1, base + 2, base + 3])
        if case .updates(_, let ackNow) = messages.first?.body { #expect(ackNow) } else { Issue.record("a batch") }
        pair.deliverAll()
        #expect(pair.completions[request] == .replicated(sequence: base + 3))
    }

    @Test func batchesAreCutAtTheirSize() {
        var pair = Self.hotPair(batchSizeMax: Limits.checkpointChunkSizeMin)
        for index in 0..<40 { pair.write(Pair.set(SectionKey("k\(index)"), [UInt8](repeating: 1, count: 64)), sync: false) }
        pair.handle(0, .tick)
        let messages = Self.messages(pair)
        #expect(messages.count > 1)
        #expect(messages.allSatisfy { $0.encodedSize <= Limits.checkpointChunkSizeMin })
        #expect(messages.flatMap(Self.sequences) == Array((pair.boards[0].store.sequence - 39)...pair.boards[0].store.sequence))
        Self.expectReplicatedAndAcknowledged(&pair)
    }

    @Test func aLostBatchIsRetransmittedAsABatch() {
        var pair = Self.hotPair()
        for index in 0..<6 { pair.write(Pair.set(SectionKey("k\(index)"), [UInt8(index)]), sync: false) }
        pair.handle(0, .tick)
        pair.inFlight.removeAll()  // the batch is lost
        let resentBefore = pair.boards[0].counters.updatesResent
        pair.advance(by: pair.boards[0].configuration.retransmitTimeout)
        let messages = Self.messages(pair).filter { !Self.sequences($0).isEmpty }
        #expect(messages.count == 1, "the six go again in one message")
        #expect(messages.first.map { Self.sequences($0).count } == 6)
        #expect(pair.boards[0].counters.updatesResent == resentBefore + 6)
        Self.expectReplicatedAndAcknowledged(&pair)
    }

    @Test func aGapBeforeABatchIsNackedAndResentAsABatch() {
        var pair = Self.hotPair()
        let base = pair.boards[0].store.sequence
        for index in 0..<4 { pair.write(Pair.set(SectionKey("a\(index)"), [1]), sync: false) }
        pair.handle(0, .tick)
        pair.inFlight.removeAll()  // the first batch is lost
        pair.now = pair.now + .milliseconds(1)  // past the resend holdoff
        for index in 0..<4 { pair.write(Pair.set(SectionKey("b\(index)"), [2]), sync: false) }
        pair.handle(0, .tick)
        pair.deliver()  // the second batch: held behind the gap, which is nacked
        #expect(pair.boards[1].store.sequence == base)
        let nacks = Self.messages(pair).filter { if case .nack = $0.body { true } else { false } }
        #expect(nacks.count == 1)
        if case .nack(_, let from, let through) = nacks.first?.body {
            #expect(from == base + 1 && through == base + 4)
        }
        pair.deliverAll()  // the nack; the active resends the four in one message
        #expect(pair.boards[1].store == pair.boards[0].store)
        pair.advance(by: pair.boards[1].configuration.ackDelay)
        pair.deliverAll()
        #expect(pair.boards[0].windowCount == 0)
    }

    @Test func aBatchOverlappingWhatTheStandbyHoldsAppliesTheRestAndAcksAtOnce() {
        var pair = Self.hotPair()
        let base = pair.boards[0].store.sequence
        for index in 0..<3 { pair.write(Pair.set(SectionKey("k\(index)"), [1]), sync: false) }
        pair.handle(0, .tick)
        pair.deliver()  // 1...3 applied; the ack is delayed
        for index in 3..<6 { pair.write(Pair.set(SectionKey("k\(index)"), [1]), sync: false) }
        pair.handle(0, .tick)
        pair.inFlight.removeAll()
        // A retransmission of 2...6 in one message (say the ack of 1...3 and then 4...6 were lost).
        let stream = Self.streamUpdates(pair, (base + 2)...(base + 6))
        let duplicatesBefore = pair.boards[1].counters.duplicatesDropped
        let actions = pair.handle(1, .messageReceived(ReplicationMessage(epoch: 1, .updates(stream, ackNow: false))))
        #expect(pair.boards[1].counters.duplicatesDropped == duplicatesBefore + 2)
        #expect(pair.boards[1].store == pair.boards[0].store)
        let acks = actions.compactMap { action -> ReplicationAck? in
            if case .send(let message) = action, case .ack(let ack) = message.body { ack } else { nil }
        }
        #expect(acks.map(\.received) == [base + 6], "one ack at once, cumulative")
        pair.deliverAll()
        #expect(pair.boards[0].windowCount == 0)
    }

    @Test func aStandbyThatGetsOnlyRetransmissionsAcksOnce() {
        var pair = Self.hotPair()
        for index in 0..<3 { pair.write(Pair.set(SectionKey("k\(index)"), [1]), sync: false) }
        pair.handle(0, .tick)
        let batch = pair.inFlight[0]
        pair.deliverAll()
        pair.inFlight.append(batch)  // duplicated on the way
        let actions = pair.deliver()
        let sends = actions.filter { if case .send = $0 { true } else { false } }
        #expect(sends.count == 1)
    }

    /// Updates `range` of the active's stream, as the window holds them.
    static func streamUpdates(_ pair: Pair, _ range: ClosedRange<UInt64>) -> [CheckpointUpdate] {
        let window = pair.boards[0].sender.session!.window
        return range.map { sequence in window.first { $0.update.sequence == sequence }!.update }
    }
}
