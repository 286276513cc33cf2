import DuplexCore
import DuplexLinux
import Glibc
import Logging

/// Builds the services from the configuration, starts the pair and actuator threads and runs
/// the control plane on this thread until the orderly stop completes.
func runDaemon(configuration: Configuration, authentication: PairAuthentication?, logger: Logger) throws {
    ChecksumAcceleration.install()  // first: no other thread computes a checksum yet
    try SignalFD.block(SignalFD.terminationSignals)
    let signals = try SignalFD()
    let startedAt = MonotonicClock.now()
    let criticalHealth = CriticalHealth()
    let watchdog = try watchdogFeed(configuration, criticalHealth: criticalHealth, logger: logger)
    let pair = try PairService(
        configuration: pairConfiguration(configuration, logger: logger),
        paths: try configuration.links.map(pathIO),
        isolationInterfaceIndex: try configuration.pair.isolationInterface.map { try NetworkInterface(named: $0).index },
        watchdog: watchdog, authentication: authentication)
    if let keys = configuration.authentication {
        logger.notice("pair frames authenticated (HMAC-SHA-256)", metadata: [
            "duplex.keyFile": "\(keys.keyFile)", "duplex.previousKeyFile": "\(keys.previousKeyFile ?? "none")",
        ])
    }
    let actuator = try ActuatorService(
        addresses: configuration.addresses.map(actuatorAddress),
        announceCount: configuration.announce.count, announceInterval: configuration.announce.interval,
        virtualRefreshCount: configuration.announce.virtualRefreshCount,
        virtualRefreshInterval: configuration.announce.virtualRefreshInterval,
        refreshInterval: configuration.announce.refreshInterval,
        pair: pair, logger: logger)
    let supervisor = try SupervisorService(
        components: configuration.components, supervisor: configuration.supervisor,
        socketPath: configuration.control.socketPath, logger: logger, criticalHealth: criticalHealth,
        onSwitchover: { _ in
            // A critical component failed on the active board: the pair hands over at once.
            if pair.commands.push(.event(.failureReported)) { _ = try? pair.commandSignal.signal() }  // cannot block
        },
        onQuiesced: { request, followUp in
            // The components confirmed their quiesce (or timed out): the switchover, the lock
            // or the orderly stop's handover goes to the pair.
            let command: PairCommand
            switch followUp {
            case .switchover(let force): command = .event(.switchoverRequested(force: force, request: request))
            case .lock: command = .event(.lockRequested(force: false, request: request))
            case .stop: command = .event(.shutdownRequested)
            }
            if pair.commands.push(command) { _ = try? pair.commandSignal.signal() }  // cannot block
        })
    let checkpoints = try startCheckpointService(configuration, pair: pair, logger: logger)
    // Before the pair thread starts: start-up discovery weighs what the journals held.
    pair.setPersistedState(damaged: checkpoints.service.journalRefused, sequence: checkpoints.service.journalSequence)
    applyLastRole(configuration, checkpoints: checkpoints.service, pair: pair, logger: logger)
    actuator.claimBarrier = checkpoints.barrier  // before the actuator thread starts
    let listener = try UnixListener(path: configuration.control.socketPath)
    let control = try ControlService(
        configuration: configuration, pair: pair, actuator: actuator, listener: listener, signals: signals,
        logger: logger, startedAt: startedAt, supervisor: supervisor)
    control.watchdog = watchdog

    let priority = Int32(configuration.pair.realtimePriority)
    let pairLogger = logger
    let actuatorThread = try PosixThread.start(name: "duplex-actuator", stackSize: 512 * 1024) {
        // Moving the address is on the failover's critical path too: real-time, just below
        // the pair thread, so that neither a busy board nor a CLI start delays it.
        if priority > 1, case .failure(let error) = RealTime.setFIFOPriority(priority - 1) {
            pairLogger.warning("cannot use SCHED_FIFO for the actuator; going on", metadata: ["duplex.error": "\(error)"])
        }
        actuator.run()
    }
    let supervisorLogger = logger
    let supervisorThread = try PosixThread.start(name: "duplex-supervise", stackSize: 512 * 1024) {
        do {
            try supervisor.run()
        } catch {
            supervisorLogger.critical("supervisor thread failed; exiting", metadata: ["duplex.error": "\(error)"])
            exit(1)
        }
    }
    logger.notice("duplexd started", metadata: [
        "duplex.boardID": "\(configuration.board.id)", "duplex.cluster": "\(configuration.clusterID)",
        "duplex.links": "\(configuration.links.count)", "duplex.socket": "\(configuration.control.socketPath)",
        "duplex.components": "\(configuration.components.count)",
    ])
    if priority > 0 { tellKernelPreemption(logger: logger) }
    // Once the first role is decided and every thread has done its first work, the pair thread
    // drops the read-only pages that start-up touched (configuration parsing, thread and service
    // set-up, the start-up log, the first role change), so that only what runs afterwards comes
    // back into memory, and then locks memory (MCL_ONFAULT: what is touched from then on stays).
    // Until then memory is not locked: a board that is starting has no deadline yet to miss.
    pair.settleDelay = configuration.pair.discoveryWindow + .seconds(1)
    pair.settleHook = {
        _ = RealTime.trimStartupPages()  // best effort: an error only costs memory
        if priority > 0 { _ = RealTime.lockMemory() }  // best effort, as at start before
    }
    _ = try PosixThread.start(name: "duplex-pair", stackSize: 512 * 1024) {
        // Set up before the loop: after this the thread neither allocates nor logs.
        if priority > 0, case .failure(let error) = RealTime.setFIFOPriority(priority) {
            pairLogger.warning("cannot use SCHED_FIFO; going on with normal scheduling", metadata: ["duplex.error": "\(error)"])
        }
        do {
            try pair.run()
            if configuration.pair.watchdogDevice != nil, !pair.watchdogDisarmed {
                pairLogger.warning("cannot disarm the hardware watchdog; it will reset the board")
            }
        } catch {
            pairLogger.critical("pair thread failed; exiting so that the mate takes over", metadata: ["duplex.error": "\(error)"])
            exit(1)
        }
    }
    // systemd (Type=notify): ready now; WATCHDOG=1 while the pair thread answers (WatchdogSec).
    let notifier = SystemdNotifier()
    notifier?.notify("READY=1")
    if let notifier, notifier.watchdogInterval != nil {
        let liveness = control.pairLiveness
        _ = try PosixThread.start(name: "duplex-sdnotify", stackSize: 128 * 1024) {
            notifier.superviseWatchdog(pair: pair, liveness: liveness)
        }
    }
    // The control thread shares the notice and command queues with the pair thread. At the
    // normal priority, busy processes could preempt it inside one of those short critical
    // sections and hold the pair thread up for a whole scheduler slice (seen: 14 ms, a false
    // takeover under load). The lowest real-time priority is enough to rule that out. It is set
    // after the other threads exist, so none of them (nor the supervisor's children) inherits it.
    if priority > 1, case .failure(let error) = RealTime.setFIFOPriority(1) {
        logger.warning("cannot use SCHED_FIFO for the control thread; going on", metadata: ["duplex.error": "\(error)"])
    }
    control.checkpoints = checkpoints.service
    control.lastRoleMarker = LastRoleMarker(directory: configuration.checkpoint.directory)
    try control.run()
    notifier?.notify("STOPPING=1")
    checkpoints.service.post(.stop)
    checkpoints.thread.join()
    // The pair has handed over (or timed out): stop the components, dependents first.
    supervisor.post(.stop)
    supervisorThread.join()
    actuatorThread.join()
    logger.notice("duplexd stopped")
}

