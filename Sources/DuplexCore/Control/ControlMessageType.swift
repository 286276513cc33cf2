/// The type byte of a control frame. Requests have the high bit clear, responses set.
public struct ControlMessageType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Request: the board's ``StatusReport``.
    public static let status = ControlMessageType(rawValue: 0x01)
    /// Request: recent ``EventRecord``s. Payload: UInt32 limit.
    public static let events = ControlMessageType(rawValue: 0x02)
    /// Request: hand the active role to the mate. Payload: UInt8 force flag.
    public static let switchover = ControlMessageType(rawValue: 0x03)
    /// Request: lock this board out of service (it never becomes active).
    public static let lock = ControlMessageType(rawValue: 0x04)
    /// Request: return a locked board to service.
    public static let unlock = ControlMessageType(rawValue: 0x05)

    /// Request: the supervised components (``ComponentReport``). Supervisor requests use 0x10...
    public static let components = ControlMessageType(rawValue: 0x10)

    /// Response to `status`.
    public static let statusReport = ControlMessageType(rawValue: 0x81)
    /// Response to `events`.
    public static let eventList = ControlMessageType(rawValue: 0x82)
    /// Response: the request was carried out.
    public static let ok = ControlMessageType(rawValue: 0x83)
    /// Response: the request failed. Payload: UInt16 code, string message.
    public static let error = ControlMessageType(rawValue: 0x84)
    /// Response to `components`: a UInt16 count and that many ``ComponentReport``s.
    public static let componentList = ControlMessageType(rawValue: 0x90)

    /// Whether the type is in the response half of the space.
    public var isResponse: Bool { rawValue & 0x80 != 0 }

    public var description: String {
        switch self {
        case .status: "status"
        case .events: "events"
        case .switchover: "switchover"
        case .lock: "lock"
        case .unlock: "unlock"
        case .components: "components"
        case .statusReport: "status-report"
        case .eventList: "event-list"
        case .ok: "ok"
        case .error: "error"
        case .componentList: "component-list"
        default: "type 0x" + String(rawValue, radix: 16)
        }
    }
}
