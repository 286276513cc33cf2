import Glibc

/// Monotonic nanoseconds. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
func nowNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Sleeps for `milliseconds`. The corresponding C function is `nanosleep`.
func sleepMilliseconds(_ milliseconds: Int) {
    var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    _ = nanosleep(&request, nil)  // an early wake-up (EINTR) only shortens a poll interval
}

/// Latency samples in nanoseconds, summarised as percentiles in microseconds.
struct LatencySamples {
    private(set) var values: [UInt64] = []

    init(capacity: Int) { values.reserveCapacity(capacity) }

    mutating func append(_ nanoseconds: UInt64) { values.append(nanoseconds) }

    /// With `DUPLEX_CKBENCH_SAMPLES=FILE` in the environment, writes every sample to FILE (ns,
    /// in the order taken, one per line), for a look at the distribution; else does nothing.
    func writeIfAsked() {
        guard let path = getenv("DUPLEX_CKBENCH_SAMPLES"), let file = fopen(path, "w") else { return }
        for value in values { fputs("\(value)\n", file) }
        fclose(file)
    }

    /// The JSON fields p50_us, p99_us, max_us (nearest-rank percentiles).
    func jsonFields() -> String {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return "\"p50_us\":null,\"p99_us\":null,\"max_us\":null" }
        func rank(_ fraction: Double) -> Double {
            let index = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
            return Double(sorted[index]) / 1000
        }
        return "\"p50_us\":\(format(rank(0.50))),\"p99_us\":\(format(rank(0.99))),\"max_us\":\(format(Double(sorted.last!) / 1000))"
    }
}

/// A number with one decimal, for JSON.
func format(_ value: Double) -> String {
    let tenths = (value * 10).rounded()
    let whole = Int(tenths / 10)
    let fraction = Int(abs(tenths.truncatingRemainder(dividingBy: 10)))
    return "\(whole).\(fraction)"
}

/// A value of `size` bytes that differs per index.
func payload(size: Int, index: Int) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: index &+ $0) }
}

/// Writes a line to standard error.
func note(_ text: String) {
    var line = "ckbench: " + text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }  // best effort diagnostics
}

/// A failure that ends the run with a message.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
