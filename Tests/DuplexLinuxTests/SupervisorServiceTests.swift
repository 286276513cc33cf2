import DuplexCore
import DuplexLinux
import Foundation
import Glibc
import Testing

/// The supervisor thread over real child processes (`/bin/sh` scripts): restarts, intensity,
/// escalation, dependency order, stop with grace and SIGKILL, no zombies, captured output.
@Suite("SupervisorService", .serialized)
struct SupervisorServiceTests {
    typealias Component = Configuration.Component

    @Test func aKilledComponentIsRestartedAtOnceAndTheOldProcessReaped() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        try fixture.start([Component(name: "app", command: "/bin/sleep", arguments: ["600"])])
        fixture.waitUntil("app runs") { fixture.snapshot("app")?.pid != nil }
        let first = try #require(fixture.snapshot("app")?.pid)

        let killedAt = MonotonicClock.now()
        kill(first, SIGKILL)
        fixture.waitUntil("app runs again") { fixture.snapshot("app").map { $0.pid != nil && $0.pid != first } ?? false }
        let elapsed = MonotonicClock.now().since(killedAt)
        let app = try #require(fixture.snapshot("app"))
        #expect(app.status.state == .running)
        #expect(app.status.restarts == 1)
        #expect(app.status.lastExit == .signalled(signal: SIGKILL))
        // No fixed delay (runit waits 1 s, supervisord about 1 s): a generous bound.
        #expect(elapsed < .milliseconds(900), "restart took \(elapsed)")
        #expect(!processIsZombie(first), "the killed process was reaped")
        #expect(processIsGone(first))
    }

    @Test func aFastCrashLoopExceedsTheIntensityAndEscalatesASwitchoverOnTheActive() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let crash = try fixture.script("crash", "echo run >> \(fixture.path("runs")); exit 3")
        try fixture.start([Component(
            name: "critical", command: crash, role: .active, critical: true,
            restartIntensity: RestartIntensity(count: 3, period: .seconds(30)))])
        fixture.service?.post(.roleChanged(.active))
        fixture.waitUntil("the switchover is asked for") { !fixture.switchovers.all.isEmpty }
        #expect(fixture.switchovers.all == ["critical"])
        let status = try #require(fixture.snapshot("critical")?.status)
        #expect(status.state == .failed)
        #expect(status.restarts == 3)
        #expect(status.lastExit == .exited(status: 3))
        #expect(fixture.read("runs").split(separator: "\n").count == 4, "the first run and 3 restarts")
        #expect(fixture.log.contains("component failed; not restarted", component: "critical"))
    }

    @Test func aFastCrashLoopOnTheStandbyRunsBoardRecovery() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let crash = try fixture.script("crash", "exit 1")
        let recover = try fixture.script("recover", "echo \"$DUPLEX_RECOVERY_REASON\" > \(fixture.path("recovered"))")
        try fixture.start(
            [Component(name: "vital", command: crash, critical: true,
                       restartIntensity: RestartIntensity(count: 2, period: .seconds(30)))],
            recovery: Configuration.Supervisor(recoveryCommand: recover, recoveryReasonFile: fixture.path("state/reason")))
        fixture.service?.post(.roleChanged(.standby))
        fixture.waitUntil("the recovery command ran") { !fixture.read("recovered").isEmpty }
        let reason = fixture.read("state/reason")
        #expect(reason.contains("component vital failed on role"), "\(reason)")
        #expect(reason.contains("exited with status 1"), "\(reason)")
        #expect(fixture.read("recovered").contains("component vital failed"))
        #expect(fixture.switchovers.all.isEmpty)
    }

    @Test func componentsStartInDependencyOrderAndStopInReverse() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let order = fixture.path("order")
        var components: [Component] = []
        // Declared dependents first: file order alone would start them wrongly.
        for (name, after) in [("c", ["b"]), ("b", ["a"]), ("a", [])] {
            let script = try fixture.script(name, """
                echo $$ > \(fixture.path("\(name).pid"))
                trap 'echo stop \(name) >> \(order); exit 0' TERM
                sleep 600 &
                wait
                """)
            components.append(Component(name: name, command: script, after: after))
        }
        try fixture.start(components)
        // A child may write its pid before the supervisor thread has logged its start.
        fixture.waitUntil("every component wrote its pid and was logged as started") {
            ["a", "b", "c"].allSatisfy { !fixture.read("\($0).pid").isEmpty } && fixture.log.starts.count == 3
        }
        #expect(fixture.log.starts == ["a", "b", "c"])
        let pids = ["a", "b", "c"].map { Int32(fixture.read("\($0).pid").trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(pids == ["a", "b", "c"].map { name in fixture.snapshot(name)?.pid })

        fixture.stop()
        #expect(fixture.read("order") == "stop c\nstop b\nstop a\n")
        for pid in pids.compactMap({ $0 }) {
            #expect(processIsGone(pid), "pid \(pid) was reaped")
        }
    }

    @Test func aComponentThatIgnoresTermIsKilledAfterItsGracePeriod() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let stubborn = try fixture.script("stubborn", "trap '' TERM\necho ready\nexec sleep 600")
        try fixture.start([Component(name: "stubborn", command: stubborn, stopTimeout: .milliseconds(300))])
        fixture.waitUntil("stubborn is ready") { fixture.log.output(of: "stubborn") == ["ready"] }
        let pid = try #require(fixture.snapshot("stubborn")?.pid)

        let stoppingAt = MonotonicClock.now()
        fixture.stop()
        let elapsed = MonotonicClock.now().since(stoppingAt)
        #expect(elapsed >= .milliseconds(300), "SIGKILL came after the grace period, not before")
        #expect(fixture.log.contains("component ignored SIGTERM; killing it", component: "stubborn"))
        let exit = fixture.log.all.first { $0.message == "component exited" }?.metadata["duplex.exit"]
        #expect(exit == "killed by signal 9 (SIGKILL)")
        #expect(processIsGone(pid))
    }

    @Test func whatAComponentStartedIsKilledWithItAndNothingIsLeftBehind() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let parent = try fixture.script("parent", """
            sleep 600 &
            echo $! >> \(fixture.path("children"))
            sleep 0.1
            exit 1
            """)
        try fixture.start([Component(
            name: "parent", command: parent, restartIntensity: RestartIntensity(count: 1, period: .seconds(30)))])
        fixture.waitUntil("parent failed after one restart") { fixture.snapshot("parent")?.status.state == .failed }
        let children = fixture.read("children").split(separator: "\n").compactMap { Int32($0) }
        #expect(children.count == 2)
        for child in children {
            fixture.waitUntil("the orphan \(child) is gone") { processIsGone(child) || processIsZombie(child) }
        }
    }

    @Test func outputLinesAreLoggedWithTheComponentsName() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        let long = String(repeating: "x", count: Limits.componentOutputLineMax + 10)
        let talker = try fixture.script("talker", """
            echo "first line"
            echo "to stderr" >&2
            printf 'crlf\\r\\n'
            echo "\(long)"
            echo "component=$DUPLEX_COMPONENT color=$COLOR socket=$DUPLEX_SOCKET"
            echo "args: $*"
            pwd
            grep -E '^(SigBlk|SigIgn)' /proc/self/status
            read line || echo "stdin is empty"
            printf 'no newline at the end'
            """)
        try fixture.start([Component(
            name: "talker", command: talker, arguments: ["one", "two words"],
            environment: [.init(name: "COLOR", value: "blue")], directory: fixture.directory)])
        fixture.waitUntil("talker ran to its end") { fixture.snapshot("talker")?.status.state == .stopped }
        #expect(fixture.log.output(of: "talker") == [
            "first line", "to stderr", "crlf", String(long.prefix(Limits.componentOutputLineMax)), "xxxxxxxxxx",
            "component=talker color=blue socket=\(fixture.path("duplexd.sock"))",
            "args: one two words", fixture.directory,
            "SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000", "stdin is empty", "no newline at the end",
        ])
        #expect(fixture.snapshot("talker")?.status.lastExit == .exited(status: 0))
    }

    @Test func roleComponentsFollowThePairRole() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        try fixture.start([
            Component(name: "active-only", command: "/bin/sleep", arguments: ["600"], role: .active),
            Component(name: "standby-only", command: "/bin/sleep", arguments: ["600"], role: .standby),
        ])
        fixture.service?.post(.roleChanged(.standby))
        fixture.waitUntil("standby-only runs") { fixture.snapshot("standby-only")?.status.state == .running }
        #expect(fixture.snapshot("active-only")?.status.state == .stopped)
        let standbyPid = try #require(fixture.snapshot("standby-only")?.pid)

        fixture.service?.post(.roleChanged(.active))
        fixture.waitUntil("active-only runs and standby-only stopped") {
            fixture.snapshot("active-only")?.status.state == .running
                && fixture.snapshot("standby-only")?.status.state == .stopped
        }
        #expect(processIsGone(standbyPid))
    }

    @Test func aCommandThatCannotStartFailsWithItsErrno() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        try "not a program".write(toFile: fixture.path("plain"), atomically: true, encoding: .utf8)
        try fixture.start([Component(
            name: "broken", command: fixture.path("plain"), restartIntensity: RestartIntensity(count: 2, period: .seconds(30)))])
        fixture.waitUntil("broken failed") { fixture.snapshot("broken")?.status.state == .failed }
        #expect(fixture.snapshot("broken")?.status.lastExit == .startFailed(errno: EACCES))
        let error = fixture.log.all.first { $0.message == "cannot start component" }
        #expect(error?.metadata["duplex.step"] == "execve")
    }

    @Test func aComponentInheritsNoDescriptorOfTheSupervisor() throws {
        let fixture = try SupervisorFixture()
        defer { fixture.stop() }
        // Open for writing and not close-on-exec, as a file being written by another thread is:
        // a component that kept it would make every execve of that file fail (ETXTBSY).
        let held = fixture.path("held")
        let fd = open(held, O_WRONLY | O_CREAT, 0o644)
        try #require(fd >= 3)
        defer { close(fd) }
        let report = fixture.path("report")
        let script = try fixture.script("probe", """
            if [ -e /proc/$$/fd/\(fd) ]; then readlink /proc/$$/fd/\(fd) > \(report).tmp; else echo closed > \(report).tmp; fi
            mv \(report).tmp \(report)
            exec sleep 600
            """)
        try fixture.start([Component(name: "probe", command: script)])
        fixture.waitUntil("the probe reported") { !fixture.read("report").isEmpty }
        #expect(!fixture.read("report").contains(held), "descriptor \(fd): \(fixture.read("report"))")
    }

    @Test func preflightNamesTheLineOfAMissingExecutable() throws {
        let text = """
            [cluster]
            id = 1
            [board]
            id = 1
            name = A
            [link l]
            type = ethernet
            interface = x
            [component ok]
            command = /bin/sh
            [component missing]
            command = /nonexistent/duplex-test
            [component nobody]
            command = /bin/sh
            user = duplex-no-such-user
            """
        let configuration = try Configuration.parse(text: text, file: "t.conf")
        let error = try #require(ComponentPreflight.check(configuration.components, file: "t.conf"))
        #expect(error.description == "t.conf:12: [component missing] command: /nonexistent/duplex-test: No such file or directory")
        let user = try #require(ComponentPreflight.check(Array(configuration.components[2...]), file: "t.conf"))
        #expect(user.description == "t.conf:15: [component nobody] user: no user \"duplex-no-such-user\"")
    }
}
