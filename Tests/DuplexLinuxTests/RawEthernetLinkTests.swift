import DuplexCore
import DuplexLinux
import Glibc
import SystemPackage
import Testing

@Suite("RawEthernetLink over veth", .serialized, .tags(.netns), .enabled(if: isRoot))
struct RawEthernetLinkTests {
    @Test func frameCrossesWithItsEtherTypeAndPayload() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let receiver = try withNetworkNamespace(net.b) { try RawEthernetLink(interface: net.interfaceB) }
        let (sender, foreign) = try withNetworkNamespace(net.a) {
            (try RawEthernetLink(interface: net.interfaceA), try RawEthernetLink(interface: net.interfaceA, etherType: 0x88B6))
        }
        #expect(receiver.etherType == 0x88B5)
        #expect(sender.interface.mac != receiver.interface.mac)
        #expect(sender.interface.mac != EthernetAddress(value: 0))

        var frame = [UInt8](repeating: 0, count: 256)
        let payload: [UInt8] = Array("duplex heartbeat".utf8)
        let foreignPayload: [UInt8] = Array("not for the pair".utf8)
        // The foreign EtherType goes first: if it were delivered, it would be read first.
        let sentForeign = try foreignPayload.withUnsafeBytes { bytes in
            try frame.withUnsafeMutableBytes {
                try foreign.send(payload: bytes, to: receiver.interface.mac, frameBuffer: $0)
            }
        }
        let sent = try payload.withUnsafeBytes { bytes in
            try frame.withUnsafeMutableBytes { try sender.send(payload: bytes, to: receiver.interface.mac, frameBuffer: $0) }
        }
        #expect(sentForeign && sent)