/// Opens the configured hardware watchdog (which starts it) and picks the feed interval: a
/// quarter of the device's timeout, at least the shortest heartbeat interval.
func watchdogFeed(
    _ configuration: Configuration, criticalHealth: CriticalHealth, logger: Logger
) throws -> PairService.WatchdogFeed? {
    guard let path = configuration.pair.watchdogDevice else { return nil }
    let watchdog = try HardwareWatchdog(path: path, timeout: configuration.pair.watchdogTimeout)
    let heartbeat = configuration.links.map(\.interval).min() ?? configuration.pair.interval
    let interval = max(watchdog.timeout / 4, heartbeat)
    logger.notice("hardware watchdog armed", metadata: [
        "duplex.path": "\(path)", "duplex.timeout": "\(watchdog.timeout)", "duplex.feedInterval": "\(interval)",
        "duplex.setsTimeout": "\(watchdog.setsTimeout)",
    ])
    return PairService.WatchdogFeed(watchdog: watchdog, interval: interval, criticalHealth: criticalHealth)
}

func pairConfiguration(_ configuration: Configuration, logger: Logger) -> PairConfiguration {
    PairConfiguration(
        cluster: configuration.clusterID, board: configuration.board.id, priority: configuration.board.priority,
        incarnation: incarnation(board: configuration.board.id, logger: logger),
        paths: configuration.links.map {
            .init(interval: $0.interval, missedHeartbeatsMax: UInt64($0.missedMax))
        },
        discoveryWindow: configuration.pair.discoveryWindow, preempt: configuration.pair.preempt,
        handoverTimeout: configuration.pair.handoverTimeout, heartbeats: configuration.pair.heartbeats,
        standbyInterval: configuration.pair.standbyInterval ?? (configuration.links.map(\.interval).min() ?? configuration.pair.interval) * 4)
}

