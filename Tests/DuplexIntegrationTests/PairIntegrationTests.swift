import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// A real pair: duplexd on boards A and B of a lab, real raw Ethernet and UDP heartbeats,
/// real netlink address moves, and a client that measures who answers on the logical IP.
/// Board A has priority 200 (preferred), 4 ms heartbeats, 8 missed in the tests (LabFixture.testMissedMax), isolation via lan0.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct PairIntegrationTests {
    /// Starts duplexd on both boards (and the probe responders) and waits for the clean
    /// start: A active with the addresses, B standby without them.
    @discardableResult
    static func startPair(_ lab: LabFixture) throws -> (a: SpawnedProcess, b: SpawnedProcess) {
        try lab.startResponders()
        let a = try lab.startDaemon(.a)
        let b = try lab.startDaemon(.b)
        try lab.waitUntil("A is active and B standby") {
            try lab.role(.a) == "active" && lab.role(.b) == "standby"
        }
        try lab.waitUntil("A holds the logical addresses and B none") {
            try lab.held(.a).all && lab.held(.b).none
        }
        return (a, b)
    }

    @Test func cleanStartMakesThePreferredBoardActive() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try Self.startPair(lab)

        let a = try #require(try lab.status(.a))
        let b = try #require(try lab.status(.b))
        #expect(a.role == "active")
        #expect(a.addresses.allSatisfy { $0.held })
        #expect(a.paths.allSatisfy { $0.up }, "\(a.summary)")
        #expect(b.role == "standby")
        #expect(!b.addresses.contains { $0.held })
        #expect(b.paths.allSatisfy { $0.up }, "\(b.summary)")
        #expect(a.epoch == b.epoch)
        try lab.waitUntilClientReaches(.a)
        try lab.waitUntilClientReaches(.a, ipv6: true)
    }

    @Test func gracefulSwitchoverMovesTheRoleAndTheAddress() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try Self.startPair(lab)
        let before = try #require(try lab.status(.a)).epoch
        try lab.waitUntilClientReaches(.a)

        try lab.duplexctl(.a, ["switchover"]).checked()
        try lab.waitUntil("B is active and A standby") {
            try lab.role(.b) == "active" && lab.role(.a) == "standby"
        }
        try lab.waitUntil("B holds the logical addresses and A none") {
            try lab.held(.b).all && lab.held(.a).none
        }
        #expect(try #require(try lab.status(.b)).epoch > before)
        try lab.waitUntilClientReaches(.b)

        let refused = try lab.duplexctl(.a, ["switchover"])
        #expect(refused.status != 0, "a switchover on the standby must be refused")
        #expect(refused.errorOutput.contains("refused"), "\(refused.errorOutput)")
        #expect(try lab.role(.a) == "standby")
        #expect(try lab.role(.b) == "active")
    }

    @Test func aFrozenActiveIsReplacedAndStepsDownWhenItThaws() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemons = try Self.startPair(lab)
        let before = try #require(try lab.status(.a)).epoch
        try lab.waitUntilClientReaches(.a)

        daemons.a.send(SIGSTOP)
        try lab.waitUntil("B takes over from the frozen A") { try lab.role(.b) == "active" }
        try lab.waitUntil("B holds the logical addresses") { try lab.held(.b).all }
        try lab.waitUntilClientReaches(.b)

        daemons.a.send(SIGCONT)
        try lab.waitUntil("A steps down to standby with B active") {
            try lab.role(.a) == "standby" && lab.role(.b) == "active"
        }
        try lab.waitUntil("A's logical addresses are gone") { try lab.held(.a).none }
        #expect(try lab.held(.b).all)
        #expect(try #require(try lab.status(.b)).epoch > before)
        try lab.waitUntilClientReaches(.b)
    }

    @Test func aKilledActiveIsReplacedAndRejoinsAsStandby() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        let daemons = try Self.startPair(lab)
        try lab.waitUntilClientReaches(.a)

        daemons.a.send(SIGKILL)
        #expect(daemons.a.waitForExit() != nil, "duplexd on A survived SIGKILL")
        try lab.waitUntil("B takes over from the killed A") { try lab.role(.b) == "active" }
        try lab.waitUntil("B holds the logical addresses") { try lab.held(.b).all }
        #expect(try lab.held(.a).all, "the kernel keeps the address of a killed daemon")
        try lab.waitUntilClientReaches(.b)
        let takeover = try #require(try lab.status(.b)).epoch

        try lab.startDaemon(.a, label: "duplexd-a-restarted")
        try lab.waitUntil("the restarted A removes its stale addresses") { try lab.held(.a).none }
        try lab.waitUntil("the restarted A rejoins as standby") { try lab.role(.a) == "standby" }
        let b = try #require(try lab.status(.b))
        #expect(b.role == "active", "no preemption: \(b.summary)")
        #expect(b.epoch == takeover, "no new takeover: \(b.summary)")
        #expect(try lab.held(.b).all)
        #expect(try lab.held(.a).none)
        try lab.waitUntilClientReaches(.b)
    }

    @Test func anActiveThatLosesEveryLinkGoesSeparated() throws {
        let lab = try LabFixture()
        defer { lab.remove() }
        try Self.startPair(lab)
        try lab.waitUntilClientReaches(.a)

        try lab.links(.a, up: false)
        try lab.waitUntil("B takes over") { try lab.role(.b) == "active" }
        try lab.waitUntil("A goes separated") { try lab.role(.a) == "separated" }
        try lab.waitUntil("A releases the logical addresses") { try lab.held(.a).none }
        let a = try #require(try lab.status(.a))
        #expect(!a.addresses.contains { $0.held }, "\(a.summary)")
        try lab.waitUntil("B holds the logical addresses") { try lab.held(.b).all }
        try lab.waitUntilClientReaches(.b)
    }
}
