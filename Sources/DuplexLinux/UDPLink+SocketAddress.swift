import SystemPackage
import Glibc

extension UDPLink {
    /// Calls `body` with a `sockaddr_in`/`sockaddr_in6` for `endpoint`, built on the stack.
    static func withSocketAddress<Result>(
        _ endpoint: Endpoint, scope: UInt32, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Result
    ) throws(Errno) -> Result {
        switch endpoint.address.family {
        case .v4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = endpoint.port.bigEndian
            endpoint.address.withUnsafeBytes { bytes in
                withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyMemory(from: bytes) }
            }
            return try withUnsafePointer(to: &address) { (pointer) throws(Errno) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Errno) -> Result in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = endpoint.port.bigEndian
            address.sin6_scope_id = endpoint.address.isLinkLocal ? scope : 0
            endpoint.address.withUnsafeBytes { bytes in
                withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyMemory(from: bytes) }
            }
            return try withUnsafePointer(to: &address) { (pointer) throws(Errno) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Errno) -> Result in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The IP address of a received `sockaddr_storage`; nil for other families.
    static func address(of storage: sockaddr_storage) -> IPAddress? {
        var storage = storage
        switch CInt(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { raw in
                let offset = MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!
                return IPAddress(family: .v4, bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4)]))
            }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { raw in
                let offset = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                return IPAddress(family: .v6, bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 16)]))
            }
        default:
            return nil
        }
    }
}
