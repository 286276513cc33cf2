public import DuplexCore
public import Logging
import Glibc
import SystemPackage

/// The actuator thread: adds and removes the logical addresses through libnl-route and sends
/// the gratuitous ARP / unsolicited NA bursts. It runs apart from the pair thread because a
/// stalled `rtnl_lock` must never delay a heartbeat. Every libnl call happens on this thread,
/// which owns the libnl socket.
public final class ActuatorService: @unchecked Sendable {
    // @unchecked Sendable: `actuator`, `announcer` and the burst state are used only by the
    // thread that calls `run()`; the queues, eventfds and the atomic stop flag are thread-safe.
    // `claimBarrier` is set before that thread starts and only read after.

    /// One logical address: `198.51.100.10/24` on `lan0`, or on a virtual interface (a
    /// macvlan of `lan0` with a MAC of its own, up only while the addresses are held).
    public struct Address: Sendable, Hashable {
        public var prefix: String
        /// The interface the address is added to (the virtual one, when there is one).
        public var interface: String
        public var virtual: Virtual?

        public init(prefix: String, interface: String, virtual: Virtual? = nil) {
            self.prefix = prefix
            self.interface = interface
            self.virtual = virtual
        }
    }

    /// A macvlan interface `name` of `parent` with `mac` (see `Configuration.VirtualInterface`).
    public struct Virtual: Sendable, Hashable {
        public var name: String
        public var parent: String
        public var mac: [UInt8]

        public init(name: String, parent: String, mac: [UInt8]) {
            precondition(mac.count == 6, "a MAC has six octets")
            self.name = name
            self.parent = parent
            self.mac = mac
        }
    }

    private let addresses: [Address]
    /// The virtual interfaces of the addresses, each once.
    private let virtuals: [Virtual]
    private let announceCount: Int
    private let announceInterval: DuplexCore.Duration
    private let pair: PairService
    private let actuator: AddressActuator
    private let announcer: Announcer
    private let logger: Logger
    private var burstRemaining = 0
    private var burstNextAt = Instant.zero
    /// Announcements of the addresses on a virtual MAC left after the burst (see
    /// `Configuration.Announce.virtualRefreshCount`), and when the next is due.
    private let refreshCount: Int
    private let refreshInterval: DuplexCore.Duration
    private var refreshRemaining = 0
    private var refreshNextAt = Instant.zero
    /// Every address announced once more at this interval while the board holds them
    /// (`Configuration.Announce.refreshInterval`; nil: never), and when the next is due (nil:
    /// the addresses are not held).
    private let periodicInterval: DuplexCore.Duration?
    private var periodicNextAt: Instant?
    private let stopSignal: EventFD
    /// The interfaces announced on, by name (see `announce`).
    private var interfaces: [String: NetworkInterface] = [:]
    /// Waited for before the addresses of a claim are added (the checkpoint replica applied);
    /// nil for none. Set it before `run()` starts.
    public var claimBarrier: (any ClaimBarrier)?

    /// - Throws: `NetlinkError` when the route socket cannot be opened, or an `Errno`.
    public init(
        addresses: [Address], announceCount: Int, announceInterval: DuplexCore.Duration,
        virtualRefreshCount: Int = 0, virtualRefreshInterval: DuplexCore.Duration = .milliseconds(100),
        refreshInterval: DuplexCore.Duration? = nil, pair: PairService, logger: Logger
    ) throws {
        precondition(addresses.count <= Limits.addressesMax, "too many logical addresses")
        precondition(virtualRefreshInterval > .zero, "a refresh interval")
        precondition(refreshInterval.map { $0 > .zero } ?? true, "a periodic refresh interval")
        self.addresses = addresses
        virtuals = addresses.reduce(into: []) { seen, address in
            if let virtual = address.virtual, !seen.contains(virtual) { seen.append(virtual) }
        }
        self.announceCount = announceCount
        self.announceInterval = announceInterval
        refreshCount = addresses.contains { $0.virtual != nil } ? virtualRefreshCount : 0
        self.refreshInterval = virtualRefreshInterval
        periodicInterval = refreshInterval
        self.pair = pair
        self.logger = logger
        actuator = try AddressActuator()
        announcer = try Announcer()
        stopSignal = try EventFD()
    }

    /// Asks `run()` to return after the request it is carrying out.
    public func stop() {
        _ = try? stopSignal.signal()  // an eventfd write cannot block; a failure means it is closed
    }

    /// Whether the request queue is empty (for an orderly exit).
    public var idle: Bool { pair.actuatorRequests.isEmpty }

    /// The virtual interfaces of the addresses, each once.

