/// Why a ``DuplexClient`` request failed.
public struct DuplexClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Storage: UInt8, Sendable, Hashable {
            case daemonUnreachable, protocolError, daemonError, timeout, systemError
        }

        private let storage: Storage

        private init(_ storage: Storage) {
            self.storage = storage
        }

        /// No socket at the path, or nothing listening on it: `duplexd` is not running.
        public static let daemonUnreachable = Code(.daemonUnreachable)
        /// The daemon's answer could not be decoded, or did not fit the request.
        public static let protocolError = Code(.protocolError)
        /// The daemon answered with an error (see ``DuplexClientError/daemonReply``).
        public static let daemonError = Code(.daemonError)
        /// The daemon did not accept, read or answer within the client's timeout.
        public static let timeout = Code(.timeout)
        /// Another system call failure (see ``DuplexClientError/errno``).
        public static let systemError = Code(.systemError)

        public var description: String {
            switch storage {
            case .daemonUnreachable: "daemon unreachable"
            case .protocolError: "protocol error"
            case .daemonError: "daemon error"
            case .timeout: "timeout"
            case .systemError: "system error"
            }
        }
    }

    public var code: Code
    /// The control socket the client used.
    public var socketPath: String
    /// One line for an operator: `duplexd is not running (no socket at /run/duplex/duplexd.sock)`.
    public var message: String
    /// The errno of the failed system call, for `daemonUnreachable`, `timeout` and `systemError`.
    public var errno: Int32?
    /// The decoding failure, for `protocolError`.
    public var protocolError: ControlProtocolError?
    /// The daemon's answer, for `daemonError`.
    public var daemonReply: ControlErrorReply?

    public init(
        code: Code, socketPath: String, message: String, errno: Int32? = nil,
        protocolError: ControlProtocolError? = nil, daemonReply: ControlErrorReply? = nil
    ) {
        self.code = code
        self.socketPath = socketPath
        self.message = message
        self.errno = errno
        self.protocolError = protocolError
        self.daemonReply = daemonReply
    }

    public var description: String { message }
}
