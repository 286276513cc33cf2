import CDuplexShims
import DuplexCore
import Glibc

/// `duplexd`'s side of one session's shared rings (`SessionRings`): the process's memory mapped
/// here, the two doorbells, and this side's own counts (the requests read, the answers
/// written), kept here and only published to the shared control blocks. Everything read from
/// the shared memory is the process's word and is checked: a count that cannot be ends the
/// session (`nil` from the calls below).
final class SessionRingMapping {
    let capacity: Int
    private let base: UnsafeMutableRawPointer
    private let size: Int
    /// Rung by the process after it wrote requests (or read answers while this side waited for room).
    let daemonDoorbell: CInt
    /// Rung here after answers were written to a process that sleeps waiting for them.
    private let answersDoorbell: CInt
    /// Rung here after requests were read while the process waited for room to write more.
    private let roomDoorbell: CInt
    private var requestsRead: UInt64 = 0
    private var answersWritten: UInt64 = 0

    private var requests: UnsafeMutablePointer<CDuplexShims_ring_control> {
        (base + SessionRings.requestsControlOffset).assumingMemoryBound(to: CDuplexShims_ring_control.self)
    }
    private var answers: UnsafeMutablePointer<CDuplexShims_ring_control> {
        (base + SessionRings.answersControlOffset).assumingMemoryBound(to: CDuplexShims_ring_control.self)
    }

    /// Why a process's rings were refused.
    struct Refusal: Error {
        var message: String
    }

    /// Maps the process's memory (`descriptors`: the memfd, the daemon's doorbell, the
    /// process's answers and room doorbells; taken over: closed here on failure and at `deinit`).
    /// - Throws: `Refusal` when the memory is not a region of exactly the size the capacity
    ///   needs, or cannot be mapped.
    init(capacity: Int, descriptors: [CInt]) throws(Refusal) {
        guard descriptors.count == 4 else {
            for fd in descriptors { close(fd) }
            throw Refusal(message: "expected 4 descriptors (memory, three doorbells), got \(descriptors.count)")
        }
        guard SessionRings.isValidCapacity(capacity) else {
            for fd in descriptors { close(fd) }
            throw Refusal(message: "ring capacity \(capacity) out of range")
        }
        let memory = descriptors[0]
        defer { close(memory) }  // the mapping stays without it
        var information = stat()
        let size = SessionRings.regionSize(capacity: capacity)
        guard fstat(memory, &information) == 0, information.st_mode & S_IFMT == S_IFREG, Int(information.st_size) == size else {
            for fd in descriptors.dropFirst() { close(fd) }
            throw Refusal(message: "the shared memory is not a region of \(size) bytes")
        }
        // The corresponding C function is `mmap(MAP_SHARED)`.
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0), base != MAP_FAILED else {
            for fd in descriptors.dropFirst() { close(fd) }
            throw Refusal(message: "cannot map the shared memory (errno \(errno))")
        }
        self.base = base
        self.size = size
        self.capacity = capacity
        daemonDoorbell = descriptors[1]
        answersDoorbell = descriptors[2]
        roomDoorbell = descriptors[3]
        for fd in descriptors.dropFirst() { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        munmap(base, size)
        close(daemonDoorbell)
        close(answersDoorbell)
        close(roomDoorbell)
    }

    /// Resets the doorbell the process rang (its count is of no interest: the rings say what to do).
    func drainDoorbell() {
        var value: UInt64 = 0
        // The corresponding C function is `read(2)` of 8 bytes; EAGAIN: nobody rang.
        _ = withUnsafeMutableBytes(of: &value) { read(daemonDoorbell, $0.baseAddress, 8) }
    }

    /// Copies the requests waiting in the ring into `buffer`, at most its size.
    /// - Returns: the bytes copied, or nil when the process's count cannot be.
    func readRequests(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let data = UnsafePointer((base + SessionRings.requestsDataOffset(capacity: capacity)).assumingMemoryBound(to: UInt8.self))
        let count = CDuplexShims_ring_read(
            requests, data, UInt64(capacity), &requestsRead, buffer.baseAddress, UInt64(buffer.count))
        return count < 0 ? nil : count
    }

    /// Bytes of requests waiting; nil when the process's count cannot be.
    var requestsWaiting: Int? {
        let count = CDuplexShims_ring_readable(requests, UInt64(capacity), requestsRead)
        return count < 0 ? nil : count
    }

    /// Copies as much of `bytes` into the answers' ring as fits.
    /// - Returns: the bytes copied (0: full), or nil when the process's count cannot be.
    func writeAnswers(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let data = (base + SessionRings.answersDataOffset(capacity: capacity)).assumingMemoryBound(to: UInt8.self)
        let count = CDuplexShims_ring_write(answers, data, UInt64(capacity), &answersWritten, bytes.baseAddress, UInt64(bytes.count))
        return count < 0 ? nil : count
    }

    /// After answers were written: rings the process's doorbell if it sleeps waiting for them.
    func wakeReaderIfSleeping() {
        if CDuplexShims_ring_consumer_sleeps(answers) != 0 { ring(answersDoorbell) }
    }

    /// After requests were read: rings the process's doorbell if it waits for room to write.
    func wakeWriterIfWaiting() {
        if CDuplexShims_ring_producer_waits(requests) != 0 { ring(roomDoorbell) }
    }

    /// Declares that answers wait for room (the process rings the daemon's doorbell when it
    /// has read some); returns whether room appeared meanwhile (then write again at once).
    func waitForAnswerRoom() -> Bool {
        CDuplexShims_ring_set_producer_waiting(answers, 1)
        return CDuplexShims_ring_writable(answers, UInt64(capacity), answersWritten) > 0
    }

    /// Stops waiting for room (the answers fit).
    func answerRoomFound() {
        CDuplexShims_ring_set_producer_waiting(answers, 0)
    }

    private func ring(_ doorbell: CInt) {
        var one: UInt64 = 1
        // The corresponding C function is `write(2)` of 8 bytes; EAGAIN: the counter is full,
        // a wake-up is pending anyway.
        _ = withUnsafeBytes(of: &one) { write(doorbell, $0.baseAddress, 8) }
    }
}
