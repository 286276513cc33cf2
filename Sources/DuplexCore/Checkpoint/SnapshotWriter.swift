/// Cuts a frozen copy of the store into chunks, in name and key order, one chunk at a time.
/// The copy is every section in order (sorted once, sharing each value's storage with the live
/// store, copy on write), so taking it costs one sort and no value is copied, and
/// writes that keep coming do not change it.
struct SnapshotWriter: Sendable {
    private(set) var summary: SnapshotSummary
    /// The checkpoints' header records in name order. Not the checkpoints themselves: holding
    /// their section tables would make the next write to each copy its whole table.
    private let checkpoints: [Header]
    /// Each checkpoint's sections in key order, sorted once: the chunks read them by index
    /// instead of looking each one up by key.
    private let entries: [[(key: SectionKey, section: Section)]]
    private var cursor = Cursor()
    private(set) var nextIndex: UInt32 = 0
    /// Bytes of records per chunk, at most.
    let capacity: Int

    /// Where the next record starts.
    struct Cursor: Sendable {
        var begun = false
        var checkpoint = 0
        var headerWritten = false
        var key = 0
        var offset = 0
    }

    /// - Parameter chunkSize: bytes of records per chunk, `Limits.checkpointChunkSizeMin`
    ///   ... `Limits.checkpointChunkSizeMax`.
    init(snapshot: UInt64, store: CheckpointStore, chunkSize: Int = Limits.checkpointChunkSizeMax) {
        precondition(snapshot != 0, "snapshot identifiers start at 1")
        precondition(
            chunkSize >= Limits.checkpointChunkSizeMin && chunkSize <= Limits.checkpointChunkSizeMax, "a chunk size within its bounds")
        capacity = chunkSize
        let sorted = store.checkpoints.values.sorted { $0.name < $1.name }
        checkpoints = sorted.map(Header.init)
        entries = sorted.map { Self.inKeyOrder($0.sections) }
        let provisional = SnapshotSummary(
            snapshot: snapshot, cutover: store.sequence, checkpoints: UInt32(store.count),
            sections: UInt64(store.sectionCount), bytes: UInt64(store.size), checksum: store.checksum, chunks: 0)
        summary = provisional
        // Count the chunks with a dry run that measures instead of copying.
        var dry = Cursor()
        var chunks: UInt32 = 0
        // Each chunk finishes a section, a checkpoint header or partMin bytes of a value.
        let chunksMax = store.size / SnapshotChunk.partMin + store.sectionCount + store.count + 1
        for _ in 0...chunksMax {
            var sink = ChunkSink(measuring: true, capacity: capacity)
            fill(&dry, into: &sink)
            chunks += 1
            if isFinished(dry) { break }
        }
        precondition(isFinished(dry), "the dry run reaches the end")
        var complete = provisional
        complete.chunks = chunks
        summary = complete
    }

    var isFinished: Bool { nextIndex == summary.chunks }

    /// The sections in key order. Sorted as (first eight bytes as a big-endian word, index)
    /// pairs, the full keys compared only when those words are equal: the sort moves plain
    /// integers (no reference counting) and most comparisons are one integer comparison.
    static func inKeyOrder(_ sections: [SectionKey: Section]) -> [(key: SectionKey, section: Section)] {
        // Positions in the table, not copies of the sections: each section is copied (retained)
        // once, into the result.
        typealias Position = Dictionary<SectionKey, Section>.Index
        var order: [(prefix: UInt64, position: Position)] = []
        order.reserveCapacity(sections.count)
        var position = sections.startIndex
        for _ in 0..<sections.count {
            order.append((prefix(of: sections[position].key), position))
            sections.formIndex(after: &position)
        }
        assert(position == sections.endIndex, "every section once")
        order.sort { left, right in
            if left.prefix != right.prefix { return left.prefix < right.prefix }
            return sections[left.position].key < sections[right.position].key
        }
        let result = order.map { entry in
            let (key, section) = sections[entry.position]
            return (key: key, section: section)
        }
        assert(zip(result, result.dropFirst()).allSatisfy { $0.key < $1.key }, "keys in strictly ascending order")
        return result
    }

    /// The key's first eight bytes as a big-endian word, zero-padded: it orders keys as their
    /// bytes do, except that keys equal in it (a common prefix, or zero padding) need the full
    /// comparison.
    static func prefix(of key: SectionKey) -> UInt64 {
        key.bytes.withUnsafeBytes { bytes in
            var word: UInt64 = 0
            for index in 0..<8 {
                word <<= 8
                if index < bytes.count { word |= UInt64(bytes[index]) }
            }
            return word
        }
    }

