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

    /// Encodes `message` into the send batch: at the end of the last datagram when it still
    /// fits `coalescingLimit`, or, for a snapshot chunk, as the next segment of the last
    /// datagram's train (see the type's description), else as a new datagram; the batch goes
    /// out when it is full and on `flush()`. Allocation-free: the batch is an arena allocated
    /// once. A snapshot chunk with `gatheredRecordsMin` bytes of records or more is not copied:
    /// its head and CRC go in the arena, and the datagram is gathered from them and the
    /// chunk's own records (kept alive until the batch is sent), the same bytes on the wire.
    /// - Important: traps for a message over `Limits.replicationMessageSizeMax` (the core
    ///   never makes one).
    public func enqueue(_ message: ReplicationMessage) {
        let size = message.encodedSize
        precondition(size <= Limits.replicationMessageSizeMax, "a replication message within its size bound")
        if segmenting, let plan = ReplicationSegment.plan(length: size, datagramSize: datagramPayloadMax) {
            return enqueueSegments(message, size: size, count: plan.count, stride: plan.stride)
        }
        var joins = sendCount > 0 && !sendSealed[sendCount - 1] && sendLengths[sendCount - 1] + size <= coalescingLimit
        // Only snapshot chunks go in trains: a train is one packet until a device or the
        // receiving stack cuts it, lost or delayed whole, and the updates a client writes in a
        // burst must be lost one datagram at a time (a gap the standby reports at once).
        var records: [UInt8]?
        if case .snapshotChunk(let chunk) = message.body, chunk.bytes.count >= Self.gatheredRecordsMin { records = chunk.bytes }
        let isChunk = if case .snapshotChunk = message.body { true } else { false }
        let arenaBytes = size - (records?.count ?? 0)
        var extends = isChunk && !joins && sendCount > 0 && extendsTrain(size)
        if sendUsed + arenaBytes > Self.sendArenaSize || pieceCount + 3 > Self.sendPiecesMax
            || (!joins && !extends && sendCount == Self.sendBatchMax)
        {
            sendBatch()
            joins = false
            extends = false
        }
        if joins || extends {
            sendLengths[sendCount - 1] += size
            sendMessageCounts[sendCount - 1] += 1
            if joins { sendSegmentSizes[sendCount - 1] = 0 }  // packed messages are no train
        } else {
            sendFirstPieces[sendCount] = pieceCount
            sendPieceCounts[sendCount] = 0
            sendLengths[sendCount] = size
            sendMessageCounts[sendCount] = 1
            // A snapshot chunk too large to share a datagram with another of its size, that
            // fits the path MTU, may start a train.
            let trainable = segmentation && isChunk && size * 2 > coalescingLimit && size <= datagramPayloadMax
            sendSegmentSizes[sendCount] = trainable ? UInt16(size) : 0
            sendSealed[sendCount] = false
            sendCount += 1
        }
        let start = sendArena + sendUsed
        if let records {
            let room = UnsafeMutableRawBufferPointer(start: start, count: arenaBytes)
            guard let headSize = message.encodeChunkHead(into: room) else { preconditionFailure("a chunk has a head") }
            let head = UnsafeRawBufferPointer(start: start, count: headSize)
            // The records' storage stays where it is while `pinnedRecords` holds the array.
            let base = records.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) }
            let trailer = records.withUnsafeBytes { ReplicationMessage.chunkTrailer(head: head, records: $0) }
            (start + headSize).storeBytes(of: trailer.bigEndian, as: UInt32.self)
            assert(headSize + 4 == arenaBytes, "head, records and CRC make the message")
            pinnedRecords.append(records)
            appendPiece(start, headSize)
            appendPiece(base, records.count)
            appendPiece(start + headSize, 4)
        } else {
            let written = message.encode(into: UnsafeMutableRawBufferPointer(start: start, count: size))
            assert(written == size, "encodedSize and encode agree")
            appendPiece(start, size)
        }
        sendUsed += arenaBytes
        assert(sendCount <= Self.sendBatchMax && sendUsed <= Self.sendArenaSize && pieceCount <= Self.sendPiecesMax,
               "the batch within its bounds")
    }

    /// Adds `length` bytes at `base` to the last datagram: its last piece grows when they
    /// follow it in memory (messages encoded one after another in the arena), else a piece
    /// starts.
    private func appendPiece(_ base: UnsafeRawPointer, _ length: Int) {
        let datagram = sendCount - 1
        if sendPieceCounts[datagram] > 0, let last = sendPieceBases[pieceCount - 1],
            last + sendPieceLengths[pieceCount - 1] == base
        {
            sendPieceLengths[pieceCount - 1] += length
            return
        }
        precondition(pieceCount < Self.sendPiecesMax, "a piece within the batch's bound")
        sendPieceBases[pieceCount] = base
        sendPieceLengths[pieceCount] = length
        pieceCount += 1
        sendPieceCounts[datagram] += 1
    }

    /// Encodes a message larger than the path MTU's payload as `count` segments, one datagram
    /// each (see the type's description). The message counts as sent with its last segment.
    private func enqueueSegments(_ message: ReplicationMessage, size: Int, count: Int, stride: Int) {
        let written = message.encode(into: UnsafeMutableRawBufferPointer(rebasing: segmentScratch[0..<size]))
        assert(written == size, "encodedSize and encode agree")
        let encoded = UnsafeRawBufferPointer(rebasing: segmentScratch[0..<size])
        let number = nextSegmentedMessage
        nextSegmentedMessage &+= 1
        for index in 0..<count {
            let room = ReplicationSegment.overhead + stride
            if sendUsed + room > Self.sendArenaSize || sendCount == Self.sendBatchMax || pieceCount == Self.sendPiecesMax {
                sendBatch()
            }
            let start = sendArena + sendUsed
            let length = ReplicationSegment.encode(
                message: number, encoded, index: index, count: count, stride: stride,
                into: UnsafeMutableRawBufferPointer(start: start, count: room))
            sendFirstPieces[sendCount] = pieceCount
            sendPieceCounts[sendCount] = 0
            sendLengths[sendCount] = length
            sendMessageCounts[sendCount] = index == count - 1 ? 1 : 0
            sendSegmentSizes[sendCount] = 0
            sendSealed[sendCount] = true
            sendCount += 1
            appendPiece(start, length)
            sendUsed += length
        }
    }

    /// Whether a large snapshot chunk of `size` bytes goes on as the next segment of the last
    /// datagram's train: no longer than its segments, every segment so far full (a shorter one
    /// ends the train), within the offload's bounds.
    private func extendsTrain(_ size: Int) -> Bool {
        let last = sendCount - 1
        let segment = Int(sendSegmentSizes[last])
        guard segmentation, segment > 0, size * 2 > coalescingLimit, size <= segment else { return false }
        return sendLengths[last] % segment == 0 && sendMessageCounts[last] < Self.trainMessagesMax
            && sendLengths[last] + size <= Self.trainSizeMax
    }

    /// Whether batch entry `index` is a train of two messages or more.
    func isTrain(_ index: Int) -> Bool {
        sendSegmentSizes[index] > 0 && sendLengths[index] > Int(sendSegmentSizes[index])
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
    /// (`ECONNREFUSED`) is counted and the call made again, once. A train the kernel refuses
    /// turns segmentation off; the trains left in this batch are dropped and counted.
    private func sendBatch() {
        let path = currentPath
        let counters = statistics.counters[path]
        var next = 0
        var refusalRetried = false
        batchOutcome.path = path
        // Each call sends at least one datagram, or drops a train, or is one of the bounded
        // retries (a refusal once, segmentation refused once).
        for _ in 0..<(Self.sendBatchMax + Syscall.interruptRetriesMax + 3) {
            guard next < sendCount else { break }
            if !segmentation, isTrain(next) {
                dropRest(from: next, through: next + 1, error: .noBufferSpace, counters)
                next += 1
                continue
            }
            let end = segmentation ? sendCount : (next..<sendCount).first(where: isTrain) ?? sendCount
            let count = CInt(end - next)
            let result = CDuplexShims_send_pieces(
                sockets[path], sendPieceBases, sendPieceLengths, CInt(pieceCount), sendFirstPieces + next,
                sendPieceCounts + next, segmentation ? UnsafePointer(sendSegmentSizes + next) : nil, count)
            if result > 0 {
                account(next..<(next + Int(result)), counters)
                next += Int(result)
                continue
            }
            let error = Errno(rawValue: errno)
            if segmentation, isTrain(next), Self.refusesSegmentation(error) {
                segmentation = false
                counters.segmentationRefusals.wrappingAdd(1, ordering: .relaxed)
                continue
            }
            if error == .interrupted || (error == .connectionRefused && !refusalRetried) {
                if error == .connectionRefused { counters.refusals.wrappingAdd(1, ordering: .relaxed) }
                refusalRetried = refusalRetried || error == .connectionRefused
                continue
            }
            dropRest(from: next, through: sendCount, error: error, counters)
            next = sendCount
        }
        if next < sendCount {  // a signal storm outlasted the retries
            dropRest(from: next, through: sendCount, error: .interrupted, counters)
        }
        sendCount = 0
        sendUsed = 0
        pieceCount = 0
        pinnedRecords.removeAll(keepingCapacity: true)
    }

    /// The errors of a send with `UDP_SEGMENT` that mean the kernel or device cannot do it:
    /// `EIO` (no checksum offload), `EINVAL`, `ENOPROTOOPT` (before Linux 4.18), `EOPNOTSUPP`,
    /// and `EMSGSIZE`: a segment no longer fits the path MTU (it went down since the transport
    /// measured it), where a plain datagram is fragmented by the kernel and still goes.
    static func refusesSegmentation(_ error: Errno) -> Bool {
        error == .ioError || error == .invalidArgument || error == .protocolNotAvailable
            || error == .notSupported || error == .messageTooLong
    }

    /// Counts the entries sent: their messages, datagrams (one per message of a train) and bytes.
    private func account(_ range: Range<Int>, _ counters: PathCounters) {
        var messages = 0
        var datagrams = 0
        var bytes = 0
        var trains = 0
        var segments = 0
        for index in range {
            messages += sendMessageCounts[index]
            if sendSealed[index] {
                segments += 1
                bytes += sendLengths[index] - ReplicationSegment.overhead  // the message's bytes
            } else {
                bytes += sendLengths[index]
            }
            if isTrain(index) {
                datagrams += sendMessageCounts[index]
                trains += 1
            } else {
                datagrams += 1
            }
        }
        counters.sent.wrappingAdd(UInt64(messages), ordering: .relaxed)
        counters.datagramsSent.wrappingAdd(UInt64(datagrams), ordering: .relaxed)
        counters.bytesSent.wrappingAdd(UInt64(bytes), ordering: .relaxed)
        counters.trainsSent.wrappingAdd(UInt64(trains), ordering: .relaxed)
        counters.segmentsSent.wrappingAdd(UInt64(segments), ordering: .relaxed)
        batchOutcome.sent += messages
    }

    /// Counts the messages of datagrams `from ..< through` as dropped (a full buffer) or failed.
    private func dropRest(from first: Int, through end: Int, error: Errno, _ counters: PathCounters) {
        let rest = (first..<end).reduce(0) { $0 + sendMessageCounts[$1] }
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
