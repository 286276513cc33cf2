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
    /// Request: start a component. Payload: string name. Answered with `ok` or `error`.
    public static let startComponent = ControlMessageType(rawValue: 0x11)
    /// Request: stop a component and keep it stopped. Payload: string name.
    public static let stopComponent = ControlMessageType(rawValue: 0x12)
    /// Request: restart a component. Payload: string name.
    public static let restartComponent = ControlMessageType(rawValue: 0x13)
    /// Request: the hardware watchdog (``WatchdogReport``).
    public static let watchdog = ControlMessageType(rawValue: 0x14)
    /// Component session (``ComponentMessage``), from the component: register, heartbeat,
    /// quiesce confirmation, error report.
    public static let componentRegister = ControlMessageType(rawValue: 0x20)
    public static let componentHeartbeat = ControlMessageType(rawValue: 0x21)
    public static let componentQuiesced = ControlMessageType(rawValue: 0x22)
    public static let componentErrorReport = ControlMessageType(rawValue: 0x23)

    /// Request: every checkpoint and the replication state (``CheckpointReport``).
    /// Checkpoint requests use 0x30...0x3F, their responses 0xB0...0xBF.
    public static let checkpoints = ControlMessageType(rawValue: 0x30)
    /// Request: one checkpoint and its sections. Payload: string name.
    public static let checkpointShow = ControlMessageType(rawValue: 0x31)
    /// Request: this standby drops its replica's stream and resynchronises in full. Answered
    /// with `ok` or `error`.
    public static let checkpointResync = ControlMessageType(rawValue: 0x32)
    /// Response to `checkpoints` and `checkpointShow`: a ``CheckpointReport`` (UInt32 length, bytes).
    public static let checkpointReport = ControlMessageType(rawValue: 0xB0)

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
    /// Response to `watchdog`.
    public static let watchdogReport = ControlMessageType(rawValue: 0x94)
    /// Component session, from `duplexd`: registration accepted, role assignment, refusal.
    public static let componentRegistered = ControlMessageType(rawValue: 0xA0)
    public static let componentRoleAssigned = ControlMessageType(rawValue: 0xA1)
    public static let componentRefused = ControlMessageType(rawValue: 0xA2)

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
        case .checkpoints: "checkpoints"
        case .checkpointShow: "checkpoint-show"
        case .checkpointResync: "checkpoint-resync"
        case .checkpointReport: "checkpoint-report"
        case .startComponent: "start-component"
        case .stopComponent: "stop-component"
        case .restartComponent: "restart-component"
        case .watchdog: "watchdog"
        case .watchdogReport: "watchdog-report"
        case .componentRegister: "component-register"
        case .componentHeartbeat: "component-heartbeat"
        case .componentQuiesced: "component-quiesced"
        case .componentErrorReport: "component-error-report"
        case .componentRegistered: "component-registered"
        case .componentRoleAssigned: "component-role-assigned"
        case .componentRefused: "component-refused"
        default: "type 0x" + String(rawValue, radix: 16)
        }
    }
}
