import Testing

@testable import DuplexCore

@Suite struct CheckpointSessionCodecTests {
    static let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 100, sectionSizeMax: 4096)

    static let requests: [SessionRequest] = [
        .open(name: "calls", limits: limits, create: true),
        .open(name: "calls", limits: limits, create: false),
        .write(name: "calls", operations: [.write("a", [1, 2, 3])], sync: true),
        .write(name: "calls", operations: [.write("a", []), .delete("b"), .write(SectionKey([0, 255]), Array(repeating: 7, count: 4096))], sync: false),
        .read(name: "calls", key: "a"),
        .sections(name: "calls", after: nil, countMax: 100),
        .sections(name: "calls", after: "m", countMax: 1),
        .flush,
        .remove(name: "calls"),
        .sharedRings(capacity: SessionRings.defaultCapacity),
        .sharedRings(capacity: 64 * 1024),
    ]

    static let responses: [SessionResponse] = [
        .opened(CheckpointInfo(
            name: "calls", limits: limits, sequence: 42, size: 1000, sectionCount: 7, role: .active, isWritable: true,
            isReplicaHot: false)),
        .opened(CheckpointInfo(
            name: "x", limits: limits, sequence: 0, size: 0, sectionCount: 0, role: .standby, isWritable: false,
            isReplicaHot: true)),
        .written(sequence: 9, replicated: true),
        .written(sequence: 10, replicated: false),
        .section(nil),
        .section([]),
        .section([9, 8, 7]),
        .sections([SessionSection(key: "a", bytes: [1]), SessionSection(key: "b", bytes: [])], more: true),
        .sections([], more: false),
        .flushed(sequence: 77, replicated: false),
        .removed(sequence: 78),
        .ringsReady,
        .failed(SessionError(.notActive, message: "this board is standby")),
        .failed(SessionError(.unconfirmed, sequence: 12)),
        .failed(SessionError(
            .invalid,
            checkpointError: CheckpointError(
                .sectionTooLarge, checkpoint: "calls", key: "big", value: 5000, limit: 4096, detail: "d"))),
        .failed(SessionError(.invalid, checkpointError: CheckpointError(.noSuchCheckpoint, checkpoint: "nope"))),
    ]

    /// Splits one frame into header and payload, checking the header.
    static func decodeFrame(_ bytes: [UInt8]) throws -> (SessionHeader, [UInt8]) {
        let header = try bytes.withUnsafeBytes { try SessionHeader.parse($0) }
        let parsed = try #require(header)
        #expect(parsed.length == bytes.count)
        return (parsed, Array(bytes[SessionHeader.size...]))
    }

    @Test(arguments: requests.indices)
    func requestRoundTrip(_ index: Int) throws {
        let request = Self.requests[index]
        var bytes: [UInt8] = [0xEE]
        try request.encode(request: 0xABCD_0123, into: &bytes)
        #expect(bytes.first == 0xEE)
        let (header, payload) = try Self.decodeFrame(Array(bytes.dropFirst()))
        #expect(header.request == 0xABCD_0123)
        #expect(header.type == request.type)
        #expect(!header.type.isResponse)
        let decoded = try payload.withUnsafeBytes { try SessionRequest(type: header.type, payload: $0) }
        #expect(decoded == request)
    }

    @Test(arguments: responses.indices)
    func responseRoundTrip(_ index: Int) throws {
        let response = Self.responses[index]
        var bytes: [UInt8] = []
        response.encode(request: 5, into: &bytes)
        let (header, payload) = try Self.decodeFrame(bytes)
        #expect(header.request == 5)
        #expect(header.type.isResponse)
        let decoded = try payload.withUnsafeBytes { try SessionResponse(type: header.type, payload: $0) }
        #expect(decoded == response)
    }

    @Test func singleWriteEncodesAsAWriteRequest() throws {
        var fast: [UInt8] = []
        try SessionRequest.encodeWrite(request: 3, name: "c", key: "k", bytes: [1, 2], sync: false, into: &fast)
        var general: [UInt8] = []
        try SessionRequest.write(name: "c", operations: [.write("k", [1, 2])], sync: false).encode(request: 3, into: &general)
        #expect(fast == general)
    }

    @Test func oversizedWriteIsRefusedAndLeavesTheBufferAlone() {
        var bytes: [UInt8] = [1, 2, 3]
        let big = Array(repeating: UInt8(0), count: SessionHeader.frameSizeMax)
        #expect(throws: ReplicationDecodeError.tooLarge) {
            try SessionRequest.encodeWrite(request: 1, name: "c", key: "k", bytes: big, sync: true, into: &bytes)
        }
        #expect(throws: ReplicationDecodeError.tooLarge) {
            try SessionRequest.write(name: "c", operations: [.write("a", big)], sync: true).encode(request: 1, into: &bytes)
        }
        #expect(bytes == [1, 2, 3])
    }

    @Test func headerRejectsBadFraming() {
        func parse(_ bytes: [UInt8]) throws(ReplicationDecodeError) -> SessionHeader? {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(ReplicationDecodeError) in try SessionHeader.parse(raw) }
            }
            return try result.get()
        }
        #expect((try? parse([0, 0, 0])) == .some(nil))
        #expect(throws: ReplicationDecodeError.badLength) { try parse([0, 0, 0, 4, 0x43, 0x50, 1, 1, 0, 0, 0, 0]) }
        #expect(throws: ReplicationDecodeError.tooLarge) { try parse([0, 2, 0, 0, 0x43, 0x50, 1, 1, 0, 0, 0, 0]) }
        #expect(throws: ReplicationDecodeError.badMagic) { try parse([0, 0, 0, 12, 0x44, 0x43, 1, 1, 0, 0, 0, 0]) }
        #expect(throws: ReplicationDecodeError.unsupportedVersion) {
            try parse([0, 0, 0, 12, 0x43, 0x50, 2, 1, 0, 0, 0, 0])
        }
    }

    @Test func writeWithCreateOrUnknownOperationIsRejected() {
        // mode 0, name "c", one operation of kind 1 (create).
        let payload: [UInt8] = [0, 1, 0x63, 0, 1, 1]
        let result = payload.withUnsafeBytes { raw in
            Result { () throws(ReplicationDecodeError) in try SessionRequest(type: .write, payload: raw) }
        }
        #expect(throws: ReplicationDecodeError.unknownOperation) { try result.get() }
    }

    /// Random and mutated payloads never trap; every outcome is a value or a decode error.
    @Test func garbageNeverTraps() {
        var random = TestRandom(seed: 0xC0FFEE)
        var samples: [[UInt8]] = []
        for request in Self.requests {
            var bytes: [UInt8] = []
            try? request.encode(request: 1, into: &bytes)  // every sample fits
            samples.append(Array(bytes[SessionHeader.size...]))
        }
        for _ in 0..<2_000 {
            var payload = samples[Int(random.next() % UInt64(samples.count))]
            if payload.isEmpty || random.next() % 4 == 0 {
                payload = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                let index = Int(random.next() % UInt64(payload.count))
                payload[index] = UInt8(truncatingIfNeeded: random.next())
                if random.next() % 3 == 0 { payload.removeLast(Int(random.next() % UInt64(payload.count))) }
            }
            let type = SessionMessageType(rawValue: UInt8(truncatingIfNeeded: random.next() % 8))
            let responseType = SessionMessageType(rawValue: 0x80 | UInt8(truncatingIfNeeded: random.next() % 8))
            payload.withUnsafeBytes { raw in
                _ = try? SessionRequest(type: type, payload: raw)  // an error is the expected outcome
                _ = try? SessionResponse(type: responseType, payload: raw)  // likewise
                _ = try? SessionResponse(type: .failed, payload: raw)  // likewise
            }
        }
    }

    @Test func sharedRingsTakeOnlyAPowerOfTwoWithinTheBounds() throws {
        for capacity in [SessionRings.capacityRange.lowerBound / 2, 3 * 64 * 1024, SessionRings.capacityRange.upperBound * 2] {
            var bytes: [UInt8] = [1, 2]
            #expect(throws: ReplicationDecodeError.overLimit) {
                try SessionRequest.sharedRings(capacity: capacity).encode(request: 1, into: &bytes)
            }
            #expect(bytes == [1, 2], "the buffer as it was")
            // The same capacity, encoded by hand, is refused by the decoder.
            let payload = withUnsafeBytes(of: UInt32(capacity).bigEndian) { Array($0) }
            #expect(throws: ReplicationDecodeError.overLimit) {
                try payload.withUnsafeBytes { _ = try SessionRequest(type: .sharedRings, payload: $0) }
            }
        }
        #expect(SessionRings.regionSize(capacity: SessionRings.defaultCapacity) == 4096 + 2 * SessionRings.defaultCapacity)
    }
}
