public import Glibc
import CDuplexShims

/// A background process started with `posix_spawn` with an empty signal mask and default
/// signal dispositions. (Foundation's `Process` passes on the mask of the spawning thread,
/// and test threads block SIGTERM and most other signals: a daemon started that way would not
/// behave as one started by init.) Output goes to a log file, input comes from /dev/null.
///
/// The process is a child of the test process; `isRunning` and `waitForExit` reap it.
public final class SpawnedProcess {
    public let pid: Glibc.pid_t
    public let command: String
    /// The exit status once reaped: the exit code, or 128 + the signal that ended it.
    public private(set) var exitStatus: Int32?

    /// Starts `executable` with `arguments`; the corresponding C function is `posix_spawn`.
    /// - Throws: `SpawnError` when the spawn fails.
    /// - Parameter environment: `NAME=VALUE` entries added to this process's environment.
    public init(_ executable: String, _ arguments: [String], log: String, environment: [String] = []) throws {
        command = ([executable] + arguments).joined(separator: " ")
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process: a file another test is writing at this moment would
        // stay open for writing in a long-lived daemon (and could never be executed).
        CDuplexShims_spawn_actions_close_from(&actions, 3)
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        var inherited: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {  // bounded by the environment's NULL terminator
            inherited.append(String(cString: entry))
            cursor += 1
        }
        let names = Set(environment.map { $0.prefix { $0 != "=" } })
        let entries = inherited.filter { !names.contains($0.prefix { $0 != "=" }) } + environment
        let envp: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError("cannot start \(command): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// Whether the process has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        reap()
        return exitStatus == nil
    }

    /// Sends `signal` unless the process was already reaped (its pid may belong to another
    /// process by then). The corresponding C function is `kill`.
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Polls (every 10 ms, at most `seconds`) until the process exits; returns its exit
    /// status, nil if it is still running.
    public func waitForExit(seconds: Double = 10) -> Int32? {
        for _ in 0..<max(1, Int(seconds / 0.01)) where isRunning {
            usleep(10_000)
        }
        return isRunning ? nil : exitStatus
    }

    /// `waitpid(pid, WNOHANG)`: records the exit status of a finished process.
    private func reap() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        if result == pid {
            // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
            let signal = status & 0x7f
            exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        } else if result < 0 {
            exitStatus = -1  // ECHILD: not our child any more; nothing left to wait for
        }
    }
}

/// Why a process could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
