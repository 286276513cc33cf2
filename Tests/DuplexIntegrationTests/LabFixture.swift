import Foundation
import Glibc
import Synchronization
import DuplexTestSupport
import Testing

/// A lab (`Tools/lab up --links 2`: boards A and B, a client and a switch in network
/// namespaces) with the processes a test started in it. `remove()` (also run by `deinit`)
/// stops every process this fixture started, then `Tools/lab down` stops anything left in
/// the namespaces and deletes them, so a failing test leaves nothing behind.
///
/// Set `DUPLEX_ITEST_KEEP_LOGS=1` to keep `/run/duplex-lab/ID/log` after the test.
final class LabFixture {
    private static let counter = Atomic<Int>(0)

    let id: String
    let binaries: Binaries
    let labScript: String
    private let env: [String: String]
    private var processes: [SpawnedProcess] = []
    private var removed = false

    /// Builds a fresh lab with a unique id (this process's pid in base 36 and a counter).
    /// - Parameter watchdog: give each board a watchdog stand-in (`Tools/lab up --watchdog`):
    ///   its duplexd feeds it, and it resets the board when the feeding stops for 1 s.
    /// - Throws: `LabError` when the binaries are missing or the lab cannot be built.
    /// - Parameter missedMax: the heartbeats a path may miss (see `testMissedMax`); the tests
    ///   that flood a dedicated link with replication traffic allow more, because on veth the
    ///   flood and the heartbeats share one per-CPU receive backlog.
    init(links: Int = 2, watchdog: Bool = false, missedMax: Int = LabFixture.testMissedMax) throws {
        binaries = try Binaries.locate()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        labScript = root.appendingPathComponent("Tools/lab").path
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        id = "it\(String(getpid(), radix: 36))n\(number)"
        precondition(id.count <= 11, "lab ids have at most 11 characters")
        // A lab of the same id can only be left over from a dead process that had this pid.
        try Command.run(labScript, ["down", "--id", id]).checked()
        try Command.run(labScript, ["up", "--links", "\(links)", "--id", id] + (watchdog ? ["--watchdog"] : [])).checked()
        do {
            env = try Self.readEnv(try Command.run(labScript, ["env", id]).checked().output)
            try Self.widenHeartbeatBudget([env["LAB_A_CONF"], env["LAB_B_CONF"]].compactMap { $0 }, to: missedMax)
        } catch {
            _ = try? Command.run(labScript, ["down", "--id", id])  // the lab is unusable; the error below says why
            throw error
        }
    }

    deinit { remove() }

    /// The heartbeats a path may miss in the tests: 8 (34 ms at 4 ms) instead of the boards'
    /// 3 (14 ms). The tests run many labs and builds at once on a small machine, where a pair
    /// thread or the kernel's packet processing can be held up for more than 14 ms; there a
    /// takeover is the protocol doing its job, not what a test is about. The detection times
    /// at 3 are measured by `Tools/bench/failover`; the tests check behaviour, with bounds
    /// that allow for this budget.
    static let testMissedMax = 8

    /// A flood of replication traffic is allowed 25 (102 ms).
    static let floodMissedMax = 25

    private static func widenHeartbeatBudget(_ paths: [String], to missedMax: Int) throws {
        for path in paths {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let widened = text.replacingOccurrences(of: "\nmissed-max = 3\n", with: "\nmissed-max = \(missedMax)\n")
            guard widened != text else { throw LabError("\(path) has no \"missed-max = 3\" line to widen") }
            try widened.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    private static func readEnv(_ text: String) throws -> [String: String] {
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            env[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard env["LAB_NS_A"] != nil, env["LAB_A_CONF"] != nil else { throw LabError("lab env incomplete: \(text)") }
        return env
    }

    /// A value from the lab's env file (`LAB_` prefix left out), e.g. `value("DIR")`.
    func value(_ key: String) -> String {
        guard let value = env["LAB_" + key] else { preconditionFailure("no LAB_\(key) in the lab's env") }
        return value
    }

    func namespace(_ node: Node) -> String { value("NS_\(node.name)") }
    func socket(_ node: Node) -> String { value("\(node.name)_SOCK") }
    func configuration(_ node: Node) -> String { value("\(node.name)_CONF") }
    var logDirectory: String { value("LOG_DIR") }

    // MARK: Processes

    /// Starts `arguments` in `node`'s namespace in the background, output to log/LABEL.log.
    /// The fixture stops it on `remove()` if it is still running.
    @discardableResult
    func spawn(_ node: Node, label: String, _ arguments: [String]) throws -> SpawnedProcess {
        let process = try SpawnedProcess(
            "/usr/sbin/ip", ["netns", "exec", namespace(node)] + arguments, log: "\(logDirectory)/\(label).log")
        processes.append(process)
        record(process, node: node, label: label)
        return process
    }

    /// Adds `process` to the lab's pids file as `lab_spawn` does ("PID STARTTIME NODE LABEL"), so
    /// that `Tools/lab down` and the board's watchdog stand-in know it as one of the board's.
    private func record(_ process: SpawnedProcess, node: Node, label: String) {
        // `ip netns exec` execs the command: the pid and start time stay the command's.
        guard let stat = try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8),  // gone: nothing to record
              let end = stat.range(of: ") ", options: .backwards) else { return }
        let fields = stat[end.upperBound...].split(separator: " ")
        guard fields.count > 19 else { return }
        let line = "\(process.pid) \(fields[19]) \(node.rawValue) \(label)\n"
        let descriptor = open(value("PIDS"), O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { return }  // no pids file: `lab down` still finds it in the namespace
        defer { close(descriptor) }
        // One short line with O_APPEND: written whole; a failure only leaves the process unrecorded.
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }

    /// Starts duplexd on board `node` with the lab's configuration (or `configuration`).
    @discardableResult
    func startDaemon(_ node: Node, label: String? = nil, configuration: String? = nil) throws -> SpawnedProcess {
        try spawn(node, label: label ?? "duplexd-\(node.rawValue)",
                  [binaries.duplexd, "--config", configuration ?? self.configuration(node)])
    }

    /// Starts a `duplex-probe` responder named A or B on each board.
    func startResponders() throws {
        for node in [Node.a, .b] {
            try spawn(node, label: "probe-\(node.rawValue)", [binaries.probe, "respond", "--name", node.name, "--lifetime", "600s"])
        }
    }

    /// Stops the processes, then removes the lab. Safe to call twice.
    func remove() {
        guard !removed else { return }
        removed = true
        for process in processes where process.isRunning { stop(process) }
        let keep = ProcessInfo.processInfo.environment["DUPLEX_ITEST_KEEP_LOGS"] == "1"
        do {
            try Command.run(labScript, ["down", "--id", id] + (keep ? ["--keep-state"] : []), timeout: 60).checked()
        } catch {
            print("lab \(id): clean-up failed: \(error)")
        }
    }

    /// SIGTERM (and SIGCONT, so that a stopped process can act on it), a bounded wait, then
    /// SIGKILL and another bounded wait.
    private func stop(_ process: SpawnedProcess) {
        process.send(SIGTERM)
        process.send(SIGCONT)
        if process.waitForExit(seconds: 3) != nil { return }
        process.send(SIGKILL)
        if process.waitForExit(seconds: 5) == nil { print("lab \(id): pid \(process.pid) survived SIGKILL") }
    }
}
