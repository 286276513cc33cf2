/// One section as a list of sections carries it.
public struct SessionSection: Sendable, Hashable {
    public var key: SectionKey
    public var bytes: [UInt8]

    public init(key: SectionKey, bytes: [UInt8]) {
        self.key = key
        self.bytes = bytes
    }

    /// Bytes this section takes in a `sectionList` payload.
    public var encodedSize: Int { 2 + key.count + 4 + bytes.count }
}

/// A response of the checkpoint session protocol, from `duplexd` to a process.
public enum SessionResponse: Sendable, Hashable {
    /// Answers `open`.
    case opened(CheckpointInfo)
    /// Answers a synchronous write: applied at `sequence`; `replicated` when the mate's
    /// replica holds it (false: the mate was not hot and the sync policy is `degrade`).
    case written(sequence: UInt64, replicated: Bool)
    /// Answers `read`: nil when the section does not exist.
    case section([UInt8]?)
    /// Answers `sections`: `more` when sections after the last one remain.
    case sections([SessionSection], more: Bool)
    /// Answers `flush`: every write up to `sequence` is on the mate when `replicated`.
    case flushed(sequence: UInt64, replicated: Bool)
    /// Answers `remove`.
    case removed(sequence: UInt64)
    /// Answers any request that failed (an asynchronous write only this way).
    case failed(SessionError)
    /// Answers `sharedRings`: the session goes on in the rings.
    case ringsReady

    /// Bytes a `sectionList` payload may hold (its sections and its 3-byte head).
    public static let sectionListPayloadMax = SessionHeader.payloadSizeMax - 3

    public var type: SessionMessageType {
        switch self {
        case .opened: .opened
        case .written: .written
        case .section: .section
        case .sections: .sectionList
        case .flushed: .flushed
        case .removed: .removed
        case .failed: .failed
        case .ringsReady: .ringsReady
        }
    }

    /// Appends the response as one frame.
    /// - Important: traps when it exceeds `SessionHeader.frameSizeMax`: the daemon builds
    ///   section lists within `sectionListPayloadMax` and sections are within their limit.
    public func encode(request: UInt32, into bytes: inout [UInt8]) {
        let start = SessionHeader.begin(&bytes, type: type, request: request)
        switch self {
        case .opened(let info):
            info.encode(into: &bytes)
        case .written(let sequence, let replicated), .flushed(let sequence, let replicated):
            bytes.append(bigEndian: sequence)
            bytes.append(replicated ? 1 : 0)
        case .section(let value):
            bytes.append(value == nil ? 0 : 1)
            bytes.append(bigEndian: UInt32(value?.count ?? 0))
            if let value { bytes.append(contentsOf: value) }
        case .sections(let sections, let more):
            bytes.append(more ? 1 : 0)
            precondition(sections.count <= Int(UInt16.max), "a section list fits a UInt16 count")
            bytes.append(bigEndian: UInt16(sections.count))
            for section in sections {
                bytes.append(key: section.key)
                bytes.append(bigEndian: UInt32(section.bytes.count))
                bytes.append(contentsOf: section.bytes)
            }
        case .removed(let sequence):
            bytes.append(bigEndian: sequence)
        case .failed(let error):
            error.encode(into: &bytes)
        case .ringsReady:
            break
        }
        SessionHeader.finish(&bytes, at: start)
    }

    /// Decodes the payload of a response frame. Never traps on untrusted bytes.
    /// - Throws: `ReplicationDecodeError`; `unknownKind` for a type that is not a response.
    public init(type: SessionMessageType, payload: UnsafeRawBufferPointer) throws(ReplicationDecodeError) {
        var reader = ByteReader(payload)
        switch type {
        case .opened:
            self = .opened(try CheckpointInfo(decoding: &reader))
        case .written:
            self = .written(sequence: try reader.field(UInt64.self), replicated: try reader.flag())
        case .flushed:
            self = .flushed(sequence: try reader.field(UInt64.self), replicated: try reader.flag())
        case .section:
            let present = try reader.flag()
            let count = Int(try reader.field(UInt32.self))
            guard count <= Limits.sectionSizeMax, present || count == 0 else { throw .malformed }
            let bytes = try reader.field(bytes: count)
            self = .section(present ? bytes : nil)
        case .sectionList:
            let more = try reader.flag()
            let count = Int(try reader.field(UInt16.self))
            var sections: [SessionSection] = []
            sections.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                let key = try reader.sectionKey()
                let length = Int(try reader.field(UInt32.self))
                guard length <= Limits.sectionSizeMax else { throw .overLimit }
                sections.append(SessionSection(key: key, bytes: try reader.field(bytes: length)))
            }
            self = .sections(sections, more: more)
        case .removed:
            self = .removed(sequence: try reader.field(UInt64.self))
        case .failed:
            self = .failed(try SessionError(decoding: &reader))
        case .ringsReady:
            self = .ringsReady
        default:
            throw .unknownKind
        }
        guard reader.remaining == 0 else { throw .malformed }
    }
}
