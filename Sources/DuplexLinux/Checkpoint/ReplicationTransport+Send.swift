import CDuplexShims
public import DuplexCore
public import SystemPackage
import Glibc
import Synchronization

extension ReplicationTransport {
    /// What became of one message given to `send(_:)`.
    public enum SendOutcome: Sendable, Hashable {
        /// Handed to the kernel on this path.
        case sent(path: Int)
        /// The socket buffer was full (`EAGAIN`, `ENOBUFS`): dropped and counted; the core
        /// retransmits. Not an error.
        case dropped(path: Int)
        /// The kernel refused it (`ENETUNREACH`, `ENETDOWN`, `EHOSTUNREACH`...): counted as a
        /// send error. The owner may mark the path down.
        case failed(path: Int, Errno)
    }

    /// What became of the messages sent since the previous `flush()`.
    public struct BatchOutcome: Sendable, Hashable {
        /// Messages handed to the kernel.
        public var sent = 0
        /// Messages dropped because the socket buffer was full (counted; the core retransmits).
        public var dropped = 0
        /// Messages dropped after another error.
        public var failed = 0
        /// The first such error.
        public var error: Errno?
        /// The path of the last batch.
        public var path = 0

        public init() {}

        /// Every message was handed to the kernel.
        public var isComplete: Bool { dropped == 0 && failed == 0 }
    }

    /// Sends what `enqueue` batched, then `message`, on the current path.
    ///
    /// The corresponding C function is `sendmmsg(MSG_DONTWAIT)`.
    public func send(_ message: ReplicationMessage) -> SendOutcome {
        enqueue(message)
        let outcome = flush()
        let path = outcome.path
        if outcome.isComplete { return .sent(path: path) }
        // sendmmsg sends a prefix of the batch: the message (last) was not sent.
        if let error = outcome.error, outcome.failed > 0 { return .failed(path: path, error) }
        return .dropped(path: path)
    }

    /// Encodes `message` into the send batch, at the end of the last datagram when it still
    /// fits `coalescingSizeMax`, else as a new datagram; the batch goes out when it is full and
    /// on `flush()`. Allocation-free: the batch is an arena allocated once.
    /// - Important: traps for a message over `Limits.replicationMessageSizeMax` (the core
    ///   never makes one).
    public func enqueue(_ message: ReplicationMessage) {
        let size = message.encodedSize
        precondition(size <= Limits.replicationMessageSizeMax, "a replication message within its size bound")
        let joins = sendCount > 0 && sendLengths[sendCount - 1] + size <= coalescingSizeMax
        if sendUsed + size > Self.sendArenaSize || (!joins && sendCount == Self.sendBatchMax) { sendBatch() }
        // The last datagram ends at `sendUsed`: a message that joins it extends it in place.
        let start = sendArena + sendUsed
        let written = message.encode(into: UnsafeMutableRawBufferPointer(start: start, count: size))
        assert(written == size, "encodedSize and encode agree")
        if joins && sendCount > 0 {
            sendLengths[sendCount - 1] += size
            sendMessageCounts[sendCount - 1] += 1
        } else {
            sendStarts[sendCount] = UnsafeRawPointer(start)
            sendLengths[sendCount] = size
            sendMessageCounts[sendCount] = 1
            sendCount += 1
        }
        sendUsed += size
        assert(sendCount <= Self.sendBatchMax && sendUsed <= Self.sendArenaSize, "the batch within its bounds")
        assert(sendStarts[sendCount - 1]! + sendLengths[sendCount - 1] == UnsafeRawPointer(sendArena + sendUsed),
               "the last datagram ends where the arena's free space starts")
    }

    /// Sends the batch on the current path and returns what became of every message enqueued
    /// since the previous `flush()` (batches that went out when full included).
    @discardableResult
    public func flush() -> BatchOutcome {
        sendBatch()
        let outcome = batchOutcome
        batchOutcome = BatchOutcome()
        batchOutcome.path = currentPath
        return outcome
    }

    /// Sends the batch with `sendmmsg`, as many calls as partial sends need; a full buffer
    /// drops the rest (the core retransmits), a pending ICMP error of an earlier datagram
    /// (`ECONNREFUSED`) is counted and the call made again, once.
    private func sendBatch() {
        let path = currentPath
        let counters = statistics.counters[path]
        var next = 0
        var refusalRetried = false
        batchOutcome.path = path
        // Each call sends at least one datagram, or is one of the bounded retries.
        for _ in 0..<(Self.sendBatchMax + Syscall.interruptRetriesMax + 2) {
            guard next < sendCount else { break }
            let count = CInt(sendCount - next)
            let result = CDuplexShims_send_datagrams(sockets[path], sendStarts + next, sendLengths + next, count)
            if result > 0 {
                let range = next..<(next + Int(result))
                let messages = range.reduce(0) { $0 + sendMessageCounts[$1] }
                counters.sent.wrappingAdd(UInt64(messages), ordering: .relaxed)
                counters.datagramsSent.wrappingAdd(UInt64(result), ordering: .relaxed)
                counters.bytesSent.wrappingAdd(UInt64(range.reduce(0) { $0 + sendLengths[$1] }), ordering: .relaxed)
                batchOutcome.sent += messages
                next += Int(result)
                continue
            }
            let error = Errno(rawValue: errno)
            if error == .interrupted || (error == .connectionRefused && !refusalRetried) {
                if error == .connectionRefused { counters.refusals.wrappingAdd(1, ordering: .relaxed) }
                refusalRetried = refusalRetried || error == .connectionRefused
                continue
            }
            dropRest(from: next, error: error, counters)
            next = sendCount
        }
        if next < sendCount {  // a signal storm outlasted the retries
            dropRest(from: next, error: .interrupted, counters)
        }
        sendCount = 0
        sendUsed = 0
    }

    /// Counts the messages of datagrams `from...` as dropped (a full buffer) or failed.
    private func dropRest(from first: Int, error: Errno, _ counters: PathCounters) {
        let rest = (first..<sendCount).reduce(0) { $0 + sendMessageCounts[$1] }
        if error == .wouldBlock || error == .resourceTemporarilyUnavailable || error == .noBufferSpace {
            counters.sendDrops.wrappingAdd(UInt64(rest), ordering: .relaxed)
            batchOutcome.dropped += rest
        } else {
            precondition(error != .badFileDescriptor && error != .badAddress, "a valid socket and batch")
            counters.sendErrors.wrappingAdd(UInt64(rest), ordering: .relaxed)
            batchOutcome.failed += rest
            batchOutcome.error = batchOutcome.error ?? error
        }
    }
}
