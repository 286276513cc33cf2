import CDuplexShims
import DuplexCore
import Glibc

/// The process's side of a checkpoint session in shared rings (`SessionRings`): the memory it
/// made and shares with `duplexd`, the doorbells, and its own counts (requests written, answers
/// read). Requests go into one ring and ring the daemon's doorbell; answers are polled in the
/// other, with no system call, and slept for on the answers doorbell only after a spin.
///
/// One sender and one reader at a time (the connection's `sending` flag and read role): each
/// ring has one producer and one consumer.
final class SessionRingsClient: @unchecked Sendable {
    // @unchecked Sendable: the request side is used by the connection's one sender at a time,
    // the answer side by its one reader at a time (see the type's description); the shared
    // memory is accessed through the acquire/release functions of the C ring.

    let capacity: Int
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let memory: CInt
    private let daemonDoorbell: CInt
    private let answersDoorbell: CInt
    private let roomDoorbell: CInt
    private var requestsWritten: UInt64 = 0
    private var answersRead: UInt64 = 0

    private var requests: UnsafeMutablePointer<CDuplexShims_ring_control> {
        (base + SessionRings.requestsControlOffset).assumingMemoryBound(to: CDuplexShims_ring_control.self)
    }
    private var answers: UnsafeMutablePointer<CDuplexShims_ring_control> {
        (base + SessionRings.answersControlOffset).assumingMemoryBound(to: CDuplexShims_ring_control.self)
    }

    /// What a wait for the daemon ended with.
    enum Wait {
        case ready, timedOut, closed
    }

    /// Makes the shared memory (a memfd) and the doorbells (eventfds); nil when the system
    /// refuses any of them (the session then stays on the socket).
    init?(capacity: Int = SessionRings.defaultCapacity) {
        let size = SessionRings.regionSize(capacity: capacity)
        let memory = CDuplexShims_memfd_create("duplex-checkpoint-session")
        guard memory >= 0 else { return nil }
        guard ftruncate(memory, off_t(size)) == 0,
            let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0), base != MAP_FAILED
        else {
            close(memory)
            return nil
        }
        let doorbells = (0..<3).map { _ in CDuplexShims_eventfd_create(0) }
        guard doorbells.allSatisfy({ $0 >= 0 }) else {
            for fd in doorbells where fd >= 0 { close(fd) }
            munmap(base, size)
            close(memory)
            return nil
        }
        self.capacity = capacity
        self.base = base
        self.size = size
        self.memory = memory
        daemonDoorbell = doorbells[0]
        answersDoorbell = doorbells[1]
        roomDoorbell = doorbells[2]
    }

    deinit {
        munmap(base, size)
        for fd in [memory, daemonDoorbell, answersDoorbell, roomDoorbell] { close(fd) }
    }

    /// The descriptors the `sharedRings` request carries, in its order.
    var descriptors: [CInt] { [memory, daemonDoorbell, answersDoorbell, roomDoorbell] }

    /// Copies as much of `bytes` into the requests' ring as fits and rings the daemon's doorbell
    /// when something went in.
    /// - Returns: the bytes copied (0: full), nil when the daemon's count cannot be.
    func writeRequests(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let data = (base + SessionRings.requestsDataOffset(capacity: capacity)).assumingMemoryBound(to: UInt8.self)
        let count = CDuplexShims_ring_write(requests, data, UInt64(capacity), &requestsWritten, bytes.baseAddress, UInt64(bytes.count))
        guard count >= 0 else { return nil }
        if count > 0 { _ = CDuplexShims_eventfd_write(daemonDoorbell, 1) }  // EAGAIN: a wake-up is pending anyway
        return count
    }

    /// Whether answers wait (no system call); nil when the daemon's count cannot be.
    var answersWaiting: Bool? {
        let count = CDuplexShims_ring_readable(answers, UInt64(capacity), answersRead)
        return count < 0 ? nil : count > 0
    }

    /// Copies the answers waiting into `buffer`, at most its size, and rings the daemon's
    /// doorbell if it waits for room to write more.
    /// - Returns: the bytes copied (0: none), nil when the daemon's count cannot be.
    func readAnswers(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let data = UnsafePointer((base + SessionRings.answersDataOffset(capacity: capacity)).assumingMemoryBound(to: UInt8.self))
        let count = CDuplexShims_ring_read(answers, data, UInt64(capacity), &answersRead, buffer.baseAddress, UInt64(buffer.count))
        guard count >= 0 else { return nil }
        if count > 0, CDuplexShims_ring_producer_waits(answers) != 0 { _ = CDuplexShims_eventfd_write(daemonDoorbell, 1) }
        return count
    }

    /// Sleeps until answers wait, the socket ends (the daemon went away, or `close()` shut it
    /// down), or `milliseconds` pass (-1: no limit). The sleep flag tells the daemon to ring.
    func sleepUntilAnswers(socket: CInt, milliseconds: Int32) -> Wait {
        CDuplexShims_ring_set_consumer_sleeping(answers, 1)
        defer { CDuplexShims_ring_set_consumer_sleeping(answers, 0) }
        if answersWaiting != false { return .ready }  // answers, or a count to report
        return sleep(on: answersDoorbell, socket: socket, milliseconds: milliseconds)
    }

    /// Sleeps until the requests' ring has room, the socket ends, or `milliseconds` pass.
    func sleepUntilRoom(socket: CInt, milliseconds: Int32) -> Wait {
        CDuplexShims_ring_set_producer_waiting(requests, 1)
        defer { CDuplexShims_ring_set_producer_waiting(requests, 0) }
        if CDuplexShims_ring_writable(requests, UInt64(capacity), requestsWritten) != 0 { return .ready }
        return sleep(on: roomDoorbell, socket: socket, milliseconds: milliseconds)
    }

    /// The corresponding C function is `poll` on the doorbell and the socket. Once the session
    /// is in the rings the socket carries nothing: readable or hung up, it ended.
    private func sleep(on doorbell: CInt, socket: CInt, milliseconds: Int32) -> Wait {
        var entries = [
            pollfd(fd: doorbell, events: Int16(POLLIN), revents: 0),
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&entries, 2, milliseconds)
        if entries[1].revents != 0 { return .closed }
        if entries[0].revents != 0 {
            var value: UInt64 = 0
            _ = CDuplexShims_eventfd_read(doorbell, &value)
            return .ready
        }
        return ready == 0 ? .timedOut : .ready  // EINTR: the caller looks again
    }
}
