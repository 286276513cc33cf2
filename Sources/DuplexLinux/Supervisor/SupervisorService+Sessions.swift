import DuplexCore
import Glibc
import Logging
import SystemPackage

/// One connection on the component socket (a process that links the `Duplex` library).
struct ComponentSession {
    var decoder = ControlFrameDecoder()
    /// The component it registered as; nil until it registered.
    var component: Int?
    /// The last role sent to it.
    var sentRole: Role?
    /// Sent `quiescing` for the switchover being prepared and not confirmed yet.
    var awaitingQuiesce = false
}

extension SupervisorService {
    /// Sessions at once: two per component (a component may reconnect before its old
    /// connection is seen closed).
    static let sessionsMax = 2 * Limits.componentsMax

    func acceptSessions() {
        for _ in 0..<Self.sessionsMax {
            let accepted: CInt?
            do throws(Errno) {
                accepted = try componentListener.accept()
            } catch {
                return logger.warning("cannot accept a component session", metadata: ["duplex.error": "\(error)"])
            }
            guard let fd = accepted else { return }
            guard sessions.count < Self.sessionsMax else {
                logger.warning("too many component sessions; connection refused")
                close(fd)
                continue
            }
            do throws(Errno) {
                try epoll.add(fd, token: Self.sessionTokenBase + UInt64(UInt32(bitPattern: fd)))
            } catch {
                close(fd)
                continue
            }
            sessions[fd] = ComponentSession()
        }
    }

    func dropSession(_ fd: CInt) {
        guard sessions.removeValue(forKey: fd) != nil else { return }
        try? epoll.remove(fd)  // closed next, which removes it anyway
        close(fd)
        if quiescing != nil { checkQuiesce() }
    }

    /// Closes every session of component `index` (its process ended).
    func endSessions(of index: Int) {
        for (fd, session) in sessions where session.component == index { dropSession(fd) }
    }

