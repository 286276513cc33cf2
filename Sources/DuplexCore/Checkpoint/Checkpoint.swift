/// One named checkpoint: sections (key → bytes) under explicit limits, with the sequence number
/// of the last update applied to it and a checksum of its content.
///
/// Each section keeps the CRC-32C computed when it was written (of the key length as a
/// big-endian UInt16, the key and the value); reading a section computes it again and refuses
/// bytes that no longer match. The checkpoint's `checksum` is the wrapping sum of its
/// sections' CRCs, so it follows every write in constant time and two replicas with the same
/// content have the same checksum whatever the order of their writes.
public struct Checkpoint: Sendable, Hashable {
    public let name: String
    public let limits: CheckpointLimits
    /// The store sequence number of the last update applied to this checkpoint.
    public internal(set) var sequence: UInt64
    /// Bytes of every section's key and value.
    public internal(set) var size: Int = 0
    /// Wrapping sum of the sections' CRC-32C.
    public internal(set) var checksum: UInt32 = 0
    var sections: [SectionKey: Section] = [:]
    /// The store sequence of the last update that added or removed one of its keys (or that
    /// created it, or of the snapshot it came from): a key order computed since stays valid
    /// while this stays the same. Bookkeeping, not content: equal checkpoints may differ in it.
    var keysChanged: Bookkeeping<UInt64>

    init(name: String, limits: CheckpointLimits, sequence: UInt64) {
        self.name = name
        self.limits = limits
        self.sequence = sequence
        keysChanged = Bookkeeping(sequence)
    }

    /// The store sequence at which the key set last changed (see `keys`).
    public var keysChangedAt: UInt64 { keysChanged.value }

    public var sectionCount: Int { sections.count }

    /// The section keys in byte order.
    public var keys: [SectionKey] { sections.keys.sorted() }

    /// The bytes of a section, or nil when it does not exist.
    /// - Throws: `corrupted` when the bytes no longer match the CRC computed when written.
    public func read(_ key: SectionKey) throws(CheckpointError) -> [UInt8]? {
        guard let section = sections[key] else { return nil }
        let computed = Checkpoint.sectionChecksum(key: key, bytes: section.bytes)
        guard computed == section.checksum else {
            throw CheckpointError(
                .corrupted, checkpoint: name, key: key, value: UInt64(computed), limit: UInt64(section.checksum))
        }
        return section.bytes
    }

    /// Computes every section's CRC, the size and the checksum again and compares them with
    /// the values kept since the writes.
    /// - Throws: `corrupted` at the first difference.
    public func verify() throws(CheckpointError) {
        precondition(sections.count <= limits.sectionsMax, "a checkpoint holds at most sectionsMax sections")
        var total: UInt32 = 0
        var bytes = 0
        for key in keys {
            _ = try read(key)
            total &+= sections[key]!.checksum
            bytes += Checkpoint.footprint(key: key, count: sections[key]!.bytes.count)
        }
        guard total == checksum, bytes == size else {
            throw CheckpointError(.corrupted, checkpoint: name, value: UInt64(total), limit: UInt64(checksum))
        }
    }

    /// The CRC-32C of one section: key length (UInt16, big-endian), key, value.
    static func sectionChecksum(key: SectionKey, bytes: [UInt8]) -> UInt32 {
        precondition(key.count <= Limits.sectionKeySizeMax, "a key within its limit")
        let length = UInt16(key.count)
        var crc = withUnsafeBytes(of: length.bigEndian) { CRC32C.update(0, $0) }
        crc = key.withUnsafeBytes { CRC32C.update(crc, $0) }
        return bytes.withUnsafeBytes { CRC32C.update(crc, $0) }
    }

    /// What a section counts against `sizeMax`: its key and its value.
    static func footprint(key: SectionKey, count: Int) -> Int {
        key.count + count
    }

