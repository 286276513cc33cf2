extension ReplicationMessage {
    /// Decodes untrusted bytes holding exactly one message. Never traps.
    /// - Throws: `ReplicationDecodeError`.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(ReplicationDecodeError) {
        guard bytes.count >= Self.headerSize + 4 else { throw .truncated }
        guard bytes.count <= Limits.replicationMessageSizeMax else { throw .tooLarge }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]))
        guard try reader.field(UInt16.self) == Self.magic else { throw .badMagic }
        guard try reader.field(UInt8.self) == Self.version else { throw .unsupportedVersion }
        let rawKind = try reader.field(UInt8.self)
        guard try reader.field(UInt32.self) == UInt32(bytes.count) else { throw .badLength }
        let stored = bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).bigEndian
        guard CRC32C.checksum(reader.buffer) == stored else { throw .badChecksum }
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownKind }
        let epoch = try reader.field(UInt64.self)
        let body = try Self.decodeBody(kind, &reader)
        guard reader.remaining == 0 else { throw .malformed }
        self.init(epoch: epoch, body)
        assert(encodedSize == bytes.count, "a decoded message encodes to the same size")
    }

    /// Decodes a message from an array (tests and cold paths).
    public init(decoding bytes: [UInt8]) throws(ReplicationDecodeError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ReplicationDecodeError) in try ReplicationMessage(decoding: buffer) }
        }
        self = try result.get()
    }

    private static func decodeBody(_ kind: Kind, _ reader: inout ByteReader) throws(ReplicationDecodeError) -> Body {
        switch kind {
        case .update:
            let flags = try reader.field(UInt8.self)
            guard flags & ~1 == 0 else { throw .malformed }
            guard let rest = reader.readBytes(reader.remaining) else { throw .truncated }
            return .update(try CheckpointUpdate(decoding: rest), ackNow: flags == 1)
        case .ack:
            let snapshot = try reader.field(UInt64.self)
            let received = try reader.field(UInt64.self)
            let applied = try reader.field(UInt64.self)
            let chunks = try reader.field(UInt32.self)
            let flags = try reader.field(UInt8.self)
            guard flags & ~7 == 0, applied <= received else { throw .malformed }
            return .ack(
                ReplicationAck(
                    snapshot: snapshot, received: received, applied: applied, chunks: chunks,
                    installed: flags & 1 != 0, hot: flags & 2 != 0, gap: flags & 4 != 0))
        case .nack:
            let snapshot = try reader.field(UInt64.self)
            let from = try reader.field(UInt64.self)
            let through = try reader.field(UInt64.self)
            guard from >= 1, from <= through else { throw .malformed }
            return .nack(snapshot: snapshot, from: from, through: through)
        case .snapshotRequest:
            let snapshot = try reader.field(UInt64.self)
            guard snapshot != 0 else { throw .malformed }
            return .snapshotRequest(snapshot: snapshot, replicaSequence: try reader.field())
        case .snapshotChunk:
            return .snapshotChunk(try decodeChunk(&reader))
        case .snapshotDone:
            let summary = SnapshotSummary(
                snapshot: try reader.field(), cutover: try reader.field(), checkpoints: try reader.field(),
                sections: try reader.field(), bytes: try reader.field(), checksum: try reader.field(),
                chunks: try reader.field())
            guard summary.snapshot != 0, summary.chunks >= 1 else { throw .malformed }
            return .snapshotDone(summary)
        case .streamRefused:
            let snapshot = try reader.field(UInt64.self)
            guard snapshot != 0 else { throw .malformed }
            return .streamRefused(snapshot: snapshot)
        case .updates:
            return try decodeBatch(&reader)
        case .resumeRequest:
            let snapshot = try reader.field(UInt64.self)
            let streamSnapshot = try reader.field(UInt64.self)
            let streamEpoch = try reader.field(UInt64.self)
            let replicaSequence = try reader.field(UInt64.self)
            guard snapshot != 0, streamSnapshot != 0, streamEpoch != 0 else { throw .malformed }
            return .resumeRequest(
                snapshot: snapshot, streamSnapshot: streamSnapshot, streamEpoch: streamEpoch, replicaSequence: replicaSequence)
        case .streamResumed:
            let snapshot = try reader.field(UInt64.self)
            guard snapshot != 0 else { throw .malformed }
            return .streamResumed(snapshot: snapshot, from: try reader.field())
        }
    }

    private static func decodeChunk(_ reader: inout ByteReader) throws(ReplicationDecodeError) -> SnapshotChunk {
        let snapshot = try reader.field(UInt64.self)
        let index = try reader.field(UInt32.self)
        let total = try reader.field(UInt32.self)
        let count = Int(try reader.field(UInt16.self))
        guard snapshot != 0, index < total else { throw .malformed }
        guard count <= Limits.checkpointChunkSizeMax else { throw .overLimit }
        return SnapshotChunk(snapshot: snapshot, index: index, total: total, bytes: try reader.field(bytes: count))
    }
}
