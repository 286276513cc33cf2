/// What `duplexctl status` shows: this board, its mate, the paths between them, the logical
/// addresses and the counters. Sent by `duplexd` in answer to a `status` request.
public struct StatusReport: Sendable, Hashable {
    public var clusterID: UInt32
    public var boardID: UInt16
    public var name: String
    public var role: Role
    public var unitState: UnitState
    public var epoch: UInt64
    public var priority: UInt8
    /// Time since `duplexd` started.
    public var uptime: Duration
    /// The mate as last heard; nil when it has never been heard.
    public var mate: MateReport?
    /// At most ``Limits/linksMax``.
    public var paths: [PathReport]
    /// At most ``Limits/addressesMax``.
    public var addresses: [AddressReport]
    public var lastRoleChange: RoleChangeReport?
    public var counters: Counters
    /// The checkpoint replication's state and progress; nil when the daemon has no checkpoint
    /// service. On the wire: a presence flag, then the report as a length-prefixed blob.
    public var checkpoints: CheckpointSyncReport?

    public init(
        clusterID: UInt32, boardID: UInt16, name: String, role: Role, unitState: UnitState, epoch: UInt64,
        priority: UInt8, uptime: Duration, mate: MateReport? = nil, paths: [PathReport] = [],
        addresses: [AddressReport] = [], lastRoleChange: RoleChangeReport? = nil, counters: Counters = Counters(),
        checkpoints: CheckpointSyncReport? = nil
    ) {
        self.clusterID = clusterID
        self.boardID = boardID
        self.name = name
        self.role = role
        self.unitState = unitState
        self.epoch = epoch
        self.priority = priority
        self.uptime = uptime
        self.mate = mate
        self.paths = paths
        self.addresses = addresses
        self.lastRoleChange = lastRoleChange
        self.counters = counters
        self.checkpoints = checkpoints
    }

    /// Frames dropped before reaching the pair logic.
    public struct Counters: Sendable, Hashable {
        /// Frames with a bad length, CRC, version or field.
        public var malformedFrames: UInt64
        /// Well-formed frames of another cluster.
        public var foreignFrames: UInt64
        /// Well-formed frames without the tag of this board's key, or with a wrong one.
        public var unauthenticatedFrames: UInt64
        /// Heartbeats of the rotating mate that went missing (each put the pair on every path).
        public var heartbeatGaps: UInt64
        /// Whether the heartbeats rotate over the paths now (one per interval).
        public var rotating: Bool
        /// Whether this board, a standby, sends its heartbeats at the standby interval now.
        public var quiet: Bool

        public init(
            malformedFrames: UInt64 = 0, foreignFrames: UInt64 = 0, heartbeatGaps: UInt64 = 0, rotating: Bool = false,
            quiet: Bool = false, unauthenticatedFrames: UInt64 = 0
        ) {
            self.malformedFrames = malformedFrames
            self.foreignFrames = foreignFrames
            self.unauthenticatedFrames = unauthenticatedFrames
            self.heartbeatGaps = heartbeatGaps
            self.rotating = rotating
            self.quiet = quiet
        }
    }
}

/// The mate as this board last heard it.
public struct MateReport: Sendable, Hashable {
    public var boardID: UInt16
    /// The mate's name, once it has told it.
    public var name: String?
    public var role: Role
    public var unitState: UnitState
    public var epoch: UInt64
    public var priority: UInt8
    /// Time since any path last carried a frame from the mate.
    public var lastHeardAgo: Duration

    public init(
        boardID: UInt16, name: String? = nil, role: Role, unitState: UnitState, epoch: UInt64, priority: UInt8,
        lastHeardAgo: Duration
    ) {
        self.boardID = boardID
        self.name = name
        self.role = role
        self.unitState = unitState
        self.epoch = epoch
        self.priority = priority
        self.lastHeardAgo = lastHeardAgo
    }
}

/// One heartbeat path to the mate (a `[link NAME]` of the configuration).
public struct PathReport: Sendable, Hashable {
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case ethernet = 1
        case udp = 2

        public var description: String {
            switch self {
            case .ethernet: "ethernet"
            case .udp: "udp"
            }
        }
    }

    public var name: String
    public var kind: Kind
    /// The interface, or empty when the path is not bound to one.
    public var interface: String
    /// Whether the failure detector considers the path up.
    public var isUp: Bool
    /// Whether the interface has carrier (IFF_LOWER_UP).
    public var hasCarrier: Bool
    /// The latest measured round-trip time, if any.
    public var roundTripTime: Duration?
    /// Time since the path last carried a frame from the mate; nil if it never did.
    public var lastHeardAgo: Duration?
    public var framesSent: UInt64
    public var framesReceived: UInt64
    /// Frames received on this path and refused (malformed, foreign, stale).
    public var framesRejected: UInt64

    public init(
        name: String, kind: Kind, interface: String, isUp: Bool, hasCarrier: Bool, roundTripTime: Duration? = nil,
        lastHeardAgo: Duration? = nil, framesSent: UInt64 = 0, framesReceived: UInt64 = 0, framesRejected: UInt64 = 0
    ) {
        self.name = name
        self.kind = kind
        self.interface = interface
        self.isUp = isUp
        self.hasCarrier = hasCarrier
        self.roundTripTime = roundTripTime
        self.lastHeardAgo = lastHeardAgo
        self.framesSent = framesSent
        self.framesReceived = framesReceived
        self.framesRejected = framesRejected
    }
}

/// One logical address (an `[address NAME]` of the configuration).
public struct AddressReport: Sendable, Hashable {
    public var name: String
    public var address: InterfaceAddress
    public var interface: String
    /// Whether this board has the address on its interface now.
    public var isHeld: Bool

    public init(name: String, address: InterfaceAddress, interface: String, isHeld: Bool) {
        self.name = name
        self.address = address
        self.interface = interface
        self.isHeld = isHeld
    }
}

/// The board's most recent role change.
public struct RoleChangeReport: Sendable, Hashable {
    /// Time since the change.
    public var ago: Duration
    public var from: Role
    public var to: Role
    /// Why, in words (`mate lost on every path`, `operator switchover`).
    public var reason: String

    public init(ago: Duration, from: Role, to: Role, reason: String) {
        self.ago = ago
        self.from = from
        self.to = to
        self.reason = reason
    }
}
