import DuplexCore
import Testing

/// Sample messages shared by the control protocol tests.
enum ControlSamples {
    static let fullStatus = StatusReport(
        clusterID: 7, boardID: 1, name: "A", role: .active, unitState: .working, epoch: 12, priority: 200,
        uptime: .seconds(11_525),
        mate: MateReport(boardID: 2, name: "B", role: .standby, unitState: .spare, epoch: 12, priority: 100,
                         lastHeardAgo: .microseconds(3_100)),
        paths: [
            PathReport(name: "bp0", kind: .ethernet, interface: "bp0", isUp: true, hasCarrier: true,
                       roundTripTime: .microseconds(84), lastHeardAgo: .milliseconds(2), framesSent: 1_000_000,
                       framesReceived: 999_998, framesRejected: 2),
            PathReport(name: "bp1", kind: .ethernet, interface: "bp1", isUp: false, hasCarrier: false),
            PathReport(name: "lan", kind: .udp, interface: "", isUp: true, hasCarrier: true,
                       roundTripTime: .microseconds(213), lastHeardAgo: .milliseconds(1), framesSent: UInt64.max),
        ],
        addresses: [
            AddressReport(name: "vip4", address: InterfaceAddress(parsing: "198.51.100.10/24")!, interface: "lan0", isHeld: true),
            AddressReport(name: "vip6", address: InterfaceAddress(parsing: "2001:db8::10/64")!, interface: "lan0", isHeld: false),
        ],
        lastRoleChange: RoleChangeReport(ago: .seconds(724), from: .standby, to: .active, reason: "mate lost on every path — ünïcode"),
        counters: StatusReport.Counters(malformedFrames: 3, foreignFrames: 4, heartbeatGaps: 5, rotating: true)
    )

    static let minimalStatus = StatusReport(
        clusterID: 1, boardID: 65535, name: "", role: .starting, unitState: .starting, epoch: 0, priority: 0,
        uptime: .zero)

    static let events = [
        EventRecord(time: 1_714_564_800_123_000_000, kind: "role", message: "standby -> active: mate lost", epoch: 12),
        EventRecord(time: 0, kind: "path", message: "bp1 down (carrier lost)\n\"quoted\"", epoch: 11),
        EventRecord(time: UInt64.max, kind: "", message: "", epoch: UInt64.max),
    ]

    static let requests: [ControlRequest] = [
        .status, .events(limit: 20), .events(limit: 0), .switchover(force: false), .switchover(force: true),
        .lock, .unlock, .resync,
    ]

    static let responses: [ControlResponse] = [
        .status(fullStatus), .status(minimalStatus), .events(events), .events([]), .ok,
        .error(ControlErrorReply(code: .refused, message: "mate is not a hot standby; use --force")),
        .error(ControlErrorReply(code: ControlErrorReply.Code(rawValue: 999), message: "")),
    ]

    /// Every sample message on the wire.
    static var encodings: [[UInt8]] {
        requests.map { $0.encode() } + responses.map { try! $0.encode() }
    }
}

@Suite struct ControlProtocolTests {
    @Test(arguments: ControlSamples.requests)
    func requestsRoundTrip(_ request: ControlRequest) throws {
        let bytes = request.encode()
        #expect(Array(bytes[4..<8]) == [0x44, 0x43, 0x01, request.type.rawValue])
        #expect(Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]) == bytes.count - 4)
        let frame = try ControlFrame.decode(bytes)
        #expect(try ControlRequest.decode(frame) == request)
    }

    @Test(arguments: ControlSamples.responses)
    func responsesRoundTrip(_ response: ControlResponse) throws {
        let frame = try ControlFrame.decode(try response.encode())
        #expect(frame.type == response.type)
        #expect(try ControlResponse.decode(frame) == response)
    }

    @Test func eventsLimitIsClampedToUInt32() throws {
        let decoded = try ControlRequest.decode(ControlFrame.decode(ControlRequest.events(limit: -5).encode()))
        #expect(decoded == .events(limit: 0))
    }

    @Test func requestsAndResponsesAreNotConfused() throws {
        let statusRequest = try ControlFrame.decode(ControlRequest.status.encode())
        #expect(Self.code { try ControlResponse.decode(statusRequest) } == .unexpectedType)
        let ok = try ControlFrame.decode(ControlResponse.ok.encode())
        #expect(Self.code { try ControlRequest.decode(ok) } == .unexpectedType)
        #expect(Self.code { try ControlRequest.decode(ControlFrame(type: ControlMessageType(rawValue: 0x7F))) } == .unknownType)
        #expect(Self.code { try ControlResponse.decode(ControlFrame(type: ControlMessageType(rawValue: 0xFF))) } == .unknownType)
    }

