import Foundation
import Testing

/// Keeps the core pure: no I/O, no clock, no hidden randomness, no concurrency. Scans the
/// sources of `DuplexCore` and names each offending line with what to use instead.
@Suite struct TidyTests {
    static let banned: [(pattern: String, replacement: String)] = [
        ("import Glibc", "keep system calls in DuplexLinux; the core takes facts as events"),
        ("import Foundation", "the core is stdlib only"),
        ("import Dispatch", "the core is synchronous"),
        ("import Synchronization", "the core is owned by one thread; no locks or atomics"),
        ("Date(", "time enters as the `now: Instant` argument"),
        ("ContinuousClock", "use the core's Instant and Duration"),
        ("SuspendingClock", "use the core's Instant and Duration"),
        ("Task {", "the core never starts work of its own"),
        ("Task.sleep", "return a deadline (`nextDeadline`) instead"),
        (" async ", "the core is synchronous: handle(_:now:) returns actions"),
    ]

    static var coreDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/DuplexCore")
    }

    static func sources() throws -> [URL] {
        let enumerator = try #require(FileManager.default.enumerator(at: coreDirectory, includingPropertiesForKeys: nil))
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            .sorted { $0.path < $1.path }
    }

    @Test func coreSourcesArePresent() throws {
        #expect(try Self.sources().count > 20)
    }

    @Test func coreStaysPure() throws {
        var offences: [String] = []
        for file in try Self.sources() {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                for (pattern, replacement) in Self.banned where code.contains(pattern) {
                    offences.append("\(file.lastPathComponent):\(number + 1): \(pattern): \(replacement)")
                }
                if code.contains(".random("), !code.contains("using:") {
                    offences.append("\(file.lastPathComponent):\(number + 1): .random( without using: pass a seeded generator")
                }
            }
        }
        #expect(offences.isEmpty, "\(offences.joined(separator: "\n"))")
    }
}
