import DuplexCore
import Foundation
import Testing

/// One bad configuration and where its error must point.
struct ConfigurationErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    /// Replace `target` in the base file with `replacement` (appended when `target` is empty).
    let target: String
    let replacement: String
    let code: ConfigurationError.Code
    let line: Int
    let section: String?
    let key: String?
    /// A fragment the message must contain.
    let message: String

    var testDescription: String { name }

    var text: String {
        target.isEmpty ? ConfigurationTests.base + replacement
            : ConfigurationTests.base.replacingOccurrences(of: target, with: replacement)
    }
}

@Suite struct ConfigurationErrorTests {
    static let cases: [ConfigurationErrorCase] = [
        .init(name: "syntax", target: "priority = 200", replacement: "priority 200",
              code: .syntax, line: 7, section: "board", key: nil, message: "expected \"key = value\""),
        .init(name: "unterminated header", target: "[pair]", replacement: "[pair",
              code: .syntax, line: 9, section: nil, key: nil, message: "section header"),
        .init(name: "key outside a section", target: "[cluster]\n", replacement: "",
              code: .syntax, line: 1, section: nil, key: "id", message: "outside of a section"),
        .init(name: "uppercase key", target: "name = A", replacement: "Name = A",
              code: .syntax, line: 6, section: "board", key: nil, message: "not a key name"),
        .init(name: "empty value", target: "name = A", replacement: "name =  # none",
              code: .invalidValue, line: 6, section: "board", key: "name", message: "missing value"),
        .init(name: "unknown section", target: "[pair]", replacement: "[pairs]",
              code: .unknownSection, line: 9, section: "pairs", key: nil, message: "unknown section"),
        .init(name: "unnamed link", target: "[link bp0]", replacement: "[link]",
              code: .unknownSection, line: 11, section: "link", key: nil, message: "needs a name"),
        .init(name: "named pair", target: "[pair]", replacement: "[pair x]",
              code: .unknownSection, line: 9, section: "pair x", key: nil, message: "takes no name"),
        .init(name: "duplicate section", target: "", replacement: "[board]\nid = 2\n",
              code: .duplicateSection, line: 18, section: "board", key: nil, message: "line 4"),
        .init(name: "duplicate key", target: "priority = 200", replacement: "priority = 200\npriority = 1",
              code: .duplicateKey, line: 8, section: "board", key: "priority", message: "line 7"),
        .init(name: "unknown key", target: "priority = 200", replacement: "prio = 200",
              code: .unknownKey, line: 7, section: "board", key: "prio", message: "keys: id, name, priority"),
        .init(name: "udp key on ethernet link", target: "interface = bp0", replacement: "interface = bp0\npeer = 1.2.3.4:1",
              code: .unknownKey, line: 14, section: "link bp0", key: "peer", message: "an ethernet link"),
        .init(name: "missing key", target: "name = A\n", replacement: "",
              code: .missingKey, line: 4, section: "board", key: "name", message: "missing required key"),
        .init(name: "missing link interface", target: "interface = bp0\n", replacement: "",
              code: .missingKey, line: 11, section: "link bp0", key: "interface", message: "missing"),
        .init(name: "missing udp peer", target: "type = ethernet\ninterface = bp0",
              replacement: "type = udp\nlocal = 198.51.100.1:7400",
              code: .missingKey, line: 11, section: "link bp0", key: "peer", message: "missing"),
        .init(name: "missing section", target: "[cluster]\nid = 7\n", replacement: "",
              code: .missingSection, line: 0, section: "cluster", key: nil, message: "missing required section"),
        .init(name: "no links", target: "[link bp0]\ntype = ethernet\ninterface = bp0\n", replacement: "",
              code: .missingSection, line: 0, section: "link NAME", key: nil, message: "at least one"),
        .init(name: "cluster id zero", target: "id = 7", replacement: "id = 0",
              code: .invalidValue, line: 2, section: "cluster", key: "id", message: "out of range"),
        .init(name: "board id too large", target: "id = 1\n", replacement: "id = 65536\n",
              code: .invalidValue, line: 5, section: "board", key: "id", message: "\"65536\" is out of range (1...65535)"),
        .init(name: "negative priority", target: "priority = 200", replacement: "priority = -1",
              code: .invalidValue, line: 7, section: "board", key: "priority", message: "not a whole number"),
        .init(name: "bad name", target: "name = A", replacement: "name = board A",
              code: .invalidValue, line: 6, section: "board", key: "name", message: "is not a name"),
        .init(name: "bad duration", target: "[pair]\n", replacement: "[pair]\ninterval = 4xs\n",
              code: .invalidValue, line: 10, section: "pair", key: "interval", message: "is not a duration"),
        .init(name: "interval too short", target: "[pair]\n", replacement: "[pair]\ninterval = 10us\n",
              code: .invalidValue, line: 10, section: "pair", key: "interval", message: "out of range (100us...10s)"),
        .init(name: "missed-max zero", target: "[pair]\n", replacement: "[pair]\nmissed-max = 0\n",
              code: .invalidValue, line: 10, section: "pair", key: "missed-max", message: "out of range (1...100)"),
        .init(name: "heartbeat mode", target: "[pair]\n", replacement: "[pair]\nheartbeats = sometimes\n",
              code: .invalidValue, line: 10, section: "pair", key: "heartbeats",
              message: "\"sometimes\" is not heartbeat mode (use rotate or every-link)"),
        .init(name: "standby interval too long", target: "[pair]\n", replacement: "[pair]\nstandby-interval = 2s\n",
              code: .invalidValue, line: 10, section: "pair", key: "standby-interval", message: "out of range (100us...1s)"),
        .init(name: "bad boolean", target: "[pair]\n", replacement: "[pair]\npreempt = maybe\n",
              code: .invalidValue, line: 10, section: "pair", key: "preempt", message: "not a boolean"),
        .init(name: "realtime priority", target: "[pair]\n", replacement: "[pair]\nrealtime-priority = 100\n",
              code: .invalidValue, line: 10, section: "pair", key: "realtime-priority", message: "out of range (0...99)"),
        .init(name: "interface name too long", target: "interface = bp0", replacement: "interface = abcdefghijklmnop",
              code: .invalidValue, line: 13, section: "link bp0", key: "interface", message: "not an interface name"),
        .init(name: "relative watchdog path", target: "[pair]\n", replacement: "[pair]\nwatchdog-device = dev/watchdog\n",
              code: .invalidValue, line: 10, section: "pair", key: "watchdog-device", message: "not an absolute path"),
        .init(name: "bad link type", target: "type = ethernet", replacement: "type = tcp",
              code: .invalidValue, line: 12, section: "link bp0", key: "type", message: "use ethernet or udp"),
        .init(name: "ethertype below 0x0600", target: "interface = bp0", replacement: "interface = bp0\nethertype = 0x05FF",
              code: .invalidValue, line: 14, section: "link bp0", key: "ethertype", message: "out of range (0x600...0xFFFF)"),
        .init(name: "bad MAC", target: "interface = bp0", replacement: "interface = bp0\ndestination = ff:ff:ff:ff:ff",
              code: .invalidValue, line: 14, section: "link bp0", key: "destination", message: "not a MAC address"),
        .init(name: "bad endpoint", target: "type = ethernet\ninterface = bp0",
              replacement: "type = udp\nlocal = 198.51.100.1\npeer = 198.51.100.2:7400",
              code: .invalidValue, line: 13, section: "link bp0", key: "local", message: "not an address and port"),
        .init(name: "mixed families", target: "type = ethernet\ninterface = bp0",
              replacement: "type = udp\nlocal = 198.51.100.1:7400\npeer = [2001:db8::2]:7400",
              code: .inconsistent, line: 14, section: "link bp0", key: "peer", message: "different address families"),
        .init(name: "same interface twice", target: "", replacement: "[link bp1]\ntype = ethernet\ninterface = bp0\n",
              code: .inconsistent, line: 20, section: "link bp1", key: "interface", message: "already used by [link bp0]"),
        .init(name: "too many links", target: "",
              replacement: (1...Limits.linksMax).map { "[link l\($0)]\ntype = ethernet\ninterface = e\($0)\n" }.joined(),
              code: .tooMany, line: 27, section: "link l4", key: nil, message: "at most \(Limits.linksMax)"),
        .init(name: "bad IPv4 octet", target: "198.51.100.10/24", replacement: "198.51.100.300/24",
              code: .invalidValue, line: 16, section: "address vip4", key: "address", message: "not an IPv4 address"),
        .init(name: "bad IPv6", target: "198.51.100.10/24", replacement: "2001:db8:::10/64",
              code: .invalidValue, line: 16, section: "address vip4", key: "address", message: "not an IPv6 address"),
        .init(name: "IPv4 prefix too long", target: "198.51.100.10/24", replacement: "198.51.100.10/33",
              code: .invalidValue, line: 16, section: "address vip4", key: "address", message: "out of range for IPv4 (1...32)"),
        .init(name: "IPv6 prefix too long", target: "198.51.100.10/24", replacement: "2001:db8::10/129",
              code: .invalidValue, line: 16, section: "address vip4", key: "address", message: "out of range for IPv6 (1...128)"),
        .init(name: "no prefix", target: "198.51.100.10/24", replacement: "198.51.100.10",
              code: .invalidValue, line: 16, section: "address vip4", key: "address", message: "prefix length"),
        .init(name: "multicast address", target: "198.51.100.10/24", replacement: "224.0.0.1/24",
              code: .invalidValue, line: 16, section: "address vip4", key: "address", message: "not a unicast address"),
        .init(name: "duplicate address", target: "",
              replacement: "[address again]\naddress = 198.51.100.10/25\ninterface = lan1\n",
              code: .inconsistent, line: 19, section: "address again", key: "address", message: "already [address vip4]"),
        .init(name: "address without interface", target: "interface = lan0\n", replacement: "",
              code: .missingKey, line: 15, section: "address vip4", key: "interface", message: "missing"),
        .init(name: "announce count", target: "", replacement: "[announce]\ncount = 51\n",
              code: .invalidValue, line: 19, section: "announce", key: "count", message: "out of range (0...50)"),
        .init(name: "relative socket", target: "", replacement: "[control]\nsocket = duplexd.sock\n",
              code: .invalidValue, line: 19, section: "control", key: "socket", message: "not an absolute path"),
        .init(name: "socket path too long", target: "", replacement: "[control]\nsocket = /\(String(repeating: "s", count: 107))\n",
              code: .invalidValue, line: 19, section: "control", key: "socket", message: "longer than 107 bytes"),
        .init(name: "bad log level", target: "", replacement: "[log]\nlevel = loud\n",
              code: .invalidValue, line: 19, section: "log", key: "level", message: "not a log level"),
    ]

    @Test(arguments: cases)
    func errorNamesTheLineAndKey(_ testCase: ConfigurationErrorCase) {
        guard let error = ConfigurationTests.error(testCase.text) else {
            Issue.record("\(testCase.name): parsed without error")
            return
        }
        #expect(error.code == testCase.code, "\(error)")
        #expect(error.line == testCase.line, "\(error)")
        #expect(error.section == testCase.section, "\(error)")
        #expect(error.key == testCase.key, "\(error)")
        #expect(error.message.contains(testCase.message), "\(error)")
        #expect(error.file == "t.conf")
        #expect(error.description.hasPrefix(testCase.line > 0 ? "t.conf:\(testCase.line): " : "t.conf: "))
    }

    @Test func tooManyAddresses() {
        let extra = (1...Limits.addressesMax).map { "[address a\($0)]\naddress = 198.51.100.\($0 + 20)/24\ninterface = lan0\n" }
        let error = ConfigurationTests.error(ConfigurationTests.base + extra.joined())
        #expect(error?.code == .tooMany)
        #expect(error?.section == "address a\(Limits.addressesMax)")
    }
}
