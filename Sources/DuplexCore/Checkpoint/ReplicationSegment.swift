/// One datagram's part of a replication message too large for the path MTU: the transport cuts
/// such a message (an update with large sections, a large batch) into segments that each fit
/// one datagram, and the mate's transport puts them back together (`SegmentReassembler`)
/// before the message is decoded. Without segments the kernel would fragment the datagram;
/// under loss each incomplete datagram then holds its fragments in the receiver's reassembly
/// memory for `ipfrag_time` (30 s), and once that memory is full (`ipfrag_high_thresh`, 4 MiB)
/// no fragmented datagram is reassembled at all: large updates would stop replicating. A lost
/// segment costs only the message (the core retransmits it, as any lost datagram) and a slot of
/// the reassembler that the next message reuses.
///
/// Wire format, version 1, big-endian:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 2 | magic `0x4453` ("DS"; a replication message starts with "DR") |
/// | 2 | 1 | version (1) |
/// | 3 | 1 | reserved (0) |
/// | 4 | 4 | message: a number the sender gives each segmented message |
/// | 8 | 4 | length of the whole message |
/// | 12 | 4 | offset of these bytes in the message |
/// | 16 | 1 | index of the segment |
/// | 17 | 1 | number of segments of the message (2...`segmentsMax`) |
/// | 18 | 2 | length of these bytes (1 or more) |
/// | 20 | n | bytes |
/// | 20 + n | 4 | CRC-32C of every byte before it |
///
/// Every segment but the last carries the same number of bytes; the last ends the message.
/// The message keeps its own CRC, so a reassembly that went wrong is still refused whole.
public struct ReplicationSegment {
    public static let magic: UInt16 = 0x4453
    public static let version: UInt8 = 1
    public static let headerSize = 20
    /// Header and CRC: what a segment adds to its bytes.
    public static let overhead = headerSize + 4
    /// Segments of one message, at most (the reassembler keeps one bit per segment).
    public static let segmentsMax = 64

    public var message: UInt32
    public var length: Int
    public var offset: Int
    public var index: Int
    public var count: Int
    /// Where the segment's bytes are, in the datagram it was decoded from.
    public var bytes: UnsafeRawBufferPointer

    /// Whether `datagram` starts as a segment does (its magic), so that the transport hands it
    /// to the reassembler instead of the message decoder.
    public static func isSegment(_ datagram: UnsafeRawBufferPointer) -> Bool {
        datagram.count >= 2 && datagram[0] == UInt8(magic >> 8) && datagram[1] == UInt8(magic & 0xFF)
    }

    /// The number of segments of a message of `length` bytes over datagrams of at most
    /// `datagramSize` bytes, and the bytes each carries but the last; nil when the message fits
    /// one datagram or would need more than `segmentsMax` segments.
    public static func plan(length: Int, datagramSize: Int) -> (count: Int, stride: Int)? {
        let stride = datagramSize - overhead
        guard length > datagramSize, stride >= 1, length <= Int(UInt32.max) else { return nil }
        let count = (length + stride - 1) / stride
        return count <= segmentsMax ? (count, stride) : nil
    }

    /// Writes segment `index` of `message` (`count` segments of `stride` bytes, the last
    /// shorter or equal, from `plan`) into `buffer`.
    /// - Returns: the datagram's length.
    public static func encode(
        message: UInt32, _ encoded: UnsafeRawBufferPointer, index: Int, count: Int, stride: Int,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(count >= 2 && count <= segmentsMax && index >= 0 && index < count, "a segment of a plan")
        let offset = index * stride
        let end = index == count - 1 ? encoded.count : offset + stride
        precondition(offset < end && end <= encoded.count, "segments within the message")
        let size = overhead + (end - offset)
        precondition(buffer.count >= size, "room for the segment")
        var writer = ByteWriter(buffer)
        writer.write(magic)
        writer.write(version)
        writer.write(UInt8(0))
        writer.write(message)
        writer.write(UInt32(encoded.count))
        writer.write(UInt32(offset))
        writer.write(UInt8(index))
        writer.write(UInt8(count))
        writer.write(UInt16(end - offset))
        writer.write(bytes: UnsafeRawBufferPointer(rebasing: encoded[offset..<end]))
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<(size - 4)]))
        writer.write(crc)
        return size
    }

    /// Every segment of an encoded message, each as the datagram it travels in (the
    /// simulation's channel and tests; the transport encodes into its send arena instead).
    /// - Returns: nil when the message fits one datagram or would need too many segments.
    public static func datagrams(message: UInt32, encoded: [UInt8], datagramSize: Int) -> [[UInt8]]? {
        guard let plan = plan(length: encoded.count, datagramSize: datagramSize) else { return nil }
        var datagram = [UInt8](repeating: 0, count: datagramSize)
        return (0..<plan.count).map { index in
            let length = encoded.withUnsafeBytes { bytes in
                datagram.withUnsafeMutableBytes {
                    encode(message: message, bytes, index: index, count: plan.count, stride: plan.stride, into: $0)
                }
            }
            return Array(datagram[0..<length])
        }
    }

    /// Decodes one datagram; its bytes stay in the datagram (`bytes`).
    /// - Throws: `ReplicationDecodeError` for anything that is not a whole, consistent segment.
    public init(decoding datagram: UnsafeRawBufferPointer) throws(ReplicationDecodeError) {
        guard datagram.count >= Self.overhead + 1 else { throw .truncated }
        var reader = ByteReader(datagram)
        guard reader.read(UInt16.self) == Self.magic else { throw .badMagic }
        guard reader.read(UInt8.self) == Self.version else { throw .unsupportedVersion }
        guard reader.read(UInt8.self) == 0 else { throw .malformed }
        message = reader.read()!
        length = Int(reader.read(UInt32.self)!)
        offset = Int(reader.read(UInt32.self)!)
        index = Int(reader.read(UInt8.self)!)
        count = Int(reader.read(UInt8.self)!)
        let size = Int(reader.read(UInt16.self)!)
        guard datagram.count == Self.overhead + size else { throw .badLength }
        let stored = UInt32(datagram[datagram.count - 4]) << 24 | UInt32(datagram[datagram.count - 3]) << 16
            | UInt32(datagram[datagram.count - 2]) << 8 | UInt32(datagram[datagram.count - 1])
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: datagram[0..<(datagram.count - 4)])) == stored else {
            throw .badChecksum
        }
        guard length <= Limits.replicationMessageSizeMax else { throw .tooLarge }
        guard count >= 2, count <= Self.segmentsMax, index < count, size >= 1, offset + size <= length,
            (index == count - 1) == (offset + size == length)
        else { throw .malformed }
        bytes = UnsafeRawBufferPointer(rebasing: datagram[Self.headerSize..<(Self.headerSize + size)])
    }
}