    /// `set` for the section at `index` (found with no change since): no hashing.
    mutating func set(at index: Dictionary<SectionKey, Section>.Index, _ section: consuming Section?) {
        let key = sections.keys[index]
        let old = sections.values[index]
        size -= Checkpoint.footprint(key: key, count: old.bytes.count)
        checksum &-= old.checksum
        if let section {
            size += Checkpoint.footprint(key: key, count: section.bytes.count)
            checksum &+= section.checksum
            sections.values[index] = section
        } else {
            sections.remove(at: index)
        }
        assert(size >= 0, "a size never goes negative")
    }

    /// Adds a section whose key is not in the checkpoint yet; a key already there is left as it
    /// was, and the answer is false.
    /// The section moves into the table: no retain of its bytes here and no release in the
    /// caller, atomic operations that would each wait for the stores of the value just copied
    /// into fresh memory (a snapshot's receiver: 14 % of its thread).
    mutating func insertNew(_ key: SectionKey, _ section: consuming Section) -> Bool {
        let count = section.bytes.count
        let sectionChecksum = section.checksum
        // One hash lookup: a key that was there comes back from the insert and is put back.
        guard let old = sections.updateValue(section, forKey: key) else {
            size += Checkpoint.footprint(key: key, count: count)
            checksum &+= sectionChecksum
            return true
        }
        sections[key] = old
        return false
    }

    /// Sets or removes one section and keeps the size and checksum up to date.
    mutating func set(_ key: SectionKey, _ section: consuming Section?) {
        // One hash lookup each way: the old value comes back from the change itself.
        let old: Section?
        if let section {
            size += Checkpoint.footprint(key: key, count: section.bytes.count)
            checksum &+= section.checksum
            old = sections.updateValue(section, forKey: key)
        } else {
            old = sections.removeValue(forKey: key)
        }
        if let old {
            size -= Checkpoint.footprint(key: key, count: old.bytes.count)
            checksum &-= old.checksum
        }
        assert(size >= 0, "a size never goes negative")
    }
}

/// A section's value and the CRC computed when it was written, with the lengths of its key
/// and value kept inline: a snapshot counts its chunks from the section table alone, without
/// visiting every key's and value's storage (100,000 sections: two cache misses each).
/// Where the value's storage lay when the section was made is kept too, so that a snapshot can
/// order the sections by address without touching each value's storage (reading it through the
/// reference would retain it: one cache and TLB miss per section). 24 bytes a section in all.
struct Section: Sendable, Hashable {
    /// Never changed: `storageAddress` stays where these bytes lie for the section's life (a
    /// snapshot reads them there).
    let bytes: [UInt8]
    let checksum: UInt32
    let keyLength: UInt16
    let valueLength: UInt16
    /// `SnapshotWriter.storageAddress(of: bytes)`: where the bytes lie, for a snapshot's order
    /// and its copy (the section's own reference keeps them there), outside equality.
    let storageAddress: Bookkeeping<UInt64>

    init(key: SectionKey, bytes: [UInt8]) {
        self.init(key: key, bytes: bytes, checksum: Checkpoint.sectionChecksum(key: key, bytes: bytes))
    }

    /// A section whose CRC is known: the `checksum` of a section with the same key and bytes.
    init(key: SectionKey, bytes: [UInt8], checksum: UInt32) {
        precondition(Limits.sectionSizeMax <= Int(UInt16.max) && Limits.sectionKeySizeMax <= Int(UInt16.max), "lengths fit 16 bits")
        precondition(bytes.count <= Limits.sectionSizeMax && key.count <= Limits.sectionKeySizeMax, "a section within the limits")
        self.bytes = bytes
        self.checksum = checksum
        keyLength = UInt16(truncatingIfNeeded: key.count)
        valueLength = UInt16(truncatingIfNeeded: bytes.count)
        storageAddress = Bookkeeping(SnapshotWriter.storageAddress(of: bytes))
    }
}

/// A value a type carries that takes no part in its equality and hash.
struct Bookkeeping<Value: Sendable>: Sendable, Hashable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }

    static func == (lhs: Bookkeeping, rhs: Bookkeeping) -> Bool { true }

    func hash(into hasher: inout Hasher) {}
}
