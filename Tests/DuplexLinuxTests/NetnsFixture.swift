import CDuplexShims
import DuplexLinux
import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing

extension Tag {
    /// Tests that create network namespaces; they need root.
    @Tag static var netns: Self
}

/// Whether the tests that create namespaces and raw sockets can run.
let isRoot = geteuid() == 0

/// A failed helper command in a test.
struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let status: Int32
    let output: String
    var description: String { "\(command) exited \(status): \(output)" }
}

/// Runs `/usr/sbin/ip` with `arguments`, waits at most 10 s, and returns its output.
@discardableResult
func ip(_ arguments: String...) throws -> String {
    try run("/usr/sbin/ip", arguments)
}

func run(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    let deadline = Date().addingTimeInterval(10)
    while process.isRunning, Date() < deadline { usleep(1_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    let output = String(decoding: data, as: UTF8.self)
    let command = ([path] + arguments).joined(separator: " ")
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        throw CommandFailed(command: command, status: process.terminationStatus, output: output)
    }
    return output
}

/// Two network namespaces joined by a veth pair, with documentation addresses, removed on
/// `remove()` and in `deinit` (whichever comes first), so a failing test leaves nothing.
///
/// ```
///   [nsA] interfaceA ═══ veth ═══ interfaceB [nsB]
///         192.0.2.1/24            192.0.2.2/24
///         2001:db8:1::1/64        2001:db8:1::2/64
/// ```
final class NetnsFixture: Sendable {
    private static let counter = Atomic<Int>(0)

    let a: String
    let b: String
    let interfaceA: String
    let interfaceB: String
    private let removed = Atomic<Bool>(false)

    init() throws {
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        let pid = getpid()
        a = "dxio\(pid)-\(number)a"
        b = "dxio\(pid)-\(number)b"
        interfaceA = "dxa\(number)"
        interfaceB = "dxb\(number)"
        do {
            try ip("netns", "add", a)
            try ip("netns", "add", b)
            try ip("-n", a, "link", "add", interfaceA, "type", "veth", "peer", "name", interfaceB, "netns", b)
            for (ns, interface, host) in [(a, interfaceA, 1), (b, interfaceB, 2)] {
                try ip("-n", ns, "link", "set", "lo", "up")
                try ip("-n", ns, "addr", "add", "192.0.2.\(host)/24", "dev", interface)
                try ip("-n", ns, "-6", "addr", "add", "2001:db8:1::\(host)/64", "dev", interface, "nodad")
                try ip("-n", ns, "link", "set", interface, "up")
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes both namespaces (and with them the veth pair). Safe to call twice.
    func remove() {
        guard !removed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for ns in [a, b] {
            // Clean-up must go on for the second namespace even if the first is already gone.
            do { try ip("netns", "delete", ns) } catch { print("netns clean-up: \(error)") }
        }
    }

    deinit { remove() }
}

/// Runs `body` on a fresh pthread that has first entered the network namespace `name`
/// (`setns` on `/var/run/netns/NAME`; a network namespace is per thread), and returns its
/// result. Sockets created in `body` stay in that namespace wherever they are used later.
func withNetworkNamespace<Value: Sendable>(
    _ name: String, _ body: @escaping @Sendable () throws -> Value
) throws -> Value {
    let outcome = OutcomeBox<Value>()
    let thread = try PosixThread.start(name: "netns-test") {
        let result: Result<Value, any Error>
        do {
            let descriptor = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw Errno(rawValue: errno) }
            defer { close(descriptor) }
            guard CDuplexShims_setns(descriptor, CDuplexShims_CLONE_NEWNET) == 0 else { throw Errno(rawValue: errno) }
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
        outcome.value.withLock { $0 = result }
    }
    thread.join()
    return try outcome.value.withLock { $0 }!.get()
}

/// A result handed from a test thread back to the test.
final class OutcomeBox<Value: Sendable>: Sendable {
    let value = Mutex<Result<Value, any Error>?>(nil)
}

/// Waits until `descriptor` is readable or `timeoutMilliseconds` pass.
func waitReadable(_ descriptor: CInt, timeoutMilliseconds: Int32 = 3_000) -> Bool {
    var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, timeoutMilliseconds) == 1
}
