import DuplexCore
import DuplexLinux
import Glibc
import Logging

/// Builds the services from the configuration, starts the pair and actuator threads and runs
/// the control plane on this thread until the orderly stop completes.
func runDaemon(configuration: Configuration, logger: Logger) throws {
    try SignalFD.block(SignalFD.terminationSignals)
    let signals = try SignalFD()
    let startedAt = MonotonicClock.now()
    let pair = try PairService(
        configuration: pairConfiguration(configuration, startedAt: startedAt),
        paths: try configuration.links.map(pathIO),
        isolationInterfaceIndex: try configuration.pair.isolationInterface.map { try NetworkInterface(named: $0).index })
    let actuator = try ActuatorService(
        addresses: configuration.addresses.map { .init(prefix: "\($0.address)", interface: $0.interface) },
        announceCount: configuration.announce.count, announceInterval: configuration.announce.interval,
        pair: pair, logger: logger)
    let listener = try UnixListener(path: configuration.control.socketPath)
    let control = try ControlService(
        configuration: configuration, pair: pair, actuator: actuator, listener: listener, signals: signals,
        logger: logger, startedAt: startedAt)

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
    _ = try PosixThread.start(name: "duplex-pair", stackSize: 512 * 1024) {
        // Set up before the loop: after this the thread neither allocates nor logs.
        if case .failure(let error) = RealTime.trimStartupPages() {
            pairLogger.info("cannot trim start-up pages; going on", metadata: ["duplex.error": "\(error)"])
        }
        if priority > 0 {
            if case .failure(let error) = RealTime.lockMemory() {
                pairLogger.warning("cannot lock memory; going on", metadata: ["duplex.error": "\(error)"])
            }
            if case .failure(let error) = RealTime.setFIFOPriority(priority) {
                pairLogger.warning("cannot use SCHED_FIFO; going on with normal scheduling", metadata: ["duplex.error": "\(error)"])
            }
        }
        do {
            try pair.run()
        } catch {
            pairLogger.critical("pair thread failed; exiting so that the mate takes over", metadata: ["duplex.error": "\(error)"])
            exit(1)
        }
    }
    logger.notice("duplexd started", metadata: [
        "duplex.boardID": "\(configuration.board.id)", "duplex.cluster": "\(configuration.clusterID)",
        "duplex.links": "\(configuration.links.count)", "duplex.socket": "\(configuration.control.socketPath)",
    ])
    try control.run()
    actuatorThread.join()
    logger.notice("duplexd stopped")
}

func pairConfiguration(_ configuration: Configuration, startedAt: Instant) -> PairConfiguration {
    PairConfiguration(
        cluster: configuration.clusterID, board: configuration.board.id, priority: configuration.board.priority,
        incarnation: incarnation(startedAt: startedAt),
        paths: configuration.links.map {
            .init(interval: $0.interval, missedHeartbeatsMax: UInt64($0.missedMax))
        },
        discoveryWindow: configuration.pair.discoveryWindow, preempt: configuration.pair.preempt,
        handoverTimeout: configuration.pair.handoverTimeout)
}

/// A number that differs between two starts of the daemon (SplitMix64 finaliser over the
/// start time and the process id).
func incarnation(startedAt: Instant) -> UInt32 {
    var z = startedAt.nanoseconds &+ (UInt64(UInt32(bitPattern: getpid())) << 40) &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return UInt32(truncatingIfNeeded: z ^ (z >> 31))
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
