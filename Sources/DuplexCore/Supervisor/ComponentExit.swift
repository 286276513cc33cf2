/// How a component's process ended, as the adapter saw it (`waitid`), or why it never ran.
public enum ComponentExit: Sendable, Hashable, CustomStringConvertible {
    /// It called `exit(status)`.
    case exited(status: Int32)
    /// A signal ended it.
    case signalled(signal: Int32)
    /// It could not be started: `fork`, a set-up step in the child or `execve` failed with
    /// this errno.
    case startFailed(errno: Int32)

    /// Anything but `exit(0)`.
    public var isFailure: Bool {
        if case .exited(status: 0) = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .exited(let status): "exited with status \(status)"
        case .signalled(let signal): "killed by signal \(signal)" + (Self.signalNames[signal].map { " (SIG\($0))" } ?? "")
        case .startFailed(let errno): "could not start: " + (Self.errnoNames[errno] ?? "errno \(errno)")
        }
    }

    /// Linux signal numbers (asm-generic/signal.h; x86 and ARM agree on these).
    static let signalNames: [Int32: String] = [
        1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE", 9: "KILL",
        10: "USR1", 11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM",
    ]

    /// The errnos a start fails with most (asm-generic/errno-base.h).
    static let errnoNames: [Int32: String] = [
        1: "operation not permitted (EPERM)", 2: "no such file or directory (ENOENT)",
        8: "exec format error (ENOEXEC)", 11: "resource temporarily unavailable (EAGAIN)",
        12: "out of memory (ENOMEM)", 13: "permission denied (EACCES)", 20: "not a directory (ENOTDIR)",
        21: "is a directory (EISDIR)", 24: "too many open files (EMFILE)", 26: "text file busy (ETXTBSY)",
    ]
}
