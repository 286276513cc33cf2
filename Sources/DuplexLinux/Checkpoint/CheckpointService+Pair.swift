public import DuplexCore

extension PairTrace {
    /// Whether the checkpoint service needs this trace: role changes and path changes (the
    /// mate's reachability).
    public var concernsCheckpoints: Bool {
        switch self {
        case .roleChanged, .pathChanged, .mateCapabilities: true
        default: false
        }
    }
}
