/// Allocation-free access to the sixteen bytes, for code that builds and parses packets and
/// socket addresses in raw buffers (the `octets` and `groups` arrays are not for a hot path).
extension IPv6Address {
    /// The length of an IPv6 address in bytes.
    @inlinable
    public static var byteCount: Int { 16 }

    /// Reads sixteen bytes in network order from `bytes` at `offset`.
    /// - Important: Traps unless `bytes[offset..<offset + 16]` is in bounds.
    @inlinable
    public init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        precondition(offset >= 0 && offset <= bytes.count - Self.byteCount, "IPv6 address out of bounds")
        self.init(
            high: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }

    /// Writes the sixteen bytes in network order into `buffer` at `offset`.
    /// - Important: Traps unless `buffer[offset..<offset + 16]` is in bounds.
    @inlinable
    public func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset <= buffer.count - Self.byteCount, "IPv6 address out of bounds")
        buffer.storeBytes(of: high.bigEndian, toByteOffset: offset, as: UInt64.self)
        buffer.storeBytes(of: low.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
    }

    /// Calls `body` with the sixteen bytes in network order, held on the stack.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let words = (high.bigEndian, low.bigEndian)
        return try Swift.withUnsafeBytes(of: words) { (raw) throws(Failure) -> Result in try body(raw) }
    }

    /// `fe80::/10` (RFC 4291 §2.5.6): an address that needs an interface scope to be used.
    @inlinable
    public var isLinkLocal: Bool { high >> 54 == 0x3FA }
}
