/// Turns configuration text into sections of entries, checking the syntax of each line and the
/// structure of the file (known section kinds, no duplicate sections or keys). Values are
/// checked later, by ``ConfigurationBuilder``.
struct ConfigurationLexer {
    let file: String

    /// Section kinds and whether each takes a name (`[link bp0]`) or not (`[pair]`).
    static let kinds: [(kind: String, named: Bool)] = [
        ("cluster", false), ("board", false), ("pair", false), ("link", true),
        ("address", true), ("announce", false), ("control", false), ("log", false),
        ("component", true), ("supervisor", false), ("checkpoint", false),
    ]

    static let kindList = "cluster, board, pair, link NAME, address NAME, announce, control, log, component NAME, supervisor, checkpoint"

    /// Keys that may appear more than once in a section of a kind: their lines are a list.
    static let repeatableKeys: [String: Set<String>] = ["component": ["argument", "environment"]]

    /// The sections of `text`, in file order.
    /// - Throws: The first syntax or structure error, with its line.
    func sections(of text: String) throws(ConfigurationError) -> [ConfigurationSection] {
        let lines = Self.lines(of: text)
        guard lines.count <= Limits.configurationLinesMax else {
            throw error(.tooMany, line: Limits.configurationLinesMax + 1,
                        "the file has more than \(Limits.configurationLinesMax) lines")
        }
        var sections: [ConfigurationSection] = []
        for (index, text) in lines.enumerated() {
            let line = index + 1
            switch try classify(text, line: line, section: sections.last?.title) {
            case .blank:
                continue
            case .header(let kind, let name):
                let section = try openSection(kind: kind, name: name, line: line, after: sections)
                sections.append(section)
            case .entry(let key, let value):
                try append(ConfigurationEntry(key: key, value: value, line: line), to: &sections)
            }
        }
        return sections
    }

    /// Splits on LF and CRLF; a final newline does not start another line. A UTF-8 byte order
    /// mark, as some editors write, is skipped.
    static func lines(of text: String) -> [Substring] {
        let text = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text)
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Classifies one line, after removing a `#` comment (whole line, or after whitespace).
    /// - Parameter section: The title of the section the line is in, for error messages.
    func classify(_ text: Substring, line: Int, section: String?) throws(ConfigurationError) -> ConfigurationLine {
        let content = Self.trim(Self.removingComment(text))
        if content.isEmpty { return .blank }
        if content.hasPrefix("[") { return try header(content, line: line) }
        guard let equals = content.firstIndex(of: "=") else {
            throw error(.syntax, line: line, section: section, "expected \"key = value\", \"[section]\" or \"# comment\"")
        }
        let key = Self.trim(content[..<equals])
        let value = Self.trim(content[content.index(after: equals)...])
        guard Self.isKeyName(key) else {
            throw error(.syntax, line: line, section: section, "\"\(key)\" is not a key name (lowercase letters, digits and '-')")
        }
        guard !value.isEmpty else {
            throw error(.invalidValue, line: line, section: section, key: String(key), "missing value after '='")
        }
        return .entry(key: String(key), value: String(value))
    }

    private func header(_ content: Substring, line: Int) throws(ConfigurationError) -> ConfigurationLine {
        guard content.hasSuffix("]"), content.count >= 2 else {
            throw error(.syntax, line: line, "a section header is \"[section]\" or \"[section name]\"")
        }
        let words = content.dropFirst().dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard (1...2).contains(words.count), words.allSatisfy({ ConfigurationNames.isName($0) }) else {
            throw error(.syntax, line: line, "a section header is \"[section]\" or \"[section name]\"; "
                + "names use letters, digits, '.', '_' and '-' (at most \(ConfigurationNames.nameLengthMax))")
        }
        return .header(kind: String(words[0]), name: words.count == 2 ? String(words[1]) : nil)
    }

    private func openSection(
        kind: String, name: String?, line: Int, after sections: [ConfigurationSection]
    ) throws(ConfigurationError) -> ConfigurationSection {
        let section = ConfigurationSection(kind: kind, name: name, line: line, entries: [])
        guard let known = Self.kinds.first(where: { $0.kind == kind }) else {
            throw error(.unknownSection, line: line, section: section.title,
                        "unknown section (sections: \(Self.kindList))")
        }
        if known.named && name == nil {
            throw error(.unknownSection, line: line, section: kind, "needs a name, as in [\(kind) NAME]")
        }
        if !known.named && name != nil {
            throw error(.unknownSection, line: line, section: section.title, "takes no name; write [\(kind)]")
        }
        if let earlier = sections.first(where: { $0.title == section.title }) {
            throw error(.duplicateSection, line: line, section: section.title,
                        "section already appears on line \(earlier.line)")
        }
        return section
    }

    private func append(_ entry: ConfigurationEntry, to sections: inout [ConfigurationSection]) throws(ConfigurationError) {
        guard let last = sections.indices.last else {
            throw error(.syntax, line: entry.line, key: entry.key, "key outside of a section; add a [section] header above it")
        }
        let repeatable = Self.repeatableKeys[sections[last].kind]?.contains(entry.key) ?? false
        if !repeatable, let earlier = sections[last].entries.first(where: { $0.key == entry.key }) {
            throw error(.duplicateKey, line: entry.line, section: sections[last].title, key: entry.key,
                        "already set on line \(earlier.line)")
        }
        sections[last].entries.append(entry)
    }

    private func error(
        _ code: ConfigurationError.Code, line: Int, section: String? = nil, key: String? = nil, _ message: String
    ) -> ConfigurationError {
        ConfigurationError(code: code, file: file, line: line, section: section, key: key, message: message)
    }

    /// Cuts a comment: a line starting with `#`, or ` # ...` after whitespace. A `#` inside a
    /// word (`a#b`) or between double quotes (`argument = "a # b"`) is kept.
    static func removingComment(_ text: Substring) -> Substring {
        var previous: Character = " "
        var quoted = false
        for index in text.indices {
            let character = text[index]
            if character == "\"", previous != "\\" { quoted.toggle() }
            if !quoted, character == "#", previous == " " || previous == "\t" { return text[..<index] }
            // An escaped backslash escapes nothing after it: forget it.
            previous = previous == "\\" && character == "\\" ? "a" : character
        }
        return text
    }

    static func trim(_ text: Substring) -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }),
              let last = text.lastIndex(where: { !isBlank($0) }) else { return text[text.endIndex...] }
        return text[first...last]
    }

    static func isKeyName(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 32
            && text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }
}
