/// One message on the control socket (a Unix stream socket).
///
/// ```
/// UInt32 length   bytes that follow this field (4 + payload), big-endian
/// UInt16 magic    0x4443 ("DC")
/// UInt8  version  1
/// UInt8  type     ControlMessageType
/// ...    payload
/// ```
/// A whole frame is at most ``Limits/controlMessageSizeMax`` bytes.
public struct ControlFrame: Sendable, Hashable {
    public static let magic: UInt16 = 0x4443
    public static let version: UInt8 = 1
    /// Length, magic, version and type.
    public static let headerSize = 8
    /// The largest payload that fits in ``Limits/controlMessageSizeMax``.
    public static let payloadSizeMax = Limits.controlMessageSizeMax - headerSize

    public var type: ControlMessageType
    public var payload: [UInt8]

    public init(type: ControlMessageType, payload: [UInt8] = []) {
        self.type = type
        self.payload = payload
    }

    /// The frame's bytes on the wire.
    /// - Throws: `messageTooLarge` when the payload exceeds ``payloadSizeMax``.
    public func encode() throws(ControlProtocolError) -> [UInt8] {
        guard payload.count <= Self.payloadSizeMax else {
            throw ControlProtocolError(.messageTooLarge, "payload of \(payload.count) bytes exceeds \(Self.payloadSizeMax)")
        }
        var writer = ControlPayloadWriter(reservingCapacity: Self.headerSize + payload.count)
        writer.write(UInt32(4 + payload.count))
        writer.write(Self.magic)
        writer.write(Self.version)
        writer.write(type.rawValue)
        var bytes = writer.bytes
        bytes.append(contentsOf: payload)
        assert(bytes.count == Self.headerSize + payload.count, "frame size")
        return bytes
    }

    /// Decodes exactly one frame that fills `bytes`.
    /// - Throws: Any header error, `truncated` when bytes are missing, `malformed` when some
    ///   are left over.
    public static func decode(_ bytes: [UInt8]) throws(ControlProtocolError) -> ControlFrame {
        var decoder = ControlFrameDecoder()
        decoder.append(bytes)
        guard let frame = try decoder.nextFrame() else {
            throw ControlProtocolError(.truncated, "\(bytes.count) bytes hold no whole frame")
        }
        guard decoder.bufferedByteCount == 0 else {
            throw ControlProtocolError(.malformed, "\(decoder.bufferedByteCount) bytes after the frame")
        }
        return frame
    }

    /// Checks the fixed header fields that are available in `prefix` (any length).
    /// - Returns: The frame's total size once the length field is available, else nil.
    static func validateHeader(_ prefix: ArraySlice<UInt8>) throws(ControlProtocolError) -> Int? {
        guard prefix.count >= 4 else { return nil }
        let base = prefix.startIndex
        let length = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(prefix[base + $1]) }
        guard length >= 4 else {
            throw ControlProtocolError(.messageTooShort, "length \(length) is below the 4-byte header")
        }
        guard length <= UInt32(Limits.controlMessageSizeMax - 4) else {
            throw ControlProtocolError(.messageTooLarge, "length \(length) exceeds \(Limits.controlMessageSizeMax - 4)")
        }
        if prefix.count >= 6 {
            let magic = UInt16(prefix[base + 4]) << 8 | UInt16(prefix[base + 5])
            guard magic == Self.magic else {
                throw ControlProtocolError(.badMagic, "magic 0x\(String(magic, radix: 16)) is not 0x4443")
            }
        }
        if prefix.count >= 7, prefix[base + 6] != Self.version {
            throw ControlProtocolError(.badVersion, "version \(prefix[base + 6]) is not \(Self.version)")
        }
        return Int(length) + 4
    }
}
