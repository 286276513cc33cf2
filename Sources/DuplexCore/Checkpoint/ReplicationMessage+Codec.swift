/// Wire format of a replication message, version 1, big-endian:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 2 | magic `0x4452` ("DR") |
/// | 2 | 1 | version (1) |
/// | 3 | 1 | kind: update 1, ack 2, nack 3, snapshot request 4, chunk 5, snapshot done 6, stream refused 7, updates 8, resume request 9, stream resumed 10 |
/// | 4 | 4 | length of the whole message, CRC included (so a stream can be cut into messages) |
/// | 8 | 8 | epoch |
/// | 16 | | body |
/// | end − 4 | 4 | CRC-32C of every byte before it |
///
/// Bodies: update: UInt8 flags (bit 0: ack now), then the update record
/// (`CheckpointUpdate+Codec`); ack: UInt64 snapshot, received, applied, UInt32 chunks, UInt8
/// flags (bit 0 installed, bit 1 hot, bit 2 gap); nack: UInt64 snapshot, from, through; snapshot request:
/// UInt64 snapshot, replica sequence; chunk: UInt64 snapshot, UInt32 index, total, UInt16
/// length, bytes; snapshot done: UInt64 snapshot, cut-over, UInt32 checkpoints, UInt64
/// sections, bytes, UInt32 checksum, chunks; stream refused: UInt64 snapshot (not 0); updates:
/// see `ReplicationMessage+Batch`; resume request: UInt64 snapshot, stream snapshot, stream
/// epoch, replica sequence (none 0 but the sequence); stream resumed: UInt64 snapshot (not
/// 0), from.
///
/// Kinds 9 and 10 came later too: a build without them drops a resume request as
/// `unknownKind` and serves the snapshot asked for right after it, and never sends the answer.
///
/// Kind 7 was added within version 1: a build without it counts it as `unknownKind` and drops
/// it, which leaves that build as it was (its standby relies on its own mate-loss detection).
/// So was the ack's gap flag: a build without it drops such an ack as malformed, and its
/// active resends the missing chunk after its timeout, as it did. Kind 8 (updates) too: an
/// active sends it only with `ReplicationConfiguration.batchSizeMax` set, which a mixed pair
/// must leave at 0 until both boards read it.
extension ReplicationMessage {
    public static let magic: UInt16 = 0x4452
    public static let version: UInt8 = 1
    static let headerSize = 16

    enum Kind: UInt8 {
        case update = 1, ack, nack, snapshotRequest, snapshotChunk, snapshotDone, streamRefused, updates
        case resumeRequest, streamResumed
    }

    var kind: Kind {
        switch body {
        case .update: .update
        case .ack: .ack
        case .nack: .nack
        case .snapshotRequest: .snapshotRequest
        case .snapshotChunk: .snapshotChunk
        case .snapshotDone: .snapshotDone
        case .streamRefused: .streamRefused
        case .updates: .updates
        case .resumeRequest: .resumeRequest
        case .streamResumed: .streamResumed
        }
    }

    /// The number of bytes `encode` writes.
    public var encodedSize: Int {
        let body: Int
        switch self.body {
        case .update(let update, _): body = 1 + update.encodedSize
        case .ack: body = 8 + 8 + 8 + 4 + 1
        case .nack: body = 24
        case .snapshotRequest: body = 16
        case .snapshotChunk(let chunk): body = 8 + 4 + 4 + 2 + chunk.bytes.count
        case .snapshotDone: body = 8 + 8 + 4 + 8 + 8 + 4 + 4
        case .streamRefused: body = 8
        case .updates(let updates, _): body = Self.batchBodySize(updates)
        case .resumeRequest: body = 32
        case .streamResumed: body = 16
        }
        return Self.headerSize + body + 4
    }

