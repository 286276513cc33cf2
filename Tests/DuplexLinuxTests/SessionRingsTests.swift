import CDuplexShims
import Duplex
import DuplexCore
import DuplexLinux
import DuplexSimulation
import Glibc
import Synchronization
import SystemPackage
import Testing

/// One ring's control block and data in ordinary memory, for the C ring's own tests.
final class TestRing: @unchecked Sendable {
    // @unchecked Sendable: one producer thread and one consumer thread, through the C ring's
    // acquire/release counts (what the ring is for).
    let control = UnsafeMutablePointer<CDuplexShims_ring_control>.allocate(capacity: 1)
    let data: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var written: UInt64 = 0
    var read: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
        control.initialize(to: CDuplexShims_ring_control())
        data = .allocate(capacity: capacity)
    }

    deinit {
        control.deallocate()
        data.deallocate()
    }

    func write(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { CDuplexShims_ring_write(control, data, UInt64(capacity), &written, $0.baseAddress, UInt64($0.count)) }
    }

    func read(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { CDuplexShims_ring_read(control, data, UInt64(capacity), &read, $0.baseAddress, UInt64(count)) }
        return got < 0 ? nil : Array(buffer[0..<got])
    }
}

@Suite struct SharedByteRingTests {
    @Test func bytesComeOutInOrderAcrossTheWrap() throws {
        let ring = TestRing(capacity: 64)
        var generator = SplitMix64(seed: 7)
        var sent: [UInt8] = []
        var received: [UInt8] = []
        var next: UInt8 = 0
        for _ in 0..<10_000 {
            let size = Int(generator.next() % 100)
            let chunk = (0..<size).map { _ in next &+= 1; return next }
            let took = ring.write(chunk)
            #expect(took >= 0 && took <= min(size, 64))
            sent += chunk[0..<max(0, took)]
            next &-= UInt8(truncatingIfNeeded: size - max(0, took))  // what did not fit is offered again
            received += try #require(ring.read(Int(generator.next() % 80)))
        }
        received += try #require(ring.read(64))
        #expect(received == sent)
        #expect(sent.count > 100_000)
    }

    @Test func aFullRingTakesNothingAndAnEmptyOneGivesNothing() throws {
        let ring = TestRing(capacity: 64)
        #expect(ring.read(10) == [])
        #expect(ring.write([UInt8](repeating: 1, count: 100)) == 64)
        #expect(ring.write([2]) == 0)
        #expect(CDuplexShims_ring_writable(ring.control, 64, ring.written) == 0)
        #expect(CDuplexShims_ring_readable(ring.control, 64, ring.read) == 64)
        #expect(ring.read(100)?.count == 64)
        #expect(ring.write([3]) == 1)
    }

    @Test func impossibleCountsFromThePeerAreRefused() {
        // The consumer published more than the producer wrote.
        let ring = TestRing(capacity: 64)
        #expect(ring.write([1, 2, 3]) == 3)
        ring.control.pointee.read = 10
        #expect(ring.write([4]) == -1)
        #expect(CDuplexShims_ring_writable(ring.control, 64, ring.written) == -1)
        // The producer published more than the ring holds, or less than was read.
        let other = TestRing(capacity: 64)
        other.control.pointee.written = 65
        #expect(other.read(1) == nil)
        other.control.pointee.written = 0
        other.read = 5
        #expect(CDuplexShims_ring_readable(other.control, 64, other.read) == -1)
        // A capacity that is not a power of two.
        let odd = TestRing(capacity: 48)
        #expect(odd.write([1]) == -1)
        #expect(odd.read(1) == nil)
    }

    @Test func twoThreadsStreamFourMegabytesThroughTheRing() throws {
        let ring = TestRing(capacity: 4096)
        let total = 4 << 20
        let producer = try PosixThread.start(name: "ring-producer") {
            var offset = 0
            var generator = SplitMix64(seed: 11)
            let deadline = MonotonicClock.now() + .seconds(20)
            // Bounded by the deadline; each pass writes or yields.
            while offset < total, MonotonicClock.now() < deadline {
                let size = min(total - offset, Int(generator.next() % 3000) + 1)
                let chunk = (offset..<(offset + size)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let took = ring.write(chunk)
                if took > 0 { offset += took } else { sched_yield() }
            }
        }
        var received = 0
        var mismatches = 0
        let deadline = MonotonicClock.now() + .seconds(20)
        while received < total, MonotonicClock.now() < deadline {
            guard let bytes = ring.read(2500) else { break }
            if bytes.isEmpty { sched_yield(); continue }
            for (index, byte) in bytes.enumerated() where byte != UInt8(truncatingIfNeeded: (received + index) &* 31) { mismatches += 1 }
            received += bytes.count
        }
        producer.join()
        #expect(received == total)
        #expect(mismatches == 0)
    }
}

/// Sessions in shared rings against a real checkpoint service.
@Suite("Checkpoint sessions in shared memory", .serialized)
struct SessionRingsServiceTests {
    @Test func aSessionMovesIntoSharedRingsAndCarriesEverything() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("rings", limits: CheckpointLimits(sizeMax: 4 << 20, sectionsMax: 4_000, sectionSizeMax: 4096))
        #expect(checkpoint.transport == .sharedMemory)
        #expect(try checkpoint.write("a", [1, 2, 3]) != nil)
        #expect(try checkpoint.read("a") == [1, 2, 3])
        // Far more than a ring holds each way: 20,000 asynchronous writes (about 2.5 MB of
        // requests), then reads of large sections (answers that fill the other ring).
        let value = [UInt8](repeating: 7, count: 100)
        for index in 0..<20_000 {
            _ = try checkpoint.write(SectionKey("k\(index % 3_000)"), value, mode: .async)
        }
        #expect(try checkpoint.flush() != nil)
        let big = [UInt8](repeating: 9, count: 4096)
        for index in 0..<200 { #expect(try checkpoint.write(SectionKey("big\(index)"), big) != nil) }
        for index in 0..<200 { #expect(try checkpoint.read(SectionKey("big\(index)")) == big) }
        #expect(try checkpoint.read("k2999") == value)
        #expect(fixture.service.status.clients == 1)
    }

    @Test func aDaemonThatKeepsSessionsOnTheSocketIsFollowed() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade, sharedMemory: false)
        defer { fixture.stop() }
        let checkpoint = try fixture.open("socket")
        #expect(checkpoint.transport == .socket)
        #expect(try checkpoint.write("a", [4]) != nil)
        #expect(try checkpoint.read("a") == [4])
    }

