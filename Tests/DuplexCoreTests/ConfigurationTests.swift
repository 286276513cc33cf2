import DuplexCore
import Foundation
import Testing

@Suite struct ConfigurationTests {
    /// `Config/` at the package root, found from this file's path.
    static let configDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config")

    static func sample(_ name: String) throws -> Configuration {
        let text = try String(contentsOf: configDirectory.appendingPathComponent(name), encoding: .utf8)
        return try Configuration.parse(text: text, file: name)
    }

    @Test func boardASampleParses() throws {
        let configuration = try Self.sample("board-a.conf")
        #expect(configuration.clusterID == 7)
        #expect(configuration.board == Configuration.Board(id: 1, name: "A", priority: 200))
        #expect(configuration.pair == Configuration.Pair(isolationInterface: "lan0", standbyInterval: .milliseconds(16)))
        #expect(configuration.links.map(\.name) == ["bp0", "bp1", "lan"])
        #expect(configuration.links[0].transport == .ethernet(.init(interface: "bp0")))
        #expect(configuration.links[1].interval == .milliseconds(4))
        #expect(configuration.links[1].missedMax == 3)
        let udp = Configuration.Link.UDP(
            local: IPEndpoint(parsing: "198.51.100.1:7400")!, peer: IPEndpoint(parsing: "198.51.100.2:7400")!,
            interface: "lan0")
        #expect(configuration.links[2].transport == .udp(udp))
        #expect(configuration.addresses.map(\.address.description) == ["198.51.100.10/24", "2001:db8::10/64"])
        #expect(configuration.addresses.allSatisfy { $0.interface == "lan0" })
        #expect(configuration.announce == Configuration.Announce(count: 3, interval: .milliseconds(2)))
        #expect(configuration.control.socketPath == "/run/duplex/duplexd.sock")
        #expect(configuration.log.level == .info)
    }

    @Test func boardBSampleMirrorsBoardA() throws {
        let a = try Self.sample("board-a.conf")
        let b = try Self.sample("board-b.conf")
        #expect(b.board == Configuration.Board(id: 2, name: "B", priority: 100))
        guard case .udp(let udpA) = a.links[2].transport, case .udp(let udpB) = b.links[2].transport else {
            Issue.record("the third link is UDP on both boards")
            return
        }
        #expect(udpA.local == udpB.peer && udpA.peer == udpB.local)
        var mirrored = b
        mirrored.board = a.board
        mirrored.links[2] = a.links[2]
        #expect(mirrored == a)
    }

    @Test func minimalFileTakesEveryDefault() throws {
        let text = """
            [cluster]
            id = 1
            [board]
            id = 9
            name = solo
            [link lan]
            type = udp
            local = [2001:db8::1]:7400
            peer = [2001:db8::2]:7400
            """
        let configuration = try Configuration.parse(text: text, file: "min.conf")
        #expect(configuration.board.priority == 100)
        #expect(configuration.pair == Configuration.Pair())
        #expect(configuration.pair.interval == .milliseconds(4) && configuration.pair.missedMax == 3)
        #expect(configuration.links[0].interval == .milliseconds(4))
        #expect(configuration.addresses.isEmpty)
        #expect(configuration.announce == Configuration.Announce())
        #expect(configuration.control == Configuration.Control())
        #expect(configuration.log.level == .info)
    }

    @Test func watchdogTimeoutDefaultsToTwoSecondsAndTakesWholeSecondsOrMore() throws {
        #expect(Configuration.Pair().watchdogTimeout == .seconds(2))
        let text = Self.base.replacingOccurrences(
            of: "[pair]\n", with: "[pair]\nwatchdog-device = /dev/watchdog0\nwatchdog-timeout = 15s\n")
        let configuration = try Configuration.parse(text: text, file: "t.conf")
        #expect(configuration.pair.watchdogDevice == "/dev/watchdog0")
        #expect(configuration.pair.watchdogTimeout == .seconds(15))
        for bad in ["500ms", "2h", "soon"] {
            let wrong = Self.base.replacingOccurrences(of: "[pair]\n", with: "[pair]\nwatchdog-timeout = \(bad)\n")
            let error = #expect(throws: ConfigurationError.self) { try Configuration.parse(text: wrong, file: "t.conf") }
            #expect(error?.code == .invalidValue && error?.key == "watchdog-timeout" && error?.section == "pair")
        }
    }

    @Test func linksInheritThePairTimingUnlessTheySetTheirOwn() throws {
        let text = Self.base.replacingOccurrences(of: "[pair]\n", with: "[pair]\ninterval = 10ms\nmissed-max = 5\n")
            + "\n[link bp1]\ntype = ethernet\ninterface = bp1\ninterval = 1ms\n"
        let configuration = try Configuration.parse(text: text, file: "t.conf")
        #expect(configuration.links[0].interval == .milliseconds(10) && configuration.links[0].missedMax == 5)
        #expect(configuration.links[1].interval == .milliseconds(1) && configuration.links[1].missedMax == 5)
    }

