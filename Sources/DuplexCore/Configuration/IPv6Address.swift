/// An IPv6 address (RFC 4291), held as two 64-bit halves in host byte order.
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 64 bits (the routing prefix and subnet for a /64).
    public var high: UInt64
    /// The last 64 bits (the interface identifier for a /64).
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Builds an address from its eight 16-bit groups.
    /// - Important: Traps unless `groups` has exactly eight elements.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<4 {
            high = high << 16 | UInt64(groups[index])
            low = low << 16 | UInt64(groups[index + 4])
        }
        self.init(high: high, low: low)
    }

    /// Parses RFC 4291 §2.2 text: eight hex groups, one `::` for a run of zero groups, and an
    /// optional dotted IPv4 tail (`::ffff:192.0.2.1`). Zone indices (`%eth0`) are refused.
    public init?(parsing text: some StringProtocol) {
        guard let groups = IPv6Address.groups(parsing: String(text)) else { return nil }
        self.init(groups: groups)
    }

    private static func groups(parsing text: String) -> [UInt16]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        let compressed = halves.count == 2
        guard let head = groupList(halves[0], isLast: !compressed) else { return nil }
        let tail = compressed ? groupList(halves[1], isLast: true) : []
        guard let tail else { return nil }
        if compressed {
            guard head.count + tail.count <= 7 else { return nil }
            return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        return head.count == 8 ? head : nil
    }

    /// The groups of one side of `::`; the last side may end in a dotted IPv4 address.
    private static func groupList(_ text: Substring, isLast: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 8 else { return nil }
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if isLast, index == parts.count - 1, part.contains(".") {
                guard let v4 = IPv4Address(parsing: part) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: v4.value >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4.value))
            } else {
                guard (1...4).contains(part.utf8.count), let group = UInt16(part, radix: 16),
                      part.utf8.allSatisfy({ isHexDigit($0) }) else { return nil }
                groups.append(group)
            }
        }
        return groups
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
        }
    }

    /// The sixteen bytes in network order.
    public var octets: [UInt8] {
        groups.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }

    /// `::`.
    public var isUnspecified: Bool { high == 0 && low == 0 }
    /// `ff00::/8`.
    public var isMulticast: Bool { high >> 56 == 0xFF }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The RFC 5952 canonical text: lowercase, no leading zeros, the longest run of two or more
    /// zero groups (the first of equals) written as `::`.
    public var description: String {
        let groups = self.groups
        let run = Self.longestZeroRun(groups)
        func text(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard let run else { return text(groups[...]) }
        return text(groups[..<run.lowerBound]) + "::" + text(groups[run.upperBound...])
    }

    private static func longestZeroRun(_ groups: [UInt16]) -> Range<Int>? {
        var best: Range<Int>? = nil
        var start: Int? = nil
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start == nil { start = index }
                continue
            }
            if let first = start, index - first >= 2, index - first > (best?.count ?? 0) {
                best = first..<index
            }
            start = nil
        }
        return best
    }
}
