/// Why a configuration file was refused, with the place to fix it.
///
/// `description` reads like a compiler diagnostic:
/// `board-a.conf:12: [link bp0] interval: "4xs" is not a duration (use e.g. 500us, 4ms, 1s)`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem; stable for scripts and tests.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Storage: UInt8, Sendable, Hashable {
            case syntax, unknownSection, unknownKey, duplicateSection, duplicateKey
            case missingSection, missingKey, invalidValue, tooMany, inconsistent
        }

        private let storage: Storage

        private init(_ storage: Storage) {
            self.storage = storage
        }

        /// A line that is neither a comment, a `[section]` header nor `key = value`.
        public static let syntax = Code(.syntax)
        /// A section kind that does not exist, or a name where none belongs (or none where one must).
        public static let unknownSection = Code(.unknownSection)
        /// A key that the section does not have.
        public static let unknownKey = Code(.unknownKey)
        /// The same section twice.
        public static let duplicateSection = Code(.duplicateSection)
        /// The same key twice in one section.
        public static let duplicateKey = Code(.duplicateKey)
        /// A required section is absent (the error's line is 0).
        public static let missingSection = Code(.missingSection)
        /// A required key is absent (the error's line is its section's header).
        public static let missingKey = Code(.missingKey)
        /// A value of the wrong form or out of range.
        public static let invalidValue = Code(.invalidValue)
        /// More lines, links or addresses than ``Limits`` allows.
        public static let tooMany = Code(.tooMany)
        /// Values that are each valid but contradict one another.
        public static let inconsistent = Code(.inconsistent)

        public var description: String {
            switch storage {
            case .syntax: "syntax"
            case .unknownSection: "unknown section"
            case .unknownKey: "unknown key"
            case .duplicateSection: "duplicate section"
            case .duplicateKey: "duplicate key"
            case .missingSection: "missing section"
            case .missingKey: "missing key"
            case .invalidValue: "invalid value"
            case .tooMany: "too many"
            case .inconsistent: "inconsistent"
            }
        }
    }

    public var code: Code
    /// The file as the caller named it.
    public var file: String
    /// 1-based line number; 0 when the problem belongs to the whole file (a missing section).
    public var line: Int
    /// The section's header text without brackets (`link bp0`), if the problem is in one.
    public var section: String?
    /// The key, if the problem is about one.
    public var key: String?
    /// What is wrong, and where useful, what would be right.
    public var message: String

    public init(code: Code, file: String, line: Int, section: String? = nil, key: String? = nil, message: String) {
        precondition(line >= 0, "line numbers start at 1; 0 means the whole file")
        self.code = code
        self.file = file
        self.line = line
        self.section = section
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = line > 0 ? "\(file):\(line): " : "\(file): "
        if let section { text += "[\(section)] " }
        if let key { text += "\(key): " }
        return text + message
    }
}
