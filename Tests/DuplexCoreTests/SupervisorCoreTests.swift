import DuplexCore
import Testing

@Suite struct SupervisorCoreTests {
    typealias C = SupervisedComponent

    // MARK: Order

    @Test func startsInDependencyOrderAndStopsInReverse() {
        // Declared dependents first, so that file order alone would be wrong.
        var h = SupervisorHarness([
            C(name: "web", dependencies: [1, 2]), C(name: "cache", dependencies: [2]), C(name: "db"),
            C(name: "log"),
        ])
        let starts = h.take().compactMap { if case .start(let i) = $0 { h.name(i) } else { nil } }
        #expect(starts == ["db", "log", "cache", "web"], "each as soon as its dependencies run")
        #expect(["web", "cache", "db", "log"].allSatisfy { h.state($0) == .running })

        h.send(.stopRequested)
        let stops = h.take().compactMap { if case .terminate(let i) = $0 { h.name(i) } else { nil } }
        #expect(stops == ["log", "web", "cache", "db"])
        #expect(h.core.stopped)
        #expect(h.running.isEmpty)
    }

    @Test func aDependencyStopsOnlyAfterItsDependentsExited() {
        var h = SupervisorHarness([C(name: "db"), C(name: "web", dependencies: [0])])
        h.ignoresTerm = ["web"]
        _ = h.take()
        h.send(.stopRequested)
        #expect(h.orders() == [.terminate(1)], "db waits for web")
        #expect(h.state("db") == .running)
        h.advance(.seconds(2))
        #expect(h.orders() == [.kill(1), .terminate(0), .stopped])
    }

    @Test func aDependentWaitsForAFailedDependency() {
        var h = SupervisorHarness([
            C(name: "db", role: .active, restart: .never), C(name: "web", dependencies: [0], role: .active),
        ])
        h.failStart = ["db"]
        h.send(.roleChanged(.active))
        #expect(h.state("db") == .failed)
        #expect(h.state("web") == .waiting)
        #expect(h.orders() == [.start(0)])
        h.send(.roleChanged(.standby))
        #expect(h.state("web") == .stopped)
    }

    @Test func aCompletedSetUpTaskSatisfiesItsDependents() {
        var h = SupervisorHarness([
            C(name: "setup", restart: .onFailure), C(name: "app", dependencies: [0]),
        ])
        #expect(h.state("app") == .running)
        h.exit("app", .exited(status: 3))
        h.exit("setup", .exited(status: 0))
        #expect(h.state("setup") == .stopped)
        #expect(h.state("app") == .running, "app restarted with its set-up task done")
    }

    // MARK: Restart policy

    struct PolicyCase: Sendable, CustomTestStringConvertible {
        let policy: RestartPolicy
        let exit: ComponentExit
        let restarted: Bool
        let state: ComponentState
        var testDescription: String { "\(policy) after \(exit)" }
    }

    static let policyCases: [PolicyCase] = [
        .init(policy: .always, exit: .exited(status: 0), restarted: true, state: .running),
        .init(policy: .always, exit: .exited(status: 1), restarted: true, state: .running),
        .init(policy: .always, exit: .signalled(signal: 11), restarted: true, state: .running),
        .init(policy: .onFailure, exit: .exited(status: 0), restarted: false, state: .stopped),
        .init(policy: .onFailure, exit: .exited(status: 2), restarted: true, state: .running),
        .init(policy: .onFailure, exit: .signalled(signal: 9), restarted: true, state: .running),
        .init(policy: .never, exit: .exited(status: 0), restarted: false, state: .stopped),
        .init(policy: .never, exit: .exited(status: 1), restarted: false, state: .failed),
        .init(policy: .never, exit: .signalled(signal: 6), restarted: false, state: .failed),
    ]

    @Test(arguments: policyCases)
    func restartPolicy(_ test: PolicyCase) {
        var h = SupervisorHarness([C(name: "a", restart: test.policy)])
        _ = h.take()
        h.exit("a", test.exit)
        let orders = h.orders()
        #expect(orders == (test.restarted ? [.start(0)] : []), "no delay: the restart is in the same step")
        #expect(h.state("a") == test.state)
        #expect(h.core.status(of: 0).restarts == (test.restarted ? 1 : 0))
        #expect(h.core.status(of: 0).lastExit == test.exit)
    }

    @Test func aCrashIsRestartedAtOnceWithoutBackoff() {
        var h = SupervisorHarness([C(name: "a")])
        let before = h.now
        h.exit("a")
        #expect(h.state("a") == .running)
        #expect(h.now == before)
        #expect(h.core.nextDeadline == Instant(nanoseconds: .max), "no timer for a restart without backoff")
    }

