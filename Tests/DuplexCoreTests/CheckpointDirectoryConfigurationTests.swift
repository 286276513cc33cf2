import Testing

@testable import DuplexCore

@Suite struct CheckpointDirectoryConfigurationTests {
    @Test func journalDirectoryDefaultsAndIsRead() throws {
        let base = CheckpointConfigurationTests.base
        let plain = try Configuration.parse(text: base, file: "t.conf")
        #expect(plain.checkpoint.directory == "/var/lib/duplex/checkpoints")
        let lab = try Configuration.parse(text: base + "\n[control]\nsocket = /tmp/lab/a.sock\n", file: "t.conf")
        #expect(lab.checkpoint.directory == "/tmp/lab/a-checkpoints")
        let set = try Configuration.parse(text: base + "\n[checkpoint]\ndirectory = /data/ckpt\n", file: "t.conf")
        #expect(set.checkpoint.directory == "/data/ckpt")
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse(text: base + "\n[checkpoint]\ndirectory = relative/dir\n", file: "t.conf")
        }
    }

    @Test func standbyStartWaitDefaultsIsReadAndIsChecked() throws {
        let base = CheckpointConfigurationTests.base
        #expect(try Configuration.parse(text: base, file: "t.conf").checkpoint.standbyStartWait == .seconds(30))
        let set = try Configuration.parse(text: base + "\n[checkpoint]\nstandby-start-wait = 3s\n", file: "t.conf")
        #expect(set.checkpoint.standbyStartWait == .seconds(3))
        let off = try Configuration.parse(text: base + "\n[checkpoint]\nstandby-start-wait = 0s\n", file: "t.conf")
        #expect(off.checkpoint.standbyStartWait == .zero)
        let text = base + "\n[checkpoint]\nstandby-start-wait = 11min\n"
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("standby-start-wait") }! + 1
        do {
            _ = try Configuration.parse(text: text, file: "t.conf")
            Issue.record("a wait over 600 s was taken")
        } catch {
            #expect(error.file == "t.conf" && error.line == line && error.key == "standby-start-wait", "\(error)")
        }
    }
}
