import Testing

@testable import DuplexCore

@Suite struct LatenessHistogramTests {
    @Test func bucketsByPowersOfTwoFrom16Microseconds() {
        var histogram = LatenessHistogram(missThreshold: .milliseconds(4))
        histogram.record(.microseconds(3))  // bucket 0: < 16 us
        histogram.record(.microseconds(16))  // bucket 1: < 32 us
        histogram.record(.microseconds(100))  // bucket 3: < 128 us
        histogram.record(.milliseconds(5))  // bucket 9: < 8.192 ms, a miss
        histogram.record(.seconds(1))  // last bucket, a miss
        #expect(histogram.bucket(0) == 1)
        #expect(histogram.bucket(1) == 1)
        #expect(histogram.bucket(3) == 1)
        #expect(histogram.bucket(9) == 1)
        #expect(histogram.bucket(LatenessHistogram.bucketCount - 1) == 1)
        #expect(histogram.count == 5)
        #expect(histogram.misses == 2)
        #expect(histogram.max == .seconds(1))
    }

    @Test func quantilesAreUpperBoundsNeverAboveTheMaximum() {
        var histogram = LatenessHistogram(missThreshold: .milliseconds(4))
        #expect(histogram.quantile(0.99) == .zero)
        for _ in 0..<99 { histogram.record(.microseconds(20)) }
        histogram.record(.microseconds(700))
        #expect(histogram.quantile(0.5) == .microseconds(32))
        #expect(histogram.quantile(0.99) == .microseconds(32))
        #expect(histogram.quantile(1.0) == .microseconds(700), "the 1.024 ms bound is capped at the maximum")
        histogram.reset()
        #expect(histogram.count == 0 && histogram.max == .zero && histogram.misses == 0)
    }
}
