import DuplexCore
import Testing

@Suite struct ControlFrameDecoderTests {
    @Test func dripFeedOneByteAtATime() throws {
        let stream = ControlSamples.encodings.flatMap { $0 }
        var decoder = ControlFrameDecoder()
        var frames: [ControlFrame] = []
        for byte in stream {
            decoder.append(CollectionOfOne(byte))
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        }
        #expect(frames == ControlSamples.encodings.map { try! ControlFrame.decode($0) })
        #expect(decoder.bufferedByteCount == 0 && !decoder.hasPartialFrame)
        let requests = try frames.prefix(ControlSamples.requests.count).map(ControlRequest.decode)
        #expect(requests == ControlSamples.requests)
        let responses = try frames.dropFirst(ControlSamples.requests.count).map(ControlResponse.decode)
        #expect(responses == ControlSamples.responses)
    }

    @Test func randomPiecesGiveTheSameFrames() throws {
        let stream = ControlSamples.encodings.flatMap { $0 }
        let expected = ControlSamples.encodings.map { try! ControlFrame.decode($0) }
        var random = TestRandom(seed: 7)
        for _ in 0..<200 {
            var decoder = ControlFrameDecoder()
            var frames: [ControlFrame] = []
            var offset = 0
            while offset < stream.count {
                let piece = min(stream.count - offset, 1 + Int(random.next() % 300))
                stream.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + piece])) }
                offset += piece
                while let frame = try decoder.nextFrame() { frames.append(frame) }
            }
            #expect(frames == expected)
        }
    }

    @Test func anOversizedLengthIsRefusedBeforeTheBodyArrives() {
        var decoder = ControlFrameDecoder()
        decoder.append([0x7F, 0xFF, 0xFF])
        #expect(throws: Never.self) { try decoder.nextFrame() }
        decoder.append([0xFF])
        #expect(ControlProtocolTests.code { try decoder.nextFrame() } == .messageTooLarge)
        // Failed for good: the connection must be closed.
        decoder.append(ControlRequest.status.encode())
        #expect(ControlProtocolTests.code { try decoder.nextFrame() } == .messageTooLarge)
    }

    @Test func badMagicIsRefusedAsSoonAsItArrives() {
        var decoder = ControlFrameDecoder()
        decoder.append([0, 0, 0, 4, 0x47])
        #expect(throws: Never.self) { try decoder.nextFrame() }
        decoder.append([0x45])  // "GE": an HTTP request on the wrong socket
        #expect(ControlProtocolTests.code { try decoder.nextFrame() } == .badMagic)
    }

    /// Random bytes, random frames with valid headers, and bit flips of valid messages: every
    /// decoder throws or returns, none traps.
    @Test func garbageNeverTraps() {
        var random = TestRandom(seed: 0xD0_0B1E)
        var outcomes = (decoded: 0, refused: 0)
        let samples = ControlSamples.encodings
        for round in 0..<4_000 {
            let bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = random.bytes(Int(random.next() % 64))
            case 1:
                let payload = random.bytes(Int(random.next() % 200))
                let type = UInt8(truncatingIfNeeded: random.next())
                bytes = ControlProtocolTests.bigEndian(UInt32(4 + payload.count)) + [0x44, 0x43, 1, type] + payload
            default:
                var mutated = samples[Int(random.next() % UInt64(samples.count))]
                for _ in 0..<(1 + random.next() % 4) {
                    let index = Int(random.next() % UInt64(mutated.count))
                    mutated[index] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
                }
                bytes = mutated
            }
            if Self.decodesWithoutTrapping(bytes) { outcomes.decoded += 1 } else { outcomes.refused += 1 }
        }
        #expect(outcomes.refused > 1_000)
        #expect(outcomes.decoded + outcomes.refused == 4_000)
    }

    /// Runs every decoder over `bytes`; true when some message came out.
    static func decodesWithoutTrapping(_ bytes: [UInt8]) -> Bool {
        var decoder = ControlFrameDecoder()
        decoder.append(bytes)
        do {
            guard let frame = try decoder.nextFrame() else { return false }
            let request = try? ControlRequest.decode(frame)  // either half may refuse: both are tried
            let response = try? ControlResponse.decode(frame)
            if let response {
                // What decodes must encode again to the same frame.
                #expect(try response.frame() == frame)
            }
            return request != nil || response != nil
        } catch {
            return false
        }
    }
}
