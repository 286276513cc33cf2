public import DuplexCore
public import Logging
import Glibc
public import SystemPackage

/// The control plane on the daemon's main thread: the Unix control socket, termination
/// signals, and the pair thread's notices (traces become log lines and event history).
/// Nothing here is on the heartbeat path; it may allocate and log.
public final class ControlService {
    struct Client {
        var decoder = ControlFrameDecoder()
    }

    enum Pending {
        case status(CInt)
        case command(CInt)
    }

    let configuration: Configuration
    private let pair: PairService
    private let actuator: ActuatorService
    /// The supervisor thread, told of role changes and asked for `duplexctl components`.
    let supervisor: SupervisorService?
    /// The hardware watchdog, for `duplexctl watchdog`; set by the daemon before `run()`.
    public var watchdog: PairService.WatchdogFeed?
    /// When the pair thread last answered a liveness probe (systemd's `WatchdogSec`).
    public let pairLiveness = PairLiveness()
    private let listener: UnixListener
    private let signals: SignalFD
    let logger: Logger
    let startedAt: Instant
    private let epoll: Epoll
    private let events = Epoll.EventBuffer(capacity: 32)
    private var clients: [CInt: Client] = [:]
    private var pending: [UInt32: Pending] = [:]
    private var nextRequest: UInt32 = 1
    var history: [EventRecord] = []
    var epochSeen: UInt64 = 0
    /// The checkpoint thread, told of role and path changes; set by the daemon before `run()`.
    public var checkpoints: CheckpointService?
    /// Where the role this board holds is kept for its next start (`LastRoleMarker`); nil: not
    /// kept. Set before `run()`.
    public var lastRoleMarker: LastRoleMarker?
    private var lastRoleMarked: LastRoleMarker.Role?
    /// The role and the paths up (the mate is in reach on any), from the pair's traces, for
    /// the marker.
    private var markedRole: Role?
    private var markedPathsUp: Set<Int> = []
    private var stopDeadline: Instant?
    private var stopped = false

    static let listenerToken: UInt64 = 1
    static let signalToken: UInt64 = 2
    static let noticeToken: UInt64 = 3
    static let clientTokenBase: UInt64 = 1 << 32

    public init(
        configuration: Configuration, pair: PairService, actuator: ActuatorService,
        listener: UnixListener, signals: SignalFD, logger: Logger, startedAt: Instant,
        supervisor: SupervisorService? = nil
    ) throws(Errno) {
        self.configuration = configuration
        self.pair = pair
        self.actuator = actuator
        self.supervisor = supervisor
        self.listener = listener
        self.signals = signals
        self.logger = logger
        self.startedAt = startedAt
        epoll = try Epoll()
        try epoll.add(listener.fileDescriptor, token: Self.listenerToken)
        try epoll.add(signals.fileDescriptor, token: Self.signalToken)
        try epoll.add(pair.noticeSignal.fileDescriptor, token: Self.noticeToken)
    }

    /// Serves until the pair's orderly stop completes (after SIGTERM/SIGINT) or its deadline.
    public func run() throws(Errno) {
        while !stopped {
            let timeout: DuplexCore.Duration? = stopDeadline.map { $0.since(MonotonicClock.now()) + .milliseconds(1) }
            let ready = try epoll.wait(into: events, timeout: timeout)
            for index in 0..<ready {
                try dispatch(events[index].token)
            }
            if let stopDeadline, MonotonicClock.now() >= stopDeadline {
                logger.warning("orderly stop timed out; exiting")
                stopped = true
            }
        }
        waitForActuator()
    }

    private func dispatch(_ token: UInt64) throws(Errno) {
        switch token {
        case Self.listenerToken:
            try acceptClients()
        case Self.signalToken:
            while let signal = try signals.next() { requestStop(signal: signal) }
        case Self.noticeToken:
            _ = try pair.noticeSignal.drain()
            drainNotices()
        default:
            serve(CInt(truncatingIfNeeded: token - Self.clientTokenBase))
        }
    }

