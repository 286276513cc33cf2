import CDuplexShims
public import SystemPackage

/// A packet socket's receive ring (`PACKET_RX_RING`, `TPACKET_V2`): the kernel writes each
/// frame into shared memory with its receive time, and the reader finds it there, so looking
/// for heartbeats at a wake-up costs no system call. Frames that find the ring full are
/// dropped by the kernel and counted (`takeDrops()`).
///
/// Once the ring is set up the socket's plain receive queue stays empty: read the socket only
/// through the ring. One thread reads it (the slot cursor is not shared).
public final class PacketReceiveRing {
    private let socket: CInt
    private let ring: UnsafeMutablePointer<CDuplexShims_packet_ring>

    /// Slot size: a 64-byte pair frame with its headers fits with room to spare; longer
    /// frames are cut, reported as truncated and dropped by the link.
    public static let frameSize: UInt32 = 256

    /// Sets up and maps a ring of `frames` slots on `socket`, which must stay open as long as
    /// the ring.
    ///
    /// The corresponding C calls are `setsockopt(PACKET_VERSION, TPACKET_V2)`,
    /// `setsockopt(PACKET_RX_RING)` and `mmap`.
    /// - Parameter frames: a multiple of 16 (4096 / 256): 64 holds a quarter second of
    ///   heartbeats at 4 ms on one link.
    /// - Throws: `Errno` (`EINVAL` for a bad size, `ENOMEM`), the socket unchanged.
    public init(socket: CInt, frames: UInt32 = 64) throws(Errno) {
        self.socket = socket
        ring = .allocate(capacity: 1)
        ring.initialize(to: CDuplexShims_packet_ring())
        do throws(Errno) {
            _ = try Syscall.retrying { CDuplexShims_packet_ring_open(socket, Self.frameSize, frames, ring) }
        } catch {
            ring.deallocate()
            throw error
        }
    }

    deinit {
        CDuplexShims_packet_ring_close(ring)
        ring.deallocate()
    }

    /// Moves the frames waiting in the ring (up to the batch's capacity) into `batch`, oldest
    /// first, and returns how many; read them with the link's `payload(in:at:)`.
    /// Allocation-free, no system call.
    public func read(into batch: StampedReceiveBatch) -> Int {
        batch.read(from: ring)
    }

    /// Frames the kernel dropped for a full ring since the last call.
    ///
    /// The corresponding C call is `getsockopt(PACKET_STATISTICS)` (which resets the count).
    public func takeDrops() throws(Errno) -> UInt64 {
        UInt64(try Syscall.retrying { CDuplexShims_packet_ring_drops(socket) })
    }
}
