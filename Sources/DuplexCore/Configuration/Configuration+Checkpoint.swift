extension Configuration {
    /// `[checkpoint]`: the checkpoint service of `duplexd`.
    public struct CheckpointSettings: Sendable, Hashable {
        public static let defaultSocketPath = "/run/duplex/checkpoint.sock"

        /// `socket`: the Unix stream socket processes open checkpoints on (root only). Default:
        /// `/run/duplex/checkpoint.sock` with the default control socket, otherwise next to the
        /// control socket (`X.sock` → `X-checkpoint.sock`), so that two boards sharing a file
        /// system (the lab) do not collide.
        public var socketPath: String
        /// `sync-policy = fail | degrade`: what a synchronous write does while the mate's
        /// replica is not hot: refuse it, or apply it locally and say it is not replicated.
        public var syncPolicy: ReplicationConfiguration.SyncPolicy

        public init(socketPath: String = CheckpointSettings.defaultSocketPath, syncPolicy: ReplicationConfiguration.SyncPolicy = .fail) {
            self.socketPath = socketPath
            self.syncPolicy = syncPolicy
        }
    }
}

extension ConfigurationBuilder {
    func checkpointSettings(control: Configuration.Control) throws(ConfigurationError) -> Configuration.CheckpointSettings {
        var defaults = Configuration.CheckpointSettings()
        if control.socketPath != Configuration.Control.defaultSocketPath {
            let base = control.socketPath.hasSuffix(".sock") ? String(control.socketPath.dropLast(5)) : control.socketPath
            let derived = base + "-checkpoint.sock"
            if derived.utf8.count <= 107 { defaults.socketPath = derived }
        }
        guard let reader = try reader("checkpoint", required: false) else { return defaults }
        try reader.checkKeys(["socket", "sync-policy"], context: "[checkpoint]")
        let policies: [(String, ReplicationConfiguration.SyncPolicy)] = [("fail", .fail), ("degrade", .degrade)]
        return Configuration.CheckpointSettings(
            socketPath: try reader.value("socket", default: defaults.socketPath, .absolutePath(lengthMax: 107)),
            syncPolicy: try reader.value("sync-policy", default: defaults.syncPolicy, .choice(policies, what: "a sync policy")))
    }
}
