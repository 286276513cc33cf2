import DuplexCore
import Logging
import Glibc
import Synchronization
import SystemPackage

extension SupervisorService {
    /// Runs the core on one fact, carries out its orders, and feeds back the facts they
    /// produce (a start's success or failure) until none is left.
    func step(_ first: SupervisorEvent) {
        var pending = [first]
        // Each round handles one fact; starts that fail at once end at their restart
        // intensity, so the rounds are bounded by components x (intensity + 2).
        let roundsMax = Limits.componentsMax * (Limits.componentRestartsMax + 2)
        for _ in 0..<roundsMax {
            guard !pending.isEmpty else { break }
            let event = pending.removeFirst()
            let actions = core.handle(event, now: MonotonicClock.now())
            for action in actions {
                if let next = perform(action) { pending.append(next) }
            }
        }
        precondition(pending.isEmpty, "supervisor steps did not settle")
        publish()
    }

    private func perform(_ action: SupervisorAction) -> SupervisorEvent? {
        switch action {
        case .start(let index):
            return start(index)
        case .terminate(let index):
            children[index]?.signalGroup(SIGTERM)
            children[index]?.signalGroup(SIGCONT)  // a stopped process must run to act on SIGTERM
            logger.info("stopping component", metadata: metadata(index))
        case .kill(let index):
            children[index]?.signalGroup(SIGKILL)
        case .abort(let index):
            // The leader only, so that its core dump shows where it hung; SIGCONT wakes a
            // stopped process so that it acts on it. SIGKILL of the group follows.
            children[index]?.signal(SIGABRT)
            children[index]?.signal(SIGCONT)
        case .escalateSwitchover(let index):
            logger.warning("critical component failed on the active board; switching over",
                           metadata: metadata(index))
            onSwitchover(components[index].name)
        case .escalateBoardRecovery(let index):
            recoverBoard(index)
        case .trace(let trace):
            log(trace)
        case .stopped:
            logger.notice("components stopped")
            finished = true
        }
        return nil
    }

    private func start(_ index: Int) -> SupervisorEvent {
        precondition(children[index] == nil, "a component has one process at a time")
        let child: ChildProcess
        do throws(ChildProcess.SpawnError) {
            child = try ChildProcess.spawn(launches[index], stdin: devNull)
        } catch {
            logger.error("cannot start component", metadata: metadata(index).merging([
                "duplex.step": "\(error.step)", "duplex.error": "\(error.errno)",
            ]) { $1 })
            return .componentExited(index, .startFailed(errno: error.errno.rawValue))
        }
        do throws(Errno) {
            try epoll.add(child.pidfd, token: Self.exitTokenBase + UInt64(index))
            try epoll.add(child.output, token: Self.outputTokenBase + UInt64(index))
        } catch {
            preconditionFailure("epoll_ctl(ADD) of fresh descriptors: \(error)")
        }
        children[index] = child
        logger.info("component started", metadata: metadata(index).merging(["duplex.pid": "\(child.pid)"]) { $1 })
        return .componentStarted(index)
    }

    /// The pidfd of component `index` is readable: reap it, log the rest of its output.
    func exited(_ index: Int) {
        guard let child = children[index], let exit = child.reap() else { return }
        readOutput(index, untilEmpty: true)
        splitters[index].finish { line in output(index, line) }
        try? epoll.remove(child.pidfd)  // closed just below, which removes it anyway
        try? epoll.remove(child.output)
        children[index] = nil
        endSessions(of: index)
        step(.componentExited(index, exit))
    }

    /// Reads what component `index` wrote, at most `componentOutputReadMax` bytes per call
    /// (epoll is level-triggered: the rest comes at the next wake-up), or all of it once the
    /// process is gone.
    func readOutput(_ index: Int, untilEmpty: Bool = false) {
        guard let child = children[index] else { return }
        var buffer = [UInt8](repeating: 0, count: Limits.componentOutputReadMax)
        // After an exit: a pipe holds at most 1 MiB (pipe-max-size); 256 reads of 4 KiB.
        for _ in 0..<(untilEmpty ? 256 : 1) {
            let count = buffer.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
            guard count > 0 else {
                if count == 0 { try? epoll.remove(child.output) }  // EOF: no writer left; stop polling it
                return
            }
            buffer.withUnsafeBytes { bytes in
                splitters[index].append(UnsafeRawBufferPointer(rebasing: bytes[0..<count])) { line in output(index, line) }
            }
        }
    }

