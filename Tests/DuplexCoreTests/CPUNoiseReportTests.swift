import DuplexCore
import Testing

@Suite struct CPUNoiseReportTests {
    @Test func gapsUnderTheThresholdAreTheLoopsOwnPace() {
        var report = CPUNoiseReport(cpu: 1, pinned: true, threshold: .microseconds(5))
        for _ in 0..<1_000 { report.record(.nanoseconds(80)) }
        report.record(.nanoseconds(4_999))
        #expect(report.gaps == 0 && report.lost == .zero && report.longest == .zero)
        #expect(report.medianGap == nil)
        report.finish(after: .seconds(1))
        #expect(report.gapsPerSecond == 0 && report.lostShare == 0)
    }

    @Test func countsRateShareLongestAndMedian() {
        var report = CPUNoiseReport(cpu: 0, pinned: true, threshold: .microseconds(5))
        // 300 gaps of 14.2 us, 100 of 30.5 us and one of 4 ms in half a second.
        for _ in 0..<300 { report.record(.nanoseconds(14_200)) }
        for _ in 0..<100 { report.record(.nanoseconds(30_500)) }
        report.record(.milliseconds(4))
        report.finish(after: .milliseconds(500))
        let lost: UInt64 = 300 * 14_200 + 100 * 30_500 + 4_000_000
        #expect(report.gaps == 401)
        #expect(report.lost == Duration.nanoseconds(lost))
        #expect(report.longest == .milliseconds(4))
        #expect(report.gapsPerSecond == 802)
        #expect(abs(report.lostShare - Double(lost) / 500_000_000) < 1e-12)
        // The median's bucket is [14, 15) us, reported by its upper end.
        #expect(report.medianGap == .microseconds(15))
    }

    @Test func aMedianPastTheBucketsIsTheLongestGap() {
        var report = CPUNoiseReport(cpu: 0, pinned: false, threshold: .microseconds(1))
        report.record(.milliseconds(2))
        report.record(.milliseconds(3))
        report.record(.microseconds(20))
        #expect(report.medianGap == .milliseconds(3))
        var single = CPUNoiseReport(cpu: 0, pinned: false, threshold: .microseconds(1))
        single.record(.nanoseconds(7_300))
        #expect(single.medianGap == .nanoseconds(7_300), "never above the longest gap")
    }

    @Test func theShareNeverPassesTheWholeRun() {
        var report = CPUNoiseReport(cpu: 0, pinned: true, threshold: .microseconds(1))
        report.record(.seconds(2))
        report.finish(after: .seconds(1))
        #expect(report.lostShare == 1)
    }

    @Test func medianOfOddEvenAndNone() {
        #expect(CPUNoiseReport.median([]) == nil)
        #expect(CPUNoiseReport.median([3, 1, 2]) == 2)
        #expect(CPUNoiseReport.median([4, 1, 3, 2]) == 2.5)
    }
}
