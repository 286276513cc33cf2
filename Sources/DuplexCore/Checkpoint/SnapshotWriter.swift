/// Cuts a frozen copy of the store into chunks, checkpoints in name order, one chunk at a time.
///
/// The copy is each checkpoint's section table as it was (one reference each: copy on write,
/// so writes that keep coming go to the live store's own copy and do not change this one) and
/// the order its sections go in, as positions in that table with each section's key and value
/// lengths. By default the sections go in the order their values lie in memory: taking the copy
/// then costs one pass over the table's entries, which hold both lengths and each value's
/// reference, and a radix sort of those references (no key or value storage is visited).
/// A mate whose build assembles only snapshots in key order (before `takesUnorderedSnapshots`)
/// gets `inKeyOrder`: a radix sort of the keys' first eight bytes, which visits every key
/// (about 25 ms for 100,000 sections, before the first chunk). The chunk count comes from the
/// lengths alone, and no value is copied or retained before its chunk is written.
struct SnapshotWriter: Sendable {
    typealias Table = [SectionKey: Section]

    private(set) var summary: SnapshotSummary
    /// The checkpoints' header records in name order.
    private let checkpoints: [Header]
    /// Each checkpoint's section table, frozen (see the type's description): what keeps the
    /// values that `orders` points into alive and unchanged until the writer goes.
    private let tables: [Table]
    /// Each checkpoint's sections in the order they go in.
    private let orders: [[Entry]]
    private var cursor = Cursor()
    private(set) var nextIndex: UInt32 = 0
    /// Bytes of records per chunk, at most.
    let capacity: Int

    /// A section's place in its frozen table and what its records need: its key (inline keys:
    /// the key's two words), its value's length and where the value's bytes lie (the frozen
    /// table's reference keeps them there and unchanged), so that writing a chunk reads no
    /// table entry: in the values' memory order those are scattered over the table, a cache
    /// miss each. Plain data (no reference), so that putting 100,000 of them in order is a
    /// gather of independent loads, not a call per entry that copies a key.
    struct Entry: Sendable {
        var position: Table.Index
        /// The bytes of a key of up to `SectionKey.inlineMax` bytes, zero-padded; zero for a
        /// longer key, which is read from the table at `position` (rare, and not kept inline
        /// anywhere either).
        var keyWords: (UInt64, UInt64)
        var keyLength: Int
        var valueLength: Int
        var valueAddress: UInt64
    }

    /// Where the next record starts.
    struct Cursor: Sendable {
        var begun = false
        var checkpoint = 0
        var headerWritten = false
        var key = 0
        var offset = 0
    }

