import Foundation
import Glibc
import DuplexTestSupport
import Testing

/// The lab's hardware watchdog stand-ins (`Tools/lab up --watchdog`, Tools/lib/watchdog-stand-in):
/// each board's duplexd feeds a FIFO; when the feeding stops for the timeout (1 s), the stand-in
/// resets the board as the hardware would: the board's processes are killed and its logical
/// addresses removed. This is what takes the address away from a frozen active.
@Suite(.serialized, .tags(.netns), .enabled(if: isRoot, "needs root for network namespaces"))
struct WatchdogLabTests {
    /// Starts the pair and waits until both stand-ins have seen keepalives.
    static func startPair(_ lab: LabFixture) throws -> (a: SpawnedProcess, b: SpawnedProcess) {
        let daemons = try PairIntegrationTests.startPair(lab)
        try lab.waitUntil("both watchdog stand-ins are armed") {
            lab.watchdogLog(.a).contains("armed") && lab.watchdogLog(.b).contains("armed")
        }
        return daemons
    }

    @Test func aFrozenActiveIsResetByItsWatchdog() throws {
        let lab = try LabFixture(watchdog: true)
        defer { lab.remove() }
        let daemons = try Self.startPair(lab)

        daemons.a.send(SIGSTOP)
        try lab.waitUntil("B takes over from the frozen A") { try lab.role(.b) == "active" }
        try lab.waitUntil("A's watchdog barks") { try lab.bark(.a) != nil }
        let bark = try #require(try lab.bark(.a))
        #expect(bark.killed.contains(daemons.a.pid), "\(bark)")
        #expect(bark.killed.count >= 2, "duplexd and the responder: \(bark)")
        #expect(bark.lateMs < 500, "a generous bound on the time past the timeout: \(bark)")
        #expect(daemons.a.waitForExit(seconds: 5) != nil, "the reset did not end A's duplexd")
        try lab.waitUntil("the logical addresses are on B only") { try lab.held(.b).all && lab.held(.a).none }
        #expect(try lab.role(.b) == "active")
        #expect(try lab.bark(.b) == nil, "B was fed all along")
        try lab.waitUntilClientReaches(.b)
    }

    @Test func anOrderlyStopDisarmsTheWatchdog() throws {
        let lab = try LabFixture(watchdog: true)
        defer { lab.remove() }
        let daemons = try Self.startPair(lab)

        daemons.a.send(SIGTERM)
        #expect(daemons.a.waitForExit(seconds: 10) == 0, "\(lab.diagnostics())")
        try lab.waitUntil("A's stand-in sees the magic close") { lab.watchdogLog(.a).contains("magic close") }
        try lab.waitUntil("B takes over") { try lab.role(.b) == "active" }
        try lab.waitUntil("the logical addresses are on B only") { try lab.held(.b).all && lab.held(.a).none }
        // A bark would come one timeout (1 s) after the last keepalive: wait well past it.
        usleep(1_500_000)
        #expect(try lab.bark(.a) == nil, "a disarmed watchdog barked")
        #expect(!lab.watchdogLog(.a).contains("bark: board reset"), "\(lab.watchdogLog(.a))")
    }
}

/// What a stand-in writes to NODE.bark when it barks.
struct WatchdogBark: Decodable, CustomStringConvertible {
    let board: String
    let timeoutMs: Double
    /// How long after the timeout the bark came.
    let lateMs: Double
    /// How long the reset took (kills and address deletions).
    let resetMs: Double
    let keepalives: Int
    let killed: [pid_t]
    let addressesRemoved: [String]

    var description: String {
        "bark \(board): late \(lateMs) ms, reset \(resetMs) ms, killed \(killed), removed \(addressesRemoved)"
    }
}

extension LabFixture {
    /// The bark report of board `node`'s watchdog stand-in, nil while it has not barked.
    func bark(_ node: Node) throws -> WatchdogBark? {
        let path = "\(value("DIR"))/\(node.rawValue).bark"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONDecoder.snakeCase.decode(WatchdogBark.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The log of board `node`'s watchdog stand-in (empty while there is none).
    func watchdogLog(_ node: Node) -> String {
        (try? String(contentsOfFile: "\(logDirectory)/watchdog-\(node.rawValue).log", encoding: .utf8)) ?? ""  // none yet: empty
    }
}
