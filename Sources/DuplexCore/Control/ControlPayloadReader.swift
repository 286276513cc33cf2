/// Reads the fields written by ``ControlPayloadWriter`` from untrusted bytes. Every read is
/// bounds-checked and throws on truncated or impossible input; nothing here traps.
public struct ControlPayloadReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(ControlProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw ControlProtocolError(.truncated, "\(size)-byte field at offset \(offset) of \(bytes.count)")
        }
        var value: T = 0
        for index in offset..<offset + size {
            value = value << 8 | T(bytes[index])
        }
        offset += size
        return value
    }

    public mutating func read(_: Bool.Type = Bool.self) throws(ControlProtocolError) -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw ControlProtocolError(.malformed, "boolean byte \(other) at offset \(offset - 1)")
        }
    }

    public mutating func read(_: Duration.Type = Duration.self) throws(ControlProtocolError) -> Duration {
        Duration(nanoseconds: try read(UInt64.self))
    }

    /// A UTF-8 string; invalid UTF-8 is refused rather than repaired.
    public mutating func read(_: String.Type = String.self) throws(ControlProtocolError) -> String {
        let count = Int(try read(UInt16.self))
        guard remaining >= count else {
            throw ControlProtocolError(.truncated, "\(count)-byte string at offset \(offset) of \(bytes.count)")
        }
        let slice = bytes[offset..<offset + count]
        offset += count
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw ControlProtocolError(.malformed, "string before offset \(offset) is not UTF-8")
        }
        return string
    }

    /// A presence flag written by ``ControlPayloadWriter/writePresence(_:)``.
    public mutating func readPresence() throws(ControlProtocolError) -> Bool {
        try read(Bool.self)
    }

    /// A list count, refused above `max`.
    public mutating func readCount(max: Int, of what: String) throws(ControlProtocolError) -> Int {
        let count = Int(try read(UInt16.self))
        guard count <= max else {
            throw ControlProtocolError(.limitExceeded, "\(count) \(what) exceed the limit of \(max)")
        }
        return count
    }

    /// A byte that must be a raw value of `T`.
    public mutating func read<T: RawRepresentable>(_: T.Type) throws(ControlProtocolError) -> T where T.RawValue == UInt8 {
        let raw = try read(UInt8.self)
        guard let value = T(rawValue: raw) else {
            throw ControlProtocolError(.malformed, "\(raw) is not a \(T.self) at offset \(offset - 1)")
        }
        return value
    }

    /// Refuses bytes left over after the last field.
    public func finish() throws(ControlProtocolError) {
        guard remaining == 0 else {
            throw ControlProtocolError(.malformed, "\(remaining) unexpected bytes after the payload")
        }
    }
}
