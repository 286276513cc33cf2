import Testing

@testable import DuplexCore

@Suite struct PairFrameTests {
    static func sample(kind: PairFrame.Kind = .heartbeat) -> PairFrame {
        PairFrame(
            kind: kind, cluster: 7, sender: 2, flags: [.hot, .isolationOK, .rotating], epoch: 0x0102_0304_0506_0708,
            sequence: 42, incarnation: 0xDEAD_BEEF, role: .standby, priority: 100, path: 1,
            sentAt: Instant(nanoseconds: 123_456_789), echoSentAt: Instant(nanoseconds: 99),
            echoHold: .microseconds(15), mateIncarnation: 0x0102_0304, pathsUp: 0b0101,
            persistedSequence: 0x1112_1314_1516_1718, interval: .milliseconds(4), missedHeartbeatsMax: 3,
            capabilities: .thisBuild)
    }

    func encode(_ frame: PairFrame) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAA, count: PairFrame.size)
        let written = bytes.withUnsafeMutableBytes { frame.encode(into: $0) }
        #expect(written == PairFrame.size)
        return bytes
    }

    @Test func crc32cKnownVector() {
        // RFC 3720 §B.4: 32 bytes of zeros.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test(arguments: [PairFrame.Kind.heartbeat, .handover, .goodbye])
    func roundTrip(kind: PairFrame.Kind) throws {
        let frame = Self.sample(kind: kind)
        let bytes = encode(frame)
        let decoded = try bytes.withUnsafeBytes { try PairFrame.decode($0).get() }
        #expect(decoded == frame)
    }

    /// Every known flag survives the codec, each at its bit of the big-endian flags field.
    @Test func everyKnownFlagRoundTrips() throws {
        let bits: [(PairFrame.Flags, UInt16)] = [
            (.hot, 1), (.isolationOK, 2), (.handoverOffered, 4), (.preemptRequested, 8), (.rotating, 16),
            (.everyPathRequested, 32), (.quiet, 64), (.stateDamaged, 128),
        ]
        for (flag, bit) in bits {
            var frame = Self.sample()
            frame.flags = flag
            let bytes = encode(frame)
            #expect(UInt16(bytes[10]) << 8 | UInt16(bytes[11]) == bit)
            #expect(try bytes.withUnsafeBytes { try PairFrame.decode($0).get() }.flags == flag)
        }
    }

    @Test func layoutIsBigEndianAndFixed() {
        let bytes = encode(Self.sample())
        #expect(bytes[0] == 0x44 && bytes[1] == 0x58)  // "DX"
        #expect(bytes[2] == 4)  // version
        #expect(Array(bytes[4..<8]) == [0, 0, 0, 7])  // cluster
        #expect(Array(bytes[12..<20]) == [1, 2, 3, 4, 5, 6, 7, 8])  // epoch
        #expect(Array(bytes[10..<12]) == [0, 0x13])  // flags: hot, isolation OK, rotating
        #expect(bytes[35] == 0b0101)  // paths up: 0 and 2
        #expect(Array(bytes[56..<60]) == [1, 2, 3, 4])  // the mate's incarnation
        #expect(Array(bytes[60..<68]) == [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18])  // persisted sequence
        #expect(Array(bytes[68..<72]) == [0, 0, 0x0F, 0xA0])  // interval: 4,000 µs
        #expect(bytes[72] == 3)  // missed-heartbeat limit
        #expect(bytes[73] == 0b111)  // capabilities: reassembles segments, resumes streams
        #expect(Array(bytes[74..<76]) == [0, 0])  // reserved
        #expect(PairFrame.size == 80)
    }

    /// A frame of a build before capabilities (byte 73 sent as 0) says it can do none of them;
    /// bits a later build may add are kept, not refused.
    @Test func capabilitiesOfOlderAndNewerBuilds() throws {
        var older = Self.sample()
        older.capabilities = []
        var bytes = encode(older)
        #expect(bytes[73] == 0)
        #expect(try bytes.withUnsafeBytes { try PairFrame.decode($0).get() }.capabilities == [])
        bytes[73] = 0b1000_0001
        let crc = CRC32C.checksum(Array(bytes[0..<76]))
        bytes[76..<80] = [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        let newer = try bytes.withUnsafeBytes { try PairFrame.decode($0).get() }
        #expect(newer.capabilities.contains(.reassemblesSegments) && newer.capabilities.rawValue == 0b1000_0001)
    }

    @Test func paddingIsIgnored() throws {
        var bytes = encode(Self.sample())
        bytes += [UInt8](repeating: 0, count: 30)
        let decoded = try bytes.withUnsafeBytes { try PairFrame.decode($0).get() }
        #expect(decoded == Self.sample())
    }

    @Test func rejectsEachKindOfDamage() {
        let good = encode(Self.sample())
        func decode(_ bytes: [UInt8]) -> PairFrame.DecodeError? {
            bytes.withUnsafeBytes {
                if case .failure(let error) = PairFrame.decode($0) { return error }
                return nil
            }
        }
        #expect(decode(Array(good.prefix(PairFrame.size - 1))) == .truncated)
        var bad = good
        bad[0] = 0
        #expect(decode(bad) == .badMagic)
        bad = good
        bad[2] = 9
        #expect(decode(bad) == .unsupportedVersion)
        bad = good
        bad[20] ^= 0x01
        #expect(decode(bad) == .badChecksum)
    }

    /// Fields the checksum covers but the decoder must still validate (a sender with a bug).
    @Test func rejectsUnknownValuesWithAValidChecksum() {
        func reencode(_ mutate: (inout [UInt8]) -> Void) -> PairFrame.DecodeError? {
            var bytes = encode(Self.sample())
            mutate(&bytes)
            let crc = CRC32C.checksum(Array(bytes[0..<76]))
            bytes[76] = UInt8(crc >> 24)
            bytes[77] = UInt8((crc >> 16) & 0xFF)
            bytes[78] = UInt8((crc >> 8) & 0xFF)
            bytes[79] = UInt8(crc & 0xFF)
            return bytes.withUnsafeBytes {
                if case .failure(let error) = PairFrame.decode($0) { return error }
                return nil
            }
        }
        #expect(reencode { $0[3] = 99 } == .unknownKind)
        #expect(reencode { $0[32] = 99 } == .unknownRole)
        #expect(reencode { $0[10] = 0x80 } == .unknownFlags)
        #expect(reencode { $0[35] = 0x10 } == .unknownPaths, "a path bit beyond linksMax")
    }

    /// Seeded garbage and bit flips never trap and are never accepted with a bad checksum.
    @Test func garbageNeverTraps() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let good = encode(Self.sample())
        var accepted = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(next() % 80)).map { _ in UInt8(truncatingIfNeeded: next()) }
            } else {
                bytes = good
                bytes[Int(next() % 64)] ^= UInt8(truncatingIfNeeded: next() | 1)
            }
            if case .success = bytes.withUnsafeBytes({ PairFrame.decode($0) }) { accepted += 1 }
        }
        #expect(accepted == 0)
    }
}

