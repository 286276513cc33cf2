import Duplex
import Glibc
import DuplexTestSupport
import Testing

/// Checkpoint state across repeated graceful switchovers, as in a maintenance window: each new
/// active reads what the previous one wrote (its asynchronous writes in flight at the
/// switchover included) and goes on, and each new standby becomes hot again.
extension PairIntegrationTests {
    @Test func checkpointStateFollowsRepeatedGracefulSwitchovers() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        for node in [Node.a, .b] {
            try lab.startDaemon(node, configuration: Self.checkpointConfiguration(lab, node, policy: "fail"))
        }
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 512, sectionSizeMax: 64)
        var active = Node.a
        var written: [UInt8] = []
        for round in 0..<6 {
            let standby: Node = active == .a ? .b : .a
            let checkpoint = try Duplex.Checkpoint.open(name: "rounds", limits: limits, socketPath: Self.checkpointSocket(lab, active))
            // What the previous actives wrote is here, and the new one goes on from it.
            #expect(try checkpoint.read("log") ?? [] == written, "round \(round) on \(active)")
            if round > 0 {
                let previous = round - 1
                let drained = try (0..<40).allSatisfy { index in
                    try checkpoint.read(SectionKey("r\(previous)/\(index)")) == [UInt8(previous), UInt8(index)]
                }
                #expect(drained, "round \(round): the asynchronous writes of round \(previous) are not all on \(active)")
            }
            written.append(UInt8(round))
            // Refused (mate not hot) until the new standby caught up again: ask again.
            let replicated = poll {
                do throws(CheckpointClientError) {
                    return try checkpoint.write("log", written)?.isReplicated == true
                } catch {
                    return false
                }
            }
            try #require(replicated, "round \(round): the write on \(active) was never replicated: \(lab.diagnostics())")
            // Asynchronous writes the active applied (the read after them is answered after
            // them) and may not have replicated yet when the switchover starts: the old active
            // drains its stream to the mate before it hands the role over.
            for index in 0..<40 {
                try checkpoint.write(SectionKey("r\(round)/\(index)"), [UInt8(round), UInt8(index)], mode: .async)
            }
            #expect(try checkpoint.read(SectionKey("r\(round)/39")) == [UInt8(round), 39], "applied on \(active)")
            try lab.duplexctl(active, ["switchover"]).checked()
            try lab.waitUntil("\(standby) takes over (round \(round))") {
                try lab.role(standby) == "active" && lab.role(active) == "standby"
            }
            active = standby
        }
        let last = try Duplex.Checkpoint.open(name: "rounds", creating: false, socketPath: Self.checkpointSocket(lab, active))
        #expect(try last.read("log") == written)
        let lost = try [Node.a, .b].flatMap { try lab.events($0) }.filter { $0.message.contains("LOSS OF STATE") }
        #expect(lost.isEmpty, "\(lost)")
    }
}
