/// Allocation-free access to the four bytes, for code that builds and parses packets and
/// socket addresses in raw buffers (the `octets` array is not for a hot path).
extension IPv4Address {
    /// The length of an IPv4 address in bytes.
    @inlinable
    public static var byteCount: Int { 4 }

    /// Reads four bytes in network order from `bytes` at `offset`.
    /// - Important: Traps unless `bytes[offset..<offset + 4]` is in bounds.
    @inlinable
    public init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        precondition(offset >= 0 && offset <= bytes.count - Self.byteCount, "IPv4 address out of bounds")
        self.init(value: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// Writes the four bytes in network order into `buffer` at `offset`.
    /// - Important: Traps unless `buffer[offset..<offset + 4]` is in bounds.
    @inlinable
    public func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset <= buffer.count - Self.byteCount, "IPv4 address out of bounds")
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// The address as `struct in_addr` holds it: `value` in network byte order.
    @inlinable
    public var networkOrderValue: UInt32 { value.bigEndian }
}
