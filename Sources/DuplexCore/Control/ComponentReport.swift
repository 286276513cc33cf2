/// One supervised component as `duplexctl components` shows it.
public struct ComponentReport: Sendable, Hashable {
    public var name: String
    public var state: ComponentState
    public var role: ComponentRole
    public var critical: Bool
    /// The pid of its running process, if it has one.
    public var pid: Int32?
    /// How long its current process has been running, if it has one.
    public var uptime: Duration?
    /// How long it has been in `state`.
    public var inStateFor: Duration
    /// Restarts since duplexd started.
    public var restarts: UInt64
    public var lastExit: ComponentExit?
    /// How long ago `lastExit` happened.
    public var lastExitAgo: Duration?
    /// How long ago its current process started or last sent a heartbeat; nil without a process.
    public var healthAge: Duration? = nil
    /// The health timeout, if the component is watched for hangs.
    public var healthTimeout: Duration? = nil
    /// Stopped by an operator (`duplexctl stop`).
    public var held: Bool = false

    public init(
        name: String, state: ComponentState, role: ComponentRole = .both, critical: Bool = false, pid: Int32? = nil,
        uptime: Duration? = nil, inStateFor: Duration = .zero, restarts: UInt64 = 0, lastExit: ComponentExit? = nil,
        lastExitAgo: Duration? = nil
    ) {
        self.name = name
        self.state = state
        self.role = role
        self.critical = critical
        self.pid = pid
        self.uptime = uptime
        self.inStateFor = inStateFor
        self.restarts = restarts
        self.lastExit = lastExit
        self.lastExitAgo = lastExitAgo
    }
}

extension ComponentReport {
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        try writer.write(name)
        writer.write(state.rawValue)
        writer.write(role.rawValue)
        writer.write(critical)
        writer.writePresence(pid != nil)
        if let pid { writer.write(pid) }
        writer.writePresence(uptime != nil)
        if let uptime { writer.write(uptime) }
        writer.write(inStateFor)
        writer.write(restarts)
        writer.writePresence(lastExit != nil)
        if let lastExit { lastExit.encode(into: &writer) }
        writer.writePresence(lastExitAgo != nil)
        if let lastExitAgo { writer.write(lastExitAgo) }
        writer.writePresence(healthAge != nil)
        if let healthAge { writer.write(healthAge) }
        writer.writePresence(healthTimeout != nil)
        if let healthTimeout { writer.write(healthTimeout) }
        writer.write(held)
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        name = try reader.read(String.self)
        state = try reader.read(ComponentState.self)
        role = try reader.read(ComponentRole.self)
        critical = try reader.read(Bool.self)
        pid = try reader.readPresence() ? try reader.read(Int32.self) : nil
        uptime = try reader.readPresence() ? try reader.read(Duration.self) : nil
        inStateFor = try reader.read(Duration.self)
        restarts = try reader.read(UInt64.self)
        lastExit = try reader.readPresence() ? try ComponentExit(from: &reader) : nil
        lastExitAgo = try reader.readPresence() ? try reader.read(Duration.self) : nil
        healthAge = try reader.readPresence() ? try reader.read(Duration.self) : nil
        healthTimeout = try reader.readPresence() ? try reader.read(Duration.self) : nil
        held = try reader.read(Bool.self)
    }
}

extension ComponentExit {
    /// A UInt8 kind (1 exited, 2 signalled, 3 start failed) and an Int32 value.
    public func encode(into writer: inout ControlPayloadWriter) {
        switch self {
        case .exited(let status):
            writer.write(UInt8(1))
            writer.write(status)
        case .signalled(let signal):
            writer.write(UInt8(2))
            writer.write(signal)
        case .startFailed(let errno):
            writer.write(UInt8(3))
            writer.write(errno)
        }
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        let kind = try reader.read(UInt8.self)
        let value = try reader.read(Int32.self)
        switch kind {
        case 1: self = .exited(status: value)
        case 2: self = .signalled(signal: value)
        case 3: self = .startFailed(errno: value)
        default: throw ControlProtocolError(.malformed, "\(kind) is not a component exit kind")
        }
    }
}
