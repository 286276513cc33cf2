/// Puts segmented replication messages back together (see `ReplicationSegment`), in bounded
/// memory: `slots` messages in progress at once, each slot's storage grown to the largest
/// message it held (at most `Limits.replicationMessageSizeMax`) and kept. Segments may come in
/// any order and twice; the segments of several messages may interleave (a link that reorders,
/// a burst of retransmissions). A message whose segments stop coming (one was lost) keeps its slot
/// only until a newer message needs it: the least recently touched slot is given up, and
/// counted. There is no timer: the sender retransmits a lost message as a new one (another
/// message number), which takes the slot over.
public struct SegmentReassembler: Sendable {
    /// What became of one segment.
    public enum Outcome: Sendable, Hashable {
        /// Kept; its message is not complete yet.
        case held
        /// Its message already had this segment: nothing changed.
        case duplicate
        /// It completed its message, which `withMessage(in:_:)` reads from `slot` until the
        /// next `accept`.
        case complete(slot: Int)
    }

    private struct Slot: Sendable {
        var message: UInt32 = 0
        var length = 0
        var count = 0
        /// Bytes of every segment but the last (0 until a segment told it).
        var stride = 0
        /// Bit i: segment i is here.
        var received: UInt64 = 0
        var inUse = false
        /// When it was last touched (a serial number), for the choice of the slot to give up.
        var touched: UInt64 = 0
        var storage: [UInt8]
    }

    /// Sixteen: a burst of retransmitted updates whose segments a reordering link interleaves
    /// still completes (the simulation's channel, up to 2 ms of random delay per datagram,
    /// completed a twelfth of the messages with four slots); at most 16 × 48 KiB.
    public static let slotsDefault = 16

    private var slots: [Slot]
    private var serial: UInt64 = 0
    /// Messages whose segments were given up before they were complete (a slot taken over by
    /// a newer message, or by a segment that does not fit what the slot had).
    public private(set) var discarded: UInt64 = 0
    /// Messages completed.
    public private(set) var completed: UInt64 = 0

    /// - Parameter slots: messages in progress at once, 1 or more.
    public init(slots: Int = SegmentReassembler.slotsDefault) {
        precondition(slots >= 1, "at least one slot")
        self.slots = (0..<slots).map { _ in Slot(storage: []) }
    }

    /// The messages in progress.
    public var inProgress: Int { slots.reduce(0) { $0 + ($1.inUse ? 1 : 0) } }

    /// Takes one decoded segment.
    /// - Throws: `malformed` for a segment whose place in its message does not match the
    ///   others' (offset not at its index's stride, a length or count that differs): dropped,
    ///   and the message it claimed given up.
    public mutating func accept(_ segment: ReplicationSegment) throws(ReplicationDecodeError) -> Outcome {
        serial += 1
        let index = slotIndex(for: segment)
        let bit = UInt64(1) << UInt64(segment.index)
        if slots[index].received & bit != 0 {
            slots[index].touched = serial
            return .duplicate
        }
        // Every segment but the last is one stride long and starts at index × stride; the last
        // starts there too and is at most a stride long.
        let size = segment.bytes.count
        let last = segment.index == segment.count - 1
        let stride: Int
        if !last {
            stride = size
        } else {
            guard segment.offset % segment.index == 0 else { return try give(up: index) }
            stride = segment.offset / segment.index
        }
        guard stride >= 1, segment.offset == segment.index * stride, size <= stride,
            slots[index].stride == 0 || slots[index].stride == stride
        else { return try give(up: index) }
        slots[index].stride = stride
        slots[index].received |= bit
        slots[index].touched = serial
        slots[index].storage.withUnsafeMutableBytes { storage in
            UnsafeMutableRawBufferPointer(rebasing: storage[segment.offset..<(segment.offset + size)])
                .copyMemory(from: segment.bytes)
        }
        let all = segment.count == 64 ? UInt64.max : (UInt64(1) << UInt64(segment.count)) - 1
        guard slots[index].received == all else { return .held }
        slots[index].inUse = false
        completed += 1
        return .complete(slot: index)
    }

    /// Reads the message completed in `slot` (valid until the next `accept`).
    public func withMessage<R>(in slot: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        precondition(slots.indices.contains(slot) && !slots[slot].inUse && slots[slot].length > 0, "a completed slot")
        let length = slots[slot].length
        return slots[slot].storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// The slot of the segment's message: its own, else a free one, else the one touched
    /// longest ago (given up). A slot of that number whose message had another shape is
    /// started again (the sender restarted and numbers its messages from anew).
    private mutating func slotIndex(for segment: ReplicationSegment) -> Int {
        if let index = slots.firstIndex(where: { $0.inUse && $0.message == segment.message }) {
            if slots[index].length == segment.length, slots[index].count == segment.count { return index }
            discarded += 1
            start(index, segment)
            return index
        }
        var chosen = 0
        for index in slots.indices {
            if !slots[index].inUse {
                chosen = index
                break
            }
            if slots[index].touched < slots[chosen].touched { chosen = index }
        }
        if slots[chosen].inUse { discarded += 1 }
        start(chosen, segment)
        return chosen
    }

    private mutating func start(_ index: Int, _ segment: ReplicationSegment) {
        if slots[index].storage.count < segment.length {  // at most the largest message: decoding checked it
            slots[index].storage.append(contentsOf: repeatElement(0, count: segment.length - slots[index].storage.count))
        }
        slots[index].message = segment.message
        slots[index].length = segment.length
        slots[index].count = segment.count
        slots[index].stride = 0
        slots[index].received = 0
        slots[index].inUse = true
    }

    private mutating func give(up index: Int) throws(ReplicationDecodeError) -> Outcome {
        slots[index].inUse = false
        slots[index].received = 0
        discarded += 1
        throw .malformed
    }
}
