/// Builds a ``Configuration`` from lexed sections, checking every value, the counts against
/// ``Limits`` and the consistency between sections.
struct ConfigurationBuilder {
    let file: String
    let sections: [ConfigurationSection]

    func build() throws(ConfigurationError) -> Configuration {
        let clusterID = try cluster()
        let board = try self.board()
        let pair = try self.pair()
        let links = try self.links(pair: pair)
        let addresses = try self.addresses()
        var configuration = Configuration(
            clusterID: clusterID, board: board, pair: pair, links: links, addresses: addresses,
            announce: try announce(), control: try control(), log: try log(),
            components: try components(), supervisor: try supervisor()
        )
        configuration.checkpoint = try checkpointSettings(control: configuration.control)
        configuration.authentication = try authentication()
        return configuration
    }

    // MARK: Sections

    func reader(_ kind: String, required: Bool) throws(ConfigurationError) -> ConfigurationSectionReader? {
        guard let section = sections.first(where: { $0.kind == kind }) else {
            guard !required else {
                throw ConfigurationError(code: .missingSection, file: file, line: 0, section: kind,
                                         message: "missing required section")
            }
            return nil
        }
        return ConfigurationSectionReader(section: section, file: file)
    }

    private func cluster() throws(ConfigurationError) -> UInt32 {
        let reader = try reader("cluster", required: true)!
        try reader.checkKeys(["id", "key-file", "previous-key-file"], context: "[cluster]")
        return try reader.required("id", .integer(in: 1...UInt32.max))
    }

    /// `[cluster] key-file` and `previous-key-file` (the latter only with the former).
    private func authentication() throws(ConfigurationError) -> Configuration.Authentication? {
        let reader = try reader("cluster", required: true)!
        let keyFile = try reader.optional("key-file", .absolutePath(lengthMax: 4095))
        let previous = try reader.optional("previous-key-file", .absolutePath(lengthMax: 4095))
        let lines = reader.section.entries.reduce(into: ["": reader.section.line]) { $0[$1.key] = $1.line }
        guard let keyFile else {
            guard previous == nil else {
                throw ConfigurationError(
                    code: .inconsistent, file: file, line: lines["previous-key-file"] ?? reader.section.line, section: "cluster",
                    key: "previous-key-file", message: "a previous key needs a key-file (the key frames are tagged with)")
            }
            return nil
        }
        if let previous, previous == keyFile {
            throw ConfigurationError(
                code: .inconsistent, file: file, line: lines["previous-key-file"] ?? reader.section.line, section: "cluster",
                key: "previous-key-file", message: "the previous key is the key-file itself")
        }
        return Configuration.Authentication(keyFile: keyFile, previousKeyFile: previous, lines: lines)
    }

    private func board() throws(ConfigurationError) -> Configuration.Board {
        let reader = try reader("board", required: true)!
        try reader.checkKeys(["id", "name", "priority"], context: "[board]")
        return Configuration.Board(
            id: try reader.required("id", .integer(in: 1...UInt16.max)),
            name: try reader.required("name", .name),
            priority: try reader.value("priority", default: 100, .integer(in: 0...UInt8.max))
        )
    }

    private func pair() throws(ConfigurationError) -> Configuration.Pair {
        let defaults = Configuration.Pair()
        guard let reader = try reader("pair", required: false) else { return defaults }
        try reader.checkKeys(
            ["interval", "missed-max", "discovery-window", "preempt", "handover-timeout", "realtime-priority",
             "isolation-interface", "watchdog-device", "watchdog-timeout", "heartbeats",
             "standby-interval"], context: "[pair]")
        return Configuration.Pair(
            interval: try reader.value("interval", default: defaults.interval, Self.intervalParser),
            missedMax: try reader.value("missed-max", default: defaults.missedMax, Self.missedMaxParser),
            discoveryWindow: try reader.value(
                "discovery-window", default: defaults.discoveryWindow, .duration(in: .zero ... .seconds(60))),
            preempt: try reader.value("preempt", default: defaults.preempt, .boolean),
            handoverTimeout: try reader.value(
                "handover-timeout", default: defaults.handoverTimeout, .duration(in: .milliseconds(1) ... .seconds(60))),
            realtimePriority: try reader.value("realtime-priority", default: defaults.realtimePriority, .integer(in: 0...99)),
            isolationInterface: try reader.optional("isolation-interface", .interface),
            watchdogDevice: try reader.optional("watchdog-device", .absolutePath(lengthMax: 4095)),
            watchdogTimeout: try reader.value(
                "watchdog-timeout", default: defaults.watchdogTimeout, .duration(in: .seconds(1) ... .seconds(3600))),
            heartbeats: try reader.value(
                "heartbeats", default: defaults.heartbeats,
                .choice([("rotate", .rotate), ("every-link", .everyPath)], what: "heartbeat mode")),
            standbyInterval: try reader.optional("standby-interval", .duration(in: .microseconds(100) ... .seconds(1)))
        )
    }

    static var intervalParser: ConfigurationValueParser<Duration> { .duration(in: .microseconds(100) ... .seconds(10)) }
    static var missedMaxParser: ConfigurationValueParser<Int> { .integer(in: 1...100) }

    private func announce() throws(ConfigurationError) -> Configuration.Announce {
        let defaults = Configuration.Announce()
        guard let reader = try reader("announce", required: false) else { return defaults }
        try reader.checkKeys(
            ["count", "interval", "virtual-refresh-count", "virtual-refresh-interval", "refresh-interval"], context: "[announce]")
        var announce = Configuration.Announce(
            count: try reader.value("count", default: defaults.count, .integer(in: 0...50)),
            interval: try reader.value("interval", default: defaults.interval, .duration(in: .microseconds(100) ... .seconds(1)))
        )
        announce.virtualRefreshCount = try reader.value(
            "virtual-refresh-count", default: defaults.virtualRefreshCount, .integer(in: 0...100))
        announce.virtualRefreshInterval = try reader.value(
            "virtual-refresh-interval", default: defaults.virtualRefreshInterval, .duration(in: .milliseconds(10) ... .seconds(10)))
        announce.refreshInterval = try reader.value(
            "refresh-interval", default: defaults.refreshInterval, .durationOrNever(in: .milliseconds(10) ... .seconds(3600)))
        return announce
    }

    private func control() throws(ConfigurationError) -> Configuration.Control {
        guard let reader = try reader("control", required: false) else { return Configuration.Control() }
        try reader.checkKeys(["socket"], context: "[control]")
        let path = try reader.value("socket", default: Configuration.Control.defaultSocketPath, .absolutePath(lengthMax: 107))
        return Configuration.Control(socketPath: path)
    }

    private func log() throws(ConfigurationError) -> Configuration.Log {
        guard let reader = try reader("log", required: false) else { return Configuration.Log() }
        try reader.checkKeys(["level"], context: "[log]")
        let levels = Configuration.LogLevel.allCases.map { ($0.rawValue, $0) }
        return Configuration.Log(level: try reader.value("level", default: .info, .choice(levels, what: "a log level")))
    }
}
