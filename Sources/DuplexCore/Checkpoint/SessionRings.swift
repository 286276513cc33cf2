/// The layout of a checkpoint session's shared memory (`SessionMessageType.sharedRings`): a
/// page of control, then the requests' ring (process to `duplexd`), then the answers' ring.
///
/// | offset | size | what |
/// | ---: | ---: | --- |
/// | 0 | 256 | the requests' ring control (`CDuplexShims_ring_control`: bytes written, bytes read, sleep flags) |
/// | 256 | 256 | the answers' ring control |
/// | 4096 | capacity | the requests' bytes |
/// | 4096 + capacity | capacity | the answers' bytes |
///
/// The rings carry the session's frames exactly as the socket did (`SessionHeader`). Each side
/// only writes its own counts and flags, keeps its counts privately as well, and checks what
/// it reads of the other's: the other side is another process.
public enum SessionRings {
    /// Each ring's capacity: a power of two in this range.
    public static let capacityRange = (64 * 1024)...(4 * 1024 * 1024)
    /// What the library asks for: room for four of the largest frames each way.
    public static let defaultCapacity = 256 * 1024
    public static let controlSize = 256
    public static let requestsControlOffset = 0
    public static let answersControlOffset = 256
    public static let dataOffset = 4096

    public static func isValidCapacity(_ capacity: Int) -> Bool {
        capacityRange.contains(capacity) && capacity & (capacity - 1) == 0
    }

    /// Bytes of the shared memory for rings of `capacity`.
    public static func regionSize(capacity: Int) -> Int {
        precondition(isValidCapacity(capacity), "a ring capacity within its bounds")
        return dataOffset + 2 * capacity
    }

    public static func requestsDataOffset(capacity: Int) -> Int { dataOffset }
    public static func answersDataOffset(capacity: Int) -> Int { dataOffset + capacity }
}
