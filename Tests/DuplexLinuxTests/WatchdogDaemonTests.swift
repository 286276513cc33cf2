import Foundation
import Glibc
import Testing

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
    let process: ChildProcessForTest
    let directory: String
    private var removed = false

    init(watchdog: String, extra: String = "") throws {
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
            process = try ChildProcessForTest(executable, ["--config", "\(directory)/duplexd.conf"], log: "\(directory)/duplexd.log")
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

/// A child started with `posix_spawn`, an empty signal mask and default dispositions (test
/// threads block signals, and a daemon must start as init would start it).
final class ChildProcessForTest {
    let pid: pid_t
    private(set) var exitStatus: Int32?

    init(_ executable: String, _ arguments: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw StandInError("cannot start \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    var isRunning: Bool {
        reap()
        return exitStatus == nil
    }

    /// `kill(2)`, unless the process was already reaped (its pid may be another's by then).
    func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Polls every 10 ms for at most `seconds`; the exit status, nil while it still runs.
    func waitForExit(seconds: Double) -> Int32? {
        _ = eventually(within: seconds) { !isRunning }
        return exitStatus
    }

    private func reap() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        if result == pid {
            let signal = status & 0x7f  // WIFEXITED/WTERMSIG are macros Swift does not import
            exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        } else if result < 0 {
            exitStatus = -1  // ECHILD: nothing left to wait for
        }
    }
}
