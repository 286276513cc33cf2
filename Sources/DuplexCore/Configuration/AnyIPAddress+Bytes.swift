/// The address family and allocation-free byte access, for code that builds and parses
/// packets and socket addresses in raw buffers (the `octets` array is not for a hot path).
extension AnyIPAddress {
    /// Which IP version an address belongs to.
    public enum Family: Sendable, Hashable {
        case v4
        case v6

        /// The address length in bytes: 4 or 16.
        @inlinable
        public var byteCount: Int { self == .v4 ? IPv4Address.byteCount : IPv6Address.byteCount }
    }

    @inlinable
    public var family: Family {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    /// The address length in bytes: 4 or 16.
    @inlinable
    public var byteCount: Int { family.byteCount }

    /// Reads an address of `family` (4 or 16 bytes in network order) from `bytes` at `offset`.
    /// - Important: Traps unless the address bytes are in bounds.
    @inlinable
    public init(family: Family, bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        switch family {
        case .v4: self = .v4(IPv4Address(bytes: bytes, offset: offset))
        case .v6: self = .v6(IPv6Address(bytes: bytes, offset: offset))
        }
    }

    /// Writes the 4 or 16 bytes in network order into `buffer` at `offset`.
    /// - Important: Traps unless the address bytes fit.
    @inlinable
    public func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        switch self {
        case .v4(let address): address.write(to: buffer, at: offset)
        case .v6(let address): address.write(to: buffer, at: offset)
        }
    }

    /// Calls `body` with the 4 or 16 bytes in network order, held on the stack.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        switch self {
        case .v4(let address):
            try Swift.withUnsafeBytes(of: address.networkOrderValue) { (raw) throws(Failure) -> Result in try body(raw) }
        case .v6(let address):
            try address.withUnsafeBytes(body)
        }
    }

    /// An IPv6 link-local address (`fe80::/10`), which needs an interface scope; never IPv4.
    @inlinable
    public var isLinkLocal: Bool {
        if case .v6(let address) = self { return address.isLinkLocal }
        return false
    }
}
