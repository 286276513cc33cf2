public import DuplexCore
public import Logging
public import SystemPackage
import Synchronization
import Glibc

/// The checkpoint thread of `duplexd`: one epoll loop over the checkpoint socket (processes
/// of the board, speaking the session protocol of `SessionHeader`, on the socket or, once a
/// process moved its session there, in shared rings whose doorbells are in the loop too:
/// `SessionRings`, `SessionRingMapping`), a timerfd armed at the
/// replication core's deadline, and an eventfd for commands from the control thread (role
/// changes, mate reachability, `duplexctl` queries). It owns the board's `ReplicationCore`:
/// the store on the active, the replica on the standby.
///
/// Replication to the mate goes through a `ReplicationTransport` over the dedicated links
/// (`replication` keys of `[link NAME]`). Without one there is no mate: the core then refuses
/// synchronous writes (sync policy `fail`) or completes them locally (`degrade`).
public final class CheckpointService: @unchecked Sendable {
    // @unchecked Sendable: `commands`, `commandSignal`, `published` and `records` are thread-safe; every
    // other stored property is touched only by the thread that runs `run()` (before that,
    // only by the thread that built the service).

    /// Orders from other threads.
    public enum Command: Sendable {
        /// The pair protocol changed this board's role.
        case roleChanged(Role, epoch: UInt64)
        /// The pair protocol found the mate reachable (some path up) or lost it.
        case mateReachable(Bool)
        /// A trace of the pair thread: role and path changes are turned into the two above.
        case pairTrace(PairTrace)
        /// A question from the control thread; the answer goes into the reply.
        case query(CheckpointQuery, CheckpointReply)
        /// The takeover barrier (actuator thread, before the logical addresses of `epoch` are
        /// added): apply what the mate sent, take over, answer `token`.
        case takeover(epoch: UInt64, token: UInt64, barrier: CheckpointBarrier)
        /// Ends `run()`.
        case stop
    }

    public let commands = BoundedQueue<Command>(capacity: 256)
    public let commandSignal: EventFD
    public let socketPath: String

    var core: ReplicationCore
    let transport: ReplicationTransport?
    /// For each pair path (every `[link]`, in order): its transport path, if it has one.
    let transportPaths: [Int?]
    let logger: Logger
    let onReadinessChanged: @Sendable (Bool) -> Void
    let listener: UnixListener
    let epoll: Epoll
    let timer: TimerFD
    let events = Epoll.EventBuffer(capacity: 64)
    let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var clients: [UInt32: SessionClient] = [:]
    var nextSerial: UInt32 = 1
    /// Clients with bytes to send after this wake-up.
    var dirty: Set<UInt32> = []
    /// Clients with whole frames buffered that the last wake-up did not serve.
    var resumeLater: Set<UInt32> = []
    /// A write the core refused because the window to the mate was full: taken again at
    /// `.windowOpened`; until then no client request is read.
    var stalled: StalledWrite?
    /// The instant the timer is armed at; `.max` when it is not (it fired, or none was due).
    var armedAt = Instant(nanoseconds: .max)
    var pathsUp: Set<Int> = []
    var running = false
    /// The last wake-up sent something to the mate.
    var sentToMate = false
    /// Standby: `core.waitedUpdatesTaken` when last seen, when it last grew, and whether the
    /// last wake-up took such an update shortly after the one before (a synchronous writer
    /// on the active that writes again at once).
    var waitedUpdatesSeen: UInt64 = 0
    var waitedUpdateAt = Instant.zero
    var waitedUpdatesFlowing = false
    /// This thread's `SCHED_FIFO` priority at the start of `run` (nil: another policy).
    var fifoPriority: Int32?
    /// The last status published for other threads.
    let published: Mutex<CheckpointServiceStatus>
    /// Operator events (losses of state, discarded writes) for `duplexctl events`, oldest
    /// first, at most ``Limits/eventHistoryMax``; taken by the control thread.
    let records = Mutex<[EventRecord]>([])
    /// The update being handed to the core, kept in case the window is full.
    var submitting: (request: UInt64, update: CheckpointUpdate, sync: Bool)?
    /// The epoch of the last takeover carried out by the barrier (role traces of older epochs
    /// arriving after it are stale).
    var barrierEpoch: UInt64 = 0
    /// Creations of checkpoints waiting for the mate (sync when it is hot), by request: the
    /// name for the answer, which comes in a later wake-up.
    var opening: [UInt64: String] = [:]
    /// The key order of the checkpoint iterated last (`sections(of:after:countMax:)`), kept
    /// while its key set and the replica stay the same: sorted once, not once per page.
    var keyOrder: KeyOrder?
    /// The journals of the persistent checkpoints (`[checkpoint] directory`), nil for none.
    let journal: CheckpointJournal?
    /// A checkpoint that is not persistent and has no journal, as of its last update (see
    /// `keepJournal`).
    var transientCheckpoint: String?
    /// The checkpoint name of the last write request decoded (see `SessionRequest.init`).
    var lastName: String?
    /// Whether loading the journals at start refused one (damaged) or could not read them:
    /// this board holds less than it persisted (set in `init`, read-only after).
    public internal(set) var journalRefused = false
    /// The sequence of the persistent state the journals held at start (0: none; set in
    /// `init`, read-only after).
    public internal(set) var journalSequence: UInt64 = 0
    /// While a client's frames are served: the clock reading their steps share (refreshed
    /// every `servingClockFrames` frames), instead of one reading per write.
    var servingNow: Instant?
    /// What the marker (`LastRoleMarker`) said at start when the mate may be ahead of the
    /// persistent state loaded (a standby, or an active with its mate in reach): a first role
    /// of active taken without the mate is recorded as such (set by the daemon before `run`).
    public var startedBehindMate: LastRoleMarker.Role?
    /// Whether a replica a snapshot builds gets room in huge pages first (`[checkpoint]
    /// huge-pages`; set by the daemon before `run`).
    public var replicaInHugePages = false
    /// Whether a process may move its session into shared rings (`[checkpoint] shared-memory`).
    public var sharedMemorySessions = true
    /// The storage of the last step's actions, emptied, for the next step (nil while a step runs).
    var spareActions: ReplicationActions? = ReplicationActions()
    /// Frames served per clock reading.
    static let servingClockFrames = 64

