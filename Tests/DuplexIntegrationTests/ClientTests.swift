import Duplex
import Foundation
import Glibc
import Testing

/// A one-shot control server for the client tests: accepts one connection on a fresh socket
/// path, reads one request, and answers with whatever `answer` returns (nil: say nothing).
final class FakeControlServer: Sendable {
    let path: String
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    init(answer: @escaping @Sendable (ControlRequest) -> [UInt8]?) throws {
        Self.counterLock.lock()
        Self.counter += 1
        path = "/tmp/duplex-ctl-\(getpid())-\(Self.counter).sock"
        Self.counterLock.unlock()
        unlink(path)
        listener = try Self.listen(at: path)
        let listener = self.listener
        let done = self.done
        Thread.detachNewThread {
            Self.serveOnce(listener, answer)
            done.signal()
        }
    }

    /// Waits (bounded) for the server thread, then removes the socket.
    func stop() {
        _ = done.wait(timeout: .now() + 5)
        close(listener)
        unlink(path)
    }

    private static func listen(at path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // accept() gives up after 5 s, so a test that never connects does not strand the thread.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard bound == 0, Glibc.listen(descriptor, 4) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        return descriptor
    }

    private static func serveOnce(_ listener: Int32, _ answer: (ControlRequest) -> [UInt8]?) {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var decoder = ControlFrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 512)
        for _ in 0..<1_000 {
            guard let frame = try? decoder.nextFrame() else {  // a decode error ends the test's exchange
                let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                decoder.append(buffer[..<count])
                continue
            }
            guard let request = try? ControlRequest.decode(frame), let reply = answer(request) else {
                // Say nothing: wait until the client gives up and closes.
                _ = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                return
            }
            _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return
        }
    }
}

@Suite struct ClientTests {
    @Test func aMissingSocketMeansTheDaemonIsNotRunning() {
        let path = "/tmp/duplex-ctl-missing-\(getpid()).sock"
        let client = DuplexClient(socketPath: path)
        #expect(throws: DuplexClientError.self) { try client.status() }
        do {
            _ = try client.status()
        } catch {
            #expect(error.code == .daemonUnreachable)
            #expect(error.errno == ENOENT)
            #expect(error.message == "duplexd is not running (no socket at \(path))")
        }
    }

    @Test func aSocketNobodyListensOnMeansTheDaemonIsNotRunning() throws {
        let path = "/tmp/duplex-ctl-stale-\(getpid()).sock"
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        unlink(path)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(descriptor)  // bound, never listened: a stale socket file as a crashed daemon leaves
        defer { unlink(path) }
        #expect(Self.errorCode { try DuplexClient(socketPath: path).lock() } == .daemonUnreachable)
    }

    @Test func statusRoundTripsThroughASocket() throws {
        let report = StatusReport(clusterID: 7, boardID: 1, name: "A", role: .active, unitState: .working,
                                  epoch: 3, priority: 200, uptime: .seconds(5))
        let server = try FakeControlServer { request in
            request == .status ? try? ControlResponse.status(report).encode() : nil
        }
        defer { server.stop() }
        #expect(try DuplexClient(socketPath: server.path).status() == report)
    }

    @Test func requestsArriveAsSent() throws {
        let server = try FakeControlServer { request in
            request == .switchover(force: true) ? try? ControlResponse.ok.encode() : nil
        }
        defer { server.stop() }
        try DuplexClient(socketPath: server.path).switchover(force: true)
    }

    @Test func aDaemonErrorIsTyped() throws {
        let reply = ControlErrorReply(code: .refused, message: "mate is not hot")
        let server = try FakeControlServer { _ in try? ControlResponse.error(reply).encode() }
        defer { server.stop() }
        do {
            try DuplexClient(socketPath: server.path).switchover()
            Issue.record("switchover succeeded")
        } catch {
            #expect(error.code == .daemonError)
            #expect(error.daemonReply == reply)
        }
    }

    @Test func theWrongAnswerIsAProtocolError() throws {
        let server = try FakeControlServer { _ in try? ControlResponse.ok.encode() }
        defer { server.stop() }
        #expect(Self.errorCode { try DuplexClient(socketPath: server.path).events(limit: 5) } == .protocolError)
    }

    @Test func garbageIsAProtocolError() throws {
        let server = try FakeControlServer { _ in Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8) }
        defer { server.stop() }
        #expect(Self.errorCode { try DuplexClient(socketPath: server.path).status() } == .protocolError)
    }

    @Test func aSilentDaemonTimesOut() throws {
        let server = try FakeControlServer { _ in nil }
        defer { server.stop() }
        let client = DuplexClient(socketPath: server.path, timeout: .milliseconds(200))
        #expect(Self.errorCode { try client.unlock() } == .timeout)
    }

    static func errorCode(_ body: () throws -> some Any) -> DuplexClientError.Code? {
        do {
            _ = try body()
            return nil
        } catch let error as DuplexClientError {
            return error.code
        } catch {
            Issue.record("not a DuplexClientError: \(error)")
            return nil
        }
    }
}
