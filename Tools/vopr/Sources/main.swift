// duplex-vopr: runs random pair-protocol simulation seeds for a while and prints any failing
// seed with the command that replays it; `--seed S` replays one seed with its full trace.
import DuplexCore
import DuplexSimulation
import Glibc

struct Options {
    var seconds: UInt64?
    var seed: UInt64?
    var first: UInt64?
    var count: UInt64?
    var profile = SimulationProfile.standard
    var profileName = "standard"
    var quiet = false
    var noReleaseFailures = false
    var noClogs = false
    /// Forces every plan's heartbeat mode (nil: the plan's own, half of them rotating).
    var heartbeats: PairConfiguration.Heartbeats?
    /// Forces every plan's standby: quiet (four intervals) or at the interval (nil: the plan's own).
    var quietStandby: Bool?
}

func usage() -> Never {
    print(
        """
        usage: duplex-vopr --seconds N [--profile quick|standard] [--no-release-failures] [--no-clogs]
               duplex-vopr --seed S [--profile quick|standard] [--no-release-failures] [--no-clogs] [--quiet]
               duplex-vopr --first S --count N [--profile quick|standard] [--no-release-failures] [--no-clogs]
        --heartbeats rotate|every-path: every plan in that heartbeat mode (default: the plan's own)
        --standby quiet|interval: every plan's standby sends every four intervals while the
                  heartbeats rotate, or at the interval (default: the plan's own)
        """)
    exit(2)
}

func number(_ text: String) -> UInt64 {
    guard let value = UInt64(text) else { usage() }
    return value
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var index = 1
    func value() -> String {
        index += 1
        guard index < arguments.count else { usage() }
        return arguments[index]
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--seconds": options.seconds = number(value())
        case "--seed": options.seed = number(value())
        case "--first": options.first = number(value())
        case "--count": options.count = number(value())
        case "--quiet": options.quiet = true
        case "--no-release-failures": options.noReleaseFailures = true
        case "--no-clogs": options.noClogs = true
        case "--heartbeats":
            switch value() {
            case "rotate": options.heartbeats = .rotate
            case "every-path": options.heartbeats = .everyPath
            default: usage()
            }
        case "--standby":
            switch value() {
            case "quiet": options.quietStandby = true
            case "interval": options.quietStandby = false
            default: usage()
            }
        case "--profile":
            options.profileName = value()
            switch options.profileName {
            case "quick": options.profile = .quick
            case "standard": options.profile = .standard
            default: usage()
            }
        default: usage()
        }
        index += 1
    }
    options.profile.failsReleases = !options.noReleaseFailures
    options.profile.clogs = !options.noClogs
    return options
}

/// Monotonic seconds, for the time budget and the rate.
func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func replayCommand(_ seed: UInt64, _ options: Options) -> String {
    "duplex-vopr --seed \(seed)" + (options.profileName == "standard" ? "" : " --profile \(options.profileName)")
        + (options.noReleaseFailures ? " --no-release-failures" : "") + (options.noClogs ? " --no-clogs" : "")
        + (options.heartbeats.map { $0 == .rotate ? " --heartbeats rotate" : " --heartbeats every-path" } ?? "")
        + (options.quietStandby.map { $0 ? " --standby quiet" : " --standby interval" } ?? "")
}

/// The seed's plan, in the forced heartbeat mode if any.
func plan(_ seed: UInt64, _ options: Options) -> SimulationPlan {
    var plan = SimulationPlan.random(seed: seed, profile: options.profile)
    if let heartbeats = options.heartbeats {
        plan.configurations = plan.configurations.map { $0.with(heartbeats: heartbeats) }
    }
    if let quiet = options.quietStandby, let shortest = plan.configurations[0].paths.map(\.interval).min() {
        plan.configurations = plan.configurations.map { $0.with(standbyInterval: quiet ? shortest * 4 : nil) }
    }
    return plan
}

