import DuplexCore
import Foundation
import Testing

/// The `replication = LOCAL -> PEER` key of a dedicated `[link NAME]` section.
@Suite struct ReplicationConfigurationTests {
    static let base = ConfigurationTests.base

    static func endpoint(_ text: String) -> IPEndpoint { IPEndpoint(parsing: text)! }

    static func withKey(_ value: String) -> String {
        base.replacingOccurrences(of: "interface = bp0\n", with: "interface = bp0\nreplication = \(value)\n")
    }

    @Test func absentByDefault() throws {
        let configuration = try Configuration.parse(text: Self.base, file: "t.conf")
        #expect(configuration.links[0].replication == nil)
    }

    @Test(arguments: [
        ("192.0.2.1:7410 -> 192.0.2.2:7410", "192.0.2.1:7410", "192.0.2.2:7410"),
        ("192.0.2.5:7410->192.0.2.6:7411", "192.0.2.5:7410", "192.0.2.6:7411"),
        ("[2001:db8:2::1]:7410 -> [2001:db8:2::2]:7410", "[2001:db8:2::1]:7410", "[2001:db8:2::2]:7410"),
        ("192.0.2.1:7410 \t->  192.0.2.2:7410   # trailing comment", "192.0.2.1:7410", "192.0.2.2:7410"),
    ])
    func parsesLocalAndPeer(value: String, local: String, peer: String) throws {
        let configuration = try Configuration.parse(text: Self.withKey(value), file: "t.conf")
        #expect(configuration.links[0].replication
            == Configuration.Link.Replication(local: Self.endpoint(local), peer: Self.endpoint(peer)))
    }

    @Test(arguments: [
        ("192.0.2.1:7410", "is not \"LOCAL -> PEER\""),
        ("192.0.2.1:7410 -> 192.0.2.2:7410 -> 192.0.2.3:7410", "is not \"LOCAL -> PEER\""),
        ("192.0.2.1 -> 192.0.2.2:7410", "is not an address and port"),
        ("192.0.2.1:7410 -> 192.0.2.2:0", "is not an address and port"),
        ("192.0.2.1:7410 -> 224.0.0.1:7410", "is not a unicast address"),
        ("192.0.2.1:7410 -> [2001:db8::2]:7410", "different address families"),
        ("192.0.2.1:7410 -> 192.0.2.1:7411", "is the local address too"),
    ])
    func refusesBadValuesWithFileLineAndKey(value: String, message: String) {
        let error = ConfigurationTests.error(Self.withKey(value))
        #expect(error?.code == .invalidValue)
        #expect(error?.file == "t.conf" && error?.line == 14)
        #expect(error?.section == "link bp0" && error?.key == "replication")
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    @Test func onlyDedicatedLinksCarryIt() {
        let text = Self.base.replacingOccurrences(
            of: "type = ethernet\ninterface = bp0\n",
            with: "type = udp\nlocal = 198.51.100.1:7400\npeer = 198.51.100.2:7400\nreplication = 192.0.2.1:7410 -> 192.0.2.2:7410\n")
        let error = ConfigurationTests.error(text)
        #expect(error?.code == .unknownKey && error?.key == "replication" && error?.section == "link bp0")
    }

    @Test func twoLinksCannotBindOneEndpoint() {
        let text = Self.withKey("192.0.2.1:7410 -> 192.0.2.2:7410")
            + "[link bp1]\ntype = ethernet\ninterface = bp1\nreplication = 192.0.2.1:7410 -> 192.0.2.6:7410\n"
        let error = ConfigurationTests.error(text)
        #expect(error?.code == .inconsistent && error?.key == "replication" && error?.section == "link bp1")
        #expect(error?.message.contains("[link bp0]") == true)
    }

    @Test func twoLinksEachWithTheirOwnPath() throws {
        let text = Self.withKey("192.0.2.1:7410 -> 192.0.2.2:7410")
            + "[link bp1]\ntype = ethernet\ninterface = bp1\nreplication = 192.0.2.5:7410 -> 192.0.2.6:7410\n"
        let configuration = try Configuration.parse(text: text, file: "t.conf")
        #expect(configuration.links.compactMap(\.replication?.peer) == [Self.endpoint("192.0.2.2:7410"), Self.endpoint("192.0.2.6:7410")])
    }

    /// The sample files name the lab's addresses in a commented line that parses once uncommented.
    @Test(arguments: ["board-a.conf", "board-b.conf"])
    func samplesParseWithTheKeyUncommented(file: String) throws {
        let url = ConfigurationTests.configDirectory.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("# replication = "))
        let uncommented = text.replacingOccurrences(of: "# replication = ", with: "replication = ")
        let configuration = try Configuration.parse(text: uncommented, file: file)
        let paths = configuration.links.compactMap(\.replication)
        #expect(paths.count == 2)
        let boardA = file == "board-a.conf"
        #expect(paths.map(\.local.address.description) == (boardA ? ["192.0.2.1", "192.0.2.5"] : ["192.0.2.2", "192.0.2.6"]))
        #expect(paths.map(\.peer.address.description) == (boardA ? ["192.0.2.2", "192.0.2.6"] : ["192.0.2.1", "192.0.2.5"]))
    }
}