    static let listenerToken: UInt64 = 1
    static let timerToken: UInt64 = 2
    static let commandToken: UInt64 = 3
    static let transportToken: UInt64 = 4
    /// Datagrams read from the transport per wake-up.
    static let receiveBatchMax = 256
    static let clientTokenBase: UInt64 = 1 << 32
    /// The doorbells of sessions in shared rings: this plus the client's serial.
    static let ringTokenBase: UInt64 = 2 << 32

    /// - Parameters:
    ///   - configuration: the replication core's settings (sync policy, timers, window).
    ///   - socketPath: the Unix socket processes connect to (mode 0600, root only).
    ///   - transport: the replication transport to the mate, nil for none.
    ///   - linkNames: the pair's paths in order (`[link NAME]`): a path change of the pair
    ///     marks the transport path of the same name up or down.
    ///   - onReadinessChanged: called on this thread when the replica becomes hot or stops
    ///     being hot; the daemon passes it to the pair (`PairEvent.readinessChanged`). Must
    ///     not block. With a transport, the first call (not hot) comes from `run()`.
    ///   - journal: the journals of persistent checkpoints: loaded here (the store starts
    ///     from them), then kept in step with every update.
    /// - Throws: `Errno` from the socket, epoll, timerfd or eventfd.
    public init(
        configuration: ReplicationConfiguration, socketPath: String, logger: Logger,
        transport: ReplicationTransport? = nil, linkNames: [String] = [],
        journal: CheckpointJournal? = nil,
        onReadinessChanged: @escaping @Sendable (Bool) -> Void = { _ in }
    ) throws(Errno) {
        core = ReplicationCore(configuration: configuration)
        // Until the mate's pair frames tell what its build does (`observe`), a snapshot goes in
        // key order, which every build assembles.
        core.mateTakesUnorderedSnapshots = false
        self.journal = journal
        self.transport = transport
        transportPaths = linkNames.map { name in transport?.paths.firstIndex { $0.name == name } }
        self.socketPath = socketPath
        self.logger = logger
        self.onReadinessChanged = onReadinessChanged
        published = Mutex(CheckpointServiceStatus(syncPolicy: configuration.syncPolicy))
        commandSignal = try EventFD()
        listener = try UnixListener(path: socketPath)
        epoll = try Epoll()
        timer = try TimerFD()
        try epoll.add(listener.fileDescriptor, token: Self.listenerToken)
        try epoll.add(timer.fileDescriptor, token: Self.timerToken)
        try epoll.add(commandSignal.fileDescriptor, token: Self.commandToken)
        if let transport { try epoll.add(transport.fileDescriptor, token: Self.transportToken) }
        loadJournal()
    }

    deinit {
        for client in clients.values { close(client.fd) }
        receiveBuffer.deallocate()
    }

