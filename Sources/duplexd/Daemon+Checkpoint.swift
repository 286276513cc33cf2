import DuplexCore
import DuplexLinux
import Glibc
import Logging

/// Builds the checkpoint service and starts its thread (SCHED_FIFO just below the pair thread
/// when real-time priorities are configured: a synchronous write's latency is on its path).
/// Its readiness goes to the pair thread as `PairEvent.readinessChanged`. With replication
/// to a mate and a `takeover-barrier`, the barrier the actuator waits for before a claim.
func startCheckpointService(
    _ configuration: Configuration, pair: PairService, logger: Logger
) throws -> (service: CheckpointService, thread: PosixThread, barrier: CheckpointBarrier?) {
    var replication = ReplicationConfiguration(
        incarnation: UInt32.random(in: 1...UInt32.max), syncPolicy: configuration.checkpoint.syncPolicy)
    replication.syncPolicy = configuration.checkpoint.syncPolicy
    let paths = ReplicationTransport.Path.paths(of: configuration)
    // Segments only once the mate's frames say its build reassembles them (see observe).
    let transport = paths.isEmpty ? nil : try ReplicationTransport(paths: paths, segmenting: false)
    // Snapshot chunks that fit one datagram of the links: never IP fragments (see chunkSizeMax).
    if let transport { replication.chunkSizeMax = ReplicationConfiguration.chunkSize(fitting: transport.datagramPayloadMax) }
    // Consecutive updates share a message that fits one datagram (one header, checksum and step each).
    if let transport { replication.batchSizeMax = ReplicationConfiguration.batchSize(fitting: transport.datagramPayloadMax) }
    // Only persistent checkpoints are kept anywhere else (the journal): no `.apply` for the others.
    replication.reportsTransientApplies = false
    let journal: CheckpointJournal?
    do {
        journal = try CheckpointJournal(directory: configuration.checkpoint.directory)
    } catch {
        // A board without its journal directory still serves: its checkpoints are not persistent.
        logger.error(
            "cannot create the checkpoint journal directory; persistent checkpoints are kept in memory only",
            metadata: ["duplex.directory": "\(configuration.checkpoint.directory)", "duplex.error": "\(error)"])
        journal = nil
    }
    let service = try CheckpointService(
        configuration: replication, socketPath: configuration.checkpoint.socketPath, logger: logger,
        transport: transport, linkNames: configuration.links.map(\.name), journal: journal,
        onReadinessChanged: { hot in
            if pair.commands.push(.event(.readinessChanged(hot: hot))) { _ = try? pair.commandSignal.signal() }  // cannot block
        })
    // Before its thread starts: whether this start waits longer for the mate (see applyLastRole).
    service.startedBehindMate = markerBehindMate(configuration, checkpoints: service)  // reads the marker
    service.replicaInHugePages = configuration.checkpoint.hugePages
    service.sharedMemorySessions = configuration.checkpoint.sharedMemory
    let priority = Int32(configuration.pair.realtimePriority)
    let thread = try PosixThread.start(name: "duplex-ckpt", stackSize: 1024 * 1024) {
        if priority > 1, case .failure(let error) = RealTime.setFIFOPriority(priority - 1) {
            logger.warning("cannot use SCHED_FIFO for the checkpoint thread; going on", metadata: ["duplex.error": "\(error)"])
        }
        do {
            try service.run()
        } catch {
            logger.critical("checkpoint thread failed; exiting so that the mate takes over", metadata: ["duplex.error": "\(error)"])
            exit(1)
        }
    }
    let timeout = configuration.checkpoint.takeoverBarrier
    let barrier = transport == nil || timeout == .zero ? nil : try CheckpointBarrier(service: service, timeout: timeout, logger: logger)
    logger.notice("checkpoint service started", metadata: [
        "duplex.socket": "\(configuration.checkpoint.socketPath)", "duplex.syncPolicy": "\(configuration.checkpoint.syncPolicy)",
        "duplex.replicationPaths": "\(paths.map(\.description))", "duplex.chunkSize": "\(replication.chunkSizeMax)", "duplex.takeoverBarrier": "\(barrier?.timeout.description ?? "none")",
    ])
    return (service, thread, barrier)
}

/// A board whose mate may be ahead of its persistent checkpoints (it last held them as a
/// standby, or as the active while its mate was in reach: the marker) waits `[checkpoint]
/// standby-start-wait` for its mate before it starts alone: the mate may hold writes made
/// after this board left. Only with persistent state loaded.
func applyLastRole(_ configuration: Configuration, checkpoints: CheckpointService, pair: PairService, logger: Logger) {
    guard let marker = checkpoints.startedBehindMate else { return }
    let wait = configuration.checkpoint.standbyStartWait
    pair.setAloneStartWindow(wait)
    let held = marker == .standby ? "as a standby" : "as the active while the mate could take over"
    logger.notice(
        "persistent checkpoints were last held \(held): waiting for the mate before starting alone",
        metadata: ["duplex.wait": "\(wait)", "duplex.sequence": "\(checkpoints.journalSequence)"])
}

/// The marker, when the journals hold persistent state that the mate may be ahead of and the
/// configured wait for the mate is longer than the discovery window; nil otherwise.
func markerBehindMate(_ configuration: Configuration, checkpoints: CheckpointService) -> LastRoleMarker.Role? {
    guard checkpoints.journalSequence > 0, configuration.checkpoint.standbyStartWait > configuration.pair.discoveryWindow,
        let marker = LastRoleMarker(directory: configuration.checkpoint.directory).read(), marker.mateMayBeAhead
    else { return nil }
    return marker
}
