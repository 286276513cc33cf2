import DuplexCore
import DuplexSimulation
import Testing

@Suite struct DeterminismTests {
    /// Every record of a run, as text.
    static func transcript(seed: UInt64, profile: SimulationProfile) -> (lines: [String], outcome: SimulationOutcome) {
        var lines: [String] = []
        var simulation = Simulation(plan: SimulationPlan.random(seed: seed, profile: profile)) { lines.append("\($0)") }
        let outcome = simulation.run()
        return (lines, outcome)
    }

    @Test("the same seed replays exactly", arguments: [0, 1, 42, 1_000_003] as [UInt64])
    func sameSeedSameRun(_ seed: UInt64) {
        let first = Self.transcript(seed: seed, profile: .quick)
        let second = Self.transcript(seed: seed, profile: .quick)
        #expect(first.lines.count > 10)
        #expect(first.lines == second.lines)
        #expect(first.outcome == second.outcome)
    }

    @Test("a failing run fails the same way twice")
    func failingRunReplays() throws {
        // Boards of two different clusters never form a pair although their frames get
        // through: the second takes over beside the first (a false takeover, then two
        // holders). The failure and its trace replay exactly.
        var plan = SimulationPlan.random(seed: 5, profile: .quick)
        plan.configurations[1].cluster ^= 0xFFFF
        var lines: [[String]] = [[], []]
        var outcomes: [SimulationOutcome] = []
        for run in 0..<2 {
            var simulation = Simulation(plan: plan) { lines[run].append("\($0)") }
            outcomes.append(simulation.run())
        }
        let failure = try #require(outcomes[0].failure)
        #expect([.noFalseTakeover, .singleHolder].contains(failure.invariant))
        #expect(failure.seed == 5)
        #expect(failure.trace.count <= 40)
        #expect(outcomes[0] == outcomes[1])
        #expect("\(failure)" == "\(outcomes[1].failure.map { "\($0)" } ?? "")")
        #expect(lines[0] == lines[1])
    }

    @Test func differentSeedsDiffer() {
        let digests = (0..<20 as Range<UInt64>).map { Simulation.run(seed: $0, profile: .quick).digest }
        #expect(Set(digests).count == digests.count)
    }

    @Test func randomPlansStayWithinTheirBounds() {
        for seed in 0..<200 as Range<UInt64> {
            let plan = SimulationPlan.random(seed: seed, profile: .quick)
            #expect((1...3).contains(plan.pathCount))
            #expect(plan.faults.allSatisfy { $0.at <= plan.healAt })
            #expect(plan.configurations.map(\.board) == [1, 2])
        }
    }
}

@Suite struct SplitMix64Tests {
    @Test func knownSequence() {
        // Reference values of SplitMix64 seeded with 0 (Steele et al.; also Java's SplittableRandom).
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func uniformStaysInRangeAndCoversIt() {
        var rng = SplitMix64(seed: 99)
        var seen = Array(repeating: 0, count: 7)
        for _ in 0..<7_000 {
            let value = rng.uniform(3...9)
            #expect((3...9).contains(value))
            seen[value - 3] += 1
        }
        #expect(seen.allSatisfy { $0 > 800 && $0 < 1_200 })
        #expect(rng.uniform(5...5) == 5)
        #expect(rng.uniform(0...UInt64.max) >= 0)
    }

    @Test func chanceAndPick() {
        var rng = SplitMix64(seed: 5)
        #expect(!(0..<1000).contains { _ in rng.chance(perMille: 0) })
        #expect((0..<1000).allSatisfy { _ in rng.chance(perMille: 1000) })
        let hits = (0..<10_000).filter { _ in rng.chance(perMille: 200) }.count
        #expect(hits > 1_800 && hits < 2_200)
        let picks = (0..<300).map { _ in rng.pick(["a", "b", "c"]) }
        #expect(Set(picks) == ["a", "b", "c"])
        #expect((0..<100).allSatisfy { _ in rng.weighted([0, 5, 0]) == 1 })
    }
}
