/// Rebuilds a store from snapshot chunks taken in order, checking every record against the
/// limits and each finished checkpoint against the active's section count and checksum. The
/// replica is replaced only by `finish`, so a snapshot that fails half way leaves it as it was.
struct SnapshotAssembler: Sendable {
    let snapshot: UInt64
    /// The epoch of the active that sends the snapshot.
    let epoch: UInt64
    private(set) var store = CheckpointStore()
    private(set) var nextIndex: UInt32 = 0
    private(set) var total: UInt32 = 0
    private(set) var header: Header?
    private var open: OpenCheckpoint?
    private var partial: PartialSection?
    private var lastName: String?
    private(set) var sectionsReceived: UInt64 = 0
    private(set) var bytesReceived: UInt64 = 0
    /// The replica this snapshot replaces (nil: none): a section whose bytes it already holds
    /// takes those bytes (shared, copy on write) instead of a new allocation. A resync of a
    /// replica that was mostly right then faults in no new memory for what did not change.
    private let previous: CheckpointStore?
    /// The open checkpoint's sections in `previous`.
    private var previousSections: [SectionKey: Section]?
    /// Sections that took the previous replica's bytes.
    private(set) var sectionsReused: UInt64 = 0

    struct Header: Sendable, Hashable {
        var cutover: UInt64
        var checkpoints: UInt32
        var sections: UInt64
        var bytes: UInt64
    }

    /// The checkpoint whose sections are arriving, and what its header promised.
    private struct OpenCheckpoint: Sendable {
        var checkpoint: Checkpoint
        var sections: Int
        var checksum: UInt32
    }

    /// A section whose value spans chunks.
    private struct PartialSection: Sendable {
        var key: SectionKey
        var length: Int
        var bytes: [UInt8]
    }

    /// - Parameter previous: the replica the snapshot will replace, whose unchanged sections'
    ///   bytes the new one shares.
    init(snapshot: UInt64, epoch: UInt64, previous: CheckpointStore? = nil) {
        self.snapshot = snapshot
        self.epoch = epoch
        self.previous = previous.flatMap { $0.count > 0 ? $0 : nil }
    }

    /// Takes the next chunk (`chunk.index == nextIndex`).
    /// - Throws: `ReplicationDecodeError` for records that cannot be; the snapshot is then
    ///   useless and the standby asks for another.
    mutating func accept(_ chunk: SnapshotChunk) throws(ReplicationDecodeError) {
        precondition(chunk.snapshot == snapshot && chunk.index == nextIndex, "chunks are taken in order")
        guard chunk.total >= 1, chunk.index < chunk.total, nextIndex == 0 || chunk.total == total else {
            throw .malformed
        }
        guard chunk.bytes.count <= Limits.checkpointChunkSizeMax else { throw .tooLarge }
        total = chunk.total
        let result = chunk.bytes.withUnsafeBytes { buffer in
            Result { () throws(ReplicationDecodeError) in
                var reader = ByteReader(buffer)
                // Every record is at least 13 bytes, so this bounds the loop.
                for _ in 0..<(Limits.checkpointChunkSizeMax / 8 + 1) {
                    guard reader.remaining > 0 else { return }
                    try record(&reader)
                }
                throw ReplicationDecodeError.malformed
            }
        }
        try result.get()
        guard header != nil else { throw .malformed }
        nextIndex += 1
        assert(nextIndex <= total, "never past the last chunk")
    }

    private mutating func record(_ reader: inout ByteReader) throws(ReplicationDecodeError) {
        guard let tag = SnapshotChunk.Tag(rawValue: try reader.field(UInt8.self)) else { throw .unknownKind }
        switch tag {
        case .begin:
            guard header == nil, nextIndex == 0, reader.offset == 1 else { throw .malformed }
            let value = Header(
                cutover: try reader.field(), checkpoints: try reader.field(), sections: try reader.field(),
                bytes: try reader.field())
            guard value.checkpoints <= UInt32(Limits.checkpointsMax),
                value.bytes <= UInt64(Limits.checkpointStoreSizeMax)
            else { throw .overLimit }
            header = value
        case .checkpoint:
            guard header != nil, partial == nil else { throw .malformed }
            try closeCheckpoint()
            try openCheckpoint(&reader)
        case .section:
            try section(&reader)
        }
    }

    private mutating func openCheckpoint(_ reader: inout ByteReader) throws(ReplicationDecodeError) {
        let name = try reader.checkpointName()
        let limits = try reader.checkpointLimits()
        let sequence = try reader.field(UInt64.self)
        let checksum = try reader.field(UInt32.self)
        let sections = Int(try reader.field(UInt32.self))
        guard lastName.map({ $0 < name }) ?? true else { throw .malformed }
        do { try limits.validate(checkpoint: name) } catch { throw .overLimit }
        guard sections <= limits.sectionsMax, store.count < Int(header!.checkpoints),
            sequence <= header!.cutover
        else { throw .overLimit }
        lastName = name
        open = OpenCheckpoint(
            checkpoint: Checkpoint(name: name, limits: limits, sequence: sequence), sections: sections,
            checksum: checksum)
        // Room for the sections announced, within what the snapshot has left: the table is
        // not rebuilt as it grows.
        let left = header!.sections - min(header!.sections, sectionsReceived)
        open!.checkpoint.sections.reserveCapacity(Int(min(UInt64(sections), left)))
        previousSections = previous?.checkpoints[name]?.sections
    }

