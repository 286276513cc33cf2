import DuplexLinux
import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing

// Serialized: `memoryLocksOnFault` locks the process for a moment, and locked pages cannot be
// trimmed by `startupPagesTrim`.
@Suite("PosixThread and RealTime", .serialized)
struct ThreadTests {
    @Test func threadRunsWithItsName() throws {
        let outcome = OutcomeBox<String>()
        let thread = try PosixThread.start(name: "duplex-test-nm", stackSize: 256 * 1024) {
            let path = "/proc/self/task/\(RealTime.threadID)/comm"
            let result = Result<String, any Error> { try String(contentsOfFile: path, encoding: .utf8) }
            outcome.value.withLock { $0 = result }
        }
        thread.join()
        let name = try outcome.value.withLock { $0 }!.get()
        #expect(name.trimmingCharacters(in: .whitespacesAndNewlines) == "duplex-test-nm")
    }

    @Test func fifoPriorityOutOfRangeIsRefused() {
        #expect(RealTime.fifoPriorityRange == 1...99)
        guard case .failure(let error) = RealTime.setFIFOPriority(0) else {
            Issue.record("priority 0 accepted")
            return
        }
        #expect(error == .invalidArgument)
    }

    @Test(.enabled(if: isRoot)) func fifoPriorityAppliesToTheCallingThreadOnly() throws {
        let outcome = OutcomeBox<Bool>()
        let thread = try PosixThread.start(name: "fifo") {
            let result = RealTime.setFIFOPriority(1)
            outcome.value.withLock { $0 = result.map { RealTime.isFIFO }.mapError { $0 as any Error } }
        }
        thread.join()
        #expect(try outcome.value.withLock { $0 }!.get())
        #expect(!RealTime.isFIFO)
    }

    @Test(.enabled(if: isRoot)) func fifoPriorityIsReadBackAndDroppedForTheNormalScheduler() throws {
        let outcome = OutcomeBox<[Int32?]>()
        let thread = try PosixThread.start(name: "fifo-back") {
            let before = RealTime.fifoPriority
            let result = Result<[Int32?], any Error> {
                try RealTime.setFIFOPriority(7).get()
                let set = RealTime.fifoPriority
                try RealTime.setNormalScheduling().get()
                return [before, set, RealTime.fifoPriority]
            }
            outcome.value.withLock { $0 = result }
        }
        thread.join()
        let seen = try outcome.value.withLock { $0 }!.get()
        #expect(seen == [nil, 7, nil])
        #expect(!RealTime.isFIFO)
    }

    @Test func startupPagesTrim() throws {
        let trimmed = try RealTime.trimStartupPages().get()
        // At least the test binary's code and libc's; the process goes on from the page cache.
        #expect(trimmed >= 2)
        #expect(try RealTime.trimStartupPages().get() == trimmed)
    }

    @Test(.enabled(if: isRoot)) func memoryLocksOnFault() throws {
        let result = RealTime.lockMemory()
        // Read the flags while locked ("lo": VM_LOCKED, "lf": VM_LOCKONFAULT), then unlock at
        // once: the rest of the test process need not stay resident.
        let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)  // nil fails below
        munlockall()
        #expect(throws: Never.self) { try result.get() }
        let flags = (smaps ?? "").split(separator: "\n").filter { $0.hasPrefix("VmFlags:") }
        #expect(!flags.isEmpty)
        #expect(flags.contains { $0.split(separator: " ").contains("lf") })  // Linux >= 4.4
    }
}
