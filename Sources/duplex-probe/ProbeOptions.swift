/// The command line of `duplex-probe`, parsed by hand.
enum ProbeCommand {
    case respond(RespondOptions)
    case client(ClientOptions)
    case help

    static let usage = """
        usage:
          duplex-probe respond --name NAME [--port 7500] [--bind ADDR] [--lifetime 3600s]
          duplex-probe client --target ADDR --count N [--port 7500] [--interval 1ms]
                              [--timeout-after-last 200ms] [--realtime-priority 0]

        respond  answers every probe datagram with its sequence number and NAME
                 (1 to 32 characters of A-Z a-z 0-9 . _ -). Without --bind it listens on
                 IPv6 and IPv4. It exits after --lifetime.
        client   sends N sequence-numbered probes to ADDR, one per --interval on absolute
                 deadlines, waits --timeout-after-last for late answers, and prints one JSON
                 line: sent, answered, lost, answered_by_both, answers per name, and gap_ms,
                 the longest send-time interval between two consecutive answered probes.
                 --realtime-priority N (1...99) sends from SCHED_FIFO, so that the client's
                 own scheduling delays do not show up as gaps (needs root; 0 = normal).
        Durations take a unit: ns, us, ms or s (for example 1ms, 1.5ms, 200ms, 2s).
        """

    /// Parses `arguments` (without the program name).
    /// - Throws: `ProbeError.usage` naming the offending argument.
    static func parse(_ arguments: [String]) throws(ProbeError) -> ProbeCommand {
        guard let mode = arguments.first else { throw .usage("missing mode: respond or client") }
        if mode == "-h" || mode == "--help" || mode == "help" { return .help }
        let options = try OptionList(Array(arguments.dropFirst()))
        switch mode {
        case "respond": return .respond(try RespondOptions(options))
        case "client": return .client(try ClientOptions(options))
        default: throw .usage("unknown mode '\(mode)': expected respond or client")
        }
    }
}

/// `--key value` and `--key=value` pairs, each key at most once.
struct OptionList {
    private(set) var values: [String: String] = [:]

    init(_ arguments: [String]) throws(ProbeError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw .usage("unexpected argument '\(argument)'")
            }
            var key = String(argument.dropFirst(2))
            let value: String
            if let equals = key.firstIndex(of: "=") {
                value = String(key[key.index(after: equals)...])
                key = String(key[..<equals])
            } else {
                guard index + 1 < arguments.count else { throw .usage("--\(key) needs a value") }
                index += 1
                value = arguments[index]
            }
            guard values[key] == nil else { throw .usage("--\(key) given twice") }
            values[key] = value
            index += 1
        }
    }

    /// Fails if any key is not in `known`.
    func checkKeys(_ known: Set<String>) throws(ProbeError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw .usage("unknown option --\(key)")
        }
    }

    func port() throws(ProbeError) -> UInt16 {
        guard let text = values["port"] else { return 7500 }
        guard let port = UInt16(text), port > 0 else { throw .usage("--port: '\(text)' is not a port") }
        return port
    }

    func duration(_ key: String, default fallback: UInt64, range: ClosedRange<UInt64>) throws(ProbeError) -> UInt64 {
        guard let text = values[key] else { return fallback }
        let value = try ProbeDuration.parse(text, option: "--\(key)")
        guard range.contains(value) else {
            throw .usage("--\(key): \(text) is outside \(ProbeDuration.milliseconds(range.lowerBound))ms...\(ProbeDuration.milliseconds(range.upperBound))ms")
        }
        return value
    }
}

/// Options of `duplex-probe respond`.
struct RespondOptions {
    let name: [UInt8]
    let port: UInt16
    let bind: SocketAddress?
    let lifetime: UInt64

    init(_ options: OptionList) throws(ProbeError) {
        try options.checkKeys(["name", "port", "bind", "lifetime"])
        guard let name = options.values["name"] else { throw .usage("respond needs --name") }
        let bytes = Array(name.utf8)
        let allowed = { (byte: UInt8) -> Bool in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !bytes.isEmpty, bytes.count <= ProbeWire.nameSizeMax, bytes.allSatisfy(allowed) else {
            throw .usage("--name: '\(name)' must be 1 to 32 characters of A-Z a-z 0-9 . _ -")
        }
        self.name = bytes
        let port = try options.port()
        self.port = port
        if let text = options.values["bind"] {
            self.bind = try SocketAddress(numeric: text, port: port)
        } else {
            self.bind = nil
        }
        self.lifetime = try options.duration("lifetime", default: 3_600_000_000_000, range: 1_000_000...86_400_000_000_000)
    }
}

/// Options of `duplex-probe client`.
struct ClientOptions {
    static let countMax = 1_000_000

    let targetText: String
    let target: SocketAddress
    let port: UInt16
    let interval: UInt64
    let count: Int
    let timeoutAfterLast: UInt64
    /// SCHED_FIFO priority of the client, 0 for the normal scheduler.
    let realtimePriority: Int32

    init(_ options: OptionList) throws(ProbeError) {
        try options.checkKeys(["target", "port", "interval", "count", "timeout-after-last", "realtime-priority"])
        guard let target = options.values["target"] else { throw .usage("client needs --target") }
        guard let countText = options.values["count"] else { throw .usage("client needs --count") }
        guard let count = Int(countText), count >= 1, count <= Self.countMax else {
            throw .usage("--count: '\(countText)' must be a whole number from 1 to \(Self.countMax)")
        }
        self.port = try options.port()
        self.targetText = target
        self.target = try SocketAddress(numeric: target, port: port)
        self.count = count
        self.interval = try options.duration("interval", default: 1_000_000, range: 10_000...10_000_000_000)
        self.timeoutAfterLast = try options.duration(
            "timeout-after-last", default: 200_000_000, range: 0...60_000_000_000)
        let priorityText = options.values["realtime-priority"] ?? "0"
        guard let priority = Int32(priorityText), priority >= 0, priority <= 99 else {
            throw .usage("--realtime-priority: '\(priorityText)' must be 0...99")
        }
        self.realtimePriority = priority
        guard UInt64(count) * interval <= 3_600_000_000_000 else {
            throw .usage("--count × --interval must not exceed one hour")
        }
    }
}
