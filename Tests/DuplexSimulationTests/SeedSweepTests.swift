import DuplexCore
import DuplexSimulation
import Testing

/// Thousands of fixed random seeds, in batches so that a failure prints only its seeds.
@Suite struct SeedSweepTests {
    static let batchSize: UInt64 = 50
    /// 2,000 seeds: batches 0..<40 of 50 seeds each.
    static let batches: Range<UInt64> = 0..<40

    /// The fixed-seed suite's profile: short runs that fit a debug build. No clogged paths
    /// until the core ignores late frames of a previous incarnation (see
    /// `ScenarioTests.lateFrameFromPreviousIncarnationIsOldNews` and
    /// `ScenarioTests.staleHandoverOfferIsNotAcceptedAfterARestart`).
    static let profile = SimulationProfile(
        faultPhase: SimulationProfile.quick.faultPhase,
        faultsPerSecond: SimulationProfile.quick.faultsPerSecond, clogs: false)

    @Test("2,000 fixed seeds hold every invariant", arguments: batches)
    func seedBatch(_ batch: UInt64) {
        let failures = Self.run(batch: batch, profile: Self.profile)
        #expect(failures.isEmpty, "\(failures.count) failing seeds:\n\(failures.joined(separator: "\n\n"))")
    }

    @Test(
        "the same seeds with clogged paths hold every invariant",
        .disabled("core bug: late frames of a previous incarnation are taken as news (see the two disabled scenarios)"),
        arguments: batches)
    func seedBatchWithClogs(_ batch: UInt64) {
        let failures = Self.run(batch: batch, profile: .quick)
        #expect(failures.isEmpty, "\(failures.count) failing seeds:\n\(failures.joined(separator: "\n\n"))")
    }

    static func run(batch: UInt64, profile: SimulationProfile) -> [String] {
        var failures: [String] = []
        for seed in (batch * batchSize)..<((batch + 1) * batchSize) {
            let outcome = Simulation.run(seed: seed, profile: profile)
            if let failure = outcome.failure {
                // Keep the report short: the first failure in full, the others by seed.
                failures.append(failures.isEmpty ? "\(failure)" : "seed \(seed): \(failure.invariant) at \(failure.time)")
            }
        }
        return failures
    }
}