    func serveSession(_ fd: CInt) {
        guard sessions[fd] != nil else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT)) }
        if count <= 0 {
            if count < 0, errno == EAGAIN || errno == EINTR { return }
            return dropSession(fd)
        }
        buffer.withUnsafeBytes { sessions[fd]?.decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        // A 4 KiB read holds at most 512 empty frames (8-byte headers).
        for _ in 0..<512 {
            do throws(ControlProtocolError) {
                guard let frame = try sessions[fd]?.decoder.nextFrame() else { return }
                handle(try ComponentMessage.decode(frame), on: fd)
            } catch {
                logger.info("bad component message; session closed", metadata: ["duplex.error": "\(error)"])
                return dropSession(fd)
            }
        }
    }

    private func handle(_ message: ComponentMessage, on fd: CInt) {
        guard let session = sessions[fd] else { return }
        if case .register(let name, let pid) = message {
            return register(name: name, pid: pid, on: fd)
        }
        guard let index = session.component else {
            logger.info("component message before registration; session closed")
            return dropSession(fd)
        }
        switch message {
        case .heartbeat:
            step(.componentHealthy(index))
        case .quiesced:
            guard session.awaitingQuiesce else { return }
            sessions[fd]?.awaitingQuiesce = false
            logger.info("component quiesced", metadata: metadata(index))
            checkQuiesce()
        case .errorReport(let recovery, let text):
            logger.error("component error report", metadata: metadata(index).merging([
                "duplex.recovery": "\(recovery)", "duplex.message": "\(text)",
            ]) { $1 })
            step(.componentErrorReported(index, recovery))
        case .register, .registered, .roleAssigned, .refused:
            logger.info("unexpected component message; session closed", metadata: metadata(index))
            dropSession(fd)
        }
    }

    /// Accepts a registration from the component's own process group only (SO_PEERCRED).
    private func register(name: String, pid: Int32, on fd: CInt) {
        guard sessions[fd]?.component == nil else { return dropSession(fd) }
        guard let index = components.firstIndex(where: { $0.name == name }) else {
            return refuse(fd, "no component \(name)")
        }
        guard let child = children[index], core.state(of: index) == .running else {
            return refuse(fd, "component \(name) is not running")
        }
        guard let peer = Self.peerProcess(fd), peer == child.pid || getpgid(peer) == child.pid else {
            return refuse(fd, "this process is not component \(name) (pid \(child.pid)) nor started by it")
        }
        sessions[fd]?.component = index
        let role = componentRole()
        guard sendMessage(.registered(role: role, healthTimeout: components[index].healthTimeout), to: fd) else { return }
        sessions[fd]?.sentRole = role
        logger.info("component registered", metadata: metadata(index).merging(["duplex.pid": "\(pid)"]) { $1 })
        step(.componentHealthy(index))
    }

    private func refuse(_ fd: CInt, _ reason: String) {
        logger.warning("component registration refused", metadata: ["duplex.reason": "\(reason)"])
        _ = sendMessage(.refused(reason), to: fd)
        dropSession(fd)
    }

    /// The peer's pid. The corresponding C function is `getsockopt(SO_PEERCRED)`.
    static func peerProcess(_ fd: CInt) -> pid_t? {
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)  // struct ucred
        var size = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0, credentials.pid > 0 else { return nil }
        return credentials.pid
    }

    /// Sends without blocking; a session that cannot take a small message is stuck: dropped.
    @discardableResult
    func sendMessage(_ message: ComponentMessage, to fd: CInt) -> Bool {
        let bytes = message.encode()
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        guard sent == bytes.count else {
            logger.warning("component session not reading; closed", metadata: ["duplex.message": "\(message.type)"])
            dropSession(fd)
            return false
        }
        return true
    }

    // MARK: - Roles

    /// The role components are told: `quiescing` while a switchover waits for them.
    func componentRole() -> Role {
        if core.role == .active, quiescing != nil || lastQuiesce != nil { return .quiescing }
        return core.role.componentRole
    }

    /// Sends the current role to every registered session that has not been told it.
    func assignRoles() {
        if core.role != .active { lastQuiesce = nil }
        let role = componentRole()
        for (fd, session) in sessions where session.component != nil && session.sentRole != role {
            if sendMessage(.roleAssigned(role), to: fd) { sessions[fd]?.sentRole = role }
        }
    }

    /// Tells the registered components `quiescing` and waits for their confirmations (or
    /// their quiesce timeouts) before the switchover goes to the pair.
    func startQuiesce(request: UInt32, then followUp: QuiesceFollowUp) {
        guard quiescing == nil, core.role == .active else {
            return onQuiesced(request, followUp)  // the pair answers: busy, or not active
        }
        lastQuiesce = request
        quiescing = (request, followUp, MonotonicClock.now())
        quiesceStartedAt = MonotonicClock.now()
        for fd in sessions.keys where sessions[fd]?.component != nil { sessions[fd]?.awaitingQuiesce = true }
        logger.notice("\(Self.purpose(of: followUp)): quiescing components", metadata: [
            "duplex.sessions": "\(sessions.values.filter(\.awaitingQuiesce).count)",
        ])
        assignRoles()
        checkQuiesce()
    }

    /// Finishes the quiesce once no session awaits it: every one confirmed, or its component's
    /// quiesce timeout passed since the start. Else moves the deadline to the last timeout.
    func checkQuiesce() {
        guard let current = quiescing else { return }
        let waiting = sessions.values.filter(\.awaitingQuiesce).compactMap(\.component)
        guard let longest = waiting.map({ components[$0].quiesceTimeout }).max() else {
            return finishQuiesce(timedOut: false)
        }
        quiescing = (current.request, current.then, quiesceStartedAt + longest)
    }

    /// What a quiesce is for, for the log.
    static func purpose(of followUp: QuiesceFollowUp) -> String {
        switch followUp {
        case .switchover: "switchover"
        case .lock: "lock"
        case .stop: "orderly stop"
        }
    }

    func finishQuiesce(timedOut: Bool) {
        guard let current = quiescing else { return }
        quiescing = nil
        let late = sessions.values.filter(\.awaitingQuiesce).compactMap(\.component).map { components[$0].name }
        for fd in sessions.keys { sessions[fd]?.awaitingQuiesce = false }
        if timedOut {
            logger.warning("\(Self.purpose(of: current.then)): quiesce timed out; handing over anyway", metadata: [
                "duplex.components": "\(late.joined(separator: ","))",
            ])
        } else {
            logger.notice("\(Self.purpose(of: current.then)): components quiesced")
        }
        onQuiesced(current.request, current.then)
    }
}
