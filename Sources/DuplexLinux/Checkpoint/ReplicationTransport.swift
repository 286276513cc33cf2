import CDuplexShims
public import DuplexCore
public import SystemPackage
import Glibc
import Synchronization

/// Carries checkpoint replication messages between this board's `duplexd` and the mate's over
/// the dedicated links: one UDP socket per link (a *path*), bound to the link's local address,
/// port and device and connected to the mate's address.
///
/// A datagram holds one encoded `ReplicationMessage`, or several small ones back to back up to
/// `coalescingLimit` bytes, the path MTU's payload by default (the messages carry their own
/// length and CRC, so the receiver cuts them apart; a 64-byte write is a 132-byte message, and
/// the stack's cost is per datagram).
///
/// A message larger than the path MTU's payload (an update with large sections; at MTU 1,500
/// already an update of one 4 KiB section) goes as *segments*: datagrams of their own format
/// that each fit the path MTU (`ReplicationSegment`), put back together by the mate's transport
/// (`SegmentReassembler`, a few slots allocated once) before the message is decoded. So the
/// kernel never fragments a replication datagram: under loss, the fragments of a datagram that
/// lost one sit in the mate's reassembly memory for 30 s and, once that memory is full, no
/// fragmented datagram gets through at all; a lost segment costs only its message, which the
/// core retransmits. Both boards must run a build that reassembles segments (`segmenting:
/// false` leaves large messages to the kernel's fragments, for a mate that does not).
///
/// Consecutive snapshot chunks of one size that fits the path MTU go as one *train*: a single
/// send with UDP segmentation offload (`UDP_SEGMENT`), which the kernel cuts into one datagram
/// per message (the last one may be shorter), so the stack is walked once per train instead of
/// once per chunk. The receiver sees ordinary datagrams. Updates (single or batched) never go
/// in a train: up to the device or the receiving stack that cuts it, a train is one packet,
/// lost or held back whole, and a lost update must open a gap the standby reports at once. A kernel or device
/// that refuses it turns trains off for good (the trains of that batch are dropped and counted;
/// the core retransmits).
///
/// Sends go out on one path, the *current* one; the owner moves it with `markDown(path:reason:)`
/// (carrier lost, or the mate stopped answering on it) and `markUp(path:)`. Receives come from
/// every path, always. The sockets are non-blocking; their readiness is gathered in one epoll
/// descriptor, `fileDescriptor`, that the owner adds to its own epoll set (epoll descriptors
/// nest) and answers with `receiveAll(max:_:)`.
///
/// Nothing here allocates per datagram: messages are encoded into a send arena and received
/// into a receive arena, both allocated once; `sendmmsg` and `recvmmsg` move whole batches.
/// Decoding a received message allocates what the message holds (the core keeps its bytes).
public final class ReplicationTransport: @unchecked Sendable {
    // @unchecked Sendable: the arenas, the batch and the path states are used by one thread at
    // a time, the owner's (the checkpoint service thread), which creates the transport or
    // receives it through a thread start or a queue (a happens-before edge). Other threads
    // read only `statistics` (atomics) and the immutable `paths` and `fileDescriptor`.

    /// One dedicated link's replication endpoints.
    public struct Path: Sendable, Hashable, CustomStringConvertible {
        /// The link's name (`bp0`), for logs and `duplexctl`.
        public var name: String
        public var local: IPEndpoint
        public var peer: IPEndpoint
        /// The link's interface, for `SO_BINDTODEVICE` (nil: not bound to a device).
        public var device: String?

        public init(name: String, local: IPEndpoint, peer: IPEndpoint, device: String? = nil) {
            self.name = name
            self.local = local
            self.peer = peer
            self.device = device
        }

        public var description: String { "\(name) \(local) -> \(peer)" }

        /// The paths of every `[link NAME]` with a `replication` key, in file order.
        public static func paths(of configuration: Configuration) -> [Path] {
            configuration.links.compactMap { link in
                link.replication.map { Path(name: link.name, local: $0.local, peer: $0.peer, device: link.interface) }
            }
        }
    }