    @Test func aBadRegionIsRefusedAndTheSessionStaysOnTheSocket() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let client = try RawSessionClient(path: fixture.path)
        // A region one page short.
        let memory = CDuplexShims_memfd_create("bad-region")
        #expect(ftruncate(memory, off_t(SessionRings.regionSize(capacity: SessionRings.defaultCapacity) - 4096)) == 0)
        let doorbells = (0..<3).map { _ in CDuplexShims_eventfd_create(0) }
        defer { for fd in [memory] + doorbells { close(fd) } }
        let answer = try client.exchange(.sharedRings(capacity: SessionRings.defaultCapacity), id: 0, descriptors: [memory] + doorbells)
        guard case .failed(let error) = answer else { Issue.record("accepted: \(answer)"); return }
        #expect(error.code == .badRequest && error.message.contains("bytes"), "\(error)")
        // The session goes on, on the socket.
        let opened = try client.exchange(.open(name: "after", limits: .small, create: true), id: 1)
        guard case .opened = opened else { Issue.record("\(opened)"); return }
    }

    @Test func anImpossibleCountEndsThatSessionOnly() throws {
        let fixture = try CheckpointServiceFixture(policy: .degrade)
        defer { fixture.stop() }
        let healthy = try fixture.open("healthy")
        let client = try RawSessionClient(path: fixture.path)
        let capacity = SessionRings.defaultCapacity
        let size = SessionRings.regionSize(capacity: capacity)
        let memory = CDuplexShims_memfd_create("hostile")
        #expect(ftruncate(memory, off_t(size)) == 0)
        let doorbells = (0..<3).map { _ in CDuplexShims_eventfd_create(0) }
        defer { for fd in [memory] + doorbells { close(fd) } }
        let answer = try client.exchange(.sharedRings(capacity: capacity), id: 0, descriptors: [memory] + doorbells)
        #expect(answer == .ringsReady)
        // Claim more request bytes than the ring holds, and ring.
        let base = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0))
        defer { munmap(base, size) }
        base.storeBytes(of: UInt64(capacity + 1), toByteOffset: SessionRings.requestsControlOffset, as: UInt64.self)
        #expect(CDuplexShims_eventfd_write(doorbells[0], 1) == 0)
        #expect(client.waitForEnd(milliseconds: 5_000), "the daemon kept the session")
        // The other session goes on.
        #expect(try healthy.write("x", [1]) != nil)
        #expect(try healthy.read("x") == [1])
    }
}

/// A process that speaks the session protocol by hand, for what the library never sends.
final class RawSessionClient {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        let connected = withUnixAddress(path) { connect(fd, $0, $1) }
        guard connected == 0 else {
            let error = Errno(rawValue: errno)
            close(fd)
            throw error
        }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends one request (with descriptors, if any) and reads its answer.
    func exchange(_ request: SessionRequest, id: UInt32, descriptors: [Int32] = []) throws -> SessionResponse {
        var frame: [UInt8] = []
        try request.encode(request: id, into: &frame)
        let sent = frame.withUnsafeBytes { raw in
            descriptors.withUnsafeBufferPointer { CDuplexShims_send_descriptors(fd, raw.baseAddress, raw.count, $0.baseAddress, CInt($0.count)) }
        }
        try #require(sent == frame.count)
        var header = [UInt8](repeating: 0, count: SessionHeader.size)
        try #require(FloodServer.readExactly(fd, &header, from: 0))
        let parsed = try #require(try header.withUnsafeBytes { try SessionHeader.parse($0) })
        var whole = header + [UInt8](repeating: 0, count: parsed.length - SessionHeader.size)
        try #require(FloodServer.readExactly(fd, &whole, from: SessionHeader.size))
        #expect(parsed.request == id)
        return try whole.withUnsafeBytes { try SessionResponse(type: parsed.type, payload: UnsafeRawBufferPointer(rebasing: $0[SessionHeader.size...])) }
    }

    /// Waits (bounded) until the daemon closes the connection.
    func waitForEnd(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, milliseconds) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) == 0
    }
}

/// Calls `body` with a `sockaddr_un` for `path` (cut to fit) and its size.
func withUnixAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}
