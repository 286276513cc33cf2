import Duplex

/// The human, one-screen views of `duplexctl status` and `duplexctl events`.
enum StatusView {
    static func render(_ report: StatusReport) -> String {
        var text = ""
        text += line("Board", "\(report.name) (id \(report.boardID))   cluster \(report.clusterID)   "
            + "priority \(report.priority)   up \(DurationText.long(report.uptime))")
        text += line("Role", "\(report.role)   unit \(report.unitState)   epoch \(report.epoch)")
        text += line("Mate", mate(report.mate, reachable: report.paths.contains { $0.isUp }))
        text += line("Role change", roleChange(report.lastRoleChange))
        text += line("Counters", "malformed frames \(report.counters.malformedFrames)   "
            + "foreign frames \(report.counters.foreignFrames)   heartbeat gaps \(report.counters.heartbeatGaps)"
            + (report.counters.unauthenticatedFrames > 0 ? "   unauthenticated frames \(report.counters.unauthenticatedFrames)" : ""))
        text += line("Heartbeats", report.counters.rotating
            ? "rotating over the paths" + (report.counters.quiet ? ", at the standby interval" : "") : "on every path")
        if let sync = report.checkpoints { text += line("Checkpoints", checkpoints(sync)) }
        text += "\n" + paths(report.paths)
        text += "\n" + addresses(report.addresses)
        return text
    }

    static func render(_ records: [EventRecord]) -> String {
        guard !records.isEmpty else { return "no events\n" }
        var table = TextTable(header: ["TIME (UTC)", "KIND", "EPOCH", "EVENT"])
        for record in records {
            table.append([WallClockText.iso8601(nanosecondsSinceEpoch: record.time), record.kind,
                          String(record.epoch), record.message])
        }
        return table.render()
    }

    private static func line(_ label: String, _ value: String) -> String {
        label + String(repeating: " ", count: max(1, 13 - label.count)) + TextTable.printable(value) + "\n"
    }

    private static func mate(_ mate: MateReport?, reachable: Bool) -> String {
        guard let mate else { return "never heard" }
        let name = mate.name.map { "\($0) (id \(mate.boardID))" } ?? "id \(mate.boardID)"
        // With every path down, the role shown is the last one heard, not the mate's state now.
        let role = reachable ? "\(mate.role)   unit \(mate.unitState)" : "LOST (last seen \(mate.role))"
        return "\(name)   \(role)   epoch \(mate.epoch)   "
            + "priority \(mate.priority)   heard \(DurationText.short(mate.lastHeardAgo)) ago"
    }

    /// The replication's state word and its progress: `hot, sequence 42, 3 checkpoints`,
    /// `receiving 40% (12/30 chunks, 1200/3000 bytes)`, `mate hot, lag 0`.
    private static func checkpoints(_ sync: CheckpointSyncReport) -> String {
        var text = sync.summary
        if sync.progress.phase == .receiving {
            text += " (\(sync.progress.chunksReceived)/\(sync.progress.chunksTotal) chunks, "
                + "\(sync.progress.bytesReceived)/\(sync.progress.bytesTotal) bytes)"
        } else if sync.progress.phase == .catchingUp {
            text += " (\(sync.progress.backlog) updates held)"
        }
        if let lag = sync.mateLag { text += ", mate lag \(lag)" }
        return text + "   sequence \(sync.sequence)   \(sync.checkpoints) checkpoints, \(sync.sections) sections, "
            + "\(sync.bytes) bytes   \(sync.clients) clients"
    }

    private static func roleChange(_ change: RoleChangeReport?) -> String {
        guard let change else { return "none since start" }
        return "\(change.from) -> \(change.to), \(DurationText.short(change.ago)) ago: \(change.reason)"
    }

    private static func paths(_ paths: [PathReport]) -> String {
        guard !paths.isEmpty else { return "no paths\n" }
        var table = TextTable(header: ["PATH", "KIND", "INTERFACE", "STATE", "CARRIER", "RTT", "LAST HEARD", "REJECTED"])
        for path in paths {
            table.append([
                path.name, path.kind.description, path.interface.isEmpty ? "-" : path.interface,
                path.isUp ? "up" : "DOWN", path.hasCarrier ? "yes" : "NO",
                path.roundTripTime.map(DurationText.short) ?? "-",
                path.lastHeardAgo.map { DurationText.short($0) + " ago" } ?? "never",
                String(path.framesRejected),
            ])
        }
        return table.render()
    }

    private static func addresses(_ addresses: [AddressReport]) -> String {
        guard !addresses.isEmpty else { return "no logical addresses\n" }
        var table = TextTable(header: ["ADDRESS", "VALUE", "INTERFACE", "HELD"])
        for address in addresses {
            table.append([address.name, address.address.description, address.interface, address.isHeld ? "yes" : "no"])
        }
        return table.render()
    }
}
