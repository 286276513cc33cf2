/// The probe's datagrams, big-endian.
///
/// Probe: magic `DXPQ` (4), nonce (4), sequence (8) = 16 bytes.
/// Answer: magic `DXPA` (4), nonce (4), sequence (8), name length (1), name (1...32).
enum ProbeWire {
    static let probeMagic: UInt32 = 0x4458_5051
    static let answerMagic: UInt32 = 0x4458_5041
    static let probeSize = 16
    static let nameSizeMax = 32
    static let answerSizeMax = probeSize + 1 + nameSizeMax

    /// Writes a probe into `buffer` and returns its size.
    static func encodeProbe(nonce: UInt32, sequence: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= probeSize, "probe buffer too small")
        store(probeMagic, at: 0, in: buffer)
        store(nonce, at: 4, in: buffer)
        store(sequence, at: 8, in: buffer)
        return probeSize
    }

    /// Reads a probe: returns its nonce and sequence, or nil if the bytes are not a probe.
    static func decodeProbe(_ bytes: UnsafeRawBufferPointer) -> (nonce: UInt32, sequence: UInt64)? {
        guard bytes.count == probeSize, load(UInt32.self, at: 0, in: bytes) == probeMagic else {
            return nil
        }
        return (load(UInt32.self, at: 4, in: bytes), load(UInt64.self, at: 8, in: bytes))
    }

    /// Writes an answer carrying `name` into `buffer` and returns its size.
    static func encodeAnswer(
        nonce: UInt32, sequence: UInt64, name: [UInt8], into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(!name.isEmpty && name.count <= nameSizeMax, "name length out of range")
        precondition(buffer.count >= probeSize + 1 + name.count, "answer buffer too small")
        store(answerMagic, at: 0, in: buffer)
        store(nonce, at: 4, in: buffer)
        store(sequence, at: 8, in: buffer)
        buffer[probeSize] = UInt8(name.count)
        for (offset, byte) in name.enumerated() { buffer[probeSize + 1 + offset] = byte }
        return probeSize + 1 + name.count
    }

    /// Reads an answer; the returned name is a slice of `bytes`. Nil if malformed.
    static func decodeAnswer(
        _ bytes: UnsafeRawBufferPointer
    ) -> (nonce: UInt32, sequence: UInt64, name: UnsafeRawBufferPointer)? {
        guard bytes.count > probeSize + 1, load(UInt32.self, at: 0, in: bytes) == answerMagic else {
            return nil
        }
        let nameCount = Int(bytes[probeSize])
        guard nameCount >= 1, nameCount <= nameSizeMax, bytes.count == probeSize + 1 + nameCount else {
            return nil
        }
        let name = UnsafeRawBufferPointer(rebasing: bytes[(probeSize + 1)...])
        return (load(UInt32.self, at: 4, in: bytes), load(UInt64.self, at: 8, in: bytes), name)
    }

    private static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, in bytes: UnsafeRawBufferPointer) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
