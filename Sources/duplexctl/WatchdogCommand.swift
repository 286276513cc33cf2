import ArgumentParser
import Duplex

struct WatchdogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchdog",
        abstract: "Show the hardware watchdog: device, timeout, last keepalive, and why it would stop being fed.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            let client = root.client
            switch try client.send(.watchdog) {
            case .watchdog(let report):
                print(output.json ? Self.json(report) : Self.render(report), terminator: "")
            case .error(let reply):
                throw DuplexClientError(code: .daemonError, socketPath: client.socketPath,
                                        message: "duplexd refused watchdog: \(reply.message) (\(reply.code))", daemonReply: reply)
            case let response:
                throw DuplexClientError(code: .protocolError, socketPath: client.socketPath,
                                        message: "bad answer from duplexd: \(response.type) in answer to watchdog")
            }
        }
    }

    static func render(_ report: WatchdogReport) -> String {
        guard let device = report.device else { return "no hardware watchdog configured ([pair] watchdog-device)\n" }
        var text = "device        \(device)\(report.setsTimeout ? "" : " (no timeout ioctls: not a watchdog driver)")\n"
        text += "timeout       \(DurationText.short(report.timeout))\n"
        text += "feed every    \(DurationText.short(report.feedInterval))\n"
        text += "last feed     \(report.lastFeedAgo.map { DurationText.short($0) + " ago" } ?? "never")\n"
        text += "keepalives    \(report.feeds) written, \(report.feedErrors) failed\n"
        if report.stopReasons.isEmpty {
            text += "feeding       yes: the pair thread keeps its deadlines and every critical component is healthy\n"
        } else {
            text += "feeding       AT RISK\n" + report.stopReasons.map { "  - \($0)\n" }.joined()
        }
        return text
    }

    static func json(_ report: WatchdogReport) -> String {
        JSONValue.object([
            ("device", .optional(report.device) { .string($0) }),
            ("timeout_ns", .integer(report.timeout.nanoseconds)),
            ("feed_interval_ns", .integer(report.feedInterval.nanoseconds)),
            ("sets_timeout", .bool(report.setsTimeout)),
            ("feeds", .integer(report.feeds)),
            ("feed_errors", .integer(report.feedErrors)),
            ("last_feed_ago_ns", .optional(report.lastFeedAgo) { .integer($0.nanoseconds) }),
            ("feeding", .bool(report.device != nil && report.stopReasons.isEmpty)),
            ("stop_reasons", .array(report.stopReasons.map { .string($0) })),
        ]).render() + "\n"
    }
}
