public import DuplexCore
public import SystemPackage
import CDuplexShims
import Glibc

/// Tells the segment that a logical IP address now lives at this board's MAC: one gratuitous
/// ARP (IPv4) or one unsolicited neighbour advertisement (IPv6) per call; the caller sends
/// bursts.
///
/// Both are built here as complete Ethernet frames and sent through one send-only `AF_PACKET`
/// socket, on the stack, without allocation. The announcer holds only its socket, hence
/// `Sendable`.
public final class Announcer: Sendable {
    /// The send-only packet socket (bound to no EtherType: it receives nothing).
    public let fileDescriptor: CInt

    /// Opens the packet socket.
    ///
    /// The corresponding C call is `socket(AF_PACKET, SOCK_RAW, 0)`.
    /// - Throws: `Errno` (`EPERM` without `CAP_NET_RAW`).
    public init() throws(Errno) {
        fileDescriptor = try Syscall.retrying { CDuplexShims_packet_socket(0, 0, 1) }
    }

    deinit { close(fileDescriptor) }

    /// Sends one announcement for `address` out of `interface`.
    ///
    /// - Parameters:
    ///   - address: `198.51.100.10` or `2001:db8::10`; a `/prefix` suffix is ignored.
    ///   - interface: the interface that holds the address (its MAC is announced).
    /// - Throws: `Errno.invalidArgument` for an unparsable address, `ENODEV` for an unknown
    ///   interface, `ENETDOWN` when it is down, `EAGAIN` when the socket buffer is full.
    public func announce(address: String, interface: String) throws(Errno) {
        let bare = address.split(separator: "/", maxSplits: 1).first.map(String.init) ?? address
        guard let parsed = AnyIPAddress(parsing: bare) else { throw .invalidArgument }
        try announce(parsed, on: try NetworkInterface(named: interface))
    }

    /// Sends one announcement for `address` out of `interface`: for IPv4 a gratuitous ARP
    /// request (RFC 5227 §3: sender and target protocol address both `address`, broadcast);
    /// for IPv6 an unsolicited neighbour advertisement (RFC 4861 §7.2.6: override flag, target
    /// `address`, to ff02::1, hop limit 255, with the target link-layer address option).
    ///
    /// The corresponding C function is `sendto` with a `sockaddr_ll`.
    /// - Throws: `Errno` from `sendto` (`ENETDOWN`, `ENXIO`, `EAGAIN`, `ENOBUFS`).
    public func announce(_ address: AnyIPAddress, on interface: NetworkInterface) throws(Errno) {
        try withUnsafeTemporaryAllocation(byteCount: AnnouncementFrame.bufferSize, alignment: 8) {
            (buffer) throws(Errno) in
            let length: Int
            let etherType: UInt16
            let destination: EthernetAddress
            switch address.family {
            case .v4:
                length = AnnouncementFrame.gratuitousARP(into: buffer, mac: interface.mac, address: address)
                etherType = CDuplexShims_ETH_P_ARP
                destination = .broadcast
            case .v6:
                length = AnnouncementFrame.neighborAdvertisement(into: buffer, mac: interface.mac, address: address)
                etherType = CDuplexShims_ETH_P_IPV6
                destination = AnnouncementFrame.allNodesMAC
            }
            let sent = try destination.withUnsafeBytes { (mac) throws(Errno) -> Int in
                let octets = mac.baseAddress!.assumingMemoryBound(to: UInt8.self)
                return try Syscall.retrying {
                    CDuplexShims_packet_send(fileDescriptor, interface.index, etherType, octets, buffer.baseAddress, length)
                }
            }
            precondition(sent == length, "a packet socket sends whole frames")
        }
    }
}
