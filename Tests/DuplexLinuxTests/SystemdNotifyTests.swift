import Foundation
import Glibc
import Testing
import DuplexTestSupport

/// duplexd under systemd's `Type=notify` with `WatchdogSec`: a datagram socket stands in for
/// systemd's `NOTIFY_SOCKET`.
@Suite("systemd notify", .serialized)
struct SystemdNotifyTests {
    /// A bound `AF_UNIX` datagram socket that collects notifications.
    final class NotifySocket {
        let path: String
        let fd: CInt

        init() throws {
            path = NSTemporaryDirectory() + "duplex-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// The datagrams received within `seconds`, stopping early once `until` holds.
        func receive(seconds: Double, until: ([String]) -> Bool) -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 512)
            while Date() < deadline, !until(messages) {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) == 1 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0 { messages.append(String(decoding: buffer[..<count], as: UTF8.self)) }
            }
            return messages
        }
    }

    @Test func readyThenWatchdogPingsThenStopping() throws {
        let notify = try NotifySocket()
        let standIn = try WatchdogStandIn()
        defer { standIn.close() }
        let daemon = try Daemon(watchdog: standIn.path, environment: [
            "NOTIFY_SOCKET=\(notify.path)", "WATCHDOG_USEC=200000",
        ])
        defer { daemon.remove() }
        let running = notify.receive(seconds: 15) { $0.filter { $0 == "WATCHDOG=1" }.count >= 3 }
        #expect(running.first == "READY=1", "\(running) \(daemon.log())")
        #expect(running.filter { $0 == "WATCHDOG=1" }.count >= 3, "pings every 100 ms: \(running)")
        daemon.process.send(SIGTERM)
        let stopping = notify.receive(seconds: 15) { $0.contains("STOPPING=1") }
        #expect(stopping.contains("STOPPING=1"), "\(stopping)")
        #expect(daemon.process.waitForExit(seconds: 15) == 0, "\(daemon.log())")
    }
}
