/// A board's validated configuration, parsed from the INI-like text of `Config/board-a.conf`.
///
/// Every value has been checked by ``Configuration/parse(text:file:)``: ranges, address syntax,
/// interface names, counts against ``Limits``. Code that receives a `Configuration` need not
/// check it again.
public struct Configuration: Sendable, Hashable {
    /// `[cluster] id`: both boards of a pair share it; frames of another cluster are dropped.
    public var clusterID: UInt32
    public var board: Board
    public var pair: Pair
    /// `[link NAME]` sections in file order: 1...``Limits/linksMax`` heartbeat paths.
    public var links: [Link]
    /// `[address NAME]` sections in file order: 0...``Limits/addressesMax`` logical addresses.
    public var addresses: [LogicalAddress]
    public var announce: Announce
    public var control: Control
    public var log: Log
    /// `[component NAME]` sections in file order: 0...``Limits/componentsMax`` supervised
    /// processes, with every `after` naming another component and no dependency cycle.
    public var components: [Component]
    public var supervisor: Supervisor
    /// `[checkpoint]`: the checkpoint service.
    public var checkpoint = CheckpointSettings()
    /// `[cluster] key-file`: pair frames authenticated with HMAC-SHA-256 (nil: not).
    public var authentication: Authentication?

    public init(
        clusterID: UInt32, board: Board, pair: Pair = Pair(), links: [Link],
        addresses: [LogicalAddress] = [], announce: Announce = Announce(), control: Control = Control(),
        log: Log = Log(), components: [Component] = [], supervisor: Supervisor = Supervisor()
    ) {
        self.clusterID = clusterID
        self.board = board
        self.pair = pair
        self.links = links
        self.addresses = addresses
        self.announce = announce
        self.control = control
        self.log = log
        self.components = components
        self.supervisor = supervisor
    }

    /// `[board]`: this board's identity.
    public struct Board: Sendable, Hashable {
        /// 1...65535, unique within the pair.
        public var id: UInt16
        /// A short operator-facing name (`A`, `B`, `shelf1-slot3`).
        public var name: String
        /// 0...255; the higher priority is preferred as active at start-up.
        public var priority: UInt8

        public init(id: UInt16, name: String, priority: UInt8 = 100) {
            self.id = id
            self.name = name
            self.priority = priority
        }
    }

    /// `[pair]`: the pair protocol's timing and policy.
    public struct Pair: Sendable, Hashable {
        /// Heartbeat period on every path (default for links that do not set their own).
        public var interval: Duration
        /// Silent intervals after which a path is down (default for links).
        public var missedMax: Int
        /// How long to listen for the mate at start-up before deciding the role alone.
        public var discoveryWindow: Duration
        /// Whether the preferred board takes the role back from an active mate.
        public var preempt: Bool
        /// How long a graceful switchover may take before it is abandoned.
        public var handoverTimeout: Duration
        /// SCHED_FIFO priority of the pair thread, 1...99; 0 keeps normal scheduling.
        public var realtimePriority: Int
        /// The interface whose carrier is the isolation check, if any.
        public var isolationInterface: String?
        /// The hardware watchdog device to feed, if any.
        public var watchdogDevice: String?
        /// The watchdog's timeout (whole seconds, rounded up; default 2s): the board resets
        /// when `duplexd` has not fed it for this long. It is fed every quarter of it.
        public var watchdogTimeout: Duration
        /// `heartbeats = rotate` (default): one heartbeat per interval, rotating over the links
        /// that share the shortest interval while all is well; `every-link`: one on each link.
        public var heartbeats: PairConfiguration.Heartbeats
        /// `standby-interval`: how far apart a standby sends its heartbeats while they rotate and
        /// the active is working. nil: four times the rotation's interval. Not longer than that
        /// interval: the standby sends at the interval.
        public var standbyInterval: Duration?

        public init(
            interval: Duration = .milliseconds(4), missedMax: Int = 3,
            discoveryWindow: Duration = .milliseconds(300), preempt: Bool = false,
            handoverTimeout: Duration = .milliseconds(250), realtimePriority: Int = 50,
            isolationInterface: String? = nil, watchdogDevice: String? = nil,
            watchdogTimeout: Duration = .seconds(2), heartbeats: PairConfiguration.Heartbeats = .rotate,
            standbyInterval: Duration? = nil
        ) {
            self.interval = interval
            self.missedMax = missedMax
            self.discoveryWindow = discoveryWindow
            self.preempt = preempt
            self.handoverTimeout = handoverTimeout
            self.realtimePriority = realtimePriority
            self.isolationInterface = isolationInterface
            self.watchdogDevice = watchdogDevice
            self.watchdogTimeout = watchdogTimeout
            self.heartbeats = heartbeats
            self.standbyInterval = standbyInterval
        }
    }

    /// `[link NAME]`: one heartbeat path to the mate.
    public struct Link: Sendable, Hashable {
        /// The section's name (`bp0`), used in logs and `duplexctl status`.
        public var name: String
        public var transport: Transport
        /// Heartbeat period on this path.
        public var interval: Duration
        /// Silent intervals after which this path is down.
        public var missedMax: Int
        /// `replication = LOCAL -> PEER`: the UDP endpoints that carry checkpoint replication
        /// over this dedicated link (nil: the link carries none).
        public var replication: Replication?

        public init(
            name: String, transport: Transport, interval: Duration, missedMax: Int, replication: Replication? = nil
        ) {
            self.name = name
            self.transport = transport
            self.interval = interval
            self.missedMax = missedMax
            self.replication = replication
        }

