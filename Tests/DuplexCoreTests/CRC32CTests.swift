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
}
