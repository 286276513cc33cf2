import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// Logical addresses on a virtual MAC (`[address NAME] virtual-mac`): a macvlan interface with
/// the same MAC on both boards, up only on the active. A client whose neighbour entries are
/// pinned to that MAC (it would ignore every gratuitous ARP and NA) still follows a switchover
/// and a failover: the address keeps its MAC, only the switch learns a new port.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct VirtualMACLabTests {
    static let mac = "00:00:5e:00:01:07"
    static let interface = "dx000107"

    /// Both boards' configurations with the logical addresses on the virtual MAC.
    static func configure(_ lab: LabFixture) throws -> [Node: String] {
        var paths: [Node: String] = [:]
        for node in [Node.a, .b] {
            var text = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
            for section in ["[address vip4]\n", "[address vip6]\n"] {
                let header = try #require(text.range(of: section), "no \(section) in \(lab.configuration(node))")
                text.insert(contentsOf: "virtual-mac = \(mac)\n", at: header.upperBound)
            }
            let path = "\(lab.value("DIR"))/\(node.rawValue)-vmac.conf"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths[node] = path
        }
        return paths
    }

    /// `ip -o link show dx000107` in `node`'s namespace: (exists, up, its MAC).
    static func virtualLink(_ lab: LabFixture, _ node: Node) throws -> (up: Bool, mac: String)? {
        let result = try Command.run("/usr/sbin/ip", ["-n", lab.namespace(node), "-o", "link", "show", "dev", interface])
        guard result.succeeded else { return nil }
        let words = result.output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init)
        let mac = words.firstIndex(of: "link/ether").map { words[$0 + 1] } ?? "-"
        let flags = words.first { $0.hasPrefix("<") } ?? ""
        return (up: flags.contains(",UP") || flags.contains("<UP"), mac: mac)
    }

    /// Whether `node`'s virtual interface carries both logical addresses.
    static func holdsOnVirtual(_ lab: LabFixture, _ node: Node) throws -> Bool {
        let output = try lab.ip(["-n", lab.namespace(node), "-o", "addr", "show", "dev", interface])
        return output.contains("\(lab.value("LOGICAL_V4"))/\(lab.value("LOGICAL_V4_PREFIX"))")
            && output.contains("\(lab.value("LOGICAL_V6"))/\(lab.value("LOGICAL_V6_PREFIX"))")
    }

    /// Whether `node`'s virtual interface carries no address at all (no logical address, no
    /// IPv6 link-local: it sends nothing).
    static func silent(_ lab: LabFixture, _ node: Node) throws -> Bool {
        let output = try lab.ip(["-n", lab.namespace(node), "-o", "addr", "show", "dev", interface])
        return !output.contains("inet")
    }

    @Test func theAddressKeepsItsMACAcrossASwitchoverAndAFailover() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let paths = try Self.configure(lab)
        var responders: [Node: SpawnedProcess] = [:]
        for node in [Node.a, .b] {
            responders[node] = try lab.spawn(
                node, label: "probe-\(node.rawValue)", [lab.binaries.probe, "respond", "--name", node.name, "--lifetime", "600s"])
        }
        try lab.startDaemon(.a, configuration: paths[.a])
        let daemonB = try lab.startDaemon(.b, configuration: paths[.b])
        try lab.waitUntil("A active on its virtual interface, B standby with its own silent") {
            guard try lab.role(.a) == "active", try lab.role(.b) == "standby",
                let a = try Self.virtualLink(lab, .a), let b = try Self.virtualLink(lab, .b)
            else { return false }
            return try a.up && !b.up && Self.holdsOnVirtual(lab, .a) && Self.silent(lab, .b)
        }
        #expect(try Self.virtualLink(lab, .a)?.mac == Self.mac)
        #expect(try Self.virtualLink(lab, .b)?.mac == Self.mac)
        #expect(try lab.held(.a).none, "the logical addresses are on \(Self.interface), not on lan0")
        // The parent answers ARP only for its own addresses.
        #expect(try Command.run("/usr/sbin/ip", ["netns", "exec", lab.namespace(.a), "cat", "/proc/sys/net/ipv4/conf/lan0/arp_ignore"]).output
            .hasPrefix("1"))
        try lab.waitUntilClientReaches(.a)
        try lab.waitUntilClientReaches(.a, ipv6: true)

        // The client learnt the virtual MAC; pinned, no announcement can change it.
        let client = lab.namespace(.c)
        let learnt = try lab.ip(["-n", client, "neigh", "show", lab.value("LOGICAL_V4")])
        #expect(learnt.contains("lladdr \(Self.mac)"), "\(learnt)")
        for address in [lab.value("LOGICAL_V4"), lab.value("LOGICAL_V6")] {
            try lab.ip(["-n", client, "neigh", "replace", address, "lladdr", Self.mac, "dev", lab.value("LAN_IF"), "nud", "permanent"])
        }

        // Switchover: the addresses move to B's virtual interface; A's goes down.
        try lab.duplexctl(.a, ["switchover"]).checked()
        try lab.waitUntil("B active on the virtual MAC, A's virtual interface down") {
            guard try lab.role(.b) == "active", let a = try Self.virtualLink(lab, .a) else { return false }
            return try !a.up && Self.holdsOnVirtual(lab, .b) && Self.silent(lab, .a)
        }
        try lab.waitUntilClientReaches(.b)
        try lab.waitUntilClientReaches(.b, ipv6: true)

        // Failover: B's daemon and responder frozen; A takes over with the same MAC.
        let responder = try #require(responders[.b])
        daemonB.send(SIGSTOP)
        responder.send(SIGSTOP)
        defer {
            daemonB.send(SIGCONT)
            responder.send(SIGCONT)
        }
        try lab.waitUntil("A took over on the virtual MAC") { try lab.role(.a) == "active" && Self.holdsOnVirtual(lab, .a) }
        try lab.waitUntilClientReaches(.a)
        try lab.waitUntilClientReaches(.a, ipv6: true)
        #expect(try lab.ip(["-n", client, "neigh", "show", lab.value("LOGICAL_V4")]).contains("lladdr \(Self.mac)"))
        // Thawed, B steps down, removes its addresses and takes its virtual interface down.
        daemonB.send(SIGCONT)
        responder.send(SIGCONT)
        try lab.waitUntil("B is standby again with its virtual interface down") {
            guard try lab.role(.b) == "standby", let b = try Self.virtualLink(lab, .b) else { return false }
            return try !b.up && Self.silent(lab, .b) && Self.holdsOnVirtual(lab, .a)
        }
        try lab.waitUntilClientReaches(.a)
    }

    /// A virtual MAC that is multicast, or a virtual interface without a MAC, stops the start
    /// with the file, line and key.
    @Test func aBadVirtualMACStopsTheStart() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        var text = try String(contentsOfFile: lab.configuration(.a), encoding: .utf8)
        let header = try #require(text.range(of: "[address vip4]\n"))
        text.insert(contentsOf: "virtual-mac = 01:00:5e:00:01:07\n", at: header.upperBound)
        let path = "\(lab.value("DIR"))/a-bad-vmac.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("virtual-mac") }! + 1
        let result = try Command.run("/usr/sbin/ip", ["netns", "exec", lab.namespace(.a), lab.binaries.duplexd, "--config", path])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("\(path):\(line):") && result.errorOutput.contains("multicast"), "\(result.errorOutput)")
    }
}
