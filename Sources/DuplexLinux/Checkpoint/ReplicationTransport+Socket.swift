import CDuplexShims
import DuplexCore
import Glibc
import SystemPackage

extension ReplicationTransport {
    /// Opens one path's socket: non-blocking UDP, bound to the device (when named) and the
    /// local endpoint, with large buffers, connected to the mate; datagrams that arrived from
    /// anyone between `bind` and `connect` are drained.
    ///
    /// The corresponding C calls are `socket(SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC)`,
    /// `setsockopt(SO_BINDTODEVICE)`, `setsockopt(SO_REUSEADDR)`,
    /// `setsockopt(SOL_UDP, UDP_GRO)`, `setsockopt(SO_SNDBUFFORCE/SO_SNDBUF, SO_RCVBUFFORCE/SO_RCVBUF)`,
    /// `bind`, `connect`.
    static func openSocket(_ path: Path) throws(Errno) -> CInt {
        precondition(path.local.address.isIPv4 == path.peer.address.isIPv4, "local and peer of one family")
        let domain = path.local.address.isIPv4 ? AF_INET : AF_INET6
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = try Syscall.retrying { socket(domain, type, 0) }
        do throws(Errno) {
            var scope: UInt32 = 0
            if let device = path.device {
                _ = try Syscall.retrying { CDuplexShims_bind_to_device(descriptor, device) }
                scope = UInt32(try NetworkInterface(named: device).index)
            }
            try setOption(descriptor, SO_REUSEADDR, 1)
            // A train arrives as one entry, cut here (see `receive`), instead of by the kernel
            // on the sender's CPU (veth) into an entry per datagram. Without it (before Linux
            // 5.0) the kernel cuts as before.
            _ = CDuplexShims_udp_receive_coalesced(descriptor)
            setBufferSize(descriptor, force: SO_SNDBUFFORCE, plain: SO_SNDBUF)
            setBufferSize(descriptor, force: SO_RCVBUFFORCE, plain: SO_RCVBUF)
            _ = try UDPLink.withSocketAddress(path.local, scope: scope) { (address, length) throws(Errno) in
                try Syscall.retrying { bind(descriptor, address, length) }
            }
            _ = try UDPLink.withSocketAddress(path.peer, scope: scope) { (address, length) throws(Errno) in
                try Syscall.retrying { connect(descriptor, address, length) }
            }
            drainStrays(descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// The largest UDP payload a connected socket sends without IP fragmentation: its route's
    /// MTU less the IP (20 or 40 bytes) and UDP (8) headers; for an MTU that cannot be read,
    /// that of Ethernet (1,500).
    ///
    /// The corresponding C call is `getsockopt(IPPROTO_IP, IP_MTU)` (`IPPROTO_IPV6, IPV6_MTU`).
    static func payloadMax(of descriptor: CInt, ipv4: Bool) -> Int {
        var mtu: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        let result = ipv4
            ? getsockopt(descriptor, CInt(IPPROTO_IP), IP_MTU, &mtu, &length)
            : getsockopt(descriptor, CInt(IPPROTO_IPV6), IPV6_MTU, &mtu, &length)
        // Only a socket that is not connected has no route MTU (ENOTCONN); these all are.
        let known = result == 0 && mtu >= 576 ? Int(mtu) : 1_500
        return known - (ipv4 ? 20 : 40) - 8
    }

    private static func setOption(_ descriptor: CInt, _ option: CInt, _ value: CInt) throws(Errno) {
        var value = value
        _ = try Syscall.retrying {
            setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<CInt>.size))
        }
    }

    /// Asks for `socketBufferSize`: past `net.core.[rw]mem_max` with the `FORCE` option (needs
    /// `CAP_NET_ADMIN`), else as far as the plain option goes. Best effort: a smaller buffer
    /// only means more `EAGAIN` drops, which are counted and retransmitted.
    private static func setBufferSize(_ descriptor: CInt, force: CInt, plain: CInt) {
        do {
            try setOption(descriptor, force, socketBufferSize)
        } catch {
            // EPERM without CAP_NET_ADMIN: the plain option, capped by the sysctl, still helps.
            do { try setOption(descriptor, plain, socketBufferSize) } catch {
                // Cannot fail for a valid socket and size; the default buffer still works.
            }
        }
    }

    /// Reads and drops what is queued (at most `Limits.receiveBatchMax` datagrams): before
    /// `connect`, datagrams from any source could arrive. The CRC and epoch are the real
    /// filter; this keeps strangers out of the counters.
    private static func drainStrays(_ descriptor: CInt) {
        var byte: UInt8 = 0
        for _ in 0..<Limits.receiveBatchMax {
            guard recv(descriptor, &byte, 1, CInt(MSG_DONTWAIT)) >= 0 else { return }
        }
    }
}
