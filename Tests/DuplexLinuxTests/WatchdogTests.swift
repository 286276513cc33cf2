import DuplexCore
import DuplexLinux
import Foundation
import Glibc
import SystemPackage
import Testing

/// `HardwareWatchdog` against a FIFO standing in for the device, and a real `duplexd` feeding
/// that stand-in from its pair thread.
@Suite("Watchdog", .serialized)
struct WatchdogTests {
    @Test func feedsAreSingleBytesAndTheMagicCloseEndsWithV() throws {
        let standIn = try WatchdogStandIn()
        defer { standIn.close() }
        let watchdog = try HardwareWatchdog(path: standIn.path, timeout: .seconds(2))
        #expect(!watchdog.setsTimeout, "a FIFO answers the timeout ioctl with ENOTTY")
        #expect(watchdog.timeout == .seconds(2))
        for _ in 0..<3 { #expect(watchdog.feed()) }
        #expect(eventually(within: 5) { standIn.keepalives.count == 3 })
        #expect(!standIn.sawEndOfFile)
        try watchdog.disarm()
        #expect(!watchdog.isOpen)
        try watchdog.disarm()  // idempotent
        #expect(eventually(within: 5) { standIn.sawEndOfFile })
        #expect(standIn.sawMagicClose)
        #expect(standIn.records.map(\.byte) == Array("...V".utf8))
    }

    @Test func aWatchdogDroppedWithoutDisarmClosesWithoutTheMagicCharacter() throws {
        let standIn = try WatchdogStandIn()
        defer { standIn.close() }
        do {
            let watchdog = try HardwareWatchdog(path: standIn.path, timeout: .milliseconds(1_500))
            #expect(watchdog.timeout == .seconds(2), "rounded up to whole seconds")
            #expect(watchdog.feed())
        }
        #expect(eventually(within: 5) { standIn.sawEndOfFile })
        #expect(!standIn.sawMagicClose, "a crash leaves the watchdog running")
        #expect(standIn.keepalives.count == 1)
    }

    @Test func aMissingDeviceIsAnError() {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            _ = try HardwareWatchdog(path: "/nonexistent/watchdog-\(getpid())", timeout: .seconds(2))
        }
    }

    @Test func criticalHealthStartsHealthyAndFollowsTheSupervisor() {
        let health = CriticalHealth()
        #expect(health.isHealthy)
        health.set(healthy: false)
        #expect(!health.isHealthy)
        health.set(healthy: true)
        #expect(health.isHealthy)
    }

    /// A real device, opt-in: `DUPLEX_TEST_WATCHDOG=/dev/watchdogN` (root). Opening starts the
    /// watchdog; the test sets a timeout, feeds with a write, and disarms it with the magic
    /// close (a driver built with `nowayout` would reset the board later).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DUPLEX_TEST_WATCHDOG"] != nil && getuid() == 0))
    func aRealDeviceTakesTheTimeoutAndTheMagicClose() throws {
        let path = try #require(ProcessInfo.processInfo.environment["DUPLEX_TEST_WATCHDOG"])
        let watchdog = try HardwareWatchdog(path: path, timeout: .seconds(30))
        #expect(watchdog.setsTimeout)
        #expect(watchdog.timeout.nanoseconds >= DuplexCore.Duration.seconds(1).nanoseconds)
        #expect(watchdog.feed())
        try watchdog.disarm()
    }
}
