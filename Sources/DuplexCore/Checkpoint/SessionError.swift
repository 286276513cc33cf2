/// Why `duplexd` refused a request of the checkpoint session protocol (the `failed` response).
public struct SessionError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt8

        private init(_ rawValue: UInt8) {
            self.rawValue = rawValue
        }

        /// A code from the wire; unknown values are kept as they are.
        public init(rawValue: UInt8) {
            self.rawValue = rawValue
        }

        /// The update breaks a limit or names what does not exist (see `checkpointError`);
        /// nothing was written.
        public static let invalid = Code(1)
        /// This board is not active: only reads of the replica are served.
        public static let notActive = Code(2)
        /// A synchronous write while the mate is not hot, with sync policy `fail`; nothing was
        /// written.
        public static let mateNotHot = Code(3)
        /// Too many requests wait for the mate; nothing was written.
        public static let busy = Code(4)
        /// Applied on this board, but the mate's confirmation never came (the mate was lost or
        /// this board lost the role): a failover may lose it. `sequence` is the update's.
        public static let unconfirmed = Code(5)
        /// The request could not be decoded or is not allowed (the message says why).
        public static let badRequest = Code(6)

        public var description: String {
            switch rawValue {
            case 1: "invalid"
            case 2: "not active"
            case 3: "mate not hot"
            case 4: "busy"
            case 5: "unconfirmed"
            case 6: "bad request"
            default: "code \(rawValue)"
            }
        }
    }

    public var code: Code
    /// The store's reason, for `invalid`.
    public var checkpointError: CheckpointError?
    /// The update's sequence, for `unconfirmed`.
    public var sequence: UInt64
    public var message: String

    public init(_ code: Code, checkpointError: CheckpointError? = nil, sequence: UInt64 = 0, message: String = "") {
        self.code = code
        self.checkpointError = checkpointError
        self.sequence = sequence
        self.message = message
    }

    public var description: String {
        var text = "\(code)"
        if let checkpointError { text += ": \(checkpointError)" }
        if code == .unconfirmed { text += " (update #\(sequence))" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}

extension SessionError {
    func encode(into bytes: inout [UInt8]) {
        bytes.append(code.rawValue)
        bytes.append(bigEndian: sequence)
        if let error = checkpointError {
            bytes.append(1)
            bytes.append(CheckpointError.Code.wireValue(error.code))
            bytes.append(name: String(error.checkpoint.utf8.prefix(Limits.checkpointNameSizeMax)) ?? "")
            bytes.append(error.key == nil ? 0 : 1)
            if let key = error.key { bytes.append(key: key) }
            bytes.append(bigEndian: error.value)
            bytes.append(bigEndian: error.limit)
            bytes.append(text: error.detail)
        } else {
            bytes.append(0)
        }
        bytes.append(text: message)
    }

    init(decoding reader: inout ByteReader) throws(ReplicationDecodeError) {
        let code = Code(rawValue: try reader.field(UInt8.self))
        let sequence = try reader.field(UInt64.self)
        var checkpointError: CheckpointError?
        if try reader.flag() {
            let raw = try reader.field(UInt8.self)
            guard let errorCode = CheckpointError.Code.fromWire(raw) else { throw .malformed }
            let count = Int(try reader.field(UInt8.self))
            guard count <= Limits.checkpointNameSizeMax else { throw .invalidName }
            let name = String(decoding: try reader.field(bytes: count), as: UTF8.self)
            let key = try reader.flag() ? try reader.sectionKey() : nil
            let value = try reader.field(UInt64.self)
            let limit = try reader.field(UInt64.self)
            let detail = try reader.text()
            checkpointError = CheckpointError(
                errorCode, checkpoint: name, key: key, value: value, limit: limit, detail: detail)
        }
        self.init(code, checkpointError: checkpointError, sequence: sequence, message: try reader.text())
    }
}

extension CheckpointError.Code {
    /// Every code, in wire order (the wire value is the index plus one). Append only.
    static let wireOrder: [CheckpointError.Code] = [
        .invalidName, .invalidLimits, .keyTooLarge, .sectionTooLarge, .checkpointTooLarge, .storeTooLarge,
        .tooManySections, .tooManyCheckpoints, .tooManyOperations, .updateTooLarge, .malformedUpdate,
        .checkpointExists, .noSuchCheckpoint, .noSuchSection, .outOfOrder, .checksumMismatch, .corrupted,
    ]

    static func wireValue(_ code: CheckpointError.Code) -> UInt8 {
        guard let index = wireOrder.firstIndex(of: code) else { preconditionFailure("every code has a wire value") }
        return UInt8(index + 1)
    }

    static func fromWire(_ value: UInt8) -> CheckpointError.Code? {
        let index = Int(value) - 1
        return wireOrder.indices.contains(index) ? wireOrder[index] : nil
    }

    /// Whether the code reports going over a limit (as opposed to naming what does not exist).
    public var isOverLimit: Bool {
        [.keyTooLarge, .sectionTooLarge, .checkpointTooLarge, .storeTooLarge, .tooManySections, .tooManyCheckpoints,
         .tooManyOperations, .updateTooLarge].contains(self)
    }
}
