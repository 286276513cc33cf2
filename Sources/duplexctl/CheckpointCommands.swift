import ArgumentParser
import Duplex

/// `duplexctl checkpoints`: the replication state and every checkpoint.
struct Checkpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the checkpoints: size, sections, sequence, replica state and lag.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            let report = try fetchCheckpointReport(root.client, .checkpoints)
            print(output.json ? CheckpointsView.json(report) : CheckpointsView.render(report), terminator: "")
        }
    }
}

/// `duplexctl checkpoint show NAME`: one checkpoint and its sections.
struct Resync: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resynchronise this standby's checkpoint replica in full from the active.",
        discussion: """
            For a suspected divergence: the standby drops its replica's stream and asks the active \
            for a snapshot. It stays readable, and the board is not a hot standby, until the \
            snapshot is installed and caught up (see `duplexctl checkpoints`).
            """)

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            try root.client.resync()
            print(output.json ? #"{"ok": true}"# : "resynchronisation started")
        }
    }
}

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Show one checkpoint.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a checkpoint and its sections.")

        @ParentCommand var parent: CheckpointCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The checkpoint's name.") var name: String

        func run() throws {
            try reportingErrors { () throws(DuplexClientError) in
                let report = try fetchCheckpointReport(parent.root.client, .checkpoint(name: name))
                print(output.json ? CheckpointsView.json(report) : CheckpointsView.renderShow(report), terminator: "")
            }
        }
    }

    @ParentCommand var root: Duplexctl
}

/// Sends a checkpoint request and returns the report.
func fetchCheckpointReport(_ client: DuplexClient, _ request: ControlRequest) throws(DuplexClientError) -> CheckpointReport {
    let response = try client.send(request)
    switch response {
    case .checkpoints(let report):
        return report
    case .error(let reply):
        throw DuplexClientError(code: .daemonError, socketPath: client.socketPath,
                                message: "duplexd refused \(request.type): \(reply.message) (\(reply.code))", daemonReply: reply)
    default:
        throw DuplexClientError(code: .protocolError, socketPath: client.socketPath,
                                message: "bad answer from duplexd: \(response.type) in answer to \(request.type)")
    }
}

/// The human and `--json` forms of the checkpoint commands.
enum CheckpointsView {
    static func render(_ report: CheckpointReport) -> String {
        let text = syncLine(report.sync)
        guard !report.checkpoints.isEmpty else { return text + "no checkpoints\n" }
        var table = TextTable(header: ["CHECKPOINT", "SIZE", "LIMIT", "SECTIONS", "SEQUENCE", "REPLICA", "LAG", "PERSISTENT"])
        for info in report.checkpoints {
            table.append([
                info.name, "\(info.size)", "\(info.limits.sizeMax)", "\(info.sectionCount)/\(info.limits.sectionsMax)",
                "\(info.sequence)", report.sync.summary, report.sync.mateLag.map { String($0) } ?? "-",
                info.limits.persistent ? "yes" : "no",
            ])
        }
        return text + table.render()
    }

    static func renderShow(_ report: CheckpointReport) -> String {
        var text = render(report)
        var table = TextTable(header: ["SECTION", "BYTES", "VALUE"])
        for section in report.sections {
            table.append([section.key.description, "\(section.bytes.count)", preview(section.bytes)])
        }
        text += "\n" + table.render()
        if report.sectionsTruncated { text += "(more sections: use --json for the first page only)\n" }
        return text
    }

    static func syncLine(_ sync: CheckpointSyncReport) -> String {
        var line = "replication: \(sync.role), \(sync.summary), sequence \(sync.sequence), sync policy "
            + (sync.syncPolicy == .fail ? "fail" : "degrade")
        if sync.progress.phase == .receiving {
            line += ", snapshot \(sync.progress.chunksReceived)/\(sync.progress.chunksTotal) chunks, "
                + "\(sync.progress.bytesReceived)/\(sync.progress.bytesTotal) bytes"
        }
        if let lag = sync.mateLag { line += ", mate lag \(lag)" }
        return line + ", \(sync.clients) clients\n"
    }

