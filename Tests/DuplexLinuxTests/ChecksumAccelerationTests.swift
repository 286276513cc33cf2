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
}
