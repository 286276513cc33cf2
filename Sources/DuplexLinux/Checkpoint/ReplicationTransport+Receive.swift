import CDuplexShims
public import DuplexCore
import Glibc
import Synchronization
import SystemPackage

extension ReplicationTransport {
    /// Reads up to `max` datagrams from the paths and hands each to `handler` as the event for
    /// the core: `.messageReceived`, or `.messageMalformed` for bytes that do not decode
    /// (counted on the path and dropped; never trusted).
    ///
    /// It starts with the path that delivered last and, when that path delivers and is
    /// drained, stops there: the mate sends on one path at a time, and reading the others
    /// (nothing there, a system call each) cost every synchronous write one `recvmmsg` per
    /// board. Every `otherPathsEvery`-th call still reads them all, and a path that fills the
    /// budget goes last in the next call, so no path is starved; what is left keeps
    /// `fileDescriptor` readable, and the owner's next wait returns at once.
    ///
    /// Call it when `fileDescriptor` is readable. Receive errors other than `EAGAIN` are
    /// counted and move on to the next path.
    ///
    /// The corresponding C function is `recvmmsg(MSG_DONTWAIT)`.
    /// - Parameters:
    ///   - max: this many datagrams, 1 or more; more only when the last receive brought trains
    ///     whole (at most `receiveBatchMax` entries of them).
    ///   - handler: the path index and the event, in arrival order per path.
    /// - Returns: the number of datagrams read (those of a train counted one by one).
    @discardableResult
    public func receiveAll(max: Int, _ handler: (_ path: Int, _ event: ReplicationEvent) -> Void) -> Int {
        precondition(max >= 1, "a positive receive budget")
        receiveCalls &+= 1
        let everyPath = receiveCalls % Self.otherPathsEvery == 0
        let first = receiveStart
        var total = 0
        for step in 0..<paths.count where total < max {
            let path = (first + step) % paths.count
            let read = receive(path: path, budget: max - total, handler)
            guard read > 0 else { continue }
            total += read
            if total >= max {
                receiveStart = (path + 1) % paths.count  // busy: the others first next time
                break
            }
            receiveStart = path
            if !everyPath { break }
        }
        return total
    }

    /// How often (in calls) `receiveAll` reads every path even when the first one delivered.
    static let otherPathsEvery: UInt64 = 8

    /// Drains one path until `budget` datagrams (see `receiveAll`); returns how many it read.
    private func receive(path: Int, budget: Int, _ handler: (Int, ReplicationEvent) -> Void) -> Int {
        let counters = statistics.counters[path]
        let capacity = Self.receiveSlotSize
        var total = 0
        // Each call reads at least one datagram, or is one of the bounded retries.
        for _ in 0..<(budget + Syscall.interruptRetriesMax + 2) {
            guard total < budget else { break }
            let asked = min(Self.receiveBatchMax, budget - total)
            let count = Int(CDuplexShims_receive_datagrams(
                sockets[path], receiveArena, capacity, CInt(asked), receiveLengths, receiveSegmentSizes))
            guard count > 0 else {
                let error = Errno(rawValue: errno)
                if error == .interrupted { continue }
                if error == .connectionRefused {  // an ICMP report for an earlier send of ours
                    counters.refusals.wrappingAdd(1, ordering: .relaxed)
                    continue
                }
                if error != .wouldBlock && error != .resourceTemporarilyUnavailable {
                    precondition(error != .badFileDescriptor && error != .badAddress, "a valid socket and arena")
                    counters.receiveErrors.wrappingAdd(1, ordering: .relaxed)
                }
                break
            }
            for index in 0..<count {
                total += deliver(entry: index, path: path, counters: counters, handler)
            }
            if count < asked { break }  // drained
        }
        return total
    }

    /// Hands the datagrams of one received entry to `deliver(datagram:)`: the entry itself, or
    /// the datagrams the kernel handed over together (a train left whole), cut at their size.
    /// - Returns: how many datagrams that was.
    private func deliver(entry index: Int, path: Int, counters: PathCounters, _ handler: (Int, ReplicationEvent) -> Void) -> Int {
        let length = receiveLengths[index]
        let entry = receiveArena + index * Self.receiveSlotSize
        let segment = Int(receiveSegmentSizes[index])
        guard length <= Self.receiveSlotSize, segment > 0, segment < length else {
            // A cut entry (`receiveSlotSize + 1`) is longer than any message: refused unread.
            let datagram = UnsafeRawBufferPointer(start: entry, count: min(length, Self.receiveSlotSize))
            deliver(datagram: datagram, path: path, counters: counters, handler)
            return 1
        }
        counters.coalescedReceived.wrappingAdd(1, ordering: .relaxed)
        // At most 65,536 / 1 turns; each takes `segment` bytes, the last what is left.
        var offset = 0
        var datagrams = 0
        for _ in 0..<Self.receiveSlotSize {
            guard offset < length else { break }
            let size = min(segment, length - offset)
            deliver(datagram: UnsafeRawBufferPointer(start: entry + offset, count: size), path: path, counters: counters, handler)
            offset += size
            datagrams += 1
        }
        return datagrams
    }

