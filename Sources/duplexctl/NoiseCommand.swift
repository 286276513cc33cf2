import ArgumentParser
import CDuplexShims
import DuplexCore
import Glibc

/// `duplexctl noise`: how often each CPU of this board is taken from a running thread, and for
/// how long. Runs here, without duplexd: one thread per CPU this process may use, bound to it,
/// reads the monotonic clock in a loop for the given time and counts every gap of the
/// threshold or more. A synchronous checkpoint write or a heartbeat tick that meets such a gap
/// is that much later: on a virtual machine the hypervisor's exits, on any kernel the 250 or
/// 1,000 Hz tick (none on a `nohz_full` CPU), interrupts and other tasks. Every CPU is kept busy
/// while it runs.
struct NoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise",
        abstract: "Measure how often each CPU is taken from a running thread (runs locally, keeps every CPU busy).")

    @Option(name: .long, help: ArgumentHelp("How long each CPU is probed, 0.1...60.", valueName: "seconds"))
    var seconds = 1.0
    @Option(name: .customLong("threshold-us"), help: ArgumentHelp("The shortest gap counted, 1...100000 µs.", valueName: "µs"))
    var thresholdMicroseconds = 5
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard seconds >= 0.1 && seconds <= 60 else { throw ValidationError("--seconds must be 0.1...60") }
        guard (1...100_000).contains(thresholdMicroseconds) else { throw ValidationError("--threshold-us must be 1...100000") }
    }

    func run() throws {
        var cpus = [CInt](repeating: 0, count: 1024)
        let count = cpus.withUnsafeMutableBufferPointer { CDuplexShims_allowed_cpus($0.baseAddress, CInt($0.count)) }
        guard count > 0 else {
            writeError("duplexctl: cannot read this process's CPUs: \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        let duration = DuplexCore.Duration(nanoseconds: UInt64(seconds * 1e9))
        let threshold = DuplexCore.Duration.microseconds(UInt64(thresholdMicroseconds))
        let reports: [CPUNoiseReport]
        do {
            reports = try NoiseProbe.run(cpus: cpus[0..<Int(count)].map(Int.init), duration: duration, threshold: threshold)
        } catch {
            writeError("duplexctl: \(error.message)")
            throw ExitCode(1)
        }
        print(output.json ? Self.json(reports, duration: duration, threshold: threshold) : Self.render(reports, duration: duration, threshold: threshold),
              terminator: "")
    }

    static func render(_ reports: [CPUNoiseReport], duration: DuplexCore.Duration, threshold: DuplexCore.Duration) -> String {
        var table = TextTable(header: ["CPU", "PINNED", "GAPS/S", "TIME LOST", "MEDIAN GAP", "LONGEST"])
        for report in reports {
            table.append([
                "\(report.cpu)", report.pinned ? "yes" : "no", Self.decimal(report.gapsPerSecond, digits: 0),
                Self.decimal(report.lostShare * 100, digits: 2) + " %",
                report.medianGap.map { DurationText.short($0) } ?? "-", report.gaps > 0 ? DurationText.short(report.longest) : "-",
            ])
        }
        var text = table.render()
        text += "every CPU busy for \(DurationText.short(duration)); gaps of \(DurationText.short(threshold)) or more between two clock reads\n"
        if let rate = CPUNoiseReport.median(reports.map(\.gapsPerSecond)) {
            text += "median over the CPUs: \(Self.decimal(rate, digits: 0)) gaps a second\n"
        }
        return text
    }

    static func json(_ reports: [CPUNoiseReport], duration: DuplexCore.Duration, threshold: DuplexCore.Duration) -> String {
        JSONValue.object([
            ("seconds", .number(Double(duration.nanoseconds) / 1e9)),
            ("threshold_us", .integer(threshold.nanoseconds / 1_000)),
            ("cpus", .array(reports.map { report in
                JSONValue.object([
                    ("cpu", .integer(UInt64(report.cpu))),
                    ("pinned", .bool(report.pinned)),
                    ("gaps", .integer(report.gaps)),
                    ("gaps_per_s", .number(Self.rounded(report.gapsPerSecond, digits: 1))),
                    ("lost_percent", .number(Self.rounded(report.lostShare * 100, digits: 3))),
                    ("gap_median_us", .optional(report.medianGap) { .number(Double($0.nanoseconds) / 1e3) }),
                    ("gap_max_us", .number(Self.rounded(Double(report.longest.nanoseconds) / 1e3, digits: 1))),
                ])
            })),
            ("gaps_per_s", .number(Self.rounded(CPUNoiseReport.median(reports.map(\.gapsPerSecond)) ?? 0, digits: 1))),
            ("lost_percent", .number(Self.rounded((CPUNoiseReport.median(reports.map(\.lostShare)) ?? 0) * 100, digits: 3))),
        ]).render() + "\n"
    }

    /// `value` rounded to `digits` decimals.
    static func rounded(_ value: Double, digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }

    /// `value` with `digits` decimals (no Foundation formatting).
    static func decimal(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var text = "\(rounded(value, digits: digits))"
        if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
        if let dot = text.firstIndex(of: "."), digits > 0 {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        }
        return text
    }
}

/// One probe thread per CPU, all started before any is joined, so that every CPU is busy at
/// once (as during synchronous writes, when the writer and both boards' threads poll).
enum NoiseProbe {
    struct ProbeError: Error {
        var message: String
    }

    /// A probe's state, shared with its thread: written by the thread, read after the join.
    final class Slot: @unchecked Sendable {
        // @unchecked Sendable: `report` is written by the probe thread only and read by the
        // starting thread only after `pthread_join`, which orders the two.
        let cpu: Int
        let duration: DuplexCore.Duration
        let threshold: DuplexCore.Duration
        var report: CPUNoiseReport

        init(cpu: Int, duration: DuplexCore.Duration, threshold: DuplexCore.Duration) {
            self.cpu = cpu
            self.duration = duration
            self.threshold = threshold
            report = CPUNoiseReport(cpu: cpu, pinned: false, threshold: threshold)
        }

        /// Pins this thread to `cpu` and reads the clock until `duration` has passed; bounded
        /// by the clock and by an iteration count far above what the time allows.
        func spin() {
            let pinned = CDuplexShims_pin_current_thread(CInt(cpu)) == 0
            var report = CPUNoiseReport(cpu: cpu, pinned: pinned, threshold: threshold)
            let start = CDuplexShims_monotonic_ns()
            let end = start &+ duration.nanoseconds
            var previous = start
            var now = start
            for _ in 0..<(UInt64(2_000_000_000) * (duration.nanoseconds / 1_000_000_000 + 1)) {
                now = CDuplexShims_monotonic_ns()
                if now >= end { break }
                report.record(DuplexCore.Duration(nanoseconds: now &- previous))
                previous = now
            }
            report.finish(after: DuplexCore.Duration(nanoseconds: now &- start))
            self.report = report
        }
    }

    static func run(cpus: [Int], duration: DuplexCore.Duration, threshold: DuplexCore.Duration) throws(ProbeError) -> [CPUNoiseReport] {
        let slots = cpus.map { Slot(cpu: $0, duration: duration, threshold: threshold) }
        var threads: [pthread_t] = []
        for slot in slots {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(slot).toOpaque()
            let result = pthread_create(&thread, nil, { argument in
                let slot = Unmanaged<Slot>.fromOpaque(argument!).takeRetainedValue()
                slot.spin()
                return nil
            }, context)
            guard result == 0 else {
                Unmanaged<Slot>.fromOpaque(context).release()
                for started in threads { pthread_join(started, nil) }
                throw ProbeError(message: "cannot start a probe thread: \(String(cString: strerror(result)))")
            }
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
        return slots.map(\.report)
    }
}
