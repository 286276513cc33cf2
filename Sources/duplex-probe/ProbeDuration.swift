/// Parses durations such as `1ms`, `500us`, `1.5ms`, `2s` and `250ns` into nanoseconds.
enum ProbeDuration {
    /// - Returns: the duration in nanoseconds.
    /// - Throws: `ProbeError.usage` for a malformed text, an unknown unit or an overflow.
    static func parse(_ text: String, option: String) throws(ProbeError) -> UInt64 {
        let units: [(suffix: String, nanoseconds: UInt64)] = [
            ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }) else {
            throw .usage("\(option): '\(text)' needs a unit (ns, us, ms or s)")
        }
        let number = text.dropLast(unit.suffix.count)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2,
            let whole = UInt64(parts[0].isEmpty ? "0" : parts[0])
        else {
            throw .usage("\(option): '\(text)' is not a duration")
        }
        var total = whole.multipliedReportingOverflow(by: unit.nanoseconds)
        guard !total.overflow else { throw .usage("\(option): '\(text)' is too large") }
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, let fraction = UInt64(digits) else {
                throw .usage("\(option): '\(text)' is not a duration")
            }
            var scale: UInt64 = 1
            for _ in 0..<digits.count { scale *= 10 }
            total = total.partialValue.addingReportingOverflow(fraction * unit.nanoseconds / scale)
            guard !total.overflow else { throw .usage("\(option): '\(text)' is too large") }
        }
        return total.partialValue
    }

    /// Formats nanoseconds as milliseconds with three decimals (microsecond resolution).
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1_000
        let fraction = String(micros % 1_000)
        let padding = String(repeating: "0", count: 3 - fraction.count)
        return "\(micros / 1_000).\(padding)\(fraction)"
    }
}
