public import SystemPackage
import CDuplexShims
public import DuplexCore
import Glibc
import Synchronization

/// The last-resort heartbeat path over the service LAN: a non-blocking UDP socket bound to a
/// local address and port and connected to exactly one peer.
///
/// `send` and `receive` work in caller-owned buffers and never allocate. The socket is
/// connected, so the kernel keeps the route (no lookup per datagram) and delivers only
/// datagrams from the peer's address and port; `receive` checks the source again, because
/// datagrams that arrived between `bind` and `connect` may come from anyone (the frame's cluster
/// id, CRC and optional HMAC are the real filter; this is the cheap first one). The link holds
/// no mutable state besides atomic counters, hence `Sendable`.
public final class UDPLink: Sendable {
    public let local: IPEndpoint
    public let peer: IPEndpoint
    /// The UDP socket; register it with `Epoll` for `.readable`.
    public let fileDescriptor: CInt

    private let foreignDatagrams = Atomic<UInt64>(0)
    private let truncatedDatagrams = Atomic<UInt64>(0)
    private let refusals = Atomic<UInt64>(0)

    /// Opens a UDP socket bound to `local`, optionally to one device, and connected to `peer`.
    ///
    /// The corresponding C calls are `socket(SOCK_DGRAM | SOCK_NONBLOCK)`, `setsockopt(SO_REUSEADDR)`,
    /// `setsockopt(SO_BINDTODEVICE)`, `bind` and `connect`.
    /// - Parameters:
    ///   - local: the address and port to bind; same family as `peer`.
    ///   - peer: the only address and port we send to and accept from.
    ///   - device: an interface name for `SO_BINDTODEVICE` (needs `CAP_NET_RAW`), also the
    ///     scope of link-local IPv6 endpoints.
    /// - Throws: `Errno` (`EADDRNOTAVAIL` when `local` is not configured, `EADDRINUSE`, `ENODEV`,
    ///   `ENETUNREACH` when there is no route to `peer`).
    public init(local: IPEndpoint, peer: IPEndpoint, device: String? = nil) throws(Errno) {
        precondition(local.address.family == peer.address.family, "local and peer of one family")
        self.local = local
        self.peer = peer
        let domain = local.address.family == .v4 ? AF_INET : AF_INET6
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = try Syscall.retrying { socket(domain, type, 0) }
        do throws(Errno) {
            var scope: UInt32 = 0
            if let device {
                _ = try Syscall.retrying { CDuplexShims_bind_to_device(descriptor, device) }
                scope = UInt32(try NetworkInterface(named: device).index)
            }
            var one: CInt = 1
            _ = try Syscall.retrying {
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            }
            _ = try Self.withSocketAddress(local, scope: scope) { (address, length) throws(Errno) in
                try Syscall.retrying { bind(descriptor, address, length) }
            }
            _ = try Self.withSocketAddress(peer, scope: scope) { (address, length) throws(Errno) in
                try Syscall.retrying { connect(descriptor, address, length) }
            }
        } catch {
            close(descriptor)
            throw error
        }
        fileDescriptor = descriptor
    }

    deinit { close(fileDescriptor) }

    /// Datagrams dropped because their source was not the peer's address and port.
    public var foreignDatagramCount: UInt64 { foreignDatagrams.load(ordering: .relaxed) }
    /// Datagrams dropped because they did not fit the caller's buffer.
    public var truncatedDatagramCount: UInt64 { truncatedDatagrams.load(ordering: .relaxed) }
    /// ICMP errors for earlier datagrams (`ECONNREFUSED`: nothing listened on the peer's port)
    /// that a `send` or `receive` consumed.
    public var refusalCount: UInt64 { refusals.load(ordering: .relaxed) }

    /// Sends one datagram to the peer.
    ///
    /// An ICMP error for an earlier datagram (`ECONNREFUSED`, pending on a connected socket) is
    /// counted in `refusalCount` and the send is tried once more: the error is not this
    /// datagram's.
    ///
    /// The corresponding C function is `send(MSG_DONTWAIT)`.
    /// - Returns: `false` when the socket buffer is full (`EAGAIN`/`ENOBUFS`): the datagram is lost.
    /// - Throws: `Errno` such as `ENETUNREACH`, `EHOSTUNREACH`, `EMSGSIZE`.
    public func send(_ datagram: UnsafeRawBufferPointer) throws(Errno) -> Bool {
        for attempt in 0..<2 {
            let sent: Int?
            do throws(Errno) {
                sent = try Syscall.nonBlocking {
                    Glibc.send(fileDescriptor, datagram.baseAddress, datagram.count, CInt(MSG_DONTWAIT))
                }
            } catch where error == .noBufferSpace {
                return false
            } catch where error == .connectionRefused && attempt == 0 {
                refusals.add(1, ordering: .relaxed)
                continue
            }
            guard let sent else { return false }
            precondition(sent == datagram.count, "UDP sends whole datagrams")
            return true
        }
        throw .connectionRefused  // refused twice in a row: a new ICMP error arrived in between
    }

