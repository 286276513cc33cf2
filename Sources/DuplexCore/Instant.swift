/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The core never reads a clock: time enters `handle(_:now:)` as an argument. On Linux the
/// adapter builds it from `CLOCK_MONOTONIC`; the simulator builds it from its own clock.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: UInt64

    @inlinable
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = Instant(nanoseconds: 0)

    @inlinable
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The later instant plus a duration; saturates instead of trapping.
    @inlinable
    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)
        return Instant(nanoseconds: overflow ? UInt64.max : sum)
    }

    /// The time from `earlier` to `self`; zero when `earlier` is not earlier (a clock that
    /// stepped back never produces a negative duration).
    @inlinable
    public func since(_ earlier: Instant) -> Duration {
        nanoseconds >= earlier.nanoseconds
            ? Duration(nanoseconds: nanoseconds - earlier.nanoseconds) : .zero
    }

    public var description: String { "\(nanoseconds)ns" }
}

/// A non-negative span of time in nanoseconds. The core's own type, so that time is always
/// typed and never a bare integer of milliseconds.
public struct Duration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: UInt64

    @inlinable
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = Duration(nanoseconds: 0)

    @inlinable public static func nanoseconds(_ n: UInt64) -> Duration { Duration(nanoseconds: n) }
    @inlinable public static func microseconds(_ n: UInt64) -> Duration { Duration(nanoseconds: n &* 1_000) }
    @inlinable public static func milliseconds(_ n: UInt64) -> Duration { Duration(nanoseconds: n &* 1_000_000) }
    @inlinable public static func seconds(_ n: UInt64) -> Duration { Duration(nanoseconds: n &* 1_000_000_000) }

    @inlinable
    public static func < (lhs: Duration, rhs: Duration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    @inlinable
    public static func + (lhs: Duration, rhs: Duration) -> Duration {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)
        return Duration(nanoseconds: overflow ? UInt64.max : sum)
    }

    /// Saturating subtraction: never below zero.
    @inlinable
    public static func - (lhs: Duration, rhs: Duration) -> Duration {
        Duration(nanoseconds: lhs.nanoseconds >= rhs.nanoseconds ? lhs.nanoseconds - rhs.nanoseconds : 0)
    }

    @inlinable
    public static func * (lhs: Duration, rhs: UInt64) -> Duration {
        let (product, overflow) = lhs.nanoseconds.multipliedReportingOverflow(by: rhs)
        return Duration(nanoseconds: overflow ? UInt64.max : product)
    }

    @inlinable
    public static func / (lhs: Duration, rhs: UInt64) -> Duration {
        precondition(rhs > 0, "division of a duration by zero")
        return Duration(nanoseconds: lhs.nanoseconds / rhs)
    }

    public var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
    public var microseconds: Double { Double(nanoseconds) / 1_000 }

    /// Human form used by the configuration and the CLI: `250us`, `4ms`, `1.5s`.
    public var description: String {
        if nanoseconds == 0 { return "0ms" }
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(nanoseconds)ns"
    }

    /// Parses `500us`, `4ms`, `2s`, `1500ns`, `1.5s`. Returns nil for anything else.
    public init?(parsing text: some StringProtocol) {
        let units: [(String, UInt64)] = [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s", number.hasSuffix("m") || number.hasSuffix("u") || number.hasSuffix("n") { continue }
            guard !number.isEmpty else { return nil }
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, let whole = UInt64(parts[0]) else { return nil }
            var total = whole.multipliedReportingOverflow(by: scale)
            guard !total.overflow else { return nil }
            if parts.count == 2 {
                let fraction = parts[1]
                guard !fraction.isEmpty, fraction.count <= 9, let digits = UInt64(fraction) else { return nil }
                var divisor: UInt64 = 1
                for _ in 0..<fraction.count { divisor *= 10 }
                let extra = digits.multipliedReportingOverflow(by: scale)
                guard !extra.overflow else { return nil }
                total = total.partialValue.addingReportingOverflow(extra.partialValue / divisor)
                guard !total.overflow else { return nil }
            }
            self.init(nanoseconds: total.partialValue)
            return
        }
        return nil
    }
}
