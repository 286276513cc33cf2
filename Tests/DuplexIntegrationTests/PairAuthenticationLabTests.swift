import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// Pair frames authenticated with `[cluster] key-file` (HMAC-SHA-256) between real daemons:
/// the same key works on every path, another key's frames are refused and counted, a key being
/// replaced is accepted as the previous key, and a key file others can read stops the start.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct PairAuthenticationLabTests {
    /// What these tests read of `duplexctl status --json` beyond `BoardStatus`.
    struct Counters: Decodable {
        struct Inner: Decodable { let unauthenticatedFrames: UInt64 }
        let counters: Inner
        let mate: Mate?
        struct Mate: Decodable { let role: String }
    }

    static func counters(_ lab: LabFixture, _ node: Node) throws -> Counters? {
        let result = try lab.duplexctl(node, ["status", "--json"])
        guard result.succeeded else { return nil }
        return try JSONDecoder.snakeCase.decode(Counters.self, from: Data(result.output.utf8))
    }

    /// Writes a key file of 32 bytes (`seed` makes it differ) with `mode`; returns its path.
    static func keyFile(_ lab: LabFixture, _ name: String, seed: UInt8, mode: mode_t = 0o600) throws -> String {
        let path = "\(lab.value("DIR"))/\(name).key"
        let hex = (0..<32).map { String(format: "%02x", UInt8(truncatingIfNeeded: Int($0) &* 31 &+ Int(seed))) }.joined()
        try "# pair key \(name)\n\(hex)\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
        return path
    }

    /// Board `node`'s configuration with `[cluster]` keys; returns the new file's path.
    static func configure(_ lab: LabFixture, _ node: Node, key: String, previous: String? = nil) throws -> String {
        var text = try String(contentsOfFile: lab.configuration(node), encoding: .utf8)
        let cluster = try #require(text.range(of: "[cluster]\n"), "no [cluster] in \(lab.configuration(node))")
        text.insert(contentsOf: "key-file = \(key)\n" + (previous.map { "previous-key-file = \($0)\n" } ?? ""), at: cluster.upperBound)
        let path = "\(lab.value("DIR"))/\(node.rawValue)-keyed-\(UInt32.random(in: 0...UInt32.max)).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Both boards with the same key: the clean start, the address on A, nothing refused.
    @Test func aPairWithTheSameKeyWorksAndRefusesNothing() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let key = try Self.keyFile(lab, "pair", seed: 1)
        try lab.startResponders()
        try lab.startDaemon(.a, configuration: try Self.configure(lab, .a, key: key))
        try lab.startDaemon(.b, configuration: try Self.configure(lab, .b, key: key))
        try lab.waitUntil("A is active and B standby, every path up") {
            guard let a = try lab.status(.a), let b = try lab.status(.b) else { return false }
            return a.role == "active" && b.role == "standby" && a.paths.allSatisfy(\.up) && b.paths.allSatisfy(\.up)
        }
        try lab.waitUntilClientReaches(.a)
        #expect(try Self.counters(lab, .a)?.counters.unauthenticatedFrames == 0)
        #expect(try Self.counters(lab, .b)?.counters.unauthenticatedFrames == 0)
        #expect(try Self.counters(lab, .b)?.mate?.role == "active")
    }

    /// Boards with different keys: each refuses and counts the other's frames and never
    /// knows it as its mate (a board without the key cannot stand in for the mate).
    @Test func boardsWithDifferentKeysRefuseEachOthersFrames() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try lab.startDaemon(.a, configuration: try Self.configure(lab, .a, key: try Self.keyFile(lab, "one", seed: 1)))
        try lab.startDaemon(.b, configuration: try Self.configure(lab, .b, key: try Self.keyFile(lab, "two", seed: 2)))
        try lab.waitUntil("both boards refused frames of the other") {
            guard let a = try Self.counters(lab, .a), let b = try Self.counters(lab, .b) else { return false }
            return a.counters.unauthenticatedFrames >= 20 && b.counters.unauthenticatedFrames >= 20
        }
        #expect(try Self.counters(lab, .a)?.mate == nil)
        #expect(try Self.counters(lab, .b)?.mate == nil)
        #expect(try lab.status(.a)?.paths.contains(where: \.up) == false)
        #expect(try lab.status(.b)?.paths.contains(where: \.up) == false)
    }

    /// Replacing the key without an outage: the standby first takes the new key with the old
    /// one as previous (it hears the active, the active does not hear it), then the active
    /// stops (the standby takes over) and comes back with the new key: a pair again, on the
    /// new key only.
    @Test func aKeyIsReplacedStandbyFirst() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let old = try Self.keyFile(lab, "old", seed: 1)
        let new = try Self.keyFile(lab, "new", seed: 2)
        try lab.startResponders()
        let a = try lab.startDaemon(.a, configuration: try Self.configure(lab, .a, key: old))
        try lab.startDaemon(.b, configuration: try Self.configure(lab, .b, key: new, previous: old))
        try lab.waitUntil("A is active and B its standby, A refusing B's frames") {
            guard let a = try Self.counters(lab, .a), let b = try Self.counters(lab, .b) else { return false }
            return try lab.role(.a) == "active" && lab.role(.b) == "standby" && b.mate?.role == "active"
                && a.counters.unauthenticatedFrames > 0
        }
        #expect(try Self.counters(lab, .b)?.counters.unauthenticatedFrames == 0, "B takes A's frames by the previous key")
        try lab.waitUntilClientReaches(.a)

        a.send(SIGTERM)
        #expect(a.waitForExit(seconds: 20) == 0, "A's duplexd stops in order")
        try lab.waitUntil("B took over") { try lab.role(.b) == "active" && lab.held(.b).all }
        try lab.startDaemon(.a, label: "duplexd-a-new", configuration: try Self.configure(lab, .a, key: new, previous: old))
        try lab.waitUntil("A is B's standby on the new key") {
            guard let counters = try Self.counters(lab, .a) else { return false }
            return try lab.role(.a) == "standby" && counters.mate?.role == "active"
        }
        #expect(try Self.counters(lab, .a)?.counters.unauthenticatedFrames == 0)
        try lab.waitUntilClientReaches(.b)
    }

    /// A key file that others can read stops the start: status 2, the configuration's file,
    /// line and key, and what to do.
    @Test func aKeyFileOthersCanReadStopsTheStart() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let key = try Self.keyFile(lab, "open", seed: 3, mode: 0o644)
        let path = try Self.configure(lab, .a, key: key)
        let line = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("key-file = ") }! + 1
        let result = try Command.run("/usr/sbin/ip", ["netns", "exec", lab.namespace(.a), lab.binaries.duplexd, "--config", path])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("\(path):\(line):"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains("key-file") && result.errorOutput.contains("chmod 600"), "\(result.errorOutput)")
    }
}
