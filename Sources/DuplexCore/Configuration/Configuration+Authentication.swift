extension Configuration {
    /// `[cluster] key-file` and `previous-key-file`: the keys that authenticate pair frames
    /// (`PairAuthentication`), for paths that are not physically private (a service LAN that
    /// clients share). The parser knows only the paths; `duplexd` reads the files at start and
    /// refuses to start on a file it cannot use, naming this file, the line and the key.
    public struct Authentication: Sendable, Hashable {
        /// The key every frame is tagged with; frames are accepted with its tag.
        public var keyFile: String
        /// A key also accepted while the pair moves to a new one (configure it on the standby
        /// first, then on the active after a switchover).
        public var previousKeyFile: String?
        /// The lines of the keys, for errors found when the files are read.
        public var lines: [String: Int]

        public init(keyFile: String, previousKeyFile: String? = nil, lines: [String: Int] = [:]) {
            self.keyFile = keyFile
            self.previousKeyFile = previousKeyFile
            self.lines = lines
        }

        /// An error about `key` (`key-file` or `previous-key-file`) in `file`.
        public func error(file: String, key: String, _ message: String) -> ConfigurationError {
            ConfigurationError(
                code: .invalidValue, file: file, line: lines[key] ?? lines[""] ?? 0, section: "cluster", key: key, message: message)
        }
    }
}
