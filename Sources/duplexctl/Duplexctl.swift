import ArgumentParser
import Duplex
import Glibc

/// The root command: global options and the list of subcommands.
struct Duplexctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duplexctl",
        abstract: "Show and control the duplexd redundancy daemon of this board.",
        discussion: """
            Exit status: 0 on success, 3 when duplexd is not running, 1 on any other error.
            The socket is --socket, else $DUPLEX_SOCKET, else \(DuplexClient.defaultSocketPath).
            """,
        subcommands: [Status.self, Events.self, Components.self, Switchover.self, Lock.self, Unlock.self,
                      StartComponent.self, StopComponent.self, RestartComponent.self, WatchdogCommand.self,
                      Checkpoints.self, CheckpointCommand.self, Resync.self, NoiseCommand.self],
        defaultSubcommand: Status.self
    )

    @Option(name: .long, help: ArgumentHelp("The control socket of duplexd.", valueName: "path"))
    var socket: String?

    /// `--socket`, else `$DUPLEX_SOCKET`, else the default path.
    var socketPath: String {
        if let socket { return socket }
        if let variable = getenv("DUPLEX_SOCKET"), variable.pointee != 0 { return String(cString: variable) }
        return DuplexClient.defaultSocketPath
    }

    var client: DuplexClient { DuplexClient(socketPath: socketPath) }
}

/// Options every subcommand takes.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts instead of the human view.")
    var json = false
}

/// Runs `body`, turning a client error into a message on stderr and the documented exit code.
func reportingErrors(_ body: () throws(DuplexClientError) -> Void) throws(ExitCode) {
    do {
        try body()
    } catch {
        writeError("duplexctl: \(error.message)")
        throw error.code == .daemonUnreachable ? ExitCode(3) : ExitCode(1)
    }
}

/// Writes one line to standard error. The corresponding C function is `write(2, ...)`.
func writeError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    // Bounded: every pass writes at least one byte or stops.
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
        if written > 0 {
            offset += written
        } else if written < 0 && errno == EINTR {
            continue
        } else {
            return  // stderr is gone or full: nowhere left to report to.
        }
    }
}