    /// The next chunk, or nil after the last.
    mutating func nextChunk() -> SnapshotChunk? {
        guard nextIndex < summary.chunks else { return nil }
        var sink = ChunkSink(measuring: false, capacity: capacity)
        fill(&cursor, into: &sink)
        precondition(sink.count > 0 && sink.count <= capacity, "a chunk within its bound")
        let chunk = SnapshotChunk(snapshot: summary.snapshot, index: nextIndex, total: summary.chunks, bytes: sink.bytes)
        nextIndex += 1
        assert((nextIndex == summary.chunks) == isFinished(cursor), "the dry run and the real run agree")
        return chunk
    }

    private func isFinished(_ cursor: Cursor) -> Bool {
        cursor.begun && cursor.checkpoint == checkpoints.count
    }

    /// Writes records from `cursor` until the chunk is full or the snapshot ends.
    private func fill(_ cursor: inout Cursor, into sink: inout ChunkSink) {
        if !cursor.begun {
            sink.write(SnapshotChunk.Tag.begin.rawValue)
            sink.write(summary.cutover)
            sink.write(summary.checkpoints)
            sink.write(summary.sections)
            sink.write(summary.bytes)
            cursor.begun = true
        }
        // Each pass writes a record or moves to the next checkpoint.
        for _ in 0..<(capacity + 2 * Limits.checkpointsMax + 2) {
            guard cursor.checkpoint < checkpoints.count else { return }
            if !cursor.headerWritten {
                let checkpoint = checkpoints[cursor.checkpoint]
                guard sink.count + SnapshotChunk.checkpointRecordSize(name: checkpoint.name) <= capacity else { return }
                writeHeader(of: checkpoint, into: &sink)
                cursor.headerWritten = true
                cursor.key = 0
                cursor.offset = 0
                continue
            }
            guard cursor.key < entries[cursor.checkpoint].count else {
                cursor.checkpoint += 1
                cursor.headerWritten = false
                continue
            }
            let key = entries[cursor.checkpoint][cursor.key].key
            let value = entries[cursor.checkpoint][cursor.key].section.bytes
            let left = value.count - cursor.offset
            let room = capacity - sink.count - SnapshotChunk.sectionHeaderSize(key: key)
            guard room >= 0, left == 0 || room >= min(left, SnapshotChunk.partMin) else { return }
            let part = min(left, room)
            sink.write(SnapshotChunk.Tag.section.rawValue)
            sink.write(UInt16(key.bytes.count))
            sink.write(key.bytes[...])
            sink.write(UInt32(value.count))
            sink.write(UInt32(cursor.offset))
            sink.write(UInt16(part))
            sink.write(value[cursor.offset..<(cursor.offset + part)])
            cursor.offset += part
            if cursor.offset == value.count {
                cursor.key += 1
                cursor.offset = 0
            }
        }
        preconditionFailure("a chunk fills or the snapshot ends within the bound")
    }

    /// What a checkpoint record holds.
    private struct Header: Sendable {
        var name: String
        var limits: CheckpointLimits
        var sequence: UInt64
        var checksum: UInt32
        var sectionCount: Int

        init(_ checkpoint: Checkpoint) {
            name = checkpoint.name
            limits = checkpoint.limits
            sequence = checkpoint.sequence
            checksum = checkpoint.checksum
            sectionCount = checkpoint.sectionCount
        }
    }

    private func writeHeader(of checkpoint: Header, into sink: inout ChunkSink) {
        let name = Array(checkpoint.name.utf8)
        sink.write(SnapshotChunk.Tag.checkpoint.rawValue)
        sink.write(UInt8(name.count))
        sink.write(name[...])
        sink.write(UInt64(checkpoint.limits.sizeMax))
        sink.write(checkpoint.limits.encodedSections)
        sink.write(UInt32(checkpoint.limits.sectionSizeMax))
        sink.write(checkpoint.sequence)
        sink.write(checkpoint.checksum)
        sink.write(UInt32(checkpoint.sectionCount))
    }
}

/// The bytes of a chunk being built, or only their count (the writer's dry run).
struct ChunkSink: Sendable {
    let measuring: Bool
    private(set) var count = 0
    private(set) var bytes: [UInt8] = []

    init(measuring: Bool, capacity: Int) {
        self.measuring = measuring
        if !measuring { bytes.reserveCapacity(capacity) }
    }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        count += MemoryLayout<T>.size
        guard !measuring else { return }
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ slice: ArraySlice<UInt8>) {
        count += slice.count
        guard !measuring else { return }
        bytes.append(contentsOf: slice)
    }
}
