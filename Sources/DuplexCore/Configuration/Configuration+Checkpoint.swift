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
        /// `takeover-barrier` (default 5ms, 0...1s; 0 = no wait): on a takeover, how long the
        /// logical addresses wait for the checkpoint thread to apply everything the mate sent
        /// and take over the replica. After that they are added anyway, and the event history
        /// records a possible loss of state. Only with checkpoint replication configured.
        public var takeoverBarrier: Duration
        /// `directory`: where the journals of persistent checkpoints live (one file each).
        /// Default: `/var/lib/duplex/checkpoints` with the default control socket, otherwise
        /// next to the control socket (`X.sock` → `X-checkpoints`), like `socket`.
        public var directory: String = CheckpointSettings.defaultDirectory
        /// `standby-start-wait` (default 30s, 0...600s; 0 = the discovery window): how long a
        /// board whose persistent checkpoints it last held as a standby, or as the active while
        /// its mate was in reach, waits for its mate before it takes the role alone. Its mate
        /// may have gone on writing after it left; heard in time, the mate's newer state wins
        /// (start-up discovery weighs persisted state). A board that last held them as the
        /// active with no mate in reach starts as always.
        public var standbyStartWait: Duration = .seconds(30)
        /// `huge-pages` (default yes): keep checkpoints and replicas in transparent huge pages
        /// (room made at the heap's top at start, and for a replica when its snapshot begins).
        /// A restarted standby that builds a 100 MB replica then faults about 50 pages instead
        /// of 25,000. Where the kernel must compact memory to find a 2 MB page, or (a virtual
        /// machine) the host backs each one on first touch, a fault can take milliseconds: on
        /// this project's test VM they made a restarted standby hot a third sooner and an
        /// operator's resync of a running standby slower (see the README's checkpoint figures).
        public var hugePages = true
        /// `shared-memory` (default yes): a process may move its session from the socket into
        /// two byte rings in memory it shares with `duplexd`, with an eventfd doorbell each way
        /// (the library asks for it at open): a request and its answer then cost no socket
        /// buffers and no system call on the answer's side. No: every session stays on the socket.
        public var sharedMemory = true

        public static let defaultTakeoverBarrier = Duration.milliseconds(5)
        public static let defaultDirectory = "/var/lib/duplex/checkpoints"

        public init(
            socketPath: String = CheckpointSettings.defaultSocketPath, syncPolicy: ReplicationConfiguration.SyncPolicy = .fail,
            takeoverBarrier: Duration = CheckpointSettings.defaultTakeoverBarrier
        ) {
            self.socketPath = socketPath
            self.syncPolicy = syncPolicy
            self.takeoverBarrier = takeoverBarrier
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
            defaults.directory = base + "-checkpoints"
        }
        guard let reader = try reader("checkpoint", required: false) else { return defaults }
        try reader.checkKeys(
            ["socket", "sync-policy", "takeover-barrier", "directory", "standby-start-wait", "huge-pages", "shared-memory"],
            context: "[checkpoint]")
        let policies: [(String, ReplicationConfiguration.SyncPolicy)] = [("fail", .fail), ("degrade", .degrade)]
        var settings = Configuration.CheckpointSettings(
            socketPath: try reader.value("socket", default: defaults.socketPath, .absolutePath(lengthMax: 107)),
            syncPolicy: try reader.value("sync-policy", default: defaults.syncPolicy, .choice(policies, what: "a sync policy")),
            takeoverBarrier: try reader.value(
                "takeover-barrier", default: defaults.takeoverBarrier, .duration(in: .zero...Duration.seconds(1))))
        settings.directory = try reader.value("directory", default: defaults.directory, .absolutePath(lengthMax: 4000))
        settings.standbyStartWait = try reader.value(
            "standby-start-wait", default: defaults.standbyStartWait, .duration(in: .zero...Duration.seconds(600)))
        settings.hugePages = try reader.value("huge-pages", default: defaults.hugePages, .boolean)
        settings.sharedMemory = try reader.value("shared-memory", default: defaults.sharedMemory, .boolean)
        return settings
    }
}
