import Testing

@testable import DuplexCore

@Suite struct CheckpointConfigurationTests {
    static let base = """
        [cluster]
        id = 7
        [board]
        id = 1
        name = A
        [link bp0]
        type = ethernet
        interface = bp0
        """

    @Test func defaultsFollowTheControlSocket() throws {
        let plain = try Configuration.parse(text: Self.base, file: "t.conf")
        #expect(plain.checkpoint == Configuration.CheckpointSettings())
        #expect(plain.checkpoint.socketPath == "/run/duplex/checkpoint.sock")
        #expect(plain.checkpoint.syncPolicy == .fail)
        let lab = try Configuration.parse(text: Self.base + "\n[control]\nsocket = /tmp/lab/a.sock\n", file: "t.conf")
        #expect(lab.checkpoint.socketPath == "/tmp/lab/a-checkpoint.sock")
    }

    @Test func socketAndPolicyAreRead() throws {
        let text = Self.base + "\n[checkpoint]\nsocket = /run/x/ckpt.sock\nsync-policy = degrade\n"
        let configuration = try Configuration.parse(text: text, file: "t.conf")
        #expect(configuration.checkpoint.socketPath == "/run/x/ckpt.sock")
        #expect(configuration.checkpoint.syncPolicy == .degrade)
    }

    @Test func takeoverBarrierIsReadWithItsDefault() throws {
        #expect(try Configuration.parse(text: Self.base, file: "t.conf").checkpoint.takeoverBarrier == .milliseconds(5))
        let off = try Configuration.parse(text: Self.base + "\n[checkpoint]\ntakeover-barrier = 0ms\n", file: "t.conf")
        #expect(off.checkpoint.takeoverBarrier == .zero)
        let long = try Configuration.parse(text: Self.base + "\n[checkpoint]\ntakeover-barrier = 20ms\n", file: "t.conf")
        #expect(long.checkpoint.takeoverBarrier == .milliseconds(20))
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse(text: Self.base + "\n[checkpoint]\ntakeover-barrier = 2s\n", file: "t.conf")
        }
    }

    @Test func hugePagesAreOnUnlessTurnedOff() throws {
        #expect(try Configuration.parse(text: Self.base, file: "t.conf").checkpoint.hugePages == true)
        let off = try Configuration.parse(text: Self.base + "\n[checkpoint]\nhuge-pages = no\n", file: "t.conf")
        #expect(off.checkpoint.hugePages == false)
        do {
            _ = try Configuration.parse(text: Self.base + "\n[checkpoint]\nhuge-pages = often\n", file: "t.conf")
            Issue.record("huge-pages = often was accepted")
        } catch {
            #expect(error.file == "t.conf" && error.line == 10 && error.key == "huge-pages", "\(error)")
        }
    }

    @Test func badValuesAreErrors() {
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse(text: Self.base + "\n[checkpoint]\nsync-policy = maybe\n", file: "t.conf")
        }
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse(text: Self.base + "\n[checkpoint]\nwindow = 3\n", file: "t.conf")
        }
    }
}
