/// The role of a board in the pair, as the pair protocol sees it. `quiescing` and `quiesced`
/// are the transitional roles of a graceful switchover (SA Forum AMF HA states).
public enum Role: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Listening for the mate during the discovery window.
    case starting = 0
    /// Owns the logical addresses and serves.
    case active = 1
    /// Hot standby: ready to take over.
    case standby = 2
    /// Was active, is releasing its addresses for a graceful switchover.
    case quiescing = 3
    /// Released its addresses and offered the role to the mate; waits for the mate to take it.
    case quiesced = 4
    /// Lost every path to the mate and failed its isolation check: does not claim addresses.
    case separated = 5
    /// Locked by an operator: never becomes active.
    case blocked = 6
    /// Out of service after a failure it reported; the mate takes over.
    case failed = 7

    public var description: String {
        switch self {
        case .starting: "starting"
        case .active: "active"
        case .standby: "standby"
        case .quiescing: "quiescing"
        case .quiesced: "quiesced"
        case .separated: "separated"
        case .blocked: "blocked"
        case .failed: "failed"
        }
    }

    /// Roles in which the board holds, or is about to hold, the logical addresses.
    public var ownsAddresses: Bool { self == .active }

    /// The operator-visible unit state, telecom style.
    public var unitState: UnitState {
        switch self {
        case .starting: .starting
        case .active, .quiescing, .quiesced: .working
        case .standby: .spare
        case .separated: .separated
        case .blocked: .blocked
        case .failed: .failed
        }
    }

    /// The explicit transition table. `PairCore` asserts every change against it.
    public static let allowed: [Role: Set<Role>] = [
        .starting: [.active, .standby, .separated, .blocked, .failed],
        .active: [.quiescing, .standby, .separated, .failed],
        .quiescing: [.quiesced, .active, .standby, .failed],
        .quiesced: [.standby, .active, .failed, .blocked],
        .standby: [.active, .separated, .blocked, .failed],
        .separated: [.active, .standby, .blocked, .failed],
        .blocked: [.standby, .failed],
        .failed: [.starting],
    ]

    public func canChange(to next: Role) -> Bool {
        Role.allowed[self]?.contains(next) ?? false
    }
}

/// The operator-visible state of a unit (board), as telecom equipment shows it.
public enum UnitState: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case starting = 0
    case working = 1
    case spare = 2
    case separated = 3
    case blocked = 4
    case failed = 5

    public var description: String {
        switch self {
        case .starting: "starting"
        case .working: "working"
        case .spare: "spare"
        case .separated: "separated"
        case .blocked: "blocked"
        case .failed: "failed"
        }
    }
}
