/// A JSON document built by hand, rendered with two-space indentation (RFC 8259).
indirect enum JSONValue {
    case null
    case bool(Bool)
    case integer(UInt64)
    /// A finite number (a non-finite one renders as null).
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in the order given: output is stable for scripts and diffs.
    case object([(String, JSONValue)])

    static func optional<T>(_ value: T?, _ transform: (T) -> JSONValue) -> JSONValue {
        value.map(transform) ?? .null
    }

    func render(indent: Int = 0) -> String {
        let inner = String(repeating: " ", count: indent + 2)
        let outer = String(repeating: " ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .number(let value): return value.isFinite ? "\(value)" : "null"
        case .string(let value): return Self.quote(value)
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            let body = items.map { inner + $0.render(indent: indent + 2) }.joined(separator: ",\n")
            return "[\n" + body + "\n" + outer + "]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let body = members.map { inner + Self.quote($0.0) + ": " + $0.1.render(indent: indent + 2) }
            return "{\n" + body.joined(separator: ",\n") + "\n" + outer + "}"
        }
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t` or `\u00XX`.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case let control where control.value < 0x20 || control.value == 0x7F:
                let hex = String(control.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
