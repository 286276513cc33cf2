import Testing

@testable import DuplexCore

/// Pair frames tagged with HMAC-SHA-256 (`[cluster] key-file`): keys, the codec, the core's
/// count of frames it refused, and the configuration.
@Suite struct PairAuthenticationTests {
    static let key = PairFrameKey(bytes: Array(0..<32))!
    static let otherKey = PairFrameKey(bytes: Array(100..<132))!

    static func encoded(_ frame: PairFrame = PairFrameTests.sample(), with authentication: PairAuthentication?) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAA, count: PairFrame.authenticatedSize)
        let length = bytes.withUnsafeMutableBytes { frame.encode(into: $0, authentication: authentication) }
        return Array(bytes[0..<length])
    }

    static func decode(_ bytes: [UInt8], _ authentication: PairAuthentication?) -> Result<PairFrame, PairFrame.DecodeError> {
        bytes.withUnsafeBytes { PairFrame.decode($0, authentication: authentication) }
    }

    // MARK: Keys

    @Test func aKeyIsReadFromHexWithSpacesAndComments() throws {
        let text = "# pair key, 32 bytes\n0001 0203 0405 0607 0809 0a0b 0c0d 0e0f\n  101112131415161718191A1B1C1D1E1F  # end\n"
        #expect(try PairFrameKey(hex: text) == Self.key)
    }

    @Test func aKeyFileThatIsNotAKeyIsRefusedWithWhatIsWrong() {
        #expect(throws: PairFrameKey.ParseError.notHex(line: 2)) { try PairFrameKey(hex: "00112233445566778899aabbccddeeff\nzz\n") }
        #expect(throws: PairFrameKey.ParseError.oddDigits) { try PairFrameKey(hex: "00112233445566778899aabbccddeeff0") }
        #expect(throws: PairFrameKey.ParseError.badSize(15)) { try PairFrameKey(hex: String(repeating: "ab", count: 15)) }
        #expect(throws: PairFrameKey.ParseError.badSize(65)) { try PairFrameKey(hex: String(repeating: "ab", count: 65)) }
        #expect(throws: PairFrameKey.ParseError.badSize(0)) { try PairFrameKey(hex: "# nothing but a comment\n") }
        #expect(PairFrameKey(bytes: Array(repeating: 1, count: 16)) != nil)
        #expect(PairFrameKey(bytes: Array(repeating: 1, count: 64)) != nil)
    }

    // MARK: Codec

    /// A tagged frame is the frame followed by the first 16 bytes of HMAC-SHA-256 over it.
    @Test func aTaggedFrameCarriesTheHMACOfItsBytes() throws {
        let authentication = PairAuthentication(key: Self.key)
        let tagged = Self.encoded(with: authentication)
        #expect(tagged.count == PairFrame.authenticatedSize)
        let plain = Self.encoded(with: nil)
        #expect(plain.count == PairFrame.size && Array(tagged[0..<PairFrame.size]) == plain)
        let code = HMACSHA256(key: Array(0..<32)).authenticationCode(plain)
        #expect(Array(tagged[PairFrame.size...]) == Array(code[0..<PairFrame.tagSize]))
        #expect(try Self.decode(tagged, authentication).get() == PairFrameTests.sample())
    }

    /// A board with a key refuses a frame without a tag, with another key's tag, with a tag
    /// changed in any byte, and a forged frame whose CRC was made right again.
    @Test func framesWithoutTheKeysTagAreUnauthenticated() {
        let authentication = PairAuthentication(key: Self.key)
        #expect(Self.decode(Self.encoded(with: nil), authentication) == .failure(.unauthenticated))
        #expect(Self.decode(Self.encoded(with: PairAuthentication(key: Self.otherKey)), authentication) == .failure(.unauthenticated))
        let tagged = Self.encoded(with: authentication)
        for index in PairFrame.size..<PairFrame.authenticatedSize {
            var changed = tagged
            changed[index] ^= 0x01
            #expect(Self.decode(changed, authentication) == .failure(.unauthenticated), "tag byte \(index)")
        }
        // A forged epoch with its CRC recomputed: well formed, but not tagged by the key.
        var forged = PairFrameTests.sample()
        forged.epoch += 1
        var bytes = Self.encoded(forged, with: nil)
        bytes += tagged[PairFrame.size...]
        #expect(Self.decode(bytes, nil).map(\.epoch) == .success(forged.epoch))
        #expect(Self.decode(bytes, authentication) == .failure(.unauthenticated))
        // A corrupted frame is malformed first, whatever its tag.
        var corrupted = tagged
        corrupted[20] ^= 0xFF
        #expect(Self.decode(corrupted, authentication) == .failure(.badChecksum))
    }

    /// While a key is replaced, frames tagged with the previous key are accepted too; a board
    /// without a key ignores the tag, as it ignores any trailing bytes.
    @Test func thePreviousKeyIsAcceptedAndABoardWithoutAKeyIgnoresTags() throws {
        let rotating = PairAuthentication(key: Self.otherKey, previousKey: Self.key)
        #expect(try Self.decode(Self.encoded(with: PairAuthentication(key: Self.key)), rotating).get() == PairFrameTests.sample())
        #expect(try Self.decode(Self.encoded(with: rotating), rotating).get() == PairFrameTests.sample())
        #expect(Self.decode(Self.encoded(with: rotating), PairAuthentication(key: Self.key)) == .failure(.unauthenticated))
        #expect(try Self.decode(Self.encoded(with: rotating), nil).get() == PairFrameTests.sample())
    }

    // MARK: Core

    /// A refused frame is counted and changes nothing: a starting board that hears only
    /// unauthenticated frames of an active mate still finds no mate and takes the role.
    @Test func theCoreCountsRefusedFramesAndIgnoresThem() {
        let start = Instant(nanoseconds: 1_000_000_000)
        var (core, frame) = PairCoreTests.startedAlone(at: start)
        frame.role = .active
        for step in 1...100 {
            _ = core.handle(.frameUnauthenticated(path: 0), now: start + .milliseconds(UInt64(step) * 4))
        }
        #expect(core.status.counters.framesUnauthenticated == 100)
        #expect(core.status.counters.framesReceived == 0)
        #expect(core.status.role == .active && core.status.mate == nil)
    }

    // MARK: Configuration

    static let base = CheckpointConfigurationTests.base

    @Test func keyFilesAreReadFromTheClusterSection() throws {
        #expect(try Configuration.parse(text: Self.base, file: "t.conf").authentication == nil)
        let text = Self.base.replacing("id = 7\n", with: "id = 7\nkey-file = /etc/duplex/pair.key\nprevious-key-file = /etc/duplex/old.key\n")
        let settings = try #require(try Configuration.parse(text: text, file: "t.conf").authentication)
        #expect(settings.keyFile == "/etc/duplex/pair.key" && settings.previousKeyFile == "/etc/duplex/old.key")
        let error = settings.error(file: "t.conf", key: "key-file", "unreadable")
        #expect(error.line == 3 && error.key == "key-file" && error.section == "cluster")
    }

    @Test func aPreviousKeyAloneOrTheSameFileTwiceIsAnError() {
        for (lines, message) in [
            ("previous-key-file = /k/old.key\n", "needs a key-file"),
            ("key-file = /k/pair.key\nprevious-key-file = /k/pair.key\n", "itself"),
            ("key-file = pair.key\n", "absolute"),
        ] {
            let text = Self.base.replacing("id = 7\n", with: "id = 7\n" + lines)
            do {
                _ = try Configuration.parse(text: text, file: "t.conf")
                Issue.record("accepted: \(lines)")
            } catch {
                #expect(error.file == "t.conf" && error.line >= 3 && error.key?.hasSuffix("key-file") == true, "\(error)")
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }
}
