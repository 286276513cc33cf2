extension Configuration {
    /// `[component NAME]`: a process that `duplexd` starts, watches and restarts.
    public struct Component: Sendable, Hashable {
        /// The section's name: in logs, in `duplexctl components` and in `after` lists.
        public var name: String
        /// The executable, an absolute path (`command`; no `PATH` search).
        public var command: String
        /// `argument` lines in file order (argv[1...]; argv[0] is `command`).
        public var arguments: [String]
        /// `environment = NAME=VALUE` lines in file order, added to the base environment.
        public var environment: [EnvironmentVariable]
        /// The working directory (`directory`, default `/`).
        public var directory: String?
        /// The user to run as (`user`: a name or a number); nil keeps duplexd's.
        public var user: String?
        /// The group to run as (`group`); nil uses the user's primary group.
        public var group: String?
        /// Components that must be running before this one starts (`after`), and that are
        /// stopped only after it.
        public var after: [String]
        public var role: ComponentRole
        /// Whether exhausting the restart intensity escalates (switchover on the active,
        /// board recovery elsewhere) instead of leaving the component failed.
        public var critical: Bool
        public var restart: RestartPolicy
        public var restartIntensity: RestartIntensity
        public var restartBackoff: RestartBackoff
        /// The grace between SIGTERM and SIGKILL when the component is stopped.
        public var stopTimeout: Duration
        /// `health-timeout`: a running component silent (no heartbeat from the `Duplex` library
        /// or its health command) for this long is hung: SIGABRT, SIGKILL after
        /// `abortTimeout`, then its restart policy. nil (the default): watched by exit only.
        public var healthTimeout: Duration? = nil
        /// `health-command`: run every `healthInterval` for a component that does not link
        /// the library; an exit status 0 within the interval counts as a heartbeat.
        public var healthCommand: String? = nil
        /// `health-interval` (default 1s): how often the health command runs, and its run time limit.
        public var healthInterval: Duration = .seconds(1)
        /// `abort-timeout` (default 1s): the grace between SIGABRT of a hung component and SIGKILL.
        public var abortTimeout: Duration = .seconds(1)
        /// `quiesce-timeout` (default 1s): how long a graceful switchover waits for this
        /// component to confirm its quiesce.
        public var quiesceTimeout: Duration = .seconds(1)
        /// The line of each key that is set (the last for a repeated key), and of the section
        /// header under "": for errors found after parsing (a missing executable, an unknown user).
        public var lines: [String: Int]

        public init(
            name: String, command: String, arguments: [String] = [], environment: [EnvironmentVariable] = [],
            directory: String? = nil, user: String? = nil, group: String? = nil, after: [String] = [],
            role: ComponentRole = .both, critical: Bool = false, restart: RestartPolicy = .onFailure,
            restartIntensity: RestartIntensity = .default, restartBackoff: RestartBackoff = .none,
            stopTimeout: Duration = .seconds(2), lines: [String: Int] = [:]
        ) {
            self.name = name
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.directory = directory
            self.user = user
            self.group = group
            self.after = after
            self.role = role
            self.critical = critical
            self.restart = restart
            self.restartIntensity = restartIntensity
            self.restartBackoff = restartBackoff
            self.stopTimeout = stopTimeout
            self.lines = lines
        }

        /// An error about this component's `key` found by the daemon (the parser does not look
        /// at the file system or the user database), in the parser's format: file, line, key.
        public func error(file: String, key: String, _ message: String) -> ConfigurationError {
            ConfigurationError(code: .invalidValue, file: file, line: lines[key] ?? lines[""] ?? 0,
                               section: "component \(name)", key: key, message: message)
        }
    }

    /// One `environment = NAME=VALUE` line.
    public struct EnvironmentVariable: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        public var description: String { "\(name)=\(value)" }
    }

    /// `[supervisor]`: what the board does when a critical component cannot be kept running
    /// and the board is not the active one (board recovery).
    public struct Supervisor: Sendable, Hashable {
        public static let defaultRecoveryCommand = "/sbin/reboot"
        public static let defaultRecoveryReasonFile = "/var/lib/duplex/last-recovery"

        /// Run (without arguments) to recover the board.
        public var recoveryCommand: String
        /// Where the reason is written (and synced) before the command runs, to survive a reboot.
        public var recoveryReasonFile: String
        /// `component-socket`: where components connect with the `Duplex` library (register,
        /// heartbeats, roles); given to them as `DUPLEX_COMPONENT_SOCKET`. nil: next to the
        /// control socket (see ``componentSocketPath(control:)``).
        public var componentSocket: String? = nil

        /// The component socket: `componentSocket`, else the control socket's path with its
        /// `.sock` ending replaced by `-component.sock`
        /// (`/run/duplex/duplexd.sock` -> `/run/duplex/duplexd-component.sock`).
        public func componentSocketPath(control: String) -> String {
            if let componentSocket { return componentSocket }
            let base = control.hasSuffix(".sock") ? String(control.dropLast(5)) : control
            return base + "-component.sock"
        }

        public init(
            recoveryCommand: String = Supervisor.defaultRecoveryCommand,
            recoveryReasonFile: String = Supervisor.defaultRecoveryReasonFile
        ) {
            self.recoveryCommand = recoveryCommand
            self.recoveryReasonFile = recoveryReasonFile
        }
    }
}
