import Duplex
import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// Persistent checkpoints between real daemons: the state survives a stop of both boards, and a
/// board whose journal was damaged while it was stopped reports it, does not load it, and gets
/// the state back from its mate.
extension PairIntegrationTests {
    /// The checkpoint configuration of `node` with its own journal directory.
    static func persistenceConfiguration(_ lab: LabFixture, _ node: Node) throws -> (configuration: String, directory: String) {
        let directory = "\(lab.value("DIR"))/\(node.rawValue)-journals"
        let path = try checkpointConfiguration(lab, node)
        let text = try String(contentsOfFile: path, encoding: .utf8) + "directory = \(directory)\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, directory)
    }

    /// Starts both boards and waits for A active and B standby.
    static func startPair(_ lab: LabFixture, _ configurations: [Node: String], run: Int) throws -> [SpawnedProcess] {
        let daemons = try [Node.a, .b].map { node in
            try lab.startDaemon(node, label: "duplexd-\(node.rawValue)-\(run)", configuration: configurations[node])
        }
        try lab.waitUntil("A is active and B standby (run \(run))") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        return daemons
    }

    /// Starts both boards at once with `configurations` and waits for B active and A standby.
    static func startExpectingBActive(_ lab: LabFixture, _ configurations: [Node: String], run: Int) throws -> [SpawnedProcess] {
        let daemons = try [Node.a, .b].map { node in
            try lab.startDaemon(node, label: "duplexd-\(node.rawValue)-\(run)", configuration: configurations[node])
        }
        try lab.waitUntil("B is active and A standby (run \(run))") { try lab.role(.b) == "active" && lab.role(.a) == "standby" }
        return daemons
    }

    /// Stops both boards in order (SIGTERM) and waits for them.
    static func stopPair(_ daemons: [SpawnedProcess]) {
        for daemon in daemons {
            daemon.send(SIGTERM)
            #expect(daemon.waitForExit(seconds: 5) != nil, "duplexd did not stop on SIGTERM")
        }
    }

    /// Every section of `name` on `node` (the standby's replica read-only), nil while it
    /// cannot be opened or read.
    static func sections(_ lab: LabFixture, _ node: Node, _ name: String) -> [String: [UInt8]]? {
        do {
            let checkpoint = try Duplex.Checkpoint.open(name: name, creating: false, socketPath: checkpointSocket(lab, node))
            var sections: [String: [UInt8]] = [:]
            try checkpoint.forEachSection { key, bytes in sections[key.description] = bytes }
            return sections
        } catch {
            return nil
        }
    }

    /// Whether `node` holds exactly `expected` in `name` (a Bool, so that a failure does not
    /// print every section).
    static func holds(_ lab: LabFixture, _ node: Node, _ name: String, _ expected: [String: [UInt8]]) -> Bool {
        sections(lab, node, name) == expected
    }

    @Test func persistentCheckpointSurvivesARestartOfBothBoardsAndADamagedJournalIsRefused() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let a = try Self.persistenceConfiguration(lab, .a)
        let b = try Self.persistenceConfiguration(lab, .b)
        let configurations = [Node.a: a.configuration, .b: b.configuration]
        var daemons = try Self.startPair(lab, configurations, run: 1)

