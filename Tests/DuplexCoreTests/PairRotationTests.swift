import DuplexCore
import Testing

/// Which paths rotate, and how long a path of a rotating mate may stay silent.
@Suite struct PairRotationTests {
    static func configuration(_ paths: [PairConfiguration.Path], _ heartbeats: PairConfiguration.Heartbeats) -> PairConfiguration {
        PairConfiguration(cluster: 7, board: 1, incarnation: 1, paths: paths, heartbeats: heartbeats)
    }

    @Test func theGroupIsThePathsWithTheShortestIntervalAndTheSameMissedCount() {
        let fast = PairConfiguration.Path(interval: .milliseconds(4), missedHeartbeatsMax: 3)
        let slow = PairConfiguration.Path(interval: .milliseconds(10), missedHeartbeatsMax: 3)
        let other = PairConfiguration.Path(interval: .milliseconds(4), missedHeartbeatsMax: 5)
        let mixed = Self.configuration([slow, fast, other, fast], .rotate)
        #expect(mixed.rotationGroup == [1, 3])
        #expect(mixed.relaxedTimeout(of: 1) == .milliseconds(26), "3 rounds of 2 paths at 4 ms, plus 2 ms")
        #expect(mixed.relaxedTimeout(of: 0) == slow.timeout, "outside the group: its own timeout")
        #expect(mixed.relaxedTimeout(of: 2) == other.timeout)
        #expect(Self.configuration([fast, fast, fast], .rotate).relaxedTimeout(of: 0) == .milliseconds(38))
    }

    @Test func noRotationWithEveryPathOrWithOnePathToRotateOver() {
        let fast = PairConfiguration.Path(interval: .milliseconds(4), missedHeartbeatsMax: 3)
        let slow = PairConfiguration.Path(interval: .milliseconds(10), missedHeartbeatsMax: 3)
        #expect(Self.configuration([fast, fast], .everyPath).rotationGroup.isEmpty)
        #expect(Self.configuration([fast, slow], .rotate).rotationGroup.isEmpty)
        #expect(Self.configuration([fast], .rotate).rotationGroup.isEmpty)
        #expect(Self.configuration([fast, slow], .rotate).relaxedTimeout(of: 0) == fast.timeout)
    }
}
