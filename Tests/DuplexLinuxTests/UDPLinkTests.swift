import DuplexCore
import DuplexLinux
import Glibc
import Testing

@Suite("UDPLink over veth", .serialized, .tags(.netns), .enabled(if: isRoot))
struct UDPLinkTests {
    static func endpoint(_ text: String, _ port: UInt16) throws -> IPEndpoint {
        IPEndpoint(address: try #require(AnyIPAddress(parsing: text)), port: port)
    }

    func roundTrip(net: NetnsFixture, a: String, b: String, stranger: String, device: Bool) throws {
        let linkA = try withNetworkNamespace(net.a) {
            try UDPLink(local: Self.endpoint(a, 47_000), peer: Self.endpoint(b, 47_000), device: device ? net.interfaceA : nil)
        }
        let linkB = try withNetworkNamespace(net.b) {
            try UDPLink(local: Self.endpoint(b, 47_000), peer: Self.endpoint(a, 47_000))
        }
        // One stranger by address, one by port: the connected socket of B accepts neither.
        let strangers = try withNetworkNamespace(net.a) {
            [try UDPLink(local: Self.endpoint(stranger, 47_000), peer: Self.endpoint(b, 47_000)),
             try UDPLink(local: Self.endpoint(a, 47_001), peer: Self.endpoint(b, 47_000))]
        }
        let noise: [UInt8] = Array("noise".utf8)
        for strangerLink in strangers {
            #expect(try noise.withUnsafeBytes { try strangerLink.send($0) })
        }
        let hello: [UInt8] = Array("hello".utf8)
        #expect(try hello.withUnsafeBytes { try linkA.send($0) })
        var buffer = [UInt8](repeating: 0, count: 256)
        #expect(waitReadable(linkB.fileDescriptor))
        var length: Int?
        for _ in 0..<10 where length == nil {
            length = try buffer.withUnsafeMutableBytes { try linkB.receive(into: $0) }
            if length == nil { _ = waitReadable(linkB.fileDescriptor, timeoutMilliseconds: 500) }
        }
        #expect(length == hello.count)
        #expect(Array(buffer[0..<hello.count]) == hello)
        #expect(try buffer.withUnsafeMutableBytes { try linkB.receive(into: $0) } == nil)
        #expect(linkB.foreignDatagramCount == 0)  // the kernel dropped the strangers' datagrams

        let reply: [UInt8] = Array("reply from b".utf8)
        #expect(try reply.withUnsafeBytes { try linkB.send($0) })
        #expect(waitReadable(linkA.fileDescriptor))
        #expect(try buffer.withUnsafeMutableBytes { try linkA.receive(into: $0) } == reply.count)
        #expect(Array(buffer[0..<reply.count]) == reply)
        #expect(linkA.foreignDatagramCount == 0)
    }

    @Test func refusalOfAnEarlierDatagramDoesNotFailTheNext() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        let link = try withNetworkNamespace(net.a) {
            try UDPLink(local: Self.endpoint("192.0.2.1", 47_010), peer: Self.endpoint("192.0.2.2", 47_010))
        }
        let hello: [UInt8] = Array("hello".utf8)
        // Nothing listens on the peer's port: its kernel answers with ICMP port unreachable,
        // which the connected socket keeps as a pending error (POLLERR).
        #expect(try hello.withUnsafeBytes { try link.send($0) })
        #expect(waitReadable(link.fileDescriptor))
        #expect(try hello.withUnsafeBytes { try link.send($0) })
        #expect(link.refusalCount == 1)
        _ = waitReadable(link.fileDescriptor, timeoutMilliseconds: 500)  // a second refusal may come
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try link.receive(into: $0) } == nil)
        #expect((1...2).contains(link.refusalCount))
    }

    @Test func ipv4RoundTripDropsStrangers() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        try ip("-n", net.a, "addr", "add", "192.0.2.3/24", "dev", net.interfaceA)
        try roundTrip(net: net, a: "192.0.2.1", b: "192.0.2.2", stranger: "192.0.2.3", device: true)
    }

    @Test func ipv6RoundTripDropsStrangers() throws {
        let net = try NetnsFixture()
        defer { net.remove() }
        try ip("-n", net.a, "-6", "addr", "add", "2001:db8:1::3/64", "dev", net.interfaceA, "nodad")
        try roundTrip(net: net, a: "2001:db8:1::1", b: "2001:db8:1::2", stranger: "2001:db8:1::3", device: false)
    }
}