    @Test func headerErrorsAreTyped() {
        let good = ControlRequest.status.encode()
        var badMagic = good
        badMagic[5] = 0x44
        #expect(Self.code { try ControlFrame.decode(badMagic) } == .badMagic)
        var badVersion = good
        badVersion[6] = 2
        #expect(Self.code { try ControlFrame.decode(badVersion) } == .badVersion)
        #expect(Self.code { try ControlFrame.decode([0, 0, 0, 3, 0x44, 0x43, 1]) } == .messageTooShort)
        let tooLarge = UInt32(Limits.controlMessageSizeMax - 3)
        #expect(Self.code { try ControlFrame.decode(Self.bigEndian(tooLarge)) } == .messageTooLarge)
        #expect(Self.code { try ControlFrame.decode(good + [0]) } == .malformed)
        #expect(Self.code { try ControlFrame.decode([]) } == .truncated)
    }

    @Test func theLargestFrameIsAccepted() throws {
        let frame = ControlFrame(type: .ok, payload: [UInt8](repeating: 7, count: ControlFrame.payloadSizeMax))
        let bytes = try frame.encode()
        #expect(bytes.count == Limits.controlMessageSizeMax)
        #expect(try ControlFrame.decode(bytes) == frame)
        let tooBig = ControlFrame(type: .ok, payload: [UInt8](repeating: 7, count: ControlFrame.payloadSizeMax + 1))
        #expect(Self.code { try tooBig.encode() } == .messageTooLarge)
    }

    @Test func listsOverTheirLimitsAreRefusedBothWays() throws {
        var report = ControlSamples.minimalStatus
        report.paths = Array(repeating: ControlSamples.fullStatus.paths[0], count: Limits.linksMax + 1)
        #expect(Self.code { try ControlResponse.status(report).encode() } == .limitExceeded)
        let events = Array(repeating: ControlSamples.events[0], count: Limits.eventHistoryMax + 1)
        #expect(Self.code { try ControlResponse.events(events).encode() } == .limitExceeded)
        let forged = ControlFrame(type: .eventList, payload: Self.bigEndian(UInt16(Limits.eventHistoryMax + 1)))
        #expect(Self.code { try ControlResponse.decode(forged) } == .limitExceeded)
    }

    @Test func badFieldValuesAreMalformed() throws {
        let invalidUTF8 = ControlFrame(type: .error, payload: [0, 1, 0, 2, 0xC3, 0x28])
        #expect(Self.code { try ControlResponse.decode(invalidUTF8) } == .malformed)
        let badBool = ControlFrame(type: .switchover, payload: [2])
        #expect(Self.code { try ControlRequest.decode(badBool) } == .malformed)
        var payload = try ControlResponse.status(ControlSamples.minimalStatus).frame().payload
        payload[4 + 2 + 2] = 200  // the role byte, after cluster id, board id and the empty name
        #expect(Self.code { try ControlResponse.decode(ControlFrame(type: .statusReport, payload: payload)) } == .malformed)
        let trailing = ControlFrame(type: .lock, payload: [0])
        #expect(Self.code { try ControlRequest.decode(trailing) } == .malformed)
    }

    @Test(arguments: ControlSamples.responses)
    func everyTruncatedPayloadIsRefused(_ response: ControlResponse) throws {
        let frame = try response.frame()
        for length in 0..<frame.payload.count {
            let truncated = ControlFrame(type: frame.type, payload: Array(frame.payload.prefix(length)))
            #expect(Self.code { try ControlResponse.decode(truncated) } == .truncated, "length \(length)")
        }
    }

    @Test func everyTruncatedFrameIsIncomplete() throws {
        for bytes in ControlSamples.encodings {
            for length in 0..<bytes.count {
                var decoder = ControlFrameDecoder()
                decoder.append(bytes.prefix(length))
                #expect(try decoder.nextFrame() == nil)
                #expect(decoder.hasPartialFrame == (length > 0))
                #expect(Self.code { try ControlFrame.decode(Array(bytes.prefix(length))) } == .truncated)
            }
        }
    }

    /// The code of the protocol error `body` throws; nil when it returns.
    static func code(_ body: () throws -> some Any) -> ControlProtocolError.Code? {
        do {
            _ = try body()
            return nil
        } catch let error as ControlProtocolError {
            return error.code
        } catch {
            Issue.record("not a ControlProtocolError: \(error)")
            return nil
        }
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
