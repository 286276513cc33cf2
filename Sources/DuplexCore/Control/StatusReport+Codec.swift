extension StatusReport {
    /// Appends the report's fields in declaration order.
    /// - Throws: `limitExceeded` when paths or addresses exceed their ``Limits``.
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        writer.write(clusterID)
        writer.write(boardID)
        try writer.write(name)
        writer.write(role.rawValue)
        writer.write(unitState.rawValue)
        writer.write(epoch)
        writer.write(priority)
        writer.write(uptime)
        writer.writePresence(mate != nil)
        try mate?.encode(into: &writer)
        try writer.writeCount(paths.count, max: Limits.linksMax, of: "paths")
        for path in paths { try path.encode(into: &writer) }
        try writer.writeCount(addresses.count, max: Limits.addressesMax, of: "addresses")
        for address in addresses { try address.encode(into: &writer) }
        writer.writePresence(lastRoleChange != nil)
        try lastRoleChange?.encode(into: &writer)
        writer.write(counters.malformedFrames)
        writer.write(counters.foreignFrames)
        writer.write(counters.heartbeatGaps)
        writer.write(counters.rotating)
        writer.write(counters.quiet)
        writer.write(counters.unauthenticatedFrames)
        writer.writePresence(checkpoints != nil)
        if let checkpoints { writer.writeBlob(checkpoints.encoded()) }
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        clusterID = try reader.read(UInt32.self)
        boardID = try reader.read(UInt16.self)
        name = try reader.read(String.self)
        role = try reader.read(Role.self)
        unitState = try reader.read(UnitState.self)
        epoch = try reader.read(UInt64.self)
        priority = try reader.read(UInt8.self)
        uptime = try reader.read(Duration.self)
        mate = try reader.readPresence() ? try MateReport(from: &reader) : nil
        paths = []
        for _ in 0..<(try reader.readCount(max: Limits.linksMax, of: "paths")) {
            paths.append(try PathReport(from: &reader))
        }
        addresses = []
        for _ in 0..<(try reader.readCount(max: Limits.addressesMax, of: "addresses")) {
            addresses.append(try AddressReport(from: &reader))
        }
        lastRoleChange = try reader.readPresence() ? try RoleChangeReport(from: &reader) : nil
        counters = Counters(
            malformedFrames: try reader.read(UInt64.self), foreignFrames: try reader.read(UInt64.self),
            heartbeatGaps: try reader.read(UInt64.self), rotating: try reader.read(Bool.self),
            quiet: try reader.read(Bool.self), unauthenticatedFrames: try reader.read(UInt64.self))
        checkpoints = try reader.readPresence() ? try CheckpointSyncReport(blob: try reader.readBlob()) : nil
    }
}

extension MateReport {
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        writer.write(boardID)
        writer.writePresence(name != nil)
        if let name { try writer.write(name) }
        writer.write(role.rawValue)
        writer.write(unitState.rawValue)
        writer.write(epoch)
        writer.write(priority)
        writer.write(lastHeardAgo)
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        boardID = try reader.read(UInt16.self)
        name = try reader.readPresence() ? try reader.read(String.self) : nil
        role = try reader.read(Role.self)
        unitState = try reader.read(UnitState.self)
        epoch = try reader.read(UInt64.self)
        priority = try reader.read(UInt8.self)
        lastHeardAgo = try reader.read(Duration.self)
    }
}

extension PathReport {
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        try writer.write(name)
        writer.write(kind.rawValue)
        try writer.write(interface)
        writer.write(isUp)
        writer.write(hasCarrier)
        writer.writePresence(roundTripTime != nil)
        if let roundTripTime { writer.write(roundTripTime) }
        writer.writePresence(lastHeardAgo != nil)
        if let lastHeardAgo { writer.write(lastHeardAgo) }
        writer.write(framesSent)
        writer.write(framesReceived)
        writer.write(framesRejected)
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        name = try reader.read(String.self)
        kind = try reader.read(Kind.self)
        interface = try reader.read(String.self)
        isUp = try reader.read(Bool.self)
        hasCarrier = try reader.read(Bool.self)
        roundTripTime = try reader.readPresence() ? try reader.read(Duration.self) : nil
        lastHeardAgo = try reader.readPresence() ? try reader.read(Duration.self) : nil
        framesSent = try reader.read(UInt64.self)
        framesReceived = try reader.read(UInt64.self)
        framesRejected = try reader.read(UInt64.self)
    }
}

extension AddressReport {
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        try writer.write(name)
        writer.write(address)
        try writer.write(interface)
        writer.write(isHeld)
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        name = try reader.read(String.self)
        address = try reader.read(InterfaceAddress.self)
        interface = try reader.read(String.self)
        isHeld = try reader.read(Bool.self)
    }
}

extension RoleChangeReport {
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        writer.write(ago)
        writer.write(from.rawValue)
        writer.write(to.rawValue)
        try writer.write(reason)
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        ago = try reader.read(Duration.self)
        from = try reader.read(Role.self)
        to = try reader.read(Role.self)
        reason = try reader.read(String.self)
    }
}

extension EventRecord {
    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        writer.write(time)
        try writer.write(kind)
        try writer.write(message)
        writer.write(epoch)
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        time = try reader.read(UInt64.self)
        kind = try reader.read(String.self)
        message = try reader.read(String.self)
        epoch = try reader.read(UInt64.self)
    }
}
