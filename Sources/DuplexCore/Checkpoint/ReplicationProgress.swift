/// Where a standby's replica stands, for `duplexctl status` and the hot flag.
public struct ReplicationProgress: Sendable, Hashable {
    public enum Phase: UInt8, Sendable, Hashable, CaseIterable {
        /// Not a standby (active, or neither).
        case none = 0
        /// Asked for a snapshot; none has started.
        case waiting
        /// Receiving a snapshot.
        case receiving
        /// Snapshot installed, catching up with the live stream.
        case catchingUp
        /// Caught up.
        case hot
    }

    public var phase: Phase = .none
    public var snapshot: UInt64 = 0
    public var chunksReceived: UInt32 = 0
    public var chunksTotal: UInt32 = 0
    public var sectionsReceived: UInt64 = 0
    public var sectionsTotal: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var bytesTotal: UInt64 = 0
    /// The replica's sequence: the last update applied.
    public var sequence: UInt64 = 0
    /// Updates held that cannot be applied yet.
    public var backlog: Int = 0

    public init() {}
}
