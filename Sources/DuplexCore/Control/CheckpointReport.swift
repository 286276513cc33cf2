/// Where the board's checkpoint replication stands, for `duplexctl status` and
/// `duplexctl checkpoints`.
public struct CheckpointSyncReport: Sendable, Hashable {
    public var role: Role
    public var syncPolicy: ReplicationConfiguration.SyncPolicy
    /// Standby: the replica's progress (phase, snapshot chunks, sections and bytes received).
    public var progress: ReplicationProgress
    /// Standby: the replica is hot.
    public var isHot: Bool
    /// Active: the mate's replica is hot.
    public var mateIsHot: Bool
    public var mateReachable: Bool
    /// Active: updates applied here and not yet on the mate's replica.
    public var mateLag: UInt64?
    /// The store's (or replica's) last update.
    public var sequence: UInt64
    public var checkpoints: Int
    public var sections: Int
    public var bytes: Int
    /// Active: updates sent and not acknowledged; requests waiting for the mate.
    public var window: Int
    public var pending: Int
    /// Connected processes.
    public var clients: Int
    public var writesRefused: UInt64
    /// The replication core's counters (retransmissions, acks and nacks, duplicates dropped...).
    public var replication = ReplicationCore.Counters()
    /// Whether the board has a replication path to its mate (`replication` on a `[link]`):
    /// without one its checkpoints stay on this board.
    public var isReplicated = true

    public init(
        role: Role, syncPolicy: ReplicationConfiguration.SyncPolicy, progress: ReplicationProgress = ReplicationProgress(),
        isHot: Bool = false, mateIsHot: Bool = false, mateReachable: Bool = false, mateLag: UInt64? = nil,
        sequence: UInt64 = 0, checkpoints: Int = 0, sections: Int = 0, bytes: Int = 0, window: Int = 0, pending: Int = 0,
        clients: Int = 0, writesRefused: UInt64 = 0
    ) {
        self.role = role
        self.syncPolicy = syncPolicy
        self.progress = progress
        self.isHot = isHot
        self.mateIsHot = mateIsHot
        self.mateReachable = mateReachable
        self.mateLag = mateLag
        self.sequence = sequence
        self.checkpoints = checkpoints
        self.sections = sections
        self.bytes = bytes
        self.window = window
        self.pending = pending
        self.clients = clients
        self.writesRefused = writesRefused
    }

    /// One word for the operator: `hot`, `catching-up`, `receiving 40%`, `waiting`, `mate hot`...
    public var summary: String {
        guard isReplicated else { return "not replicated" }
        switch role {
        case .active:
            return !mateReachable ? "no mate" : mateIsHot ? "mate hot" : "mate syncing"
        case .standby, .blocked:
            switch progress.phase {
            case .hot: return "hot"
            case .catchingUp: return "catching up"
            case .receiving:
                let total = max(progress.chunksTotal, 1)
                return "receiving \(UInt64(progress.chunksReceived) * 100 / UInt64(total))%"
            case .waiting: return mateReachable ? "waiting for a snapshot" : "no mate"
            case .none: return "-"
            }
        default:
            return "-"
        }
    }

    /// The report alone, as ``init(blob:)`` reads it (the status report's checkpoint part).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Decodes the bytes of ``encoded()``.
    /// - Throws: `malformed` for a bad or truncated report or bytes left after it.
    public init(blob bytes: [UInt8]) throws(ControlProtocolError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ReplicationDecodeError) -> CheckpointSyncReport in
                var reader = ByteReader(raw)
                let report = try CheckpointSyncReport(decoding: &reader)
                guard reader.remaining == 0 else { throw .malformed }
                return report
            }
        }
        switch result {
        case .success(let report): self = report
        case .failure(let error): throw ControlProtocolError(.malformed, "checkpoint sync report: \(error)")
        }
    }

    func encode(into bytes: inout [UInt8]) {
        bytes.append(role.rawValue)
        bytes.append(syncPolicy.rawValue)
        bytes.append(progress.phase.rawValue)
        bytes.append((isHot ? 1 : 0) | (mateIsHot ? 2 : 0) | (mateReachable ? 4 : 0) | (mateLag != nil ? 8 : 0) | (isReplicated ? 0 : 16))
        for value in [
            mateLag ?? 0, sequence, UInt64(checkpoints), UInt64(sections), UInt64(self.bytes),
            UInt64(window), UInt64(pending), UInt64(clients), writesRefused, progress.snapshot,
            UInt64(progress.chunksReceived), UInt64(progress.chunksTotal), progress.sectionsReceived,
            progress.sectionsTotal, progress.bytesReceived, progress.bytesTotal, UInt64(progress.backlog),
        ] {
            bytes.append(bigEndian: value)
        }
        let counters = replication.encodedValues
        bytes.append(UInt8(counters.count))
        for value in counters { bytes.append(bigEndian: value) }
    }

    init(decoding reader: inout ByteReader) throws(ReplicationDecodeError) {
        guard let role = Role(rawValue: try reader.field(UInt8.self)),
            let policy = ReplicationConfiguration.SyncPolicy(rawValue: try reader.field(UInt8.self)),
            let phase = ReplicationProgress.Phase(rawValue: try reader.field(UInt8.self))
        else { throw .malformed }
        let flags = try reader.field(UInt8.self)
        var values: [UInt64] = []
        for _ in 0..<17 { values.append(try reader.field(UInt64.self)) }
        var progress = ReplicationProgress()
        progress.phase = phase
        progress.sequence = values[1]
        progress.snapshot = values[9]
        progress.chunksReceived = UInt32(truncatingIfNeeded: values[10])
        progress.chunksTotal = UInt32(truncatingIfNeeded: values[11])
        progress.sectionsReceived = values[12]
        progress.sectionsTotal = values[13]
        progress.bytesReceived = values[14]
        progress.bytesTotal = values[15]
        progress.backlog = Int(truncatingIfNeeded: values[16])
        self.init(
            role: role, syncPolicy: policy, progress: progress, isHot: flags & 1 != 0, mateIsHot: flags & 2 != 0,
            mateReachable: flags & 4 != 0, mateLag: flags & 8 != 0 ? values[0] : nil, sequence: values[1],
            checkpoints: Int(truncatingIfNeeded: values[2]), sections: Int(truncatingIfNeeded: values[3]),
            bytes: Int(truncatingIfNeeded: values[4]), window: Int(truncatingIfNeeded: values[5]),
            pending: Int(truncatingIfNeeded: values[6]), clients: Int(truncatingIfNeeded: values[7]),
            writesRefused: values[8])
        isReplicated = flags & 16 == 0  // set by a board without a replication path; older boards never set it
        // The counters follow with their count, so a reader skips those it does not know.
        var counters: [UInt64] = []
        for _ in 0..<Int(try reader.field(UInt8.self)) { counters.append(try reader.field(UInt64.self)) }
        replication = ReplicationCore.Counters(encodedValues: counters)
    }
}