@Suite struct TimeTests {
    @Test(arguments: [
        ("4ms", UInt64(4_000_000)), ("500us", 500_000), ("2s", 2_000_000_000), ("1500ns", 1500),
        ("1.5s", 1_500_000_000), ("0.25ms", 250_000),
    ])
    func parsesDurations(text: String, nanoseconds: UInt64) {
        #expect(Duration(parsing: text)?.nanoseconds == nanoseconds)
    }

    @Test(arguments: ["", "ms", "4", "4xs", "-1ms", "1.ms", "4 ms", "99999999999999999999s"])
    func rejectsBadDurations(text: String) {
        #expect(Duration(parsing: text) == nil)
    }

    @Test func arithmeticSaturates() {
        #expect(Instant(nanoseconds: 5).since(Instant(nanoseconds: 9)) == .zero)
        #expect((Instant(nanoseconds: .max) + .seconds(1)).nanoseconds == .max)
        #expect((Duration.milliseconds(1) - .milliseconds(2)) == .zero)
        #expect(Duration.milliseconds(4) * 3 == .milliseconds(12))
    }

    @Test func limitsAgree() {
        #expect(PairActions.capacity == Limits.pendingActionsMax)
        #expect(PairFrame.size <= Limits.frameSizeMax)
        #expect(PairFrame.size >= Limits.ethernetPayloadMin)
        // One step can send on every path twice (a role change and a handover) and trace
        // every path change, the degraded alarm and the role change.
        #expect(Limits.pendingActionsMax >= 4 * Limits.linksMax + 8)
        #expect(Limits.actuatorQueueMax >= 2)
        #expect(Limits.traceRingMax >= 4 * Limits.pendingActionsMax)
    }

    @Test func roleTableIsClosed() {
        for role in Role.allCases {
            let targets = Role.allowed[role]
            #expect(targets != nil, "every role has a row")
            #expect(targets?.contains(role) == false, "no self transitions")
        }
        #expect(Role.active.canChange(to: .quiescing))
        #expect(!Role.standby.canChange(to: .quiesced))
        #expect(!Role.blocked.canChange(to: .active))
    }
}
