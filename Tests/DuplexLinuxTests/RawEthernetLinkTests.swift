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