    /// Creates the virtual interfaces (down until a claim) and makes their parents answer ARP
    /// only for their own addresses and announce only those: otherwise the parent would answer
    /// for a logical address with its own MAC, or teach a client that MAC with the logical
    /// address as the source of its own ARP request (`arp_ignore = 1`, `arp_announce = 2`).
    private func prepareVirtuals() {
        for virtual in virtuals {
            do throws(NetlinkError) {
                try actuator.prepareVirtual(name: virtual.name, parent: virtual.parent, mac: virtual.mac)
                logger.info("virtual interface ready", metadata: [
                    "duplex.interface": "\(virtual.name)", "duplex.parent": "\(virtual.parent)",
                    "duplex.mac": "\(virtual.mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":"))",
                ])
            } catch {
                logger.error("cannot create the virtual interface; its addresses cannot be claimed", metadata: [
                    "duplex.interface": "\(virtual.name)", "duplex.parent": "\(virtual.parent)", "duplex.error": "\(error)",
                ])
            }
            // No IPv6 link-local address of its own: both boards' would be the same (derived
            // from the shared MAC). Set while it is down, before any address is generated.
            let mode = "/proc/sys/net/ipv6/conf/\(virtual.name)/addr_gen_mode"
            if !KernelSetting.write(mode, "1") {
                logger.warning("cannot turn off the virtual interface's link-local address", metadata: [
                    "duplex.path": "\(mode)", "duplex.error": "\(String(cString: strerror(errno)))",
                ])
            }
            for (setting, value) in [("arp_ignore", "1"), ("arp_announce", "2")] {
                let path = "/proc/sys/net/ipv4/conf/\(virtual.parent)/\(setting)"
                if !KernelSetting.write(path, value) {
                    logger.warning("cannot set \(setting) on the virtual interface's parent", metadata: [
                        "duplex.path": "\(path)", "duplex.error": "\(String(cString: strerror(errno)))",
                    ])
                }
            }
        }
    }

    /// Brings every virtual interface up or down; false if one failed (logged).
    private func setVirtuals(up: Bool) -> Bool {
        var ok = true
        for virtual in virtuals {
            do throws(NetlinkError) {
                try actuator.setVirtual(name: virtual.name, up: up)
            } catch {
                ok = false
                logger.error("cannot bring the virtual interface \(up ? "up" : "down")", metadata: [
                    "duplex.interface": "\(virtual.name)", "duplex.error": "\(error)",
                ])
            }
        }
        return ok
    }