    /// Queues a command for the checkpoint thread; never blocks.
    /// - Returns: false when the queue is full (the command is dropped).
    @discardableResult
    public func post(_ command: Command) -> Bool {
        guard commands.push(command) else { return false }
        _ = try? commandSignal.signal()  // an eventfd write never blocks; saturated means a wake-up is pending
        return true
    }

    /// The status as last published by the checkpoint thread (any thread).
    public var status: CheckpointServiceStatus {
        published.withLock { $0 }
    }

    /// Runs the loop on the calling thread until `.stop`.
    /// - Throws: `Errno` from epoll or the timer (a broken descriptor: the daemon must stop).
    public func run() throws(Errno) {
        running = true
        fifoPriority = RealTime.fifoPriority
        // The pair assumes a hot replica until told otherwise; with a mate to replicate from,
        // this board is not hot before its first snapshot.
        if transport != nil { onReadinessChanged(false) }
        publish()
        while running {
            try arm()
            let ready = try waitForEvents()
            for index in 0..<ready {
                try dispatch(events[index].token, events[index].events)
            }
            serveLater()
            let now = MonotonicClock.now()
            if core.waitedUpdatesTaken != waitedUpdatesSeen {
                waitedUpdatesSeen = core.waitedUpdatesTaken
                waitedUpdatesFlowing = now.since(waitedUpdateAt) <= Self.standbySpinGap
                waitedUpdateAt = now
            }
            if now >= core.nextDeadline {
                step(.tick)
            }
            syncJournal()  // before any answer or acknowledgement leaves
            if let transport { sentToMate = transport.flush().sent > 0 }  // a full buffer drops; the core retransmits
            flushClients()
            publish()
        }
    }

    /// How long the thread polls for the mate's acknowledgement of a synchronous update
    /// before it sleeps (measured: 40 µs took the median sync write from about 86 to 66 µs in
    /// the lab, the p99 no worse).
    static let syncSpin = Duration(nanoseconds: 40_000)

    /// How long a standby's thread polls for the mate's next update after acknowledging one
    /// that a synchronous writer waits for, while such updates come at most `standbySpinGap`
    /// apart (a writer that writes again at once; sparse writes never poll). The next update
    /// then finds the thread awake instead of waking it: the lab's median sync write went
    /// from about 63 to 38 µs (the p99 did not move). The poll costs the standby board's CPU,
    /// which a standby has to spare, and only while synchronous writes flow back to back.
    static let standbySpin = Duration(nanoseconds: 150_000)
    static let standbySpinGap = Duration(nanoseconds: 1_000_000)

    /// Waits for the next events. While a synchronous request waits for the mate and this
    /// wake-up sent to it, the mate's acknowledgement is due within tens of microseconds:
    /// the wait polls for up to `syncSpin` (yielding the CPU between polls) before it
    /// sleeps, sparing a wake-up of this thread on the answer's path. An idle service never
    /// polls.
    private func waitForEvents() throws(Errno) -> Int {
        let blocking = resumeLater.isEmpty || stalled != nil
        guard blocking else { return try epoll.wait(into: events, timeout: .zero) }
        if sentToMate, core.pendingCount > 0 {
            sentToMate = false
            if let ready = try poll(for: Self.syncSpin) { return ready }
        } else if sentToMate, waitedUpdatesFlowing {
            // Standby: acknowledged an update a synchronous writer waits for, and the one before
            // came just before it: the next is due within a round trip of the writer. Polled at
            // the normal priority: under SCHED_FIFO `sched_yield` yields to real-time threads
            // only, and a process woken on this CPU (a line-card process; in the lab, the writer
            // itself) would wait for the whole poll (measured: a cluster of writes at +180 µs
            // with a 150 µs poll under SCHED_FIFO).
            sentToMate = false
            waitedUpdatesFlowing = false
            if fifoPriority != nil, case .failure = RealTime.setNormalScheduling() { fifoPriority = nil }
            defer {
                if let priority = fifoPriority, case .failure = RealTime.setFIFOPriority(priority) {
                    fifoPriority = nil  // stays at the normal priority; the pair thread is unaffected
                }
            }
            if let ready = try poll(for: Self.standbySpin) { return ready }
        }
        return try epoll.wait(into: events, timeout: nil)
    }

    /// Polls the epoll set without sleeping, yielding the CPU between polls, for up to
    /// `duration`; returns the (positive) ready count of the poll that found events, nil if
    /// none did.
    private func poll(for duration: Duration) throws(Errno) -> Int? {
        let end = MonotonicClock.now() + duration
        for _ in 0..<10_000 {
            let ready = try epoll.wait(into: events, timeout: .zero)
            if ready > 0 { return ready }
            if MonotonicClock.now() >= end { break }
            sched_yield()
        }
        return nil
    }