    /// Up to 32 bytes as hexadecimal.
    static func preview(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes.prefix(32) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return bytes.count > 32 ? text + "..." : text
    }

    /// The replication state as JSON (also in `duplexctl status --json`).
    static func syncJSON(_ sync: CheckpointSyncReport) -> JSONValue {
        let progress = sync.progress
        return .object([
            ("role", .string(sync.role.description)), ("state", .string(sync.summary)),
            ("sync_policy", .string(sync.syncPolicy == .fail ? "fail" : "degrade")),
            ("hot", .bool(sync.isHot)), ("mate_hot", .bool(sync.mateIsHot)), ("mate_reachable", .bool(sync.mateReachable)),
            ("replicated", .bool(sync.isReplicated)),
            ("mate_lag", .optional(sync.mateLag) { .integer($0) }), ("sequence", .integer(sync.sequence)),
            ("phase", .string("\(progress.phase)")), ("backlog", .integer(UInt64(progress.backlog))),
            ("chunks_received", .integer(UInt64(progress.chunksReceived))), ("chunks_total", .integer(UInt64(progress.chunksTotal))),
            ("sections_received", .integer(progress.sectionsReceived)), ("sections_total", .integer(progress.sectionsTotal)),
            ("bytes_received", .integer(progress.bytesReceived)), ("bytes_total", .integer(progress.bytesTotal)),
            ("checkpoints", .integer(UInt64(sync.checkpoints))), ("sections", .integer(UInt64(sync.sections))),
            ("bytes", .integer(UInt64(sync.bytes))),
            ("window", .integer(UInt64(sync.window))), ("pending", .integer(UInt64(sync.pending))),
            ("clients", .integer(UInt64(sync.clients))), ("writes_refused", .integer(sync.writesRefused)),
            ("counters", countersJSON(sync.replication)),
        ])
    }

    /// The replication core's counters as JSON.
    static func countersJSON(_ counters: ReplicationCore.Counters) -> JSONValue {
        .object([
            ("updates_sent", .integer(counters.updatesSent)), ("updates_resent", .integer(counters.updatesResent)),
            ("updates_applied", .integer(counters.updatesApplied)),
            ("duplicates_dropped", .integer(counters.duplicatesDropped)), ("stale_dropped", .integer(counters.staleDropped)),
            ("acks_sent", .integer(counters.acksSent)), ("nacks_sent", .integer(counters.nacksSent)),
            ("nacks_received", .integer(counters.nacksReceived)), ("chunks_sent", .integer(counters.chunksSent)),
            ("chunks_resent", .integer(counters.chunksResent)), ("snapshots_served", .integer(counters.snapshotsServed)),
            ("snapshots_installed", .integer(counters.snapshotsInstalled)), ("resyncs", .integer(counters.resyncs)),
            ("malformed", .integer(counters.malformed)), ("tail_probes", .integer(counters.tailProbes)),
        ])
    }

    static func json(_ report: CheckpointReport) -> String {
        JSONValue.object([
            ("replication", syncJSON(report.sync)),
            ("checkpoints", .array(report.checkpoints.map { info in
                .object([
                    ("name", .string(info.name)), ("size", .integer(UInt64(info.size))),
                    ("size_max", .integer(UInt64(info.limits.sizeMax))), ("sections", .integer(UInt64(info.sectionCount))),
                    ("sections_max", .integer(UInt64(info.limits.sectionsMax))),
                    ("section_size_max", .integer(UInt64(info.limits.sectionSizeMax))), ("sequence", .integer(info.sequence)),
                    ("persistent", .bool(info.limits.persistent)),
                ])
            })),
            ("sections", .array(report.sections.map { section in
                .object([("key", .string(section.key.description)), ("bytes", .integer(UInt64(section.bytes.count))),
                         ("hex", .string(section.bytes.map { byte in
                             String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16) }.joined()))])
            })),
            ("sections_truncated", .bool(report.sectionsTruncated)),
        ]).render() + "\n"
    }
}
