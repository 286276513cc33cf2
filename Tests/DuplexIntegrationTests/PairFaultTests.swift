import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// Path faults, a bad configuration and an orderly stop (same suite: one lab at a time).
extension PairIntegrationTests {
    @Test func oneDedicatedLinkDownIsAnAlarmNotAFailover() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try Self.startPair(lab)
        let epoch = try #require(try lab.status(.a)).epoch

        try lab.ip(["-n", lab.namespace(.a), "link", "set", "bp1", "down"])
        try lab.waitUntil("B sees bp1 down") { try lab.status(.b)?.pathUp("bp1") == false }
        // Stable for a whole second: every poll must still see the same roles and epoch.
        for _ in 0..<20 {
            let a = try #require(try lab.status(.a))
            let b = try #require(try lab.status(.b))
            #expect(a.role == "active" && a.epoch == epoch, "\(a.summary)")
            #expect(b.role == "standby" && b.epoch == epoch, "\(b.summary)")
            #expect(b.pathUp("bp0") == true && b.pathUp("lan") == true, "\(b.summary)")
            usleep(50_000)
        }
        #expect(try lab.held(.a).all)
        for node in [Node.b, .a] {
            let degraded = try lab.events(node).filter { $0.kind == "alarm" && $0.message.contains("degraded") }
            #expect(!degraded.isEmpty, "\(node.name)'s events show no degraded-redundancy alarm")
        }

