import Glibc

/// Sends sequence-numbered probes at a fixed rate and tallies the answers.
struct ProbeClient {
    /// Datagrams drained per wake-up: well above what one interval can bring.
    static let receiveBatchMax = 256

    let options: ClientOptions

    /// Runs the probe and returns the summary line.
    /// - Throws: `ProbeError.system` if the socket cannot be opened or a receive fails.
    func run() throws(ProbeError) -> String {
        if options.realtimePriority > 0 { try Self.enterRealtime(priority: options.realtimePriority) }
        let socket = try UDPSocket(family: options.target.family)
        try socket.bind(to: .wildcard(family: options.target.family, port: 0))
        let nonce = Self.makeNonce()
        var tally = ProbeTally(count: options.count)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 8)
        defer { buffer.deallocate() }
        let start = MonotonicClock.now()
        for sequence in 0..<options.count {
            let deadline = start + UInt64(sequence) * options.interval
            MonotonicClock.sleep(until: deadline)
            let now = MonotonicClock.now()
            let size = ProbeWire.encodeProbe(nonce: nonce, sequence: UInt64(sequence), into: buffer)
            let accepted = socket.send(UnsafeRawBufferPointer(rebasing: buffer[..<size]), to: options.target)
            tally.recordSend(
                sequence: sequence, offset: now - start, lateness: now > deadline ? now - deadline : 0,
                accepted: accepted)
            try drain(socket, nonce: nonce, buffer: buffer, into: &tally)
        }
        let lastSend = MonotonicClock.now()
        let end = lastSend + options.timeoutAfterLast
        let pause = min(options.interval, 1_000_000)
        // Bounded by `end`: each pass sleeps at least `pause` (>= 10 µs).
        while MonotonicClock.now() < end {
            try drain(socket, nonce: nonce, buffer: buffer, into: &tally)
            MonotonicClock.sleep(until: min(MonotonicClock.now() + pause, end))
        }
        try drain(socket, nonce: nonce, buffer: buffer, into: &tally)
        return ProbeSummary(tally).json(options: options, duration: MonotonicClock.now() - start)
    }

    /// Reads every waiting answer without blocking, at most `receiveBatchMax`.
    private func drain(
        _ socket: borrowing UDPSocket, nonce: UInt32, buffer: UnsafeMutableRawBufferPointer,
        into tally: inout ProbeTally
    ) throws(ProbeError) {
        var source = SocketAddress()
        for _ in 0..<Self.receiveBatchMax {
            guard let size = try socket.receive(into: buffer, from: &source, wait: false) else { return }
            guard let answer = ProbeWire.decodeAnswer(UnsafeRawBufferPointer(rebasing: buffer[..<size])),
                answer.nonce == nonce
            else {
                tally.recordStray()
                continue
            }
            tally.recordAnswer(sequence: answer.sequence, name: answer.name)
        }
    }

    /// Moves this process to SCHED_FIFO. The corresponding C function is `sched_setscheduler`.
    private static func enterRealtime(priority: Int32) throws(ProbeError) {
        var parameters = sched_param()
        parameters.sched_priority = priority
        guard sched_setscheduler(0, SCHED_FIFO, &parameters) == 0 else {
            throw .system("sched_setscheduler(SCHED_FIFO, \(priority)): \(UDPSocket.describeErrno())")
        }
    }

    /// A per-run value that tells this run's answers from a previous run's.
    private static func makeNonce() -> UInt32 {
        let now = MonotonicClock.now()
        return UInt32(truncatingIfNeeded: now ^ (now >> 32)) ^ UInt32(bitPattern: getpid())
    }
}
