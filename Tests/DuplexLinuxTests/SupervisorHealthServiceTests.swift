import DuplexCore
import DuplexLinux
import Foundation
import Glibc
import Testing

/// The supervisor thread with components that link the `Duplex` library (the example
/// component): hangs, health commands, the quiesce of a graceful switchover, operator commands.
@Suite("Supervisor health and roles", .serialized)
struct SupervisorHealthServiceTests {
    typealias Component = Configuration.Component

    static func example(_ fixture: SupervisorFixture, _ arguments: [String], healthTimeout: Duration? = nil,
                        quiesceTimeout: Duration = .seconds(1)) throws -> Component {
        // No Swift backtracer in the child: it would catch SIGABRT and take its time.
        var component = Component(name: "app", command: try exampleComponentPath(),
                                  arguments: arguments + ["--log", fixture.path("app.log")],
                                  environment: [.init(name: "SWIFT_BACKTRACE", value: "enable=no")])
        component.healthTimeout = healthTimeout
        component.quiesceTimeout = quiesceTimeout
        return component
    }

    static func lines(_ fixture: SupervisorFixture) -> [String] {
        fixture.read("app.log").split(separator: "\n").map(String.init)
    }

    @Test func aComponentThatStopsHeartbeatingIsAbortedAndRestarted() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        try fixture.start([Self.example(fixture, ["--heartbeats", "3", "--interval", "20ms"], healthTimeout: .milliseconds(300))])
        fixture.waitUntil("app registered") { Self.lines(fixture).contains { $0.hasPrefix("registered app") } }
        let first = try #require(fixture.snapshot("app")?.pid)
        fixture.waitUntil("app is restarted") { (fixture.snapshot("app")?.status.restarts ?? 0) >= 1 }
        let app = try #require(fixture.snapshot("app"))
        #expect(app.status.lastExit == .signalled(signal: SIGABRT), "hung: SIGABRT, for a core dump")
        #expect(fixture.log.contains("component hung; aborting it", component: "app"))
        #expect(Self.lines(fixture).contains("heartbeats stopped"))
        fixture.waitUntil("the hung process is reaped") { processIsGone(first) }
        #expect(!processIsZombie(first))
        fixture.waitUntil("the new process registers") {
            Self.lines(fixture).filter { $0.hasPrefix("registered app") }.count == 2
        }
    }

    @Test func aHealthCommandStandsInForTheLibrary() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let healthy = fixture.path("healthy")
        #expect(FileManager.default.createFile(atPath: healthy, contents: nil))
        let check = try fixture.script("check", "[ -e \(healthy) ]")
        var component = Component(name: "plain", command: "/bin/sleep", arguments: ["600"])
        // Generous figures: a loaded machine may take a while to start a shell.
        component.healthTimeout = .milliseconds(1_500)
        component.healthCommand = check
        component.healthInterval = .milliseconds(200)
        try fixture.start([component])
        fixture.waitUntil("plain runs") { fixture.snapshot("plain")?.pid != nil }
        let first = try #require(fixture.snapshot("plain")?.pid)
        let started = try #require(fixture.snapshot("plain")?.status.startedAt)
        // Passing checks are its heartbeats: it is still the same process after a heartbeat
        // that came later than one health timeout after its start.
        fixture.waitUntil("a heartbeat later than one health timeout", seconds: 20) {
            guard let health = fixture.snapshot("plain")?.status.lastHealthAt else { return false }
            return health > started + .milliseconds(1_600)
        }
        #expect(fixture.snapshot("plain")?.pid == first, "passing checks keep it running")
        #expect(fixture.snapshot("plain")?.status.restarts == 0)
        try FileManager.default.removeItem(atPath: healthy)
        fixture.waitUntil("plain is restarted") { (fixture.snapshot("plain")?.status.restarts ?? 0) >= 1 }
        #expect(fixture.snapshot("plain")?.status.lastExit == .signalled(signal: SIGABRT))
        #expect(fixture.log.contains("health command failed", component: "plain"))
    }

    @Test func aSwitchoverWaitsForTheQuiesceConfirmation() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        // A timeout far longer than the wait below: only the confirmation can end the quiesce.
        try fixture.start([Self.example(fixture, ["--quiesce-delay", "100ms"], quiesceTimeout: .seconds(60))])
        fixture.waitUntil("app is standby") { Self.lines(fixture).contains("role standby") }
        fixture.service?.post(.roleChanged(.active))
        fixture.waitUntil("app is active") { Self.lines(fixture).contains("role active") }
        fixture.service?.post(.quiesce(request: 7, then: .switchover(force: false)))
        fixture.waitUntil("the switchover goes to the pair") { fixture.quiesced.all == ["7 plain"] }
        // The component logs its confirmation after sending it: the line may come a little later.
        fixture.waitUntil("the component logged its confirmation") { Self.lines(fixture).contains("quiesce confirmed") }
        for role in [Role.quiescing, .quiesced, .standby] { fixture.service?.post(.roleChanged(role)) }
        fixture.waitUntil("app is standby again") { Self.lines(fixture).filter { $0 == "role standby" }.count == 2 }
        let roles = Self.lines(fixture).filter { $0.hasPrefix("role ") || $0 == "quiesce confirmed" }
        #expect(roles == ["role standby", "role active", "role quiescing", "quiesce confirmed", "role quiesced", "role standby"])
    }

    @Test func aComponentThatDoesNotConfirmDelaysTheSwitchoverByItsTimeoutOnly() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        try fixture.start([Self.example(fixture, ["--no-confirm"], quiesceTimeout: .milliseconds(300))])
        fixture.service?.post(.roleChanged(.active))
        fixture.waitUntil("app is active") { Self.lines(fixture).contains("role active") }
        fixture.service?.post(.quiesce(request: 9, then: .switchover(force: true)))
        fixture.waitUntil("the switchover goes to the pair") { fixture.quiesced.all == ["9 force"] }
        #expect(fixture.log.all.contains { $0.message == "switchover: quiesce timed out; handing over anyway" })
        // A refused switchover gives the components their role back.
        fixture.service?.post(.answered(request: 9, refused: true))
        fixture.waitUntil("app is active again") { Self.lines(fixture).filter { $0 == "role active" }.count == 2 }
    }

    @Test func operatorCommandsRestartStopAndStart() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        try fixture.start([Component(name: "app", command: "/bin/sleep", arguments: ["600"])])
        fixture.waitUntil("app runs") { fixture.snapshot("app")?.pid != nil }
        let service = try #require(fixture.service)
        let first = try #require(fixture.snapshot("app")?.pid)
        #expect(service.request(.restart, name: "app") == nil)
        fixture.waitUntil("app runs again") { fixture.snapshot("app").map { $0.pid != nil && $0.pid != first } ?? false }
        #expect(fixture.snapshot("app")?.status.restarts == 0, "an operator's restart is not counted")
        #expect(service.request(.stop, name: "app") == nil)
        fixture.waitUntil("app is stopped") { fixture.snapshot("app")?.status.state == .stopped }
        #expect(fixture.snapshot("app")?.status.held == true)
        #expect(service.request(.start, name: "app") == nil)
        fixture.waitUntil("app runs") { fixture.snapshot("app")?.status.state == .running }
        #expect(service.request(.stop, name: "nope") == "no component nope (components: app)")
    }
}
