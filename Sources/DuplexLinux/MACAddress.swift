/// A 48-bit Ethernet address, stored in the low 48 bits of a `UInt64` (first octet most
/// significant) so that it is a plain value: no allocation, trivially `Sendable`.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    /// The six octets, first octet in bits 40..<48.
    public let rawValue: UInt64

    /// - Important: traps when `rawValue` has bits above the low 48.
    public init(rawValue: UInt64) {
        precondition(rawValue >> 48 == 0, "a MAC address has 48 bits")
        self.rawValue = rawValue
    }

    /// Builds an address from six octets, first octet first.
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        rawValue = UInt64(b0) << 40 | UInt64(b1) << 32 | UInt64(b2) << 24
            | UInt64(b3) << 16 | UInt64(b4) << 8 | UInt64(b5)
    }

    /// Reads six octets from `bytes` at `offset`.
    /// - Important: traps when fewer than six bytes are available.
    public init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        precondition(offset >= 0 && offset + 6 <= bytes.count, "MAC address out of bounds")
        var value: UInt64 = 0
        for index in offset..<(offset + 6) { value = value << 8 | UInt64(bytes[index]) }
        self.rawValue = value
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-`); nil for anything else.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "-" }
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.rawValue = value
    }

    /// `ff:ff:ff:ff:ff:ff`.
    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)

    /// `00:00:00:00:00:00`.
    public static let zero = MACAddress(rawValue: 0)

    /// The `index`-th octet, 0 first.
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < 6, "MAC octet index")
        return UInt8(truncatingIfNeeded: rawValue >> UInt64(8 * (5 - index)))
    }

    /// Writes the six octets into `buffer` at `offset`.
    /// - Important: traps when fewer than six bytes are available.
    public func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + 6 <= buffer.count, "MAC address out of bounds")
        for index in 0..<6 { buffer[offset + index] = self[index] }
    }

    /// Whether the group bit (I/G) is set: broadcast and multicast.
    public var isMulticast: Bool { self[0] & 1 == 1 }

    public var description: String {
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        for index in 0..<6 {
            if index > 0 { text.append(":") }
            text.append(digits[Int(self[index] >> 4)])
            text.append(digits[Int(self[index] & 0xF)])
        }
        return text
    }
}
