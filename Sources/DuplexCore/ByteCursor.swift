/// Writes big-endian integers into a caller-owned buffer. Never allocates; writing past the end
/// is a programmer error (the caller sized the buffer from the codec's `size`).
public struct ByteWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var offset: Int = 0

    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    public var remaining: Int { buffer.count - offset }

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        precondition(offset + size <= buffer.count, "ByteWriter overflow")
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
        offset += size
    }

    public mutating func write(bytes: UnsafeRawBufferPointer) {
        precondition(offset + bytes.count <= buffer.count, "ByteWriter overflow")
        if bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(from: bytes)
        }
        offset += bytes.count
    }

    public mutating func writeZeros(_ count: Int) {
        precondition(count >= 0 && offset + count <= buffer.count, "ByteWriter overflow")
        for index in offset..<offset + count { buffer[index] = 0 }
        offset += count
    }
}

/// Reads big-endian integers from untrusted bytes. Every read is bounds-checked and returns nil
/// past the end, so a decoder can reject garbage without trapping.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public private(set) var offset: Int = 0

    @inlinable
    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    public var remaining: Int { buffer.count - offset }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(bigEndian: value)
    }

    public mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])
        offset += count
        return slice
    }

    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        offset += count
        return true
    }
}

extension UnsafeRawBufferPointer {
    /// Whether `other` holds the same bytes (and as many), compared eight at a time.
    func holdsSameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        var offset = 0
        while offset + 8 <= count {
            guard loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                == other.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            else { return false }
            offset += 8
        }
        while offset < count {
            guard self[offset] == other[offset] else { return false }
            offset += 1
        }
        return true
    }
}
