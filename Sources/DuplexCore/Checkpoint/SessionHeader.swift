/// The header of one frame of the checkpoint session protocol, spoken on a persistent Unix
/// stream connection between a process (the `Duplex` library) and its board's `duplexd`
/// (`[checkpoint] socket`). Version 1, big-endian, like the control protocol:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 4 | length of the whole frame, this field included (12 ... `frameSizeMax`) |
/// | 4 | 2 | magic `0x4350` ("CP") |
/// | 6 | 1 | version (1) |
/// | 7 | 1 | type (`SessionMessageType`) |
/// | 8 | 4 | request id: chosen by the client, echoed in the response |
/// | 12 | | payload |
///
/// Requests are answered in the order the daemon completes them, not necessarily the order
/// they were sent (a synchronous write waits for the mate, a read does not), hence the request
/// id. An asynchronous write is answered only when it fails.
public struct SessionHeader: Sendable, Hashable {
    public static let magic: UInt16 = 0x4350
    public static let version: UInt8 = 1
    public static let size = 12
    /// The largest frame: an update of `Limits.checkpointUpdateSizeMax` with its envelope, or
    /// a section of `Limits.sectionSizeMax` in a response, fits.
    public static let frameSizeMax = 64 * 1024
    /// The largest payload.
    public static let payloadSizeMax = frameSizeMax - size

    /// Bytes of the whole frame, header included.
    public var length: Int
    public var type: SessionMessageType
    public var request: UInt32

    public init(length: Int, type: SessionMessageType, request: UInt32) {
        self.length = length
        self.type = type
        self.request = request
    }

    /// Reads the header at the start of `bytes`.
    /// - Returns: nil when fewer than `size` bytes are there yet.
    /// - Throws: `badLength`, `tooLarge`, `badMagic` or `unsupportedVersion`: the stream is
    ///   out of step and the connection must be closed.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ReplicationDecodeError) -> SessionHeader? {
        guard bytes.count >= size else { return nil }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<size]))
        let length = Int(try reader.field(UInt32.self))
        guard length >= size else { throw .badLength }
        guard length <= frameSizeMax else { throw .tooLarge }
        guard try reader.field(UInt16.self) == magic else { throw .badMagic }
        guard try reader.field(UInt8.self) == version else { throw .unsupportedVersion }
        let type = SessionMessageType(rawValue: try reader.field(UInt8.self))
        let request = try reader.field(UInt32.self)
        return SessionHeader(length: length, type: type, request: request)
    }

    /// Appends a header whose length is patched by `SessionHeader.finish(_:at:)`.
    /// - Returns: the offset of the frame in `bytes`.
    @inline(__always)
    static func begin(_ bytes: inout [UInt8], type: SessionMessageType, request: UInt32) -> Int {
        let start = bytes.count
        bytes.append(bigEndian: UInt32(0))
        bytes.append(bigEndian: magic)
        bytes.append(version)
        bytes.append(type.rawValue)
        bytes.append(bigEndian: request)
        return start
    }

    /// Writes the frame's length into its header.
    /// - Important: traps when the frame exceeds `frameSizeMax` (the encoders check first).
    @inline(__always)
    static func finish(_ bytes: inout [UInt8], at start: Int) {
        let length = bytes.count - start
        precondition(length >= size && length <= frameSizeMax, "a session frame within its size bound")
        let value = UInt32(length)
        bytes[start] = UInt8(truncatingIfNeeded: value >> 24)
        bytes[start + 1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[start + 2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[start + 3] = UInt8(truncatingIfNeeded: value)
    }
}

/// The type byte of a session frame: requests below 0x80, responses from 0x80.
public struct SessionMessageType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Request: open (or create) a checkpoint. Payload: UInt8 flags (bit 0 create), name,
    /// limits (UInt64 size, UInt32 sections, UInt32 section size). Answer: `opened`.
    public static let open = SessionMessageType(rawValue: 0x01)
    /// Request: one atomic update. Payload: UInt8 mode (0 async, 1 sync), name, UInt16
    /// operation count, operations as in `CheckpointUpdate` (write 3, delete 4). Answer:
    /// `written` (sync), nothing (async), or `failed`.
    public static let write = SessionMessageType(rawValue: 0x02)
    /// Request: one section. Payload: name, key. Answer: `section`.
    public static let read = SessionMessageType(rawValue: 0x03)
    /// Request: sections in key order. Payload: name, UInt8 has-after, key (if so), UInt32
    /// count bound. Answer: `sectionList`.
    public static let sections = SessionMessageType(rawValue: 0x04)
    /// Request: wait until every earlier write of the board is on the mate. Answer: `flushed`.
    public static let flush = SessionMessageType(rawValue: 0x05)
    /// Request: remove a checkpoint and its sections. Payload: name. Answer: `removed`.
    public static let remove = SessionMessageType(rawValue: 0x06)
    /// Request: carry the rest of the session in two byte rings in shared memory. Payload:
    /// UInt32 capacity of each ring (a power of two, `SessionRings.capacityRange`). Sent alone
    /// as the session's first frame, with four descriptors (`SCM_RIGHTS`): the memory (a
    /// memfd of `SessionRings.regionSize(capacity:)` bytes), the daemon's doorbell, and the
    /// process's doorbells for answers and for room to write (eventfds). Answer: `ringsReady` (on the socket; every later frame of either
    /// side goes through the rings) or `failed` (the session stays on the socket).
    public static let sharedRings = SessionMessageType(rawValue: 0x07)

    /// Payload: `CheckpointInfo`.
    public static let opened = SessionMessageType(rawValue: 0x81)
    /// Payload: UInt64 sequence, UInt8 replicated.
    public static let written = SessionMessageType(rawValue: 0x82)
    /// Payload: UInt8 present, UInt32 length, bytes.
    public static let section = SessionMessageType(rawValue: 0x83)
    /// Payload: UInt8 more, UInt16 count, then key, UInt32 length, bytes for each.
    public static let sectionList = SessionMessageType(rawValue: 0x84)
    /// Payload: UInt64 sequence, UInt8 replicated.
    public static let flushed = SessionMessageType(rawValue: 0x85)
    /// Payload: UInt64 sequence.
    public static let removed = SessionMessageType(rawValue: 0x86)
    /// Answers `sharedRings`; no payload.
    public static let ringsReady = SessionMessageType(rawValue: 0x87)
    /// Payload: `SessionError`.
    public static let failed = SessionMessageType(rawValue: 0xFF)

    public var isResponse: Bool { rawValue & 0x80 != 0 }

    public var description: String {
        switch self {
        case .open: "open"
        case .write: "write"
        case .read: "read"
        case .sections: "sections"
        case .flush: "flush"
        case .remove: "remove"
        case .sharedRings: "shared-rings"
        case .opened: "opened"
        case .written: "written"
        case .section: "section"
        case .sectionList: "section-list"
        case .flushed: "flushed"
        case .removed: "removed"
        case .ringsReady: "rings-ready"
        case .failed: "failed"
        default: "type 0x" + String(rawValue, radix: 16)
        }
    }
}

