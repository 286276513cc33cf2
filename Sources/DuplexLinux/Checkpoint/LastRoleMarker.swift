public import DuplexCore
public import SystemPackage
import Glibc

/// The role this board last held, kept next to its persistent checkpoints' journals
/// (`DIRECTORY/last-role`), so that a start knows whether its persisted state may be behind
/// its mate's. A standby's mate may have gone on writing after the standby left (stopped,
/// crashed, cut off), and only the mate has those writes; so may the mate of an active that
/// left while its mate was there to take over. Only an active that was alone when it left
/// holds the newest state it knows. Like DRBD's "outdated" disk and its shorter wait after a
/// degraded cluster: a board whose mate may have gone past it waits longer for its mate before
/// it starts alone (`[checkpoint] standby-start-wait`).
///
/// Written by the control thread when the pair reports a role change, or the active's mate
/// coming or going (a few milliseconds of `fsync`, off the pair's and the checkpoints' paths);
/// read once at start.
public struct LastRoleMarker: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        /// The active, with no mate in reach: nobody could take over from it.
        case active
        case standby
        /// The active while its mate was in reach (on some path): the mate may have taken
        /// over after this board left. (A build without this value reads no marker.)
        case activeWithMate = "active-with-mate"

        /// The marker for `role` (nil for a role that is neither), given whether the mate is
        /// in reach.
        public init?(_ role: DuplexCore.Role, mateInReach: Bool) {
            switch role {
            case .active: self = mateInReach ? .activeWithMate : .active
            case .standby: self = .standby
            default: return nil
            }
        }

        /// Whether the mate may hold state newer than this board's persisted state.
        public var mateMayBeAhead: Bool { self != .active }
    }

    /// The marker's path.
    public let path: String

    public init(directory: String) {
        precondition(directory.hasPrefix("/"), "an absolute directory")
        path = directory + "/last-role"
    }

    /// The role the marker holds; nil when there is none or it cannot be read (a board that
    /// never held a role with this directory, or a marker lost in a crash: the start is as it
    /// always was).
    public func read() -> Role? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return Role(rawValue: text.split(separator: "\n").first.map(String.init) ?? "")
    }

    /// Replaces the marker atomically and durably: temporary file, `fsync`, `rename`, `fsync`
    /// of the directory.
    /// - Throws: `Errno`; the previous marker then stays.
    public func write(_ role: Role) throws(Errno) {
        let temporary = path + ".tmp"
        let fd = try Syscall.retrying { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
        do {
            try CheckpointJournal.writeAll(fd, Array("\(role.rawValue)\n".utf8))
            _ = try Syscall.retrying { fsync(fd) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        _ = try Syscall.retrying { rename(temporary, path) }
        let directory = String(path.dropLast("/last-role".count))
        let directoryFD = try Syscall.retrying { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(directoryFD) }
        _ = try Syscall.retrying { fsync(directoryFD) }
    }
}
