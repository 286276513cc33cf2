import Glibc

/// An IPv4 or IPv6 address as a plain value (two `UInt64`s, network byte order when read as
/// big-endian), so it can be kept and compared on the pair thread without allocation.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        case v4
        case v6

        /// The address length in bytes: 4 or 16.
        public var byteCount: Int { self == .v4 ? 4 : 16 }
    }

    public let family: Family
    /// Bytes 0..<8 as a big-endian integer (an IPv4 address is in the top 32 bits).
    let high: UInt64
    /// Bytes 8..<16 as a big-endian integer (zero for IPv4).
    let low: UInt64

    /// Parses dotted-quad IPv4 or RFC 5952 IPv6 text (no prefix, no zone).
    ///
    /// The corresponding C function is `inet_pton`.
    public init?(_ text: String) {
        var bytes: (UInt64, UInt64) = (0, 0)
        let family: Family
        if withUnsafeMutableBytes(of: &bytes, { inet_pton(AF_INET, text, $0.baseAddress) }) == 1 {
            family = .v4
        } else if withUnsafeMutableBytes(of: &bytes, { inet_pton(AF_INET6, text, $0.baseAddress) }) == 1 {
            family = .v6
        } else {
            return nil
        }
        self.init(family: family, high: UInt64(bigEndian: bytes.0), low: UInt64(bigEndian: bytes.1))
    }

    /// Reads an address of `family` from the first 4 or 16 bytes of `bytes`.
    /// - Important: traps when `bytes` is too short.
    public init(family: Family, bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= family.byteCount, "address bytes too short")
        var raw: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &raw) { target in
            for index in 0..<family.byteCount { target[index] = bytes[index] }
        }
        self.init(family: family, high: UInt64(bigEndian: raw.0), low: UInt64(bigEndian: raw.1))
    }

    init(family: Family, high: UInt64, low: UInt64) {
        precondition(family == .v6 || (high & 0xFFFF_FFFF == 0 && low == 0), "IPv4 in the top 32 bits")
        self.family = family
        self.high = high
        self.low = low
    }

    /// Whether this is an IPv6 link-local address (fe80::/10), which needs a scope.
    public var isLinkLocal: Bool { family == .v6 && high >> 54 == 0x3FA }

    /// Calls `body` with the 4 or 16 address bytes in network order (on the stack).
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let raw = (high.bigEndian, low.bigEndian)
        return try Swift.withUnsafeBytes(of: raw) { all in
            try body(UnsafeRawBufferPointer(rebasing: all[0..<family.byteCount]))
        }
    }

    /// Writes the 4 or 16 address bytes into `buffer` at `offset`.
    /// - Important: traps when the buffer is too short.
    public func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + family.byteCount <= buffer.count, "address out of bounds")
        withUnsafeBytes { bytes in
            for index in 0..<bytes.count { buffer[offset + index] = bytes[index] }
        }
    }

    /// The text form, from `inet_ntop`.
    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let af = family == .v4 ? AF_INET : AF_INET6
        let ok = withUnsafeBytes { bytes in
            text.withUnsafeMutableBufferPointer { inet_ntop(af, bytes.baseAddress, $0.baseAddress, 64) != nil }
        }
        guard ok else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
