extension ConfigurationValueParser where Value == String {
    /// Text taken as written, or between double quotes to keep spaces at either end, a ` #`
    /// or an empty value: `"  two  words "`, `""`. Inside quotes `\"` is a quote and `\\` a
    /// backslash. At most 4096 bytes; no control characters.
    static var text: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> String in
            guard text.utf8.count <= 4096 else {
                throw ConfigurationValueProblem("the value is longer than 4096 bytes")
            }
            guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw ConfigurationValueProblem("the value holds a control character")
            }
            guard text.hasPrefix("\"") else { return text }
            return try unquote(text)
        }
    }

    private static func unquote(_ text: String) throws(ConfigurationValueProblem) -> String {
        var result = ""
        var escaped = false
        var closed = false
        for character in text.dropFirst() {
            guard !closed else {
                throw ConfigurationValueProblem("\(text) has text after its closing quote")
            }
            if escaped {
                guard character == "\"" || character == "\\" else {
                    throw ConfigurationValueProblem("\(text): only \\\" and \\\\ may be escaped")
                }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                closed = true
            } else {
                result.append(character)
            }
        }
        guard closed else { throw ConfigurationValueProblem("\(text) has no closing quote") }
        return result
    }

    /// A user or group: a number, or a name of letters, digits, `.`, `_` and `-` that does not
    /// start with `-` (the portable POSIX set), at most 32 bytes.
    static var account: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> String in
            guard ConfigurationNames.isName(text), !text.hasPrefix("-") else {
                throw ConfigurationValueProblem("\"\(text)\" is not a user or group name or number")
            }
            return text
        }
    }
}

extension ConfigurationValueParser where Value == [String] {
    /// Comma-separated names (`db, cache`), each at most once.
    static var nameList: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> [String] in
            var names: [String] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let name = String(ConfigurationLexer.trim(part))
                guard ConfigurationNames.isName(name) else {
                    throw ConfigurationValueProblem("\"\(name)\" is not a component name (use e.g. \"db, cache\")")
                }
                guard !names.contains(name) else {
                    throw ConfigurationValueProblem("\"\(name)\" is listed twice")
                }
                names.append(name)
            }
            return names
        }
    }
}

extension ConfigurationValueParser where Value == Configuration.EnvironmentVariable {
    /// `NAME=VALUE`: a name of letters, digits and `_` not starting with a digit, then text
    /// (quoted as for `argument` when needed). `DUPLEX_COMPONENT` is set by duplexd.
    static var environmentVariable: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> Configuration.EnvironmentVariable in
            guard let equals = text.firstIndex(of: "=") else {
                throw ConfigurationValueProblem("\"\(text)\" is not NAME=VALUE")
            }
            let name = String(text[..<equals])
            let isNameByte: (UInt8) -> Bool = {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F
            }
            guard let first = name.utf8.first, !(0x30...0x39).contains(first), name.utf8.count <= 128,
                  name.utf8.allSatisfy(isNameByte) else {
                throw ConfigurationValueProblem("\"\(name)\" is not a variable name (letters, digits and '_')")
            }
            guard name != "DUPLEX_COMPONENT" else {
                throw ConfigurationValueProblem("DUPLEX_COMPONENT is set by duplexd to the component's name")
            }
            let value = try ConfigurationValueParser<String>.text.parse(String(text[text.index(after: equals)...]))
            return Configuration.EnvironmentVariable(name: name, value: value)
        }
    }
}

extension ConfigurationValueParser where Value == RestartIntensity {
    /// `N in T`: at most N restarts (0...``Limits/componentRestartsMax``) in any period T.
    static var restartIntensity: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> RestartIntensity in
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let usage = "use e.g. \"5 in 10s\""
            guard words.count == 3, words[1] == "in" else {
                throw ConfigurationValueProblem("\"\(text)\" is not \"COUNT in PERIOD\" (\(usage))")
            }
            guard let count = Int(words[0]), (0...Limits.componentRestartsMax).contains(count) else {
                throw ConfigurationValueProblem("\"\(words[0])\" is not a restart count (0...\(Limits.componentRestartsMax))")
            }
            guard let period = Duration(parsing: words[2]), (Duration.milliseconds(1)...Duration.seconds(3_600)).contains(period) else {
                throw ConfigurationValueProblem("\"\(words[2])\" is not a period from 1ms to 3600s (\(usage))")
            }
            return RestartIntensity(count: count, period: period)
        }
    }
}

extension ConfigurationValueParser where Value == RestartBackoff {
    /// `none` or `0` (restart at once), `D` (always D), or `D up to M` (D, doubling, at most M).
    static var restartBackoff: Self {
        Self { (text: String) throws(ConfigurationValueProblem) -> RestartBackoff in
            if text == "none" || text == "0" { return .none }
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let usage = "use e.g. \"100ms up to 5s\", \"1s\" or \"none\""
            guard words.count == 1 || (words.count == 4 && words[1] == "up" && words[2] == "to") else {
                throw ConfigurationValueProblem("\"\(text)\" is not a backoff (\(usage))")
            }
            let range = Duration.milliseconds(1)...Duration.seconds(600)
            guard let initial = Duration(parsing: words[0]), range.contains(initial) else {
                throw ConfigurationValueProblem("\"\(words[0])\" is not a delay from 1ms to 600s (\(usage))")
            }
            guard words.count == 4 else { return RestartBackoff(initial: initial, maximum: initial) }
            guard let maximum = Duration(parsing: words[3]), range.contains(maximum), maximum >= initial else {
                throw ConfigurationValueProblem("\"\(words[3])\" is not a delay from \(initial) to 600s")
            }
            return RestartBackoff(initial: initial, maximum: maximum)
        }
    }
}
