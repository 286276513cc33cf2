import Glibc

extension CheckpointConnection {
    /// The reader thread: decodes answers until the connection ends, then fails what waits
    /// and closes the socket.
    func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 128 * 1024)
        var pending: [UInt8] = []
        var reason = "closed by duplexd"
        reading: while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                if count < 0 { reason = "receive failed, errno \(errno)" }
                break
            }
            pending.append(contentsOf: buffer[0..<count])
            var start = 0
            while true {
                let step = pending.withUnsafeBytes { raw in
                    Result { () throws(ReplicationDecodeError) in
                        try Self.nextAnswer(UnsafeRawBufferPointer(rebasing: raw[start...]))
                    }
                }
                guard case .success(let answer) = step else {
                    reason = "bad answer from duplexd"
                    break reading
                }
                guard let (length, id, completion) = answer else { break }
                start += length
                deliver(id, completion)
            }
            pending.removeSubrange(0..<start)
        }
        fail(reason: reason)
        Glibc.close(descriptor)
    }

    /// The next whole answer: its length, request id and the decoded response (or a protocol
    /// failure for a payload that does not decode).
    static func nextAnswer(_ bytes: UnsafeRawBufferPointer) throws(ReplicationDecodeError) -> (Int, UInt32, Completion)? {
        guard let header = try SessionHeader.parse(bytes), bytes.count >= header.length else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[SessionHeader.size..<header.length])
        do throws(ReplicationDecodeError) {
            return (header.length, header.request, .success(try SessionResponse(type: header.type, payload: payload)))
        } catch {
            let failure = CheckpointClientError(.protocolError, checkpoint: "", message: "bad answer from duplexd: \(error)")
            return (header.length, header.request, .failure(failure))
        }
    }

    private func deliver(_ id: UInt32, _ completion: Completion) {
        lock.lock()
        switch waiters.removeValue(forKey: id) {
        case .blocked:
            answers[id] = completion
            lock.broadcast()
            lock.unlock()
        case .continuation(let continuation):
            lock.unlock()
            continuation.resume(returning: completion)
        case nil:
            // No waiter: the failure of an asynchronous write (or an answer after a timeout).
            if case .success(.failed(let error)) = completion {
                if asyncFailures.count < Self.asyncFailuresMax {
                    asyncFailures.append((id, error))
                } else {
                    asyncFailuresDropped += 1
                }
            }
            lock.unlock()
        }
    }

    private func fail(reason: String) {
        lock.lock()
        let error = CheckpointClientError(
            .connectionLost, checkpoint: "", message: "the connection to duplexd at \(path) ended: \(reason)")
        broken = broken ?? error
        let current = waiters
        waiters.removeAll()
        var continuations: [CheckedContinuation<Completion, Never>] = []
        for (id, waiter) in current {
            switch waiter {
            case .blocked: answers[id] = .failure(error)
            case .continuation(let continuation): continuations.append(continuation)
            }
        }
        lock.broadcast()
        lock.unlock()
        for continuation in continuations { continuation.resume(returning: .failure(error)) }
    }
}

/// A pthread mutex and a condition variable on CLOCK_MONOTONIC.
final class ConditionLock: @unchecked Sendable {
    // @unchecked Sendable: a pthread mutex and condition are made for sharing between threads.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The corresponding C functions are `pthread_mutex_init` and `pthread_cond_init` with
    /// `pthread_condattr_setclock(CLOCK_MONOTONIC)`.
    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits for a broadcast or the deadline (spurious wake-ups possible: re-check).
    /// The corresponding C function is `pthread_cond_timedwait`.
    func wait(until deadline: Instant) {
        var spec = timespec(
            tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        _ = pthread_cond_timedwait(condition, mutex, &spec)
    }
}

/// A detached thread for one connection's reader.
enum ReaderThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// The corresponding C function is `pthread_create` (then `pthread_detach`).
    /// - Returns: 0, or the error number of `pthread_create`.
    static func start(_ body: @escaping @Sendable () -> Void) -> Int32 {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 256 * 1024)
        defer { pthread_attr_destroy(&attributes) }
        let result = pthread_create(&thread, &attributes, { argument in
            let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            return result
        }
        pthread_detach(thread)
        return 0
    }
}
