import Duplex
import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// The example line-card process (duplex-counter) across a failover.
extension PairIntegrationTests {
    /// Board `node`'s configuration with replication and sync policy `degrade` (the new active
    /// writes without a mate after the failover).
    static func counterConfiguration(_ lab: LabFixture, _ node: Node) throws -> String {
        try checkpointConfiguration(lab, node, policy: "degrade")
    }

    /// `duplexctl status --json`'s checkpoint part of board `node`, nil when absent.
    static func checkpointStatus(_ lab: LabFixture, _ node: Node) throws -> [String: Any]? {
        let result = try lab.duplexctl(node, ["status", "--json"])
        guard result.succeeded,
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        else { return nil }
        return object["checkpoints"] as? [String: Any]
    }

    /// Counts printed by `duplex-counter query` from the client namespace.
    static func queryCounter(_ lab: LabFixture, count: Int) throws -> [UInt64] {
        let output = try Command.run("/usr/sbin/ip", [
            "netns", "exec", lab.namespace(.c), lab.binaries.directory + "/duplex-counter", "query",
            "--address", lab.value("LOGICAL_V4"), "--count", "\(count)", "--attempts", "100",
        ], timeout: 40).checked().output
        return output.split(separator: "\n").compactMap { UInt64($0) }
    }

    @Test func theCounterContinuesAfterAKilledActive() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemonA = try lab.startDaemon(.a, configuration: Self.counterConfiguration(lab, .a))
        try lab.startDaemon(.b, configuration: Self.counterConfiguration(lab, .b))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        for node in [Node.a, .b] {
            try lab.spawn(node, label: "counter-\(node.rawValue)", [
                lab.binaries.directory + "/duplex-counter", "serve", "--address", lab.value("LOGICAL_V4"),
                "--socket", Self.checkpointSocket(lab, node),
            ])
        }
        let before = try Self.queryCounter(lab, count: 5)
        #expect(before == [1, 2, 3, 4, 5])
        try lab.waitUntil("B's replica is hot (duplexctl status)") {
            try Self.checkpointStatus(lab, .b)?["hot"] as? Bool == true
                && Self.checkpointStatus(lab, .a)?["mate_hot"] as? Bool == true
        }
        #expect(try Self.checkpointStatus(lab, .b)?["sequence"] as? Int ?? 0 >= 5)
        // Creating a checkpoint while the mate is hot waits for the mate, and is answered.
        let created = try Duplex.Checkpoint.open(
            name: "created-hot", limits: CheckpointLimits(sizeMax: 1024, sectionsMax: 4, sectionSizeMax: 64),
            socketPath: Self.checkpointSocket(lab, .a), timeout: .seconds(2))
        #expect(created.isWritable && created.openedInfo.isReplicaHot)

        daemonA.send(SIGKILL)
        #expect(daemonA.waitForExit() != nil, "duplexd on A survived SIGKILL")
        try lab.waitUntil("B takes over from the killed A") { try lab.role(.b) == "active" }
        let after = try Self.queryCounter(lab, count: 5)
        #expect(after == [6, 7, 8, 9, 10], "the count went on without a reset: \(lab.diagnostics())")
        let lost = try lab.events(.b).filter { $0.message.contains("LOSS OF STATE") }
        #expect(lost.isEmpty, "a hot replica took over: \(lost)")
    }
}
