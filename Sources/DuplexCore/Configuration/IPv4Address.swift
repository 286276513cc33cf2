/// An IPv4 address (RFC 791), held in host byte order.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address as a number: `198.51.100.10` is `0xC633_640A`.
    public var value: UInt32

    public init(value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-decimal text (`198.51.100.10`). Leading zeros are refused (`010` would be
    /// octal to `inet_aton`), as are fewer than four parts. Returns nil for anything else.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard let octet = Self.octet(part) else { return nil }
            result = result << 8 | UInt32(octet)
        }
        value = result
    }

    private static func octet(_ part: some StringProtocol) -> UInt8? {
        guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        guard part.utf8.count == 1 || part.utf8.first != 0x30 else { return nil }
        return UInt8(part)
    }

    /// The four bytes in network order.
    public var octets: [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// `0.0.0.0`.
    public var isUnspecified: Bool { value == 0 }
    /// `224.0.0.0/4` (RFC 5771).
    public var isMulticast: Bool { value >> 28 == 0xE }
    /// `255.255.255.255`.
    public var isBroadcast: Bool { value == UInt32.max }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    public var description: String {
        octets.map { String($0) }.joined(separator: ".")
    }
}
