/// Why one value was refused; ``ConfigurationSectionReader`` adds the file, line and key.
struct ConfigurationValueProblem: Error, Sendable, Hashable {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}

/// The names the configuration accepts.
enum ConfigurationNames {
    static let nameLengthMax = 32

    /// Board, link and address names: letters, digits, `.`, `_` and `-`.
    static func isName(_ text: some StringProtocol) -> Bool {
        (1...nameLengthMax).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// A Linux interface name as the kernel's `dev_valid_name` accepts it: 1...15 bytes
    /// (IFNAMSIZ - 1), no `/`, `:` or whitespace, not `.` or `..`.
    static func isInterfaceName(_ text: some StringProtocol) -> Bool {
        (1...15).contains(text.utf8.count) && text != "." && text != ".."
            && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2F && $0 != 0x3A }
    }
}

/// Turns the text of one value into a checked value, or explains why it cannot.
struct ConfigurationValueParser<Value> {
    let parse: (String) throws(ConfigurationValueProblem) -> Value

    init(_ parse: @escaping (String) throws(ConfigurationValueProblem) -> Value) {
        self.parse = parse
    }
}

extension ConfigurationValueParser where Value: FixedWidthInteger {
    /// A decimal integer, or hexadecimal with `0x` when `hexadecimal` is allowed.
    static func integer(in range: ClosedRange<Value>, hexadecimal: Bool = false) -> Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Value in
            let isHex = hexadecimal && (text.hasPrefix("0x") || text.hasPrefix("0X"))
            let digits = isHex ? text.dropFirst(2) : Substring(text)
            let allowed: (UInt8) -> Bool = isHex
                ? { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
                : { (0x30...0x39).contains($0) }
            guard !digits.isEmpty, digits.utf8.allSatisfy(allowed) else {
                throw ConfigurationValueProblem("\"\(text)\" is not a whole number" + (hexadecimal ? " (use e.g. 0x88B5)" : ""))
            }
            guard let value = Value(digits, radix: isHex ? 16 : 10), range.contains(value) else {
                let bounds = hexadecimal ? "0x\(hex(range.lowerBound))...0x\(hex(range.upperBound))" : "\(range)"
                throw ConfigurationValueProblem("\"\(text)\" is out of range (\(bounds))")
            }
            return value
        }
    }

    private static func hex(_ value: Value) -> String {
        String(value, radix: 16, uppercase: true)
    }
}

extension ConfigurationValueParser where Value == Duration {
    static func duration(in range: ClosedRange<Duration>) -> Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Duration in
            guard let duration = Duration(parsing: text) else {
                throw ConfigurationValueProblem("\"\(text)\" is not a duration (use e.g. 500us, 4ms, 1s)")
            }
            guard range.contains(duration) else {
                throw ConfigurationValueProblem("\"\(text)\" is out of range (\(range.lowerBound)...\(range.upperBound))")
            }
            return duration
        }
    }
}

extension ConfigurationValueParser where Value == Duration? {
    /// A duration within `range`, or `0` for never (nil).
    static func durationOrNever(in range: ClosedRange<Duration>) -> Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Duration? in
            if text == "0" { return nil }
            guard let duration = Duration(parsing: text) else {
                throw ConfigurationValueProblem("\"\(text)\" is not a duration (use e.g. 500ms, 1s, or 0 for never)")
            }
            if duration == .zero { return nil }
            guard range.contains(duration) else {
                throw ConfigurationValueProblem("\"\(text)\" is out of range (0 for never, or \(range.lowerBound)...\(range.upperBound))")
            }
            return duration
        }
    }
}

extension ConfigurationValueParser where Value == Bool {
    static var boolean: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Bool in
            switch text {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw ConfigurationValueProblem("\"\(text)\" is not a boolean (use true or false)")
            }
        }
    }
}

extension ConfigurationValueParser where Value == String {
    static var name: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> String in
            guard ConfigurationNames.isName(text) else {
                throw ConfigurationValueProblem("\"\(text)\" is not a name (letters, digits, '.', '_' and '-'; "
                    + "at most \(ConfigurationNames.nameLengthMax))")
            }
            return text
        }
    }

    static var interface: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> String in
            guard ConfigurationNames.isInterfaceName(text) else {
                throw ConfigurationValueProblem("\"\(text)\" is not an interface name (1 to 15 characters, "
                    + "no '/', ':' or spaces)")
            }
            return text
        }
    }

    /// An absolute path of at most `lengthMax` bytes (107 for a Unix socket: `sun_path` is 108).
    static func absolutePath(lengthMax: Int) -> Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> String in
            guard text.hasPrefix("/") else {
                throw ConfigurationValueProblem("\"\(text)\" is not an absolute path")
            }
            guard text.utf8.count <= lengthMax else {
                throw ConfigurationValueProblem("\"\(text)\" is longer than \(lengthMax) bytes")
            }
            return text
        }
    }
}

extension ConfigurationValueParser {
    /// One of a fixed set of words.
    static func choice(_ choices: [(String, Value)], what: String) -> Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Value in
            guard let match = choices.first(where: { $0.0 == text }) else {
                let names = choices.map(\.0)
                let list = names.count == 2 ? "\(names[0]) or \(names[1])" : names.joined(separator: ", ")
                throw ConfigurationValueProblem("\"\(text)\" is not \(what) (use \(list))")
            }
            return match.1
        }
    }
}
