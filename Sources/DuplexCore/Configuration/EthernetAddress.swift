/// An IEEE 802 48-bit MAC address, held in the low 48 bits of a `UInt64`.
public struct EthernetAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as a number: `ff:ff:ff:ff:ff:ff` is `0xFFFF_FFFF_FFFF`.
    public let value: UInt64

    /// - Important: Traps if `value` has bits above the 48th.
    public init(value: UInt64) {
        precondition(value >> 48 == 0, "a MAC address has 48 bits")
        self.value = value
    }

    /// - Important: Traps unless `octets` has exactly six elements.
    public init(octets: [UInt8]) {
        precondition(octets.count == 6, "a MAC address has six octets")
        self.init(value: octets.reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Parses six colon-separated pairs of hex digits (`02:00:5e:10:00:01`, either case).
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.utf8.count == 2, part.utf8.allSatisfy(Self.isHexDigit), let octet = UInt8(part, radix: 16) else {
                return nil
            }
            value = value << 8 | UInt64(octet)
        }
        self.init(value: value)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// `ff:ff:ff:ff:ff:ff`.
    public static let broadcast = EthernetAddress(value: 0xFFFF_FFFF_FFFF)

    /// The six bytes in network order.
    public var octets: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * $0)) }
    }

    /// The I/G bit of the first octet (IEEE 802 §8.2): group (multicast or broadcast) addresses.
    public var isGroup: Bool { value >> 40 & 1 == 1 }

    public var description: String {
        octets.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}
