import DuplexCore
import DuplexLinux
import Testing

@Suite("Announcer over veth", .serialized, .tags(.netns), .enabled(if: isRoot))
struct AnnouncerTests {
    /// Receives frames on `link` until `accept` returns true for one payload, for at most 3 s
    /// and 64 frames.
    static func receive(on link: RawEthernetLink, until accept: ([UInt8], EthernetAddress) -> Bool) throws -> Bool {
        let deadline = MonotonicClock.now() + .seconds(3)
        var buffer = [UInt8](repeating: 0, count: 1500)
        for _ in 0..<64 where MonotonicClock.now() < deadline {
            guard waitReadable(link.fileDescriptor, timeoutMilliseconds: 500) else { continue }
            guard let (length, source) = try buffer.withUnsafeMutableBytes({ try link.receive(into: $0) }) else {
                continue
            }
            if accept(Array(buffer[0..<length]), source) { return true }
        }
        return false
    }

    @Test func gratuitousARPReachesThePeer() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let watcher = try withNetworkNamespace(net.b) { try RawEthernetLink(interface: net.interfaceB, etherType: 0x0806) }
        let macA = try withNetworkNamespace(net.a) { () -> EthernetAddress in
            try Announcer().announce(address: "198.51.100.10/24", interface: net.interfaceA)
            return try NetworkInterface(named: net.interfaceA).mac
        }
        let ip: [UInt8] = [198, 51, 100, 10]
        let seen = try Self.receive(on: watcher) { arp, source in
            guard arp.count >= 28, Array(arp[14..<18]) == ip else { return false }
            #expect(source == macA)
            #expect(Array(arp[0..<8]) == [0, 1, 8, 0, 6, 4, 0, 1])  // Ethernet, IPv4, request
            #expect(arp.withUnsafeBytes { EthernetAddress(bytes: $0, offset: 8) } == macA)
            #expect(Array(arp[24..<28]) == ip)  // target = sender
            return true
        }
        #expect(seen)
    }

    @Test func unsolicitedNeighborAdvertisementReachesThePeer() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let watcher = try withNetworkNamespace(net.b) { try RawEthernetLink(interface: net.interfaceB, etherType: 0x86DD) }
        let macA = try withNetworkNamespace(net.a) { () -> EthernetAddress in
            try Announcer().announce(address: "2001:db8::10", interface: net.interfaceA)
            return try NetworkInterface(named: net.interfaceA).mac
        }
        let target = try #require(AnyIPAddress(parsing: "2001:db8::10")).octets
        let allNodes = try #require(AnyIPAddress(parsing: "ff02::1")).octets
        let seen = try Self.receive(on: watcher) { packet, source in
            guard packet.count >= 72, packet[6] == 58, packet[40] == 136, Array(packet[48..<64]) == target else {
                return false
            }
            #expect(source == macA)
            #expect(packet[7] == 255)  // hop limit
            #expect(Array(packet[24..<40]) == allNodes)
            #expect(packet[44] & 0xE0 == 0x20)  // override only
            #expect(packet[64] == 2 && packet[65] == 1)  // target link-layer address option
            #expect(packet.withUnsafeBytes { EthernetAddress(bytes: $0, offset: 66) } == macA)
            #expect(verifiesICMPv6Checksum(packet))
            return true
        }
        #expect(seen)
    }
}
