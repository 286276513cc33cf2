/// The answer of `duplexd` to a ``ControlRequest``.
public enum ControlResponse: Sendable, Hashable {
    case status(StatusReport)
    /// At most ``Limits/eventHistoryMax`` records, oldest first.
    case events([EventRecord])
    case ok
    case error(ControlErrorReply)
    /// At most ``Limits/componentsMax`` components, in configuration order.
    case components([ComponentReport])
    /// The checkpoints and the replication state.
    case checkpoints(CheckpointReport)
    case watchdog(WatchdogReport)

    public var type: ControlMessageType {
        switch self {
        case .status: .statusReport
        case .events: .eventList
        case .ok: .ok
        case .error: .error
        case .components: .componentList
        case .checkpoints: .checkpointReport
        case .watchdog: .watchdogReport
        }
    }

    /// The response as a frame.
    /// - Throws: `limitExceeded` for too many paths, addresses, events or components; `messageTooLarge`
    ///   when the payload exceeds ``ControlFrame/payloadSizeMax``.
    public func frame() throws(ControlProtocolError) -> ControlFrame {
        var writer = ControlPayloadWriter()
        switch self {
        case .status(let report):
            try report.encode(into: &writer)
        case .events(let records):
            try writer.writeCount(records.count, max: Limits.eventHistoryMax, of: "events")
            for record in records { try record.encode(into: &writer) }
        case .ok:
            break
        case .error(let reply):
            writer.write(reply.code.rawValue)
            try writer.write(reply.message)
        case .components(let reports):
            try writer.writeCount(reports.count, max: Limits.componentsMax, of: "components")
            for report in reports { try report.encode(into: &writer) }
        case .checkpoints(let report):
            writer.writeBlob(report.encoded())
        case .watchdog(let report):
            try report.encode(into: &writer)
        }
        guard writer.bytes.count <= ControlFrame.payloadSizeMax else {
            throw ControlProtocolError(.messageTooLarge, "\(type) payload of \(writer.bytes.count) bytes")
        }
        return ControlFrame(type: type, payload: writer.bytes)
    }

    /// The response's bytes on the wire.
    /// - Throws: As ``frame()``. A server that gets an error here should answer
    ///   `.error(ControlErrorReply(code: .internalError, ...))` instead (it encodes whenever
    ///   its message is under 64 KiB).
    public func encode() throws(ControlProtocolError) -> [UInt8] {
        try frame().encode()
    }

    /// Decodes a response frame.
    /// - Throws: `unknownType`, `unexpectedType` for a request type, `truncated`, `malformed`
    ///   or `limitExceeded` for a bad payload.
    public static func decode(_ frame: ControlFrame) throws(ControlProtocolError) -> ControlResponse {
        var reader = ControlPayloadReader(frame.payload)
        let response: ControlResponse
        switch frame.type {
        case .statusReport:
            response = .status(try StatusReport(from: &reader))
        case .eventList:
            var records: [EventRecord] = []
            for _ in 0..<(try reader.readCount(max: Limits.eventHistoryMax, of: "events")) {
                records.append(try EventRecord(from: &reader))
            }
            response = .events(records)
        case .ok:
            response = .ok
        case .error:
            let code = ControlErrorReply.Code(rawValue: try reader.read(UInt16.self))
            response = .error(ControlErrorReply(code: code, message: try reader.read(String.self)))
        case .componentList:
            var reports: [ComponentReport] = []
            for _ in 0..<(try reader.readCount(max: Limits.componentsMax, of: "components")) {
                reports.append(try ComponentReport(from: &reader))
            }
            response = .components(reports)
        case .watchdogReport:
            response = .watchdog(try WatchdogReport(from: &reader))
        case .checkpointReport:
            let blob = try reader.readBlob()
            do throws(ReplicationDecodeError) {
                response = .checkpoints(try CheckpointReport(decoding: blob))
            } catch {
                throw ControlProtocolError(.malformed, "checkpoint report: \(error)")
            }
        case let type where !type.isResponse:
            throw ControlProtocolError(.unexpectedType, "\(type) is not a response")
        case let type:
            throw ControlProtocolError(.unknownType, "unknown response \(type)")
        }
        try reader.finish()
        return response
    }
}

/// A refusal or failure reported by `duplexd`.
public struct ControlErrorReply: Sendable, Hashable, CustomStringConvertible {
    /// An open set: codes added by a newer daemon decode as themselves.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt16

        public init(rawValue: UInt16) {
            self.rawValue = rawValue
        }

        /// The request could not be decoded.
        public static let badRequest = Code(rawValue: 1)
        /// The request type is not supported by this daemon.
        public static let unsupported = Code(rawValue: 2)
        /// The request is valid but refused now (switchover to a mate that is not hot, lock of
        /// the only working board); `force` may override.
        public static let refused = Code(rawValue: 3)
        /// Another operation is in progress.
        public static let busy = Code(rawValue: 4)
        /// The daemon failed to carry out the request.
        public static let internalError = Code(rawValue: 5)

        public var description: String {
            switch self {
            case .badRequest: "bad request"
            case .unsupported: "unsupported"
            case .refused: "refused"
            case .busy: "busy"
            case .internalError: "internal error"
            default: "error \(rawValue)"
            }
        }
    }

    public var code: Code
    /// At most a few hundred bytes of operator-facing text.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