    private func output(_ index: Int, _ line: String) {
        logger.info("component output", metadata: ["duplex.component": "\(components[index].name)", "duplex.output": "\(line)"])
    }

    private func recoverBoard(_ index: Int) {
        let status = core.status(of: index)
        let reason = "component \(components[index].name) failed on role \(core.role): "
            + "\(status.lastExit.map { "\($0)" } ?? "no exit"), restart intensity \(components[index].restartIntensity)"
        logger.critical("critical component failed; recovering the board", metadata: metadata(index).merging([
            "duplex.reason": "\(reason)", "duplex.command": "\(recovery.configuration.recoveryCommand)",
        ]) { $1 })
        do throws(Errno) {
            try recovery.writeReason("\(time(nil)) \(reason)")
        } catch {
            logger.error("cannot write the recovery reason; recovering anyway", metadata: [
                "duplex.file": "\(recovery.configuration.recoveryReasonFile)", "duplex.error": "\(error)",
            ])
        }
        do throws(ChildProcess.SpawnError) {
            let process = try recovery.start(reason: reason, stdin: devNull)
            try? epoll.add(process.pidfd, token: Self.recoveryToken)  // fresh descriptor: cannot fail but for ENOMEM
            recoveryProcess = process
        } catch {
            logger.critical("cannot run the recovery command", metadata: ["duplex.error": "\(error)"])
        }
    }

    func reapRecovery() {
        guard let process = recoveryProcess, let exit = process.reap() else { return }
        try? epoll.remove(process.pidfd)  // closed with the process, which removes it anyway
        recoveryProcess = nil
        logger.log(level: exit.isFailure ? .error : .notice, "recovery command ended", metadata: ["duplex.exit": "\(exit)"])
    }

    /// The stop took longer than every stop timeout together: kill what is left, wait a
    /// little for the kernel to end it, reap, and finish.
    func abandonStop() {
        logger.error("components did not stop in time; killing them")
        for child in children { child?.signalGroup(SIGKILL) }
        for index in children.indices {
            guard let child = children[index] else { continue }
            var poller = pollfd(fd: child.pidfd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 1_000)
            if child.reap() == nil {
                logger.critical("component survived SIGKILL", metadata: metadata(index).merging(["duplex.pid": "\(child.pid)"]) { $1 })
            }
            children[index] = nil
        }
        finished = true
    }

    private func publish() {
        let snapshots = components.indices.map { index in
            Snapshot(status: core.status(of: index), role: components[index].role, critical: components[index].critical,
                     pid: children[index]?.pid, healthTimeout: components[index].healthTimeout)
        }
        published.withLock { $0 = snapshots }
        criticalHealth?.set(healthy: !snapshots.contains { $0.critical && $0.status.state == .failed })
    }

    func metadata(_ index: Int) -> Logger.Metadata {
        ["duplex.component": "\(components[index].name)"]
    }

    private func log(_ trace: SupervisorTrace) {
        switch trace {
        case .exited(let index, let exit, let expected):
            logger.log(level: expected || !exit.isFailure ? .info : .warning, "component exited",
                       metadata: metadata(index).merging(["duplex.exit": "\(exit)", "duplex.expected": "\(expected)"]) { $1 })
        case .restartScheduled(let index, let delay, let restart):
            logger.info("restarting component", metadata: metadata(index).merging([
                "duplex.delay": "\(delay)", "duplex.restart": "\(restart)",
            ]) { $1 })
        case .gaveUp(let index, let reason):
            logger.error("component failed; not restarted", metadata: metadata(index).merging([
                "duplex.reason": "\(reason)", "duplex.critical": "\(components[index].critical)",
            ]) { $1 })
        case .stopTimedOut(let index):
            logger.warning("component ignored SIGTERM; killing it", metadata: metadata(index).merging([
                "duplex.timeout": "\(components[index].stopTimeout)",
            ]) { $1 })
        case .hung(let index, let silent):
            logger.error("component hung; aborting it", metadata: metadata(index).merging([
                "duplex.silentFor": "\(silent)", "duplex.pid": "\(children[index]?.pid ?? 0)",
            ]) { $1 })
        case .errorReported(let index, let recovery):
            logger.error("component reported an error", metadata: metadata(index).merging([
                "duplex.recovery": "\(recovery)",
            ]) { $1 })
        case .commanded(let index, let command):
            logger.notice("operator command", metadata: metadata(index).merging(["duplex.command": "\(command)"]) { $1 })
        }
    }
}
