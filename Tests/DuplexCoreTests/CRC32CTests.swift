import DuplexCore
import Testing

@Suite struct CRC32CTests {
    /// The CRC-32C of `bytes` computed bit by bit, without a table.
    static func bitwise(_ bytes: [UInt8]) -> UInt32 {
        var crc = UInt32.max
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    /// One byte reads table entry `0xFF ^ byte`: 256 single bytes check every entry.
    @Test func everyTableEntryMatchesTheBitwiseDefinition() {
        for byte in 0...255 {
            let bytes = [UInt8(byte)]
            #expect(CRC32C.checksum(bytes) == Self.bitwise(bytes), "byte \(byte)")
        }
    }

    @Test func knownVectorsAndIncrementalUpdate() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // RFC 3720 §B.4 check value
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)  // RFC 3720 §B.4
        let bytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let whole = CRC32C.checksum(bytes)
        let split = bytes.withUnsafeBytes { raw in
            CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<77])),
                          UnsafeRawBufferPointer(rebasing: raw[77...]))
        }
        #expect(whole == split)
        #expect(whole == Self.bitwise(bytes))
    }

    /// The slicing-by-8 path (16 bytes and more) against the bit-by-bit definition, at every
    /// length up to 300 and at unaligned starts, with a fixed pseudo-random fill.
    @Test func slicedChecksumsMatchTheBitwiseDefinitionAtEveryLengthAndOffset() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<310).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for offset in 0..<8 {
            for length in 0...300 {
                let slice = Array(bytes[offset..<(offset + length)])
                let sliced = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
                #expect(sliced == Self.bitwise(slice), "offset \(offset), length \(length)")
            }
        }
    }
}
