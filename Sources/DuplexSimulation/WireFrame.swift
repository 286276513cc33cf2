import DuplexCore

/// The bytes of one encoded frame, stored inline (no allocation per frame): room for
/// `Limits.frameSizeMax` (128) bytes.
struct WireFrame: Sendable {
    private var words:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init(_ frame: PairFrame) {
        precondition(PairFrame.size <= MemoryLayout.size(ofValue: words), "frame larger than the wire buffer")
        let written = withUnsafeMutableBytes(of: &words) { frame.encode(into: $0) }
        assert(written == PairFrame.size)
    }

    /// Flips one bit of the frame (a corrupted frame on the wire).
    mutating func flipBit(_ bit: Int) {
        precondition(bit >= 0 && bit < PairFrame.size * 8, "bit outside the frame")
        withUnsafeMutableBytes(of: &words) { bytes in
            bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
        }
    }

    func decode() -> Result<PairFrame, PairFrame.DecodeError> {
        withUnsafeBytes(of: words) { bytes in
            PairFrame.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<PairFrame.size]))
        }
    }
}
