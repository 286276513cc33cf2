import DuplexCore

extension ControlService {
    /// The supervisor's last published state as `duplexctl components` shows it.
    func componentReports() -> [ComponentReport] {
        guard let supervisor else { return [] }
        let now = MonotonicClock.now()
        return supervisor.snapshot().map { snapshot in
            let status = snapshot.status
            return ComponentReport(
                name: status.name, state: status.state, role: snapshot.role, critical: snapshot.critical,
                pid: snapshot.pid, uptime: status.startedAt.map { now.since($0) }, inStateFor: now.since(status.since),
                restarts: status.restarts, lastExit: status.lastExit, lastExitAgo: status.lastExitAt.map { now.since($0) })
        }
    }
}
