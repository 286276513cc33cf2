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
}
