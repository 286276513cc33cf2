import DuplexCore
import Testing

/// The `components` request and its `component-list` answer on the control socket.
@Suite struct SupervisorControlTests {
    static let reports: [ComponentReport] = [
        ComponentReport(name: "db", state: .running, role: .both, critical: true, pid: 4242,
                        uptime: .seconds(3_600), inStateFor: .seconds(3_600), restarts: 0),
        ComponentReport(name: "web", state: .backoff, role: .active, pid: nil, uptime: nil,
                        inStateFor: .milliseconds(40), restarts: 7, lastExit: .signalled(signal: 11),
                        lastExitAgo: .milliseconds(40)),
        ComponentReport(name: "ünï", state: .failed, role: .standby, restarts: UInt64.max,
                        lastExit: .startFailed(errno: 2), lastExitAgo: .zero),
        ComponentReport(name: "", state: .stopped, pid: Int32.min, lastExit: .exited(status: 255)),
    ]

    @Test func requestRoundTrips() throws {
        let bytes = ControlRequest.components.encode()
        #expect(bytes[7] == ControlMessageType.components.rawValue)
        #expect(bytes.count == ControlFrame.headerSize, "no payload")
        #expect(try ControlRequest.decode(ControlFrame.decode(bytes)) == .components)
    }

    @Test(arguments: [[], reports, Array(repeating: reports[1], count: Limits.componentsMax)])
    func responseRoundTrips(_ reports: [ComponentReport]) throws {
        let response = ControlResponse.components(reports)
        let frame = try ControlFrame.decode(try response.encode())
        #expect(frame.type == .componentList)
        #expect(try ControlResponse.decode(frame) == response)
    }

    @Test func tooManyComponentsAreRefusedBothWays() throws {
        let tooMany = ControlResponse.components(Array(repeating: Self.reports[0], count: Limits.componentsMax + 1))
        #expect(throws: ControlProtocolError.self) { try tooMany.encode() }
        var writer = ControlPayloadWriter()
        writer.write(UInt16(Limits.componentsMax + 1))
        let error = #expect(throws: ControlProtocolError.self) {
            try ControlResponse.decode(ControlFrame(type: .componentList, payload: writer.bytes))
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func badEnumValuesAndTruncationAreRefused() throws {
        let good = try ControlResponse.components([Self.reports[1]]).frame().payload
        // count (2) + name (2 + 3): the state byte, then the role byte.
        for (offset, value) in [(7, UInt8(99)), (8, UInt8(7))] {
            var bad = good
            bad[offset] = value
            let error = #expect(throws: ControlProtocolError.self) {
                try ControlResponse.decode(ControlFrame(type: .componentList, payload: bad))
            }
            #expect(error?.code == .malformed)
        }
        for length in 0..<good.count {
            #expect(throws: ControlProtocolError.self) {
                try ControlResponse.decode(ControlFrame(type: .componentList, payload: Array(good[0..<length])))
            }
        }
    }

    @Test func unknownExitKindIsRefused() throws {
        var writer = ControlPayloadWriter()
        writer.write(UInt8(4))
        writer.write(Int32(0))
        var reader = ControlPayloadReader(writer.bytes)
        let error = #expect(throws: ControlProtocolError.self) { try ComponentExit(from: &reader) }
        #expect(error?.code == .malformed)
    }
}