    @Test func heartbeatsRotateUnlessEveryLinkIsAskedFor() throws {
        let rotating = try Configuration.parse(text: Self.base, file: "t.conf")
        #expect(rotating.pair.heartbeats == .rotate)
        let text = Self.base.replacingOccurrences(of: "[pair]\n", with: "[pair]\nheartbeats = every-link\n")
        #expect(try Configuration.parse(text: text, file: "t.conf").pair.heartbeats == .everyPath)
    }

    @Test func theStandbyIntervalIsOptional() throws {
        #expect(try Configuration.parse(text: Self.base, file: "t.conf").pair.standbyInterval == nil)
        let text = Self.base.replacingOccurrences(of: "[pair]\n", with: "[pair]\nstandby-interval = 20ms\n")
        #expect(try Configuration.parse(text: text, file: "t.conf").pair.standbyInterval == .milliseconds(20))
    }

    @Test func commentsBlankLinesAndCRLFAreAccepted() throws {
        let text = "\u{FEFF}# top\r\n\r\n  [cluster]   # trailing\r\nid = 3 # three\r\n[board]\r\nid=4\r\n\tname = x\t# tab before the comment\r\n"
            + "[link a]\r\ntype = ethernet\r\ninterface = eth0\r\nethertype = 0x88b6\r\ndestination = 02:00:5E:00:53:01\r\n"
        let configuration = try Configuration.parse(text: text, file: "crlf.conf")
        #expect(configuration.clusterID == 3)
        #expect(configuration.board.name == "x")
        #expect(configuration.links[0].transport == .ethernet(.init(
            interface: "eth0", etherType: 0x88B6, destination: EthernetAddress(parsing: "02:00:5e:00:53:01")!)))
    }

    @Test func aHashInsideAWordIsNotAComment() {
        let text = Self.base.replacingOccurrences(of: "name = A", with: "name = A#1")
        #expect(Self.error(text)?.message.hasPrefix(#""A#1" is not a name"#) == true)
    }

    @Test func theDescriptionReadsLikeADiagnostic() {
        let text = Self.base.replacingOccurrences(of: "interface = bp0", with: "interface = bp0\ninterval = 4xs")
        #expect(throws: ConfigurationError.self) { try Configuration.parse(text: text, file: "board-a.conf") }
        do {
            _ = try Configuration.parse(text: text, file: "board-a.conf")
        } catch {
            #expect(error.description
                == #"board-a.conf:14: [link bp0] interval: "4xs" is not a duration (use e.g. 500us, 4ms, 1s)"#)
        }
    }

    @Test func tooManyLinesIsAnError() {
        let text = Self.base + String(repeating: "# filler\n", count: Limits.configurationLinesMax)
        let error = Self.error(text)
        #expect(error?.code == .tooMany)
        #expect(error?.line == Limits.configurationLinesMax + 1)
    }

    /// Random edits of a valid file: the parser returns or throws, and never traps.
    @Test func mutatedFilesNeverTrap() throws {
        let alphabet = Array("[]=#: \t\n/.x0189abfABF-_\u{FEFF}é")
        var random = TestRandom(seed: 0xC0F1)
        var refused = 0
        for _ in 0..<2_000 {
            var characters = Array(Self.base)
            for _ in 0..<(1 + random.next() % 3) {
                let index = Int(random.next() % UInt64(characters.count))
                switch random.next() % 3 {
                case 0: characters.remove(at: index)
                case 1: characters.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                default: characters[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                }
            }
            if let error = Self.error(String(characters)) {
                refused += 1
                #expect(error.line >= 0 && error.line <= characters.count + 1)
            }
        }
        #expect(refused > 500)
    }

    /// A valid file; the error table edits one line of it. Line numbers:
    ///  1 [cluster]  2 id  3 (blank)  4 [board]  5 id  6 name  7 priority  8 (blank)  9 [pair]
    /// 10 (blank)  11 [link bp0]  12 type  13 interface  14 (blank)  15 [address vip4]
    /// 16 address  17 interface
    static let base = """
        [cluster]
        id = 7

        [board]
        id = 1
        name = A
        priority = 200

        [pair]

        [link bp0]
        type = ethernet
        interface = bp0

        [address vip4]
        address = 198.51.100.10/24
        interface = lan0

        """

    static func error(_ text: String) -> ConfigurationError? {
        do {
            _ = try Configuration.parse(text: text, file: "t.conf")
            return nil
        } catch {
            return error
        }
    }

    @Test func theBaseFileIsValid() throws {
        let configuration = try Configuration.parse(text: Self.base, file: "t.conf")
        #expect(configuration.links.count == 1 && configuration.addresses.count == 1)
    }
}
