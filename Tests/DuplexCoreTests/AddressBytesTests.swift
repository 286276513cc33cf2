import DuplexCore
import Testing

@Suite struct AddressBytesTests {
    @Test func ethernetAddressWritesAndReadsAtAnOffset() throws {
        let address = try #require(EthernetAddress(parsing: "02:00:5e:10:00:ff"))
        var buffer = [UInt8](repeating: 0xAA, count: 10)
        buffer.withUnsafeMutableBytes { address.write(to: $0, at: 3) }
        #expect(buffer == [0xAA, 0xAA, 0xAA, 0x02, 0x00, 0x5E, 0x10, 0x00, 0xFF, 0xAA])
        #expect(buffer.withUnsafeBytes { EthernetAddress(bytes: $0, offset: 3) } == address)
        #expect(address.withUnsafeBytes { Array($0) } == address.octets)
        #expect(EthernetAddress.byteCount == 6)
    }

    @Test func ipv4AddressWritesAndReadsAtAnOffset() throws {
        let address = try #require(IPv4Address(parsing: "198.51.100.10"))
        var buffer = [UInt8](repeating: 0, count: 7)
        buffer.withUnsafeMutableBytes { address.write(to: $0, at: 3) }
        #expect(buffer == [0, 0, 0, 198, 51, 100, 10])
        #expect(buffer.withUnsafeBytes { IPv4Address(bytes: $0, offset: 3) } == address)
        #expect(withUnsafeBytes(of: address.networkOrderValue) { Array($0) } == address.octets)
    }

    @Test func ipv6AddressWritesAndReadsAtAnOffset() throws {
        let address = try #require(IPv6Address(parsing: "2001:db8::10"))
        var buffer = [UInt8](repeating: 0, count: 17)
        buffer.withUnsafeMutableBytes { address.write(to: $0, at: 1) }
        #expect(Array(buffer[1...]) == address.octets)
        #expect(buffer.withUnsafeBytes { IPv6Address(bytes: $0, offset: 1) } == address)
        #expect(address.withUnsafeBytes { Array($0) } == address.octets)
    }

    @Test(arguments: [
        ("fe80::1", true), ("febf:ffff::1", true), ("fec0::1", false), ("fe7f::1", false), ("2001:db8::1", false),
    ])
    func ipv6LinkLocal(_ text: String, _ isLinkLocal: Bool) throws {
        #expect(try #require(IPv6Address(parsing: text)).isLinkLocal == isLinkLocal)
        #expect(try #require(AnyIPAddress(parsing: text)).isLinkLocal == isLinkLocal)
    }

    @Test(arguments: ["198.51.100.10", "0.0.0.0", "2001:db8::10", "ff02::1", "::ffff:192.0.2.1"])
    func anyAddressRoundTripsThroughBytes(_ text: String) throws {
        let address = try #require(AnyIPAddress(parsing: text))
        #expect(address.family == (address.isIPv4 ? .v4 : .v6))
        #expect(address.byteCount == address.octets.count)
        #expect(address.byteCount * 8 == address.bitWidth)
        #expect(address.withUnsafeBytes { Array($0) } == address.octets)
        var buffer = [UInt8](repeating: 0xEE, count: 20)
        buffer.withUnsafeMutableBytes { address.write(to: $0, at: 2) }
        #expect(Array(buffer[2..<(2 + address.byteCount)]) == address.octets)
        #expect(buffer[(2 + address.byteCount)...].allSatisfy { $0 == 0xEE })
        #expect(buffer.withUnsafeBytes { AnyIPAddress(family: address.family, bytes: $0, offset: 2) } == address)
        #expect(!AnyIPAddress.v4(IPv4Address(169, 254, 0, 1)).isLinkLocal)
    }
}