/// The incarnation of this start: one more than the previous start's, kept in
/// `/var/lib/duplex/incarnation-BOARD`, so that the mate can tell late frames of a previous
/// start from a restart (serial-number order). Without a writable state directory, the
/// wall-clock time in 1/16 s stands in (it too grows from one start to the next).
///
/// The file is read, counted on and written under an exclusive lock (`flock`): two daemons
/// with one board id that start together on one filesystem (a misconfigured pair in the lab)
/// once both read the same count and took the same incarnation, so each took the other's
/// frames for reflections of its own and both became active instead of failing.
func incarnation(board: UInt16, logger: Logger) -> UInt32 {
    let directory = "/var/lib/duplex"
    let path = "\(directory)/incarnation-\(board)"
    _ = mkdir(directory, 0o755)  // EEXIST is fine; the open below reports the rest
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    if fd >= 0 {
        defer { close(fd) }  // which releases the lock
        if flock(fd, LOCK_EX) == 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            let text = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
            let previous = UInt32(text.split(separator: "\n").first ?? "") ?? 0
            var next = previous &+ 1
            if next == 0 { next = 1 }
            let line = "\(next)\n"
            let written = line.withCString { pwrite(fd, $0, strlen($0), 0) }
            if written == line.utf8.count, ftruncate(fd, off_t(line.utf8.count)) == 0, fsync(fd) == 0 { return next }
        }
    }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let sixteenths = UInt64(now.tv_sec) &* 16 &+ UInt64(now.tv_nsec) / 62_500_000
    logger.warning("cannot keep the incarnation; using the wall clock", metadata: ["duplex.path": "\(path)"])
    return max(1, UInt32(truncatingIfNeeded: sixteenths))
}

func pathIO(_ link: Configuration.Link) throws -> PairService.PathIO {
    switch link.transport {
    case .ethernet(let ethernet):
        let raw = try RawEthernetLink(interface: ethernet.interface, etherType: ethernet.etherType)
        return .ethernet(raw, destination: ethernet.destination)
    case .udp(let udp):
        let socket = try UDPLink(local: udp.local, peer: udp.peer, device: udp.interface)
        return .udp(socket, interfaceIndex: try udp.interface.map { try NetworkInterface(named: $0).index })
    }
}

/// Tells the operator how the kernel preempts kernel code for the real-time pair thread: a
/// warning when another process's system calls can hold it off (see `KernelPreemption`).
func tellKernelPreemption(logger: Logger) {
    var names = utsname()
    uname(&names)
    let version = withUnsafeBytes(of: &names.version) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let preemption = KernelPreemption.judge(
        realtimeFlag: readTextFile("/sys/kernel/realtime"), debugfsMode: readTextFile("/sys/kernel/debug/sched/preempt"),
        commandLine: readTextFile("/proc/cmdline"), version: version)
    if preemption.holdsOffRealTime {
        logger.warning(
            "the kernel may hold the real-time pair thread off while other processes run kernel code; boot it with preempt=full or use a PREEMPT_RT kernel",
            metadata: ["duplex.preemption": "\(preemption)"])
    } else {
        logger.info("kernel preemption", metadata: ["duplex.preemption": "\(preemption)"])
    }
}

/// A configured logical address as the actuator carries it out.
func actuatorAddress(_ address: Configuration.LogicalAddress) -> ActuatorService.Address {
    var virtual: ActuatorService.Virtual?
    if let configured = address.virtual {
        virtual = ActuatorService.Virtual(name: configured.name, parent: address.interface, mac: configured.mac.octets)
    }
    return ActuatorService.Address(prefix: "\(address.address)", interface: address.carrier, virtual: virtual)
}
