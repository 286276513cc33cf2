public import SystemPackage
import CDuplexShims
public import DuplexCore
import Glibc
import Synchronization

/// A raw Ethernet path on one interface and one EtherType: an `AF_PACKET`/`SOCK_RAW` socket,
/// non-blocking, bound to the interface and EtherType.
///
/// Frames bypass the qdisc layer (`PACKET_QDISC_BYPASS`): a heartbeat does not queue behind
/// other traffic, and sending costs less. As a consequence, netdev *egress* hooks (nftables)
/// and packet taps on the sending interface do not see outgoing frames; filter on the
/// receiver's ingress instead.
///
/// `send` and `receive` work in caller-owned buffers and never allocate, so the pair thread can
/// use them after start-up. The link itself holds no mutable state besides atomic counters,
/// hence `Sendable`; still, give each link to one thread for receiving.
public final class RawEthernetLink: Sendable {
    /// IEEE 802 local experimental EtherType 1 (IEEE Std 802, clause 9.2.2): the pair default.
    public static let defaultEtherType: UInt16 = 0x88B5
    /// Destination MAC, source MAC, EtherType.
    public static let headerLength = Int(CDuplexShims_ETH_HLEN)
    /// The shortest Ethernet frame without FCS (IEEE 802.3 clause 3.2.7); shorter frames are
    /// padded with zeros.
    public static let frameLengthMin = Int(CDuplexShims_ETH_ZLEN)

    /// The interface the socket is bound to (name, index and our source MAC).
    public let interface: NetworkInterface
    /// The EtherType sent and received.
    public let etherType: UInt16
    /// The packet socket; register it with `Epoll` for `.readable`.
    public let fileDescriptor: CInt

    private let truncatedFrames = Atomic<UInt64>(0)
    private let foreignFrames = Atomic<UInt64>(0)

    /// Opens and binds the socket.
    ///
    /// The corresponding C calls are `socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0)` and `bind`
    /// with a `sockaddr_ll` for the EtherType and the interface index (the protocol at bind, not
    /// at `socket`: that spares the RCU grace period of unhooking a socket from every device).
    /// - Parameters:
    ///   - name: the interface, looked up in the calling thread's network namespace.
    ///   - etherType: the EtherType to send and receive; 0x88B5 unless configured.
    /// - Throws: `Errno`: `ENODEV` for an unknown interface, `EPERM` without `CAP_NET_RAW`.
    public init(interface name: String, etherType: UInt16 = RawEthernetLink.defaultEtherType) throws(Errno) {
        precondition(etherType >= 0x0600, "an EtherType, not an 802.3 length")
        interface = try NetworkInterface(named: name)
        self.etherType = etherType
        let index = interface.index
        fileDescriptor = try Syscall.retrying { CDuplexShims_packet_socket(index, etherType, 1) }
        // Best effort: without it (Linux < 3.14) frames take the qdisc path, slower but correct.
        _ = CDuplexShims_packet_bypass_qdisc(fileDescriptor)
    }

    deinit { close(fileDescriptor) }

    /// Frames dropped because they did not fit the caller's buffer.
    public var truncatedFrameCount: UInt64 { truncatedFrames.load(ordering: .relaxed) }
    /// Frames dropped because they were ours (`PACKET_OUTGOING`) or of another EtherType.
    public var foreignFrameCount: UInt64 { foreignFrames.load(ordering: .relaxed) }