    @Test func intensityExceededLeavesANonCriticalComponentFailed() {
        var h = SupervisorHarness([C(name: "a", intensity: RestartIntensity(count: 3, period: .seconds(10)))], role: .active)
        for _ in 0..<3 {
            h.exit("a")
            h.advance(.milliseconds(100))
        }
        #expect(h.state("a") == .running)
        _ = h.take()
        h.exit("a")
        #expect(h.state("a") == .failed)
        #expect(h.take() == [
            .trace(.exited(0, .exited(status: 1), expected: false)), .trace(.gaveUp(0, .intensityExceeded)),
        ])
        h.advance(.seconds(60))
        #expect(h.state("a") == .failed, "left alone")
    }

    @Test func crashesFurtherApartThanThePeriodNeverExceedIt() {
        var h = SupervisorHarness([C(name: "a", intensity: RestartIntensity(count: 2, period: .seconds(1)))])
        for _ in 0..<20 {
            h.exit("a")
            h.advance(.milliseconds(501))
        }
        #expect(h.state("a") == .running)
        #expect(h.core.status(of: 0).restarts == 20)
    }

    @Test func zeroIntensityAllowsNoRestart() {
        var h = SupervisorHarness([C(name: "a", intensity: RestartIntensity(count: 0, period: .seconds(1)))])
        h.exit("a")
        #expect(h.state("a") == .failed)
    }

    @Test func backoffDoublesUpToItsMaximum() {
        let backoff = RestartBackoff(initial: .milliseconds(100), maximum: .milliseconds(400))
        var h = SupervisorHarness([C(name: "a", intensity: RestartIntensity(count: 10, period: .seconds(60)), backoff: backoff)])
        var delays: [Duration] = []
        for _ in 0..<5 {
            h.exit("a")
            #expect(h.state("a") == .backoff)
            let exitedAt = h.now
            h.advance(.seconds(1))
            #expect(h.state("a") == .running)
            delays.append(h.core.status(of: 0).startedAt!.since(exitedAt))
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(400), .milliseconds(400)])
        #expect((1...5).map { backoff.delay(restart: $0) } == delays)
        #expect(RestartBackoff.none.delay(restart: 7) == .zero)
    }

    @Test func backoffStartsOverOnceThePeriodHasPassed() {
        let backoff = RestartBackoff(initial: .milliseconds(100), maximum: .seconds(5))
        var h = SupervisorHarness([C(name: "a", intensity: RestartIntensity(count: 5, period: .seconds(2)), backoff: backoff)])
        h.exit("a")
        h.advance(.milliseconds(150))
        h.exit("a")
        #expect(h.core.nextDeadline == h.now + .milliseconds(200))
        h.advance(.seconds(3))
        h.exit("a")
        #expect(h.core.nextDeadline == h.now + .milliseconds(100))
    }

    @Test func aStartThatFailsCountsAsAFailure() {
        var h = SupervisorHarness([C(name: "a", intensity: RestartIntensity(count: 4, period: .seconds(1)))])
        _ = h.take()
        h.failStart = ["a"]
        h.exit("a")
        #expect(h.state("a") == .failed)
        #expect(h.orders() == Array(repeating: .start(0), count: 4))
        #expect(h.core.status(of: 0).lastExit == .startFailed(errno: 2))
    }

    // MARK: Escalation

    struct EscalationCase: Sendable, CustomTestStringConvertible {
        let role: Role
        let critical: Bool
        let expected: SupervisorAction?
        var testDescription: String { "\(critical ? "critical" : "non-critical") on \(role)" }
    }

    static let escalationCases: [EscalationCase] = [
        .init(role: .active, critical: true, expected: .escalateSwitchover(0)),
        .init(role: .quiescing, critical: true, expected: .escalateSwitchover(0)),
        .init(role: .standby, critical: true, expected: .escalateBoardRecovery(0)),
        .init(role: .starting, critical: true, expected: .escalateBoardRecovery(0)),
        .init(role: .separated, critical: true, expected: .escalateBoardRecovery(0)),
        .init(role: .failed, critical: true, expected: .escalateBoardRecovery(0)),
        .init(role: .active, critical: false, expected: nil),
        .init(role: .standby, critical: false, expected: nil),
    ]

    @Test(arguments: escalationCases)
    func escalation(_ test: EscalationCase) {
        var h = SupervisorHarness(
            [C(name: "a", critical: test.critical, intensity: RestartIntensity(count: 2, period: .seconds(10)))],
            role: test.role)
        for _ in 0..<3 { h.exit("a") }
        #expect(h.state("a") == .failed)
        let escalations = h.orders().filter { $0 != .start(0) }
        #expect(escalations == (test.expected.map { [$0] } ?? []))
    }

    @Test func aCriticalComponentWithRestartNeverEscalatesOnItsFirstFailure() {
        var h = SupervisorHarness([C(name: "a", role: .active, critical: true, restart: .never)], role: .active)
        _ = h.take()
        h.exit("a", .signalled(signal: 11))
        #expect(h.orders() == [.escalateSwitchover(0)])
    }

    @Test func switchoverIsAskedOnceWhileActiveAndRecoveryOnce() {
        var h = SupervisorHarness([
            C(name: "a", critical: true, restart: .never), C(name: "b", critical: true, restart: .never),
            C(name: "c", critical: true, restart: .never),
        ], role: .active)
        _ = h.take()
        h.exit("a")
        h.exit("b")
        #expect(h.orders() == [.escalateSwitchover(0)])
        h.send(.roleChanged(.quiescing))
        h.send(.roleChanged(.failed))
        h.exit("c")
        #expect(h.orders() == [.escalateBoardRecovery(2)])
    }

    // MARK: Roles

    @Test func componentsFollowTheRole() {
        var h = SupervisorHarness([
            C(name: "any"), C(name: "act", role: .active), C(name: "sby", role: .standby),
        ])
        #expect(h.orders() == [.start(0)], "before the pair decides, only role-independent components run")

        let steps: [(Role, [SupervisorAction])] = [
            (.standby, [.start(2)]),
            (.active, [.start(1), .terminate(2)]),
            (.quiescing, []),
            (.quiesced, []),
            (.active, []),
            (.quiescing, []),
            (.standby, [.start(2), .terminate(1)]),
            (.separated, [.terminate(2)]),
            (.active, [.start(1)]),
            (.failed, [.terminate(1)]),
        ]
        for (role, expected) in steps {
            h.send(.roleChanged(role))
            #expect(h.orders() == expected, "on \(role)")
        }
        #expect(h.state("any") == .running)
    }

    @Test func aFailedRoleComponentGetsAFreshStartWhenItsRoleReturns() {
        var h = SupervisorHarness([C(name: "act", role: .active, restart: .never)], role: .active)
        h.exit("act")
        #expect(h.state("act") == .failed)
        h.send(.roleChanged(.standby))
        #expect(h.state("act") == .stopped)
        h.send(.roleChanged(.active))
        #expect(h.state("act") == .running)
    }

    @Test func aComponentInBackoffIsNotRestartedWhenItsRoleEnds() {
        let backoff = RestartBackoff(initial: .seconds(1), maximum: .seconds(1))
        var h = SupervisorHarness([C(name: "act", role: .active, backoff: backoff)], role: .active)
        h.exit("act")
        #expect(h.state("act") == .backoff)
        h.send(.roleChanged(.standby))
        #expect(h.state("act") == .stopped)
        #expect(h.core.nextDeadline == Instant(nanoseconds: .max))
        h.advance(.seconds(2))
        #expect(h.state("act") == .stopped)
    }

    // MARK: Stop

    @Test func aComponentThatIgnoresTermIsKilledAfterItsStopTimeout() {
        var h = SupervisorHarness([C(name: "a", stopTimeout: .milliseconds(300))])
        h.ignoresTerm = ["a"]
        _ = h.take()
        h.send(.stopRequested)
        #expect(h.orders() == [.terminate(0)])
        h.advance(.milliseconds(299))
        #expect(h.orders() == [])
        h.advance(.milliseconds(1))
        #expect(h.take() == [
            .trace(.stopTimedOut(0)), .kill(0), .trace(.exited(0, .signalled(signal: 9), expected: true)), .stopped,
        ])
    }

    @Test func aZeroStopTimeoutKillsAtOnce() {
        var h = SupervisorHarness([C(name: "a", stopTimeout: .zero)])
        h.ignoresTerm = ["a"]
        _ = h.take()
        h.send(.stopRequested)
        #expect(h.orders() == [.terminate(0), .kill(0), .stopped])
    }

    @Test(arguments: [ComponentState.running, .backoff, .failed, .stopped, .waiting])
    func aStopRequestEndsEveryState(_ state: ComponentState) {
        let backoff = RestartBackoff(initial: .seconds(1), maximum: .seconds(1))
        var h = SupervisorHarness([
            C(name: "db", restart: state == .failed ? .never : .onFailure, backoff: backoff),
            C(name: "web", dependencies: [0]),
        ])
        switch state {
        case .backoff, .failed: h.exit("db")
        case .stopped: h.exit("db", .exited(status: 0))
        case .waiting:
            h.exit("web", .exited(status: 0))
            h.exit("db")  // in backoff; web stays stopped (clean exit)
        default: break
        }
        #expect(state == .waiting || h.state("db") == state)
        h.send(.stopRequested)
        h.advance(.seconds(5))
        #expect(h.core.stopped)
        #expect(h.running.isEmpty)
        #expect(h.take().last == .stopped)
        h.send(.roleChanged(.active))
        #expect(h.take().isEmpty, "nothing after the stop")
    }

    @Test func transitionTableIsClosed() {
        for (from, targets) in ComponentState.allowed {
            #expect(!targets.contains(from), "\(from) does not change to itself")
        }
        #expect(Set(ComponentState.allowed.keys) == Set(ComponentState.allCases))
    }

    @Test func exitDescriptions() {
        #expect(ComponentExit.exited(status: 3).description == "exited with status 3")
        #expect(ComponentExit.signalled(signal: 9).description == "killed by signal 9 (SIGKILL)")
        #expect(ComponentExit.startFailed(errno: 2).description == "could not start: no such file or directory (ENOENT)")
        #expect(!ComponentExit.exited(status: 0).isFailure)
        #expect(ComponentExit.startFailed(errno: 0).isFailure)
    }
}
