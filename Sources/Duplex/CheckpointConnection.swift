import CDuplexShims
import DuplexCore
import Glibc

/// One persistent session with the checkpoint service: a Unix stream socket, requests
/// written (batched) by the callers, answers read by one reader at a time (the *read role*).
///
/// A blocked caller whose answer is due reads the socket itself when nobody else does, so its
/// answer reaches it without a hand-off through another thread. The connection's reader thread
/// takes the role only when something else needs reading: the `async` callers it resumes
/// (never blocking the cooperative pool), failures of asynchronous writes not yet followed by
/// a later answer, and the end of the session.
final class CheckpointConnection: @unchecked Sendable {
    // @unchecked Sendable: every mutable property is guarded by `lock`, except `pending` and
    // `receiveBuffer`, which only the holder of the read role touches (`reading`, taken and
    // given back under `lock`); `descriptor` is immutable and shut down (not closed) by
    // `close()` until the reader thread exits.

    typealias Completion = Result<SessionResponse, CheckpointClientError>

    enum Waiter {
        case blocked
        case continuation(CheckedContinuation<Completion, Never>)
    }

    let descriptor: Int32
    let path: String
    /// The session's shared rings, when the daemon took them (`SessionRings`): requests and
    /// answers go through them, the socket only tells the end of the session.
    let rings: SessionRingsClient?
    let lock = ConditionLock()
    /// Encoded requests not yet sent.
    var outgoing: [UInt8] = []
    var nextRequest: UInt32 = 1
    /// Who waits for which request, with the request's ordinal (see `enqueued`).
    var waiters: [UInt32: (waiter: Waiter, ordinal: UInt64)] = [:]
    /// Answers for blocked callers.
    var answers: [UInt32: Completion] = [:]
    /// Failures of asynchronous writes not reported yet.
    var asyncFailures: [(request: UInt32, error: SessionError)] = []
    var asyncFailuresDropped = 0
    /// Set once the connection broke; every later call fails with it.
    var broken: CheckpointClientError?
    /// Someone holds the read role (the reader thread or a blocked caller).
    var reading = false
    /// A caller is sending `outgoing` (it may wait for room with the lock released).
    var sending = false
    /// `close()` was called: the reader thread ends.
    var closing = false
    /// Waiters that are continuations (only a reader resumes them).
    var continuations = 0
    /// Requests enqueued so far; each request's ordinal is the count after it.
    var enqueued: UInt64 = 0
    /// The ordinal of the last asynchronous write.
    var lastAsync: UInt64 = 0
    /// The highest ordinal of a request answered: the service answers in order, so no failure
    /// of an asynchronous write enqueued before it is still to come.
    var settled: UInt64 = 0
    /// Bytes read and not yet decoded (read role only).
    var pending: [UInt8] = []
    /// The receive buffer (read role only).
    let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 * 1024, alignment: 16)

    /// Asynchronous writes are sent once this many bytes are buffered (or at the next
    /// blocking call, or `flush`).
    static let outgoingFlushSize = 32 * 1024
    /// Requests buffered while a caller waits for room in the socket, at most (see `enqueue`).
    static let outgoingSizeMax = 256 * 1024
    static let asyncFailuresMax = 64

    private init(descriptor: Int32, path: String, rings: SessionRingsClient?) {
        self.descriptor = descriptor
        self.path = path
        self.rings = rings
    }

    deinit {
        receiveBuffer.deallocate()
    }

    /// The reader thread has something to do: continuations to resume, failures of
    /// asynchronous writes that may still come, or the end of the session. Under `lock`.
    var readerThreadWanted: Bool { continuations > 0 || lastAsync > settled || closing }

    /// Connects and starts the reader thread.
    static func connect(path: String, timeout: Duration, checkpoint: String) throws(CheckpointClientError) -> CheckpointConnection {
        let socket: UnixStreamConnection
        do {
            socket = try UnixStreamConnection.connect(path: path, timeout: timeout)
        } catch {
            let code: CheckpointClientError.Code = error.code == .daemonUnreachable ? .daemonUnreachable
                : error.code == .timeout ? .timeout : .systemError
            throw CheckpointClientError(code, checkpoint: checkpoint, message: error.message, errno: error.errno)
        }
        let descriptor = dup(socket.descriptor)
        guard descriptor >= 0 else {
            throw CheckpointClientError(.systemError, checkpoint: checkpoint, message: "dup: errno \(errno)", errno: errno)
        }
        // No send timeout: a full socket is waited for in `poll`, with the lock released so that
        // the answers are taken meanwhile (see `sendOutgoingLocked`).
        var none = timeval(tv_sec: 0, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &none, socklen_t(MemoryLayout<timeval>.size))
        let rings: SessionRingsClient?
        do {
            rings = try offerRings(descriptor: descriptor, path: path, deadline: MonotonicClock.now() + timeout, checkpoint: checkpoint)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        let connection = CheckpointConnection(descriptor: descriptor, path: path, rings: rings)
        let started = ReaderThread.start { connection.readLoop() }
        guard started == 0 else {
            Glibc.close(descriptor)
            throw CheckpointClientError(.systemError, checkpoint: checkpoint, message: "cannot start the reader thread", errno: started)
        }
        return connection
    }

    /// Offers `duplexd` shared rings for the session, its first request (unless
    /// `DUPLEX_CHECKPOINT_TRANSPORT=socket`), and reads the one answer on the socket.
    /// - Returns: the rings when the daemon took them; nil when it refused (an older build, or
    ///   `[checkpoint] shared-memory = no`) or this system cannot make them: the session then
    ///   stays on the socket.
    /// - Throws: `connectionLost`, `timeout` or `protocolError` when the socket breaks, the
    ///   answer does not come by `deadline`, or is not one of those two.
    static func offerRings(
        descriptor: Int32, path: String, deadline: Instant, checkpoint: String
    ) throws(CheckpointClientError) -> SessionRingsClient? {
        if let choice = getenv("DUPLEX_CHECKPOINT_TRANSPORT"), String(cString: choice) == "socket" { return nil }
        guard let rings = SessionRingsClient() else { return nil }
        var frame: [UInt8] = []
        do throws(ReplicationDecodeError) {
            try SessionRequest.sharedRings(capacity: rings.capacity).encode(request: 0, into: &frame)
        } catch {
            return nil  // cannot be: the default capacity is valid
        }
        let descriptors = rings.descriptors
        let sent = frame.withUnsafeBytes { raw in
            descriptors.withUnsafeBufferPointer {
                CDuplexShims_send_descriptors(descriptor, raw.baseAddress, raw.count, $0.baseAddress, CInt($0.count))
            }
        }
        guard sent == frame.count else {
            throw CheckpointClientError(
                .connectionLost, checkpoint: checkpoint, message: "the connection to duplexd at \(path) broke (send)", errno: errno)
        }
        // The answer, and nothing after it (the daemon sends nothing else until asked).
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        for _ in 0..<64 {
            let header = answer.withUnsafeBytes { raw in Result { () throws(ReplicationDecodeError) in try SessionHeader.parse(raw) } }
            guard case .success(let parsed) = header else { break }
            if let parsed, answer.count >= parsed.length {
                guard parsed.request == 0, answer.count == parsed.length else { break }
                if parsed.type == .ringsReady { return rings }
                if parsed.type == .failed { return nil }
                break
            }
            let now = MonotonicClock.now()
            guard now < deadline else {
                throw CheckpointClientError(.timeout, checkpoint: checkpoint, message: "duplexd at \(path) did not answer the session's set-up")
            }
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            // The corresponding C function is `poll`; EINTR or nothing yet: look again.
            guard poll(&entry, 1, Int32(clamping: (deadline.nanoseconds - now.nanoseconds + 999_999) / 1_000_000)) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            guard count > 0 else {
                throw CheckpointClientError(
                    .connectionLost, checkpoint: checkpoint, message: "the connection to duplexd at \(path) ended during the session's set-up")
            }
            answer.append(contentsOf: chunk[0..<count])
        }
        throw CheckpointClientError(.protocolError, checkpoint: checkpoint, message: "bad answer from duplexd to the session's set-up")
    }

    /// Ends the session: the reader thread sees the end, fails what waits and closes the socket.
    func close() {
        // The corresponding C function is `shutdown`; the reader thread closes the descriptor
        // (after this: it may be idle and end at once).
        _ = shutdown(descriptor, Int32(SHUT_RDWR))
        lock.lock()
        closing = true
        lock.signalReader()
        lock.unlock()
    }

    /// Appends a request under the lock and sends it now when `immediately` (or when enough is
    /// buffered). `encode` gets the request id.
    /// - Returns: the request id.
    func enqueue(
        immediately: Bool, waiter: Waiter?, checkpoint: String,
        _ encode: (UInt32, inout [UInt8]) throws(ReplicationDecodeError) -> Void
    ) throws(CheckpointClientError) -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        if let broken { throw broken }
        // While another caller waits for room in the socket, requests queue here: up to
        // `outgoingSizeMax` bytes of them, then this caller waits as well.
        while sending, outgoing.count >= Self.outgoingSizeMax {
            lock.wait(until: MonotonicClock.now() + .seconds(1))
            if let broken { throw broken }
        }
        let id = nextRequest
        nextRequest = nextRequest == UInt32.max ? 1 : nextRequest + 1
        do {
            try encode(id, &outgoing)
        } catch {
            throw CheckpointClientError(
                error == .tooLarge ? .overLimit : .invalid, checkpoint: checkpoint,
                message: "checkpoint \"\(checkpoint)\": the request cannot be encoded (\(error))",
                checkpointError: error == .tooLarge
                    ? CheckpointError(.updateTooLarge, checkpoint: checkpoint, limit: UInt64(SessionHeader.frameSizeMax)) : nil)
        }
        enqueued += 1
        let wasWanted = readerThreadWanted
        if let waiter {
            waiters[id] = (waiter, enqueued)
            if case .continuation = waiter { continuations += 1 }
        } else {
            lastAsync = enqueued
        }
        if immediately || outgoing.count >= Self.outgoingFlushSize {
            do {
                try sendOutgoingLocked(checkpoint: checkpoint)
            } catch {
                // The caller gets the error; nobody resumes this waiter.
                if case .continuation = waiters.removeValue(forKey: id)?.waiter { continuations -= 1 }
                throw error
            }
        }
        if !wasWanted, readerThreadWanted { lock.signalReader() }
        return id
    }

    /// Sends every buffered request; call with the lock held. When the socket is full, waits
    /// for room with the lock released: `duplexd` stops reading a client whose answers back
    /// up, and the reader needs the lock to take them, so a send blocked under the lock would
    /// wait for ever. Requests enqueued meanwhile go out with these: one thread sends at a
    /// time (`sending`), and another leaves its requests to it.
    func sendOutgoingLocked(checkpoint: String) throws(CheckpointClientError) {
        guard !outgoing.isEmpty, !sending else { return }
        sending = true
        var waited = false
        defer {
            sending = false
            if waited { lock.broadcast() }  // callers waiting for room in `outgoing`
        }
        var offset = 0
        while let rings, offset < outgoing.count {
            guard let wrote = outgoing.withUnsafeBytes({ rings.writeRequests(UnsafeRawBufferPointer(rebasing: $0[offset...])) }) else {
                let error = CheckpointClientError(
                    .protocolError, checkpoint: checkpoint, message: "the session's shared ring with duplexd at \(path) is corrupt")
                broken = broken ?? error
                lock.signalReader()
                throw error
            }
            offset += wrote
            guard wrote == 0 else { continue }
            // Full: wait for the daemon to take some, with the lock released (see above).
            waited = true
            lock.unlock()
            let outcome = rings.sleepUntilRoom(socket: descriptor, milliseconds: 1_000)
            lock.lock()
            if let broken { throw broken }
            if outcome == .closed {
                let error = CheckpointClientError(
                    .connectionLost, checkpoint: checkpoint, message: "the connection to duplexd at \(path) ended")
                broken = broken ?? error
                lock.signalReader()
                throw error
            }
        }
        while rings == nil, offset < outgoing.count {
            let sent = outgoing.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            if sent < 0, code == EINTR { continue }
            if sent < 0, code == EAGAIN || code == EWOULDBLOCK {
                // The corresponding C function is `poll` (POLLOUT); a second at a time, so that
                // a broken or closed connection is seen (its shutdown also wakes the poll).
                waited = true
                lock.unlock()
                var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&entry, 1, 1_000)
                lock.lock()
                if let broken { throw broken }
                continue
            }
            let error = CheckpointClientError(
                .connectionLost, checkpoint: checkpoint, message: "the connection to duplexd at \(path) broke (send)",
                errno: code)
            broken = broken ?? error
            lock.signalReader()  // it fails what else waits
            throw error
        }
        outgoing.removeAll(keepingCapacity: true)
    }

    /// Waits for the answer to a request sent with a `.blocked` waiter, reading the socket
    /// itself while nobody else does.
    func wait(for id: UInt32, timeout: Duration, checkpoint: String) -> Completion {
        let deadline = MonotonicClock.now() + timeout
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let answer = answers.removeValue(forKey: id) { return answer }
            guard MonotonicClock.now() < deadline else {
                waiters[id] = nil
                return .failure(CheckpointClientError(
                    .timeout, checkpoint: checkpoint, message: "duplexd did not answer within \(timeout) (\(path))"))
            }
            if !reading, broken == nil, !closing {
                reading = true
                lock.unlock()
                readOnce(until: deadline)
                lock.lock()
                releaseReadRoleLocked()
                continue
            }
            lock.wait(until: deadline)
        }
    }

    /// Takes the failures of asynchronous writes reported so far.
    func takeAsyncFailures(checkpoint: String) -> CheckpointClientError? {
        lock.lock()
        defer { lock.unlock() }
        guard !asyncFailures.isEmpty || asyncFailuresDropped > 0 else { return nil }
        let failures = asyncFailures.map { CheckpointClientError($0.error, checkpoint: checkpoint) }
        let dropped = asyncFailuresDropped
        asyncFailures.removeAll()
        asyncFailuresDropped = 0
        let first = failures.first?.message ?? "unknown"
        return CheckpointClientError(
            .asyncWriteFailed, checkpoint: checkpoint,
            message: "\(failures.count + dropped) asynchronous writes failed; the first: \(first)",
            checkpointError: failures.first?.checkpointError, asyncFailures: failures)
    }
}
