import Duplex
import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// Checkpoint replication over an impaired dedicated link, between real daemons (a lab with
/// one dedicated link, bp0, that carries the heartbeats as raw Ethernet and the replication as
/// UDP). This kernel has no `tc netem`, so the impairments are made of what it has: nftables
/// drops at random on the standby's ingress (loss); nftables `dup to` on the active's
/// postrouting hook (duplication); and an HTB class with a low rate that an nftables rule sends
/// a random share of the datagrams to, so that they leave after the ones behind them
/// (reordering, bounded by the class's rate and queue). Only the replication port is touched;
/// the heartbeats (another EtherType) never are, so the pair stays as it is.
///
/// Every case proves that the acknowledged writes are on the standby's replica and that the
/// replication repaired the stream (`duplexctl checkpoints --json` counters).
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct CheckpointImpairmentLabTests {
    typealias Lab = PairIntegrationTests

    /// Writes made under impairment; every `syncInterval`th is synchronous, the others
    /// asynchronous.
    static let writeCount = 3_000
    /// One write in this many is synchronous. The asynchronous writes before it leave in update
    /// batches of one datagram each (about 16 writes of 64 bytes at MTU 1,500), so a burst of 32
    /// is two datagrams or more: one can be lost or held back while a later one arrives, the
    /// gap the standby reports. (A burst of one datagram, that the client waits for, is lost or
    /// held back whole and repaired by retransmission alone.)
    static let syncInterval = 32

    /// Starts both daemons with replication on bp0 (sync policy `fail`) and returns the
    /// checkpoint opened on the active, A, once B's replica is hot; and the replication port.
    static func startPair(_ lab: LabFixture, name: String) throws -> (Duplex.Checkpoint, port: Int) {
        let configurationA = try Lab.checkpointConfiguration(lab, .a, policy: "fail")
        try lab.startDaemon(.a, configuration: configurationA)
        try lab.startDaemon(.b, configuration: Lab.checkpointConfiguration(lab, .b, policy: "fail"))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 8 << 20, sectionsMax: 8192, sectionSizeMax: 256)
        let active = try Duplex.Checkpoint.open(name: name, limits: limits, socketPath: Lab.checkpointSocket(lab, .a))
        try Lab.waitUntilReplicated(active, lab)
        return (active, try replicationPort(configurationA))
    }

    /// The port of the first `replication = ADDRESS:PORT -> ...` line of a configuration.
    static func replicationPort(_ path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("replication = ") }),
            let local = line.dropFirst("replication = ".count).split(separator: " ").first,
            let colon = local.lastIndex(of: ":"), let port = Int(local[local.index(after: colon)...])
        else { throw LabError("no replication endpoint in \(path)") }
        return port
    }

    /// Writes `w/INDEX` for `writeCount` indices, every `syncInterval`th synchronously (each
    /// must come back replicated), then flushes: when `flush` comes back replicated, every
    /// earlier write is on the mate's replica.
    static func writeUnderImpairment(_ checkpoint: Duplex.Checkpoint) throws {
        var notReplicated: [Int] = []
        for index in 0..<writeCount {
            let mode: WriteMode = index % Self.syncInterval == 0 ? .sync : .async
            let result = try checkpoint.write(SectionKey("w/\(index)"), Lab.payload(index), mode: mode)
            if mode == .sync, result?.isReplicated != true { notReplicated.append(index) }
        }
        #expect(notReplicated.isEmpty, "sync writes not acknowledged by the mate: \(notReplicated.prefix(10))")
        #expect(try checkpoint.flush().isReplicated, "the flush after the writes was not replicated")
    }

    /// Expects B's replica to hold exactly what A's store holds, every write included.
    static func expectReplicaEqual(_ lab: LabFixture, _ active: Duplex.Checkpoint) throws {
        let replica = try Duplex.Checkpoint.open(name: active.name, creating: false, socketPath: Lab.checkpointSocket(lab, .b))
        #expect(!replica.isWritable)
        let expected = try Lab.contents(active)
        #expect(expected.count == writeCount + 1, "A's store: \(expected.count) sections")
        let held = try Lab.contents(replica)
        let missing = (0..<writeCount).filter { held["w/\($0)"] != Lab.payload($0) }
        #expect(missing.isEmpty, "writes missing or wrong on B's replica: \(missing.prefix(10))")
        #expect(held == expected, "B's replica differs from A's store")
    }

    /// The replication counters of board `node` (`duplexctl checkpoints --json`).
    static func counters(_ lab: LabFixture, _ node: Node) throws -> [String: UInt64] {
        let output = try lab.duplexctl(node, ["checkpoints", "--json"]).checked().output
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
            let replication = object["replication"] as? [String: Any],
            let counters = replication["counters"] as? [String: Any]
        else { throw LabError("no replication counters in: \(output)") }
        return counters.compactMapValues { ($0 as? NSNumber)?.uint64Value }
    }

    /// The packets that the `counter` statements of nftables table `family table` of board
    /// `node` counted, in rule order.
    static func nftCounts(_ lab: LabFixture, _ node: Node, family: String, table: String) throws -> [UInt64] {
        let output = try lab.ip(["netns", "exec", lab.namespace(node), "nft", "list", "table", family, table])
        return output.components(separatedBy: "counter packets ").dropFirst().compactMap { UInt64($0.prefix { $0.isNumber }) }
    }

    /// Expects B to be a hot standby again once the impairment is gone: its status says hot
    /// and a sync write comes back replicated.
    static func expectHotAgain(_ lab: LabFixture, _ active: Duplex.Checkpoint) throws {
        try lab.waitUntil("B reports a hot replica") {
            try Lab.checkpointStatus(lab, .b)?["hot"] as? Bool == true && lab.role(.b) == "standby"
        }
        #expect(try active.write("after", [1])?.isReplicated == true)
        #expect(try lab.role(.a) == "active")
    }

    @Test func lossOnTheDedicatedLinkIsRepairedByRetransmission() throws {
        let lab = try LabFixture(links: 1, missedMax: LabFixture.floodMissedMax)
        defer { lab.remove() }
        let (active, port) = try Self.startPair(lab, name: "lossy")
        // A fifth of the replication datagrams that reach B are dropped, on bp0's ingress.
        try lab.nft(.b, script: """
            table netdev impair {
                chain ingress {
                    type filter hook ingress device "bp0" priority -500; policy accept;
                    udp dport \(port) numgen random mod 10 < 2 counter drop
                }
            }
            """)
        try Self.writeUnderImpairment(active)
        let dropped = try Self.nftCounts(lab, .b, family: "netdev", table: "impair")
        try lab.nftDelete(.b, family: "netdev", table: "impair")

        try Self.expectReplicaEqual(lab, active)
        let a = try Self.counters(lab, .a)
        let b = try Self.counters(lab, .b)
        #expect(dropped.first ?? 0 > 0, "the rule dropped nothing: \(dropped)")
        #expect(a["updates_resent", default: 0] > 0, "no retransmission: A \(a)")
        #expect(b["nacks_sent", default: 0] > 0 && a["nacks_received", default: 0] > 0, "no gap reported: A \(a), B \(b)")
        try Self.expectHotAgain(lab, active)
    }

    /// The IPv4 fragments board `node`'s kernel received so far (`ReasmReqds`).
    static func fragmentsReceived(_ lab: LabFixture, _ node: Node) throws -> UInt64 {
        let snmp = try lab.ip(["netns", "exec", lab.namespace(node), "cat", "/proc/net/snmp"])
        let lines = snmp.split(separator: "\n").filter { $0.hasPrefix("Ip:") }
        guard lines.count == 2, let index = lines[0].split(separator: " ").firstIndex(of: "ReasmReqds"),
            let value = UInt64(lines[1].split(separator: " ")[index])
        else { throw LabError("no ReasmReqds in: \(snmp)") }
        return value
    }

    /// Sections of 4 KiB at MTU 1,500 under a fifth of the datagrams lost: each update goes as
    /// three segments of one datagram each, which the rule (by UDP port) drops one by one, and
    /// the kernel fragments nothing (IP fragments that lost their first, the one with the port,
    /// would sit in B's reassembly memory for 30 s). Every acknowledged write is on B's
    /// replica, and B is hot again after.
    @Test func largeSectionsUnderLossGoAsSegments() throws {
        let lab = try LabFixture(links: 1, missedMax: LabFixture.floodMissedMax)
        defer { lab.remove() }
        let configurationA = try Lab.checkpointConfiguration(lab, .a, policy: "fail")
        try lab.startDaemon(.a, configuration: configurationA)
        try lab.startDaemon(.b, configuration: Lab.checkpointConfiguration(lab, .b, policy: "fail"))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 8 << 20, sectionsMax: 1024, sectionSizeMax: 4096)
        let active = try Duplex.Checkpoint.open(name: "large", limits: limits, socketPath: Lab.checkpointSocket(lab, .a))
        try Lab.waitUntilReplicated(active, lab)
        let port = try Self.replicationPort(configurationA)
        let fragmentsBefore = try Self.fragmentsReceived(lab, .b)
        try lab.nft(.b, script: """
            table netdev impair {
                chain ingress {
                    type filter hook ingress device "bp0" priority -500; policy accept;
                    udp dport \(port) numgen random mod 10 < 2 counter drop
                }
            }
            """)
        func value(_ index: Int) -> [UInt8] { (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) } }
        let count = 400
        var notReplicated: [Int] = []
        for index in 0..<count {
            let mode: WriteMode = index % 8 == 0 ? .sync : .async
            let result = try active.write(SectionKey("w/\(index % 200)"), value(index), mode: mode)
            if mode == .sync, result?.isReplicated != true { notReplicated.append(index) }
        }
        #expect(notReplicated.isEmpty, "sync writes not acknowledged by the mate: \(notReplicated.prefix(10))")
        #expect(try active.flush().isReplicated, "the flush after the writes was not replicated")
        let dropped = try Self.nftCounts(lab, .b, family: "netdev", table: "impair")
        try lab.nftDelete(.b, family: "netdev", table: "impair")

        let replica = try Duplex.Checkpoint.open(name: "large", creating: false, socketPath: Lab.checkpointSocket(lab, .b))
        let held = try Lab.contents(replica)
        let wrong = (200..<count).filter { held["w/\($0 % 200)"] != value($0) }
        #expect(wrong.isEmpty, "sections missing or old on B's replica: \(wrong.prefix(10))")
        #expect(held == (try Lab.contents(active)), "B's replica differs from A's store")
        #expect(dropped.first ?? 0 > 0, "the rule dropped nothing: \(dropped)")
        #expect(try Self.counters(lab, .a)["updates_resent", default: 0] > 0, "no retransmission")
        #expect(try Self.fragmentsReceived(lab, .b) == fragmentsBefore, "B's kernel received IP fragments")
        try Self.expectHotAgain(lab, active)
    }

    /// Sends a random fifth of A's replication datagrams on bp0 through a slow HTB class
    /// (1:20, 512 kbit/s, a queue of at most 200 datagrams), so that they arrive after later
    /// ones; and duplicates another random fifth.
    static func holdBackSome(_ lab: LabFixture, port: Int) throws {
        let namespace = lab.namespace(.a)
        for arguments in [
            ["qdisc", "add", "dev", "bp0", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000"],
            ["class", "add", "dev", "bp0", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit"],
            ["class", "add", "dev", "bp0", "parent", "1:", "classid", "1:20", "htb", "rate", "512kbit", "burst", "1600"],
            ["qdisc", "add", "dev", "bp0", "parent", "1:20", "handle", "20:", "pfifo", "limit", "200"],
        ] {
            try Command.run("/usr/sbin/tc", ["-n", namespace] + arguments).checked()
        }
        try lab.nft(.a, script: """
            table ip impair {
                chain postrouting {
                    type filter hook postrouting priority 0; policy accept;
                    udp dport \(port) numgen random mod 10 < 2 counter dup to 192.0.2.2 device "bp0"
                    udp dport \(port) numgen random mod 10 < 2 counter meta priority set 1:20
                }
            }
            """)
    }

    /// The packets class `classid` of bp0's HTB on board A sent, dropped, and held back over
    /// its rate (`tc -s class show`).
    static func classCounts(_ lab: LabFixture, classid: String) throws -> (sent: UInt64, dropped: UInt64, overlimits: UInt64) {
        let output = try Command.run("/usr/sbin/tc", ["-n", lab.namespace(.a), "-s", "class", "show", "dev", "bp0"]).checked().output
        guard let start = output.range(of: "class htb \(classid) ") else { throw LabError("no class \(classid): \(output)") }
        let words = output[start.upperBound...].split(whereSeparator: { " \n,()".contains($0) })
        func after(_ word: String) -> UInt64 { words.firstIndex(of: Substring(word)).flatMap { UInt64(words[$0 + 1]) } ?? 0 }
        return (after("bytes"), after("dropped"), after("overlimits"))
    }

    @Test func duplicatedAndReorderedDatagramsAreDroppedOnceAndRepaired() throws {
        let lab = try LabFixture(links: 1, missedMax: LabFixture.floodMissedMax)
        defer { lab.remove() }
        let (active, port) = try Self.startPair(lab, name: "shuffled")
        try Self.holdBackSome(lab, port: port)
        try Self.writeUnderImpairment(active)
        let ruleCounts = try Self.nftCounts(lab, .a, family: "ip", table: "impair")
        let slow = try Self.classCounts(lab, classid: "1:20")
        try lab.nftDelete(.a, family: "ip", table: "impair")
        try Command.run("/usr/sbin/tc", ["-n", lab.namespace(.a), "qdisc", "del", "dev", "bp0", "root"]).checked()

        try Self.expectReplicaEqual(lab, active)
        let a = try Self.counters(lab, .a)
        let b = try Self.counters(lab, .b)
        #expect(ruleCounts.count == 2 && ruleCounts.allSatisfy { $0 > 0 }, "a rule matched nothing: \(ruleCounts)")
        #expect(slow.sent > 0 && slow.overlimits > 0, "the slow class held nothing back: \(slow)")
        #expect(b["duplicates_dropped", default: 0] > 0, "no duplicate dropped: B \(b)")
        // Held-back datagrams open gaps that B reports and A repairs.
        #expect(b["nacks_sent", default: 0] > 0 && a["updates_resent", default: 0] > 0, "no gap repaired: A \(a), B \(b)")
        try Self.expectHotAgain(lab, active)
    }
}