    private func requestStop(signal: CInt) {
        guard stopDeadline == nil else { return }
        logger.notice("orderly stop requested", metadata: ["duplex.signal": "\(signal)"])
        // Active components quiesce first, as for an operator switchover (each confirms, or its
        // quiesce timeout passes); the supervisor then asks the pair to hand over and stop.
        let quiesce = configuration.components.map(\.quiesceTimeout).max() ?? .zero
        stopDeadline = MonotonicClock.now() + quiesce + configuration.pair.handoverTimeout + .seconds(2)
        if let supervisor {
            supervisor.post(.quiesce(request: SupervisorService.shutdownRequest, then: .stop))
        } else {
            post(.event(.shutdownRequested))
        }
    }

    private func waitForActuator() {
        for _ in 0..<200 where !actuator.idle {
            usleep(10_000)
        }
        usleep(20_000)  // the last request popped may still be in progress
        actuator.stop()
    }

    private func post(_ command: PairCommand) {
        if pair.commands.push(command) {
            _ = try? pair.commandSignal.signal()  // an eventfd write cannot block
        } else {
            logger.error("pair command queue full; request dropped")
        }
    }

    // MARK: - Clients

    private func acceptClients() throws(Errno) {
        while let fd = try listener.accept() {
            guard clients.count < Limits.controlClientsMax else {
                logger.warning("too many control clients; connection refused")
                close(fd)
                continue
            }
            clients[fd] = Client()
            try epoll.add(fd, token: Self.clientTokenBase + UInt64(UInt32(bitPattern: fd)))
        }
    }

    private func drop(_ fd: CInt) {
        try? epoll.remove(fd)  // the descriptor is closed next, which removes it anyway
        close(fd)
        clients[fd] = nil
    }

