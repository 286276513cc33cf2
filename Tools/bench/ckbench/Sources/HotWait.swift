import Duplex
import DuplexCore

/// Waits for a (re)starting standby's replica to be hot, from this process's start.
enum HotWait {
    /// Polls the board's control socket every 2 ms (at most `timeoutSeconds`): when it first
    /// answers, when a snapshot is first seen arriving, when the replica is hot.
    static func run(control: String, timeoutSeconds: Int) throws -> String {
        let client = DuplexClient(socketPath: control, timeout: .seconds(2))
        let start = nowNanoseconds()
        let deadline = start + UInt64(timeoutSeconds) * 1_000_000_000
        var answered: UInt64?
        var receiving: UInt64?
        var bytesTotal: UInt64 = 0
        while nowNanoseconds() < deadline {
            let report: CheckpointReport
            do {
                guard case .checkpoints(let value) = try client.send(.checkpoints) else {
                    throw BenchError("unexpected answer to a checkpoint report request")
                }
                report = value
            } catch is DuplexClientError {
                sleepMilliseconds(2)  // not up yet: the daemon is starting
                continue
            }
            let now = nowNanoseconds()
            if answered == nil { answered = now }
            let progress = report.sync.progress
            bytesTotal = max(bytesTotal, progress.bytesTotal)
            if receiving == nil, progress.phase == .receiving || progress.phase == .catchingUp || progress.chunksReceived > 0 {
                receiving = now
            }
            if report.sync.isHot, progress.phase == .hot {
                return "{\"kind\":\"duplex-resync\",\"answered_ms\":\(milliseconds(answered, start)),"
                    + "\"receiving_ms\":\(milliseconds(receiving, start)),\"hot_ms\":\(milliseconds(now, start)),"
                    + "\"bytes_total\":\(bytesTotal),\"sections\":\(report.sync.sections),"
                    + "\"bytes\":\(report.sync.bytes)}"
            }
            sleepMilliseconds(2)
        }
        throw BenchError("the replica was not hot within \(timeoutSeconds) s")
    }

    /// An operator's resync of a running standby: `duplexctl resync`'s request, then the
    /// control socket polled every 2 ms (at most `timeoutSeconds`) until the replica is hot
    /// from a snapshot installed after the request. Times from the request's sending.
    static func command(control: String, timeoutSeconds: Int) throws -> String {
        let client = DuplexClient(socketPath: control, timeout: .seconds(2))
        func report() throws -> CheckpointReport {
            guard case .checkpoints(let value) = try client.send(.checkpoints) else {
                throw BenchError("unexpected answer to a checkpoint report request")
            }
            return value
        }
        let before = try report()
        guard before.sync.isHot else { throw BenchError("the standby is not hot before the resync") }
        let installed = before.sync.replication.snapshotsInstalled
        let start = nowNanoseconds()
        try client.resync()
        let answered = nowNanoseconds()
        let deadline = start + UInt64(timeoutSeconds) * 1_000_000_000
        var receiving: UInt64?
        while nowNanoseconds() < deadline {
            let current = try report()
            let now = nowNanoseconds()
            let progress = current.sync.progress
            let fresh = current.sync.replication.snapshotsInstalled > installed
            if receiving == nil, fresh || progress.phase == .receiving { receiving = now }
            if fresh, current.sync.isHot, progress.phase == .hot {
                return "{\"kind\":\"duplex-command-resync\",\"answered_ms\":\(milliseconds(answered, start)),"
                    + "\"receiving_ms\":\(milliseconds(receiving, start)),\"hot_ms\":\(milliseconds(now, start)),"
                    + "\"bytes\":\(current.sync.bytes),\"sections\":\(current.sync.sections)}"
            }
            sleepMilliseconds(2)
        }
        throw BenchError("the replica was not hot again within \(timeoutSeconds) s")
    }

    /// Milliseconds from `start` to `at`, or null.
    static func milliseconds(_ at: UInt64?, _ start: UInt64) -> String {
        guard let at else { return "null" }
        return format(Double(at - start) / 1e6)
    }
}
