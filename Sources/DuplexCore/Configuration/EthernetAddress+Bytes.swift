/// Allocation-free access to the six octets, for code that builds and parses frames in raw
/// buffers (the `octets` array is for configuration and tests, not for a hot path).
extension EthernetAddress {
    /// The length of an IEEE 802 MAC address in bytes.
    @inlinable
    public static var byteCount: Int { 6 }

    /// Reads six octets, first octet most significant, from `bytes` at `offset`.
    /// - Important: Traps unless `bytes[offset..<offset + 6]` is in bounds.
    @inlinable
    public init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        precondition(offset >= 0 && offset <= bytes.count - Self.byteCount, "MAC address out of bounds")
        var value: UInt64 = 0
        for index in offset..<(offset + Self.byteCount) { value = value << 8 | UInt64(bytes[index]) }
        self.init(value: value)
    }

    /// Writes the six octets, first octet first, into `buffer` at `offset`.
    /// - Important: Traps unless `buffer[offset..<offset + 6]` is in bounds.
    @inlinable
    public func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset <= buffer.count - Self.byteCount, "MAC address out of bounds")
        for index in 0..<Self.byteCount {
            buffer[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * index))
        }
    }

    /// Calls `body` with the six octets in network order, held on the stack.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let word = value.bigEndian  // octets in bytes 2..<8 of the word
        return try Swift.withUnsafeBytes(of: word) { (raw) throws(Failure) -> Result in
            try body(UnsafeRawBufferPointer(rebasing: raw[2..<8]))
        }
    }
}
