import Duplex
import DuplexTestSupport
import Foundation
import Glibc
import Testing

/// Checkpoint memory in transparent huge pages (`[checkpoint] huge-pages`, on by default), between real
/// daemons: the active's store and a restarted standby's replica (built from a snapshot of
/// about 20 MB) lie in 2 MiB pages, where the kernel offers them to a process that asks
/// (`madvise` or `always`); the replica is whole. With `huge-pages = no`, none do.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct CheckpointHugePageLabTests {
    typealias Lab = PairIntegrationTests

    static let sectionCount = 20_000

    static func value(_ index: Int) -> [UInt8] {
        (0..<1_024).map { UInt8(truncatingIfNeeded: index &* 7 &+ $0) }
    }

    /// Whether this kernel gives huge pages to a region that asks for them.
    static var hugePagesOffered: Bool {
        guard let mode = try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)
        else { return false }
        return mode.contains("[always]") || mode.contains("[madvise]")
    }

    /// `AnonHugePages` of a process, in KiB.
    static func hugeKiB(_ pid: pid_t) throws -> Int {
        let rollup = try String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)
        guard let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix("AnonHugePages:") }),
            let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw LabError("no AnonHugePages in /proc/\(pid)/smaps_rollup") }
        return kib
    }

    /// The lab's checkpoint configuration of `node`, with `huge-pages` (in `[checkpoint]`, the
    /// last section).
    static func configuration(_ lab: LabFixture, _ node: Node, hugePages: Bool) throws -> String {
        let path = try Lab.checkpointConfiguration(lab, node)
        let text = try String(contentsOfFile: path, encoding: .utf8) + "huge-pages = \(hugePages ? "yes" : "no")\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [true, false])
    func aRestartedStandbyBuildsItsReplicaInHugePagesWhenAsked(_ hugePages: Bool) throws {
        // 20 MB of asynchronous writes flood the links: the heartbeat budget of such tests.
        let lab = try LabFixture(missedMax: LabFixture.floodMissedMax)
        defer { lab.remove() }
        let daemonA = try lab.startDaemon(.a, configuration: Self.configuration(lab, .a, hugePages: hugePages))
        let configurationB = try Self.configuration(lab, .b, hugePages: hugePages)
        let daemonB = try lab.startDaemon(.b, configuration: configurationB)
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 64 << 20, sectionsMax: 32_768, sectionSizeMax: 1_024)
        let active = try Duplex.Checkpoint.open(name: "sessions", limits: limits, socketPath: Lab.checkpointSocket(lab, .a))
        try Lab.waitUntilReplicated(active, lab)
        for index in 0..<Self.sectionCount {
            try active.write(SectionKey("s/\(index)"), Self.value(index), mode: .async)
        }
        #expect(try active.flush().isReplicated, "the fill was not replicated")
        // A fresh standby: its replica comes whole in one snapshot.
        daemonB.send(SIGTERM)
        #expect(daemonB.waitForExit(seconds: 5) != nil, "duplexd on B did not stop on SIGTERM")
        let restartedB = try lab.startDaemon(.b, label: "duplexd-b-restarted", configuration: configurationB)
        try lab.waitUntil("the restarted B reports a hot replica") {
            try Lab.checkpointStatus(lab, .b)?["hot"] as? Bool == true
        }
        let replica = try Duplex.Checkpoint.open(name: "sessions", creating: false, socketPath: Lab.checkpointSocket(lab, .b))
        let held = try Lab.contents(replica)
        let expected = try Lab.contents(active)
        #expect(expected.count == Self.sectionCount + 1)
        #expect(held == expected, "B's replica differs from A's store: \(held.count) of \(expected.count) sections")
        let hugeA = try Self.hugeKiB(daemonA.pid)
        let hugeB = try Self.hugeKiB(restartedB.pid)
        guard hugePages else {
            #expect(hugeA == 0 && hugeB == 0, "huge pages without the setting: A \(hugeA) KiB, B \(hugeB) KiB")
            return
        }
        guard Self.hugePagesOffered else { return }
        // About 21 MB of sections on each board, past the daemon's 16 MiB nursery of small pages.
        #expect(hugeA >= 8 << 10, "A's store in huge pages: \(hugeA) KiB")
        #expect(hugeB >= 8 << 10, "B's replica in huge pages: \(hugeB) KiB")
    }
}
