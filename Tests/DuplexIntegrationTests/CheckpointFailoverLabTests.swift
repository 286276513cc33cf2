import Duplex
import Foundation
import Glibc
import DuplexTestSupport
import Synchronization
import Testing

/// Checkpoints across failovers and rejoins between real daemons: the takeover barrier (the
/// logical address follows the applied replica), a standby that rejoins while writes go on,
/// and synchronous writes while the active is frozen.
extension PairIntegrationTests {
    /// The lab's configuration of `node` with checkpoint replication on, `sync-policy = POLICY`
    /// and the `extra` lines in `[checkpoint]`.
    static func checkpointConfiguration(_ lab: LabFixture, _ node: Node, policy: String, extra: String = "") throws -> String {
        let text = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
        let enabled = text.replacingOccurrences(of: "# replication = ", with: "replication = ")
            + "\n[checkpoint]\nsync-policy = \(policy)\n\(extra)\n"
        let path = "\(lab.value("DIR"))/\(node.rawValue)-checkpoint-\(policy).conf"
        try enabled.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The 64 bytes written to section `index`.
    static func payload(_ index: Int) -> [UInt8] {
        (0..<64).map { UInt8(truncatingIfNeeded: index &* 7 &+ $0) }
    }

    /// Every section of `checkpoint` by key.
    static func contents(_ checkpoint: Duplex.Checkpoint) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        try checkpoint.forEachSection { key, bytes in result[key.description] = bytes }
        return result
    }

    /// Writes sync until the mate's replica is hot (the write comes back replicated).
    static func waitUntilReplicated(_ checkpoint: Duplex.Checkpoint, _ lab: LabFixture) throws {
        let hot = poll {
            do throws(CheckpointClientError) {
                return try checkpoint.write("hello", [1])?.isReplicated == true
            } catch {
                return false  // mateNotHot until the first snapshot: ask again
            }
        }
        try #require(hot, "the mate's replica never became hot: \(lab.diagnostics())")
    }

    @Test func theLogicalAddressFollowsTheAppliedReplica() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let extra = "takeover-barrier = 50ms"
        let daemonA = try lab.startDaemon(.a, configuration: Self.checkpointConfiguration(lab, .a, policy: "fail", extra: extra))
        try lab.startDaemon(.b, configuration: Self.checkpointConfiguration(lab, .b, policy: "fail", extra: extra))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 8 << 20, sectionsMax: 8192, sectionSizeMax: 256)
        let active = try Duplex.Checkpoint.open(name: "stream", limits: limits, socketPath: Self.checkpointSocket(lab, .a))
        try Self.waitUntilReplicated(active, lab)
        // A stream of asynchronous writes, still in flight when A dies.
        for index in 0..<3_000 {
            try active.write(SectionKey("s/\(index)"), Self.payload(index), mode: .async)
        }
        daemonA.send(SIGKILL)
        #expect(daemonA.waitForExit() != nil, "duplexd on A survived SIGKILL")
        try lab.waitUntil("B takes over from the killed A") { try lab.role(.b) == "active" }

        // The replica was applied in order: the writes B holds are a prefix of the stream.
        let replica = try Duplex.Checkpoint.open(name: "stream", creating: false, socketPath: Self.checkpointSocket(lab, .b))
        #expect(replica.isWritable)
        let held = try Self.contents(replica)
        let indices = held.keys.compactMap { $0.hasPrefix("s/") ? Int($0.dropFirst(2)) : nil }.sorted()
        #expect(indices == Array(0..<indices.count), "a gap in what B applied: \(indices.count) writes")
        for index in indices { #expect(held["s/\(index)"] == Self.payload(index)) }

        // B took the replica over (checkpoint thread) before it added the address (actuator).
        let log = try String(contentsOfFile: "\(lab.logDirectory)/duplexd-b.log", encoding: .utf8).split(separator: "\n")
        let tookOver = log.firstIndex { $0.contains("tookOver(") }
        let added = log.firstIndex { $0.contains("logical addresses added") }
        #expect(tookOver != nil && added != nil && tookOver! < added!, "\(lab.diagnostics())")
        if let added { #expect(log[added].contains("duplex.barrier=passed"), "\(log[added])") }
        let lost = try lab.events(.b).filter { $0.message.contains("LOSS OF STATE") }
        #expect(lost.isEmpty, "\(lost)")
    }
}
