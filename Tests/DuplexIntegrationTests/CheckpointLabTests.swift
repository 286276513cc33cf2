import Duplex
import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// Checkpoints between real daemons: replication over the lab's dedicated links (UDP, the
/// `replication` keys of board-a/b.conf uncommented), sync policy `fail`.
extension PairIntegrationTests {
    /// The lab's configuration of `node` with checkpoint replication on.
    static func checkpointConfiguration(_ lab: LabFixture, _ node: Node) throws -> String {
        let text = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
        let enabled = text.replacingOccurrences(of: "# replication = ", with: "replication = ")
            + "\n[checkpoint]\nsync-policy = fail\n"
        let path = "\(lab.value("DIR"))/\(node.rawValue)-checkpoint.conf"
        try enabled.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The checkpoint socket next to the lab's control socket.
    static func checkpointSocket(_ lab: LabFixture, _ node: Node) -> String {
        String(lab.socket(node).dropLast(".sock".count)) + "-checkpoint.sock"
    }

    @Test func acknowledgedSyncWritesSurviveAKilledActive() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemonA = try lab.startDaemon(.a, configuration: Self.checkpointConfiguration(lab, .a))
        try lab.startDaemon(.b, configuration: Self.checkpointConfiguration(lab, .b))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }

        let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 320, sectionSizeMax: 256)
        let active = try Duplex.Checkpoint.open(name: "calls", limits: limits, socketPath: Self.checkpointSocket(lab, .a))
        #expect(active.isWritable)
        // B becomes hot once it installed its first snapshot: until then a sync write is refused.
        let hot = poll {
            do throws(CheckpointClientError) {
                return try active.write("hello", [1])?.isReplicated == true
            } catch {
                #expect(error.code == .mateNotHot, "\(error)")
                return false
            }
        }
        #expect(hot, "B's replica never became hot: \(lab.diagnostics())")
        guard hot else { return }

        var acknowledged: [String: [UInt8]] = [:]
        for index in 0..<300 {
            let key = "call/\(index)"
            let value = (0..<64).map { UInt8(truncatingIfNeeded: index &+ $0) }
            let result = try active.write(SectionKey(key), value)
            #expect(result?.isReplicated == true)
            acknowledged[key] = value
        }
        // Over a limit: refused whole, the stored state unchanged.
        var batch = CheckpointBatch()
        batch.write("call/0", [9])
        for index in 0..<60 { batch.write(SectionKey("extra/\(index)"), [0]) }
        do {
            try active.apply(batch)
            Issue.record("a batch over sectionsMax was taken")
        } catch {
            #expect(error.code == .overLimit && error.checkpointError?.code == .tooManySections, "\(error)")
        }
        #expect(try active.read("call/0") == acknowledged["call/0"])
        #expect(try active.read("extra/0") == nil)

        daemonA.send(SIGKILL)
        #expect(daemonA.waitForExit() != nil, "duplexd on A survived SIGKILL")
        try lab.waitUntil("B takes over from the killed A") { try lab.role(.b) == "active" }
        let replica = try Duplex.Checkpoint.open(name: "calls", creating: false, socketPath: Self.checkpointSocket(lab, .b))
        #expect(replica.isWritable)
        var found = 0
        try replica.forEachSection { key, bytes in
            guard let expected = acknowledged[key.description] else { return }
            #expect(bytes == expected, "section \(key)")
            found += 1
        }
        #expect(found == acknowledged.count, "every acknowledged write is on the new active")
        #expect(try replica.read("extra/0") == nil)

        let listing = try lab.duplexctl(.b, ["checkpoints", "--json"]).checked().output
        #expect(listing.contains("\"name\": \"calls\""), "\(listing)")
        let shown = try lab.duplexctl(.b, ["checkpoint", "show", "calls"]).checked().output
        #expect(shown.contains("call/299"), "\(shown)")
    }
}

extension PairIntegrationTests {
    /// A standby stopped in order leaves the active without a mate: a synchronous write is
    /// refused at once (policy `fail`), never left waiting for a replica nobody keeps. (The
    /// stopping standby's last snapshot request used to start a stream after the active had
    /// seen it go, and the active then counted its mate as hot.)
    @Test func aStandbyStoppedInOrderLeavesNoStreamBehind() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try lab.startDaemon(.a, configuration: Self.checkpointConfiguration(lab, .a))
        let daemonB = try lab.startDaemon(.b, configuration: Self.checkpointConfiguration(lab, .b))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 320, sectionSizeMax: 256)
        let active = try Duplex.Checkpoint.open(name: "calls", limits: limits, socketPath: Self.checkpointSocket(lab, .a))
        try Self.waitUntilReplicated(active, lab)
        daemonB.send(SIGTERM)
        #expect(daemonB.waitForExit(seconds: 5) != nil, "duplexd on B did not stop on SIGTERM")
        // Over a moment in which any late message of B's arrives, every sync write is refused.
        var refused = 0
        for index in 0..<20 {
            usleep(20_000)
            do throws(CheckpointClientError) {
                _ = try active.write(SectionKey("after/\(index)"), [1])
                Issue.record("write \(index) was accepted without a mate")
                break
            } catch {
                #expect(error.code == .mateNotHot, "write \(index): \(error)")
                guard error.code == .mateNotHot else { break }  // a wait that timed out: once is enough
                refused += 1
            }
        }
        #expect(refused == 20, "\(lab.diagnostics())")
        let listing = try lab.duplexctl(.a, ["checkpoints", "--json"]).checked().output
        let root = try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: Any]
        let replication = root?["replication"] as? [String: Any]
        #expect(replication?["mate_hot"] as? Bool == false, "\(listing)")
        #expect(replication?["pending"] as? Int == 0, "\(listing)")
    }
}