    /// Hands every message of one received datagram to `handler`, in order; bytes that do not
    /// cut into messages end the datagram as one `.messageMalformed`. A datagram longer than
    /// the largest message (or cut by the receive) is one `.messageMalformed(.tooLarge)`.
    private func deliver(datagram: UnsafeRawBufferPointer, path: Int, counters: PathCounters, _ handler: (Int, ReplicationEvent) -> Void) {
        let capacity = Limits.replicationMessageSizeMax
        let length = datagram.count
        counters.datagramsReceived.wrappingAdd(1, ordering: .relaxed)
        guard length <= capacity else {
            counters.malformed.wrappingAdd(1, ordering: .relaxed)
            handler(path, .messageMalformed(.tooLarge))
            return
        }
        if ReplicationSegment.isSegment(datagram) {
            return deliver(segment: datagram, path: path, counters: counters, handler)
        }
        var offset = 0
        // Each step takes at least a message header and CRC (20 bytes), or ends the datagram.
        for _ in 0...(capacity / 20) {
            guard offset < length else { break }  // `where` would only skip: thousands of empty turns per datagram
            let rest = UnsafeRawBufferPointer(rebasing: datagram[offset...])
            let size = rest.count >= 8 ? ReplicationMessage.length(prefix: UnsafeRawBufferPointer(rebasing: rest[0..<8])) : nil
            // Without a plausible length the rest is decoded whole, for the decoder's verdict.
            let bytes = size.map { $0 <= rest.count ? UnsafeRawBufferPointer(rebasing: rest[0..<$0]) : rest } ?? rest
            offset += bytes.count
            do {
                let message = try ReplicationMessage(decoding: bytes)
                counters.received.wrappingAdd(1, ordering: .relaxed)
                counters.bytesReceived.wrappingAdd(UInt64(bytes.count), ordering: .relaxed)
                handler(path, .messageReceived(message))
            } catch {
                counters.malformed.wrappingAdd(1, ordering: .relaxed)
                handler(path, .messageMalformed(error))
                return
            }
        }
        assert(offset == length, "every byte of the datagram was read")
    }

    /// Hands a segment to the reassembler and, when it completes its message, the message to
    /// `handler`; a segment or a reassembled message that does not decode is counted and
    /// dropped as `.messageMalformed`.
    private func deliver(
        segment datagram: UnsafeRawBufferPointer, path: Int, counters: PathCounters,
        _ handler: (Int, ReplicationEvent) -> Void
    ) {
        let outcome: SegmentReassembler.Outcome
        do {
            outcome = try reassembler.accept(try ReplicationSegment(decoding: datagram))
        } catch {
            counters.malformed.wrappingAdd(1, ordering: .relaxed)
            statistics.reassemblyDiscarded.store(reassembler.discarded, ordering: .relaxed)
            handler(path, .messageMalformed(error))
            return
        }
        counters.segmentsReceived.wrappingAdd(1, ordering: .relaxed)
        statistics.reassemblyDiscarded.store(reassembler.discarded, ordering: .relaxed)
        guard case .complete(let slot) = outcome else { return }
        statistics.reassembled.store(reassembler.completed, ordering: .relaxed)
        let decoded = reassembler.withMessage(in: slot) { bytes in
            Result { () throws(ReplicationDecodeError) in (try ReplicationMessage(decoding: bytes), bytes.count) }
        }
        switch decoded {
        case .success(let (message, size)):
            counters.received.wrappingAdd(1, ordering: .relaxed)
            counters.bytesReceived.wrappingAdd(UInt64(size), ordering: .relaxed)
            handler(path, .messageReceived(message))
        case .failure(let error):
            counters.malformed.wrappingAdd(1, ordering: .relaxed)
            handler(path, .messageMalformed(error))
        }
    }
}
