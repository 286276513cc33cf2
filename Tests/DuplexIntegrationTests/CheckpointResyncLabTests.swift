import Duplex
import DuplexTestSupport
import Foundation
import Glibc
import Testing

/// An operator's `duplexctl resync` of a running standby, between real daemons: the standby
/// drops its replica's stream and takes a new snapshot while writes go on and a fifth of the
/// replication datagrams reaching it are lost; it ends hot with every write. The active refuses
/// the command.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct CheckpointResyncLabTests {
    typealias Lab = PairIntegrationTests
    typealias Impaired = CheckpointImpairmentLabTests

    /// Sections written before the resync (256 B each: about 50 snapshot chunks).
    static let fillCount = 6_000

    static func value(_ index: Int) -> [UInt8] {
        (0..<256).map { UInt8(truncatingIfNeeded: index &* 13 &+ $0) }
    }

    /// It found a stall: in one of five loaded runs the standby asked for a further snapshot, the
    /// active started it, and no chunk of it ever reached the standby. The chunks were 32 KiB
    /// datagrams, 23 IP fragments at MTU 1,500; the loss (by UDP port, so of first fragments)
    /// left the others of each lost chunk in B's reassembly memory for 30 s, and once that was
    /// full (4 MiB) the kernel reassembled no chunk at all. Chunks now fit one datagram of the
    /// link (`ReplicationConfiguration.chunkSizeMax`); the replication simulation reproduces
    /// the stall (`ReplicationProfile.resyncUnderLoss`).
    @Test
    func anOperatorResyncUnderLossWhileWritesContinueEndsHotWithEveryWrite() throws {
        let lab = try LabFixture(links: 1, missedMax: LabFixture.floodMissedMax)
        defer { lab.remove() }
        let (active, port) = try Impaired.startPair(lab, name: "resync")
        for index in 0..<Self.fillCount {
            try active.write(SectionKey("f/\(index)"), Self.value(index), mode: .async)
        }
        #expect(try active.flush().isReplicated, "the fill was not replicated")
        let before = try Impaired.counters(lab, .b)["snapshots_installed", default: 0]
        try lab.nft(.b, script: """
            table netdev impair {
                chain ingress {
                    type filter hook ingress device "bp0" priority -500; policy accept;
                    udp dport \(port) numgen random mod 10 < 2 counter drop
                }
            }
            """)
        try lab.duplexctl(.b, ["resync"]).checked()
        // Writes go on during the resync: overwrites of the fill and (at most 1,000) new keys.
        var written = 0
        for index in 0..<4_000 {
            let key = index % 2 == 0 || index >= 2_000 ? "f/\(index)" : "n/\(index)"
            try active.write(SectionKey(key), Self.value(index + 1), mode: .async)
            written += 1
            if index % 500 == 499, try Impaired.counters(lab, .b)["snapshots_installed", default: 0] > before { break }
        }
        try lab.waitUntil("B installed a new snapshot") {
            try Impaired.counters(lab, .b)["snapshots_installed", default: 0] > before
        }
        try lab.nftDelete(.b, family: "netdev", table: "impair")
        #expect(try active.flush().isReplicated, "the writes during the resync were not replicated")
        try lab.waitUntil("B reports a hot replica") {
            try Lab.checkpointStatus(lab, .b)?["hot"] as? Bool == true
        }
        // A counts a snapshot as served when B's install acknowledgement reaches it: read its
        // counters once B is hot, not as soon as B installed.
        let resent = try Impaired.counters(lab, .a)
        let replica = try Duplex.Checkpoint.open(name: active.name, creating: false, socketPath: Lab.checkpointSocket(lab, .b))
        let expected = try Lab.contents(active)
        let held = try Lab.contents(replica)
        #expect(written > 0)
        #expect(expected.count >= Self.fillCount, "A's store: \(expected.count) sections")
        #expect(held == expected, "B's replica differs from A's store: \(held.count) of \(expected.count) sections")
        #expect(resent["snapshots_served", default: 0] >= 2, "A served no second snapshot: \(resent)")
        #expect(resent["chunks_resent", default: 0] > 0, "no snapshot chunk was lost and sent again: \(resent)")
        #expect(try active.write("after", [1])?.isReplicated == true)
        // Only a standby resynchronises.
        let refused = try lab.duplexctl(.a, ["resync"])
        #expect(!refused.succeeded, "the active took a resync: \(refused.output)")
    }

    /// A standby that misses the active for a moment (here: its daemon frozen for 300 ms, so
    /// that the active drops its stream) comes back with the replica of that stream: the
    /// active resumes it from the replica's sequence with the writes made meanwhile, and no
    /// snapshot is sent. Both boards keep their roles; B ends hot with every write.
    @Test func aStandbyBackFromAShortAbsenceResumesItsStreamWithoutASnapshot() throws {
        let lab = try LabFixture(links: 1, missedMax: LabFixture.floodMissedMax)
        defer { lab.remove() }
        let (_, daemonB, active) = try Lab.startReplicatedPair(lab, name: "resume")
        for index in 0..<1_000 {
            try active.write(SectionKey("f/\(index)"), Self.value(index), mode: .async)
        }
        #expect(try active.flush().isReplicated, "the fill was not replicated")
        let installed = try Impaired.counters(lab, .b)["snapshots_installed", default: 0]
        let served = try Impaired.counters(lab, .a)["snapshots_served", default: 0]

        daemonB.send(SIGSTOP)
        try lab.waitUntil("A reports the mate lost") { try Lab.checkpointStatus(lab, .a)?["mate_hot"] as? Bool == false }
        // Writes while B is away: kept by A for a resume (fewer than a window).
        for index in 0..<200 {
            try active.write(SectionKey("f/\(index)"), Self.value(index + 7), mode: .async)
        }
        daemonB.send(SIGCONT)
        try lab.waitUntil("B reports a hot replica") {
            try Lab.checkpointStatus(lab, .b)?["hot"] as? Bool == true
        }
        #expect(try active.write("after", [1])?.isReplicated == true)
        #expect(try lab.role(.a) == "active" && lab.role(.b) == "standby")
        let replica = try Duplex.Checkpoint.open(name: "resume", creating: false, socketPath: Lab.checkpointSocket(lab, .b))
        #expect(try Lab.contents(replica) == Lab.contents(active), "B's replica differs from A's store")
        #expect(try Impaired.counters(lab, .b)["snapshots_installed", default: 0] == installed, "B installed a snapshot")
        #expect(try Impaired.counters(lab, .a)["snapshots_served", default: 0] == served, "A served a snapshot")
        let logs = try FileManager.default.contentsOfDirectory(atPath: lab.logDirectory).filter { $0.hasPrefix("duplexd") }
        let text = try logs.map { try String(contentsOfFile: "\(lab.logDirectory)/\($0)", encoding: .utf8) }.joined()
        #expect(text.contains("streamResumed"), "no resume in the logs")
    }
}
