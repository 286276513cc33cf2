import ArgumentParser
import Duplex

struct Components: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the supervised components: state, pid, uptime, restarts and last exit.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            let client = root.client
            let response = try client.send(.components)
            switch response {
            case .components(let reports):
                print(output.json ? ComponentsView.json(reports) : ComponentsView.render(reports), terminator: "")
            case .error(let reply):
                throw DuplexClientError(code: .daemonError, socketPath: client.socketPath,
                                        message: "duplexd refused components: \(reply.message) (\(reply.code))",
                                        daemonReply: reply)
            default:
                throw DuplexClientError(code: .protocolError, socketPath: client.socketPath,
                                        message: "bad answer from duplexd: \(response.type) in answer to components")
            }
        }
    }
}

/// The human and `--json` forms of `duplexctl components`. Durations in JSON are integer
/// nanoseconds (`*_ns`).
enum ComponentsView {
    static func render(_ reports: [ComponentReport]) -> String {
        guard !reports.isEmpty else { return "no components configured\n" }
        var table = TextTable(header: ["COMPONENT", "ROLE", "CRITICAL", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "LAST EXIT"])
        for report in reports {
            let lastExit = report.lastExit.map { exit in
                "\(exit)" + (report.lastExitAgo.map { ", \(DurationText.short($0)) ago" } ?? "")
            }
            table.append([
                report.name, report.role.description, report.critical ? "yes" : "no",
                report.state.description + (report.held ? " (operator)" : "")
                    + (report.state == .running ? "" : " \(DurationText.short(report.inStateFor))"),
                report.pid.map { String($0) } ?? "-", report.uptime.map(DurationText.short) ?? "-",
                String(report.restarts), health(report), lastExit ?? "-",
            ])
        }
        return table.render()
    }

    /// The heartbeat age against the health timeout: `40ms/100ms`; `-` when not watched.
    static func health(_ report: ComponentReport) -> String {
        guard let timeout = report.healthTimeout else { return "-" }
        return (report.healthAge.map(DurationText.short) ?? "-") + "/" + DurationText.short(timeout)
    }

    static func json(_ reports: [ComponentReport]) -> String {
        JSONValue.array(reports.map { report in
            .object([
                ("name", .string(report.name)),
                ("role", .string(report.role.description)),
                ("critical", .bool(report.critical)),
                ("state", .string(report.state.description)),
                ("in_state_ns", .integer(report.inStateFor.nanoseconds)),
                ("pid", .optional(report.pid) { .integer(UInt64(UInt32(bitPattern: $0))) }),
                ("uptime_ns", .optional(report.uptime) { .integer($0.nanoseconds) }),
                ("restarts", .integer(report.restarts)),
                ("last_exit", .optional(report.lastExit, exit)),
                ("last_exit_ago_ns", .optional(report.lastExitAgo) { .integer($0.nanoseconds) }),
                ("health_age_ns", .optional(report.healthAge) { .integer($0.nanoseconds) }),
                ("health_timeout_ns", .optional(report.healthTimeout) { .integer($0.nanoseconds) }),
                ("held", .bool(report.held)),
            ])
        }).render() + "\n"
    }

    private static func exit(_ exit: ComponentExit) -> JSONValue {
        switch exit {
        case .exited(let status):
            .object([("kind", .string("exited")), ("status", .integer(UInt64(UInt32(bitPattern: status)))),
                     ("text", .string(exit.description))])
        case .signalled(let signal):
            .object([("kind", .string("signalled")), ("signal", .integer(UInt64(UInt32(bitPattern: signal)))),
                     ("text", .string(exit.description))])
        case .startFailed(let errno):
            .object([("kind", .string("start-failed")), ("errno", .integer(UInt64(UInt32(bitPattern: errno)))),
                     ("text", .string(exit.description))])
        }
    }
}
