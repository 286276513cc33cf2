public import DuplexCore

/// The simulation's only source of randomness: SplitMix64 (Steele, Lea and Flood, "Fast
/// splittable pseudorandom number generators", OOPSLA 2014), seeded explicitly so that a seed
/// replays exactly.
///
/// Sampling goes through the functions below, never through the standard library's
/// `random(in:)`, whose algorithm is not part of any stability promise.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for an independent stream (for example: one per purpose), derived from
    /// this one.
    public mutating func split() -> SplitMix64 {
        SplitMix64(seed: next() ^ 0xD1B5_4A32_D192_ED03)
    }

    /// A uniform integer in `range`, without modulo bias (Lemire's method with rejection).
    public mutating func uniform(_ range: ClosedRange<UInt64>) -> UInt64 {
        let span = range.upperBound &- range.lowerBound
        if span == .max { return next() }
        let bound = span + 1
        let threshold = (0 &- bound) % bound
        var product = next().multipliedFullWidth(by: bound)
        while product.low < threshold {
            product = next().multipliedFullWidth(by: bound)
        }
        return range.lowerBound + product.high
    }

    /// A uniform integer in `range`.
    /// - Important: traps when `range` is empty.
    public mutating func uniform(_ range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "empty range")
        let span = UInt64(range.upperBound - range.lowerBound - 1)
        return range.lowerBound + Int(uniform(0...span))
    }

    /// A uniform integer in `range`.
    public mutating func uniform(_ range: ClosedRange<Int>) -> Int {
        uniform(range.lowerBound..<(range.upperBound + 1))
    }

    /// A uniform duration in `range`.
    public mutating func uniform(_ range: ClosedRange<Duration>) -> Duration {
        Duration(nanoseconds: uniform(range.lowerBound.nanoseconds...range.upperBound.nanoseconds))
    }

    /// True with probability `perMille` / 1000.
    public mutating func chance(perMille: UInt64) -> Bool {
        guard perMille > 0 else { return false }
        guard perMille < 1000 else { return true }
        return uniform(0...999) < perMille
    }

    /// One element of a non-empty array, uniformly.
    /// - Important: traps when `elements` is empty.
    public mutating func pick<T>(_ elements: [T]) -> T {
        precondition(!elements.isEmpty, "pick from an empty array")
        return elements[uniform(0..<elements.count)]
    }

    /// The index of one weight, chosen with probability proportional to it.
    /// - Important: traps when every weight is zero.
    public mutating func weighted(_ weights: [UInt64]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "weights sum to zero")
        var roll = uniform(0...(total - 1))
        for (index, weight) in weights.enumerated() {
            if roll < weight { return index }
            roll -= weight
        }
        preconditionFailure("unreachable: roll below total")
    }
}
