import DuplexCore
import SystemPackage
import Glibc

extension UDPLink {
    /// Calls `body` with a `sockaddr_in`/`sockaddr_in6` for `endpoint`, built on the stack.
    /// - Parameter scope: the interface index for a link-local IPv6 address (else ignored).
    static func withSocketAddress<Result>(
        _ endpoint: IPEndpoint, scope: UInt32, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Result
    ) throws(Errno) -> Result {
        switch endpoint.address {
        case .v4(let address):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = endpoint.port.bigEndian
            socketAddress.sin_addr.s_addr = address.networkOrderValue
            return try withUnsafePointer(to: &socketAddress) { (pointer) throws(Errno) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Errno) -> Result in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let address):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = endpoint.port.bigEndian
            socketAddress.sin6_scope_id = address.isLinkLocal ? scope : 0
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { address.write(to: $0, at: 0) }
            return try withUnsafePointer(to: &socketAddress) { (pointer) throws(Errno) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Errno) -> Result in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The address and port of a received `sockaddr_storage`; nil for other families.
    /// Allocation-free.
    static func endpoint(of storage: sockaddr_storage) -> IPEndpoint? {
        var storage = storage
        return withUnsafeBytes(of: &storage) { raw -> IPEndpoint? in
            switch CInt(raw.load(fromByteOffset: 0, as: sa_family_t.self)) {
            case AF_INET:
                let address = MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!
                let port = MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!
                return IPEndpoint(
                    address: .v4(IPv4Address(bytes: raw, offset: address)),
                    port: UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: port, as: UInt16.self)))
            case AF_INET6:
                let address = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                let port = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!
                return IPEndpoint(
                    address: .v6(IPv6Address(bytes: raw, offset: address)),
                    port: UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: port, as: UInt16.self)))
            default:
                return nil
            }
        }
    }
}