    private func dispatch(_ token: UInt64, _ ready: Epoll.Events) throws(Errno) {
        switch token {
        case Self.listenerToken:
            try acceptClients()
        case Self.timerToken:
            _ = try timer.readExpirations()
            armedAt = Instant(nanoseconds: .max)
        case Self.commandToken:
            _ = try commandSignal.drain()
            drainCommands()
        case Self.transportToken:
            receiveFromMate()
        case Self.ringTokenBase...:
            ringRang(UInt32(truncatingIfNeeded: token - Self.ringTokenBase))
        default:
            let serial = UInt32(truncatingIfNeeded: token - Self.clientTokenBase)
            if ready.contains(.writable) { writeOut(serial) }
            if ready.contains(.readable) || ready.contains(.hangUp) || ready.contains(.error) { readIn(serial) }
        }
    }

    /// Serves frames left buffered by an earlier wake-up.
    private func serveLater() {
        guard stalled == nil, !resumeLater.isEmpty else { return }
        let serials = resumeLater
        resumeLater.removeAll(keepingCapacity: true)
        for serial in serials {
            if clients[serial]?.rings != nil { ringRang(serial) } else { serveFrames(serial) }
        }
    }

    /// Arms the timer for the core's next deadline, lazily: a timer armed at most
    /// `timerSlack` before that deadline stays armed (at worst it wakes the thread that much
    /// early, once, and the loop arms it for the deadline then), and one that is no longer
    /// needed is left to fire once. A synchronous write moved the active's deadline twice
    /// (sent: the tail probe, 2 ms on; acknowledged: none) and every acknowledgement the
    /// standby's (its keepalive): a `timerfd_settime` each, which reprograms the CPU's timer,
    /// on a VM through the hypervisor. Writes that keep coming move the deadline on steadily:
    /// the timer is armed again once per `timerSlack` of it, before it fires (a timer left at
    /// the first write's probe woke the thread every 2 ms in the middle of writes, and the
    /// p99 of sync writes rose with it).
    private func arm() throws(Errno) {
        let deadline = core.nextDeadline
        guard deadline.nanoseconds != .max else { return }
        if deadline >= armedAt, deadline.nanoseconds - armedAt.nanoseconds <= Self.timerSlack.nanoseconds { return }
        armedAt = deadline
        try timer.arm(at: deadline)
    }

    /// How much earlier than the core's deadline the timer may stay armed (see `arm`).
    static let timerSlack = Duration(nanoseconds: 500_000)

    private func drainCommands() {
        for _ in 0..<commands.capacity {
            guard let command = commands.pop() else { return }
            switch command {
            case .roleChanged(let role, let epoch):
                step(.roleChanged(role, epoch: epoch))
            case .mateReachable(let reachable):
                step(.mateReachable(reachable))
            case .pairTrace(let trace):
                observe(trace)
            case .query(let query, let reply):
                reply.deliver(answer(query))
            case .takeover(let epoch, let token, let barrier):
                takeOverBeforeClaim(epoch: epoch)
                barrier.answer(token)
            case .stop:
                running = false
            }
        }
    }

    /// Hands what the mate sent to the core (collected first: the core's answers go back
    /// through the same transport).
    /// - Returns: the number of datagrams read.
    @discardableResult
    func receiveFromMate() -> Int {
        guard let transport else { return 0 }
        var received: [ReplicationEvent] = []
        var total = 0
        // In slices of one receive batch, each answered at once: the acks of the first slice
        // reach the mate (and reopen its window) while this thread applies the next, instead
        // of all after the whole batch.
        let slice = ReplicationTransport.receiveBatchMax
        for _ in 0..<(Self.receiveBatchMax / slice) {
            // Datagrams, those of trains taken whole included: the bound of one wake-up's work.
            guard total < Self.receiveBatchMax else { break }
            received.removeAll(keepingCapacity: true)
            let count = transport.receiveAll(max: slice) { _, event in received.append(event) }
            // One clock reading per 64 messages, not one per message (a datagram packs up to
            // 68 small updates at MTU 9000: the reading was 2 % of the standby's thread).
            var now = MonotonicClock.now()
            for (index, event) in received.enumerated() {
                if index % 64 == 63 { now = MonotonicClock.now() }
                step(event, now: now)
            }
            total += count
            guard count >= slice else { break }  // drained
            syncJournal()
            _ = transport.flush()  // a full buffer drops; the core retransmits
        }
        return total
    }

