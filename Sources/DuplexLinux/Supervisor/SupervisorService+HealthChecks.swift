import DuplexCore
import Glibc
import Logging
import SystemPackage

/// A running `health-command` of one component.
struct HealthCheck {
    let process: ChildProcess
    /// When it is killed (its run time limit: the health interval); `.max` once killed.
    var killAt: Instant
}

extension SupervisorService {
    /// The next instant at which a health command starts or must be killed.
    var healthCheckDeadline: Instant? {
        var deadline: Instant?
        for index in components.indices where healthLaunches[index] != nil {
            for candidate in [healthChecks[index]?.killAt, healthChecks[index] == nil ? nextHealthCheck[index] : nil] {
                if let candidate, candidate.nanoseconds != .max { deadline = min(deadline ?? candidate, candidate) }
            }
        }
        return deadline
    }

    /// Starts the health commands that are due (one at a time per component, the first one
    /// interval after the component started), and kills those that ran past their interval.
    func runHealthChecks(now: Instant) {
        for index in components.indices {
            guard let launch = healthLaunches[index] else { continue }
            let interval = components[index].healthInterval
            if var check = healthChecks[index] {
                if now >= check.killAt {
                    check.process.signalGroup(SIGKILL)  // its exit arrives through the pidfd
                    check.killAt = Instant(nanoseconds: .max)
                    healthChecks[index] = check
                }
                continue
            }
            guard core.state(of: index) == .running else {
                nextHealthCheck[index] = nil
                continue
            }
            guard let due = nextHealthCheck[index] else {
                nextHealthCheck[index] = now + interval
                continue
            }
            guard now >= due else { continue }
            nextHealthCheck[index] = now + interval
            startHealthCheck(index, launch, killAt: now + interval)
        }
    }

    private func startHealthCheck(_ index: Int, _ launch: ComponentLaunch, killAt: Instant) {
        do throws(ChildProcess.SpawnError) {
            let process = try ChildProcess.spawn(launch, stdin: devNull)
            do throws(Errno) {
                try epoll.add(process.pidfd, token: Self.healthTokenBase + UInt64(index))
            } catch {
                preconditionFailure("epoll_ctl(ADD) of a fresh pidfd: \(error)")
            }
            healthChecks[index] = HealthCheck(process: process, killAt: killAt)
        } catch {
            logger.warning("cannot run the health command", metadata: metadata(index).merging([
                "duplex.error": "\(error)",
            ]) { $1 })
        }
    }

    /// A health command ended: exit status 0 is a heartbeat. Its output is discarded.
    func healthCheckEnded(_ index: Int) {
        guard let check = healthChecks[index], let exit = check.process.reap() else { return }
        try? epoll.remove(check.process.pidfd)  // closed with the process, which removes it anyway
        healthChecks[index] = nil
        if exit == .exited(status: 0) {
            step(.componentHealthy(index))
        } else {
            logger.warning("health command failed", metadata: metadata(index).merging(["duplex.exit": "\(exit)"]) { $1 })
        }
    }

    /// Kills and reaps the health commands still running (the supervisor is finishing).
    func endHealthChecks() {
        for index in healthChecks.indices {
            guard let check = healthChecks[index] else { continue }
            check.process.signalGroup(SIGKILL)
            var poller = pollfd(fd: check.process.pidfd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 1_000)  // SIGKILL ends it within a scheduler tick
            _ = check.process.reap()
            healthChecks[index] = nil
        }
    }
}
