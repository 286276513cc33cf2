import CDuplexShims
public import SystemPackage

/// Buffers for reading several packets from one socket with one system call, each with the
/// kernel's receive time: a fixed arena of slots, allocated once, so that the pair thread can
/// read a wake-up's frames without allocating.
///
/// Fill it with `RawEthernetLink.receive(into:)` or `UDPLink.receive(into:)`, which also check
/// each packet; then read the packets the link accepted.
public final class StampedReceiveBatch {
    /// Bytes per packet slot; a longer packet is dropped as truncated.
    public let slotSize: Int
    /// Packets per system call, at most `CDuplexShims_STAMPED_BATCH_MAX`.
    public let capacity: Int
    private let arena: UnsafeMutableRawBufferPointer
    private let addresses: UnsafeMutableRawBufferPointer
    private let lengths: UnsafeMutableBufferPointer<UInt32>
    private let stamps: UnsafeMutableBufferPointer<UInt64>
    /// Packets in the batch after the last read.
    public private(set) var count = 0

    public init(slotSize: Int, capacity: Int) {
        precondition(slotSize > 0 && capacity > 0 && capacity <= Int(CDuplexShims_STAMPED_BATCH_MAX), "a batch size the shim takes")
        self.slotSize = slotSize
        self.capacity = capacity
        arena = .allocate(byteCount: slotSize * capacity, alignment: 16)
        addresses = .allocate(byteCount: Int(CDuplexShims_ADDRESS_SLOT_SIZE) * capacity, alignment: 16)
        addresses.initializeMemory(as: UInt8.self, repeating: 0)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0)
        stamps = .allocate(capacity: capacity)
        stamps.initialize(repeating: 0)
    }

    deinit {
        arena.deallocate()
        addresses.deallocate()
        lengths.deallocate()
        stamps.deallocate()
    }

    /// Reads what `fd` has pending, up to `capacity` packets.
    ///
    /// The corresponding C function is `recvmmsg(MSG_DONTWAIT | MSG_TRUNC)` with `SCM_TIMESTAMPNS`.
    /// - Returns: the packet count, 0 when nothing was pending.
    func read(from fd: CInt) throws(Errno) -> Int {
        count = 0
        let received = try Syscall.retrying {
            CDuplexShims_receive_stamped_batch(
                fd, arena.baseAddress, slotSize, Int32(capacity), lengths.baseAddress, stamps.baseAddress,
                addresses.baseAddress)
        }
        count = Int(received)
        return count
    }

    /// Takes what `ring` holds, up to `capacity` frames (`PacketReceiveRing.read(into:)`).
    func read(from ring: UnsafeMutablePointer<CDuplexShims_packet_ring>) -> Int {
        let taken = CDuplexShims_packet_ring_read(
            ring, arena.baseAddress, slotSize, Int32(capacity), lengths.baseAddress, stamps.baseAddress,
            addresses.baseAddress)
        precondition(taken >= 0, "the ring is set up and the batch within the shim's limits")
        count = Int(taken)
        return count
    }

    /// The length packet `index` had (more than `slotSize`: it was truncated).
    func length(_ index: Int) -> Int {
        precondition(index < count, "a packet of the batch")
        return Int(lengths[index])
    }

    /// The bytes of packet `index` that fit its slot.
    func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index < count, "a packet of the batch")
        let start = index * slotSize
        return UnsafeRawBufferPointer(rebasing: arena[start..<(start + min(length(index), slotSize))])
    }

    /// The kernel's receive time of packet `index` (CLOCK_REALTIME ns; 0 without timestamps).
    public func receivedAt(_ index: Int) -> UInt64 {
        precondition(index < count, "a packet of the batch")
        return stamps[index]
    }

    /// The source address slot of packet `index` (a `sockaddr_ll` or `sockaddr_in`/`in6`).
    func address(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index < count, "a packet of the batch")
        let size = Int(CDuplexShims_ADDRESS_SLOT_SIZE)
        return UnsafeRawBufferPointer(rebasing: addresses[(index * size)..<((index + 1) * size)])
    }
}
