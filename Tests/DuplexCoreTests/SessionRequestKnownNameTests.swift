import DuplexCore
import Testing

/// Decoding a write with the name of the previous one: the same string, or a new one when the
/// bytes differ; an invalid name is refused either way.
@Suite("SessionRequest known name")
struct SessionRequestKnownNameTests {
    /// The payload of an encoded write frame.
    func payload(name: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try SessionRequest.encodeWrite(request: 7, name: name, key: "k", bytes: [1, 2, 3], sync: false, into: &bytes)
        return Array(bytes[SessionHeader.size...])
    }

    func decode(_ payload: [UInt8], knownName: String?) throws -> SessionRequest {
        let result = payload.withUnsafeBytes { raw in
            Result { () throws(ReplicationDecodeError) in try SessionRequest(type: .write, payload: raw, knownName: knownName) }
        }
        return try result.get()
    }

    @Test func aKnownNameDecodesAsTheSameWrite() throws {
        let bytes = try payload(name: "calls")
        for known in [nil, "calls", "call", "callsx", "other"] {
            let request = try decode(bytes, knownName: known)
            #expect(request == .write(name: "calls", operations: [.write("k", [1, 2, 3])], sync: false), "known \(String(describing: known))")
        }
    }

    @Test func anInvalidNameIsRefusedWhateverIsKnown() throws {
        var bytes = try payload(name: "ab")
        // flag, then the name's length and bytes: make the name invalid UTF-8.
        bytes[2] = 0xFF
        for known in [nil, "ab", "a\u{FF}"] {
            #expect(throws: ReplicationDecodeError.invalidName) { try decode(bytes, knownName: known) }
        }
    }
}