    /// Receives one datagram from the peer into `buffer`.
    ///
    /// Skips (and counts) datagrams from other sources or longer than `buffer`, and pending
    /// ICMP errors for earlier datagrams (`ECONNREFUSED`), at most `Limits.receiveBatchMax` in
    /// all per call. Allocation-free.
    ///
    /// The corresponding C function is `recvfrom(MSG_TRUNC | MSG_DONTWAIT)`.
    /// - Returns: the datagram length, or `nil` when nothing is pending.
    /// - Throws: `Errno` other than `EINTR`, `EAGAIN` and `ECONNREFUSED`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int? {
        var stamp: UInt64 = 0
        return try receive(into: buffer, receivedAt: &stamp)
    }

    /// ``receive(into:)``, also giving the kernel's receive time of the datagram in
    /// `receivedAt` (CLOCK_REALTIME, ns), or 0 unless ``enableTimestamps()`` was called.
    ///
    /// The corresponding C function is `recvmsg(MSG_TRUNC | MSG_DONTWAIT)` with `SCM_TIMESTAMPNS`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, receivedAt: inout UInt64) throws(Errno) -> Int? {
        for _ in 0..<Limits.receiveBatchMax {
            var storage = sockaddr_storage()
            var length = UInt32(MemoryLayout<sockaddr_storage>.size)
            var stamp: UInt64 = 0
            let received: Int?
            do throws(Errno) {
                received = try Syscall.nonBlocking {
                    CDuplexShims_datagram_receive_stamped(
                        fileDescriptor, buffer.baseAddress, buffer.count, &storage, &length, &stamp)
                }
            } catch where error == .connectionRefused {
                refusals.add(1, ordering: .relaxed)
                continue
            }
            guard let received else { return nil }
            guard Self.endpoint(of: storage) == peer else {
                foreignDatagrams.add(1, ordering: .relaxed)
                continue
            }
            guard received <= buffer.count else {
                truncatedDatagrams.add(1, ordering: .relaxed)
                continue
            }
            receivedAt = stamp
            return received
        }
        return nil
    }

    /// Reads the pending datagrams (up to the batch's capacity) in one system call, and returns
    /// how many there were; ``payload(in:at:)`` then gives each datagram, or `nil` for those it
    /// drops and counts (from another source, longer than the slot). Allocation-free.
    ///
    /// The corresponding C function is `recvmmsg(MSG_DONTWAIT | MSG_TRUNC)`.
    /// - Throws: `Errno` other than `EINTR`, `EAGAIN` and `ECONNREFUSED` (pending ICMP errors
    ///   for earlier datagrams are counted and skipped).
    public func receive(into batch: StampedReceiveBatch) throws(Errno) -> Int {
        // A pending ICMP error fails the first read and is cleared by it; the next one gets the
        // datagrams behind it.
        for _ in 0..<Limits.receiveBatchMax {
            do throws(Errno) {
                return try batch.read(from: fileDescriptor)
            } catch where error == .connectionRefused {
                refusals.add(1, ordering: .relaxed)
            }
        }
        return 0
    }

    /// Datagram `index` of a batch this link filled, or `nil` (counted) when it came from
    /// another source or was truncated.
    public func payload(in batch: StampedReceiveBatch, at index: Int) -> UnsafeRawBufferPointer? {
        let source = batch.address(index)
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<$0.count])) }
        guard Self.endpoint(of: storage) == peer else {
            foreignDatagrams.add(1, ordering: .relaxed)
            return nil
        }
        guard batch.length(index) <= batch.slotSize else {
            truncatedDatagrams.add(1, ordering: .relaxed)
            return nil
        }
        return batch.bytes(index)
    }

    /// Has the kernel stamp each received datagram (`SO_TIMESTAMPNS`), for
    /// ``receive(into:receivedAt:)``.
    public func enableTimestamps() throws(Errno) {
        _ = try Syscall.retrying { CDuplexShims_socket_timestamps(fileDescriptor) }
    }
}
