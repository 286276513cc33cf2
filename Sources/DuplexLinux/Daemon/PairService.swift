public import DuplexCore
public import SystemPackage
import Synchronization

/// The pair thread: one epoll loop over a timerfd, the netlink link monitor, two eventfds
/// (operator commands, actuator results) and the urgent-frame sockets. It runs the pure
/// `PairCore`, sends frames inline and hands every other order to another thread through a
/// bounded queue. After `start`, its loop allocates nothing and never logs.
///
/// Heartbeats do not wake the thread. Each dedicated link has two packet sockets split by a
/// kernel filter on the frame type: heartbeats queue on one, which the loop reads whenever it
/// wakes anyway (at each tick, at the latest one interval later), with the kernel's receive
/// time as the time of the frame; handovers and goodbyes arrive on the other, which epoll
/// watches, and are handled at once. So an idle board wakes once per interval instead of once
/// per received frame, and the failure detector still sees each heartbeat at the time it
/// arrived. The service LAN path has one socket, read at each wake-up: a handover that only
/// the LAN carries (every dedicated link down) waits for the next tick.
public final class PairService: @unchecked Sendable {
    // @unchecked Sendable: the queues and eventfds below are thread-safe; every other stored
    // property is touched only by the pair thread once `run()` has started (before that, only
    // by the thread that built the service).

    /// One heartbeat path as the pair thread drives it.
    public enum PathIO {
        case ethernet(RawEthernetLink, destination: EthernetAddress)
        case udp(UDPLink, interfaceIndex: CInt?)

        var fileDescriptor: CInt {
            switch self {
            case .ethernet(let link, _): link.fileDescriptor
            case .udp(let link, _): link.fileDescriptor
            }
        }

        var interfaceIndex: CInt? {
            switch self {
            case .ethernet(let link, _): link.interface.index
            case .udp(_, let index): index
            }
        }
    }

    /// The hardware watchdog and when to feed it.
    public struct WatchdogFeed: Sendable {
        public var watchdog: HardwareWatchdog
        /// How often to feed: a quarter of the device's timeout, at least the heartbeat period.
        public var interval: DuplexCore.Duration
        /// Fed only while this says every critical component is healthy.
        public var criticalHealth: CriticalHealth

        public init(watchdog: HardwareWatchdog, interval: DuplexCore.Duration, criticalHealth: CriticalHealth) {
            precondition(interval.nanoseconds > 0, "a feed interval")
            self.watchdog = watchdog
            self.interval = interval
            self.criticalHealth = criticalHealth
        }
    }

    public let commands: BoundedQueue<PairCommand>
    public let commandSignal: EventFD
    public let notices: BoundedQueue<PairNotice>
    public let noticeSignal: EventFD
    public let actuatorRequests: BoundedQueue<ActuatorRequest>
    public let actuatorRequestSignal: EventFD
    public let actuatorResults: BoundedQueue<ActuatorResult>
    public let actuatorResultSignal: EventFD