    /// Sends `payload` to `destination`, building the frame in `frameBuffer`.
    ///
    /// Writes the 14-byte header (destination, our MAC, EtherType), copies the payload after it
    /// and pads with zeros to 60 bytes. Allocation-free.
    /// - Parameters:
    ///   - payload: the bytes after the Ethernet header.
    ///   - destination: the mate's MAC, or `.broadcast`.
    ///   - frameBuffer: scratch of at least `max(14 + payload.count, 60)` bytes.
    /// - Returns: `false` when the socket buffer is full (`EAGAIN`/`ENOBUFS`): the frame is lost,
    ///   as it could be on the wire.
    /// - Throws: `Errno` such as `ENETDOWN` or `ENXIO` when the interface is down or gone.
    /// - Important: traps when `frameBuffer` is too small.
    public func send(
        payload: UnsafeRawBufferPointer, to destination: EthernetAddress, frameBuffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Bool {
        let needed = Self.headerLength + payload.count
        precondition(frameBuffer.count >= max(needed, Self.frameLengthMin), "frame buffer too small")
        if !payload.isEmpty {
            UnsafeMutableRawBufferPointer(rebasing: frameBuffer[Self.headerLength..<needed])
                .copyMemory(from: payload)
        }
        return try sendFrame(frameBuffer, payloadLength: payload.count, to: destination)
    }

    /// Sends a frame whose payload the caller already wrote at offset `headerLength` of
    /// `frame`: the zero-copy form of `send(payload:to:frameBuffer:)`.
    ///
    /// The corresponding C function is `sendto` with a `sockaddr_ll`.
    /// - Parameters:
    ///   - frame: headroom of 14 bytes, then `payloadLength` payload bytes, then room to pad
    ///     to 60 bytes.
    ///   - payloadLength: the payload bytes at `frame[14...]`.
    ///   - destination: the mate's MAC, or `.broadcast`.
    /// - Returns: `false` when the socket buffer is full (`EAGAIN`/`ENOBUFS`).
    /// - Throws: `Errno` such as `ENETDOWN`, `ENXIO`, `EMSGSIZE`.
    public func sendFrame(
        _ frame: UnsafeMutableRawBufferPointer, payloadLength: Int, to destination: EthernetAddress
    ) throws(Errno) -> Bool {
        let length = max(Self.headerLength + payloadLength, Self.frameLengthMin)
        precondition(payloadLength >= 0 && frame.count >= length, "frame buffer too small")
        destination.write(to: frame, at: 0)
        interface.mac.write(to: frame, at: 6)
        frame[12] = UInt8(etherType >> 8)
        frame[13] = UInt8(etherType & 0xFF)
        let end = Self.headerLength + payloadLength
        if end < length {
            UnsafeMutableRawBufferPointer(rebasing: frame[end..<length]).initializeMemory(as: UInt8.self, repeating: 0)
        }
        return try transmit(UnsafeRawBufferPointer(rebasing: frame[0..<length]), to: destination)
    }

    private func transmit(_ frame: UnsafeRawBufferPointer, to destination: EthernetAddress) throws(Errno) -> Bool {
        let index = interface.index
        let type = etherType
        let sent = try destination.withUnsafeBytes { (mac) throws(Errno) -> Int? in
            let octets = mac.baseAddress!.assumingMemoryBound(to: UInt8.self)
            do throws(Errno) {
                return try Syscall.nonBlocking {
                    CDuplexShims_packet_send(fileDescriptor, index, type, octets, frame.baseAddress, frame.count)
                }
            } catch where error == .noBufferSpace {
                return nil
            }
        }
        guard let sent else { return false }
        precondition(sent == frame.count, "a packet socket sends whole frames")
        return true
    }

    /// Receives one frame of our EtherType into `buffer`, without its Ethernet header.
    ///
    /// Skips (and counts) frames we sent ourselves (`PACKET_OUTGOING`), of another EtherType, or
    /// longer than `buffer`; at most `Limits.receiveBatchMax` of them per call. Allocation-free.
    ///
    /// The corresponding C function is `recvmsg(MSG_TRUNC | MSG_DONTWAIT)`.
    /// - Parameter buffer: where the payload goes.
    /// - Returns: the payload length (it includes any padding to the 60-byte minimum: the pair
    ///   frame must carry its own length) and the sender's MAC; `nil` when nothing is pending.
    /// - Throws: `Errno` other than `EINTR`/`EAGAIN` (for example `ENETDOWN`).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> (length: Int, source: EthernetAddress)? {
        var stamp: UInt64 = 0
        return try receive(into: buffer, receivedAt: &stamp)
    }

