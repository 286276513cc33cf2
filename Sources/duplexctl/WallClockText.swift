import Glibc

/// Wall-clock times as UTC ISO 8601 text, without Foundation.
enum WallClockText {
    /// `2024-05-01T12:00:00.123Z` for nanoseconds since 1970-01-01 UTC.
    /// The corresponding C function is `gmtime_r`.
    static func iso8601(nanosecondsSinceEpoch ns: UInt64) -> String {
        var seconds = time_t(clamping: ns / 1_000_000_000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(ns)ns" }
        let milliseconds = ns % 1_000_000_000 / 1_000_000
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(milliseconds), 3))Z"
    }

    private static func pad(_ value: Int32, _ width: Int = 2) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
