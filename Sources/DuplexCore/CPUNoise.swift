/// What one CPU's noise probe saw: a thread pinned to the CPU reads the monotonic clock in a
/// loop, and every gap between two reads of `threshold` or more is time the CPU was taken from
/// it (an interrupt, the scheduler's tick, the hypervisor, another task). `duplexctl noise`
/// runs one per CPU: on a board they show how often a thread of the pair or of a synchronous
/// checkpoint write is held up, and for how long.
///
/// Recording never allocates: gap lengths are counted in 1 µs buckets up to
/// `bucketCount - 1` µs (the median's resolution), longer ones in the last bucket.
public struct CPUNoiseReport: Sendable {
    public static let bucketCount = 256

    public let cpu: Int
    /// Whether the probe's thread was bound to `cpu` (else it ran wherever it was put).
    public let pinned: Bool
    /// Gaps shorter than this are the loop's own pace, not counted.
    public let threshold: Duration
    /// How long the probe ran (set by `finish(after:)`).
    public private(set) var duration: Duration = .zero
    public private(set) var gaps: UInt64 = 0
    /// The gaps' total.
    public private(set) var lost: Duration = .zero
    public private(set) var longest: Duration = .zero
    private var buckets: InlineArray<256, UInt64> = .init(repeating: 0)

    public init(cpu: Int, pinned: Bool, threshold: Duration) {
        precondition(threshold > .zero, "a threshold above zero")
        self.cpu = cpu
        self.pinned = pinned
        self.threshold = threshold
    }

    /// Counts one interval between two clock reads (ignored under the threshold).
    public mutating func record(_ gap: Duration) {
        guard gap >= threshold else { return }
        gaps &+= 1
        lost = lost + gap
        if gap > longest { longest = gap }
        let microseconds = gap.nanoseconds / 1_000
        buckets[Int(min(microseconds, UInt64(Self.bucketCount - 1)))] &+= 1
    }

    /// Sets how long the probe ran.
    public mutating func finish(after duration: Duration) {
        self.duration = duration
    }

    /// Gaps per second of the probe's run (0 before `finish`).
    public var gapsPerSecond: Double {
        duration > .zero ? Double(gaps) / (Double(duration.nanoseconds) / 1e9) : 0
    }

    /// The share of the run the gaps took, 0...1 (0 before `finish`).
    public var lostShare: Double {
        duration > .zero ? min(1, Double(lost.nanoseconds) / Double(duration.nanoseconds)) : 0
    }

    /// The median gap to the microsecond (the upper end of its 1 µs bucket; a median in the
    /// last bucket is `bucketCount - 1` µs or more and reported as the longest gap); nil
    /// without gaps.
    public var medianGap: Duration? {
        guard gaps > 0 else { return nil }
        let half = (gaps + 1) / 2
        var seen: UInt64 = 0
        for index in 0..<Self.bucketCount {
            seen &+= buckets[index]
            if seen >= half {
                return index == Self.bucketCount - 1 ? longest : min(.microseconds(UInt64(index) + 1), longest)
            }
        }
        return longest  // unreachable: the buckets hold every gap
    }

    /// The median of `values`; nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
