/// Why a ``Checkpoint`` call failed.
public struct CheckpointClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Storage: UInt8, Sendable, Hashable {
            case daemonUnreachable, connectionLost, timeout, overLimit, invalid, notActive, mateNotHot
            case unconfirmed, busy, asyncWriteFailed, protocolError, systemError
        }

        private let storage: Storage

        private init(_ storage: Storage) {
            self.storage = storage
        }

        /// No socket at the path, or nothing listening: `duplexd` (or its checkpoint service)
        /// is not running.
        public static let daemonUnreachable = Code(.daemonUnreachable)
        /// The connection to `duplexd` broke (it stopped or restarted): open the checkpoint again.
        /// A write in flight may or may not have been applied.
        public static let connectionLost = Code(.connectionLost)
        /// No answer within the checkpoint's timeout.
        public static let timeout = Code(.timeout)
        /// The write would go over a limit (see ``CheckpointClientError/checkpointError``: which
        /// one, the value and the limit). Nothing was written.
        public static let overLimit = Code(.overLimit)
        /// The request names what does not exist (a checkpoint, a section to delete) or is
        /// otherwise refused by the store (see ``CheckpointClientError/checkpointError``).
        public static let invalid = Code(.invalid)
        /// This board is not active: its replica can only be read.
        public static let notActive = Code(.notActive)
        /// A synchronous write while the mate's replica is not hot, and `[checkpoint] sync-policy`
        /// is `fail`. Nothing was written. (With `degrade`, the write succeeds locally and its
        /// ``WriteResult/isReplicated`` is false.)
        public static let mateNotHot = Code(.mateNotHot)
        /// Applied on this board, but the mate's confirmation never came (the mate was lost or
        /// this board lost the role): a failover may lose it.
        public static let unconfirmed = Code(.unconfirmed)
        /// Too many requests wait for the mate; nothing was written. Try again.
        public static let busy = Code(.busy)
        /// An earlier asynchronous write failed (reported by ``Checkpoint/flush()``); see
        /// ``CheckpointClientError/asyncFailures``.
        public static let asyncWriteFailed = Code(.asyncWriteFailed)
        /// The daemon's answer could not be decoded.
        public static let protocolError = Code(.protocolError)
        /// Another system call failed (see ``CheckpointClientError/errno``).
        public static let systemError = Code(.systemError)

        public var description: String {
            switch storage {
            case .daemonUnreachable: "daemon unreachable"
            case .connectionLost: "connection lost"
            case .timeout: "timeout"
            case .overLimit: "over a limit"
            case .invalid: "invalid"
            case .notActive: "not active"
            case .mateNotHot: "mate not hot"
            case .unconfirmed: "unconfirmed"
            case .busy: "busy"
            case .asyncWriteFailed: "asynchronous write failed"
            case .protocolError: "protocol error"
            case .systemError: "system error"
            }
        }
    }

    public var code: Code
    /// The checkpoint concerned.
    public var checkpoint: String
    /// The store's reason, for `overLimit` and `invalid`.
    public var checkpointError: CheckpointError?
    /// The update's sequence, for `unconfirmed`.
    public var sequence: UInt64?
    /// The errno of the failed system call, for `daemonUnreachable`, `connectionLost` and `systemError`.
    public var errno: Int32?
    /// For `asyncWriteFailed`: the failures of asynchronous writes since the last report (at
    /// most `Checkpoint.asyncFailuresMax`), each with the error it would have thrown.
    public var asyncFailures: [CheckpointClientError]
    public var message: String

    public init(
        _ code: Code, checkpoint: String, message: String, checkpointError: CheckpointError? = nil,
        sequence: UInt64? = nil, errno: Int32? = nil, asyncFailures: [CheckpointClientError] = []
    ) {
        self.code = code
        self.checkpoint = checkpoint
        self.message = message
        self.checkpointError = checkpointError
        self.sequence = sequence
        self.errno = errno
        self.asyncFailures = asyncFailures
    }

    /// The client error for a refusal of the daemon.
    init(_ error: SessionError, checkpoint: String) {
        let code: Code
        switch error.code {
        case .invalid: code = error.checkpointError?.code.isOverLimit == true ? .overLimit : .invalid
        case .notActive: code = .notActive
        case .mateNotHot: code = .mateNotHot
        case .busy: code = .busy
        case .unconfirmed: code = .unconfirmed
        default: code = .protocolError
        }
        self.init(
            code, checkpoint: checkpoint, message: "checkpoint \"\(checkpoint)\": \(error)",
            checkpointError: error.checkpointError, sequence: code == .unconfirmed ? error.sequence : nil)
    }

    public var description: String { message }
}
