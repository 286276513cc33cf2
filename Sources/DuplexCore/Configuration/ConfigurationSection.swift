/// One `key = value` line of a configuration file.
struct ConfigurationEntry: Sendable, Hashable {
    let key: String
    let value: String
    let line: Int
}

/// One `[kind]` or `[kind name]` section with its entries in file order.
struct ConfigurationSection: Sendable, Hashable {
    let kind: String
    let name: String?
    let line: Int
    var entries: [ConfigurationEntry]

    /// The header text without brackets, as errors print it: `link bp0`.
    var title: String { name.map { "\(kind) \($0)" } ?? kind }
}

/// What one line of a configuration file is, once its comment is removed.
enum ConfigurationLine: Sendable, Hashable {
    case blank
    case header(kind: String, name: String?)
    case entry(key: String, value: String)
}
