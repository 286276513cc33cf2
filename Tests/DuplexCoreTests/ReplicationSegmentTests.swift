import Testing

@testable import DuplexCore

/// Replication messages larger than the path MTU, cut into segments and put back together:
/// the plan, the segment codec (garbage refused without a trap) and the reassembler (any order,
/// duplicates, lost segments, bounded slots).
@Suite struct ReplicationSegmentTests {
    /// The payload of one datagram at MTU 1,500 over IPv4.
    static let datagramSize = 1_472

    /// An update message of about `valueSize` bytes, larger than one datagram.
    static func message(sequence: UInt64, valueSize: Int = 4_096) -> ReplicationMessage {
        let value = (0..<valueSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(sequence)) }
        let update = CheckpointUpdate(checkpoint: "calls", operations: [.write(SectionKey("k\(sequence)"), value)], sequence: sequence)
        return ReplicationMessage(epoch: 3, .update(update, ackNow: true))
    }

    /// The message's segments, each as the datagram the transport sends.
    static func segments(of message: ReplicationMessage, number: UInt32, datagramSize: Int = datagramSize) -> [[UInt8]] {
        ReplicationSegment.datagrams(message: number, encoded: message.encoded(), datagramSize: datagramSize)!
    }

    /// Feeds one datagram to the reassembler; a completed message comes back decoded.
    static func feed(
        _ reassembler: inout SegmentReassembler, _ datagram: [UInt8]
    ) throws(ReplicationDecodeError) -> (SegmentReassembler.Outcome, ReplicationMessage?) {
        let result = datagram.withUnsafeBytes { bytes in
            Result { () throws(ReplicationDecodeError) in try reassembler.accept(try ReplicationSegment(decoding: bytes)) }
        }
        let outcome = try result.get()
        guard case .complete(let slot) = outcome else { return (outcome, nil) }
        let message = try reassembler.withMessage(in: slot) { bytes in
            Result { () throws(ReplicationDecodeError) in try ReplicationMessage(decoding: bytes) }
        }.get()
        return (outcome, message)
    }

    @Test func aMessageThatFitsOneDatagramIsNotSegmented() throws {
        #expect(ReplicationSegment.plan(length: Self.datagramSize, datagramSize: Self.datagramSize) == nil)
        let plan = try #require(ReplicationSegment.plan(length: Self.datagramSize + 1, datagramSize: Self.datagramSize))
        #expect(plan.count == 2 && plan.stride == Self.datagramSize - ReplicationSegment.overhead)
        // The largest message at MTU 1,500: 34 segments; more than 64 is refused (fragments).
        let largest = try #require(ReplicationSegment.plan(length: Limits.replicationMessageSizeMax, datagramSize: 1_472))
        #expect(largest.count == 34 && (largest.count - 1) * largest.stride < Limits.replicationMessageSizeMax)
        #expect(ReplicationSegment.plan(length: Limits.replicationMessageSizeMax, datagramSize: 600) == nil)
    }

    @Test func segmentsInOrderGiveTheMessageBack() throws {
        var reassembler = SegmentReassembler()
        let message = Self.message(sequence: 1)
        let datagrams = Self.segments(of: message, number: 77)
        #expect(datagrams.count == 3 && datagrams.allSatisfy { $0.count <= Self.datagramSize })
        var outcomes: [SegmentReassembler.Outcome] = []
        var received: ReplicationMessage?
        for datagram in datagrams {
            let (outcome, decoded) = try Self.feed(&reassembler, datagram)
            outcomes.append(outcome)
            received = decoded ?? received
        }
        #expect(outcomes.dropLast() == [.held, .held])
        #expect(received == message)
        #expect(reassembler.completed == 1 && reassembler.discarded == 0 && reassembler.inProgress == 0)
    }

    @Test(arguments: 0..<20) func anyOrderWithDuplicatesCompletesOnce(seed: Int) throws {
        var random = TestRandom(seed: UInt64(seed))
        var reassembler = SegmentReassembler()
        let message = Self.message(sequence: UInt64(seed), valueSize: 20_000)
        let datagrams = Self.segments(of: message, number: UInt32(seed))
        var sent = datagrams + datagrams.filter { _ in Bool.random(using: &random) }
        sent.shuffle(using: &random)
        // The model: a segment already here is a duplicate; the last one missing completes
        // the message, and the segments after that start it again (duplicates of a whole
        // message would deliver it twice, as a duplicated datagram does; the core drops it).
        var here = Set<UInt8>()
        for datagram in sent {
            let (outcome, decoded) = try Self.feed(&reassembler, datagram)
            let index = datagram[16]
            if here.contains(index) {
                #expect(outcome == .duplicate, "seed \(seed)")
            } else if here.count == datagrams.count - 1 {
                #expect(decoded == message, "seed \(seed)")
                here = []
            } else {
                #expect(outcome == .held, "seed \(seed)")
                here.insert(index)
            }
        }
        #expect(reassembler.completed >= 1 && reassembler.discarded == 0, "seed \(seed)")
    }

    @Test func aLostSegmentCostsOnlyItsMessageAndItsSlotIsTakenOver() throws {
        var reassembler = SegmentReassembler(slots: 2)
        // Messages 1, 2 and 3 each lose their second segment; 4 arrives whole.
        for number in 1...3 {
            var datagrams = Self.segments(of: Self.message(sequence: UInt64(number)), number: UInt32(number))
            datagrams.remove(at: 1)
            for datagram in datagrams { #expect(try Self.feed(&reassembler, datagram).0 == .held) }
        }
        // Two slots: message 3 gave up message 1.
        #expect(reassembler.discarded == 1 && reassembler.inProgress == 2)
        let whole = Self.message(sequence: 4)
        var received: ReplicationMessage?
        for datagram in Self.segments(of: whole, number: 4) { received = try Self.feed(&reassembler, datagram).1 ?? received }
        #expect(received == whole)
        #expect(reassembler.discarded == 2 && reassembler.completed == 1)
        // The late second segment of message 1, whose slot is gone, starts it again and never
        // completes anything wrong.
        let late = Self.segments(of: Self.message(sequence: 1), number: 1)[1]
        #expect(try Self.feed(&reassembler, late).0 == .held)
        #expect(reassembler.completed == 1)
    }

    @Test func aRestartedSenderReusingANumberStartsTheMessageAgain() throws {
        var reassembler = SegmentReassembler()
        let old = Self.segments(of: Self.message(sequence: 1, valueSize: 8_000), number: 5)
        #expect(try Self.feed(&reassembler, old[0]).0 == .held)
        let new = Self.message(sequence: 2, valueSize: 3_000)
        var received: ReplicationMessage?
        for datagram in Self.segments(of: new, number: 5) { received = try Self.feed(&reassembler, datagram).1 ?? received }
        #expect(received == new)
        #expect(reassembler.discarded == 1)
    }

    @Test func garbageIsRefusedWithoutATrap() throws {
        let good = Self.segments(of: Self.message(sequence: 1), number: 9)
        func decode(_ bytes: [UInt8]) -> ReplicationDecodeError? {
            bytes.withUnsafeBytes { buffer in
                do throws(ReplicationDecodeError) {
                    _ = try ReplicationSegment(decoding: buffer)
                    return nil
                } catch {
                    return error
                }
            }
        }
        #expect(decode(good[0]) == nil)
        #expect(decode(Array(good[0].prefix(20))) == .truncated)
        var bad = good[0]
        bad[0] = 0x44
        bad[1] = 0x52  // a replication message's magic
        #expect(decode(bad) == .badMagic)
        bad = good[0]
        bad[2] = 2
        #expect(decode(bad) == .unsupportedVersion)
        bad = good[0]
        bad[40] ^= 1
        #expect(decode(bad) == .badChecksum)
        #expect(decode(Array(good[0].dropLast())) == .badLength)
        // Consistent on the wire but not with its message: the segment count says it is the
        // last, its bytes do not end the message.
        bad = Self.rewrite(good[0]) { $0[17] = 1 }
        #expect(decode(bad) == .malformed)
        bad = Self.rewrite(good[0]) { $0[8] = 0xFF }  // a message over the limit
        #expect(decode(bad) == .tooLarge)
        // Random bytes behind the magic never trap.
        var random = TestRandom(seed: 42)
        for _ in 0..<2_000 {
            var bytes = (0..<Int.random(in: 0..<80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if bytes.count >= 2 { (bytes[0], bytes[1]) = (0x44, 0x53) }
            _ = decode(bytes)
        }
    }

    @Test func aSegmentAtTheWrongOffsetIsRefusedAndItsMessageGivenUp() throws {
        var reassembler = SegmentReassembler()
        let datagrams = Self.segments(of: Self.message(sequence: 1), number: 3)
        #expect(try Self.feed(&reassembler, datagrams[0]).0 == .held)
        // Segment 1 claiming an offset one byte on: decodes, but does not fit the stride.
        let shifted = Self.rewrite(datagrams[1]) { $0[15] &+= 1 }
        #expect(throws: ReplicationDecodeError.malformed) { try Self.feed(&reassembler, shifted) }
        #expect(reassembler.discarded == 1 && reassembler.inProgress == 0)
    }

    /// The datagram with `change` applied and its CRC computed again.
    static func rewrite(_ datagram: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes = Array(datagram.dropLast(4))
        change(&bytes)
        let crc = CRC32C.checksum(bytes)
        return bytes + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }
}