    /// Why the owner took a path out of use.
    public enum DownReason: UInt8, Sendable, Hashable, CustomStringConvertible {
        /// The link lost carrier (netlink).
        case carrierLost = 1
        /// The mate stopped answering on this path.
        case mateSilent = 2

        public var description: String {
            switch self {
            case .carrierLost: "carrier lost"
            case .mateSilent: "mate silent"
            }
        }
    }

    /// Datagrams received into the arena per `recvmmsg`.
    public static let receiveBatchMax = 16
    /// The room of one received entry: a whole UDP payload, so that a train the kernel hands
    /// over uncut (`UDP_GRO`, up to `trainSizeMax`) fits.
    static let receiveSlotSize = 65_536
    /// Messages encoded before `sendmmsg` sends them.
    public static let sendBatchMax = 64
    /// Bytes of encoded messages one send batch holds.
    public static let sendArenaSize = 512 * 1024
    /// Pieces the datagrams of one send batch are gathered from, at most.
    public static let sendPiecesMax = Int(CDuplexShims_PIECES_MAX)
    /// A snapshot chunk with at least this many bytes of records is sent from the chunk's own
    /// storage; smaller ones are copied into the arena like every other message.
    public static let gatheredRecordsMin = 1_024
    /// Socket buffer sizes asked for (the kernel may give less without `CAP_NET_ADMIN`).
    public static let socketBufferSize: CInt = 4 * 1024 * 1024
    /// Largest UDP payload over IPv4 (65,535 − 20 − 8); IPv6 allows 65,527.
    public static let datagramSizeMax = 65_507
    /// Messages in one train, at most (the kernel's `UDP_MAX_SEGMENTS` is 64 or more).
    public static let trainMessagesMax = 64
    /// Bytes of one train, at most (a UDP datagram's payload over IPv4 is at most 65,507).
    public static let trainSizeMax = 65_000
    /// Default `coalescingSizeMax`: no bound of its own, so small messages fill a datagram up to
    /// the path MTU's payload (`coalescingLimit`): 1,472 bytes at MTU 1,500 over IPv4, 8,972 at
    /// MTU 9,000 (six times fewer datagrams for the same stream of small updates).
    public static let coalescingSizeDefault = datagramSizeMax

    public let paths: [Path]
    /// The largest datagram payload that goes out unfragmented on every path: the smallest
    /// path MTU less the IP and UDP headers (`ReplicationConfiguration.chunkSize(fitting:)`).
    public let datagramPayloadMax: Int
    /// Messages are packed into one datagram while it stays within this many bytes (0: one
    /// message per datagram).
    public let coalescingSizeMax: Int
    /// Messages are packed into one datagram while it stays within this many bytes:
    /// `coalescingSizeMax`, at most `datagramPayloadMax` (so a packed datagram never fragments).
    public let coalescingLimit: Int
    /// Per-path counters and states, readable from any thread (`duplexctl`).
    public let statistics: Statistics
    /// Readable when some path has a datagram: add it to the owner's epoll set.
    public var fileDescriptor: CInt { readiness.fileDescriptor }