extension [UInt8] {
    /// Appends an integer in big-endian byte order.
    @inline(__always)
    mutating func append<T: FixedWidthInteger>(bigEndian value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// Appends a checkpoint name as `ByteReader.checkpointName` reads it.
    mutating func append(name: String) {
        let count = name.utf8.count
        precondition(count <= Int(UInt8.max), "a checkpoint name fits a UInt8 length")
        append(UInt8(count))
        append(contentsOf: name.utf8)
    }

    /// Appends a key as `ByteReader.sectionKey` reads it.
    mutating func append(key: SectionKey) {
        precondition(key.count <= Int(UInt16.max), "a key fits a UInt16 length")
        append(bigEndian: UInt16(key.count))
        key.withUnsafeBytes { append(contentsOf: $0) }
    }

    /// Appends a UInt16 length and UTF-8 text, cut at `UInt16.max` bytes.
    mutating func append(text: String) {
        let utf8 = text.utf8.prefix(Int(UInt16.max))
        append(bigEndian: UInt16(utf8.count))
        append(contentsOf: utf8)
    }
}

extension ByteReader {
    /// Text written by `append(text:)`; bytes that are not UTF-8 are repaired.
    mutating func text() throws(ReplicationDecodeError) -> String {
        let count = Int(try field(UInt16.self))
        return String(decoding: try field(bytes: count), as: UTF8.self)
    }

    /// A byte that must be 0 or 1.
    mutating func flag() throws(ReplicationDecodeError) -> Bool {
        switch try field(UInt8.self) {
        case 0: return false
        case 1: return true
        default: throw .malformed
        }
    }
}