    /// Carries out requests until `stop()`.
    public func run() {
        prepareVirtuals()
        var fds = [
            pollfd(fd: pair.actuatorRequestSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            var timeout: Int32 = -1
            if burstRemaining > 0 { timeout = millisecondsUntil(burstNextAt) }
            if refreshRemaining > 0 {
                let refresh = millisecondsUntil(refreshNextAt)
                timeout = timeout < 0 ? refresh : min(timeout, refresh)
            }
            if let due = periodicNextAt {
                let periodic = millisecondsUntil(due)
                timeout = timeout < 0 ? periodic : min(timeout, periodic)
            }
            _ = poll(&fds, 2, timeout)
            if fds[1].revents != 0 { return }
            if fds[0].revents != 0 {
                _ = try? pair.actuatorRequestSignal.drain()  // level reset only; the queue holds the work
            }
            for _ in 0..<Limits.actuatorQueueMax {
                guard let request = pair.actuatorRequests.pop() else { break }
                perform(request)
            }
            if burstRemaining > 0, MonotonicClock.now() >= burstNextAt {
                announceAll()
            }
            if refreshRemaining > 0, MonotonicClock.now() >= refreshNextAt {
                refreshRemaining -= 1
                refreshNextAt = MonotonicClock.now() + refreshInterval
                for address in addresses where address.virtual != nil { announce(address) }
            }
            if let due = periodicNextAt, let interval = periodicInterval, MonotonicClock.now() >= due {
                // From the due time, not from now: the refresh keeps its cadence; a thread that
                // was held up longer than an interval starts again from now.
                let next = due + interval
                let now = MonotonicClock.now()
                periodicNextAt = next > now ? next : now + interval
                for address in addresses { announce(address) }
            }
        }
    }

    private func millisecondsUntil(_ deadline: Instant) -> Int32 {
        let wait = deadline.since(MonotonicClock.now())
        return Int32(clamping: (wait.nanoseconds + 999_999) / 1_000_000)
    }

    private func perform(_ request: ActuatorRequest) {
        switch request {
        case .claim(let epoch):
            // Clients reach this board only once it can serve them: the barrier first (bounded).
            let barrier = claimBarrier?.awaitBeforeClaim(epoch: epoch)
            // Each address is announced as soon as it is added, before the next netlink call
            // and before any logging: clients move to this board as early as possible. A
            // virtual interface comes up first, so that the announcements carry its MAC.
            var ok = setVirtuals(up: true)
            for address in addresses {
                do throws(NetlinkError) {
                    try actuator.add(address: address.prefix, interface: address.interface)
                    if announceCount > 0 { announce(address) }
                } catch {
                    ok = false
                    logger.error("cannot add logical address", metadata: metadata(address, error))
                }
            }
            let addedAt = MonotonicClock.now()
            report(.claimed(ok: ok))
            if let barrier, !barrier.passed { claimBarrier?.claimedWithoutBarrier(epoch: epoch, outcome: barrier) }
            if ok {
                burstRemaining = max(0, announceCount - 1)
                burstNextAt = addedAt + announceInterval
                // Both refreshes follow the burst: the virtual MAC's addresses' for a count, every
                // address's periodically for as long as they are held.
                let burstEnd = addedAt + announceInterval * UInt64(max(0, announceCount - 1))
                refreshRemaining = refreshCount
                refreshNextAt = burstEnd + refreshInterval
                periodicNextAt = periodicInterval.map { burstEnd + $0 }
                // duplex.at (CLOCK_MONOTONIC ns, shared by every namespace of the machine) lets the
                // failover benchmark measure how long the address was on neither board.
                logger.info("logical addresses added", metadata: [
                    "duplex.epoch": "\(epoch)", "duplex.at": "\(addedAt.nanoseconds)",
                    "duplex.barrier": "\(barrier.map { "\($0)" } ?? "none")",
                ])
            }
        case .release:
            burstRemaining = 0
            refreshRemaining = 0
            periodicNextAt = nil
            var ok = true
            for address in addresses {
                do throws(NetlinkError) {
                    try actuator.remove(address: address.prefix, interface: address.interface)
                } catch {
                    ok = false
                    logger.error("cannot remove logical address", metadata: metadata(address, error))
                }
            }
            let removedAt = MonotonicClock.now()
            report(.released(ok: ok))
            logger.info("logical addresses removed", metadata: ["duplex.ok": "\(ok)", "duplex.at": "\(removedAt.nanoseconds)"])
            // Then a virtual interface goes down, once the mate may claim: up without
            // addresses it would still send with the virtual MAC (the IPv6 multicast listener
            // reports that leaving an address's groups repeats for a second), teaching the
            // switch this board's port again. Going down waits for an RCU grace period under
            // the kernel's rtnl lock (about 10 ms here): after the report, it does not hold the
            // handover up on a board of its own (in the lab both boards share one kernel, and
            // the mate's claim waits for that lock).
            _ = setVirtuals(up: false)
        case .announce:
            burstRemaining = announceCount
            announceAll()
        }
    }

    private func report(_ result: ActuatorResult) {
        if pair.actuatorResults.push(result) {
            _ = try? pair.actuatorResultSignal.signal()  // cannot block; see `stop()`
        } else {
            logger.critical("actuator result queue full", metadata: ["duplex.result": "\(result)"])
        }
    }

    /// Sends one announcement for every address and schedules the next one of the burst.
    private func announceAll() {
        guard burstRemaining > 0 else { return }
        burstRemaining -= 1
        burstNextAt = MonotonicClock.now() + announceInterval
        for address in addresses { announce(address) }
    }

    private func announce(_ address: Address) {
        do throws(Errno) {
            // The interface (index and MAC: two ioctls) is looked up once and kept; after a
            // failure it is looked up again, in case the interface was re-created.
            let interface: NetworkInterface
            if let known = interfaces[address.interface] {
                interface = known
            } else {
                interface = try NetworkInterface(named: address.interface)
                interfaces[address.interface] = interface
            }
            let bare = address.prefix.split(separator: "/", maxSplits: 1).first.map(String.init) ?? address.prefix
            guard let parsed = AnyIPAddress(parsing: bare) else { throw Errno.invalidArgument }
            do throws(Errno) {
                try announcer.announce(parsed, on: interface)
            } catch {
                interfaces[address.interface] = nil
                throw error
            }
        } catch {
            logger.warning("cannot announce logical address", metadata: [
                "duplex.address": "\(address.prefix)", "duplex.interface": "\(address.interface)",
                "duplex.error": "\(error)",
            ])
        }
    }

    private func metadata(_ address: Address, _ error: NetlinkError) -> Logger.Metadata {
        ["duplex.address": "\(address.prefix)", "duplex.interface": "\(address.interface)", "duplex.error": "\(error)"]
    }
}
