/// One message of a component session: the persistent connection of a line-card process
/// (through the `Duplex` library) to the supervisor's component socket. Same framing as the
/// control socket (``ControlFrame``); types 0x20...0x2F from the component, 0xA0...0xAF from
/// `duplexd`.
///
/// ```
/// component                         duplexd
///   register(name, pid)      ->
///                            <-     registered(role, health timeout)
///   heartbeat                ->     (no answer; resets the health timeout)
///                            <-     roleAssigned(role)       on every change
///   quiesced                 ->     (confirms a quiescing role)
///   errorReport(recovery, text) ->  (handled as recommended)
/// ```
public enum ComponentMessage: Sendable, Hashable {
    /// The first message: the component's configured name (`DUPLEX_COMPONENT`) and its pid.
    case register(name: String, pid: Int32)
    /// A health heartbeat.
    case heartbeat
    /// The component finished its in-flight work after a `quiescing` role.
    case quiesced
    /// The component failed and recommends a recovery; `message` is logged.
    case errorReport(RecommendedRecovery, message: String)
    /// The answer to `register`: the current role and the health timeout (nil: none configured).
    case registered(role: Role, healthTimeout: Duration?)
    /// The board's role for components changed: `active`, `standby`, `quiescing` or `quiesced`.
    case roleAssigned(Role)
    /// The registration was refused (unknown name, or a process that is not the component's).
    case refused(String)

    public var type: ControlMessageType {
        switch self {
        case .register: .componentRegister
        case .heartbeat: .componentHeartbeat
        case .quiesced: .componentQuiesced
        case .errorReport: .componentErrorReport
        case .registered: .componentRegistered
        case .roleAssigned: .componentRoleAssigned
        case .refused: .componentRefused
        }
    }

    /// The message's bytes on the wire.
    public func encode() -> [UInt8] {
        var writer = ControlPayloadWriter(reservingCapacity: 16)
        do throws(ControlProtocolError) {
            switch self {
            case .register(let name, let pid):
                try writer.write(String(decoding: name.utf8.prefix(256), as: UTF8.self))
                writer.write(pid)
            case .heartbeat, .quiesced:
                break
            case .errorReport(let recovery, let message):
                writer.write(recovery.rawValue)
                try writer.write(String(decoding: message.utf8.prefix(1024), as: UTF8.self))
            case .registered(let role, let timeout):
                writer.write(role.rawValue)
                writer.writePresence(timeout != nil)
                if let timeout { writer.write(timeout) }
            case .roleAssigned(let role):
                writer.write(role.rawValue)
            case .refused(let reason):
                try writer.write(String(decoding: reason.utf8.prefix(1024), as: UTF8.self))
            }
            return try ControlFrame(type: type, payload: writer.bytes).encode()
        } catch {
            preconditionFailure("component messages are cut to fit a frame: \(error)")
        }
    }

    /// Decodes a component session frame (either direction).
    /// - Throws: `unknownType` for another type, `truncated` or `malformed` for a bad payload.
    public static func decode(_ frame: ControlFrame) throws(ControlProtocolError) -> ComponentMessage {
        var reader = ControlPayloadReader(frame.payload)
        let message: ComponentMessage
        switch frame.type {
        case .componentRegister:
            message = .register(name: try reader.read(String.self), pid: try reader.read(Int32.self))
        case .componentHeartbeat: message = .heartbeat
        case .componentQuiesced: message = .quiesced
        case .componentErrorReport:
            let recovery = try reader.read(RecommendedRecovery.self)
            message = .errorReport(recovery, message: try reader.read(String.self))
        case .componentRegistered:
            let role = try reader.read(Role.self)
            message = .registered(role: role, healthTimeout: try reader.readPresence() ? try reader.read(Duration.self) : nil)
        case .componentRoleAssigned: message = .roleAssigned(try reader.read(Role.self))
        case .componentRefused: message = .refused(try reader.read(String.self))
        case let type:
            throw ControlProtocolError(.unknownType, "\(type) is not a component session message")
        }
        try reader.finish()
        return message
    }
}

extension Role {
    /// The role a component is told: `active`, `quiescing` and `quiesced` as the board's;
    /// `standby` for every role in which the board does not serve.
    public var componentRole: Role {
        switch self {
        case .active, .quiescing, .quiesced: self
        case .starting, .standby, .separated, .blocked, .failed: .standby
        }
    }
}
