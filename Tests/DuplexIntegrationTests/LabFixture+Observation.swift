import Foundation
import Glibc

extension LabFixture {
    /// Runs `duplexctl --socket SOCKET ARGUMENTS` for board `node`.
    func duplexctl(_ node: Node, _ arguments: [String]) throws -> CommandResult {
        try Command.run(binaries.duplexctl, ["--socket", socket(node)] + arguments)
    }

    /// `duplexctl status --json` of board `node`, nil while its daemon does not answer.
    func status(_ node: Node) throws -> BoardStatus? {
        let result = try duplexctl(node, ["status", "--json"])
        guard result.succeeded else { return nil }
        return try JSONDecoder.snakeCase.decode(BoardStatus.self, from: Data(result.output.utf8))
    }

    /// The role board `node` reports, "unreachable" while its daemon does not answer.
    func role(_ node: Node) throws -> String { try status(node)?.role ?? "unreachable" }

    /// `duplexctl events --json` of board `node`.
    func events(_ node: Node) throws -> [EventEntry] {
        let result = try duplexctl(node, ["events", "--json", "--limit", "100"]).checked()
        return try JSONDecoder.snakeCase.decode([EventEntry].self, from: Data(result.output.utf8))
    }

    /// Which logical addresses `ip -n NS addr show lan0` lists on board `node`.
    func held(_ node: Node) throws -> HeldAddresses {
        let output = try ip(["-n", namespace(node), "-o", "addr", "show", "dev", value("LAN_IF")])
        let words = Set(output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
        return HeldAddresses(
            v4: words.contains("\(value("LOGICAL_V4"))/\(value("LOGICAL_V4_PREFIX"))"),
            v6: words.contains("\(value("LOGICAL_V6"))/\(value("LOGICAL_V6_PREFIX"))"))
    }

    /// A short `duplex-probe client` run from the client namespace towards the logical IP.
    func probe(ipv6: Bool = false, count: Int = 50) throws -> ProbeReport {
        let target = value(ipv6 ? "LOGICAL_V6" : "LOGICAL_V4")
        let result = try Command.run("/usr/sbin/ip", [
            "netns", "exec", namespace(.c), binaries.probe, "client", "--target", target,
            "--count", "\(count)", "--interval", "1ms",
        ]).checked()
        guard let line = result.output.split(separator: "\n").last else { throw LabError("probe printed nothing") }
        return try JSONDecoder.snakeCase.decode(ProbeReport.self, from: Data(line.utf8))
    }

    /// Runs `/usr/sbin/ip ARGUMENTS` and returns its output.
    @discardableResult
    func ip(_ arguments: [String]) throws -> String {
        try Command.run("/usr/sbin/ip", arguments).checked().output
    }

    /// Loads an nftables script into board `node`'s namespace.
    func nft(_ node: Node, script: String) throws {
        let path = "\(value("DIR"))/cut-\(node.rawValue).nft"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try Command.run("/usr/sbin/ip", ["netns", "exec", namespace(node), "nft", "-f", path]).checked()
    }

    /// Deletes an nftables table from board `node`'s namespace.
    func nftDelete(_ node: Node, family: String, table: String) throws {
        try Command.run("/usr/sbin/ip", ["netns", "exec", namespace(node), "nft", "delete", "table", family, table]).checked()
    }

    /// Sets every interface of `node` up or down (`Tools/lab links`).
    func links(_ node: Node, up: Bool) throws {
        try Command.run(labScript, ["links", id, node.rawValue, up ? "up" : "down"]).checked()
    }

    /// Polls `condition` (100 x 50 ms by default, plus the time the checks take); on time-out
    /// throws a `LabError` naming `what` and describing both boards and their logs.
    func waitUntil(_ what: String, attempts: Int = 100, _ condition: () throws -> Bool) throws {
        guard try poll(attempts: attempts, condition) else {
            throw LabError("timed out waiting until \(what)\n\(diagnostics())")
        }
    }

    /// Polls short client runs until the client gets answers on the logical IP from `node`
    /// only (the other board's responder runs too, so a stale neighbour entry would show).
    func waitUntilClientReaches(_ node: Node, ipv6: Bool = false) throws {
        let other = node == .a ? "B" : "A"
        var last = "no run"
        let reached = try poll(attempts: 40) {
            let report = try probe(ipv6: ipv6)
            last = "\(report.answers) of \(report.sent)"
            return report.count(node.name) > 0 && report.count(other) == 0
        }
        guard reached else {
            throw LabError("the client never reached only \(node.name) (last run: \(last))\n\(diagnostics())")
        }
    }

    /// Both boards' status and addresses and the tail of their daemon logs, for failure messages.
    func diagnostics() -> String {
        var lines: [String] = []
        for node in [Node.a, .b] {
            let status: String
            do { status = try self.status(node)?.summary ?? "\(node.name) unreachable" } catch { status = "\(node.name): \(error)" }
            let addresses = (try? held(node).description) ?? "?"  // diagnostics only: a failure shows as "?"
            lines.append("\(status); lan0 \(addresses)")
        }
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: logDirectory)) ?? []  // none yet: no logs
        for log in logs.sorted() where log.hasPrefix("duplexd") {
            let text = (try? String(contentsOfFile: "\(logDirectory)/\(log)", encoding: .utf8)) ?? ""  // unreadable: empty
            lines.append("--- \(log) (tail)")
            lines += text.split(separator: "\n").suffix(25).map(String.init)
        }
        return lines.joined(separator: "\n")
    }
}
