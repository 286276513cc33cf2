import Glibc

/// A client of the `duplexd` control socket, for `duplexctl` and line-card processes.
///
/// Each call opens a connection, sends one request, reads one response and closes, so a client
/// value holds no descriptor and may be shared freely. Calls block for at most ``timeout`` each
/// for connecting and for the answer.
///
/// ```swift
/// let client = DuplexClient()
/// let report = try client.status()
/// print(report.role)
/// ```
public struct DuplexClient: Sendable {
    public static let defaultSocketPath = "/run/duplex/duplexd.sock"
    public static let defaultTimeout = Duration.seconds(2)

    /// The Unix socket of `duplexd` (`[control] socket` in its configuration).
    public var socketPath: String
    /// How long to wait to connect, and then for the whole answer (SO_SNDTIMEO, SO_RCVTIMEO).
    public var timeout: Duration

    public init(socketPath: String = DuplexClient.defaultSocketPath, timeout: Duration = DuplexClient.defaultTimeout) {
        precondition(timeout > .zero, "a client timeout is positive")
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// The board's status report.
    public func status() throws(DuplexClientError) -> StatusReport {
        let response = try exchange(.status)
        guard case .status(let report) = response else { throw unexpected(response, for: .status) }
        return report
    }

    /// The most recent `limit` events, oldest first.
    public func events(limit: Int = Limits.eventHistoryMax) throws(DuplexClientError) -> [EventRecord] {
        let request = ControlRequest.events(limit: limit)
        let response = try exchange(request)
        guard case .events(let records) = response else { throw unexpected(response, for: request) }
        return records
    }

    /// Asks the active board to hand its role to the mate.
    /// - Parameter force: Switch over even when the mate is not a hot standby.
    public func switchover(force: Bool = false) throws(DuplexClientError) {
        try expectOK(.switchover(force: force))
    }

    /// Locks the board out of service: it gives up the active role and never takes it.
    public func lock() throws(DuplexClientError) {
        try expectOK(.lock)
    }

    /// Returns a locked board to service.
    public func unlock() throws(DuplexClientError) {
        try expectOK(.unlock)
    }

    /// Makes this standby drop its replica's stream and resynchronise in full from the active.
    public func resync() throws(DuplexClientError) {
        try expectOK(.resync)
    }

    /// Sends one request and returns the daemon's response as it is, `.error` included.
    public func send(_ request: ControlRequest) throws(DuplexClientError) -> ControlResponse {
        let connection = try UnixStreamConnection.connect(path: socketPath, timeout: timeout)
        try connection.sendAll(request.encode())
        let frame = try receiveFrame(on: connection)
        do {
            return try ControlResponse.decode(frame)
        } catch {
            throw protocolFailure(error)
        }
    }

    /// ``send(_:)``, with an error response turned into a thrown `daemonError`.
    private func exchange(_ request: ControlRequest) throws(DuplexClientError) -> ControlResponse {
        let response = try send(request)
        if case .error(let reply) = response {
            throw DuplexClientError(code: .daemonError, socketPath: socketPath,
                                    message: "duplexd refused \(request.type): \(reply.message) (\(reply.code))",
                                    daemonReply: reply)
        }
        return response
    }

    private func expectOK(_ request: ControlRequest) throws(DuplexClientError) {
        let response = try exchange(request)
        guard case .ok = response else { throw unexpected(response, for: request) }
    }

    /// Reads until one whole frame arrived, within ``timeout`` in total.
    private func receiveFrame(on connection: borrowing UnixStreamConnection) throws(DuplexClientError) -> ControlFrame {
        let deadline = MonotonicClock.now() + timeout
        var decoder = ControlFrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        // A frame is at most controlMessageSizeMax bytes; every read brings at least one.
        for _ in 0...Limits.controlMessageSizeMax {
            do {
                if let frame = try decoder.nextFrame() { return frame }
            } catch {
                throw protocolFailure(error)
            }
            let remaining = deadline.since(MonotonicClock.now())
            guard remaining > .zero else { throw timedOut() }
            try connection.setTimeout(SO_RCVTIMEO, remaining)
            let count = try connection.receive(into: &buffer)
            guard count > 0 else {
                throw protocolFailure(ControlProtocolError(
                    .truncated, decoder.hasPartialFrame ? "duplexd closed the connection mid-answer"
                        : "duplexd closed the connection without answering"))
            }
            decoder.append(buffer[..<count])
        }
        throw timedOut()
    }

    private func timedOut() -> DuplexClientError {
        DuplexClientError(code: .timeout, socketPath: socketPath,
                          message: "duplexd did not answer within \(timeout) (\(socketPath))", errno: ETIMEDOUT)
    }

    private func protocolFailure(_ error: ControlProtocolError) -> DuplexClientError {
        DuplexClientError(code: .protocolError, socketPath: socketPath,
                          message: "bad answer from duplexd at \(socketPath): \(error)", protocolError: error)
    }

    private func unexpected(_ response: ControlResponse, for request: ControlRequest) -> DuplexClientError {
        protocolFailure(ControlProtocolError(.unexpectedType, "\(response.type) in answer to \(request.type)"))
    }
}

/// CLOCK_MONOTONIC as the core's `Instant`.
enum MonotonicClock {
    /// The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    static func now() -> Instant {
        var spec = timespec()
        let result = clock_gettime(CLOCK_MONOTONIC, &spec)
        precondition(result == 0, "clock_gettime(CLOCK_MONOTONIC) cannot fail")
        return Instant(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }
}
