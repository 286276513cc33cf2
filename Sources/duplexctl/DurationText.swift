import Duplex

/// Short human forms of durations for the status screen.
enum DurationText {
    /// `850ns`, `84us`, `2.1ms`, `250ms`, `12.4s`, then ``long(_:)`` from one minute on.
    static func short(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        switch ns {
        case ..<1_000: return "\(ns)ns"
        case ..<1_000_000: return "\(ns / 1_000)us"
        case ..<10_000_000: return tenths(ns / 100_000, unit: "ms")
        case ..<1_000_000_000: return "\(ns / 1_000_000)ms"
        case ..<60_000_000_000: return tenths(ns / 100_000_000, unit: "s")
        default: return long(duration)
        }
    }

    /// `5s`, `3m 12s`, `2h 5m`, `4d 3h`: the two most significant units.
    static func long(_ duration: Duration) -> String {
        let seconds = duration.nanoseconds / 1_000_000_000
        let units: [(UInt64, String)] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        var parts: [String] = []
        var rest = seconds
        for (size, name) in units where rest >= size || (!parts.isEmpty && parts.count < 2) {
            guard parts.count < 2 else { break }
            parts.append("\(rest / size)\(name)")
            rest %= size
        }
        return parts.isEmpty ? "0s" : parts.joined(separator: " ")
    }

    private static func tenths(_ value: UInt64, unit: String) -> String {
        "\(value / 10).\(value % 10)\(unit)"
    }
}
