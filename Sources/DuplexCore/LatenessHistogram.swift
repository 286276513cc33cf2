/// How late the pair thread's timer ticks run, in fixed power-of-two buckets: recording never
/// allocates, so the heartbeat thread can keep one. Bucket `i` counts lateness below
/// `16 us << i`; the last bucket counts everything longer.
public struct LatenessHistogram: Sendable {
    public static let bucketCount = 12
    /// Upper bound of bucket `index` (exclusive), in nanoseconds; nil for the last bucket.
    public static func bound(of index: Int) -> Duration? {
        precondition(index >= 0 && index < bucketCount, "bucket index out of range")
        return index == bucketCount - 1 ? nil : .microseconds(16 << UInt64(index))
    }

    private var buckets: InlineArray<12, UInt64> = .init(repeating: 0)
    public private(set) var count: UInt64 = 0
    public private(set) var max: Duration = .zero
    /// Ticks later than `missThreshold` (a heartbeat an interval or more behind).
    public private(set) var misses: UInt64 = 0
    public let missThreshold: Duration

    public init(missThreshold: Duration) {
        precondition(missThreshold > .zero, "a miss threshold above zero")
        self.missThreshold = missThreshold
    }

    public mutating func record(_ lateness: Duration) {
        var index = 0
        while index < Self.bucketCount - 1, lateness.nanoseconds >= (16_000 as UInt64) << UInt64(index) {
            index += 1
        }
        buckets[index] &+= 1
        count &+= 1
        if lateness > max { max = lateness }
        if lateness >= missThreshold { misses &+= 1 }
        assert(index < Self.bucketCount)
    }

    public func bucket(_ index: Int) -> UInt64 {
        precondition(index >= 0 && index < Self.bucketCount, "bucket index out of range")
        return buckets[index]
    }

    /// An upper bound of the given quantile (0...1): the bound of the bucket that holds it, or
    /// `max` for the last bucket. Zero when nothing was recorded.
    public func quantile(_ fraction: Double) -> Duration {
        precondition(fraction >= 0 && fraction <= 1, "a quantile is within 0...1")
        guard count > 0 else { return .zero }
        let rank = UInt64((Double(count) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for index in 0..<Self.bucketCount {
            seen += buckets[index]
            if seen >= Swift.max(rank, 1) { return Swift.min(Self.bound(of: index) ?? max, max) }
        }
        return max
    }

    public mutating func reset() {
        self = LatenessHistogram(missThreshold: missThreshold)
    }
}
