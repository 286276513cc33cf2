import ArgumentParser
import Duplex

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show this board, its mate, the paths, the logical addresses and the counters.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            let report = try root.client.status()
            print(output.json ? StatusJSON.render(report) : StatusView.render(report), terminator: "")
        }
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show recent role, path, mate and alarm events.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: "How many of the most recent events to show (1...\(Limits.eventHistoryMax)).")
    var limit: Int = 20

    func validate() throws {
        guard (1...Limits.eventHistoryMax).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(Limits.eventHistoryMax)")
        }
    }

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            let records = try root.client.events(limit: limit)
            print(output.json ? StatusJSON.render(records) : StatusView.render(records), terminator: "")
        }
    }
}

struct Switchover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand the active role to the mate.",
        discussion: "Refused when the mate is not a hot standby, unless --force is given.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Switch over even if the mate is not a hot standby.")
    var force = false

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            try root.client.switchover(force: force)
            printDone(output, "switchover requested")
        }
    }
}

struct Lock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lock this board out of service: it gives up the active role and never takes it.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            try root.client.lock()
            printDone(output, "board locked")
        }
    }
}

struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Return a locked board to service.")

    @ParentCommand var root: Duplexctl
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors { () throws(DuplexClientError) in
            try root.client.unlock()
            printDone(output, "board unlocked")
        }
    }
}

private func printDone(_ output: OutputOptions, _ text: String) {
    print(output.json ? #"{"ok": true}"# : text)
}
