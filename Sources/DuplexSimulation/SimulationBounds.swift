public import DuplexCore

/// The time bounds the checkers hold the protocol to, derived from a plan's configuration.
public struct SimulationBounds: Sendable, CustomStringConvertible {
    /// The shortest and the longest path timeout (`interval` × `missedHeartbeatsMax`).
    public var timeoutMin: Duration
    public var timeoutMax: Duration
    /// The longest silence on a path (in global time) that no board treats as a timeout:
    /// `timeoutMin` shortened by the fastest clock's drift.
    public var silenceMax: Duration
    /// `silenceMax` for a board whose mate sends as a quiet standby: the quiet timeout on the
    /// whole rotation group, shortened the same way (nil without a standby interval).
    public var quietSilenceMax: Duration?
    /// The longest silence of a quiet standby on one path that the active tolerates, shortened
    /// the same way (nil without a standby interval).
    public var quietPathSilenceMax: Duration?
    public var intervalMax: Duration
    /// The longest an actuator call can take (a slow call).
    public var actuationMax: Duration
    /// Claims or releases retried until they succeed or the core gives up:
    /// `actuationAttemptsMax` × (`actuationMax` + `actuationRetryDelay`).
    public var actuationRecovery: Duration
    /// The longest a frame sent before the heal can still be in flight after it.
    public var inFlightMax: Duration
    /// Both boards may hold the logical addresses for at most this long after the last
    /// disruption (a frozen or down board, a board whose paths are all carrier-down or silent
    /// for longer than `silenceMax`, a failing actuator, a clock step, a failed release) ended:
    /// 2 × `timeoutMax` + `intervalMax` + `actuationRecovery` + `handoverTimeout`.
    public var overlap: Duration
    /// After every fault has healed, exactly one board is active and holds the addresses and
    /// the other is standby within this bound: discovery window + handover timeout +
    /// 4 × `timeoutMax` + 2 × `intervalMax` + 2 × `actuationRecovery` + `inFlightMax` +
    /// the carrier event delay + 50 ms of margin.
    public var liveness: Duration
    /// A standby that takes over while the mate is active and a clean path delivered frames
    /// both ways, with no fault for this long (2 × `timeoutMax`), made a false takeover.
    public var quiet: Duration

    public init(plan: SimulationPlan) {
        let configurations = plan.configurations
        let paths = configurations.flatMap(\.paths)
        timeoutMin = paths.map(\.timeout).min()!
        // A path of a rotating mate stays up for its relaxed timeout, of a quiet standby longer.
        timeoutMax = configurations.flatMap { configuration in
            configuration.paths.indices.map { configuration.quietRelaxedTimeout(of: $0) }
        }.max()!
        let fastest = UInt64(max(0, plan.clockDriftPPM.max() ?? 0))
        let slowest = UInt64(max(0, -(plan.clockDriftPPM.min() ?? 0)))
        silenceMax = Duration(nanoseconds: timeoutMin.nanoseconds * 1_000_000 / (1_000_000 + fastest))
        func shortened(_ duration: Duration) -> Duration {
            Duration(nanoseconds: duration.nanoseconds * 1_000_000 / (1_000_000 + fastest))
        }
        quietSilenceMax = configurations.compactMap(\.quietTimeout).min().map(shortened)
        quietPathSilenceMax = configurations.compactMap { configuration in
            configuration.rotationGroup.first.flatMap { configuration.standbyInterval == nil ? nil : configuration.quietRelaxedTimeout(of: $0) }
        }.min().map(shortened)
        intervalMax = max(paths.map(\.interval).max()!, configurations.compactMap(\.standbyInterval).max() ?? .zero)
        let actuationMax = max(plan.actuationDelay.upperBound, plan.slowActuationDelay.upperBound)
        self.actuationMax = actuationMax
        actuationRecovery = configurations.map { configuration in
            (actuationMax + configuration.actuationRetryDelay) * UInt64(configuration.actuationAttemptsMax)
        }.max()!
        inFlightMax = Self.inFlightMax(plan: plan)
        let handoverTimeout = configurations.map(\.handoverTimeout).max()!
        let discovery = configurations.map(\.discoveryWindow).max()!
        overlap = timeoutMax * 2 + intervalMax + actuationRecovery + handoverTimeout
        liveness = discovery + handoverTimeout + timeoutMax * 4 + intervalMax * 2
            + actuationRecovery * 2 + inFlightMax + plan.carrierEventDelay.upperBound
            + .milliseconds(50)
        quiet = timeoutMax * 2
        // A slow clock stretches every timer in global time.
        overlap = overlap + overlap * slowest / 1_000_000 + .nanoseconds(1)
        liveness = liveness + liveness * slowest / 1_000_000 + .nanoseconds(1)
    }

    private static func inFlightMax(plan: SimulationPlan) -> Duration {
        var worst = Duration.zero
        for scheduled in plan.faults {
            if case .impair(_, _, let impairment, _) = scheduled.fault {
                worst = max(worst, impairment.extraDelay + impairment.jitter + impairment.reorderSpread)
            }
        }
        let base = plan.pathDelays.flatMap { $0 }.max() ?? .zero
        return base + plan.pathJitter + worst
    }

    public var description: String {
        "timeout \(timeoutMin)...\(timeoutMax), overlap bound \(overlap), liveness bound \(liveness)"
    }
}
