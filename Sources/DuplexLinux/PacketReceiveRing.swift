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

    /// Takes over a ring already open on `socket`.
    private init(socket: CInt, opened: CDuplexShims_packet_ring) {
        self.socket = socket
        ring = .allocate(capacity: 1)
        ring.initialize(to: opened)
    }

    /// Sets up and maps a ring on each of `sockets` at once (as `init(socket:frames:)` each):
    /// every ring's set-up waits for an RCU grace period, and the waits of rings set up
    /// together overlap, so two links cost one wait instead of two at start.
    ///
    /// The corresponding C calls are `setsockopt(PACKET_VERSION)`, `setsockopt(PACKET_RX_RING)`
    /// and `mmap`, each socket's on a thread of its own (`pthread_create`).
    /// - Parameter sockets: at most `ringsAtOnceMax`; further sockets get a ring each after.
    /// - Returns: per socket, in order, its ring or the error that left it without one.
    public static func open(sockets: [CInt], frames: UInt32 = 64) -> [Result<PacketReceiveRing, Errno>] {
        var results: [Result<PacketReceiveRing, Errno>] = []
        results.reserveCapacity(sockets.count)
        var start = 0
        while start < sockets.count {
            let group = Array(sockets[start..<min(start + ringsAtOnceMax, sockets.count)])
            var rings = [CDuplexShims_packet_ring](repeating: CDuplexShims_packet_ring(), count: group.count)
            var errors = [CInt](repeating: 0, count: group.count)
            CDuplexShims_packet_rings_open(CInt(group.count), group, frameSize, frames, &rings, &errors)
            for index in group.indices {
                results.append(
                    errors[index] == 0
                        ? .success(PacketReceiveRing(socket: group[index], opened: rings[index]))
                        : .failure(Errno(rawValue: errors[index])))
            }
            start += group.count
        }
        return results
    }

    /// Rings set up at once by `open(sockets:frames:)` (its C function's bound).
    public static let ringsAtOnceMax = 8

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
