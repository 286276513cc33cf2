import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// `[announce] refresh-interval`: the active announces its logical addresses again at that
/// interval for as long as it holds them, and stops when it hands them over. Counted where a
/// neighbour sees them: nftables counters in the client's namespace, per sending board, for
/// gratuitous ARPs of the logical IPv4 address and unsolicited neighbour advertisements to
/// all nodes.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct AnnouncementRefreshLabTests {
    static let interval = 50  // ms

    /// Both boards' configurations with the periodic refresh.
    static func configure(_ lab: LabFixture) throws -> [Node: String] {
        var paths: [Node: String] = [:]
        for node in [Node.a, .b] {
            var text = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
            let header = try #require(text.range(of: "[announce]\n"), "no [announce] in \(lab.configuration(node))")
            text.insert(contentsOf: "refresh-interval = \(interval)ms\n", at: header.upperBound)
            let path = "\(lab.value("DIR"))/\(node.rawValue)-refresh.conf"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths[node] = path
        }
        return paths
    }

    /// The MAC of `node`'s service LAN interface.
    static func lanMAC(_ lab: LabFixture, _ node: Node) throws -> String {
        let output = try lab.ip(["-n", lab.namespace(node), "-o", "link", "show", "dev", lab.value("LAN_IF")])
        let words = output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init)
        return try #require(words.firstIndex(of: "link/ether").map { words[$0 + 1] }, "no MAC in: \(output)")
    }

    /// Counters in the client's namespace: gratuitous ARPs of the logical IPv4 address (request,
    /// sender and target both the address) and neighbour advertisements to all nodes, each
    /// per board by its source MAC; rule order A's ARP, B's ARP, A's NA, B's NA.
    static func installCounters(_ lab: LabFixture, macA: String, macB: String) throws {
        let v4 = lab.value("LOGICAL_V4")
        try lab.nft(.c, script: """
            table arp refresh {
                chain input {
                    type filter hook input priority 0; policy accept;
                    arp operation request arp saddr ip \(v4) arp daddr ip \(v4) ether saddr \(macA) counter
                    arp operation request arp saddr ip \(v4) arp daddr ip \(v4) ether saddr \(macB) counter
                }
            }
            table ip6 refresh {
                chain input {
                    type filter hook input priority 0; policy accept;
                    ip6 daddr ff02::1 icmpv6 type nd-neighbor-advert ether saddr \(macA) counter
                    ip6 daddr ff02::1 icmpv6 type nd-neighbor-advert ether saddr \(macB) counter
                }
            }
            """)
    }

    /// (A's ARP, B's ARP, A's NA, B's NA) counted so far.
    static func counts(_ lab: LabFixture) throws -> (arpA: UInt64, arpB: UInt64, naA: UInt64, naB: UInt64) {
        var values: [UInt64] = []
        for family in ["arp", "ip6"] {
            let output = try lab.ip(["netns", "exec", lab.namespace(.c), "nft", "list", "table", family, "refresh"])
            let counted = output.components(separatedBy: "counter packets ").dropFirst().compactMap { UInt64($0.prefix { $0.isNumber }) }
            guard counted.count == 2 else { throw LabError("expected two counters in: \(output)") }
            values += counted
        }
        return (values[0], values[1], values[2], values[3])
    }

    @Test func theActiveAnnouncesAgainWhileItHoldsTheAddressesAndStopsWhenItHandsThemOver() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let paths = try Self.configure(lab)
        try lab.startDaemon(.a, configuration: paths[.a])
        try lab.startDaemon(.b, configuration: paths[.b])
        try lab.waitUntil("A active, B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let (macA, macB) = (try Self.lanMAC(lab, .a), try Self.lanMAC(lab, .b))
        #expect(macA != macB)
        // Installed after the claim's burst: whatever they count is the refresh.
        try Self.installCounters(lab, macA: macA, macB: macB)
        // Six refreshes take 300 ms at 50 ms; waited for up to 5 s (100 x 50 ms).
        try lab.waitUntil("the client counted six refreshes of each address from A") {
            let counted = try Self.counts(lab)
            return counted.arpA >= 6 && counted.naA >= 6
        }
        let beforeSwitchover = try Self.counts(lab)
        #expect(beforeSwitchover.arpB == 0 && beforeSwitchover.naB == 0, "the standby announced: \(beforeSwitchover)")

        // A switchover: B claims and refreshes from then on; A, released, sends none.
        try lab.duplexctl(.a, ["switchover"]).checked()
        try lab.waitUntil("B active, A standby") { try lab.role(.b) == "active" && lab.role(.a) == "standby" }
        let handedOver = try Self.counts(lab)
        let handedOverAt = ContinuousClock.now
        try lab.waitUntil("the client counted six more announcements of each address from B") {
            let counted = try Self.counts(lab)
            return counted.arpB >= handedOver.arpB + 6 && counted.naB >= handedOver.naB + 6
        }
        let after = try Self.counts(lab)
        let elapsed = ContinuousClock.now - handedOverAt
        #expect(after.arpA == handedOver.arpA && after.naA == handedOver.naA,
                "A announced after it released the addresses: \(handedOver) then \(after)")
        // At the configured cadence, not faster: one per interval and address since the counts
        // were read, plus the rest of the claim's burst of three and one that was on its way.
        let intervals = UInt64(elapsed / .milliseconds(Self.interval))
        #expect(after.arpB - handedOver.arpB <= intervals + 4, "\(after.arpB - handedOver.arpB) ARPs in \(elapsed)")
        #expect(after.naB - handedOver.naB <= intervals + 4, "\(after.naB - handedOver.naB) NAs in \(elapsed)")
    }
}
