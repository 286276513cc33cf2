import DuplexCore
import DuplexLinux
import Foundation
import Testing

/// Key files of `[cluster] key-file`: read when only their owner can, refused otherwise, and
/// every refusal a configuration error naming the file, line and key.
@Suite struct PairKeyFileTests {
    static let hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

    /// A directory of its own, removed after `body`.
    static func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "duplex-key-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    static func write(_ text: String, to path: String, mode: mode_t) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
    }

    @Test func anOwnerOnlyKeyFileIsRead() throws {
        try Self.withDirectory { directory in
            let path = directory + "/pair.key"
            try Self.write(Self.hex, to: path, mode: 0o600)
            #expect(try PairKeyFile.load(path).get() == PairFrameKey(bytes: Array(0..<32))!)
            try Self.write(Self.hex, to: path, mode: 0o400)
            #expect(try PairKeyFile.load(path).get() == PairFrameKey(bytes: Array(0..<32))!)
        }
    }

    @Test func aKeyFileOthersCanReadMissingOrNotAKeyIsRefused() throws {
        try Self.withDirectory { directory in
            let path = directory + "/pair.key"
            try Self.write(Self.hex, to: path, mode: 0o644)
            #expect(Self.problem(path)?.contains("can be read or written by others (mode 644)") == true)
            try Self.write(Self.hex, to: path, mode: 0o640)
            #expect(Self.problem(path)?.contains("mode 640") == true)
            #expect(Self.problem(directory + "/absent.key")?.contains("No such file") == true)
            #expect(Self.problem(directory)?.contains("not a regular file") == true)
            try Self.write("not a key\n", to: path, mode: 0o600)
            #expect(Self.problem(path)?.contains("line 1 of the key is not hex digits") == true)
            try Self.write(String(repeating: "0", count: 5000), to: path, mode: 0o600)
            #expect(Self.problem(path)?.contains("larger than 4096 bytes") == true)
        }
    }

    static func problem(_ path: String) -> String? {
        switch PairKeyFile.load(path) {
        case .success: nil
        case .failure(let problem): problem.description
        }
    }

    /// The daemon's check: each key file's problem becomes an error at its line and key.
    @Test func theConfigurationsKeyFilesBecomeTheAuthenticationOrAnError() throws {
        try Self.withDirectory { directory in
            let key = directory + "/pair.key", old = directory + "/old.key"
            try Self.write(Self.hex, to: key, mode: 0o600)
            try Self.write(String(repeating: "ab", count: 32), to: old, mode: 0o644)
            let text = "[cluster]\nid = 7\nkey-file = \(key)\nprevious-key-file = \(old)\n[board]\nid = 1\nname = A\n"
                + "[link bp0]\ntype = ethernet\ninterface = bp0\n"
            let configuration = try Configuration.parse(text: text, file: "a.conf")
            switch PairKeyFile.authentication(configuration.authentication, file: "a.conf") {
            case .success: Issue.record("a previous key others can read was accepted")
            case .failure(let error):
                #expect(error.file == "a.conf" && error.line == 4 && error.key == "previous-key-file", "\(error)")
            }
            #expect(chmod(old, 0o600) == 0)
            let authentication = try PairKeyFile.authentication(configuration.authentication, file: "a.conf").get()
            #expect(authentication == PairAuthentication(key: PairFrameKey(bytes: Array(0..<32))!, previousKey: PairFrameKey(bytes: Array(repeating: 0xab, count: 32))!))
            #expect(try PairKeyFile.authentication(nil, file: "a.conf").get() == nil)
        }
    }
}