/// The answer to `duplexctl checkpoints` (every checkpoint, no sections) and
/// `duplexctl checkpoint show NAME` (one checkpoint and as many sections as fit a message).
public struct CheckpointReport: Sendable, Hashable {
    public var sync: CheckpointSyncReport
    public var checkpoints: [CheckpointInfo]
    public var sections: [SessionSection]
    /// Sections were left out to fit one control message.
    public var sectionsTruncated: Bool

    public init(sync: CheckpointSyncReport, checkpoints: [CheckpointInfo], sections: [SessionSection] = [], sectionsTruncated: Bool = false) {
        self.sync = sync
        self.checkpoints = checkpoints
        self.sections = sections
        self.sectionsTruncated = sectionsTruncated
    }

    /// Bytes the sections of a report may take, leaving room for the rest in a control message.
    public static let sectionBytesMax = ControlFrame.payloadSizeMax - 4 * 1024

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        sync.encode(into: &bytes)
        bytes.append(bigEndian: UInt16(checkpoints.count))
        for info in checkpoints { info.encode(into: &bytes) }
        bytes.append(sectionsTruncated ? 1 : 0)
        bytes.append(bigEndian: UInt32(sections.count))
        for section in sections {
            bytes.append(key: section.key)
            bytes.append(bigEndian: UInt32(section.bytes.count))
            bytes.append(contentsOf: section.bytes)
        }
        return bytes
    }

    public init(decoding bytes: [UInt8]) throws(ReplicationDecodeError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ReplicationDecodeError) -> CheckpointReport in
                var reader = ByteReader(raw)
                let sync = try CheckpointSyncReport(decoding: &reader)
                let count = Int(try reader.field(UInt16.self))
                guard count <= Limits.checkpointsMax else { throw .overLimit }
                var checkpoints: [CheckpointInfo] = []
                for _ in 0..<count { checkpoints.append(try CheckpointInfo(decoding: &reader)) }
                let truncated = try reader.flag()
                let sectionCount = Int(try reader.field(UInt32.self))
                guard sectionCount <= Limits.sectionsMax else { throw .overLimit }
                var sections: [SessionSection] = []
                for _ in 0..<sectionCount {
                    let key = try reader.sectionKey()
                    let length = Int(try reader.field(UInt32.self))
                    guard length <= Limits.sectionSizeMax else { throw .overLimit }
                    sections.append(SessionSection(key: key, bytes: try reader.field(bytes: length)))
                }
                guard reader.remaining == 0 else { throw .malformed }
                return CheckpointReport(sync: sync, checkpoints: checkpoints, sections: sections, sectionsTruncated: truncated)
            }
        }
        self = try result.get()
    }
}

extension ControlPayloadWriter {
    /// A UInt32 length and the bytes.
    mutating func writeBlob(_ bytes: [UInt8]) {
        write(UInt32(bytes.count))
        for byte in bytes { write(byte) }
    }
}

extension ControlPayloadReader {
    /// Bytes written by `writeBlob`.
    mutating func readBlob() throws(ControlProtocolError) -> [UInt8] {
        let count = Int(try read(UInt32.self))
        guard count <= ControlFrame.payloadSizeMax else { throw ControlProtocolError(.malformed, "blob of \(count) bytes") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(try read(UInt8.self)) }
        return bytes
    }
}
