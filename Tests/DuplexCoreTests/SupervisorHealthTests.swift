import DuplexCore
import Testing

/// Hangs (health timeout), error reports with a recommended recovery, and operator commands,
/// on a simulated clock.
@Suite struct SupervisorHealthTests {
    typealias C = SupervisedComponent

    static func watched(_ name: String = "app", timeout: Duration = .milliseconds(100), critical: Bool = false,
                        role: ComponentRole = .both, restart: RestartPolicy = .onFailure) -> C {
        C(name: name, role: role, critical: critical, restart: restart, healthTimeout: timeout,
          abortTimeout: .milliseconds(500))
    }

    // MARK: Hangs

    @Test func heartbeatsKeepAComponentRunning() {
        var h = SupervisorHarness([Self.watched()])
        _ = h.take()
        for _ in 0..<10 {
            h.advance(.milliseconds(90))
            h.send(.componentHealthy(0))
        }
        #expect(h.state("app") == .running)
        #expect(h.orders().isEmpty)
    }

    @Test func aSilentComponentIsAbortedAtItsTimeoutAndRestarted() {
        var h = SupervisorHarness([Self.watched()])
        _ = h.take()
        h.advance(.milliseconds(50))
        h.send(.componentHealthy(0))
        let lastBeat = h.now
        #expect(h.core.nextDeadline == lastBeat + .milliseconds(100), "the timer is armed at the health deadline")
        h.advance(.milliseconds(99))
        #expect(h.orders().isEmpty)
        h.advance(.milliseconds(1))
        let actions = h.take()
        #expect(actions.contains(.trace(.hung(0, silentFor: .milliseconds(100)))))
        #expect(actions.filter { if case .trace = $0 { false } else { true } } == [.abort(0), .start(0)],
                "SIGABRT, and the exit it causes restarts it at once")
        #expect(actions.contains(.trace(.exited(0, .signalled(signal: 6), expected: false))))
        #expect(h.state("app") == .running)
        #expect(h.core.status(of: 0).restarts == 1)
    }

    @Test func aHungComponentThatIgnoresAbortIsKilledAfterItsGrace() {
        var h = SupervisorHarness([Self.watched()])
        h.ignoresAbort = ["app"]
        _ = h.take()
        h.advance(.milliseconds(100))
        #expect(h.orders() == [.abort(0)])
        #expect(h.state("app") == .failing)
        h.advance(.milliseconds(499))
        #expect(h.orders().isEmpty)
        h.advance(.milliseconds(1))
        #expect(h.orders() == [.kill(0), .start(0)])
        #expect(h.state("app") == .running)
    }

    @Test func aHangCountsAsAFailureEvenUnderRestartOnFailure() {
        var h = SupervisorHarness([Self.watched(restart: .never)])
        _ = h.take()
        h.advance(.milliseconds(100))
        #expect(h.state("app") == .failed)
        #expect(h.take().contains(.trace(.gaveUp(0, .restartNever))))
    }

    @Test func aCriticalComponentThatKeepsHangingOnTheActiveEscalates() {
        var h = SupervisorHarness([C(name: "vital", role: .active, critical: true,
                                     intensity: RestartIntensity(count: 2, period: .seconds(10)),
                                     healthTimeout: .milliseconds(100), abortTimeout: .zero)], role: .active)
        _ = h.take()
        h.advance(.milliseconds(350))
        #expect(h.state("vital") == .failed)
        #expect(h.orders().contains(.escalateSwitchover(0)))
    }

    @Test func componentsWithoutAHealthTimeoutAreNeverHung() {
        var h = SupervisorHarness([C(name: "plain")])
        _ = h.take()
        #expect(h.core.nextDeadline == Instant(nanoseconds: .max))
        h.advance(.seconds(3600))
        #expect(h.state("plain") == .running)
    }

    @Test func aHeartbeatOfAComponentThatIsNotRunningIsIgnored() {
        var h = SupervisorHarness([Self.watched(role: .active)])
        h.send(.componentHealthy(0))
        #expect(h.state("app") == .stopped)
        #expect(h.core.status(of: 0).lastHealthAt == nil)
    }

    // MARK: Error reports

    @Test func anErrorReportAskingForARestartEndsAndRestartsTheComponent() {
        var h = SupervisorHarness([Self.watched()])
        _ = h.take()
        h.send(.componentErrorReported(0, .restart))
        #expect(h.orders() == [.terminate(0), .start(0)])
        #expect(h.core.status(of: 0).restarts == 1)
    }

    @Test func anErrorReportAskingForASwitchoverEscalatesOnTheActiveOnly() {
        var h = SupervisorHarness([C(name: "app")], role: .active)
        _ = h.take()
        h.send(.componentErrorReported(0, .switchover))
        #expect(h.orders() == [.escalateSwitchover(0)])
        h.send(.componentErrorReported(0, .switchover))
        #expect(h.orders().isEmpty, "once until the board leaves the active role")

        var standby = SupervisorHarness([C(name: "app")], role: .standby)
        _ = standby.take()
        standby.send(.componentErrorReported(0, .switchover))
        #expect(standby.orders() == [.terminate(0), .start(0)], "a restart on the standby")
    }

    @Test func anErrorReportAskingForARebootSwitchesOverFirstOnTheActive() {
        var h = SupervisorHarness([C(name: "app")], role: .active)
        _ = h.take()
        h.send(.componentErrorReported(0, .rebootBoard))
        #expect(h.orders() == [.escalateSwitchover(0), .escalateBoardRecovery(0)])
        var standby = SupervisorHarness([C(name: "app")], role: .standby)
        _ = standby.take()
        standby.send(.componentErrorReported(0, .rebootBoard))
        #expect(standby.orders() == [.escalateBoardRecovery(0)])
    }

    // MARK: Operator commands

    @Test func stopKeepsAComponentStoppedUntilStart() {
        var h = SupervisorHarness([C(name: "app", restart: .always)])
        _ = h.take()
        #expect(h.core.refusal(of: .stop, for: 0) == nil)
        h.send(.operatorRequested(0, .stop))
        #expect(h.orders() == [.terminate(0)])
        #expect(h.state("app") == .stopped)
        #expect(h.core.status(of: 0).held)
        h.send(.roleChanged(.active))
        #expect(h.state("app") == .stopped, "held across role changes")
        h.send(.operatorRequested(0, .start))
        #expect(h.orders() == [.start(0)])
        #expect(h.state("app") == .running)
        #expect(h.core.status(of: 0).restarts == 0, "operator commands are not restarts")
    }

    @Test func restartStopsAndStartsAtOnceWithoutCountingAgainstTheIntensity() {
        var h = SupervisorHarness([C(name: "app", intensity: RestartIntensity(count: 0, period: .seconds(10)))])
        _ = h.take()
        h.send(.operatorRequested(0, .restart))
        #expect(h.orders() == [.terminate(0), .start(0)])
        #expect(h.state("app") == .running)
    }

    @Test func restartOfAComponentThatIgnoresTermKillsItAfterItsStopTimeout() {
        var h = SupervisorHarness([C(name: "app", stopTimeout: .seconds(2))])
        h.ignoresTerm = ["app"]
        _ = h.take()
        h.send(.operatorRequested(0, .restart))
        #expect(h.orders() == [.terminate(0)])
        h.advance(.seconds(2))
        #expect(h.orders() == [.kill(0), .start(0)])
    }

    @Test func startClearsAFailedComponent() {
        var h = SupervisorHarness([C(name: "app", restart: .never)])
        h.exit("app")
        #expect(h.state("app") == .failed)
        _ = h.take()
        h.send(.operatorRequested(0, .start))
        #expect(h.orders() == [.start(0)])
        #expect(h.state("app") == .running)
    }

    @Test func refusalsNameTheReason() {
        var h = SupervisorHarness([C(name: "db"), C(name: "web", dependencies: [0]), C(name: "ha", role: .active)],
                                  role: .standby)
        #expect(h.core.refusal(of: .stop, for: 0) == "web comes after db; stop it first")
        #expect(h.core.refusal(of: .start, for: 2) == "ha runs only with role active and this board is standby")
        h.send(.operatorRequested(1, .stop))
        h.send(.operatorRequested(0, .stop))
        #expect(h.state("db") == .stopped)
        #expect(h.core.refusal(of: .start, for: 1) == "web comes after db, stopped by an operator")
        h.send(.stopRequested)
        #expect(h.core.refusal(of: .start, for: 0) == "duplexd is stopping")
    }
}