    /// - Parameters:
    ///   - chunkSize: bytes of records per chunk, `Limits.checkpointChunkSizeMin` ...
    ///     `Limits.checkpointChunkSizeMax`.
    ///   - inKeyOrder: each checkpoint's sections in key order (for a mate whose build needs
    ///     it), instead of the order of their values in memory.
    init(
        snapshot: UInt64, store: CheckpointStore, chunkSize: Int = Limits.checkpointChunkSizeMax, inKeyOrder: Bool = false
    ) {
        precondition(snapshot != 0, "snapshot identifiers start at 1")
        precondition(
            chunkSize >= Limits.checkpointChunkSizeMin && chunkSize <= Limits.checkpointChunkSizeMax, "a chunk size within its bounds")
        capacity = chunkSize
        let sorted = store.checkpoints.values.sorted { $0.name < $1.name }
        checkpoints = sorted.map(Header.init)
        tables = sorted.map(\.sections)
        orders = tables.map(inKeyOrder ? Self.keyOrder : Self.storageOrder)
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

    /// The sections in key order (tests; the writer keeps positions).
    static func inKeyOrder(_ sections: Table) -> [(key: SectionKey, section: Section)] {
        keyOrder(sections).map { entry in
            let (key, section) = sections[entry.position]
            return (key: key, section: section)
        }
    }

    /// The table's sections in the order their values lie in memory: the table's order sorted
    /// by each value's storage address, as the table's entries recorded it (a radix sort of
    /// plain integers; no value's storage is visited, not even to retain it). Copying the values
    /// into chunks then reads memory upwards instead of in the hash table's order, one cache and
    /// TLB miss after another that the processor could not see coming: the values a board wrote
    /// one after another lie one after another. Any order assembles into the same store; this
    /// one only reads faster.
    static func storageOrder(_ sections: Table) -> [Entry] {
        var entries: [Entry] = []
        var words: [UInt64] = []
        entries.reserveCapacity(sections.count)
        words.reserveCapacity(sections.count)
        let values = sections.values
        var position = values.startIndex
        let keys = sections.keys
        for _ in 0..<values.count {
            // Trivial fields only: no copy of the value's reference (a key of up to
            // `SectionKey.inlineMax` bytes is one too).
            let keyLength = values[position].keyLength
            let valueLength = values[position].valueLength
            let address = values[position].storageAddress.value
            entries.append(
                Entry(
                    position: position, keyWords: keys[position].inlineWords ?? (0, 0), keyLength: Int(keyLength),
                    valueLength: Int(valueLength), valueAddress: address))
            words.append(address)
            values.formIndex(after: &position)
        }
        assert(position == values.endIndex, "every section once")
        return radixSorted(words).map { entries[Int($0)] }
    }

    /// Where an array's bytes lie (its storage is not read). Valid for as long as the array
    /// is alive and unchanged: a section's `let` bytes, held by its table.
    static func storageAddress(of bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { UInt64(UInt(bitPattern: $0.baseAddress)) }
    }

    /// The table's sections in key order: sorted by the first eight bytes of their keys as a
    /// big-endian word (a radix sort of plain integers: no reference counting, no comparison
    /// closure), then each run of equal words by the full keys.
    static func keyOrder(_ sections: Table) -> [Entry] {
        var entries: [Entry] = []
        var words: [UInt64] = []
        entries.reserveCapacity(sections.count)
        words.reserveCapacity(sections.count)
        var position = sections.startIndex
        for _ in 0..<sections.count {
            // One visit per section: its key's bytes and its value's length.
            let (key, section) = sections[position]
            entries.append(
                Entry(
                    position: position, keyWords: key.inlineWords ?? (0, 0), keyLength: Int(section.keyLength),
                    valueLength: Int(section.valueLength), valueAddress: section.storageAddress.value))
            words.append(prefix(of: key))
            sections.formIndex(after: &position)
        }
        assert(position == sections.endIndex, "every section once")
        var slots = radixSorted(words)
        breakTies(&slots, words: words) { sections[entries[$0].position].key < sections[entries[$1].position].key }
        let result = slots.map { entries[Int($0)] }
        assert(
            zip(result, result.dropFirst()).allSatisfy { sections[$0.position].key < sections[$1.position].key },
            "keys in strictly ascending order")
        return result
    }

    /// The bits of a radix sort's digit: 2,048 counters (16 KiB) stay in the first-level cache.
    static let radixDigitBits = 11

    /// The indices of `words` in ascending order of their words (stable): a least significant
    /// digit radix sort over only the bits in which the words differ (storage addresses of
    /// 100,000 values share their alignment bits and high bytes: two or three passes of 11 bits
    /// instead of eight of 8), counting every digit in one read of the words, and skipping a
    /// digit every word has alike.
    static func radixSorted(_ words: [UInt64]) -> [UInt32] {
        precondition(words.count < Int(UInt32.max), "indices fit 32 bits")
        let count = words.count
        var slots = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = UInt32(truncatingIfNeeded: index) }
            initialized = count
        }
        guard count > 1 else { return slots }
        var varying: UInt64 = 0
        let first = words[0]
        for word in words { varying |= word ^ first }
        guard varying != 0 else { return slots }
        // Outside [low, low + width) every word has the same bits: ordering by these orders all.
        let low = varying.trailingZeroBitCount
        let width = UInt64.bitWidth - varying.leadingZeroBitCount - low
        let digitBits = Self.radixDigitBits
        let radix = 1 << digitBits
        let mask = UInt64(radix - 1)
        let passes = (width + digitBits - 1) / digitBits
        var counts = [Int](repeating: 0, count: passes * radix)
        var spare = [UInt32](repeating: 0, count: count)
        words.withUnsafeBufferPointer { words in
            counts.withUnsafeMutableBufferPointer { counts in
                for word in words {
                    var rest = word >> UInt64(low)
                    for pass in 0..<passes {
                        counts[pass * radix + Int(rest & mask)] += 1
                        rest >>= UInt64(digitBits)
                    }
                }
                slots.withUnsafeMutableBufferPointer { slots in
                    spare.withUnsafeMutableBufferPointer { spare in
                        var source = slots
                        var target = spare
                        for pass in 0..<passes {
                            let base = pass * radix
                            // Every word has this digit alike: the pass would not move anything.
                            guard !counts[base..<base + radix].contains(count) else { continue }
                            var start = 0
                            for digit in 0..<radix {
                                let digitCount = counts[base + digit]
                                counts[base + digit] = start
                                start += digitCount
                            }
                            let shift = UInt64(low + pass * digitBits)
                            for slot in source {
                                let digit = base + Int((words[Int(slot)] >> shift) & mask)
                                target[counts[digit]] = slot
                                counts[digit] += 1
                            }
                            swap(&source, &target)
                        }
                        if source.baseAddress != slots.baseAddress {
                            slots.baseAddress!.update(from: source.baseAddress!, count: count)
                        }
                    }
                }
            }
        }
        return slots
    }

    /// Sorts each run of slots whose words are equal with `less` (keys that share their first
    /// eight bytes, or differ only in zero bytes against padding).
    static func breakTies(_ slots: inout [UInt32], words: [UInt64], by less: (Int, Int) -> Bool) {
        var start = 0
        while start < slots.count {
            var end = start + 1
            while end < slots.count, words[Int(slots[end])] == words[Int(slots[start])] { end += 1 }
            if end - start > 1 { slots[start..<end].sort { less(Int($0), Int($1)) } }
            start = end
        }
    }

    /// The key's first eight bytes as a big-endian word, zero-padded: it orders keys as their
    /// bytes do, except that keys equal in it (a common prefix, or zero padding) need the full
    /// comparison.
    static func prefix(of key: SectionKey) -> UInt64 {
        key.withUnsafeBytes { bytes in
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
            guard cursor.key < orders[cursor.checkpoint].count else {
                cursor.checkpoint += 1
                cursor.headerWritten = false
                continue
            }
            let entry = orders[cursor.checkpoint][cursor.key]
            let left = entry.valueLength - cursor.offset
            let room = capacity - sink.count - SnapshotChunk.sectionHeaderSize(keyLength: entry.keyLength)
            guard room >= 0, left == 0 || room >= min(left, SnapshotChunk.partMin) else { return }
            let part = min(left, room)
            if sink.measuring {
                sink.skip(SnapshotChunk.sectionHeaderSize(keyLength: entry.keyLength) + part)
            } else {
                sink.write(SnapshotChunk.Tag.section.rawValue)
                sink.write(UInt16(entry.keyLength))
                if entry.keyLength <= SectionKey.inlineMax {
                    withUnsafeBytes(of: entry.keyWords) { sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<entry.keyLength])) }
                } else {
                    tables[cursor.checkpoint][entry.position].key.withUnsafeBytes { sink.write($0) }
                }
                sink.write(UInt32(entry.valueLength))
                sink.write(UInt32(cursor.offset))
                sink.write(UInt16(part))
                if part > 0 {
                    // The value where the frozen table holds it (see `Entry`).
                    let start = UnsafeRawPointer(bitPattern: UInt(entry.valueAddress))! + cursor.offset
                    sink.write(UnsafeRawBufferPointer(start: start, count: part))
                }
            }
            cursor.offset += part
            if cursor.offset == entry.valueLength {
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

    /// Counts `count` bytes without writing them (the dry run only).
    mutating func skip(_ count: Int) {
        precondition(measuring, "only a dry run skips")
        self.count += count
    }

    mutating func write(_ slice: ArraySlice<UInt8>) {
        count += slice.count
        guard !measuring else { return }
        bytes.append(contentsOf: slice)
    }

    mutating func write(_ raw: UnsafeRawBufferPointer) {
        count += raw.count
        guard !measuring else { return }
        bytes.append(contentsOf: raw)
    }
}