    /// The encoded message.
    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: encodedSize)
        let written = bytes.withUnsafeMutableBytes { encode(into: $0) }
        assert(written == bytes.count, "encodedSize and encode agree")
        return bytes
    }

    /// Encodes into `buffer`, which must hold `encodedSize` bytes.
    /// - Returns: the number of bytes written.
    /// - Important: traps for a message over `Limits.replicationMessageSizeMax` or a chunk over
    ///   `Limits.checkpointChunkSizeMax` (the core never makes one).
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let size = encodedSize
        precondition(size <= Limits.replicationMessageSizeMax, "a message within its size bound")
        precondition(buffer.count >= size, "room for the message")
        var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
        encodeHeader(size: size, into: &writer)
        encodeBody(into: &writer)
        writer.write(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<(size - 4)])))
        assert(writer.offset == size, "encodedSize and encode agree")
        return size
    }

    /// A snapshot chunk's message up to its records, so that a transport can send the records
    /// from the chunk's own storage instead of a copy: the message is these bytes, the
    /// chunk's `bytes`, then the CRC-32C of both (`chunkTrailer`), big-endian. Nil for every
    /// other message.
    /// - Returns: the number of bytes written (`encodedSize` less the records and the CRC).
    /// - Important: traps as `encode(into:)` does, and when `buffer` is too short.
    public func encodeChunkHead(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard case .snapshotChunk(let chunk) = body else { return nil }
        let size = encodedSize
        precondition(size <= Limits.replicationMessageSizeMax, "a message within its size bound")
        precondition(chunk.bytes.count <= Limits.checkpointChunkSizeMax, "a chunk within its bound")
        let headSize = size - chunk.bytes.count - 4
        precondition(buffer.count >= headSize, "room for the message's head")
        var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<headSize]))
        encodeHeader(size: size, into: &writer)
        Self.encodeChunkFields(chunk, into: &writer)
        assert(writer.offset == headSize, "the head is the message before its records")
        return headSize
    }

    /// The CRC-32C that ends a chunk's message: of its head (`encodeChunkHead`) and records.
    public static func chunkTrailer(head: UnsafeRawBufferPointer, records: UnsafeRawBufferPointer) -> UInt32 {
        CRC32C.update(CRC32C.update(0, head), records)
    }

    /// Magic, version, kind, the whole message's `size` and the epoch.
    private func encodeHeader(size: Int, into writer: inout ByteWriter) {
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(kind.rawValue)
        writer.write(UInt32(size))
        writer.write(epoch)
    }

    /// A chunk's fields before its records.
    private static func encodeChunkFields(_ chunk: SnapshotChunk, into writer: inout ByteWriter) {
        writer.write(chunk.snapshot)
        writer.write(chunk.index)
        writer.write(chunk.total)
        writer.write(UInt16(chunk.bytes.count))
    }

    private func encodeBody(into writer: inout ByteWriter) {
        switch body {
        case .update(let update, let ackNow):
            writer.write(UInt8(ackNow ? 1 : 0))
            update.encode(into: &writer)
        case .ack(let ack):
            writer.write(ack.snapshot)
            writer.write(ack.received)
            writer.write(ack.applied)
            writer.write(ack.chunks)
            writer.write(UInt8((ack.installed ? 1 : 0) | (ack.hot ? 2 : 0) | (ack.gap ? 4 : 0)))
        case .nack(let snapshot, let from, let through):
            writer.write(snapshot)
            writer.write(from)
            writer.write(through)
        case .snapshotRequest(let snapshot, let replicaSequence):
            writer.write(snapshot)
            writer.write(replicaSequence)
        case .snapshotChunk(let chunk):
            precondition(chunk.bytes.count <= Limits.checkpointChunkSizeMax, "a chunk within its bound")
            Self.encodeChunkFields(chunk, into: &writer)
            chunk.bytes.withUnsafeBytes { writer.write(bytes: $0) }
        case .snapshotDone(let summary):
            writer.write(summary.snapshot)
            writer.write(summary.cutover)
            writer.write(summary.checkpoints)
            writer.write(summary.sections)
            writer.write(summary.bytes)
            writer.write(summary.checksum)
            writer.write(summary.chunks)
        case .streamRefused(let snapshot):
            writer.write(snapshot)
        case .updates(let updates, let ackNow):
            Self.encodeBatch(updates, ackNow: ackNow, into: &writer)
        case .resumeRequest(let snapshot, let streamSnapshot, let streamEpoch, let replicaSequence):
            writer.write(snapshot)
            writer.write(streamSnapshot)
            writer.write(streamEpoch)
            writer.write(replicaSequence)
        case .streamResumed(let snapshot, let from):
            writer.write(snapshot)
            writer.write(from)
        }
    }

    /// The length field of a message whose first 8 bytes are in `prefix`, for cutting a byte
    /// stream into messages; nil when the prefix is not a message header this build reads.
    public static func length(prefix: UnsafeRawBufferPointer) -> Int? {
        var reader = ByteReader(prefix)
        guard reader.read(UInt16.self) == magic, reader.read(UInt8.self) == version,
            reader.read(UInt8.self) != nil, let length = reader.read(UInt32.self),
            Int(length) >= headerSize + 4, Int(length) <= Limits.replicationMessageSizeMax
        else { return nil }
        return Int(length)
    }
}
