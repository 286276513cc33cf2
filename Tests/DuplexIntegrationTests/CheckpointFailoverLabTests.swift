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

    /// Starts A and B with replication (sync policy `fail`, `extra` in `[checkpoint]`), waits
    /// for A active and B standby, opens `name` on A (sections of up to 256 bytes) and waits
    /// until B's replica takes synchronous writes.
    static func startReplicatedPair(
        _ lab: LabFixture, name: String, extra: String = ""
    ) throws -> (a: SpawnedProcess, b: SpawnedProcess, active: Duplex.Checkpoint) {
        let daemonA = try lab.startDaemon(.a, configuration: checkpointConfiguration(lab, .a, policy: "fail", extra: extra))
        let daemonB = try lab.startDaemon(.b, configuration: checkpointConfiguration(lab, .b, policy: "fail", extra: extra))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let limits = CheckpointLimits(sizeMax: 8 << 20, sectionsMax: 8192, sectionSizeMax: 256)
        let active = try Duplex.Checkpoint.open(name: name, limits: limits, socketPath: checkpointSocket(lab, .a))
        try waitUntilReplicated(active, lab)
        return (daemonA, daemonB, active)
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
        let (daemonA, _, active) = try Self.startReplicatedPair(lab, name: "stream", extra: "takeover-barrier = 50ms")
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

/// What a writer thread got acknowledged, for a test that freezes the daemon under it.
final class AcknowledgedWrites: Sendable {
    let indices = Mutex<[Int]>([])
    let failure = Mutex<String?>(nil)
    let done = Atomic<Bool>(false)

    var count: Int { indices.withLock { $0.count } }

    /// Writes `w/INDEX` synchronously, one after the other, until a write fails or is not
    /// replicated (at most `countMax`); keeps each acknowledged index.
    func run(_ checkpoint: Duplex.Checkpoint, countMax: Int) {
        defer { done.store(true, ordering: .releasing) }
        for index in 0..<countMax {
            do throws(CheckpointClientError) {
                guard try checkpoint.write(SectionKey("w/\(index)"), PairIntegrationTests.payload(index))?.isReplicated == true else {
                    failure.withLock { $0 = "write \(index) was not replicated" }
                    return
                }
                indices.withLock { $0.append(index) }
            } catch {
                failure.withLock { $0 = "write \(index): \(error)" }
                return
            }
        }
    }
}

extension PairIntegrationTests {
    @Test func aRejoiningStandbyBecomesHotWhileWritesContinue() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try lab.startDaemon(.a, configuration: Self.checkpointConfiguration(lab, .a, policy: "degrade"))
        try lab.waitUntil("A is active alone") { try lab.role(.a) == "active" }
        let limits = CheckpointLimits(sizeMax: 16 << 20, sectionsMax: 8192, sectionSizeMax: 1024)
        let active = try Duplex.Checkpoint.open(name: "bulk", limits: limits, socketPath: Self.checkpointSocket(lab, .a))
        // What the snapshot must carry: 2,000 sections of 1 KiB.
        for index in 0..<2_000 {
            try active.write(SectionKey("bulk/\(index)"), [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1024), mode: .async)
        }
        #expect(try active.flush().isReplicated == false, "no mate yet")

        // B (re)joins while synchronous writes go on: applied here only until B is hot, then on both.
        try lab.startDaemon(.b, configuration: Self.checkpointConfiguration(lab, .b, policy: "degrade"))
        let started = Date()
        var local = 0
        var replicated = 0
        for index in 0..<100_000 where replicated < 300 && Date().timeIntervalSince(started) < 8 {
            let result = try active.write(SectionKey("live/\(index)"), Self.payload(index))
            if result?.isReplicated == true { replicated += 1 } else { local += 1 }
        }
        #expect(replicated == 300, "B never became hot (\(local) writes while it joined): \(lab.diagnostics())")
        #expect(local > 0, "no write was made while B joined")
        #expect(try active.flush().isReplicated)
        try lab.waitUntil("B reports a hot replica") {
            try Self.checkpointStatus(lab, .b)?["hot"] as? Bool == true && lab.role(.b) == "standby"
        }
        // The hot standby holds every write: the bulk, those made while it joined, those since.
        let replica = try Duplex.Checkpoint.open(name: "bulk", creating: false, socketPath: Self.checkpointSocket(lab, .b))
        #expect(!replica.isWritable)
        let expected = try Self.contents(active)
        #expect(expected.count == 2_000 + local + replicated)
        #expect(try Self.contents(replica) == expected, "B's replica differs from A's store")
        // B was hot only once it had the snapshot and every update since its cutover. (Whether a
        // write fell between the cutover and hot depends on how the client was scheduled while
        // the snapshot travelled: the contents above prove that none was lost either way.)
        let log = try String(contentsOfFile: "\(lab.logDirectory)/duplexd-b.log", encoding: .utf8)
        let cutover = Self.number(in: log, after: "snapshotInstalled(", key: "cutover: ")
        let hotAt = Self.number(in: log, after: "becameHot(", key: "sequence: ")
        #expect(cutover != nil && hotAt != nil && hotAt! >= cutover!, "cutover \(String(describing: cutover)), hot at \(String(describing: hotAt))")
    }

    /// The decimal number after `key` in the first line of `log` that contains `marker`.
    static func number(in log: String, after marker: String, key: String) -> UInt64? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains(marker) }),
            let range = line.range(of: key)
        else { return nil }
        return UInt64(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func acknowledgedSyncWritesSurviveAFrozenActive() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemonA = try lab.startDaemon(.a, configuration: Self.checkpointConfiguration(lab, .a, policy: "fail"))
        try lab.startDaemon(.b, configuration: Self.checkpointConfiguration(lab, .b, policy: "fail"))
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        let active = try Duplex.Checkpoint.open(name: "frozen", socketPath: Self.checkpointSocket(lab, .a), timeout: .seconds(1))
        try Self.waitUntilReplicated(active, lab)

        let writes = AcknowledgedWrites()
        let writer = Thread { writes.run(active, countMax: 100_000) }
        writer.start()
        try lab.waitUntil("200 sync writes are acknowledged") { writes.count >= 200 || writes.done.load(ordering: .acquiring) }
        daemonA.send(SIGSTOP)  // alive but silent, in the middle of the writes
        try lab.waitUntil("B takes over from the frozen A") { try lab.role(.b) == "active" }
        try lab.waitUntil("the writer gives up on the frozen A") { writes.done.load(ordering: .acquiring) }
        let acknowledged = writes.indices.withLock { $0 }
        #expect(acknowledged.count >= 200, "\(writes.failure.withLock { $0 } ?? "")")

        let store = try Duplex.Checkpoint.open(name: "frozen", creating: false, socketPath: Self.checkpointSocket(lab, .b))
        #expect(store.isWritable)
        let held = try Self.contents(store)
        let missing = acknowledged.filter { held["w/\($0)"] != Self.payload($0) }
        #expect(missing.isEmpty, "acknowledged writes missing on the new active: \(missing.prefix(10))")

        // A resumes: it sees the newer epoch, steps down and resyncs from B.
        daemonA.send(SIGCONT)
        try lab.waitUntil("the resumed A is standby") { try lab.role(.a) == "standby" }
        try Self.waitUntilReplicated(store, lab)  // sync policy fail: only once A is hot again
        let replica = try Duplex.Checkpoint.open(name: "frozen", creating: false, socketPath: Self.checkpointSocket(lab, .a))
        #expect(!replica.isWritable)
        #expect(try Self.contents(replica) == Self.contents(store), "A's replica differs from B's store")
        #expect(try lab.role(.b) == "active")
    }
}