        /// The checkpoint replication endpoints of a dedicated link: this board's address and
        /// port, and the mate's, of one family.
        public struct Replication: Sendable, Hashable {
            public var local: IPEndpoint
            public var peer: IPEndpoint

            public init(local: IPEndpoint, peer: IPEndpoint) {
                self.local = local
                self.peer = peer
            }
        }

        /// The interface the path uses, when one is named.
        public var interface: String? {
            switch transport {
            case .ethernet(let ethernet): ethernet.interface
            case .udp(let udp): udp.interface
            }
        }

        /// `type = ethernet` or `type = udp`.
        public enum Transport: Sendable, Hashable {
            case ethernet(Ethernet)
            case udp(UDP)
        }

        /// Raw Ethernet frames on a dedicated link (AF_PACKET).
        public struct Ethernet: Sendable, Hashable {
            public var interface: String
            /// 0x88B5 by default: IEEE 802 local experimental EtherType 1.
            public var etherType: UInt16
            /// Where frames are sent: broadcast by default, or the mate's MAC.
            public var destination: EthernetAddress

            public init(interface: String, etherType: UInt16 = 0x88B5, destination: EthernetAddress = .broadcast) {
                self.interface = interface
                self.etherType = etherType
                self.destination = destination
            }
        }

        /// UDP unicast, typically on the service LAN, as the last-resort path.
        public struct UDP: Sendable, Hashable {
            public var local: IPEndpoint
            public var peer: IPEndpoint
            /// Binds the socket to this interface (SO_BINDTODEVICE) when set.
            public var interface: String?

            public init(local: IPEndpoint, peer: IPEndpoint, interface: String? = nil) {
                self.local = local
                self.peer = peer
                self.interface = interface
            }
        }
    }

    /// `[address NAME]`: a logical address that lives on the active board.
    public struct LogicalAddress: Sendable, Hashable {
        public var name: String
        public var address: InterfaceAddress
        public var interface: String
        /// `virtual-mac` (and `virtual-interface`): the address lives on a macvlan interface of
        /// `interface` with this MAC, up only on the active board, so that the address keeps
        /// its MAC across a failover and no client's neighbour cache needs updating.
        public var virtual: VirtualInterface?

        public init(name: String, address: InterfaceAddress, interface: String, virtual: VirtualInterface? = nil) {
            self.name = name
            self.address = address
            self.interface = interface
            self.virtual = virtual
        }

        /// The interface the address is added to: the virtual one when there is one.
        public var carrier: String { virtual?.name ?? interface }
    }

    /// A macvlan interface that carries logical addresses with a MAC of their own.
    public struct VirtualInterface: Sendable, Hashable {
        /// Its name (`virtual-interface`; default `dx` and the MAC's last three octets in hex).
        public var name: String
        /// The MAC (`virtual-mac`): unicast, the same on both boards (VRRP uses
        /// 00:00:5e:00:01:VRID; a locally administered one such as 02:... works as well).
        public var mac: EthernetAddress

        public init(name: String, mac: EthernetAddress) {
            self.name = name
            self.mac = mac
        }

        /// `dx` and the last three octets: `dx000107` for `00:00:5e:00:01:07`.
        public static func defaultName(for mac: EthernetAddress) -> String {
            let low = mac.value & 0xFF_FFFF
            let hex = String(low, radix: 16)
            return "dx" + String(repeating: "0", count: 6 - hex.count) + hex
        }
    }

    /// `[announce]`: the gratuitous ARP / unsolicited neighbour advertisement burst sent after
    /// claiming the logical addresses.
    public struct Announce: Sendable, Hashable {
        /// Announcements per address, 0...50 (0: none).
        public var count: Int
        /// Time between two announcements.
        public var interval: Duration
        /// `virtual-refresh-count` (0...100, default 60): announcements of the addresses on a
        /// virtual MAC after the burst, one every `virtualRefreshInterval`. They put the
        /// virtual MAC back on this board's switch port should the old active's kernel still
        /// send with it (its multicast listener reports repeat for about a second).
        public var virtualRefreshCount: Int = 60
        /// `virtual-refresh-interval` (10ms...10s, default 20ms): at most this long on the
        /// wrong port, while the refresh lasts (1.2 s by default).
        public var virtualRefreshInterval: Duration = .milliseconds(20)
        /// `refresh-interval` (0 or 10ms...1h, default 0: never): every address announced
        /// once more at this interval for as long as the board holds the addresses (after the
        /// burst), as a VRRP master's adverts keep reteaching the switch and the neighbours'
        /// caches (keepalived's `garp_master_refresh`): a switch that aged the entry out, or a
        /// neighbour that missed the burst, learns the active's MAC again within an interval.
        public var refreshInterval: Duration?

        public init(count: Int = 3, interval: Duration = .milliseconds(2)) {
            self.count = count
            self.interval = interval
        }
    }

    /// `[control]`: the control socket of `duplexd`.
    public struct Control: Sendable, Hashable {
        public static let defaultSocketPath = "/run/duplex/duplexd.sock"

        /// The Unix stream socket `duplexctl` and the `Duplex` library connect to.
        public var socketPath: String

        public init(socketPath: String = Control.defaultSocketPath) {
            self.socketPath = socketPath
        }
    }

    /// `[log]`.
    public struct Log: Sendable, Hashable {
        public var level: LogLevel

        public init(level: LogLevel = .info) {
            self.level = level
        }
    }

    /// The swift-log levels, by name.
    public enum LogLevel: String, Sendable, Hashable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }
}
