import Glibc

// What the CPU benchmarks (duplex-frame-bench, duplex-core-bench) share: the clock they time
// with and their two arguments.

/// Monotonic nanoseconds. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
public func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// The arguments `RUNS COUNT` (runs 1...50, COUNT in `counts`); prints the usage of `program`
/// and exits with status 2 when they are not that.
public func runsAndCount(program: String, counts: ClosedRange<Int>) -> (runs: Int, count: Int) {
    let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
    guard arguments.count == 2, (1...50).contains(arguments[0]), counts.contains(arguments[1]) else {
        let usage = "usage: \(program) RUNS(1...50) COUNT(\(counts.lowerBound)...\(counts.upperBound))\n"
        _ = usage.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    return (arguments[0], arguments[1])
}