/// Replays one seed, printing every record.
func replay(_ seed: UInt64, _ options: Options) -> Int32 {
    let plan = plan(seed, options)
    var simulation = Simulation(plan: plan, observer: options.quiet ? nil : { print($0) })
    print("seed \(seed): \(plan.pathCount) paths, heal at \(plan.healAt), \(plan.faults.count) scheduled faults, buggify \(plan.buggifyPerMille)‰; \(simulation.bounds)")
    let outcome = simulation.run()
    print(summary(outcome))
    if let failure = outcome.failure {
        print("FAILED\n\(failure)")
        return 1
    }
    return 0
}

func summary(_ outcome: SimulationOutcome) -> String {
    let stats = outcome.statistics
    let settled = stats.settledAfterHeal.map { "\($0)" } ?? "-"
    return "seed \(outcome.seed): \(outcome.passed ? "passed" : "FAILED"), simulated \(outcome.duration), "
        + "\(stats.coreSteps) core steps, \(stats.faults) faults, takeovers \(stats.takeovers), "
        + "handovers \(stats.handovers), dual-active \(stats.dualActiveResolutions), "
        + "longest overlap \(stats.longestOverlap), settled \(settled) after heal, digest \(outcome.digest)"
}

/// Runs seeds until the budget is spent (or the range is done); prints failures.
func explore(_ options: Options) -> Int32 {
    var seeds = SplitMix64(seed: UInt64(monotonicSeconds() * 1e9) ^ UInt64(getpid()))
    let started = monotonicSeconds()
    var ran: UInt64 = 0
    var failed: [UInt64] = []
    var simulated: UInt64 = 0
    var settleMax = Duration.zero
    var totals = SimulationStatistics()
    while true {
        if let count = options.count {
            if ran >= count { break }
        } else if monotonicSeconds() - started >= Double(options.seconds ?? 0) {
            break
        }
        let seed = options.first.map { $0 &+ ran } ?? seeds.next()
        var simulation = Simulation(plan: plan(seed, options))
        let outcome = simulation.run()
        ran += 1
        simulated += outcome.duration.nanoseconds
        settleMax = max(settleMax, outcome.statistics.settledAfterHeal ?? .zero)
        totals.add(outcome.statistics)
        if let failure = outcome.failure {
            failed.append(seed)
            print("\(failure)\nreplay: \(replayCommand(seed, options))\n")
            if failed.count >= 20 { break }
        }
    }
    let elapsed = monotonicSeconds() - started
    let rate = Double(ran) / max(elapsed, 1e-9)
    print("\(ran) seeds in \(Int(elapsed)) s (\(Int(rate)) seeds/s, \(simulated / 1_000_000_000) s simulated), "
        + "\(failed.count) failed, slowest settle after heal \(settleMax)")
    print("totals: \(totals.faults) faults, \(totals.takeovers[0] + totals.takeovers[1]) takeovers, "
        + "\(totals.handovers) handovers, \(totals.dualActiveResolutions) dual-active resolutions, "
        + "\(totals.sameEpochActives) takeovers at the mate's epoch, \(totals.stalls) stalls, "
        + "\(totals.buggified) buggified faults, longest overlap \(totals.longestOverlap)")
    for seed in failed { print("failing seed \(seed): \(replayCommand(seed, options))") }
    return failed.isEmpty ? 0 : 1
}

extension SimulationStatistics {
    mutating func add(_ other: SimulationStatistics) {
        faults += other.faults
        takeovers[0] += other.takeovers[0]
        takeovers[1] += other.takeovers[1]
        handovers += other.handovers
        dualActiveResolutions += other.dualActiveResolutions
        sameEpochActives += other.sameEpochActives
        stalls += other.stalls
        buggified += other.buggified
        longestOverlap = max(longestOverlap, other.longestOverlap)
    }
}

let options = parse(CommandLine.arguments)
if let seed = options.seed {
    exit(replay(seed, options))
} else if options.seconds != nil || options.count != nil {
    exit(explore(options))
} else {
    usage()
}
