import Glibc

extension CheckpointConnection {
    /// The reader thread: takes the read role whenever something needs reading that no
    /// blocked caller reads for (see `readerThreadWanted`), until `close()`; then fails what
    /// waits and closes the socket. A broken connection keeps its descriptor open until then,
    /// so that `close()` never shuts down a descriptor number another connection reuses.
    func readLoop() {
        lock.lock()
        while true {
            if closing && !reading { break }
            if broken != nil, !reading, !waiters.isEmpty {
                // A send failed: fail what still waits (nobody reads a broken connection).
                lock.unlock()
                fail(reason: "send failed")
                lock.lock()
                continue
            }
            guard !reading, readerThreadWanted, broken == nil else {
                lock.waitReader()
                continue
            }
            reading = true
            lock.unlock()
            readOnce(until: nil)
            lock.lock()
            releaseReadRoleLocked()
        }
        lock.unlock()
        fail(reason: "closed")
        Glibc.close(descriptor)
    }

    /// Gives the read role back (under `lock`): wakes the blocked callers (one of them reads
    /// next) and the reader thread when it is wanted.
    func releaseReadRoleLocked() {
        reading = false
        lock.broadcast()
        if readerThreadWanted { lock.signalReader() }
    }

    /// Reads once and delivers every whole answer (the caller holds the read role, not
    /// `lock`). With a deadline, waits for data at most until then (`poll`); without one,
    /// blocks in `recv`. The end of the session fails everything that waits.
    func readOnce(until deadline: Instant?) {
        if let rings { return readRings(rings, until: deadline) }
        if let deadline {
            let now = MonotonicClock.now()
            guard now < deadline else { return }
            if spinsForAnswer(until: min(deadline, now + Self.answerSpin)) { return readArrived() }
            let milliseconds = Int32(clamping: (deadline.nanoseconds - now.nanoseconds + 999_999) / 1_000_000)
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            // The corresponding C function is `poll`; EINTR or nothing yet: the caller checks again.
            guard poll(&entry, 1, milliseconds) > 0 else { return }
        }
        let count = recv(descriptor, receiveBuffer.baseAddress, receiveBuffer.count, deadline == nil ? 0 : Int32(MSG_DONTWAIT))
        deliver(received: count)
    }

    /// How long a caller blocked on an answer polls the socket before it sleeps in `poll`:
    /// a synchronous write's answer comes within about 100 µs (the mate's round trip), and a
    /// sleeping caller's wake-up adds tens of microseconds to it on a virtual machine.
    static let answerSpin = Duration(nanoseconds: 150_000)

    /// Polls the socket (`MSG_PEEK`, yielding the CPU between polls) until data is there or
    /// `until`; returns whether it is.
    private func spinsForAnswer(until: Instant) -> Bool {
        var byte: UInt8 = 0
        for _ in 0..<10_000 {  // bounded: the time runs out long before
            let count = recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
            if count != 0 && !(count < 0 && (errno == EAGAIN || errno == EINTR)) { return true }  // data, or an end to report
            guard MonotonicClock.now() < until else { return false }
            sched_yield()
        }
        return false
    }

    /// `readOnce` for a session in shared rings: polls the answers' ring (no system call) for
    /// up to `answerSpin` while a caller waits, then sleeps on the answers doorbell; the reader
    /// thread (no deadline) sleeps at once. The end of the socket ends the session.
    private func readRings(_ rings: SessionRingsClient, until deadline: Instant?) {
        if let deadline {
            let now = MonotonicClock.now()
            guard now < deadline else { return }
            let spinEnd = min(deadline, now + Self.answerSpin)
            for _ in 0..<100_000 {  // bounded: the time runs out long before
                if rings.answersWaiting != false { return takeAnswers(rings) }
                guard MonotonicClock.now() < spinEnd else { break }
                sched_yield()
            }
            let left = MonotonicClock.now()
            guard left < deadline else { return }
            switch rings.sleepUntilAnswers(socket: descriptor, milliseconds: Int32(clamping: (deadline.nanoseconds - left.nanoseconds + 999_999) / 1_000_000)) {
            case .closed: return fail(reason: "closed by duplexd")
            case .timedOut: return
            case .ready: return takeAnswers(rings)
            }
        }
        switch rings.sleepUntilAnswers(socket: descriptor, milliseconds: -1) {
        case .closed: fail(reason: "closed by duplexd")
        case .timedOut: return
        case .ready: takeAnswers(rings)
        }
    }

