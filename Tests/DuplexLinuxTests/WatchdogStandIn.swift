import Foundation
import Glibc
import Synchronization

/// A stand-in for `/dev/watchdog`: a FIFO whose reading end a test thread drains, recording
/// each byte with the monotonic time it arrived, the magic `V` and the end of file (the
/// writer's close). Keepalives stop = the device would bark.
final class WatchdogStandIn: Sendable {
    struct Record: Sendable {
        let byte: UInt8
        let at: Double
    }

    private struct State {
        var records: [Record] = []
        var endOfFile = false
        var finished = false
    }

    let path: String
    private let descriptor: CInt
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    private static let counter = Atomic<Int>(0)

    /// Creates the FIFO in the temporary directory and starts the reading thread, which ends
    /// at end of file, on `close()`, or after `lifetime` seconds.
    init(lifetime: Double = 120) throws {
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        path = NSTemporaryDirectory() + "duplex-wd-\(getpid())-\(number)"
        unlink(path)  // a leftover of a dead process with this pid; ENOENT otherwise
        guard mkfifo(path, 0o600) == 0 else { throw StandInError("mkfifo \(path): \(String(cString: strerror(errno)))") }
        // Non-blocking: the open does not wait for a writer. Linux reports no hang-up on a
        // FIFO whose writer never came, so poll waits for the first writer.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            unlink(path)
            throw StandInError("open \(path): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        let thread = Thread { [self] in self.drain(until: Self.now() + lifetime) }
        thread.name = "watchdog-stand-in"
        thread.start()
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func drain(until deadline: Double) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while !stopping.load(ordering: .relaxed), Self.now() < deadline {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                let at = Self.now()
                state.withLock { $0.records += buffer[0..<count].map { Record(byte: $0, at: at) } }
            } else if count == 0 {
                state.withLock { $0.endOfFile = true }
                break
            } else if errno != EAGAIN && errno != EINTR {
                break
            }
        }
        Glibc.close(descriptor)
        state.withLock { $0.finished = true }
    }

    /// Every byte so far.
    var records: [Record] { state.withLock { $0.records } }
    /// The keepalives so far (every byte but the magic `V`).
    var keepalives: [Record] { records.filter { $0.byte != UInt8(ascii: "V") } }
    /// Whether the last byte was the magic `V` and the writer then closed.
    var sawMagicClose: Bool {
        state.withLock { $0.endOfFile && $0.records.last?.byte == UInt8(ascii: "V") }
    }
    var sawEndOfFile: Bool { state.withLock { $0.endOfFile } }

    /// Stops the reading thread (bounded wait) and removes the FIFO.
    func close() {
        stopping.store(true, ordering: .relaxed)
        for _ in 0..<100 where !state.withLock({ $0.finished }) { usleep(10_000) }
        unlink(path)
    }
}

struct StandInError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 10 ms for at most `seconds`; returns whether it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = WatchdogStandIn.now() + seconds
    while true {
        if try condition() { return true }
        if WatchdogStandIn.now() >= deadline { return false }
        usleep(10_000)
    }
}
