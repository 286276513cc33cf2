/// A request from `duplexctl` (or a line-card process) to `duplexd`.
public enum ControlRequest: Sendable, Hashable {
    /// Answered with ``ControlResponse/status(_:)``.
    case status
    /// The most recent `limit` events, oldest first; answered with ``ControlResponse/events(_:)``.
    /// Sent as a UInt32: negative limits are sent as 0, larger ones as UInt32.max.
    case events(limit: Int)
    /// Hand the active role to the mate. Without `force`, the daemon refuses when the mate is
    /// not a hot standby. Answered with ``ControlResponse/ok`` or an error.
    case switchover(force: Bool)
    /// Take this board out of service: it releases the role and never becomes active.
    case lock
    /// Return a locked board to service, as standby.
    case unlock
    /// The supervised components; answered with ``ControlResponse/components(_:)``.
    case components
    /// Every checkpoint; answered with ``ControlResponse/checkpoints(_:)``.
    case checkpoints
    /// One checkpoint and its sections; answered with ``ControlResponse/checkpoints(_:)``.
    case checkpoint(name: String)
    /// Start, stop or restart the component `name`; answered with ``ControlResponse/ok`` or an error.
    case component(ComponentCommand, name: String)
    /// The hardware watchdog; answered with ``ControlResponse/watchdog(_:)``.
    case watchdog
    /// This standby drops its replica's stream and resynchronises in full from the active;
    /// answered with ``ControlResponse/ok`` or an error (not a standby, no mate).
    case resync

    public var type: ControlMessageType {
        switch self {
        case .status: .status
        case .events: .events
        case .switchover: .switchover
        case .lock: .lock
        case .unlock: .unlock
        case .components: .components
        case .checkpoints: .checkpoints
        case .checkpoint: .checkpointShow
        case .component(.start, _): .startComponent
        case .component(.stop, _): .stopComponent
        case .component(.restart, _): .restartComponent
        case .watchdog: .watchdog
        case .resync: .checkpointResync
        }
    }

    /// The request as a frame.
    public var frame: ControlFrame {
        var writer = ControlPayloadWriter(reservingCapacity: 4)
        switch self {
        case .checkpoints:
            break
        case .checkpoint(let name):
            try? writer.write(String(decoding: name.utf8.prefix(Limits.checkpointNameSizeMax), as: UTF8.self))  // cannot throw: 64 bytes fit
        case .status, .lock, .unlock, .components:
            break
        case .events(let limit):
            writer.write(UInt32(clamping: limit))
        case .switchover(let force):
            writer.write(force)
        case .watchdog, .resync:
            break
        case .component(_, let name):
            // Cut to a frame's string limit; a name that long is refused as unknown anyway.
            try? writer.write(String(decoding: name.utf8.prefix(1024), as: UTF8.self))  // cannot throw: 1 KiB fits
        }
        return ControlFrame(type: type, payload: writer.bytes)
    }

    /// The request's bytes on the wire.
    public func encode() -> [UInt8] {
        do {
            return try frame.encode()
        } catch {
            preconditionFailure("a request payload is at most about 1 KiB: \(error)")
        }
    }

    /// Decodes a request frame; the server answers any error with ``ControlResponse/error(_:)``
    /// and may keep the connection, since the frame boundary is intact.
    /// - Throws: `unknownType` for a type this build does not know, `unexpectedType` for a
    ///   response type, `truncated` or `malformed` for a bad payload.
    public static func decode(_ frame: ControlFrame) throws(ControlProtocolError) -> ControlRequest {
        var reader = ControlPayloadReader(frame.payload)
        let request: ControlRequest
        switch frame.type {
        case .status: request = .status
        case .events: request = .events(limit: Int(try reader.read(UInt32.self)))
        case .switchover: request = .switchover(force: try reader.read(Bool.self))
        case .lock: request = .lock
        case .unlock: request = .unlock
        case .components: request = .components
        case .checkpoints: request = .checkpoints
        case .checkpointShow: request = .checkpoint(name: try reader.read(String.self))
        case .startComponent: request = .component(.start, name: try reader.read(String.self))
        case .stopComponent: request = .component(.stop, name: try reader.read(String.self))
        case .restartComponent: request = .component(.restart, name: try reader.read(String.self))
        case .watchdog: request = .watchdog
        case .checkpointResync: request = .resync
        case let type where type.isResponse:
            throw ControlProtocolError(.unexpectedType, "\(type) is not a request")
        case let type:
            throw ControlProtocolError(.unknownType, "unknown request \(type)")
        }
        try reader.finish()
        return request
    }
}
