import DuplexCore
import Logging
import Glibc

extension ControlService {
    /// Logs one trace of the pair thread and keeps the operator-relevant ones as history.
    func record(_ trace: PairTrace, at: Instant) {
        let time = wallClock(of: at)
        switch trace {
        case .roleChanged(let from, let to, let reason, let epoch):
            self.epochSeen = epoch
            let metadata: Logger.Metadata = [
                "duplex.from": "\(from)", "duplex.to": "\(to)", "duplex.reason": "\(reason)",
                "duplex.epoch": "\(epoch)",
            ]
            let failover = to == .active && [.mateLost, .mateNotActive, .handoverTimeout].contains(reason)
            logger.log(level: failover || to == .separated ? .warning : .notice, "role changed", metadata: metadata)
            remember(time, "role", "\(from) -> \(to): \(reason)", epoch: epoch)
        case .pathChanged(let path, let up, let reason):
            let name = configuration.links[path].name
            logger.log(level: up ? .info : .warning, up ? "path up" : "path down", metadata: [
                "duplex.link": "\(name)", "duplex.reason": "\(reason)",
            ])
            remember(time, "path", "\(name) \(up ? "up" : "down"): \(reason)", epoch: epochSeen)
        case .pathsDegraded(let up, let total):
            logger.warning("heartbeat redundancy degraded", metadata: ["duplex.pathsUp": "\(up)", "duplex.pathsTotal": "\(total)"])
            remember(time, "alarm", "heartbeat redundancy degraded: \(up) of \(total) paths up", epoch: epochSeen)
        case .pathsRestored:
            logger.info("heartbeat redundancy restored")
            remember(time, "alarm", "heartbeat redundancy restored: every path up", epoch: epochSeen)
        case .frameRejected(let path, let reason):
            logger.debug("frame rejected", metadata: ["duplex.link": "\(path)", "duplex.reason": "\(reason)"])
        case .actuationFailed(let claim, let attempt):
            logger.error("actuation failed", metadata: ["duplex.claim": "\(claim)", "duplex.attempt": "\(attempt)"])
            remember(time, "alarm", "\(claim ? "claim" : "release") of the logical addresses failed (attempt \(attempt))", epoch: epochSeen)
        case .dualActiveResolved(let won, let mateEpoch):
            logger.warning("dual active resolved", metadata: ["duplex.won": "\(won)", "duplex.mateEpoch": "\(mateEpoch)"])
            remember(time, "mate", "both boards were active; this board \(won ? "kept" : "released") the role (mate epoch \(mateEpoch))", epoch: epochSeen)
        case .stallDetected(let gap):
            logger.warning("pair thread stalled", metadata: ["duplex.gap": "\(gap)"])
            remember(time, "alarm", "this board stalled for \(gap)", epoch: epochSeen)
        case .mateRestarted(let board):
            logger.notice("mate restarted", metadata: ["duplex.mate": "\(board)"])
            remember(time, "mate", "mate board \(board) restarted", epoch: epochSeen)
        case .boardIDConflict(let path, let incarnation):
            let name = configuration.links[path].name
            logger.error("another board uses this board's id; fix [board] id on one of them", metadata: [
                "duplex.board": "\(configuration.board.id)", "duplex.link": "\(name)", "duplex.incarnation": "\(incarnation)",
            ])
            remember(time, "alarm", "another board (incarnation \(incarnation)) uses this board's id \(configuration.board.id) on \(name)", epoch: epochSeen)
        case .timingMismatch(let path, let interval, let missed):
            let link = configuration.links[path]
            let own = "\(link.interval) x \(link.missedMax)"
            logger.warning("the mate's heartbeat timing differs from this board's; configure the same on both", metadata: [
                "duplex.link": "\(link.name)", "duplex.mate": "\(interval) x \(missed)", "duplex.own": "\(own)",
            ])
            remember(time, "alarm", "the mate's heartbeat timing on \(link.name) is \(interval) x \(missed), this board's \(own): configure the same on both", epoch: epochSeen)
        case .mateCapabilities(let capabilities):
            let missing = PairFrame.Capabilities.thisBuild.subtracting(capabilities)
            guard !missing.isEmpty else { return }
            logger.notice("the mate's build lacks features of this one (a rolling upgrade?); both boards do without them", metadata: [
                "duplex.mateCapabilities": "\(capabilities.rawValue)", "duplex.missing": "\(missing.rawValue)",
            ])
        }
    }

    /// Moves the checkpoint thread's events into the history, in time order.
    func absorbCheckpointRecords() {
        guard let records = checkpoints?.takeRecords(), !records.isEmpty else { return }
        for record in records { remember(record.time, record.kind, record.message, epoch: record.epoch) }
        history.sort { $0.time < $1.time }
    }

    private func remember(_ time: UInt64, _ kind: String, _ message: String, epoch: UInt64) {
        if history.count >= Limits.eventHistoryMax { history.removeFirst(history.count - Limits.eventHistoryMax + 1) }
        history.append(EventRecord(time: time, kind: kind, message: message, epoch: epoch))
    }

    /// Converts a monotonic instant of the pair thread to wall-clock nanoseconds since 1970.
    func wallClock(of instant: Instant) -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let wall = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        return wall - min(wall, MonotonicClock.now().since(instant).nanoseconds)
    }

    /// Builds the operator's status report from the core's snapshot and the configuration.
    func report(_ status: PairStatus) -> StatusReport {
        let now = MonotonicClock.now()
        let mate = status.mate.map {
            MateReport(
                boardID: $0.board, role: $0.role, unitState: $0.role.unitState, epoch: $0.epoch,
                priority: $0.priority, lastHeardAgo: $0.lastHeardAt.map { now.since($0) } ?? .zero)
        }
        let paths = zip(configuration.links, status.paths).map { link, path in
            let kind: PathReport.Kind = if case .ethernet = link.transport { .ethernet } else { .udp }
            return PathReport(
                name: link.name, kind: kind, interface: link.interface ?? "-", isUp: path.up,
                hasCarrier: path.carrierUp, roundTripTime: path.rtt,
                lastHeardAgo: path.lastHeardAt.map { now.since($0) }, framesSent: path.framesSent,
                framesReceived: path.framesReceived, framesRejected: path.framesRejected)
        }
        let addresses = configuration.addresses.map {
            AddressReport(name: $0.name, address: $0.address, interface: $0.carrier, isHeld: status.addressesHeld)
        }
        let change = status.lastRoleChange.map {
            RoleChangeReport(ago: now.since($0.at), from: $0.from, to: $0.to, reason: $0.reason.description)
        }
        return StatusReport(
            clusterID: configuration.clusterID, boardID: configuration.board.id, name: configuration.board.name,
            role: status.role, unitState: status.role.unitState, epoch: status.epoch,
            priority: configuration.board.priority, uptime: now.since(startedAt), mate: mate, paths: paths,
            addresses: addresses, lastRoleChange: change,
            counters: .init(
                malformedFrames: status.counters.framesMalformed, foreignFrames: status.counters.framesForeign,
                heartbeatGaps: status.counters.heartbeatGaps, rotating: status.rotating,
                quiet: status.quiet, unauthenticatedFrames: status.counters.framesUnauthenticated),
            checkpoints: checkpoints?.status.report)
    }
}