    let sockets: [CInt]
    let readiness: Epoll
    /// The path sends go to.
    public internal(set) var currentPath: Int
    var downReasons: [DownReason?]
    /// Where the next `receiveAll` starts: the path that delivered last, or the one after a
    /// path that filled the budget (so that one busy path cannot starve the others).
    var receiveStart = 0
    /// `receiveAll` calls so far (see `otherPathsEvery`).
    var receiveCalls: UInt64 = 0
    let receiveArena: UnsafeMutableRawPointer
    let receiveLengths: UnsafeMutablePointer<Int>
    /// Per received entry: the size of the datagrams the kernel handed over together (0: one).
    let receiveSegmentSizes: UnsafeMutablePointer<UInt16>
    let sendArena: UnsafeMutableRawPointer
    /// The pieces the batch's datagrams are gathered from (`sendmmsg` with several `iovec`s):
    /// encoded bytes in the arena, and the records of large snapshot chunks where the chunks
    /// keep them (sent without a copy; see `enqueue`).
    let sendPieceBases: UnsafeMutablePointer<UnsafeRawPointer?>
    let sendPieceLengths: UnsafeMutablePointer<Int>
    var pieceCount = 0
    /// Each datagram's first piece and number of pieces.
    let sendFirstPieces: UnsafeMutablePointer<Int>
    let sendPieceCounts: UnsafeMutablePointer<Int>
    /// The chunk records the batch's pieces point into, kept alive until the batch is sent.
    var pinnedRecords: [[UInt8]] = []
    /// Each datagram's length (all its pieces).
    let sendLengths: UnsafeMutablePointer<Int>
    /// Messages in each datagram (or train) of the batch.
    let sendMessageCounts: UnsafeMutablePointer<Int>
    /// Each entry's segment size when it is (or may become) a train, else 0.
    let sendSegmentSizes: UnsafeMutablePointer<UInt16>
    /// Trains are sent (see the type's description): asked for and not refused by the kernel.
    public internal(set) var segmentation: Bool
    /// Messages larger than `datagramPayloadMax` go as segments (see the type's description);
    /// the owner turns it off for a mate whose build does not reassemble them (its pair
    /// frames say so: `PairFrame.Capabilities`). Segments that arrive are reassembled either way.
    public var segmenting: Bool
    /// Each entry of the batch is a segment: it carries no whole message, and no other
    /// message joins its datagram.
    let sendSealed: UnsafeMutablePointer<Bool>
    /// A message to be cut into segments is encoded here first (allocated once).
    let segmentScratch: UnsafeMutableRawBufferPointer
    /// The number the next segmented message carries.
    var nextSegmentedMessage: UInt32
    /// Segmented messages from the mate, being put back together.
    var reassembler = SegmentReassembler()
    var sendCount = 0
    var sendUsed = 0
    /// What became of the messages sent since the last `flush()`.
    var batchOutcome = BatchOutcome()

    /// Opens one socket per path and gathers them in one epoll descriptor.
    ///
    /// The corresponding C calls, per path, are `socket(SOCK_DGRAM | SOCK_NONBLOCK)`,
    /// `setsockopt(SO_BINDTODEVICE, SO_REUSEADDR, SO_SNDBUF(FORCE), SO_RCVBUF(FORCE))`, `bind`,
    /// `connect`; then `epoll_create1` and `epoll_ctl(EPOLL_CTL_ADD)`.
    /// - Parameters:
    ///   - paths: 1...`Limits.linksMax` paths, in order of preference.
    ///   - coalescingSizeMax: 0...`datagramSizeMax`; see the property.
    ///   - segmentation: send runs of large snapshot chunks as trains (see the type's
    ///     description).
    ///   - segmenting: send messages larger than the path MTU's payload as segments (see the
    ///     type's description); false leaves them to the kernel's IP fragmentation.
    /// - Throws: `Errno` from the first socket call that failed (`EADDRNOTAVAIL` when a local
    ///   address is not configured, `ENODEV`, `EADDRINUSE`, `EPERM` without `CAP_NET_RAW` for a
    ///   device); every socket opened so far is closed.
    public init(
        paths: [Path], coalescingSizeMax: Int = ReplicationTransport.coalescingSizeDefault, segmentation: Bool = true,
        segmenting: Bool = true
    ) throws(Errno) {
        precondition(!paths.isEmpty && paths.count <= Limits.linksMax, "1...linksMax replication paths")
        precondition((0...Self.datagramSizeMax).contains(coalescingSizeMax), "a coalescing bound within a datagram")
        precondition(Limits.replicationMessageSizeMax <= Self.datagramSizeMax, "a replication message fits one UDP datagram")
        precondition(Limits.replicationMessageSizeMax <= Self.sendArenaSize, "a message fits the send arena")
        self.paths = paths
        self.coalescingSizeMax = coalescingSizeMax
        self.segmentation = segmentation
        self.segmenting = segmenting
        var sockets: [CInt] = []
        do throws(Errno) {
            for path in paths { sockets.append(try Self.openSocket(path)) }
            readiness = try Epoll()
            for (index, socket) in sockets.enumerated() { try readiness.add(socket, token: UInt64(index)) }
        } catch {
            for socket in sockets { close(socket) }
            throw error
        }
        self.sockets = sockets
        datagramPayloadMax = zip(paths, sockets).map { Self.payloadMax(of: $1, ipv4: $0.local.address.isIPv4) }.min() ?? 1_452
        coalescingLimit = min(coalescingSizeMax, datagramPayloadMax)
        statistics = Statistics(paths: paths)
        currentPath = 0
        downReasons = Array(repeating: nil, count: paths.count)
        receiveArena = .allocate(byteCount: Self.receiveBatchMax * Self.receiveSlotSize, alignment: 16)
        receiveLengths = .allocate(capacity: Self.receiveBatchMax)
        receiveSegmentSizes = .allocate(capacity: Self.receiveBatchMax)
        sendArena = .allocate(byteCount: Self.sendArenaSize, alignment: 16)
        sendPieceBases = .allocate(capacity: Self.sendPiecesMax)
        sendPieceLengths = .allocate(capacity: Self.sendPiecesMax)
        sendFirstPieces = .allocate(capacity: Self.sendBatchMax)
        sendPieceCounts = .allocate(capacity: Self.sendBatchMax)
        pinnedRecords.reserveCapacity(Self.sendPiecesMax)
        sendLengths = .allocate(capacity: Self.sendBatchMax)
        sendMessageCounts = .allocate(capacity: Self.sendBatchMax)
        sendSegmentSizes = .allocate(capacity: Self.sendBatchMax)
        sendSealed = .allocate(capacity: Self.sendBatchMax)
        segmentScratch = .allocate(byteCount: Limits.replicationMessageSizeMax, alignment: 16)
        // Numbers from a new start differ from the previous start's, whose segments the mate
        // may still hold (a clash would cost only that message: its CRC refuses the mix).
        nextSegmentedMessage = UInt32(truncatingIfNeeded: MonotonicClock.now().nanoseconds >> 10)
        statistics.setCurrent(0)
    }

