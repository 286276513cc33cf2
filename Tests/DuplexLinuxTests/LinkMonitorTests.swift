import DuplexCore
import DuplexLinux
import Glibc
import Testing

@Suite("LinkMonitor over veth", .serialized, .tags(.netns), .enabled(if: isRoot))
struct LinkMonitorTests {
    /// Drains `monitor` until `interface` reports `carrierUp == wanted`, re-reading the link
    /// after each event (the linkwatch note), for at most `limit`.
    static func waitForCarrier(
        _ monitor: LinkMonitor, interface: String, wanted: Bool, limit: DuplexCore.Duration = .seconds(5)
    ) throws -> Bool {
        let deadline = MonotonicClock.now() + limit
        var found = false
        var index: CInt = 0
        while !found, MonotonicClock.now() < deadline {
            _ = waitReadable(monitor.fileDescriptor, timeoutMilliseconds: 200)
            try monitor.drain { linkIndex, name, carrierUp in
                guard name == interface else { return }
                index = linkIndex
                if carrierUp == wanted { found = true }
            }
            if !found, index > 0 { try monitor.requestLink(index: index) }
        }
        return found
    }

    @Test func carrierFollowsThePeerEnd() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let seen = try withNetworkNamespace(net.b) { () -> [Bool] in
            let monitor = try LinkMonitor()
            try monitor.requestDump()
            let initiallyUp = try Self.waitForCarrier(monitor, interface: net.interfaceB, wanted: true)
            try ip("-n", net.a, "link", "set", net.interfaceA, "down")
            let wentDown = try Self.waitForCarrier(monitor, interface: net.interfaceB, wanted: false)
            try ip("-n", net.a, "link", "set", net.interfaceA, "up")
            let cameBack = try Self.waitForCarrier(monitor, interface: net.interfaceB, wanted: true)
            return [initiallyUp, wentDown, cameBack]
        }
        #expect(seen == [true, true, true])
    }

    @Test func dumpReportsEveryLink() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let names = try withNetworkNamespace(net.a) { () -> [String] in
            let monitor = try LinkMonitor()
            try monitor.requestDump()
            var names: [String] = []
            for _ in 0..<10 where names.count < 2 {
                _ = waitReadable(monitor.fileDescriptor, timeoutMilliseconds: 500)
                try monitor.drain { _, name, _ in if let name { names.append(name) } }
            }
            return names
        }
        #expect(Set(names) == ["lo", net.interfaceA])
    }
}