    private mutating func section(_ reader: inout ByteReader) throws(ReplicationDecodeError) {
        // No copy of the open checkpoint is kept here: it would make the in-place insert below
        // copy every section.
        guard open != nil else { throw .malformed }
        let key = try reader.sectionKey()
        let length = Int(try reader.field(UInt32.self))
        let offset = Int(try reader.field(UInt32.self))
        // Read in place: the bytes are copied once, into the section's own storage.
        guard let part = reader.readBytes(Int(try reader.field(UInt16.self))) else { throw .truncated }
        guard length <= open!.checkpoint.limits.sectionSizeMax else { throw .overLimit }
        guard offset + part.count <= length, part.count > 0 || length == 0 else { throw .malformed }
        if partial == nil, offset == 0, part.count == length {
            // The whole value in this record (the common case): no partial buffer.
            try startSection(key)
            return try add(key, reused(key, part) ?? Section(key: key, bytes: [UInt8](part)))
        }
        var building: PartialSection
        if let continued = partial {
            guard continued.key == key, continued.length == length, offset == continued.bytes.count else {
                throw .malformed
            }
            building = continued
        } else {
            guard offset == 0 else { throw .malformed }
            try startSection(key)
            building = PartialSection(key: key, length: length, bytes: [])
            building.bytes.reserveCapacity(length)
        }
        // Released first, so that the value below is not copied on append.
        partial = nil
        building.bytes.append(contentsOf: part)
        guard building.bytes.count == length else {
            partial = building
            return
        }
        try add(key, Section(key: key, bytes: building.bytes))
    }

    /// The previous replica's section of `key` when its bytes are exactly `part`: its bytes
    /// and its CRC (of the same key and bytes) serve again.
    private mutating func reused(_ key: SectionKey, _ part: UnsafeRawBufferPointer) -> Section? {
        guard let old = previousSections?[key], old.bytes.count == part.count,
            old.bytes.withUnsafeBytes({ $0.holdsSameBytes(as: part) })
        else { return nil }
        sectionsReused += 1
        return old
    }

    /// Checks that a new section may start in the open checkpoint: room left.
    private func startSection(_ key: SectionKey) throws(ReplicationDecodeError) {
        guard open!.checkpoint.sectionCount < open!.sections else { throw .overLimit }
    }

    /// Adds a complete section to the open checkpoint, within its limits and the store's. The
    /// sections come in any order (key order from an older build); a key that came before
    /// makes the snapshot malformed.
    private mutating func add(_ key: SectionKey, _ section: consuming Section) throws(ReplicationDecodeError) {
        let count = section.bytes.count
        // Mutated in place: a copy of the open checkpoint would copy its every section.
        guard open!.checkpoint.insertNew(key, section) else { throw .malformed }
        guard open!.checkpoint.size <= open!.checkpoint.limits.sizeMax,
            store.size + open!.checkpoint.size <= Limits.checkpointStoreSizeMax
        else { throw .overLimit }
        sectionsReceived += 1
        bytesReceived += UInt64(Checkpoint.footprint(key: key, count: count))
    }

    /// Adds the open checkpoint to the store once its sections match its header.
    private mutating func closeCheckpoint() throws(ReplicationDecodeError) {
        guard let current = open else { return }
        guard partial == nil, current.checkpoint.sectionCount == current.sections else { throw .malformed }
        // Paired with the active's running checksum: computed here from the bytes received.
        guard current.checkpoint.checksum == current.checksum else { throw .badChecksum }
        store.insert(current.checkpoint)
        store.size += current.checkpoint.size
        open = nil
        previousSections = nil
    }

    /// Checks the assembled store against the summary and returns it at the cut-over sequence.
    /// - Throws: `ReplicationDecodeError` when anything differs.
    mutating func finish(_ summary: SnapshotSummary) throws(ReplicationDecodeError) -> CheckpointStore {
        guard summary.snapshot == snapshot, total > 0, nextIndex == total, summary.chunks == total,
            let header
        else { throw .malformed }
        try closeCheckpoint()
        guard header.cutover == summary.cutover, header.checkpoints == summary.checkpoints,
            header.sections == summary.sections, header.bytes == summary.bytes,
            store.count == Int(summary.checkpoints), UInt64(store.sectionCount) == summary.sections,
            UInt64(store.size) == summary.bytes
        else { throw .malformed }
        guard store.checksum == summary.checksum else { throw .badChecksum }
        store.sequence = summary.cutover
        return store
    }
}
