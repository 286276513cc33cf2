/// The key of a section in a checkpoint: up to `Limits.sectionKeySizeMax` bytes, compared
/// byte by byte (so iteration in key order is the same on every board and every run).
public struct SectionKey: Sendable, Hashable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// Byte order, eight bytes at a time (a snapshot sorts every key of a checkpoint).
    public static func < (lhs: SectionKey, rhs: SectionKey) -> Bool {
        lhs.bytes.withUnsafeBytes { left in
            rhs.bytes.withUnsafeBytes { right in
                let common = min(left.count, right.count)
                var index = 0
                while index + 8 <= common {
                    // Big-endian words compare as their bytes do.
                    let a = left.loadUnaligned(fromByteOffset: index, as: UInt64.self).bigEndian
                    let b = right.loadUnaligned(fromByteOffset: index, as: UInt64.self).bigEndian
                    if a != b { return a < b }
                    index += 8
                }
                while index < common {
                    if left[index] != right[index] { return left[index] < right[index] }
                    index += 1
                }
                return left.count < right.count
            }
        }
    }

    /// The bytes in one call (the synthesised hash feeds the hasher one byte at a time).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// The key as text when it is printable UTF-8, otherwise as hexadecimal (`0x00ff`).
    public var description: String {
        if let text = String(validating: bytes, as: UTF8.self),
            text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        {
            return text
        }
        let digits: [Character] = Array("0123456789abcdef")
        var hex = "0x"
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return hex
    }
}