        #expect(waitReadable(receiver.fileDescriptor))
        var buffer = [UInt8](repeating: 0xEE, count: 1500)
        let received = try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0) }
        let frameReceived = try #require(received)
        #expect(frameReceived.length == 46)  // padded to the 60-byte minimum
        #expect(frameReceived.source == sender.interface.mac)
        #expect(Array(buffer[0..<payload.count]) == payload)
        #expect(buffer[payload.count..<46].allSatisfy { $0 == 0 })
        #expect(try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0) } == nil)
    }

    @Test func zeroCopyFrameAndBroadcastCross() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let receiver = try withNetworkNamespace(net.b) { try RawEthernetLink(interface: net.interfaceB, etherType: 0x88B7) }
        let sender = try withNetworkNamespace(net.a) { try RawEthernetLink(interface: net.interfaceA, etherType: 0x88B7) }
        var frame = [UInt8](repeating: 0, count: 200)
        for index in 0..<100 { frame[RawEthernetLink.headerLength + index] = UInt8(index) }
        let sent = try frame.withUnsafeMutableBytes { try sender.sendFrame($0, payloadLength: 100, to: .broadcast) }
        #expect(sent)
        #expect(waitReadable(receiver.fileDescriptor))
        var buffer = [UInt8](repeating: 0, count: 1500)
        let received = try #require(try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0) })
        #expect(received.length == 100)
        #expect(Array(buffer[0..<100]) == (0..<100).map { UInt8($0) })
        // Our own frames never come back to the sender.
        #expect(try buffer.withUnsafeMutableBytes { try sender.receive(into: $0) } == nil)
    }

    /// The pair thread's split: two sockets on one interface and EtherType, one keeping only the
    /// frames whose type byte is 1 (heartbeats), the other every other frame; each frame lands
    /// on exactly one of them, stamped with its kernel receive time.
    @Test func aByteFilterSplitsFramesBetweenTwoSocketsWithReceiveTimes() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let (heartbeats, others) = try withNetworkNamespace(net.b) {
            (try RawEthernetLink(interface: net.interfaceB), try RawEthernetLink(interface: net.interfaceB))
        }
        try heartbeats.selectFrames(payloadByte: 3, equal: true, to: 1)
        try others.selectFrames(payloadByte: 3, equal: false, to: 1)
        try heartbeats.enableTimestamps()
        try others.enableTimestamps()
        let sender = try withNetworkNamespace(net.a) { try RawEthernetLink(interface: net.interfaceA) }
        var frame = [UInt8](repeating: 0, count: 200)
        try Self.waitForReceiveTimes(from: sender, to: others, frame: &frame)
        var wallBefore = timespec()
        clock_gettime(CLOCK_REALTIME, &wallBefore)
        for type: UInt8 in [1, 2, 1, 3] {
            let payload: [UInt8] = [0x44, 0x58, 1, type, 0xAB]
            let sent = try payload.withUnsafeBytes { bytes in
                try frame.withUnsafeMutableBytes { try sender.send(payload: bytes, to: heartbeats.interface.mac, frameBuffer: $0) }
            }
            #expect(sent)
        }
        var wallAfter = timespec()
        clock_gettime(CLOCK_REALTIME, &wallAfter)
        let before = UInt64(wallBefore.tv_sec) * 1_000_000_000 + UInt64(wallBefore.tv_nsec)
        let after = UInt64(wallAfter.tv_sec) * 1_000_000_000 + UInt64(wallAfter.tv_nsec)

        #expect(waitReadable(heartbeats.fileDescriptor))
        #expect(waitReadable(others.fileDescriptor))
        var buffer = [UInt8](repeating: 0, count: 1500)
        func drain(_ link: RawEthernetLink) throws -> [(type: UInt8, stamp: UInt64)] {
            var seen: [(type: UInt8, stamp: UInt64)] = []
            for _ in 0..<8 {
                var stamp: UInt64 = 0
                guard try buffer.withUnsafeMutableBytes({ try link.receive(into: $0, receivedAt: &stamp) }) != nil else { break }
                seen.append((buffer[3], stamp))
            }
            return seen
        }
        let kept = try drain(heartbeats)
        let rest = try drain(others)
        #expect(kept.map(\.type) == [1, 1])
        #expect(rest.map(\.type) == [2, 3])
        // Each stamp is the kernel's receive time: between the first send and the last.
        for (_, stamp) in kept + rest {
            #expect(stamp >= before && stamp <= after)
        }
    }

    /// Waits (at most 200 probes, 1 ms apart) until frames reaching `receiver` carry the
    /// kernel's receive time. The first socket of a system to ask for timestamps turns them on
    /// in a deferred kernel work item (`net_enable_timestamp`); until it ran, a frame gets the
    /// time of the `recvmsg` that reads it.
    static func waitForReceiveTimes(from sender: RawEthernetLink, to receiver: RawEthernetLink, frame: inout [UInt8]) throws {
        let probe: [UInt8] = [0x44, 0x58, 1, 9, 0xCD]
        var buffer = [UInt8](repeating: 0, count: 1500)
        for _ in 0..<200 {
            let sent = try probe.withUnsafeBytes { bytes in
                try frame.withUnsafeMutableBytes { try sender.send(payload: bytes, to: receiver.interface.mac, frameBuffer: $0) }
            }
            var wall = timespec()
            clock_gettime(CLOCK_REALTIME, &wall)
            let sentBy = UInt64(wall.tv_sec) * 1_000_000_000 + UInt64(wall.tv_nsec)
            guard sent, waitReadable(receiver.fileDescriptor, timeoutMilliseconds: 100) else { continue }
            var stamp: UInt64 = 0
            let received = try buffer.withUnsafeMutableBytes { try receiver.receive(into: $0, receivedAt: &stamp) }
            if received != nil, stamp <= sentBy { return }
            usleep(1_000)
        }
    }

    /// One `recvmmsg` reads every pending frame; a frame longer than the batch's slots is
    /// dropped and counted, the others keep their order, payload and receive time.
    @Test func aBatchReadsEveryPendingFrameInOneCall() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let receiver = try withNetworkNamespace(net.b) { try RawEthernetLink(interface: net.interfaceB) }
        try receiver.enableTimestamps()
        let sender = try withNetworkNamespace(net.a) { try RawEthernetLink(interface: net.interfaceA) }
        var frame = [UInt8](repeating: 0, count: 600)
        for (index, size) in [20, 30, 400, 40].enumerated() {
            let payload = [UInt8](repeating: UInt8(index + 1), count: size)
            let sent = try payload.withUnsafeBytes { bytes in
                try frame.withUnsafeMutableBytes { try sender.send(payload: bytes, to: receiver.interface.mac, frameBuffer: $0) }
            }
            #expect(sent)
        }
        #expect(waitReadable(receiver.fileDescriptor))
        let batch = StampedReceiveBatch(slotSize: 256, capacity: 8)
        var seen: [[UInt8]] = []
        // Frames can still be in flight after the first is readable: a bounded number of reads.
        for _ in 0..<50 where seen.count + Int(receiver.truncatedFrameCount) < 4 {
            let count = try receiver.receive(into: batch)
            for index in 0..<count {
                guard let payload = receiver.payload(in: batch, at: index) else { continue }
                #expect(batch.receivedAt(index) > 0)
                seen.append(Array(payload))
            }
            if count == 0 { _ = waitReadable(receiver.fileDescriptor) }
        }
        #expect(receiver.truncatedFrameCount == 1)
        #expect(seen.map(\.first) == [1, 2, 4])
        #expect(seen.map(\.count) == [46, 46, 46])  // padded to the 60-byte minimum
        #expect(try receiver.receive(into: batch) == 0)
    }

    /// The pair thread's heartbeat ring: frames in arrival order with their receive times,
    /// the socket's filter still applied, a frame too long for a slot dropped and counted,
    /// the ring reused round after round, and a full ring's overflow counted by the kernel.
    @Test func aReceiveRingHoldsFramesInOrderWithTheirReceiveTimes() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let receiver = try withNetworkNamespace(net.b) { try RawEthernetLink(interface: net.interfaceB) }
        try receiver.selectFrames(payloadByte: 3, equal: true, to: 1)
        let ring = try PacketReceiveRing(socket: receiver.fileDescriptor, frames: 64)
        let sender = try withNetworkNamespace(net.a) { try RawEthernetLink(interface: net.interfaceA) }
        let batch = StampedReceiveBatch(slotSize: 256, capacity: 8)
        #expect(ring.read(into: batch) == 0)
        var frame = [UInt8](repeating: 0, count: 600)
        var sequence: UInt16 = 0
        func send(_ count: Int, type: UInt8 = 1, size: Int = 20) throws {
            for _ in 0..<count {
                sequence &+= 1
                var payload = [UInt8](repeating: 0, count: size)
                payload[0] = 0x44
                payload[3] = type
                payload[4] = UInt8(sequence >> 8)
                payload[5] = UInt8(sequence & 0xFF)
                let sent = try payload.withUnsafeBytes { bytes in
                    try frame.withUnsafeMutableBytes { try sender.send(payload: bytes, to: receiver.interface.mac, frameBuffer: $0) }
                }
                #expect(sent)
            }
        }
        func receive(_ expected: Int) -> [(sequence: UInt16, stamp: UInt64)] {
            var seen: [(sequence: UInt16, stamp: UInt64)] = []
            for _ in 0..<200 where seen.count + Int(receiver.truncatedFrameCount) < expected {
                let count = ring.read(into: batch)
                for index in 0..<count {
                    guard let payload = receiver.payload(in: batch, at: index) else { continue }
                    seen.append((UInt16(payload[4]) << 8 | UInt16(payload[5]), batch.receivedAt(index)))
                }
                if count == 0 { _ = waitReadable(receiver.fileDescriptor) }
            }
            return seen
        }
        let before = realtimeNanoseconds()
        try send(5)
        try send(5, type: 2)  // filtered out before the ring
        try send(1, size: 400)  // longer than a slot: cut by the ring, dropped by the link
        try send(5)
        let after = realtimeNanoseconds()
        let first = receive(11)
        #expect(first.map(\.sequence) == Array(1...5) + Array(12...16))
        #expect(receiver.truncatedFrameCount == 1)
        #expect(first.allSatisfy { $0.stamp >= before && $0.stamp <= after }, "kernel receive times")
        #expect(zip(first, first.dropFirst()).allSatisfy { $0.stamp <= $1.stamp })
        // Round after round the slots are handed back and reused.
        for _ in 0..<3 {
            let start = sequence &+ 1
            try send(50)
            #expect(receive(50 + 1).map(\.sequence) == Array(start...(start + 49)))
        }
        // Unread, the ring fills: the kernel drops the rest and counts them.
        _ = try ring.takeDrops()
        let start = sequence &+ 1
        try send(100)
        #expect(waitReadable(receiver.fileDescriptor))
        let kept = receive(64 + 1)
        #expect(kept.map(\.sequence) == Array(start...(start + 63)))
        #expect(try ring.takeDrops() == 36)
        #expect(ring.read(into: batch) == 0)
    }

    /// Rings set up together (their grace-period waits overlap): each socket gets its own
    /// working ring, in order, and a socket that cannot have one reports why without keeping
    /// the others from theirs.
    @Test func ringsOpenedTogetherEachReceiveTheirFrames() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let receivers = try withNetworkNamespace(net.b) {
            try (0..<2).map { _ in try RawEthernetLink(interface: net.interfaceB) }
        }
        let notPacket = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(notPacket >= 0)
        defer { close(notPacket) }
        let results = PacketReceiveRing.open(sockets: [receivers[0].fileDescriptor, notPacket, receivers[1].fileDescriptor])
        #expect(results.count == 3)
        guard case .success(let first) = results[0], case .failure(let refused) = results[1],
            case .success(let third) = results[2]
        else {
            Issue.record("expected a ring, a refusal, a ring: \(results)")
            return
        }
        #expect(refused == .protocolNotAvailable || refused == .invalidArgument)
        let sender = try withNetworkNamespace(net.a) { try RawEthernetLink(interface: net.interfaceA) }
        var frame = [UInt8](repeating: 0, count: 128)
        for value in UInt8(1)...3 {
            var payload = [UInt8](repeating: 0, count: 20)
            payload[0] = value
            let sent = try payload.withUnsafeBytes { bytes in
                try frame.withUnsafeMutableBytes { try sender.send(payload: bytes, to: receivers[0].interface.mac, frameBuffer: $0) }
            }
            #expect(sent)
        }
        for (ring, receiver) in [(first, receivers[0]), (third, receivers[1])] {
            let batch = StampedReceiveBatch(slotSize: 256, capacity: 8)
            var seen: [UInt8] = []
            for _ in 0..<200 where seen.count < 3 {
                let count = ring.read(into: batch)
                for index in 0..<count {
                    if let payload = receiver.payload(in: batch, at: index) { seen.append(payload[0]) }
                }
                if count == 0 { _ = waitReadable(receiver.fileDescriptor) }
            }
            #expect(seen == [1, 2, 3])
        }
    }

    @Test func framesBypassTheQdisc() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let link = try withNetworkNamespace(net.a) { try RawEthernetLink(interface: net.interfaceA) }
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        let solPacket: CInt = 263  // SOL_PACKET, <bits/socket.h>
        let qdiscBypass: CInt = 20  // PACKET_QDISC_BYPASS, <linux/if_packet.h>
        #expect(getsockopt(link.fileDescriptor, solPacket, qdiscBypass, &value, &length) == 0)
        #expect(value == 1)
    }

    @Test func unknownInterfaceIsNoSuchDevice() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let error = try withNetworkNamespace(net.a) { () -> Errno? in
            do throws(Errno) {
                _ = try RawEthernetLink(interface: "nosuch0")
                return nil
            } catch {
                return error
            }
        }
        #expect(error == .operationNotSupportedByDevice)  // ENODEV
    }
}

/// CLOCK_REALTIME now in ns (what the kernel stamps received frames with).
private func realtimeNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
