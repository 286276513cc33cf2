import DuplexCore
import DuplexLinux
import Glibc
import Synchronization
import SystemPackage
import Testing

@Suite("Epoll, TimerFD, EventFD")
struct EventLoopTests {
    @Test func monotonicClockNeverGoesBack() {
        var previous = MonotonicClock.now()
        for _ in 0..<1_000 {
            let now = MonotonicClock.now()
            #expect(now >= previous)
            previous = now
        }
        #expect(previous > .zero)
    }

    @Test func eventFDWakesEpollFromAnotherThread() throws {
        let epoll = try Epoll()
        let event = try EventFD()
        try epoll.add(event.fileDescriptor, token: 42)
        let buffer = Epoll.EventBuffer(capacity: 4)
        #expect(try epoll.wait(into: buffer, timeout: .zero) == 0)
        let thread = try PosixThread.start(name: "signaller") {
            // A failure shows up below as a missing wake-up.
            _ = try? event.signal(3)
        }
        let count = try epoll.wait(into: buffer, timeout: .seconds(5))
        thread.join()
        #expect(count == 1)
        #expect(buffer[0].token == 42)
        #expect(buffer[0].events.contains(.readable))
        #expect(try event.drain() == 3)
        #expect(try event.drain() == 0)
        #expect(try epoll.wait(into: buffer, timeout: .zero) == 0)
    }

    @Test func timerFiresAtItsAbsoluteDeadline() throws {
        let epoll = try Epoll()
        let timer = try TimerFD()
        try epoll.add(timer.fileDescriptor, token: 7)
        let buffer = Epoll.EventBuffer(capacity: 2)
        let deadline = MonotonicClock.now() + .milliseconds(20)
        try timer.arm(at: deadline)
        #expect(try timer.readExpirations() == 0)
        var count = 0
        for _ in 0..<10 where count == 0 {
            count = try epoll.wait(into: buffer, timeout: .seconds(1))
        }
        #expect(count == 1)
        #expect(buffer[0].token == 7)
        #expect(MonotonicClock.now() >= deadline)
        #expect(try timer.readExpirations() == 1)
    }

    @Test func periodicTimerCountsExpirations() throws {
        let timer = try TimerFD()
        let start = MonotonicClock.now()
        try timer.arm(at: start, interval: .milliseconds(1))
        #expect(waitReadable(timer.fileDescriptor))
        #expect(try timer.readExpirations() >= 1)
        try timer.disarm()
    }

    @Test func disarmedTimerStaysQuiet() throws {
        let epoll = try Epoll()
        let timer = try TimerFD()
        try epoll.add(timer.fileDescriptor, token: 1)
        try timer.arm(at: MonotonicClock.now() + .seconds(30))
        try timer.disarm()
        let buffer = Epoll.EventBuffer(capacity: 1)
        #expect(try epoll.wait(into: buffer, timeout: .milliseconds(20)) == 0)
        #expect(try timer.readExpirations() == 0)
    }

    @Test func epollRejectsADuplicateRegistration() throws {
        let epoll = try Epoll()
        let event = try EventFD()
        try epoll.add(event.fileDescriptor, token: 1)
        #expect(throws: Errno.fileExists) { try epoll.add(event.fileDescriptor, token: 2) }
        try epoll.modify(event.fileDescriptor, token: 3, events: .readable)
        try event.signal()
        let buffer = Epoll.EventBuffer(capacity: 1)
        #expect(try epoll.wait(into: buffer, timeout: .seconds(1)) == 1)
        #expect(buffer[0].token == 3)
        try epoll.remove(event.fileDescriptor)
        #expect(try epoll.wait(into: buffer, timeout: .zero) == 0)
    }

    @Test func signalFDReportsAThreadDirectedSignal() throws {
        let outcome = OutcomeBox<CInt?>()
        let thread = try PosixThread.start(name: "signals") {
            let result: Result<CInt?, any Error>
            do {
                // SIGUSR2 is blocked on this thread only and raised at this thread only
                // (raise is tgkill to self), so no other thread can die of it.
                let signals = try SignalFD(signals: [SIGUSR2])
                raise(SIGUSR2)
                let first = try signals.next()
                let second = try signals.next()
                result = .success(second == nil ? first : -1)
            } catch {
                result = .failure(error)
            }
            outcome.value.withLock { $0 = result }
        }
        thread.join()
        #expect(try outcome.value.withLock { $0 }!.get() == SIGUSR2)
    }
}
