import Foundation
import Glibc
import Testing
import DuplexTestSupport

/// A real `duplexd` (one board, a UDP heartbeat path on loopback, no addresses) whose
/// `watchdog-device` is a FIFO stand-in: keepalives arrive while it runs, stop while it is
/// frozen (SIGSTOP), resume after SIGCONT, and SIGTERM ends with the magic close.
@Suite("Watchdog daemon", .serialized)
struct WatchdogDaemonTests {
    /// `watchdog-timeout = 1s`: fed every 250 ms.
    static let feedInterval = 0.25

    @Test func keepalivesFollowThePairThreadAndAnOrderlyStopDisarms() throws {
        let standIn = try WatchdogStandIn()
        defer { standIn.close() }
        let daemon = try Daemon(watchdog: standIn.path)
        defer { daemon.remove() }
        // Running: keepalives at the feed interval.
        let running = eventually(within: 15) { standIn.keepalives.count >= 5 }
        #expect(running, "no keepalives from duplexd: \(daemon.log())")
        guard running else { return }
        let times = standIn.keepalives.map(\.at)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 < 4 * Self.feedInterval }, "gaps \(gaps)")

        // Frozen: no keepalive for well over three feed intervals.
        daemon.process.send(SIGSTOP)
        let stoppedAt = WatchdogStandIn.now() + 0.05  // a write already under way may land
        let fedWhileFrozen = eventually(within: 4 * Self.feedInterval) {
            standIn.keepalives.contains { $0.at > stoppedAt }
        }
        #expect(!fedWhileFrozen, "keepalives went on while duplexd was stopped")
        #expect(!standIn.sawEndOfFile)

        // Thawed: keepalives resume.
        let resumedAt = WatchdogStandIn.now()
        daemon.process.send(SIGCONT)
        #expect(eventually(within: 10) { standIn.keepalives.filter { $0.at > resumedAt }.count >= 2 })

        // Orderly stop: the magic close.
        daemon.process.send(SIGTERM)
        #expect(eventually(within: 15) { standIn.sawEndOfFile }, "\(daemon.log())")
        #expect(standIn.sawMagicClose, "the last byte was not V: \(standIn.records.suffix(3).map(\.byte))")
        #expect(daemon.process.waitForExit(seconds: 15) == 0, "\(daemon.log())")
    }

    @Test func aDaemonKilledWithoutWarningLeavesTheWatchdogRunning() throws {
        let standIn = try WatchdogStandIn()
        defer { standIn.close() }
        let daemon = try Daemon(watchdog: standIn.path)
        defer { daemon.remove() }
        #expect(eventually(within: 15) { standIn.keepalives.count >= 2 }, "\(daemon.log())")
        daemon.process.send(SIGKILL)
        #expect(eventually(within: 10) { standIn.sawEndOfFile })
        #expect(!standIn.sawMagicClose, "a crash must not disarm the watchdog")
    }

    @Test func aFailedCriticalComponentStopsTheFeeding() throws {
        let standIn = try WatchdogStandIn()
        defer { standIn.close() }
        // Exits at once and is never restarted: failed for good.
        let daemon = try Daemon(watchdog: standIn.path, extra: """
            [component broken]
            command = /bin/false
            role = both
            critical = true
            restart = never
            """)
        defer { daemon.remove() }
        #expect(eventually(within: 15) { access("\(daemon.directory)/duplexd.sock", F_OK) == 0 }, "\(daemon.log())")
        let upAt = WatchdogStandIn.now()
        // A keepalive or two may come before the component fails; then none for a long while.
        let silent = eventually(within: 15) {
            WatchdogStandIn.now() - max(upAt, standIn.keepalives.last?.at ?? 0) > 4 * Self.feedInterval
        }
        #expect(silent, "keepalives went on with a failed critical component: \(daemon.log())")
        #expect(daemon.process.isRunning, "\(daemon.log())")
        #expect(!standIn.sawEndOfFile)
    }
}

/// One `duplexd` started for a test, with its configuration, socket and log in the temporary
/// directory; `remove()` stops it (SIGTERM, then SIGKILL, bounded) and deletes the files.
final class Daemon {
    let process: SpawnedProcess
    let directory: String
    private var removed = false

    init(watchdog: String, extra: String = "", environment: [String] = []) throws {
        directory = NSTemporaryDirectory() + "duplex-wdd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = 40_000 + Int(getpid() % 10_000) * 2
        let configuration = """
            [cluster]
            id = 7
            [board]
            id = 1
            name = A
            [pair]
            realtime-priority = 0
            discovery-window = 50ms
            watchdog-device = \(watchdog)
            watchdog-timeout = 1s
            [link lo]
            type = udp
            local = 127.0.0.1:\(port)
            peer = 127.0.0.1:\(port + 1)
            [control]
            socket = \(directory)/duplexd.sock
            [supervisor]
            # Never the default (/sbin/reboot): a failed critical component recovers the board.
            recovery-command = /bin/true
            recovery-reason-file = \(directory)/recovery-reason

            """ + extra + "\n"
        try configuration.write(toFile: "\(directory)/duplexd.conf", atomically: true, encoding: .utf8)
        let executable = try Self.duplexd()
        do {
            process = try SpawnedProcess(executable, ["--config", "\(directory)/duplexd.conf"], log: "\(directory)/duplexd.log",
                                         environment: environment)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)  // best effort; the error below matters
            throw error
        }
    }

    deinit { remove() }

    func log() -> String { (try? String(contentsOfFile: "\(directory)/duplexd.log", encoding: .utf8)) ?? "(no log)" }  // none yet: say so

    func remove() {
        guard !removed else { return }
        removed = true
        if process.isRunning {
            process.send(SIGTERM)
            process.send(SIGCONT)
            if process.waitForExit(seconds: 10) == nil {
                process.send(SIGKILL)
                _ = process.waitForExit(seconds: 5)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)  // leftover files in /tmp are harmless
    }

    /// `duplexd` next to the test bundle (SwiftPM builds the products there), or in `$DUPLEX_BIN`.
    static func duplexd() throws -> String {
        let directory: String
        if let override = ProcessInfo.processInfo.environment["DUPLEX_BIN"], !override.isEmpty {
            directory = override
        } else {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))  // no /proc: argv[0]
                ?? CommandLine.arguments[0]
            directory = URL(fileURLWithPath: executable).deletingLastPathComponent().path
        }
        let path = directory + "/duplexd"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw StandInError("\(path) is missing: build with `swift build --build-tests` or set DUPLEX_BIN")
        }
        return path
    }
}