    private func serve(_ fd: CInt) {
        guard var client = clients[fd] else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count <= 0 {
            if count < 0, errno == EAGAIN || errno == EINTR { return }
            return drop(fd)
        }
        buffer.withUnsafeBytes { client.decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        clients[fd] = client
        for _ in 0..<8 {
            do throws(ControlProtocolError) {
                guard let frame = try clients[fd]?.decoder.nextFrame() else { return }
                handle(try ControlRequest.decode(frame), from: fd)
            } catch {
                logger.info("bad control request", metadata: ["duplex.error": "\(error)"])
                respond(fd, .error(ControlErrorReply(code: .badRequest, message: "\(error)")))
                return drop(fd)
            }
        }
    }

    private func handle(_ request: ControlRequest, from fd: CInt) {
        let id = nextRequest
        nextRequest &+= 1
        if nextRequest == PairLiveness.probeRequest || nextRequest == SupervisorService.shutdownRequest {
            nextRequest = 1  // reserved for liveness probes and the quiesce before an orderly stop
        }
        switch request {
        case .status:
            pending[id] = .status(fd)
            post(.status(request: id))
        case .events(let limit):
            absorbCheckpointRecords()
            respond(fd, .events(Array(history.suffix(max(0, min(limit, history.count))))))
        case .switchover(let force):
            pending[id] = .command(fd)
            if let supervisor {
                // The components quiesce first; the supervisor then posts the switchover.
                supervisor.post(.quiesce(request: id, then: .switchover(force: force)))
            } else {
                post(.event(.switchoverRequested(force: force, request: id)))
            }
        case .lock:
            pending[id] = .command(fd)
            if let supervisor {
                // As for a switchover: the components quiesce, then the lock goes to the pair.
                supervisor.post(.quiesce(request: id, then: .lock))
            } else {
                post(.event(.lockRequested(force: false, request: id)))
            }
        case .unlock:
            pending[id] = .command(fd)
            post(.event(.unlockRequested(request: id)))
        case .components:
            respond(fd, .components(componentReports()))
        case .checkpoints:
            respond(fd, checkpointResponse(nil))
        case .checkpoint(let name):
            respond(fd, checkpointResponse(name))
        case .resync:
            respond(fd, resyncResponse())
        case .component(let command, let name):
            respond(fd, componentCommand(command, name: name))
        case .watchdog:
            respond(fd, .watchdog(watchdogReport()))
        }
    }

    private func respond(_ fd: CInt, _ response: ControlResponse) {
        guard clients[fd] != nil else { return }
        let bytes: [UInt8]
        do throws(ControlProtocolError) {
            bytes = try response.encode()
        } catch {
            logger.error("cannot encode control response", metadata: ["duplex.error": "\(error)"])
            let reply = ControlErrorReply(code: .internalError, message: "the answer does not fit a message: \(error)")
            guard let fallback = try? ControlResponse.error(reply).encode() else { return drop(fd) }  // cannot happen: a short error always fits
            bytes = fallback
        }
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent != bytes.count { drop(fd) }
    }

    // MARK: - Notices from the pair thread

    /// Keeps the role in `lastRoleMarker` when it is active or standby and differs from the
    /// one written last (an `fsync` or two, on this thread: off the pair's and the
    /// checkpoints' paths). For the active, whether its mate is in reach is part of it.
    private func markRole() {
        guard let marker = lastRoleMarker, let role = markedRole,
            let value = LastRoleMarker.Role(role, mateInReach: !markedPathsUp.isEmpty)
        else { return }
        guard value != lastRoleMarked else { return }
        do {
            try marker.write(value)
            lastRoleMarked = value
        } catch {
            logger.warning("cannot write the last-role marker", metadata: ["duplex.path": "\(marker.path)", "duplex.error": "\(error)"])
        }
    }

    private func drainNotices() {
        for _ in 0..<Limits.traceRingMax {
            guard let notice = pair.notices.pop() else { return }
            switch notice {
            case .trace(let trace, let at):
                // The checkpoint thread first: a mate that just came holds a snapshot request
                // there until this news arrives, and the marker's `fsync` takes milliseconds.
                if let checkpoints, trace.concernsCheckpoints { checkpoints.post(.pairTrace(trace)) }
                switch trace {
                case .roleChanged(_, let to, _, _):
                    supervisor?.post(.roleChanged(to))
                    markedRole = to
                    markRole()
                case .pathChanged(let path, let up, _):
                    if up { markedPathsUp.insert(path) } else { markedPathsUp.remove(path) }
                    markRole()
                default:
                    break
                }
                record(trace, at: at)
            case .reply(let request, let outcome):
                if let supervisor, case .refused = outcome { supervisor.post(.answered(request: request, refused: true)) }
                guard case .command(let fd) = pending.removeValue(forKey: request) else { continue }
                switch outcome {
                case .done: respond(fd, .ok)
                case .refused(let refusal):
                    respond(fd, .error(ControlErrorReply(code: .refused, message: refusal.description)))
                }
            case .status(let request, let status):
                if request == PairLiveness.probeRequest { pairLiveness.answered(at: MonotonicClock.now()) }
                guard case .status(let fd) = pending.removeValue(forKey: request) else { continue }
                respond(fd, .status(report(status)))
            case .stopped:
                logger.notice("orderly stop complete")
                stopped = true
            case .heartbeatRings(let ready, let links, let after):
                let metadata: Logger.Metadata = ["duplex.rings": "\(ready)", "duplex.links": "\(links)", "duplex.after": "\(after)"]
                if ready == links {
                    logger.info("heartbeat receive rings in use", metadata: metadata)
                } else {
                    logger.warning("heartbeat receive rings refused on some links; those are read with recvmmsg", metadata: metadata)
                }
            case .lateness(let histogram, let period):
                logger.info("heartbeat timer lateness", metadata: [
                    "duplex.ticks": "\(histogram.count)", "duplex.period": "\(period)",
                    "duplex.p50": "\(histogram.quantile(0.5))", "duplex.p99": "\(histogram.quantile(0.99))",
                    "duplex.max": "\(histogram.max)", "duplex.misses": "\(histogram.misses)",
                ])
            }
        }
    }
}
