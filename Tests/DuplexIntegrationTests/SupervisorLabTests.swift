import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// duplexd supervising components on a real pair: a critical active-only component that keeps
/// crashing on the active board makes the pair switch over at once, and the new active board
/// starts its own copy.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct SupervisorLabTests {
    struct ComponentEntry: Decodable {
        let name: String
        let state: String
        let pid: Int32?
        let restarts: UInt64
    }

    /// `duplexctl components --json` of board `node`.
    static func components(_ lab: LabFixture, _ node: Node) throws -> [ComponentEntry] {
        let result = try lab.duplexctl(node, ["components", "--json"]).checked()
        return try JSONDecoder.snakeCase.decode([ComponentEntry].self, from: Data(result.output.utf8))
    }

    /// The lab's configuration of `node` plus `extra` sections, written next to it.
    static func configuration(_ lab: LabFixture, _ node: Node, adding extra: String) throws -> String {
        let path = "\(lab.value("DIR"))/\(node.rawValue)-supervised.conf"
        let base = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
        try (base + "\n" + extra).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A `/bin/sh` script in the lab directory.
    static func script(_ lab: LabFixture, _ name: String, _ body: String) throws -> String {
        let path = "\(lab.value("DIR"))/\(name)"
        try writeExecutable(path, "#!/bin/sh\n" + body + "\n")
        return path
    }

    @Test func aCriticalComponentThatKeepsCrashingOnTheActiveSwitchesThePairOver() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let directory = lab.value("DIR")
        // Runs until the trigger file exists; from then on each start crashes at once.
        for node in [Node.a, .b] {
            let service = try Self.script(lab, "service-\(node.rawValue)", """
                echo "$DUPLEX_COMPONENT on \(node.name) started" >> \(directory)/runs-\(node.rawValue)
                [ -e \(directory)/crash-\(node.rawValue) ] && exit 1
                exec sleep 600
                """)
            let extra = """
                [component service]
                command = \(service)
                role = active
                critical = true
                restart-intensity = 3 in 10s

                [supervisor]
                recovery-command = /bin/true
                recovery-reason-file = \(directory)/recovery-\(node.rawValue)
                """
            try lab.startDaemon(node, configuration: Self.configuration(lab, node, adding: extra))
        }
        try lab.startResponders()
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        try lab.waitUntil("A runs its service") { try Self.components(lab, .a).first?.state == "running" }
        #expect(try Self.components(lab, .b).first?.state == "stopped", "an active-only component waits on the standby")
        let pid = try #require(try Self.components(lab, .a).first?.pid)

        #expect(FileManager.default.createFile(atPath: "\(directory)/crash-a", contents: nil))
        kill(pid, SIGKILL)
        try lab.waitUntil("B takes over") { try lab.role(.b) == "active" }
        let b = try #require(try lab.status(.b))
        // Told by the mate, not found out by a heartbeat timeout ("every path to the mate is down").
        #expect(b.lastRoleChange?.reason == "the mate reports it cannot be active", "\(b.summary)")
        #expect(try lab.role(.a) == "failed")
        let a = try #require(try Self.components(lab, .a).first)
        #expect(a.state == "failed" || a.state == "stopped", "\(a)")
        #expect(a.restarts == 3)

        try lab.waitUntil("B runs its copy of the service") { try Self.components(lab, .b).first?.state == "running" }
        let runs = try String(contentsOfFile: "\(directory)/runs-b", encoding: .utf8)
        #expect(runs == "service on B started\n")
        try lab.waitUntil("B holds the logical addresses and A none") { try lab.held(.b).all && lab.held(.a).none }
        try lab.waitUntilClientReaches(.b)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/recovery-a"), "the active switches over; it does not recover")
    }

    /// Starts both boards, each with one component (`duplex-example-component`) that logs its
    /// roles to `roles-NODE` in the lab directory and confirms a quiesce after 200 ms.
    static func startPairWithQuiescingComponents(_ lab: LabFixture) throws -> [Node: SpawnedProcess] {
        let directory = lab.value("DIR")
        var daemons: [Node: SpawnedProcess] = [:]
        for node in [Node.a, .b] {
            let extra = """
                [component app]
                command = \(lab.binaries.exampleComponent)
                argument = --log
                argument = \(directory)/roles-\(node.rawValue)
                argument = --quiesce-delay
                argument = 200ms
                environment = SWIFT_BACKTRACE=enable=no
                health-timeout = 2s
                quiesce-timeout = 10s

                [supervisor]
                recovery-command = /bin/true
                recovery-reason-file = \(directory)/recovery-\(node.rawValue)
                """
            daemons[node] = try lab.startDaemon(node, configuration: Self.configuration(lab, node, adding: extra))
        }
        return daemons
    }

    /// The role lines and quiesce confirmations NODE's component logged so far.
    static func componentRoles(_ lab: LabFixture, _ node: Node) -> [String] {
        let path = "\(lab.value("DIR"))/roles-\(node.rawValue)"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""  // not yet written
        return text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("role ") || $0 == "quiesce confirmed" }
    }

    @Test func componentsQuiesceBeforeAGracefulSwitchoverAndLearnTheirNewRoles() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        _ = try Self.startPairWithQuiescingComponents(lab)
        let roles = { (node: Node) in Self.componentRoles(lab, node) }
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        try lab.waitUntil("A's component is active") { roles(.a).last == "role active" }
        try lab.waitUntil("B's component is standby") { roles(.b).last == "role standby" }

        try lab.duplexctl(.a, ["switchover"]).checked()
        try lab.waitUntil("B takes over") { try lab.role(.b) == "active" }
        try lab.waitUntil("A's component is standby") { roles(.a).last == "role standby" }
        try lab.waitUntil("B's component is active") { roles(.b).last == "role active" }
        let a = roles(.a).drop { $0 != "role active" }
        // Confirmed before the pair began its handover (quiesced), standby once the mate took over.
        #expect(Array(a.prefix(3)) == ["role active", "role quiescing", "quiesce confirmed"], "\(a)")
        #expect(a.last == "role standby", "\(a)")
        #expect(!a.contains("role active", after: "quiesce confirmed"), "\(a)")
    }

    /// An orderly stop (SIGTERM) of the active board quiesces its components first, as an
    /// operator switchover does; the mate takes over once they confirmed.
    @Test func componentsQuiesceBeforeAnOrderlyStopHandsTheActiveRoleOver() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemons = try Self.startPairWithQuiescingComponents(lab)
        let roles = { (node: Node) in Self.componentRoles(lab, node) }
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        try lab.waitUntil("A's component is active") { roles(.a).last == "role active" }

        let a = try #require(daemons[.a])
        a.send(SIGTERM)
        try lab.waitUntil("B takes over") { try lab.role(.b) == "active" }
        #expect(a.waitForExit(seconds: 20) == 0, "A's duplexd stops in order")
        let seen = roles(.a).drop { $0 != "role active" }
        #expect(Array(seen.prefix(3)) == ["role active", "role quiescing", "quiesce confirmed"], "\(seen)")
        #expect(!seen.contains("role active", after: "quiesce confirmed"), "\(seen)")
        try lab.waitUntil("B's component is active") { roles(.b).last == "role active" }
    }

    /// An operator's lock of the active board quiesces its components first; the mate takes
    /// over once they confirmed, and the locked board's component does not become active again.
    @Test func componentsQuiesceBeforeALockHandsTheActiveRoleOver() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        _ = try Self.startPairWithQuiescingComponents(lab)
        let roles = { (node: Node) in Self.componentRoles(lab, node) }
        try lab.waitUntil("A is active and B standby") { try lab.role(.a) == "active" && lab.role(.b) == "standby" }
        try lab.waitUntil("A's component is active") { roles(.a).last == "role active" }

        try lab.duplexctl(.a, ["lock"]).checked()
        try lab.waitUntil("B takes over") { try lab.role(.b) == "active" }
        try lab.waitUntil("B's component is active") { roles(.b).last == "role active" }
        let seen = roles(.a).drop { $0 != "role active" }
        #expect(Array(seen.prefix(3)) == ["role active", "role quiescing", "quiesce confirmed"], "\(seen)")
        #expect(!seen.contains("role active", after: "quiesce confirmed"), "\(seen)")
    }
}

extension Sequence where Element == String {
    /// Whether `line` occurs after the first `marker`.
    func contains(_ line: String, after marker: String) -> Bool {
        drop { $0 != marker }.dropFirst().contains(line)
    }
}