    private var core: PairCore
    private let paths: [PathIO]
    /// Per path: the socket that receives the frames other than heartbeats (dedicated links).
    private let urgentLinks: [RawEthernetLink?]
    /// Per path: the receive ring of a dedicated link's heartbeat socket (nil: read the socket,
    /// as until the set-up thread delivered the rings, and where the kernel refused one).
    private var heartbeatRings: [PacketReceiveRing?]
    /// The rings, from the thread that sets them up (`RingHandoff`); taken at a wake-up.
    private let ringHandoff = RingHandoff()
    private var ringsTaken = false
    private var ringSetup: PosixThread?
    private var startedAt = Instant.zero
    /// The heartbeats of one drain, handled in arrival order (capacity reserved at start).
    private var batch: [ReceivedHeartbeat] = []
    /// One path's pending heartbeats, read with one system call.
    private let received = StampedReceiveBatch(slotSize: 256, capacity: PairService.heartbeatDrainMax)
    /// Whether the timer fired in this wake-up.
    private var timerWoke = false
    /// The `now` of the latest step: a drained frame is never handled earlier than this.
    private var lastStepAt = Instant.zero
    /// At most this many frames are read from one heartbeat socket per wake-up (the mate sends
    /// one per interval; the rest of a flood waits for the next wake-up).
    static let heartbeatDrainMax = 8
    private let isolationIndex: CInt?
    private let epoll: Epoll
    private let timer: TimerFD
    private let monitor: LinkMonitor
    private let events = Epoll.EventBuffer(capacity: 16)
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    private let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 16)
    /// The pair's frame keys (`[cluster] key-file`): every frame sent carries the key's tag,
    /// and a frame received without a tag of either key is dropped and counted.
    private let authentication: PairAuthentication?
    /// Last carrier seen per path and for the isolation interface, to act on changes only.
    private var pathCarrier: [Bool]
    private var isolationCarrier = true
    private var running = false
    /// The core's `nextDeadline` after the last `handle`: the core changes only there, and
    /// reading the property of a struct held in a class would copy the whole core.
    private var nextDeadline = Instant(nanoseconds: .max)
    /// When the timer expires next, `.max` when it is disarmed.
    private var armedAt = Instant(nanoseconds: .max)
    /// The period the timer was armed with (`timerPeriod`, or `startingPoll` while starting).
    private var armedPeriod: DuplexCore.Duration
    /// The core's role is still `starting` (after the last `handle`, as `nextDeadline`).
    private var starting = true
    /// How often a starting board reads its heartbeat sockets. Heartbeats never wake the pair
    /// thread (they are read at each tick); while the board waits to hear its mate, a tick every
    /// millisecond lets it take its role (a restarted standby: its snapshot request) within a
    /// millisecond of the mate's first heartbeat instead of up to an interval later.
    static let startingPoll = DuplexCore.Duration.milliseconds(1)
    /// Until when a starting board reads them so often: the end of its discovery window (a
    /// board that waits longer for its mate, `standby-start-wait`, then ticks at its interval).
    private var startingPollEnds = Instant.zero
    private let discoveryWindow: DuplexCore.Duration
    /// The timer's period: the shortest heartbeat interval. Re-armed at each deadline, the
    /// timer keeps this period, so that the steady heartbeat cadence needs no `timerfd_settime`.
    private let timerPeriod: DuplexCore.Duration
    /// Notices that did not fit the queue (the control thread was too slow); never blocks.
    public private(set) var noticesDropped: UInt64 = 0
    public private(set) var sendErrors: UInt64 = 0
    private let watchdogFeed: WatchdogFeed?
    /// The shortest path timeout: a tick later than this after its deadline does not feed.
    private let stallThreshold: DuplexCore.Duration
    /// Set by `step` when the core reported a stall since the last tick.
    private var stalledInStep = false
    private var nextFeed = Instant(nanoseconds: 0)
    /// Keepalives written, skipped (late loop or failed critical component), and lost (the write failed).
    /// Lateness of the timer ticks since `latenessSince`.
    private var lateness: LatenessHistogram
    private var latenessSince = Instant.zero
    static let latenessReportPeriod = DuplexCore.Duration.seconds(10)
    public private(set) var watchdogFeeds: UInt64 = 0
    public private(set) var watchdogFeedsSkipped: UInt64 = 0
    public private(set) var watchdogFeedErrors: UInt64 = 0
    /// Whether the orderly stop disarmed the watchdog (false without one, or when the magic
    /// write failed: the watchdog then keeps running).
    public private(set) var watchdogDisarmed = false
    /// Run once on the pair thread, `settleDelay` after the loop starts (when the first role
    /// has been decided and the threads have done their first work): `duplexd` drops the
    /// read-only pages that start-up touched and locks memory there. It must not allocate.
    public var settleHook: (@Sendable () -> Void)?
    /// When `settleHook` runs, counted from the start of `run()`.
    public var settleDelay = DuplexCore.Duration.seconds(1)
    /// What this board's journals held at start: whether one was refused (damaged) and the
    /// sequence of the state loaded (`PairConfiguration.persistedStateDamaged` and
    /// `persistedSequence`, which start-up discovery weighs). Call before `run()`: it takes
    /// effect from the first frame.
    public func setPersistedState(damaged: Bool, sequence: UInt64) {
        var configuration = core.configuration
        configuration.persistedStateDamaged = damaged
        configuration.persistedSequence = sequence
        core = PairCore(configuration: configuration)
    }

    /// Sets how long the board waits alone for its mate at start
    /// (`PairConfiguration.aloneStartWindow`). Call before `run()`.
    public func setAloneStartWindow(_ window: Duration?) {
        var configuration = core.configuration
        configuration.aloneStartWindow = window
        core = PairCore(configuration: configuration)
    }

    static let timerToken: UInt64 = 1
    static let monitorToken: UInt64 = 2
    static let commandToken: UInt64 = 3
    static let resultToken: UInt64 = 4
    static let pathTokenBase: UInt64 = 100

    /// - Parameters:
    ///   - configuration: the core's configuration; `paths` must match its path count.
    ///   - isolationInterfaceIndex: the interface whose carrier is the isolation check, if any.
    ///   - watchdog: the hardware watchdog to feed from this thread, if any; disarmed (magic
    ///     close) when `run()` ends in an orderly stop, left running when it throws.
    public init(
        configuration: PairConfiguration, paths: [PathIO], isolationInterfaceIndex: CInt?,
        watchdog: WatchdogFeed? = nil, authentication: PairAuthentication? = nil
    ) throws(Errno) {
        self.authentication = authentication
        precondition(paths.count == configuration.paths.count, "one PathIO per configured path")
        core = PairCore(configuration: configuration)
        self.paths = paths
        self.isolationIndex = isolationInterfaceIndex
        pathCarrier = Array(repeating: true, count: paths.count)
        // A miss: a tick one full heartbeat interval late.
        lateness = LatenessHistogram(missThreshold: configuration.paths.map(\.interval).min() ?? .milliseconds(4))
        timerPeriod = configuration.paths.map(\.interval).min() ?? .milliseconds(4)
        armedPeriod = timerPeriod
        discoveryWindow = configuration.discoveryWindow
        stallThreshold = configuration.stallThreshold
        watchdogFeed = watchdog
        commands = BoundedQueue(capacity: 64)
        notices = BoundedQueue(capacity: Limits.traceRingMax)
        actuatorRequests = BoundedQueue(capacity: Limits.actuatorQueueMax)
        actuatorResults = BoundedQueue(capacity: Limits.actuatorQueueMax)
        commandSignal = try EventFD()
        noticeSignal = try EventFD()
        actuatorRequestSignal = try EventFD()
        actuatorResultSignal = try EventFD()
        epoll = try Epoll()
        timer = try TimerFD()
        monitor = try LinkMonitor()
        try epoll.add(timer.fileDescriptor, token: Self.timerToken)
        try epoll.add(monitor.fileDescriptor, token: Self.monitorToken)
        try epoll.add(commandSignal.fileDescriptor, token: Self.commandToken)
        try epoll.add(actuatorResultSignal.fileDescriptor, token: Self.resultToken)
        urgentLinks = try paths.map(Self.splitUrgentFrames)
        heartbeatRings = Array(repeating: nil, count: paths.count)
        for (index, urgent) in urgentLinks.enumerated() {
            guard let urgent else { continue }
            try epoll.add(urgent.fileDescriptor, token: Self.pathTokenBase + UInt64(index))
        }
        batch.reserveCapacity(paths.count * Self.heartbeatDrainMax)
        CRC32C.prepare()  // its tables are allocated here, not on the pair thread's first frame
        startRingSetup()
    }

    /// Sets up the dedicated links' receive rings on a thread of its own: each set-up waits
    /// for an RCU grace period (`packet_set_ring` always synchronises; about 10 ms here, the
    /// rings together), which the daemon's start then does not wait for. Until the pair thread
    /// takes them, it reads those sockets with `recvmmsg`; frames that arrive while a ring is
    /// being set up are dropped by the kernel (the socket is detached for the grace period),
    /// so a link's first heartbeats may come some milliseconds later, during discovery.
    /// Without a thread (`EAGAIN`) they are set up here.
    private func startRingSetup() {
        let links: [(path: Int, socket: CInt)] = paths.enumerated().compactMap { index, path in
            if case .ethernet(let link, _) = path { (index, link.fileDescriptor) } else { nil }
        }
        guard !links.isEmpty else { return }
        let handoff = ringHandoff
        let count = paths.count
        let setUp: @Sendable () -> Void = {
            var rings = [PacketReceiveRing?](repeating: nil, count: count)
            for ((index, _), result) in zip(links, PacketReceiveRing.open(sockets: links.map(\.socket))) {
                if case .success(let ring) = result { rings[index] = ring }  // refused: recvmmsg still works
            }
            handoff.deliver(rings, links: links.count)
        }
        do {
            ringSetup = try PosixThread.start(name: "duplex-rings", stackSize: 256 * 1024, setUp)
        } catch {
            setUp()
        }
    }

    /// Takes the rings once the set-up thread delivered them (one atomic load a wake-up until
    /// then) and tells the control thread.
    private func takeRings(now: Instant) {
        guard !ringsTaken, let (rings, links) = ringHandoff.take() else { return }
        ringsTaken = true
        heartbeatRings = rings
        // Frames queued on a socket before its ring existed would stay there unread: they are
        // a few milliseconds old, and the ring holds the ones after them.
        for (index, ring) in rings.enumerated() where ring != nil {
            guard case .ethernet(let link, _) = paths[index] else { continue }
            for _ in 0..<64 {
                guard let count = try? link.receive(into: received), count > 0 else { break }  // an error: nothing left
            }
        }
        ringSetup?.join()  // it has ended: it delivered
        ringSetup = nil
        notify(.heartbeatRings(ready: rings.count { $0 != nil }, links: links, after: now.since(startedAt)))
    }

    /// Turns on receive timestamps for the path's socket and, on a dedicated link, keeps only
    /// heartbeats on it and opens the companion socket for the other frames.
    private static func splitUrgentFrames(_ path: PathIO) throws(Errno) -> RawEthernetLink? {
        let heartbeat = PairFrame.Kind.heartbeat.rawValue
        switch path {
        case .ethernet(let link, _):
            try link.enableTimestamps()
            let urgent = try RawEthernetLink(interface: link.interface.name, etherType: link.etherType)
            try urgent.selectFrames(payloadByte: PairFrame.kindOffset, equal: false, to: heartbeat)
            try link.selectFrames(payloadByte: PairFrame.kindOffset, equal: true, to: heartbeat)
            return urgent
        case .udp(let link, _):
            try link.enableTimestamps()
            return nil
        }
    }

    deinit {
        ringSetup?.join()  // the set-up uses this service's sockets
        receiveBuffer.deallocate()
        sendBuffer.deallocate()
    }

    /// Runs the loop on the calling thread until the core's orderly stop completes.
    /// - Throws: `Errno` from epoll or the timer (a broken descriptor: the daemon must stop).
    public func run() throws(Errno) {
        running = true
        try monitor.requestDump()
        startedAt = MonotonicClock.now()
        startingPollEnds = startedAt + discoveryWindow
        step(.started, now: startedAt)
        var settleAt: Instant? = settleHook == nil ? nil : startedAt + settleDelay
        while running {
            if let at = settleAt, MonotonicClock.now() >= at {
                settleAt = nil
                settleHook?()
            }
            try arm()
            let ready = try epoll.wait(into: events, timeout: nil)
            // Heartbeats first: they arrived before anything this wake-up brings.
            drainHeartbeats()
            timerWoke = false
            for index in 0..<ready {
                try dispatch(events[index].token)
            }
            let now = MonotonicClock.now()
            // The timer's wake-up is a tick even when the heartbeats just read moved the deadline
            // on: a quiet standby sends its own heartbeat on it.
            if running, now >= nextDeadline || timerWoke {
                let deadline = nextDeadline
                recordLateness(now.since(deadline), now: now)
                step(.tick, now: now)
                feedWatchdog(now: now, onTime: !stalledInStep && now.since(deadline) <= stallThreshold)
                stalledInStep = false
            }
        }
        disarmWatchdog()
    }

    /// Counts how late this tick ran and hands the histogram to the control thread every
    /// `latenessReportPeriod` (a copy through the notice queue: no allocation, no logging here).
    private func recordLateness(_ lateness: DuplexCore.Duration, now: Instant) {
        self.lateness.record(lateness)
        if latenessSince == .zero { latenessSince = now }
        let period = now.since(latenessSince)
        guard period >= Self.latenessReportPeriod else { return }
        notify(.lateness(self.lateness, period: period))
        self.lateness.reset()
        latenessSince = now
    }

    /// Feeds the watchdog when a feed is due, this loop met its deadline and every critical
    /// component is healthy. One atomic load and at most one `write`; allocates nothing.
    private func feedWatchdog(now: Instant, onTime: Bool) {
        guard let feed = watchdogFeed, now >= nextFeed else { return }
        guard onTime, feed.criticalHealth.isHealthy else {
            watchdogFeedsSkipped &+= 1
            return
        }
        nextFeed = now + feed.interval
        if feed.watchdog.feed() { watchdogFeeds &+= 1 } else { watchdogFeedErrors &+= 1 }
    }

    /// The magic close, on the orderly stop only (a thrown error skips it: the device barks).
    private func disarmWatchdog() {
        guard let feed = watchdogFeed else { return }
        do throws(Errno) {
            try feed.watchdog.disarm()
            watchdogDisarmed = true
        } catch {
            watchdogDisarmed = false  // the device keeps running; the daemon logs it after the join
        }
    }

    private func arm() throws(Errno) {
        var deadline = nextDeadline
        var period = timerPeriod
        if starting, timerPeriod > Self.startingPoll {
            let now = MonotonicClock.now()
            if now < startingPollEnds {
                period = Self.startingPoll
                deadline = min(deadline, now + period)
            }
        }
        guard deadline != armedAt || period != armedPeriod else { return }
        armedAt = deadline
        armedPeriod = period
        if deadline.nanoseconds == .max {
            try timer.disarm()
        } else {
            try timer.arm(at: deadline, interval: period)
        }
    }

    /// Reads the timer and moves `armedAt` on by the periods that expired: the timer keeps
    /// running at `timerPeriod` until `arm` sets another deadline.
    private func timerExpired() throws(Errno) {
        let expirations = try timer.readExpirations()
        guard armedAt.nanoseconds != .max else { return }
        let (advance, overflow) = expirations.multipliedReportingOverflow(by: armedPeriod.nanoseconds)
        let (next, overflowNext) = armedAt.nanoseconds.addingReportingOverflow(advance)
        armedAt = Instant(nanoseconds: overflow || overflowNext ? .max - 1 : next)
    }

    private func dispatch(_ token: UInt64) throws(Errno) {
        switch token {
        case Self.timerToken:
            timerWoke = true
            try timerExpired()
        case Self.monitorToken:
            try drainMonitor()
        case Self.commandToken:
            _ = try commandSignal.drain()
            drainCommands()
        case Self.resultToken:
            _ = try actuatorResultSignal.drain()
            drainResults()
        default:
            let index = Int(token - Self.pathTokenBase)
            precondition(paths.indices.contains(index), "unknown epoll token")
            drainPath(index)
        }
    }

    /// Reads one urgent frame (handover, goodbye) from a dedicated link. The epoll registration
    /// is level-triggered, so a socket with more frames queued is reported again by the next
    /// `epoll_wait` (which does not block then); reading until `EAGAIN` instead would cost one
    /// more system call for each frame in the usual case of one frame per wake-up.
    private func drainPath(_ index: Int) {
        guard let link = urgentLinks[index] else { return }
        let length: Int
        do throws(Errno) {
            guard let received = try link.receive(into: receiveBuffer) else { return }
            length = received.length
        } catch {
            return  // a receive error (interface gone) ends this drain; carrier events follow
        }
        let bytes = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<min(length, receiveBuffer.count)])
        let now = MonotonicClock.now()
        switch PairFrame.decode(bytes, authentication: authentication) {
        case .success(let frame): step(.frameReceived(frame, path: index), now: now)
        case .failure(.unauthenticated): step(.frameUnauthenticated(path: index), now: now)
        case .failure: step(.frameMalformed(path: index), now: now)
        }
    }

    /// One frame read from a heartbeat socket: decoded (`nil`: malformed), and when it arrived.
    struct ReceivedHeartbeat {
        var frame: PairFrame?
        /// Without a frame: whether it was well formed but not authenticated (else malformed).
        var unauthenticated = false
        var path: Int
        var at: Instant
    }

    /// Reads every queued heartbeat (at most `heartbeatDrainMax` per path, one system call per
    /// path) and hands them to the core in the order they arrived, each at its kernel receive
    /// time.
    private func drainHeartbeats() {
        let monotonic = MonotonicClock.now()
        if !ringsTaken { takeRings(now: monotonic) }
        let realtime = RealtimeClock.nanoseconds()
        batch.removeAll(keepingCapacity: true)
        for index in paths.indices {
            let count: Int
            do throws(Errno) {
                switch paths[index] {
                case .ethernet(let link, _):
                    if let ring = heartbeatRings[index] {
                        count = ring.read(into: received)
                    } else {
                        count = try link.receive(into: received)
                    }
                case .udp(let link, _): count = try link.receive(into: received)
                }
            } catch {
                continue  // a receive error (interface gone) ends this path's drain; carrier events follow
            }
            for packet in 0..<count {
                let payload: UnsafeRawBufferPointer?
                switch paths[index] {
                case .ethernet(let link, _): payload = link.payload(in: received, at: packet)
                case .udp(let link, _): payload = link.payload(in: received, at: packet)
                }
                guard let payload else { continue }
                let at = arrival(stamp: received.receivedAt(packet), monotonic: monotonic, realtime: realtime)
                switch PairFrame.decode(payload, authentication: authentication) {
                case .success(let frame): batch.append(.init(frame: frame, path: index, at: at))
                case .failure(.unauthenticated): batch.append(.init(frame: nil, unauthenticated: true, path: index, at: at))
                case .failure: batch.append(.init(frame: nil, path: index, at: at))
                }
            }
        }
        guard batch.count > 1 else {
            if let first = batch.first { handle(first) }
            return
        }
        // Insertion sort by arrival: a handful of frames, and no allocation.
        for end in 1..<batch.count {
            var index = end
            while index > 0, batch[index].at < batch[index - 1].at {
                batch.swapAt(index, index - 1)
                index -= 1
            }
        }
        for index in batch.indices { handle(batch[index]) }
    }

    private func handle(_ heartbeat: ReceivedHeartbeat) {
        if let frame = heartbeat.frame {
            step(.frameReceived(frame, path: heartbeat.path), now: heartbeat.at)
        } else if heartbeat.unauthenticated {
            step(.frameUnauthenticated(path: heartbeat.path), now: heartbeat.at)
        } else {
            step(.frameMalformed(path: heartbeat.path), now: heartbeat.at)
        }
    }

    /// The monotonic time of a frame the kernel stamped at `stamp` (CLOCK_REALTIME), given both
    /// clocks read now. Never later than now, nor earlier than the latest step (so the core's
    /// time never runs backwards); without a stamp, or if the wall clock was stepped back, now.
    private func arrival(stamp: UInt64, monotonic: Instant, realtime: UInt64) -> Instant {
        guard stamp != 0, stamp <= realtime else { return max(monotonic, lastStepAt) }
        let age = realtime - stamp
        let at = monotonic.nanoseconds > age ? Instant(nanoseconds: monotonic.nanoseconds - age) : monotonic
        return max(at, lastStepAt)
    }

    private func drainMonitor() throws(Errno) {
        let summary = try monitor.drain { index, _, carrierUp in
            self.carrierSeen(index: index, up: carrierUp)
        }
        if summary.eventsLost { try monitor.requestDump() }
    }

    private func carrierSeen(index: CInt, up: Bool) {
        let now = MonotonicClock.now()
        for path in paths.indices where paths[path].interfaceIndex == index && pathCarrier[path] != up {
            pathCarrier[path] = up
            step(.carrierChanged(path: path, up: up), now: now)
            // The kernel rate-limits some link events; read the state once more to be sure.
            try? monitor.requestLink(index: index)  // best effort: the heartbeat timeout still detects
        }
        if index == isolationIndex, isolationCarrier != up {
            isolationCarrier = up
            step(.isolationChanged(ok: up), now: now)
        }
    }

    private func drainCommands() {
        for _ in 0..<64 {
            guard let command = commands.pop() else { return }
            let now = MonotonicClock.now()
            switch command {
            case .event(let event):
                step(event, now: now)
            case .status(let request):
                notify(.status(request: request, core.status))
            }
        }
    }

    private func drainResults() {
        for _ in 0..<Limits.actuatorQueueMax {
            guard let result = actuatorResults.pop() else { return }
            let now = MonotonicClock.now()
            switch result {
            case .claimed(let ok): step(.addressesClaimed(ok: ok), now: now)
            case .released(let ok): step(.addressesReleased(ok: ok), now: now)
            }
        }
    }

    /// Runs the core on one event and carries out its orders.
    private func step(_ event: PairEvent, now: Instant) {
        lastStepAt = max(lastStepAt, now)
        let actions = core.handle(event, now: now)
        nextDeadline = core.nextDeadline
        starting = core.role == .starting
        // Address orders first: moving the address is on the failover's critical path, the
        // heartbeats sent in the same step are not. By index: `for action in actions` would
        // copy the whole inline action buffer.
        var actuate = false
        for index in 0..<actions.count {
            switch actions[index] {
            case .claimAddresses(let epoch): actuate = actuatorRequests.push(.claim(epoch: epoch)) || actuate
            case .releaseAddresses: actuate = actuatorRequests.push(.release) || actuate
            case .announceAddresses: actuate = actuatorRequests.push(.announce) || actuate
            default: continue
            }
        }
        // An eventfd write never blocks (the counter saturates long before it matters).
        if actuate { _ = try? actuatorRequestSignal.signal() }
        var notified = false
        for index in 0..<actions.count {
            switch actions[index] {
            case .send(let frame, let path):
                send(frame, path: path)
            case .claimAddresses, .releaseAddresses, .announceAddresses:
                continue
            case .reply(let request, let outcome):
                notified = push(.reply(request: request, outcome)) || notified
            case .trace(let trace):
                if case .stallDetected = trace { stalledInStep = true }
                notified = push(.trace(trace, at: now)) || notified
            case .stop:
                running = false
                notified = push(.stopped) || notified
            }
        }
        if notified { _ = try? noticeSignal.signal() }  // see above on eventfd writes
    }

    private func push(_ notice: PairNotice) -> Bool {
        if notices.push(notice) { return true }
        noticesDropped &+= 1
        return false
    }

    private func notify(_ notice: PairNotice) {
        if push(notice) { _ = try? noticeSignal.signal() }  // see `step` on eventfd writes
    }

    private func send(_ frame: PairFrame, path: Int) {
        do throws(Errno) {
            switch paths[path] {
            case .ethernet(let link, let destination):
                let payload = UnsafeMutableRawBufferPointer(
                    rebasing: sendBuffer[RawEthernetLink.headerLength..<sendBuffer.count])
                let length = frame.encode(into: payload, authentication: authentication)
                _ = try link.sendFrame(sendBuffer, payloadLength: length, to: destination)
            case .udp(let link, _):
                let length = frame.encode(into: sendBuffer, authentication: authentication)
                _ = try link.send(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<length]))
            }
        } catch {
            sendErrors &+= 1  // the interface is down or gone: the frame is lost, as on a wire
        }
    }
}

/// Hands the heartbeat rings from the thread that sets them up to the pair thread: written
/// once, before `ready` is released; read once, after it was acquired.
final class RingHandoff: @unchecked Sendable {
    // @unchecked Sendable: `rings` and `links` are written by one thread before the release
    // store of `ready` and read by another only after an acquiring load saw it set.
    private var rings: [PacketReceiveRing?] = []
    private var links = 0
    private let ready = Atomic<Bool>(false)

    func deliver(_ rings: [PacketReceiveRing?], links: Int) {
        precondition(!ready.load(ordering: .relaxed), "delivered once")
        self.rings = rings
        self.links = links
        ready.store(true, ordering: .releasing)
    }

    /// The rings and the number of links they were set up for, once delivered.
    func take() -> ([PacketReceiveRing?], Int)? {
        guard ready.load(ordering: .acquiring) else { return nil }
        return (rings, links)
    }
}
