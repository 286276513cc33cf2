import Foundation
import Glibc
import Synchronization
import Testing

extension Tag {
    /// Tests that create network namespaces and run real daemons; they need root.
    @Tag static var netns: Self
}

/// Whether the lab tests can run: namespaces, raw sockets and netlink need root.
let isRoot = geteuid() == 0

/// A helper command that failed, did not finish in time, or printed something unexpected.
struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a finished command printed and how it ended.
struct CommandResult {
    let command: String
    let status: Int32
    let output: String
    let errorOutput: String

    var succeeded: Bool { status == 0 }

    /// Throws unless the command exited 0.
    @discardableResult
    func checked() throws -> CommandResult {
        guard succeeded else {
            throw LabError("\(command) exited \(status): \(errorOutput)\(output)")
        }
        return self
    }
}

enum Command {
    private static let counter = Atomic<Int>(0)

    /// Runs `executable` with `arguments`, waits at most `timeout` seconds (then kills it and
    /// throws), and returns its status and output. Output goes through temporary files, so a
    /// child that never closes its output cannot block the test.
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 20) throws -> CommandResult {
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let base = NSTemporaryDirectory() + "duplex-itest-\(getpid())-\(number)"
        let outputPath = base + ".out"
        let errorPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer {
            // Leftover temporary files are harmless; nothing to do if removal fails.
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        let command = ([executable] + arguments).joined(separator: " ")
        try process.run()
        for _ in 0..<Int(timeout / 0.005) {
            guard process.isRunning else { break }
            usleep(5_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw LabError("\(command) did not finish within \(timeout) s; killed")
        }
        process.waitUntilExit()
        let status = process.terminationReason == .exit
            ? process.terminationStatus : 128 + process.terminationStatus
        return CommandResult(
            command: command, status: status,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",  // unreadable: empty
            errorOutput: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")  // likewise
    }
}

/// Where the built `duplexd`, `duplexctl` and `duplex-probe` are: `$DUPLEX_BIN`, else the
/// directory of the running test bundle (SwiftPM puts the products next to it).
struct Binaries {
    let directory: String

    var duplexd: String { directory + "/duplexd" }
    var duplexctl: String { directory + "/duplexctl" }
    var probe: String { directory + "/duplex-probe" }
    /// The example component (component API), the supervisor tests' child.
    var exampleComponent: String { directory + "/duplex-example-component" }

    /// - Throws: `LabError` naming the directory and the missing binary.
    static func locate() throws -> Binaries {
        let directory: String
        if let override = ProcessInfo.processInfo.environment["DUPLEX_BIN"], !override.isEmpty {
            directory = override
        } else {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))  // no /proc: argv[0]
                ?? CommandLine.arguments[0]
            directory = URL(fileURLWithPath: executable).deletingLastPathComponent().path
        }
        let binaries = Binaries(directory: directory)
        for path in [binaries.duplexd, binaries.duplexctl, binaries.probe]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw LabError("""
                \(path) is missing: build with `swift build --build-tests` (same --scratch-path) \
                or point DUPLEX_BIN at the directory that holds duplexd, duplexctl and duplex-probe
                """)
        }
        return binaries
    }
}

/// One of the lab's nodes.
enum Node: String {
    case a, b, c

    /// The board name the daemon and the probe responder use.
    var name: String { rawValue.uppercased() }
}

/// Polls `condition` up to `attempts` times, `interval` microseconds apart, and returns
/// whether it held at some attempt.
func poll(attempts: Int = 100, interval: useconds_t = 50_000, _ condition: () throws -> Bool) rethrows -> Bool {
    for attempt in 0..<attempts {
        if try condition() { return true }
        if attempt + 1 < attempts { usleep(interval) }
    }
    return false
}
