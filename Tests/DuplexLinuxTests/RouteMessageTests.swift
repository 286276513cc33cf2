@testable import DuplexLinux
import Testing

@Suite("RouteMessage parser")
struct RouteMessageTests {
    /// Builds one RTM_NEWLINK message: nlmsghdr, ifinfomsg, IFLA_IFNAME.
    static func linkMessage(type: UInt16 = 16, index: Int32, flags: UInt32, name: String?) -> [UInt8] {
        var attributes: [UInt8] = []
        if let name {
            let value = Array(name.utf8) + [0]
            let length = UInt16(4 + value.count)
            attributes = withUnsafeBytes(of: length) { Array($0) } + withUnsafeBytes(of: UInt16(3)) { Array($0) } + value
            while attributes.count % 4 != 0 { attributes.append(0) }
        }
        var info = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: index) { for i in 0..<4 { info[4 + i] = $0[i] } }
        withUnsafeBytes(of: flags) { for i in 0..<4 { info[8 + i] = $0[i] } }
        let length = UInt32(16 + info.count + attributes.count)
        var header = withUnsafeBytes(of: length) { Array($0) }
        header += withUnsafeBytes(of: type) { Array($0) }
        header += [UInt8](repeating: 0, count: 10)
        return header + info + attributes
    }

    static func parse(_ bytes: [UInt8]) -> [(CInt, String?, Bool)] {
        var seen: [(CInt, String?, Bool)] = []
        let count = bytes.withUnsafeBytes { RouteMessage.parse($0) { seen.append(($0, $1, $2)) } }
        #expect(count == seen.count)
        return seen
    }

    @Test func carrierNeedsUpAndLowerUp() {
        let up = Self.parse(Self.linkMessage(index: 4, flags: 0x1 | 0x10000, name: "eth1"))
        #expect(up.count == 1)
        #expect(up.first?.0 == 4)
        #expect(up.first?.1 == "eth1")
        #expect(up.first?.2 == true)
        #expect(Self.parse(Self.linkMessage(index: 4, flags: 0x1, name: "eth1")).first?.2 == false)
        #expect(Self.parse(Self.linkMessage(index: 4, flags: 0x10000, name: nil)).first?.2 == false)
    }

    @Test func deletedLinkIsReportedDown() {
        let seen = Self.parse(Self.linkMessage(type: 17, index: 9, flags: 0x1 | 0x10000, name: "gone0"))
        #expect(seen.count == 1)
        #expect(seen.first?.2 == false)
    }

    @Test func severalMessagesInOneDatagram() {
        let bytes = Self.linkMessage(index: 2, flags: 0x10001, name: "a")
            + Self.linkMessage(type: 3, index: 0, flags: 0, name: nil)  // NLMSG_DONE is skipped
            + Self.linkMessage(index: 3, flags: 0, name: "bb")
        let seen = Self.parse(bytes)
        #expect(seen.map(\.0) == [2, 3])
        #expect(seen.map(\.1) == ["a", "bb"])
    }

    @Test func truncatedInputNeverReadsPastTheEnd() {
        let full = Self.linkMessage(index: 5, flags: 0x10001, name: "eth5")
        for cut in 0..<full.count {
            let seen = Self.parse(Array(full[0..<cut]))
            #expect(seen.isEmpty)
        }
        var lying = full
        lying[0] = 0xFF  // the header claims more bytes than there are
        #expect(Self.parse(lying).isEmpty)
        var badAttribute = full
        badAttribute[32] = 0xF0  // the attribute claims more bytes than the message
        #expect(Self.parse(badAttribute).first?.1 == nil)
    }
}