    /// Reads the answers waiting in the ring and delivers the whole ones.
    private func takeAnswers(_ rings: SessionRingsClient) {
        guard let count = rings.readAnswers(into: receiveBuffer) else {
            return fail(reason: "the shared ring is corrupt")
        }
        if count > 0 { deliver(received: count) }
    }

    /// Reads what the spin saw arrive.
    private func readArrived() {
        let count = recv(descriptor, receiveBuffer.baseAddress, receiveBuffer.count, Int32(MSG_DONTWAIT))
        deliver(received: count)
    }

    /// Delivers every whole answer of `count` bytes just received into `receiveBuffer`.
    private func deliver(received count: Int) {
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        guard count > 0 else {
            return fail(reason: count < 0 ? "receive failed, errno \(errno)" : "closed by duplexd")
        }
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count]))
        var start = 0
        while true {
            let step = pending.withUnsafeBytes { raw in
                Result { () throws(ReplicationDecodeError) in
                    try Self.nextAnswer(UnsafeRawBufferPointer(rebasing: raw[start...]))
                }
            }
            guard case .success(let answer) = step else {
                pending.removeAll()
                return fail(reason: "bad answer from duplexd")
            }
            guard let (length, id, completion) = answer else { break }
            start += length
            deliver(id, completion)
        }
        pending.removeSubrange(0..<start)
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
        let entry = waiters.removeValue(forKey: id)
        if let entry { settled = max(settled, entry.ordinal) }
        switch entry?.waiter {
        case .blocked:
            answers[id] = completion
            lock.broadcast()
            lock.unlock()
        case .continuation(let continuation):
            continuations -= 1
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

    func fail(reason: String) {
        lock.lock()
        let error = CheckpointClientError(
            .connectionLost, checkpoint: "", message: "the connection to duplexd at \(path) ended: \(reason)")
        broken = broken ?? error
        let current = waiters
        waiters.removeAll()
        var resumed: [CheckedContinuation<Completion, Never>] = []
        continuations = 0
        for (id, entry) in current {
            switch entry.waiter {
            case .blocked: answers[id] = .failure(error)
            case .continuation(let continuation): resumed.append(continuation)
            }
        }
        lock.broadcast()
        lock.signalReader()
        lock.unlock()
        for continuation in resumed { continuation.resume(returning: .failure(error)) }
    }
}

/// A pthread mutex and two condition variables on CLOCK_MONOTONIC: one for the blocked
/// callers, one for the connection's reader thread (so that waking either does not wake the
/// other).
final class ConditionLock: @unchecked Sendable {
    // @unchecked Sendable: a pthread mutex and condition are made for sharing between threads.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let readerCondition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The corresponding C functions are `pthread_mutex_init` and `pthread_cond_init` with
    /// `pthread_condattr_setclock(CLOCK_MONOTONIC)`.
    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_cond_init(readerCondition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_cond_destroy(readerCondition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        readerCondition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }
    /// The corresponding C function is `pthread_cond_signal` (of the reader's condition).
    func signalReader() { pthread_cond_signal(readerCondition) }
    /// Waits for `signalReader` (spurious wake-ups possible: re-check).
    /// The corresponding C function is `pthread_cond_wait`.
    func waitReader() { pthread_cond_wait(readerCondition, mutex) }

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
