import CDuplexShims
import DuplexCore

/// Puts the CPU's CRC-32C instruction under `CRC32C.update` when the CPU has one (x86_64
/// with SSE 4.2), for the checksums of every frame, replication message and section.
public enum ChecksumAcceleration {
    /// Whether this CPU has the instruction.
    /// The corresponding C function is `CDuplexShims_crc32c_available` (`cpuid`).
    public static var isAvailable: Bool { CDuplexShims_crc32c_available() != 0 }

    /// The hardware implementation, for tests that compare it with the tables.
    /// The corresponding C function is `CDuplexShims_crc32c_update`.
    /// - Important: traps when `isAvailable` is false.
    public static func update(_ running: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        precondition(isAvailable, "a CPU with the CRC-32C instruction")
        return CDuplexShims_crc32c_update(running, bytes.baseAddress, bytes.count)
    }

    /// Installs the hardware implementation when the CPU has it.
    /// - Important: call it before any other thread starts (see `CRC32C.install(_:)`).
    /// - Returns: whether it was installed.
    @discardableResult
    public static func install() -> Bool {
        guard isAvailable else { return false }
        CRC32C.install { running, bytes, count in CDuplexShims_crc32c_update(running, bytes, count) }
        return true
    }
}
