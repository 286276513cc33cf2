import DuplexCore
import Testing

@Suite struct ConfigurationAddressTests {
    @Test(arguments: [
        ("198.51.100.10", "198.51.100.10"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
    ])
    func ipv4Parses(_ text: String, _ canonical: String) {
        #expect(IPv4Address(parsing: text)?.description == canonical)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.-4"])
    func ipv4Refuses(_ text: String) {
        #expect(IPv4Address(parsing: text) == nil)
    }

    @Test(arguments: [
        ("2001:db8::10", "2001:db8::10"), ("::", "::"), ("::1", "::1"), ("1::", "1::"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"), ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ])
    func ipv6ParsesAndPrintsCanonically(_ text: String, _ canonical: String) {
        #expect(IPv6Address(parsing: text)?.description == canonical)
    }

    @Test(arguments: [
        "", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1",
        "1:2:3:4:5:6:7:8::", "::1.2.3", "fe80::1%eth0", "[::1]", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
    ])
    func ipv6Refuses(_ text: String) {
        #expect(IPv6Address(parsing: text) == nil)
    }

    @Test func canonicalFormRoundTrips() {
        var generator = TestRandom(seed: 42)
        for _ in 0..<2_000 {
            // Mostly zero groups, so that compression is exercised.
            let groups = (0..<8).map { _ in generator.next() % 3 == 0 ? UInt16(truncatingIfNeeded: generator.next()) : 0 }
            let address = IPv6Address(groups: groups)
            #expect(IPv6Address(parsing: address.description) == address, "\(address)")
        }
    }

    @Test func endpointsAndPrefixes() {
        #expect(IPEndpoint(parsing: "[2001:db8::1]:7400")?.description == "[2001:db8::1]:7400")
        #expect(IPEndpoint(parsing: "198.51.100.1:7400")?.port == 7400)
        for bad in ["198.51.100.1:0", "198.51.100.1:65536", "2001:db8::1:7400", "[2001:db8::1]", "[1.2.3.4]:1", ":1"] {
            #expect(IPEndpoint(parsing: bad) == nil, "\(bad)")
        }
        #expect(InterfaceAddress(parsing: "2001:db8::10/64")?.prefixLength == 64)
        #expect(InterfaceAddress(parsing: "198.51.100.10/33") == nil)
        #expect(EthernetAddress(parsing: "02:00:5e:00:53:01")?.description == "02:00:5e:00:53:01")
        #expect(EthernetAddress.broadcast.isGroup)
        #expect(EthernetAddress(parsing: "02:00:5e:00:53") == nil)
    }
}
