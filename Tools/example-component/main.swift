// duplex-example-component: a line-card process in miniature, showing the component API of the
// `Duplex` library; the supervisor's tests and benchmark run it as their child.
//
//   duplex-example-component [--heartbeats N] [--interval 20ms] [--log FILE]
//                            [--quiesce-delay 50ms] [--no-confirm] [--report restart|switchover|reboot-board]
//                            [--stamp FILE]
//
// It registers (DUPLEX_COMPONENT, DUPLEX_COMPONENT_SOCKET), appends each role it is given to
// FILE ("role active"), confirms a quiesce after --quiesce-delay (unless --no-confirm), and
// heartbeats every --interval; after N heartbeats (--heartbeats) it keeps running but stops
// heartbeating, as a hung main loop would. --report sends one error report after registering.
// --stamp appends "start NS" when main begins and "last NS" at the last heartbeat
// (CLOCK_MONOTONIC nanoseconds; Tools/bench/supervisor measures hang-to-restart with them).
import Duplex
import Glibc

struct Options {
    var heartbeats = Int.max
    var interval = Duration.milliseconds(20)
    var log: String?
    var quiesceDelay = Duration.milliseconds(50)
    var confirm = true
    var report: RecommendedRecovery?
    var stamp: String?
}

func fail(_ message: String) -> Never {
    let line = "duplex-example-component: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

/// `value`, or the usage error `message` when it is nil.
func required<T>(_ value: T?, _ message: String) -> T {
    guard let value else { fail(message) }
    return value
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var index = 0
    func value() -> String {
        index += 1
        guard index < arguments.count else { fail("\(arguments[index - 1]) needs a value") }
        return arguments[index]
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--heartbeats": options.heartbeats = required(Int(value()), "--heartbeats takes a count")
        case "--interval": options.interval = required(Duration(parsing: value()), "--interval takes a duration")
        case "--log": options.log = value()
        case "--quiesce-delay": options.quiesceDelay = required(Duration(parsing: value()), "--quiesce-delay takes a duration")
        case "--no-confirm": options.confirm = false
        case "--stamp": options.stamp = value()
        case "--report":
            let text = value()
            options.report = required(RecommendedRecovery.allCases.first { $0.description == text }, "unknown recovery \(text)")
        default: fail("unknown argument \(arguments[index])")
        }
        index += 1
    }
    return options
}

/// Appends one line to the log file (O_APPEND: whole lines, even from two threads).
func record(_ path: String?, _ line: String) {
    guard let path else { return }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    _ = (line + "\n").withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

func pause(_ duration: Duration) {
    var spec = timespec(tv_sec: Int(duration.nanoseconds / 1_000_000_000), tv_nsec: Int(duration.nanoseconds % 1_000_000_000))
    var left = timespec()
    // Bounded: each interrupted pass sleeps on with what was left.
    for _ in 0..<1_000 {
        guard nanosleep(&spec, &left) != 0, errno == EINTR else { return }
        spec = left
    }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

let startedAt = monotonicNanoseconds()
let options = parse(Array(CommandLine.arguments.dropFirst()))
record(options.stamp, "start \(startedAt)")
let log = options.log
// Set once registration returns; the role callback only reads it from then on.
nonisolated(unsafe) var session: DuplexComponent?
let component: DuplexComponent
do {
    component = try DuplexComponent { role in
        record(log, "role \(role)")
        guard role == .quiescing, options.confirm else { return }
        pause(options.quiesceDelay)  // the work in flight
        do {
            try session?.confirmQuiesced()
            record(log, "quiesce confirmed")
        } catch {
            record(log, "quiesce confirmation failed: \(error)")
        }
    }
} catch {
    fail("cannot register: \(error)")
}
session = component
record(log, "registered \(component.name) pid \(getpid()) health timeout \(component.healthTimeout.map { "\($0)" } ?? "none")")
if let report = options.report {
    do { try component.reportError("asked by --report", recovery: report) } catch { fail("cannot report: \(error)") }
}
var sent = 0
// Runs until the supervisor ends it.
while true {
    if sent < options.heartbeats {
        do { try component.heartbeat() } catch { fail("heartbeat: \(error)") }
        sent += 1
        if sent == options.heartbeats {
            record(options.stamp, "last \(monotonicNanoseconds())")
            record(log, "heartbeats stopped")
        }
    }
    pause(options.interval)
}