    /// ``receive(into:)``, also giving the kernel's receive time of the frame in `receivedAt`
    /// (CLOCK_REALTIME, ns), or 0 unless ``enableTimestamps()`` was called.
    ///
    /// The corresponding C function is `recvmsg(MSG_TRUNC | MSG_DONTWAIT)` with `SCM_TIMESTAMPNS`.
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer, receivedAt: inout UInt64
    ) throws(Errno) -> (length: Int, source: EthernetAddress)? {
        for _ in 0..<Limits.receiveBatchMax {
            var octets: (UInt64, UInt8) = (0, 0)
            var type: UInt16 = 0
            var packetType: UInt8 = 0
            var stamp: UInt64 = 0
            let length = try withUnsafeMutableBytes(of: &octets) { (mac) throws(Errno) -> Int? in
                let target = mac.baseAddress!.assumingMemoryBound(to: UInt8.self)
                return try Syscall.nonBlocking {
                    CDuplexShims_packet_receive_stamped(
                        fileDescriptor, buffer.baseAddress, buffer.count, target, &type, &packetType, &stamp)
                }
            }
            guard let length else { return nil }
            if packetType == CDuplexShims_PACKET_OUTGOING || type != etherType {
                foreignFrames.add(1, ordering: .relaxed)
                continue
            }
            if length > buffer.count {
                truncatedFrames.add(1, ordering: .relaxed)
                continue
            }
            receivedAt = stamp
            let source = Swift.withUnsafeBytes(of: &octets) { EthernetAddress(bytes: $0) }
            return (length, source)
        }
        return nil
    }

    /// Reads the pending frames (up to the batch's capacity) in one system call, and returns
    /// how many there were; ``payload(in:at:)`` then gives each frame's payload, or `nil` for
    /// the frames it drops and counts (ours, another EtherType, longer than the slot).
    /// Allocation-free.
    ///
    /// The corresponding C function is `recvmmsg(MSG_DONTWAIT | MSG_TRUNC)`.
    /// - Throws: `Errno` other than `EINTR`/`EAGAIN` (for example `ENETDOWN`).
    public func receive(into batch: StampedReceiveBatch) throws(Errno) -> Int {
        try batch.read(from: fileDescriptor)
    }

    /// The payload of frame `index` of a batch this link filled, without its Ethernet header,
    /// or `nil` (counted) when the frame is not for us or was truncated.
    public func payload(in batch: StampedReceiveBatch, at index: Int) -> UnsafeRawBufferPointer? {
        let length = batch.length(index)
        let bytes = batch.bytes(index)
        // sockaddr_ll: family (2), protocol (2), ifindex (4), hatype (2), pkttype (1).
        let packetType = batch.address(index)[10]
        let type = length >= Self.headerLength ? UInt16(bytes[12]) << 8 | UInt16(bytes[13]) : 0
        if packetType == CDuplexShims_PACKET_OUTGOING || type != etherType {
            foreignFrames.add(1, ordering: .relaxed)
            return nil
        }
        if length > batch.slotSize {
            truncatedFrames.add(1, ordering: .relaxed)
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: bytes[Self.headerLength...])
    }

    /// Has the kernel stamp each received frame (`SO_TIMESTAMPNS`), for
    /// ``receive(into:receivedAt:)``.
    public func enableTimestamps() throws(Errno) {
        _ = try Syscall.retrying { CDuplexShims_socket_timestamps(fileDescriptor) }
    }

    /// Keeps only the frames whose payload byte at `offset` equals `value` (`equal`) or differs
    /// from it; the kernel drops the others before they are queued. Two links on one interface
    /// and EtherType can so split the traffic between them by a type byte.
    ///
    /// The corresponding C call is `setsockopt(SO_ATTACH_FILTER)` with a classic BPF program.
    public func selectFrames(payloadByte offset: Int, equal: Bool, to value: UInt8) throws(Errno) {
        precondition(offset >= 0 && offset < 1500, "an offset inside the payload")
        let frameOffset = UInt32(Self.headerLength + offset)
        _ = try Syscall.retrying { CDuplexShims_socket_filter_byte(fileDescriptor, frameOffset, value, equal ? 1 : 0) }
    }
}
