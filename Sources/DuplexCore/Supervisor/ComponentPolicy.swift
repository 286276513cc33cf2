/// In which pair roles a component runs (`role = both | active | standby`).
public enum ComponentRole: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Runs whatever the board's role (the default).
    case both = 0
    /// Runs while the board is active, and while it hands the role over (quiescing, quiesced).
    case active = 1
    /// Runs while the board is a standby.
    case standby = 2

    public var description: String {
        switch self {
        case .both: "both"
        case .active: "active"
        case .standby: "standby"
        }
    }

    /// Whether a component of this kind runs on a board in `role`.
    public func runs(in role: Role) -> Bool {
        switch self {
        case .both: true
        case .active: role == .active || role == .quiescing || role == .quiesced
        case .standby: role == .standby
        }
    }

    /// Whether every board role in which `self` runs is one in which `other` runs too: a
    /// component may only depend on components that run whenever it does.
    public func isCovered(by other: ComponentRole) -> Bool {
        other == .both || other == self
    }
}

/// When a component that exited is started again (`restart = always | on-failure | never`).
public enum RestartPolicy: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// After any exit, a clean one included.
    case always = 0
    /// After a failure only: a non-zero status, a signal, or a start that failed (the default).
    case onFailure = 1
    /// Never: a failure leaves the component failed (and escalates when it is critical).
    case never = 2

    public var description: String {
        switch self {
        case .always: "always"
        case .onFailure: "on-failure"
        case .never: "never"
        }
    }
}

/// At most `count` restarts within any `period` (`restart-intensity = 5 in 10s`), as in
/// Erlang/OTP supervisors. One more failure within the period exceeds the intensity.
public struct RestartIntensity: Sendable, Hashable, CustomStringConvertible {
    /// 0...``Limits/componentRestartsMax``; 0 allows no restart at all.
    public var count: Int
    public var period: Duration

    public init(count: Int, period: Duration) {
        precondition((0...Limits.componentRestartsMax).contains(count), "restart count out of range")
        precondition(period > .zero, "a restart period is positive")
        self.count = count
        self.period = period
    }

    public static let `default` = RestartIntensity(count: 5, period: .seconds(10))

    public var description: String { "\(count) in \(period)" }
}

/// The delay before a restart (`restart-backoff = 100ms up to 5s`): `initial` for the first
/// restart within the intensity period, doubling for each further one, at most `maximum`.
/// `.none` (the default) restarts at once.
public struct RestartBackoff: Sendable, Hashable, CustomStringConvertible {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration, maximum: Duration) {
        precondition(maximum >= initial, "the backoff maximum is at least its initial delay")
        self.initial = initial
        self.maximum = maximum
    }

    /// No delay: a component that exits is restarted at once.
    public static let none = RestartBackoff(initial: .zero, maximum: .zero)

    /// The delay before the `restart`-th restart within the intensity period (1-based).
    public func delay(restart: Int) -> Duration {
        precondition(restart >= 1, "restarts are counted from 1")
        guard initial > .zero else { return .zero }
        var delay = initial
        // Bounded: at most 63 doublings overflow any UInt64; `maximum` stops it sooner.
        for _ in 1..<min(restart, 64) where delay < maximum {
            delay = delay * 2
        }
        return min(delay, maximum)
    }

    public var description: String {
        if initial == .zero { return "none" }
        return initial == maximum ? "\(initial)" : "\(initial) up to \(maximum)"
    }
}
