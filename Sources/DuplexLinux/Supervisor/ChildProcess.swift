import DuplexCore
import SystemPackage
import CDuplexShims
import Glibc

/// One running component process: the leader of its own session and process group, watched
/// through a pidfd, its standard output and error in a pipe.
final class ChildProcess {
    let pid: pid_t
    /// Readable when the process has ended (`pidfd_open`).
    let pidfd: CInt
    /// The read end of its output pipe, non-blocking.
    let output: CInt
    private var reaped = false

    /// Why a spawn failed: the step in the child (or before it) and its errno.
    struct SpawnError: Error, Sendable, Hashable, CustomStringConvertible {
        var step: String
        var errno: Errno

        var description: String { "\(step): \(errno)" }
    }

    private init(pid: pid_t, pidfd: CInt, output: CInt) {
        self.pid = pid
        self.pidfd = pidfd
        self.output = output
    }

    deinit {
        close(pidfd)
        close(output)
    }

    /// Starts `launch` with standard input from `stdin` (a descriptor >= 3).
    ///
    /// The corresponding C functions are `pipe2`, `vfork`/`execve` (`CDuplexShims_spawn`) and
    /// `pidfd_open`.
    static func spawn(_ launch: ComponentLaunch, stdin: CInt) throws(SpawnError) -> ChildProcess {
        var ends: [CInt] = [-1, -1]
        guard CDuplexShims_pipe(&ends) == 0 else {
            throw SpawnError(step: "pipe", errno: Errno(rawValue: errno))
        }
        let readEnd = ends[0]
        // Only the read end is non-blocking: a full pipe slows the writer rather than failing it.
        _ = fcntl(readEnd, F_SETFL, O_NONBLOCK)
        let writeEnd = aboveStandard(ends[1])
        defer { close(writeEnd) }
        var step: CInt = 0
        let pid = launch.withRequest(stdin: stdin, output: writeEnd) { request in
            withUnsafePointer(to: request) { CDuplexShims_spawn($0, &step) }
        }
        guard pid > 0 else {
            let error = Errno(rawValue: errno)
            close(readEnd)
            throw SpawnError(step: stepName(step), errno: error)
        }
        let pidfd = CDuplexShims_pidfd_open(pid, 0)
        guard pidfd >= 0 else {
            let error = Errno(rawValue: errno)
            _ = CDuplexShims_kill_group(pid, SIGKILL)
            var status: CInt = 0
            _ = waitpid(pid, &status, 0)  // reaps the child we cannot watch
            close(readEnd)
            throw SpawnError(step: "pidfd_open", errno: error)
        }
        return ChildProcess(pid: pid, pidfd: pidfd, output: readEnd)
    }

    /// Moves a descriptor to 3 or above (close-on-exec), so that the child's `dup2` onto 0, 1
    /// and 2 cannot overwrite it.
    private static func aboveStandard(_ fd: CInt) -> CInt {
        guard fd <= 2 else { return fd }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        precondition(moved >= 3, "F_DUPFD_CLOEXEC")
        close(fd)
        return moved
    }

    private static func stepName(_ step: CInt) -> String {
        switch step {
        case CDuplexShims_SPAWN_STEP_SETSID: "setsid"
        case CDuplexShims_SPAWN_STEP_DUP: "dup2"
        case CDuplexShims_SPAWN_STEP_CHDIR: "chdir"
        case CDuplexShims_SPAWN_STEP_SETGROUPS: "setgroups"
        case CDuplexShims_SPAWN_STEP_SETGID: "setgid"
        case CDuplexShims_SPAWN_STEP_SETUID: "setuid"
        case CDuplexShims_SPAWN_STEP_EXEC: "execve"
        default: "vfork"
        }
    }

    /// Sends `signal` to the whole process group (the component and what it started).
    ///
    /// The corresponding C function is `kill(-pid, signal)`. ESRCH (the group is gone) is fine.
    func signalGroup(_ signal: CInt) {
        guard !reaped else { return }
        _ = CDuplexShims_kill_group(pid, signal)
    }

    /// Sends `signal` to the process itself (not its group).
    ///
    /// The corresponding C function is `kill(pid, signal)`. ESRCH (it is gone) is fine.
    func signal(_ signal: CInt) {
        guard !reaped else { return }
        _ = kill(pid, signal)
    }

    /// Collects the exit status once the pidfd is readable; first kills what is left of the
    /// process group, so that no orphan outlives its component.
    ///
    /// The corresponding C functions are `kill(-pid, SIGKILL)` and `waitid(P_PIDFD, WNOHANG)`.
    /// - Returns: how it ended; nil while it still runs.
    func reap() -> ComponentExit? {
        guard !reaped else { return nil }
        // The leader is a zombie until reaped, so the group id cannot be reused yet.
        _ = CDuplexShims_kill_group(pid, SIGKILL)
        var code: CInt = 0
        var status: CInt = 0
        let result = CDuplexShims_pidfd_wait(pidfd, &code, &status)
        if result == 0 { return nil }
        reaped = true
        if result < 0 { return .signalled(signal: 0) }  // ECHILD: reaped elsewhere; the status is lost
        return code == CDuplexShims_CLD_EXITED ? .exited(status: status) : .signalled(signal: status)
    }
}

extension ComponentLaunch {
    /// Calls `body` with the C request for this launch.
    func withRequest<Result>(
        stdin: CInt, output: CInt, _ body: (CDuplexShims_SpawnRequest) -> Result
    ) -> Result {
        let groups = identity?.groups ?? []
        return path.withCString { path in
            directory.withCString { directory in
                groups.withUnsafeBufferPointer { groupList in
                    body(CDuplexShims_SpawnRequest(
                        path: path, argv: arguments.pointer, envp: environment.pointer, directory: directory,
                        stdin_fd: stdin, output_fd: output, set_ids: identity == nil ? 0 : 1,
                        uid: identity?.uid ?? 0, gid: identity?.gid ?? 0, groups: groupList.baseAddress,
                        group_count: CInt(groupList.count)))
                }
            }
        }
    }
}
