public import SystemPackage
import CDuplexShims
import DuplexCore
import Glibc

/// Carrier events of the board's interfaces, from a raw `NETLINK_ROUTE` socket subscribed to
/// `RTNLGRP_LINK`. No libnl: the `nlmsghdr` + `ifinfomsg` messages are parsed here, bounds
/// checked, into a receive buffer allocated once at `init`, so `drain` does not allocate and can
/// run on the pair thread.
///
/// - Note: Do not rely on the event alone for fast detection. On a link whose two ends share
///   an ifindex (as a physical NIC and its far end do), the kernel's linkwatch rate limit
///   delays the carrier event by about one second; reading the state once with
///   `requestLink(index:)` after any event for the interface brings it back to ~130 µs. The
///   heartbeat timeout stays the primary detector.
///
/// Not `Sendable`: it owns its buffer and request sequence. Create it where it is drained, or
/// hand it over once (`sending`) to the thread that drains it.
public final class LinkMonitor {
    /// The netlink socket; register it with `Epoll` for `.readable`.
    public let fileDescriptor: CInt
    private let buffer: UnsafeMutableRawBufferPointer
    private var sequence: UInt32 = 1

    /// The receive buffer: big enough for the 32 KiB datagrams the kernel uses for dumps.
    public static let bufferSize = 64 * 1024
    /// Datagrams read per `drain`, so that an event storm cannot hold the thread.
    public static let datagramsPerDrainMax = 64

    /// What one `drain` saw.
    public struct DrainSummary: Sendable, Hashable {
        /// Link messages passed to the handler.
        public var links: Int = 0
        /// Events were lost (socket overrun, `ENOBUFS`, or a datagram larger than the buffer):
        /// call `requestDump()` to read every link's state again.
        public var eventsLost: Bool = false
        /// The per-call datagram bound was reached; more may be pending (epoll will say).
        public var morePending: Bool = false
    }

    /// Opens the socket and subscribes to link events.
    ///
    /// The corresponding C calls are `socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE)`,
    /// `setsockopt(SO_RCVBUF)` and `bind` with `nl_groups = RTMGRP_LINK`.
    /// - Parameter socketBufferSize: the kernel receive buffer, so bursts do not overrun it.
    /// - Throws: `Errno` from `socket`, `setsockopt` or `bind`.
    public init(socketBufferSize: Int = 1 << 20) throws(Errno) {
        fileDescriptor = try Syscall.retrying {
            CDuplexShims_netlink_route_socket(RouteMessage.groupLink, CInt(clamping: socketBufferSize))
        }
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        close(fileDescriptor)
    }

    /// Asks the kernel for every link's state; the answers arrive through `drain`.
    ///
    /// Sends `RTM_GETLINK` with `NLM_F_REQUEST | NLM_F_DUMP`.
    /// - Throws: `Errno` from `send` (`EBUSY` is not thrown: the kernel then answers with an
    ///   error message that `drain` ignores).
    public func requestDump() throws(Errno) {
        try sendRequest(flags: RouteMessage.flagRequest | RouteMessage.flagDump, index: 0)
    }

    /// Asks the kernel for one link's state; the answer arrives through `drain`. Call it after
    /// an event for the interface to beat the linkwatch rate limit (see the type's note).
    ///
    /// Sends `RTM_GETLINK` with `NLM_F_REQUEST` and `ifi_index = index`.
    /// - Throws: `Errno` from `send`.
    public func requestLink(index: CInt) throws(Errno) {
        precondition(index > 0, "an interface index")
        try sendRequest(flags: RouteMessage.flagRequest, index: index)
    }

    private func sendRequest(flags: UInt16, index: CInt) throws(Errno) {
        var message: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let length = RouteMessage.headerLength + RouteMessage.linkInfoLength
        sequence &+= 1
        let sequence = self.sequence
        try withUnsafeMutableBytes(of: &message) { (bytes) throws(Errno) in
            precondition(bytes.count >= length, "request fits")
            bytes.storeBytes(of: UInt32(length), toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: RouteMessage.getLink, toByteOffset: 4, as: UInt16.self)
            bytes.storeBytes(of: flags, toByteOffset: 6, as: UInt16.self)
            bytes.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self)
            bytes.storeBytes(of: index, toByteOffset: 20, as: CInt.self)
            let sent = try Syscall.retrying { Glibc.send(fileDescriptor, bytes.baseAddress, length, 0) }
            precondition(sent == length, "netlink sends whole messages")
        }
    }

    /// Reads every pending message (up to `datagramsPerDrainMax` datagrams) and calls `handler`
    /// for each link message. Non-blocking and allocation-free (interface names are at most 15
    /// bytes, which Swift stores inline in the `String`).
    ///
    /// The handler sees every `RTM_NEWLINK` (for any attribute change, not only carrier: compare
    /// with the previous state) and `RTM_DELLINK` (reported with `carrierUp: false`).
    /// - Parameter handler: gets the interface index, its name when the message carries one,
    ///   and whether the carrier is up (`IFF_UP` and `IFF_LOWER_UP` both set).
    /// - Returns: a summary; when `eventsLost` is set, call `requestDump()`.
    /// - Throws: `Errno` other than `EINTR`, `EAGAIN` and `ENOBUFS`.
    @discardableResult
    public func drain(
        handler: (_ index: CInt, _ name: String?, _ carrierUp: Bool) -> Void
    ) throws(Errno) -> DrainSummary {
        var summary = DrainSummary()
        for _ in 0..<Self.datagramsPerDrainMax {
            let received: Int?
            do throws(Errno) {
                received = try Syscall.nonBlocking {
                    recv(fileDescriptor, buffer.baseAddress, buffer.count, CInt(MSG_TRUNC | MSG_DONTWAIT))
                }
            } catch where error == .noBufferSpace {
                summary.eventsLost = true
                continue
            }
            guard let received else { return summary }
            if received > buffer.count {
                summary.eventsLost = true
                continue
            }
            summary.links += RouteMessage.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<received]), handler)
        }
        summary.morePending = true
        return summary
    }
}

/// Owned by one thread (see the type's documentation).
@available(*, unavailable)
extension LinkMonitor: Sendable {}
