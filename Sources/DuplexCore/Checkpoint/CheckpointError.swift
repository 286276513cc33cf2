/// Why a checkpoint operation was refused. The store is unchanged when one is thrown.
///
/// `value` is what was asked (a size, a count, a sequence number) and `limit` the bound it went
/// over or the value that was expected; the code says which.
public struct CheckpointError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Storage: UInt8, Sendable, Hashable {
            case invalidName, invalidLimits, keyTooLarge, sectionTooLarge, checkpointTooLarge
            case storeTooLarge, tooManySections, tooManyCheckpoints, tooManyOperations
            case updateTooLarge, malformedUpdate, checkpointExists, noSuchCheckpoint
            case noSuchSection, outOfOrder, checksumMismatch, corrupted
        }

        private let storage: Storage

        private init(_ storage: Storage) {
            self.storage = storage
        }

        /// The name is empty, longer than `Limits.checkpointNameSizeMax` bytes, or not UTF-8.
        public static let invalidName = Code(.invalidName)
        /// A limit asked at creation is below 1 or above its global bound (`detail` says which).
        public static let invalidLimits = Code(.invalidLimits)
        /// A section key is longer than `Limits.sectionKeySizeMax` bytes.
        public static let keyTooLarge = Code(.keyTooLarge)
        /// A section value is longer than the checkpoint's `sectionSizeMax`.
        public static let sectionTooLarge = Code(.sectionTooLarge)
        /// The checkpoint would exceed its `sizeMax`.
        public static let checkpointTooLarge = Code(.checkpointTooLarge)
        /// Every checkpoint together would exceed `Limits.checkpointStoreSizeMax`.
        public static let storeTooLarge = Code(.storeTooLarge)
        /// The checkpoint would hold more than its `sectionsMax` sections.
        public static let tooManySections = Code(.tooManySections)
        /// The board would hold more than `Limits.checkpointsMax` checkpoints.
        public static let tooManyCheckpoints = Code(.tooManyCheckpoints)
        /// An update has no operation or more than `Limits.checkpointOperationsMax`.
        public static let tooManyOperations = Code(.tooManyOperations)
        /// An update's encoding would exceed `Limits.checkpointUpdateSizeMax`.
        public static let updateTooLarge = Code(.updateTooLarge)
        /// `create` not first, or `remove` not alone, in an update.
        public static let malformedUpdate = Code(.malformedUpdate)
        /// `create` of a checkpoint that exists.
        public static let checkpointExists = Code(.checkpointExists)
        /// The checkpoint does not exist.
        public static let noSuchCheckpoint = Code(.noSuchCheckpoint)
        /// `delete` of a section that does not exist.
        public static let noSuchSection = Code(.noSuchSection)
        /// A replica was offered an update whose sequence is not the next one (`limit`).
        public static let outOfOrder = Code(.outOfOrder)
        /// A replica's checksum after an update differs from the active's (`value` is the
        /// replica's, `limit` the active's): the replicas diverged.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// Stored bytes no longer match the checksum computed when they were written.
        public static let corrupted = Code(.corrupted)

        public var description: String {
            switch storage {
            case .invalidName: "invalid name"
            case .invalidLimits: "invalid limits"
            case .keyTooLarge: "section key too large"
            case .sectionTooLarge: "section too large"
            case .checkpointTooLarge: "checkpoint too large"
            case .storeTooLarge: "checkpoint store too large"
            case .tooManySections: "too many sections"
            case .tooManyCheckpoints: "too many checkpoints"
            case .tooManyOperations: "too many operations"
            case .updateTooLarge: "update too large"
            case .malformedUpdate: "malformed update"
            case .checkpointExists: "checkpoint exists"
            case .noSuchCheckpoint: "no such checkpoint"
            case .noSuchSection: "no such section"
            case .outOfOrder: "update out of order"
            case .checksumMismatch: "checksum mismatch"
            case .corrupted: "corrupted"
            }
        }
    }

    public var code: Code
    /// The checkpoint's name.
    public var checkpoint: String
    /// The section concerned, if one is.
    public var key: SectionKey?
    /// What was asked: a size, a count, a sequence number or a checksum.
    public var value: UInt64
    /// The bound `value` went over, or the value that was expected.
    public var limit: UInt64
    /// Which limit, for codes that cover several (`invalidLimits`).
    public var detail: String

    public init(
        _ code: Code, checkpoint: String, key: SectionKey? = nil, value: UInt64 = 0, limit: UInt64 = 0,
        detail: String = ""
    ) {
        self.code = code
        self.checkpoint = checkpoint
        self.key = key
        self.value = value
        self.limit = limit
        self.detail = detail
    }

    public var description: String {
        var text = "checkpoint \"\(checkpoint)\": \(code)"
        if let key { text += " (section \(key))" }
        if !detail.isEmpty { text += " (\(detail))" }
        if value != 0 || limit != 0 { text += ": \(value), limit \(limit)" }
        return text
    }
}
