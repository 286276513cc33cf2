public import DuplexCore
public import SystemPackage
import CDuplexShims

/// A network interface of the calling thread's network namespace: name, index and MAC.
public struct NetworkInterface: Sendable, Hashable {
    /// The kernel's longest interface name (`IFNAMSIZ - 1`).
    public static let nameLengthMax = 15

    public let name: String
    public let index: CInt
    /// The hardware address (all zero on interfaces without one, such as `lo`).
    public let mac: EthernetAddress

    /// Looks the interface up by name.
    ///
    /// The corresponding C calls are `ioctl(SIOCGIFINDEX)` and `ioctl(SIOCGIFHWADDR)`.
    /// - Throws: `ENODEV` (`Errno.operationNotSupportedByDevice`) when there is no such interface,
    ///   `Errno.fileNameTooLong` when the name is longer than 15 bytes.
    public init(named name: String) throws(Errno) {
        guard name.utf8.count <= Self.nameLengthMax, !name.isEmpty else { throw .fileNameTooLong }
        self.name = name
        index = try Syscall.retrying { CDuplexShims_interface_index(name) }
        var octets: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        _ = try withUnsafeMutableBytes(of: &octets) { (raw) throws(Errno) -> CInt in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return try Syscall.retrying { CDuplexShims_interface_mac(name, base) }
        }
        mac = withUnsafeBytes(of: &octets) { EthernetAddress(bytes: $0) }
    }
}