    deinit {
        for socket in sockets { close(socket) }
        receiveArena.deallocate()
        receiveLengths.deallocate()
        receiveSegmentSizes.deallocate()
        sendArena.deallocate()
        sendPieceBases.deallocate()
        sendPieceLengths.deallocate()
        sendFirstPieces.deallocate()
        sendPieceCounts.deallocate()
        sendLengths.deallocate()
        sendMessageCounts.deallocate()
        sendSegmentSizes.deallocate()
        sendSealed.deallocate()
        segmentScratch.deallocate()
    }

    /// Whether `path` is in use (not marked down).
    public func isUp(path: Int) -> Bool {
        precondition(paths.indices.contains(path), "a path of this transport")
        return downReasons[path] == nil
    }

    /// Takes `path` out of use for sending. When it is the current path, sends move to the
    /// next path that is up (in order, wrapping around); when none is, they stay where they
    /// are (the owner's view may be stale, and the core retransmits). Messages batched by
    /// `enqueue` go out on the new path. Receiving goes on on every path.
    public func markDown(path: Int, reason: DownReason) {
        precondition(paths.indices.contains(path), "a path of this transport")
        downReasons[path] = reason
        statistics.counters[path].state.store(reason.rawValue, ordering: .relaxed)
        guard path == currentPath else { return }
        for step in 1..<max(paths.count, 1) {
            let next = (path + step) % paths.count
            if downReasons[next] == nil {
                move(to: next)
                return
            }
        }
    }

    /// Puts `path` back in use. Sends stay on the current path while it is up (no move back,
    /// which would reorder the stream for nothing); when every path was down, they move here.
    public func markUp(path: Int) {
        precondition(paths.indices.contains(path), "a path of this transport")
        downReasons[path] = nil
        statistics.counters[path].state.store(0, ordering: .relaxed)
        if downReasons[currentPath] != nil { move(to: path) }
    }

    private func move(to path: Int) {
        assert(path != currentPath && downReasons[path] == nil, "a move to another path that is up")
        currentPath = path
        statistics.setCurrent(path)
        statistics.counters[path].selected.wrappingAdd(1, ordering: .relaxed)
    }
}
