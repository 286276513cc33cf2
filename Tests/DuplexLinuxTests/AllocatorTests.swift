import DuplexLinux
import Foundation
import Glibc
import SystemPackage
import Testing

/// The heap's room in huge pages (`Allocator.reserve`), in this process: refused sizes, the room
/// `duplexd` makes at start, and memory taken from the room after it is made.
struct AllocatorTests {
    @Test(arguments: [0, 1 << 20, (2 << 20) - 1, 1 << 31])
    func sizesOutOfRangeAreRefused(_ bytes: Int) {
        #expect(throws: Errno.invalidArgument) { try Allocator.reserve(bytes: bytes) }
    }

    @Test func aNegativeNurseryIsRefused() {
        #expect(throws: Errno.invalidArgument) { try Allocator.reserve(bytes: 4 << 20, nursery: -1) }
    }

    @Test func theStartRoomIsAQuarterOfMemoryAtMostAGibibyte() {
        let room = Allocator.startRoom
        let memory = sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE))
        #expect(room.nursery == 4 << 20)
        #expect(room.bytes == min(memory / 4, (1 << 30) - (2 << 20)))
    }

    /// Where the kernel offers huge pages, a room is made and what is allocated afterwards can be
    /// written and read back (the room is ordinary heap memory to `malloc`).
    @Test func memoryAllocatedAfterARoomIsUsable() throws {
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        guard mode.contains("[always]") || mode.contains("[madvise]") else { return }
        try Allocator.reserve(bytes: 8 << 20, nursery: 1 << 20)
        var blocks: [[UInt8]] = []
        for index in 0..<4_096 {
            blocks.append([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1_024))
        }
        #expect(blocks.indices.allSatisfy { index in blocks[index].allSatisfy { $0 == UInt8(truncatingIfNeeded: index) } })
    }
}