        let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 256, sectionSizeMax: 256, persistent: true)
        let active = try Duplex.Checkpoint.open(name: "calls", limits: limits, socketPath: Self.checkpointSocket(lab, .a))
        #expect(active.limits.persistent)
        let hot = poll { (try? active.write("first", [1]))??.isReplicated == true }  // refused until B is hot
        #expect(hot, "B's replica never became hot: \(lab.diagnostics())")
        guard hot else { return }
        var expected: [String: [UInt8]] = ["first": [1]]
        for index in 0..<100 {
            let value = (0..<32).map { UInt8(truncatingIfNeeded: index &* 7 &+ $0) }
            #expect(try active.write(SectionKey("call/\(index)"), value)?.isReplicated == true)
            expected["call/\(index)"] = value
        }
        try active.delete("call/50")
        expected["call/50"] = nil
        let plain = try Duplex.Checkpoint.open(name: "plain", socketPath: Self.checkpointSocket(lab, .a))
        _ = try plain.write("x", [7])
        #expect(poll { Self.holds(lab, .b, "calls", expected) }, "B's replica before the stop")
        // duplexctl tells which checkpoints are persistent.
        let listing = try lab.duplexctl(.a, ["checkpoints", "--json"]).checked().output
        let root = try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: Any]
        let entries = (root?["checkpoints"] as? [[String: Any]]) ?? []
        let persistent = Dictionary(uniqueKeysWithValues: entries.compactMap { entry in
            (entry["name"] as? String).map { ($0, entry["persistent"] as? Bool) }
        })
        #expect(persistent["calls"] == true && persistent["plain"] == false, "\(listing)")

        Self.stopPair(daemons)
        for directory in [a.directory, b.directory] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["calls.journal", "last-role"])
        }
        daemons = try Self.startPair(lab, configurations, run: 2)
        #expect(Self.holds(lab, .a, "calls", expected), "A's state after the restart")
        #expect(Self.sections(lab, .a, "plain") == nil, "a checkpoint that is not persistent is gone")
        #expect(poll { Self.holds(lab, .b, "calls", expected) }, "B's replica after the restart")

        // Damage B's journal in the middle while both are stopped.
        Self.stopPair(daemons)
        let file = b.directory + "/calls.journal"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: file))
        daemons = try Self.startPair(lab, configurations, run: 3)
        let events = try lab.events(.b).map(\.message)
        #expect(
            events.contains { $0.contains("calls.journal") && $0.contains("not loaded") && $0.contains("record ") },
            "B's events: \(events)")
        #expect(FileManager.default.fileExists(atPath: file + ".corrupt"))
        #expect(poll { Self.holds(lab, .b, "calls", expected) }, "B refilled from A's snapshot")
        #expect(Self.holds(lab, .a, "calls", expected), "A's state after the third start")
        // B's journal was rewritten from the snapshot.
        #expect(poll { FileManager.default.fileExists(atPath: file) })

        // Damage the journal of A, the preferred board. At a joint start (a discovery window
        // long enough that both boards surely start within it) B, whose state is whole, takes
        // the role and A gets the state back from it; were A to win, its snapshot would replace
        // B's good copy with an empty checkpoint.
        Self.stopPair(daemons)
        let fileA = a.directory + "/calls.journal"
        var bytesA = try Data(contentsOf: URL(fileURLWithPath: fileA))
        bytesA[bytesA.count / 2] ^= 0x20
        try bytesA.write(to: URL(fileURLWithPath: fileA))
        var joint: [Node: String] = [:]
        for (node, path) in configurations {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("discovery-window = 300ms"))
            joint[node] = path + ".joint"
            try text.replacingOccurrences(of: "discovery-window = 300ms", with: "discovery-window = 2s")
                .write(toFile: joint[node]!, atomically: true, encoding: .utf8)
        }
        daemons = try Self.startExpectingBActive(lab, joint, run: 4)
        #expect(Self.holds(lab, .b, "calls", expected), "B kept its state")
        #expect(poll { Self.holds(lab, .a, "calls", expected) }, "A refilled from B's snapshot")
        let eventsA = try lab.events(.a).map(\.message)
        #expect(eventsA.contains { $0.contains("journal was refused and the mate's state is whole") }, "A's events: \(eventsA)")

        // A stops; B, alone, goes on writing; then both stop and start together. A is the
        // preferred board, but B persisted newer state: B takes the role again and A gets the
        // newer state from it (were A to win on priority, its snapshot would undo B's writes).
        daemons[0].send(SIGTERM)
        #expect(daemons[0].waitForExit(seconds: 5) != nil, "A's duplexd did not stop on SIGTERM")
        let alone = try Duplex.Checkpoint.open(name: "calls", limits: limits, socketPath: Self.checkpointSocket(lab, .b))
        for index in 100..<120 {
            let value = (0..<16).map { UInt8(truncatingIfNeeded: index &+ $0) }
            _ = try alone.write(SectionKey("call/\(index)"), value, mode: .async)
            expected["call/\(index)"] = value
        }
        _ = try alone.flush()
        #expect(Self.holds(lab, .b, "calls", expected), "B's writes while alone")
        daemons[1].send(SIGTERM)
        #expect(daemons[1].waitForExit(seconds: 5) != nil, "B's duplexd did not stop on SIGTERM")
        daemons = try Self.startExpectingBActive(lab, joint, run: 5)
        #expect(Self.holds(lab, .b, "calls", expected), "B kept its newer state")
        #expect(poll { Self.holds(lab, .a, "calls", expected) }, "A got the newer state from B")
        let reasons = try lab.events(.a).map(\.message)
        #expect(reasons.contains { $0.contains("the mate persisted newer checkpoint state") }, "A's events: \(reasons)")
        Self.stopPair(daemons)
    }

    /// Both boards with persistent checkpoints and `standby-start-wait = 3s`, A active and B
    /// standby, and "first" written to the persistent checkpoint "calls" once B is hot; no
    /// daemons when B never became hot (recorded as an issue).
    static func startWaitingPair(_ lab: LabFixture) throws
        -> (daemons: [SpawnedProcess], configurations: [Node: String], directories: [Node: String])
    {
        var configurations: [Node: String] = [:]
        var directories: [Node: String] = [:]
        for node in [Node.a, .b] {
            let (path, directory) = try persistenceConfiguration(lab, node)
            let text = try String(contentsOfFile: path, encoding: .utf8) + "standby-start-wait = 3s\n"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            configurations[node] = path
            directories[node] = directory
        }
        let daemons = try startPair(lab, configurations, run: 1)
        let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 256, sectionSizeMax: 256, persistent: true)
        let active = try Duplex.Checkpoint.open(name: "calls", limits: limits, socketPath: checkpointSocket(lab, .a))
        let hot = poll { (try? active.write("first", [1]))??.isReplicated == true }
        #expect(hot, "B's replica never became hot: \(lab.diagnostics())")
        guard hot else {
            stopPair(daemons)
            return ([], configurations, directories)
        }
        return (daemons, configurations, directories)
    }

    /// Starts `node` alone and expects it to take the role only after its 3 s wait, with
    /// "first" from its journal and an event that says it started alone (`recording`).
    static func startAloneAfterTheWait(
        _ lab: LabFixture, _ node: Node, _ configurations: [Node: String], recording: String
    ) throws -> [SpawnedProcess] {
        let started = Date()
        let daemons = [try lab.startDaemon(node, label: "duplexd-\(node.rawValue)-alone", configuration: configurations[node])]
        try lab.waitUntil("\(node) is up") { try lab.role(node) != "unreachable" }
        try lab.waitUntil("\(node) takes the role alone", attempts: 300) { try lab.role(node) == "active" }
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 2.9, "\(node) started alone after \(waited) s, before its 3 s wait for the mate")
        #expect(holds(lab, node, "calls", ["first": [1]]), "\(node) serves the state it persisted")
        let events = try lab.events(node).map(\.message)
        #expect(events.contains { $0.contains(recording) }, "\(node)'s events: \(events)")
        return daemons
    }

    /// Starts `node` alone and expects it to take the role before its 3 s wait could end (a
    /// board that last ran as the active with no mate in reach).
    static func startAloneAtOnce(_ lab: LabFixture, _ node: Node, _ configurations: [Node: String]) throws -> [SpawnedProcess] {
        let started = Date()
        let daemons = [try lab.startDaemon(node, label: "duplexd-\(node.rawValue)-at-once", configuration: configurations[node])]
        try lab.waitUntil("\(node) takes the role alone") { try lab.role(node) == "active" }
        let took = Date().timeIntervalSince(started)
        #expect(took < 2.9, "\(node), last the active alone, waited \(took) s")
        return daemons
    }

    /// A board whose persistent checkpoints it last held as a standby waits
    /// `standby-start-wait` (3 s here) for its mate before it starts alone, since its mate may
    /// have gone on writing after it left; when it does start alone, the event history says so.
    /// A board that last held them as the active starts after the discovery window as always.
    @Test func aBoardThatLastRanAsStandbyWaitsForItsMateBeforeStartingAlone() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let started = try Self.startWaitingPair(lab)
        var daemons = started.daemons
        let configurations = started.configurations
        guard !daemons.isEmpty else { return }
        // B (standby) stops first, then A alone: A last ran as the active, B as a standby.
        for daemon in [daemons[1], daemons[0]] {
            daemon.send(SIGTERM)
            #expect(daemon.waitForExit(seconds: 5) != nil, "duplexd did not stop on SIGTERM")
        }

        daemons = try Self.startAloneAfterTheWait(
            lab, .b, configurations, recording: "took the active role alone with the persistent state it held as a standby")
        Self.stopPair(daemons)

        // A last ran as the active: it starts alone after the discovery window.
        daemons = try Self.startAloneAtOnce(lab, .a, configurations)
        Self.stopPair(daemons)
    }

    /// The role a board's marker (`DIRECTORY/last-role`) holds, nil without one.
    static func lastRole(_ directory: String) -> String? {
        (try? String(contentsOfFile: directory + "/last-role", encoding: .utf8))?.split(separator: "\n").first.map(String.init)
    }

    /// The active's marker says whether its mate was in reach. A, killed while its hot mate
    /// was there, may have been taken over from: started alone later, it waits
    /// `standby-start-wait` (3 s here) for its mate, and records that it started alone. B,
    /// which took over and was then stopped alone, holds the newest state and starts after the
    /// discovery window.
    @Test func anActiveThatLeftWhileItsMateCouldTakeOverWaitsForItsMate() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let started = try Self.startWaitingPair(lab)
        var daemons = started.daemons
        let (configurations, directories) = (started.configurations, started.directories)
        guard !daemons.isEmpty else { return }
        let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 256, sectionSizeMax: 256, persistent: true)
        let markerA = { Self.lastRole(directories[.a]!) }
        #expect(poll { markerA() == "active-with-mate" }, "A's marker: \(String(describing: markerA()))")

        // A crashes; B takes over and writes on alone, then stops: B's marker says it was alone.
        daemons[0].send(SIGKILL)
        #expect(daemons[0].waitForExit(seconds: 5) != nil, "duplexd on A survived SIGKILL")
        try lab.waitUntil("B takes over", attempts: 300) { try lab.role(.b) == "active" }
        let alone = try Duplex.Checkpoint.open(name: "calls", limits: limits, socketPath: Self.checkpointSocket(lab, .b))
        _ = try alone.write("second", [2], mode: .async)
        _ = try alone.flush()
        let markerB = { Self.lastRole(directories[.b]!) }
        #expect(poll { markerB() == "active" }, "B's marker: \(String(describing: markerB()))")
        daemons[1].send(SIGTERM)
        #expect(daemons[1].waitForExit(seconds: 5) != nil, "B's duplexd did not stop on SIGTERM")

        daemons = try Self.startAloneAfterTheWait(
            lab, .a, configurations, recording: "with the persistent state it held as the active while its mate could take over")
        Self.stopPair(daemons)

        // B was alone when it left: it starts after the discovery window, with its newer state.
        daemons = try Self.startAloneAtOnce(lab, .b, configurations)
        #expect(Self.holds(lab, .b, "calls", ["first": [1], "second": [2]]), "B kept its newer state")
        Self.stopPair(daemons)
    }
}
