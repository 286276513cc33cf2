import DuplexCore
import DuplexSimulation
import Testing

/// Thousands of fixed random seeds, in batches so that a failure prints only its seeds.
@Suite struct SeedSweepTests {
    static let batchSize: UInt64 = 50
    /// 2,000 seeds: batches 0..<40 of 50 seeds each.
    static let batches: Range<UInt64> = 0..<40

    /// Short runs (`SimulationProfile.quick`) so that the sweep fits a debug build; every
    /// fault kind is on. `Tools/vopr/run` runs longer plans from random seeds.
    @Test("2,000 fixed seeds hold every invariant", arguments: batches)
    func seedBatch(_ batch: UInt64) {
        var failures: [String] = []
        for seed in (batch * Self.batchSize)..<((batch + 1) * Self.batchSize) {
            let outcome = Simulation.run(seed: seed, profile: .quick)
            if let failure = outcome.failure {
                // Keep the report short: the first failure in full, the others by seed.
                failures.append(failures.isEmpty ? "\(failure)" : "seed \(seed): \(failure.invariant) at \(failure.time)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failing seeds:\n\(failures.joined(separator: "\n\n"))")
    }

    /// Seeds `Tools/vopr/run` once found failing (`standard` profile), kept as regressions:
    /// a rotating pair whose group paths went down while a slower path stayed up asked for a
    /// tick in the past, and both boards stalled until the next fault; a standby whose other
    /// path lost carrier counted the rotating mate's silence from its last turn on the
    /// remaining (clogged) path, and took over from a live active. The last four failed the
    /// checker, not the protocol: it counted a path whose carrier had just come back as live
    /// on the strength of frames from before the carrier loss.
    @Test("seeds found by the VOPR", arguments: [
        916_776_278_906_430_010, 12_076_341_263_897_176_878, 10_553_114_718_199_529_225,
        13_199_605_029_171_790_763, 13_385_999_592_885_612_540, 13_279_421_618_299_362_916,
        17_523_799_474_402_169_184, 1_004_492_989_656_163_628,
    ] as [UInt64])
    func regression(_ seed: UInt64) {
        let outcome = Simulation.run(seed: seed, profile: .standard)
        #expect(outcome.failure == nil, "\(outcome.failure!)")
    }
}
