import DuplexCore
import DuplexLinux
import Testing

/// The CPU's CRC-32C instruction against the tables (the definition), at every length to 300
/// and every start within eight bytes, and continued from a running value.
@Suite struct ChecksumAccelerationTests {
    @Test(.enabled(if: ChecksumAcceleration.isAvailable)) func hardwareMatchesTheTables() {
        var bytes = [UInt8](repeating: 0, count: 320)
        var state: UInt32 = 0x1234_5678
        for index in bytes.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[index] = UInt8(truncatingIfNeeded: state >> 24)
        }
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for count in 0...300 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + count)])
                    let running = UInt32(truncatingIfNeeded: count &* 2_654_435_761)
                    #expect(
                        ChecksumAcceleration.update(running, slice) == CRC32C.tableUpdate(running, slice),
                        "start \(start), count \(count)")
                }
            }
        }
        // The check value of CRC-32C (RFC 3720 §B.4): "123456789" -> 0xE3069283.
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { ChecksumAcceleration.update(0, $0) } == 0xE306_9283)
    }

    /// Long buffers (three interleaved streams of 256 or 8,192 bytes, joined by the shift
    /// tables) against the tables, around every boundary of those paths.
    @Test(.enabled(if: ChecksumAcceleration.isAvailable)) func longBuffersMatchTheTables() {
        var bytes = [UInt8](repeating: 0, count: 70_000)
        var state: UInt32 = 0x9E37_79B9
        for index in bytes.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[index] = UInt8(truncatingIfNeeded: state >> 24)
        }
        let counts = [767, 768, 769, 775, 776, 1_024, 1_543, 1_544, 8_934, 24_575, 24_576, 24_577, 25_344, 49_152, 49_920, 65_507]
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for count in counts {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + count)])
                    let running = UInt32(truncatingIfNeeded: count &* 2_654_435_761)
                    #expect(
                        ChecksumAcceleration.update(running, slice) == CRC32C.tableUpdate(running, slice),
                        "start \(start), count \(count)")
                }
            }
        }
        // All zeros and all ones, where a wrong shift operator would show plainly.
        for fill in [0x00, 0xFF] as [UInt8] {
            let uniform = [UInt8](repeating: fill, count: 30_000)
            uniform.withUnsafeBytes { #expect(ChecksumAcceleration.update(0, $0) == CRC32C.tableUpdate(0, $0)) }
        }
    }
}
