import DuplexCore
import SystemPackage
import Glibc

/// The last step of the escalation ladder: write why, where it survives a reboot, then run
/// the recovery command (`/sbin/reboot` by default).
final class BoardRecovery {
    let configuration: Configuration.Supervisor
    let socketPath: String

    init(_ configuration: Configuration.Supervisor, socketPath: String) {
        self.configuration = configuration
        self.socketPath = socketPath
    }

    /// Writes `reason` (one line) to the reason file and syncs it to disk, creating the
    /// file's directory when missing.
    ///
    /// The corresponding C calls are `mkdir`, `open(O_CREAT | O_TRUNC)`, `write`, `fsync`.
    func writeReason(_ reason: String) throws(Errno) {
        let path = configuration.recoveryReasonFile
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            _ = mkdir(String(path[..<slash]), 0o755)  // EEXIST is fine; open reports the rest
        }
        let fd = try Syscall.retrying { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        let bytes = Array((reason + "\n").utf8)
        var offset = 0
        // Bounded: every pass writes at least one byte or throws.
        while offset < bytes.count {
            let written = try Syscall.retrying {
                bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            guard written > 0 else { throw Errno.ioError }
            offset += written
        }
        _ = try Syscall.retrying { fsync(fd) }
    }

    /// Starts the recovery command, with the reason in `DUPLEX_RECOVERY_REASON`.
    func start(reason: String, stdin: CInt) throws(ChildProcess.SpawnError) -> ChildProcess {
        let component = Configuration.Component(
            name: "recovery", command: configuration.recoveryCommand,
            environment: [.init(name: "DUPLEX_RECOVERY_REASON", value: reason)])
        let launch: ComponentLaunch
        do throws(ComponentLaunch.LaunchProblem) {
            launch = try ComponentLaunch(component, socketPath: socketPath, componentSocketPath: configuration.componentSocketPath(control: socketPath))
        } catch {
            preconditionFailure("a component without user or group always launches")
        }
        return try ChildProcess.spawn(launch, stdin: stdin)
    }
}