    /// Role changes and mate reachability from the pair thread's traces.
    private func observe(_ trace: PairTrace) {
        switch trace {
        case .roleChanged(_, let to, _, let epoch):
            // The barrier took over for a newer epoch: this trace was overtaken on its way.
            guard epoch >= barrierEpoch else { return }
            // What the old active sent before it failed is applied before the takeover.
            if to == .active { drainFromMate() }
            step(.roleChanged(to, epoch: epoch))
            noteRole(to)
        case .pathChanged(let path, let up, let reason):
            let wasReachable = !pathsUp.isEmpty
            if up { pathsUp.insert(path) } else { pathsUp.remove(path) }
            if let transport, transportPaths.indices.contains(path), let index = transportPaths[path] {
                if up {
                    transport.markUp(path: index)
                } else {
                    transport.markDown(path: index, reason: reason == .carrierLost ? .carrierLost : .mateSilent)
                }
            }
            // Without a replication path the mate's replica cannot be reached: the core is
            // never told of a mate it would ask for snapshots in vain.
            if transport != nil, wasReachable != !pathsUp.isEmpty { step(.mateReachable(!pathsUp.isEmpty)) }
        case .mateCapabilities(let capabilities):
            // Large messages go as segments only to a mate that puts them back together; an
            // older build gets them as IP fragments, as before.
            transport?.segmenting = capabilities.contains(.reassemblesSegments)
            core.mateResumesStreams = capabilities.contains(.resumesStreams)
            core.mateTakesUnorderedSnapshots = capabilities.contains(.takesUnorderedSnapshots)
        default:
            break
        }
    }

    /// Runs the core on one event and carries out its orders.
    func step(_ event: ReplicationEvent, now: Instant? = nil) {
        // The actions' storage is reused from step to step; a step that an action starts
        // (a stalled write resumed) takes a new one.
        var actions = spareActions ?? ReplicationActions()
        spareActions = nil
        core.handle(event, now: now ?? servingNow ?? MonotonicClock.now(), into: &actions)
        for index in actions.indices {
            perform(actions[index])  // borrowed in place
        }
        actions.removeAll()
        spareActions = actions
    }

    private func perform(_ action: ReplicationAction) {
        switch action {
        case .send(let message):
            transport?.enqueue(message)  // sent by `flush` at the end of the wake-up
        case .complete(let request, let outcome):
            complete(request, outcome)
        case .apply, .replaceReplica:
            keepJournal(action)
        case .readinessChanged(let hot):
            onReadinessChanged(hot)
        case .windowOpened:
            resumeStalled()
        case .prepareReplica(let sections, let bytes):
            prepareReplica(sections: sections, bytes: bytes)
        case .trace(let trace):
            log(trace)
        }
    }

    /// Copies the figures other threads read (one short lock per wake-up).
    private func publish() {
        let progress = core.progress
        var status = CheckpointServiceStatus(syncPolicy: core.configuration.syncPolicy)
        status.role = core.role
        status.progress = progress
        status.isHot = core.isHot
        status.mateIsHot = core.mateIsHot
        status.mateLag = core.mateLag
        status.mateReachable = core.mateReachable
        status.checkpoints = core.store.count
        status.sections = core.store.sectionCount
        status.bytes = core.store.size
        status.sequence = core.store.sequence
        status.clients = clients.count
        status.window = core.windowCount
        status.pending = core.pendingCount
        status.writesRefused = core.counters.writesRefused
        status.counters = core.counters
        status.isReplicated = transport != nil
        published.withLock { $0 = status }
    }
}

/// What other threads can read about the checkpoint service (`duplexctl status`).
public struct CheckpointServiceStatus: Sendable, Hashable {
    public var role: Role = .starting
    public var syncPolicy: ReplicationConfiguration.SyncPolicy
    /// Standby: where the replica stands.
    public var progress = ReplicationProgress()
    /// Standby: the replica is hot.
    public var isHot = false
    /// Active: the mate's replica is hot.
    public var mateIsHot = false
    /// Active: updates not yet applied on the mate (nil without a mate that installed a snapshot).
    public var mateLag: UInt64?
    public var mateReachable = false
    public var checkpoints = 0
    public var sections = 0
    public var bytes = 0
    /// The store's (or replica's) sequence.
    public var sequence: UInt64 = 0
    /// Connected processes.
    public var clients = 0
    /// Active: updates sent to the mate and not yet acknowledged.
    public var window = 0
    /// Active: requests waiting for the mate.
    public var pending = 0
    public var writesRefused: UInt64 = 0
    /// The replication core's counters.
    public var counters = ReplicationCore.Counters()
    /// Whether the service has a replication path to the mate.
    public var isReplicated = true

    public init(syncPolicy: ReplicationConfiguration.SyncPolicy) {
        self.syncPolicy = syncPolicy
    }
}
