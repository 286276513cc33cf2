import DuplexCore

/// Builders for the frames `Announcer` sends. Each writes a complete Ethernet frame (header,
/// packet, padding to 60 bytes) and returns its length.
enum AnnouncementFrame {
    /// Large enough for either frame: 14 + 40 + 32 = 86 bytes for the advertisement.
    static let bufferSize = 128
    /// ff02::1 (RFC 4291 §2.7.1, all-nodes, link-local scope).
    static let allNodes = AnyIPAddress.v6(IPv6Address(high: 0xFF02_0000_0000_0000, low: 1))
    /// 33:33:00:00:00:01, the Ethernet group address of ff02::1 (RFC 2464 §7).
    static let allNodesMAC = EthernetAddress(value: 0x3333_0000_0001)

    /// Writes an Ethernet header and returns the offset after it.
    static func ethernetHeader(
        into buffer: UnsafeMutableRawBufferPointer, destination: EthernetAddress, source: EthernetAddress, etherType: UInt16
    ) -> Int {
        destination.write(to: buffer, at: 0)
        source.write(to: buffer, at: 6)
        buffer.storeBytes(of: etherType.bigEndian, toByteOffset: 12, as: UInt16.self)
        return 14
    }

    /// A gratuitous ARP request (RFC 826 packet, RFC 5227 §3 announcement): operation 1,
    /// sender = target = `address`, target hardware address zero, to the broadcast address.
    static func gratuitousARP(into buffer: UnsafeMutableRawBufferPointer, mac: EthernetAddress, address: AnyIPAddress) -> Int {
        precondition(address.family == .v4 && buffer.count >= 60, "IPv4 and room for a minimum frame")
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        let arp = ethernetHeader(into: buffer, destination: .broadcast, source: mac, etherType: 0x0806)
        buffer.storeBytes(of: UInt16(1).bigEndian, toByteOffset: arp, as: UInt16.self)  // Ethernet
        buffer.storeBytes(of: UInt16(0x0800).bigEndian, toByteOffset: arp + 2, as: UInt16.self)  // IPv4
        buffer[arp + 4] = 6
        buffer[arp + 5] = 4
        buffer.storeBytes(of: UInt16(1).bigEndian, toByteOffset: arp + 6, as: UInt16.self)  // request
        mac.write(to: buffer, at: arp + 8)
        address.write(to: buffer, at: arp + 14)
        address.write(to: buffer, at: arp + 24)
        precondition(arp + 28 <= 60, "padded to the minimum")
        return 60
    }

    /// An unsolicited neighbour advertisement (RFC 4861 §4.4): IPv6 from `address` to ff02::1
    /// with hop limit 255; ICMPv6 type 136 code 0, flags R=0 S=0 O=1, target `address`, and
    /// option 2 (target link-layer address) carrying `mac`.
    static func neighborAdvertisement(
        into buffer: UnsafeMutableRawBufferPointer, mac: EthernetAddress, address: AnyIPAddress
    ) -> Int {
        precondition(address.family == .v6 && buffer.count >= 86, "IPv6 and room for the frame")
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        let ip = ethernetHeader(into: buffer, destination: allNodesMAC, source: mac, etherType: 0x86DD)
        let icmpLength = 32
        buffer[ip] = 0x60  // version 6, traffic class 0, flow label 0
        buffer.storeBytes(of: UInt16(icmpLength).bigEndian, toByteOffset: ip + 4, as: UInt16.self)
        buffer[ip + 6] = 58  // next header: ICMPv6
        buffer[ip + 7] = 255  // hop limit (RFC 4861 §7.1.2 requires 255)
        address.write(to: buffer, at: ip + 8)
        allNodes.write(to: buffer, at: ip + 24)
        let icmp = ip + 40
        buffer[icmp] = 136
        buffer[icmp + 4] = 0x20  // override flag
        address.write(to: buffer, at: icmp + 8)
        buffer[icmp + 24] = 2  // target link-layer address option
        buffer[icmp + 25] = 1  // length in units of 8 bytes
        mac.write(to: buffer, at: icmp + 26)
        let checksum = icmpv6Checksum(
            source: address, destination: allNodes,
            message: UnsafeRawBufferPointer(rebasing: buffer[icmp..<(icmp + icmpLength)]))
        buffer.storeBytes(of: checksum.bigEndian, toByteOffset: icmp + 2, as: UInt16.self)
        return icmp + icmpLength
    }

    /// The ICMPv6 checksum (RFC 4443 §2.3) over the IPv6 pseudo-header (RFC 8200 §8.1) and
    /// `message`, whose checksum field must be zero.
    static func icmpv6Checksum(source: AnyIPAddress, destination: AnyIPAddress, message: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        source.withUnsafeBytes { sum = onesComplementAdd(sum, $0) }
        destination.withUnsafeBytes { sum = onesComplementAdd(sum, $0) }
        sum += UInt32(message.count)  // upper-layer packet length (fits 16 bits here)
        sum += 58  // next header
        sum = onesComplementAdd(sum, message)
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        let result = ~UInt16(sum)
        return result == 0 ? 0xFFFF : result
    }

    /// Adds `bytes` as big-endian 16-bit words (odd tail padded with zero) to `sum`, folding
    /// carries.
    static func onesComplementAdd(_ sum: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var sum = sum
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            sum = (sum & 0xFFFF) + (sum >> 16)
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        return (sum & 0xFFFF) + (sum >> 16)
    }
}
