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

/// `[address NAME] virtual-mac` and `virtual-interface`.
@Suite struct VirtualMACConfigurationTests {
    static let base = CheckpointConfigurationTests.base

    static func parse(_ addresses: String) throws(ConfigurationError) -> Configuration {
        try Configuration.parse(text: base + "\n" + addresses, file: "t.conf")
    }

    /// vip4 on the virtual MAC, and the head of vip6 on the same interface.
    static let twoAddresses = """
        [address vip4]
        address = 198.51.100.10/24
        interface = lan0
        virtual-mac = 00:00:5e:00:01:07
        [address vip6]
        address = 2001:db8::10/64
        interface = lan0

        """

    @Test func aVirtualMACPutsTheAddressOnAMacvlanNamedAfterIt() throws {
        let configuration = try Self.parse(Self.twoAddresses + """
            virtual-mac = 00:00:5e:00:01:07
            [address other]
            address = 203.0.113.10/24
            interface = lan0
            virtual-mac = 02:00:00:00:00:2a
            virtual-interface = service0
            [address plain]
            address = 203.0.113.11/24
            interface = lan1
            """)
        let addresses = configuration.addresses
        #expect(addresses.map(\.carrier) == ["dx000107", "dx000107", "service0", "lan1"])
        #expect(addresses[0].virtual == Configuration.VirtualInterface(name: "dx000107", mac: EthernetAddress(parsing: "00:00:5e:00:01:07")!))
        #expect(addresses[0].interface == "lan0" && addresses[3].virtual == nil)
    }

    @Test func inconsistentVirtualInterfacesAreErrorsWithTheirLine() {
        let cases: [(String, String)] = [
            ("virtual-mac = 01:00:5e:00:01:07\n", "multicast"),
            ("virtual-interface = vip0\n", "needs a virtual-mac"),
            ("virtual-mac = 00:00:5e:00:01:07\nvirtual-interface = lan0\n", "cannot be lan0 itself"),
        ]
        for (lines, message) in cases {
            let addresses = "[address vip4]\naddress = 198.51.100.10/24\ninterface = lan0\n" + lines
            do {
                _ = try Self.parse(addresses)
                Issue.record("accepted: \(lines)")
            } catch {
                let text = Self.base + "\n" + addresses
                let line = text.split(separator: "\n", omittingEmptySubsequences: false)
                    .firstIndex { $0.hasPrefix(error.key ?? "-") }.map { $0 + 1 }
                #expect(error.line == line && error.key?.hasPrefix("virtual-") == true && "\(error)".contains(message), "\(error)")
            }
        }
        // One name, two MACs; one MAC on one parent, two names.
        for second in ["virtual-mac = 00:00:5e:00:01:08\nvirtual-interface = dx000107\n", "virtual-mac = 00:00:5e:00:01:07\nvirtual-interface = other0\n"] {
            do {
                _ = try Self.parse(Self.twoAddresses + second)
                Issue.record("accepted: \(second)")
            } catch {
                #expect(error.code == .inconsistent && "\(error)".contains("[address vip4]"), "\(error)")
            }
        }
    }
}

/// `[announce] virtual-refresh-count` and `virtual-refresh-interval`.
@Suite struct VirtualRefreshConfigurationTests {
    @Test func theRefreshIsReadWithItsDefaultsAndBounds() throws {
        let base = CheckpointConfigurationTests.base
        let defaults = try Configuration.parse(text: base, file: "t.conf").announce
        #expect(defaults.virtualRefreshCount == 60 && defaults.virtualRefreshInterval == .milliseconds(20))
        let set = try Configuration.parse(
            text: base + "\n[announce]\nvirtual-refresh-count = 0\nvirtual-refresh-interval = 1s\n", file: "t.conf").announce
        #expect(set.virtualRefreshCount == 0 && set.virtualRefreshInterval == .seconds(1))
        for (line, key) in [("virtual-refresh-count = 101", "virtual-refresh-count"), ("virtual-refresh-interval = 5ms", "virtual-refresh-interval")] {
            do {
                _ = try Configuration.parse(text: base + "\n[announce]\n" + line + "\n", file: "t.conf")
                Issue.record("accepted: \(line)")
            } catch {
                #expect(error.key == key && error.line == base.split(separator: "\n", omittingEmptySubsequences: false).count + 2, "\(error)")
            }
        }
    }
}

/// `[announce] refresh-interval`: the periodic announcement while the addresses are held.
@Suite struct PeriodicRefreshConfigurationTests {
    @Test func theIntervalIsOffByDefaultAndZeroMeansNever() throws {
        let base = CheckpointConfigurationTests.base
        #expect(try Configuration.parse(text: base, file: "t.conf").announce.refreshInterval == nil)
        for (value, expected) in [("1s", Duration.seconds(1)), ("10ms", .milliseconds(10)), ("3600s", .seconds(3600))] {
            let announce = try Configuration.parse(text: base + "\n[announce]\nrefresh-interval = \(value)\n", file: "t.conf").announce
            #expect(announce.refreshInterval == expected, "\(value)")
        }
        for value in ["0", "0ms", "0s"] {
            let announce = try Configuration.parse(text: base + "\n[announce]\nrefresh-interval = \(value)\n", file: "t.conf").announce
            #expect(announce.refreshInterval == nil, "\(value) means never")
        }
    }

    @Test func aBadIntervalNamesTheFileLineAndKey() throws {
        let base = CheckpointConfigurationTests.base
        let line = base.split(separator: "\n", omittingEmptySubsequences: false).count + 2
        for value in ["5ms", "3601s", "soon", "-1s", "1"] {
            do {
                _ = try Configuration.parse(text: base + "\n[announce]\nrefresh-interval = \(value)\n", file: "b.conf")
                Issue.record("accepted: refresh-interval = \(value)")
            } catch {
                #expect(error.key == "refresh-interval" && error.line == line && error.file == "b.conf", "\(error)")
                #expect("\(error)".contains("b.conf") && "\(error)".contains("refresh-interval"), "\(error)")
            }
        }
    }
}
