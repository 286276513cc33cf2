/// Cuts a byte stream from the control socket into frames. Bytes may arrive in any pieces;
/// header fields are checked as soon as they arrive, so an oversized or foreign frame is
/// refused before its body is buffered.
///
/// ```swift
/// decoder.append(bytesJustRead)
/// while let frame = try decoder.nextFrame() { handle(frame) }
/// ```
/// After an error the decoder stays failed (every call rethrows it): close the connection.
/// The buffer holds at most one partial frame plus what was appended since the last drain, so
/// drain after every append.
public struct ControlFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: ControlProtocolError?

    public init() {}

    /// Bytes appended and not yet returned in a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether part of a frame is buffered: a peer that closes now has truncated a message.
    public var hasPartialFrame: Bool { bufferedByteCount > 0 }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil when more bytes are needed.
    /// - Throws: A header error (bad magic, version or length); then the same error forever.
    public mutating func nextFrame() throws(ControlProtocolError) -> ControlFrame? {
        if let failure { throw failure }
        let pending = buffer[start...]
        let size: Int?
        do {
            size = try ControlFrame.validateHeader(pending)
        } catch {
            failure = error
            throw error
        }
        guard let size, pending.count >= size else { return nil }
        assert(size >= ControlFrame.headerSize && size <= Limits.controlMessageSizeMax, "validated size")
        let type = ControlMessageType(rawValue: pending[start + 7])
        let payload = Array(pending[(start + ControlFrame.headerSize)..<(start + size)])
        start += size
        return ControlFrame(type: type, payload: payload)
    }

    /// Drops consumed bytes once they are most of the buffer, so appends stay amortised O(n).
    private mutating func compact() {
        guard start > 0, start >= buffer.count / 2 else { return }
        buffer.removeSubrange(0..<start)
        start = 0
    }
}
