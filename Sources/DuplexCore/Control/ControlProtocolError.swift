/// Why bytes received on the control socket were refused. Decoders throw it for any input they
/// cannot use; they never trap on garbage.
public struct ControlProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Storage: UInt8, Sendable, Hashable {
            case badMagic, badVersion, messageTooLarge, messageTooShort, truncated, malformed
            case unknownType, unexpectedType, limitExceeded
        }

        private let storage: Storage

        private init(_ storage: Storage) {
            self.storage = storage
        }

        /// The frame does not start with the magic 0x4443 (`DC`): not our protocol.
        public static let badMagic = Code(.badMagic)
        /// A protocol version this build does not speak.
        public static let badVersion = Code(.badVersion)
        /// The frame's length exceeds ``Limits/controlMessageSizeMax``, or a message would.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The frame's length is smaller than its fixed header.
        public static let messageTooShort = Code(.messageTooShort)
        /// The payload ended in the middle of a field, or the connection in the middle of a frame.
        public static let truncated = Code(.truncated)
        /// A field holds a value that cannot be (bad enum value, bad UTF-8, trailing bytes).
        public static let malformed = Code(.malformed)
        /// A message type this build does not know.
        public static let unknownType = Code(.unknownType)
        /// A known message type where another was expected (a request where a response belongs).
        public static let unexpectedType = Code(.unexpectedType)
        /// A list longer than its bound in ``Limits``.
        public static let limitExceeded = Code(.limitExceeded)

        public var description: String {
            switch storage {
            case .badMagic: "bad magic"
            case .badVersion: "bad version"
            case .messageTooLarge: "message too large"
            case .messageTooShort: "message too short"
            case .truncated: "truncated"
            case .malformed: "malformed"
            case .unknownType: "unknown type"
            case .unexpectedType: "unexpected type"
            case .limitExceeded: "limit exceeded"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
