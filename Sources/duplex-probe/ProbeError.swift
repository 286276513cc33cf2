/// An error of the probe tool: a bad argument or a failed system call.
struct ProbeError: Error, Sendable, Hashable {
    /// Whether the error comes from the command line (exit status 2) or from the system (1).
    enum Kind: Sendable, Hashable {
        case usage
        case system
    }

    let kind: Kind
    let message: String

    static func usage(_ message: String) -> ProbeError {
        ProbeError(kind: .usage, message: message)
    }

    static func system(_ message: String) -> ProbeError {
        ProbeError(kind: .system, message: message)
    }
}
