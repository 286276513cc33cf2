/// A key that authenticates pair frames (`[cluster] key-file`): HMAC-SHA-256 over the frame,
/// the first 16 bytes of the code appended as its tag.
public struct PairFrameKey: Sendable, Hashable {
    /// Key lengths accepted, in bytes.
    public static let sizeRange = 16...64

    let mac: HMACSHA256

    /// A key of `bytes` (`sizeRange`).
    public init?(bytes: [UInt8]) {
        guard Self.sizeRange.contains(bytes.count) else { return nil }
        mac = HMACSHA256(key: bytes)
    }

    /// Why a key file's text is not a key.
    public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A character that is neither a hex digit, white space nor part of a comment.
        case notHex(line: Int)
        /// An odd number of hex digits.
        case oddDigits
        /// Fewer or more bytes than `sizeRange`.
        case badSize(Int)

        public var description: String {
            switch self {
            case .notHex(let line): "line \(line) of the key is not hex digits"
            case .oddDigits: "the key has an odd number of hex digits"
            case .badSize(let count): "the key has \(count) bytes; it needs \(PairFrameKey.sizeRange.lowerBound) to \(PairFrameKey.sizeRange.upperBound)"
            }
        }
    }

    /// Parses a key file's text: hex digits (32 to 128 of them), white space anywhere, and `#`
    /// comments to the end of a line. Example: `openssl rand -hex 32 > pair.key`.
    public init(hex text: String) throws(ParseError) {
        var bytes: [UInt8] = []
        var high: UInt8?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for character in line.utf8 {
                if character == UInt8(ascii: "#") { break }
                if character == UInt8(ascii: " ") || character == UInt8(ascii: "\t") || character == UInt8(ascii: "\r") { continue }
                guard let value = Self.hexValue(character) else { throw .notHex(line: index + 1) }
                if let first = high {
                    bytes.append(first << 4 | value)
                    high = nil
                } else {
                    high = value
                }
                guard bytes.count <= Self.sizeRange.upperBound else { throw .badSize(bytes.count) }
            }
        }
        guard high == nil else { throw .oddDigits }
        guard let key = PairFrameKey(bytes: bytes) else { throw .badSize(bytes.count) }
        self = key
    }

    static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Writes the tag of `frame` (the frame's bytes before the tag) into `tag`.
    func tag(_ frame: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer) {
        precondition(tag.count >= PairFrame.tagSize, "room for a tag")
        withUnsafeTemporaryAllocation(byteCount: SHA256.digestSize, alignment: 8) { code in
            mac.authenticate(frame, into: code)
            tag.copyMemory(from: UnsafeRawBufferPointer(rebasing: code[0..<PairFrame.tagSize]))
        }
    }

    /// Whether `tag` is the tag of `frame`; compares every byte whatever the first difference.
    func verifies(_ frame: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) -> Bool {
        guard tag.count == PairFrame.tagSize else { return false }
        return withUnsafeTemporaryAllocation(byteCount: PairFrame.tagSize, alignment: 8) { expected in
            self.tag(frame, into: expected)
            var difference: UInt8 = 0
            for index in 0..<PairFrame.tagSize { difference |= expected[index] ^ tag[index] }
            return difference == 0
        }
    }
}

/// How a board authenticates its pair frames: every frame it sends carries the tag of `key`;
/// it accepts only frames whose tag is that of `key` or of `previousKey` (a key being replaced:
/// configure the new key with the old one as previous on the standby first, then on the
/// active after a switchover).
public struct PairAuthentication: Sendable, Hashable {
    public var key: PairFrameKey
    public var previousKey: PairFrameKey?

    public init(key: PairFrameKey, previousKey: PairFrameKey? = nil) {
        self.key = key
        self.previousKey = previousKey
    }

    /// Whether `tag` authenticates `frame` with either key.
    func verifies(_ frame: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) -> Bool {
        // Both checked when both are configured: the time taken does not tell which key matched.
        let current = key.verifies(frame, tag: tag)
        let previous = previousKey?.verifies(frame, tag: tag) ?? false
        return current || previous
    }
}
