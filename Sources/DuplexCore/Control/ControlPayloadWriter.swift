/// Appends big-endian fields to a growable byte array: the encoding of control payloads.
///
/// Strings are a UInt16 byte count and UTF-8; optionals a UInt8 flag (0 or 1) and the value;
/// booleans a UInt8 0 or 1; durations a UInt64 of nanoseconds; lists a UInt16 count.
public struct ControlPayloadWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        let bigEndian = value.bigEndian
        withUnsafeBytes(of: bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Bool) {
        write(UInt8(value ? 1 : 0))
    }

    public mutating func write(_ value: Duration) {
        write(value.nanoseconds)
    }

    /// - Throws: `messageTooLarge` for a string over 65,535 UTF-8 bytes.
    public mutating func write(_ value: String) throws(ControlProtocolError) {
        let utf8 = value.utf8
        guard utf8.count <= Int(UInt16.max) else {
            throw ControlProtocolError(.messageTooLarge, "a string of \(utf8.count) bytes exceeds 65535")
        }
        write(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Writes the presence flag; the caller writes the value after it when `present`.
    public mutating func writePresence(_ present: Bool) {
        write(present)
    }

    /// Writes a list count after checking it against its bound.
    /// - Throws: `limitExceeded` when `count > max`.
    public mutating func writeCount(_ count: Int, max: Int, of what: String) throws(ControlProtocolError) {
        precondition(max <= Int(UInt16.max), "list bounds fit a UInt16 count")
        guard count <= max else {
            throw ControlProtocolError(.limitExceeded, "\(count) \(what) exceed the limit of \(max)")
        }
        write(UInt16(count))
    }
}
