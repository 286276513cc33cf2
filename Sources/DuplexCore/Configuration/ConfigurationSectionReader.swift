/// Reads the values of one section, turning each value problem into a ``ConfigurationError``
/// that names the file, line, section and key.
struct ConfigurationSectionReader {
    let section: ConfigurationSection
    let file: String

    /// Refuses the first key (in file order) that is not in `allowed`.
    /// - Parameter context: How the section is described in the message (`a udp link`).
    func checkKeys(_ allowed: [String], context: String) throws(ConfigurationError) {
        for entry in section.entries where !allowed.contains(entry.key) {
            throw error(.unknownKey, line: entry.line, key: entry.key,
                        "unknown key for \(context) (keys: \(allowed.joined(separator: ", ")))")
        }
    }

    func entry(_ key: String) -> ConfigurationEntry? {
        section.entries.first { $0.key == key }
    }

    /// The value of a key that must be present.
    func required<Value>(_ key: String, _ parser: ConfigurationValueParser<Value>) throws(ConfigurationError) -> Value {
        guard let entry = entry(key) else {
            throw error(.missingKey, line: section.line, key: key, "missing required key")
        }
        return try parse(entry, parser)
    }

    /// The value of a key that may be absent.
    func optional<Value>(_ key: String, _ parser: ConfigurationValueParser<Value>) throws(ConfigurationError) -> Value? {
        guard let entry = entry(key) else { return nil }
        return try parse(entry, parser)
    }

    /// The value of a key, or `defaultValue` when absent.
    func value<Value>(
        _ key: String, default defaultValue: Value, _ parser: ConfigurationValueParser<Value>
    ) throws(ConfigurationError) -> Value {
        try optional(key, parser) ?? defaultValue
    }

    /// The values of a repeatable key, in file order (empty when absent).
    func list<Value>(_ key: String, _ parser: ConfigurationValueParser<Value>) throws(ConfigurationError) -> [Value] {
        var values: [Value] = []
        for entry in section.entries where entry.key == key {
            values.append(try parse(entry, parser))
        }
        return values
    }

    /// The lines of a repeatable key, in file order.
    func entries(_ key: String) -> [ConfigurationEntry] {
        section.entries.filter { $0.key == key }
    }

    private func parse<Value>(
        _ entry: ConfigurationEntry, _ parser: ConfigurationValueParser<Value>
    ) throws(ConfigurationError) -> Value {
        do {
            return try parser.parse(entry.value)
        } catch {
            throw self.error(.invalidValue, line: entry.line, key: entry.key, error.message)
        }
    }

    /// An error in this section; `line` defaults to the line of `key`, else the header's.
    func error(
        _ code: ConfigurationError.Code, line: Int? = nil, key: String? = nil, _ message: String
    ) -> ConfigurationError {
        let line = line ?? key.flatMap { entry($0)?.line } ?? section.line
        return ConfigurationError(code: code, file: file, line: line, section: section.title, key: key, message: message)
    }
}
