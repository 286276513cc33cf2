import DuplexCore

extension ControlService {
    /// The supervisor's last published state as `duplexctl components` shows it.
    func componentReports() -> [ComponentReport] {
        guard let supervisor else { return [] }
        let now = MonotonicClock.now()
        return supervisor.snapshot().map { snapshot in
            let status = snapshot.status
            var report = ComponentReport(
                name: status.name, state: status.state, role: snapshot.role, critical: snapshot.critical,
                pid: snapshot.pid, uptime: status.startedAt.map { now.since($0) }, inStateFor: now.since(status.since),
                restarts: status.restarts, lastExit: status.lastExit, lastExitAgo: status.lastExitAt.map { now.since($0) })
            report.healthAge = status.lastHealthAt.map { now.since($0) }
            report.healthTimeout = snapshot.healthTimeout
            report.held = status.held
            return report
        }
    }

    /// `duplexctl start|stop|restart NAME`: carried out by the supervisor thread (one step).
    func componentCommand(_ command: ComponentCommand, name: String) -> ControlResponse {
        guard let supervisor else {
            return .error(ControlErrorReply(code: .unsupported, message: "this daemon supervises no components"))
        }
        if let refusal = supervisor.request(command, name: name) {
            return .error(ControlErrorReply(code: .refused, message: refusal))
        }
        return .ok
    }

    /// `duplexctl watchdog`: the device, its timing, and why it would stop being fed.
    func watchdogReport() -> WatchdogReport {
        guard let feed = watchdog else { return WatchdogReport(device: nil) }
        let now = MonotonicClock.now()
        let device = feed.watchdog
        let lastFeedAgo = device.lastFeed.map { now.since($0) }
        var reasons: [String] = []
        if !device.isOpen {
            reasons.append("the device is closed (disarmed by an orderly stop)")
        } else if let lastFeedAgo, lastFeedAgo > feed.interval * 2 {
            reasons.append("not fed for \(lastFeedAgo) (every \(feed.interval) expected): the pair thread misses its deadlines or a critical component is failed")
        }
        for snapshot in supervisor?.snapshot() ?? [] where snapshot.critical {
            switch snapshot.status.state {
            case .failed:
                reasons.append("critical component \(snapshot.status.name) is failed: keepalives stop")
            case .failing:
                reasons.append("critical component \(snapshot.status.name) is failing (hung or in error); keepalives stop if it cannot be restarted")
            default:
                continue
            }
        }
        let counts = device.feeds
        if counts.failed > 0 { reasons.append("\(counts.failed) keepalive writes failed") }
        return WatchdogReport(
            device: device.path, timeout: device.timeout, feedInterval: feed.interval, setsTimeout: device.setsTimeout,
            feeds: counts.written, feedErrors: counts.failed, lastFeedAgo: lastFeedAgo,
            stopReasons: Array(reasons.prefix(WatchdogReport.stopReasonsMax)))
    }
}
