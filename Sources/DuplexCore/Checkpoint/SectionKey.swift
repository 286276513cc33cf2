/// The key of a section in a checkpoint: up to `Limits.sectionKeySizeMax` bytes, compared
/// byte by byte (so iteration in key order is the same on every board and every run).
public struct SectionKey: Sendable, Hashable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// Keys of up to `inlineMax` bytes (most keys: a call id, a session, a counter's name)
    /// live in the key itself, zero-padded in two words: no allocation, and a table that
    /// compares keys reads no other memory (a bulk resync looks up 100,000 of them). Longer
    /// keys keep their bytes in an array. A key has one form for its bytes, so equal keys
    /// have the same form.
    private enum Storage: Sendable {
        case inline(UInt64, UInt64, count: UInt8)
        case array([UInt8])
    }

    private var storage: Storage

    /// The longest key kept inline.
    static let inlineMax = 16

    public init(_ bytes: [UInt8]) {
        if bytes.count <= Self.inlineMax {
            storage = bytes.withUnsafeBytes { Self.packed($0) }
        } else {
            storage = .array(bytes)
        }
    }

    /// A key of the bytes in `raw` (copied).
    public init(_ raw: UnsafeRawBufferPointer) {
        storage = raw.count <= Self.inlineMax ? Self.packed(raw) : .array([UInt8](raw))
    }

    private static func packed(_ raw: UnsafeRawBufferPointer) -> Storage {
        precondition(raw.count <= inlineMax, "an inline key")
        var words: (UInt64, UInt64) = (0, 0)
        if let source = raw.baseAddress, raw.count > 0 {
            // One small copy in memory order (the words are read back the same way).
            withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: source, byteCount: raw.count) }
        }
        return .inline(words.0, words.1, count: UInt8(truncatingIfNeeded: raw.count))
    }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) {
        self.init(Array(string.utf8))
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The key's bytes (a new array for an inline key: `withUnsafeBytes` and `count` read
    /// them in place).
    public var bytes: [UInt8] {
        get {
            switch storage {
            case .array(let bytes): bytes
            case .inline: withUnsafeBytes { [UInt8]($0) }
            }
        }
        set { self = SectionKey(newValue) }
    }

    /// The two words of a key kept inline (its bytes in memory order, zero-padded), nil for a
    /// longer key: plain data that a snapshot's order can carry without reference counting.
    var inlineWords: (UInt64, UInt64)? {
        if case .inline(let first, let second, _) = storage { return (first, second) }
        return nil
    }

    /// The number of bytes.
    public var count: Int {
        switch storage {
        case .array(let bytes): bytes.count
        case .inline(_, _, let count): Int(count)
        }
    }

    /// Calls `body` with the key's bytes, in place.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case .array(let bytes):
            return try bytes.withUnsafeBytes(body)
        case .inline(let first, let second, let count):
            let words = (first, second)
            return try Swift.withUnsafeBytes(of: words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
        }
    }

    public static func == (lhs: SectionKey, rhs: SectionKey) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.inline(let a0, let a1, let a), .inline(let b0, let b1, let b)): a0 == b0 && a1 == b1 && a == b
        case (.array(let a), .array(let b)): a == b
        default: false  // one form per length
        }
    }

    /// Byte order, eight bytes at a time (a snapshot for an older mate sorts every key).
    public static func < (lhs: SectionKey, rhs: SectionKey) -> Bool {
        if case .inline(let a0, let a1, let a) = lhs.storage, case .inline(let b0, let b1, let b) = rhs.storage {
            // Big-endian words compare as their bytes do; the zero padding ties with zero
            // bytes, which the lengths then order (a prefix first).
            if a0 != b0 { return a0.bigEndian < b0.bigEndian }
            if a1 != b1 { return a1.bigEndian < b1.bigEndian }
            return a < b
        }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                let common = min(left.count, right.count)
                var index = 0
                while index + 8 <= common {
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

    /// The words of an inline key, the bytes of another, in one call each.
    public func hash(into hasher: inout Hasher) {
        switch storage {
        case .inline(let first, let second, let count):
            hasher.combine(first)
            hasher.combine(second)
            hasher.combine(count)
        case .array(let bytes):
            hasher.combine(bytes.count)
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
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
