import DuplexCore
import DuplexLinux
import DuplexTestSupport
import Foundation
import Glibc
import Logging
import Synchronization
import Testing

/// Log records captured from a `SupervisorService`: message and metadata, in order.
final class CapturedLog: Sendable {
    struct Record: Sendable {
        var message: String
        var metadata: [String: String]
    }

    let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    /// The output lines logged for `component`.
    func output(of component: String) -> [String] {
        all.filter { $0.message == "component output" && $0.metadata["duplex.component"] == component }
            .compactMap { $0.metadata["duplex.output"] }
    }

    /// The components in the order of their "component started" records.
    var starts: [String] {
        all.filter { $0.message == "component started" }.compactMap { $0.metadata["duplex.component"] }
    }

    func contains(_ message: String, component: String) -> Bool {
        all.contains { $0.message == message && $0.metadata["duplex.component"] == component }
    }
}

/// Names recorded from another thread.
final class Names: Sendable {
    private let storage = Mutex<[String]>([])

    func append(_ name: String) { storage.withLock { $0.append(name) } }

    var all: [String] { storage.withLock { $0 } }
}

/// A swift-log handler that appends to a `CapturedLog`.
struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let record = CapturedLog.Record(message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
        log.records.withLock { $0.append(record) }
    }
}

/// A `SupervisorService` on its own thread over real child processes, with scripts in a
/// temporary directory. `stop()` (also run by `deinit`) stops it and removes the directory.
final class SupervisorFixture {
    private static let counter = Atomic<Int>(0)

    let directory: String
    let log = CapturedLog()
    let switchovers = Names()
    /// The switchover requests passed on by `onQuiesced`, as "REQUEST force|plain".
    let quiesced = Names()
    private(set) var service: SupervisorService?
    private var thread: PosixThread?

    init() throws {
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        directory = "/tmp/duplex-sup-\(getpid())-\(number)"
        try? FileManager.default.removeItem(atPath: directory)  // a leftover of a dead run with this pid
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)  // best effort: it is under /tmp
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Writes an executable `/bin/sh` script and returns its path.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        let file = path(name)
        try writeExecutable(file, "#!/bin/sh\n" + body + "\n")
        return file
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""  // missing: not written yet
    }

    /// Starts the service on a thread that blocks SIGTERM, SIGINT and SIGHUP, as duplexd's do.
    func start(_ components: [Configuration.Component], recovery: Configuration.Supervisor? = nil) throws {
        let supervisor = recovery ?? Configuration.Supervisor(
            recoveryCommand: "/bin/true", recoveryReasonFile: path("recovery-reason"))
        let log = self.log
        let switchovers = self.switchovers
        let quiesced = self.quiesced
        let service = try SupervisorService(
            components: components, supervisor: supervisor, socketPath: path("duplexd.sock"),
            logger: Logger(label: "test") { _ in CapturingLogHandler(log: log) },
            onSwitchover: { name in switchovers.append(name) },
            onQuiesced: { request, followUp in
                switch followUp {
                case .switchover(let force): quiesced.append("\(request) \(force ? "force" : "plain")")
                case .lock: quiesced.append("\(request) lock")
                case .stop: quiesced.append("\(request) stop")
                }
            })
        self.service = service
        thread = try PosixThread.start(name: "duplex-test-sup", stackSize: 512 * 1024) {
            do {
                try SignalFD.block(SignalFD.terminationSignals)
                try service.run()
            } catch {
                Issue.record("supervisor thread failed: \(error)")
            }
        }
    }

    /// Orderly stop; returns once the service thread ended.
    func stop() {
        guard let thread, let service else { return }
        self.thread = nil
        service.post(.stop)
        thread.join()
    }

    func snapshot(_ name: String) -> SupervisorService.Snapshot? {
        service?.snapshot().first { $0.status.name == name }
    }

    /// Polls every 5 ms for at most `seconds`; records an issue naming `what` on time-out.
    @discardableResult
    func waitUntil(_ what: String, seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + .milliseconds(UInt64(seconds * 1_000))
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        if condition() { return true }
        Issue.record("timed out waiting until \(what); components: \(service?.snapshot().map { "\($0.status.name) \($0.status.state)" } ?? [])")
        return false
    }
}

/// The example component (`duplex-example-component`), built next to the test bundle.
func exampleComponentPath() throws -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))  // no /proc: argv[0]
        ?? CommandLine.arguments[0]
    let path = URL(fileURLWithPath: executable).deletingLastPathComponent().path + "/duplex-example-component"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
    }
    return path
}

/// Whether `pid` is gone: no /proc entry, or at least not a zombie of ours nor running.
func processIsGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }  // no entry
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state == "X"
}

/// Whether `pid` is a zombie (ended, not reaped).
func processIsZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),  // no entry: not a zombie
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}