        try lab.ip(["-n", lab.namespace(.a), "link", "set", "bp1", "up"])
        try lab.waitUntil("B sees bp1 up again") { try lab.status(.b)?.pathUp("bp1") == true }
        try lab.waitUntil("B's events show redundancy restored") {
            try lab.events(.b).contains { $0.kind == "alarm" && $0.message.contains("restored") }
        }
        #expect(try lab.role(.a) == "active")
        #expect(try lab.role(.b) == "standby")
    }

    /// Drops every heartbeat between the boards: EtherType 0x88B5 at the ingress of both ends
    /// of bp0 and bp1, and UDP port 7400 in and out of A's lan0; the client's traffic (UDP 7500)
    /// still flows. Raw frames sent with PACKET_QDISC_BYPASS skip the netdev egress hook, so A's
    /// egress chains on bp0 and bp1 alone would not stop A's heartbeats: B's ingress chains do.
    static let partition = (table: "duplexcut", boardB: """
        table netdev duplexcut {
            chain bp0in { type filter hook ingress device "bp0" priority 0; policy accept; ether type 0x88b5 drop; }
            chain bp1in { type filter hook ingress device "bp1" priority 0; policy accept; ether type 0x88b5 drop; }
        }
        """, boardA: """
        table netdev duplexcut {
            chain bp0in { type filter hook ingress device "bp0" priority 0; policy accept; ether type 0x88b5 drop; }
            chain bp0out { type filter hook egress device "bp0" priority 0; policy accept; ether type 0x88b5 drop; }
            chain bp1in { type filter hook ingress device "bp1" priority 0; policy accept; ether type 0x88b5 drop; }
            chain bp1out { type filter hook egress device "bp1" priority 0; policy accept; ether type 0x88b5 drop; }
            chain lanin { type filter hook ingress device "lan0" priority 0; policy accept; udp dport 7400 drop; udp sport 7400 drop; }
            chain lanout { type filter hook egress device "lan0" priority 0; policy accept; udp dport 7400 drop; udp sport 7400 drop; }
        }
        """)

    @Test func aHealedPartitionLeavesExactlyOneActive() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try Self.startPair(lab)

        try lab.nft(.a, script: Self.partition.boardA)
        try lab.nft(.b, script: Self.partition.boardB)
        try lab.waitUntil("every path is down on both boards") {
            let a = try lab.status(.a)
            let b = try lab.status(.b)
            return a?.paths.allSatisfy { !$0.up } == true && b?.paths.allSatisfy { !$0.up } == true
        }
        try lab.waitUntil("B takes over (both boards may be active now)") { try lab.role(.b) == "active" }

        try lab.nftDelete(.a, family: "netdev", table: Self.partition.table)
        try lab.nftDelete(.b, family: "netdev", table: Self.partition.table)
        var active: Node = .a
        try lab.waitUntil("exactly one board is active and the other standby") {
            let roles = (try lab.role(.a), try lab.role(.b))
            if roles == ("active", "standby") { active = .a; return true }
            if roles == ("standby", "active") { active = .b; return true }
            return false
        }
        let standby: Node = active == .a ? .b : .a
        try lab.waitUntil("only the active board \(active.name) holds the logical addresses") {
            try lab.held(active).all && lab.held(standby).none
        }
        let paths = try #require(try lab.status(active)).paths
        #expect(paths.allSatisfy { $0.up }, "\(paths)")
        try lab.waitUntilClientReaches(active)
    }

    @Test func aBadConfigurationIsRefusedWithItsLine() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        var lines = try String(contentsOfFile: lab.configuration(.a), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let pair = try #require(lines.firstIndex(of: "[pair]"), "no [pair] section in \(lab.configuration(.a))")
        lines.insert("no-such-key = 1", at: pair + 1)
        let socket = "\(lab.value("DIR"))/bad.sock"
        lines = lines.map { $0.hasPrefix("socket = ") ? "socket = \(socket)" : $0 }
        let path = "\(lab.value("DIR"))/bad.conf"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)

        let result = try Command.run("/usr/sbin/ip", ["netns", "exec", lab.namespace(.a), lab.binaries.duplexd, "--config", path])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("\(path):\(pair + 2):"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains("no-such-key"), "\(result.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: socket), "a refused configuration created \(socket)")
    }

    /// Two boards configured with the same `[board] id` cannot tell each other apart from
    /// their own frames and would both take the role (both holding the address). Started
    /// together, both fail instead, neither holds the address, and each says why.
    @Test func twoBoardsWithTheSameIDBothFailAndSayWhy() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        // A discovery window long enough that both surely start within it.
        var paths: [Node: String] = [:]
        for node in [Node.a, .b] {
            var text = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
            #expect(text.contains("discovery-window = 300ms"))
            text = text.replacingOccurrences(of: "discovery-window = 300ms", with: "discovery-window = 2s")
            if node == .b {
                #expect(text.contains("\nid = 2\n"), "board B's id in \(lab.configuration(.b))")
                text = text.replacingOccurrences(of: "\nid = 2\n", with: "\nid = 1\n")
            }
            paths[node] = "\(lab.value("DIR"))/\(node.rawValue)-same-id.conf"
            try text.write(toFile: paths[node]!, atomically: true, encoding: .utf8)
        }
        try lab.startDaemon(.a, configuration: paths[.a])
        try lab.startDaemon(.b, configuration: paths[.b])
        try lab.waitUntil("both boards failed") { try lab.role(.a) == "failed" && lab.role(.b) == "failed" }
        for node in [Node.a, .b] {
            let held = try lab.held(node)
            #expect(!held.v4 && !held.v6, "board \(node) holds the address: \(held)")
            let events = try lab.events(node).map(\.message)
            #expect(events.contains { $0.contains("uses this board's id 1") }, "board \(node): \(events)")
            #expect(events.contains { $0.contains("starting -> failed") && $0.contains("another board uses this board's id") })
        }
    }

    /// Both boards must configure the same heartbeat timing; each says which it uses in its
    /// frames, and a board that hears other timing raises an alarm naming the path and both.
    @Test func otherHeartbeatTimingOfTheMateRaisesAnAlarm() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let text = try String(contentsOfFile: lab.configuration(.b), encoding: .utf8)
        #expect(text.contains("[link bp1]\n"))
        let path = "\(lab.value("DIR"))/b-timing.conf"
        try text.replacingOccurrences(of: "[link bp1]\n", with: "[link bp1]\nmissed-max = 5\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        try lab.startDaemon(.a)
        try lab.startDaemon(.b, configuration: path)
        // Polled until the daemons answer and the alarm is there.
        func tells(_ node: Node, _ text: String) -> Bool {
            ((try? lab.events(node)) ?? []).contains { $0.message.contains(text) }
        }
        try lab.waitUntil("A tells the mate's other timing") { tells(.a, "heartbeat timing on bp1 is 4ms x 5, this board's 4ms x ") }
        try lab.waitUntil("B tells the mate's other timing") { tells(.b, "this board's 4ms x 5: configure the same on both") }
    }

    @Test func sigtermOnTheActiveHandsOverToTheMate() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemons = try Self.startPair(lab)
        try lab.waitUntilClientReaches(.a)

        daemons.a.send(SIGTERM)
        let status = daemons.a.waitForExit()
        #expect(status == 0, "duplexd on A after SIGTERM: \(status.map { "exit \($0)" } ?? "still running")")
        try lab.waitUntil("B is active") { try lab.role(.b) == "active" }
        try lab.waitUntil("B holds the logical addresses and A none") {
            try lab.held(.b).all && lab.held(.a).none
        }
        try lab.waitUntilClientReaches(.b)
    }
}
