import Duplex
import DuplexCore

/// The Duplex side: sync latency, async throughput, bulk fill and waiting for a hot replica.
enum CheckpointRuns {
    static let keysDistinct = 1000

    static func open(_ name: String) throws -> Duplex.Checkpoint {
        try Duplex.Checkpoint.open(name: name, limits: .maximal, timeout: .seconds(60))
    }

    /// Retries a small sync write until the mate's replica acknowledges it (at most 30 s).
    static func waitReplicated(_ checkpoint: Duplex.Checkpoint) throws {
        for _ in 0..<3000 {
            let result: WriteResult?
            do {
                result = try checkpoint.write("probe", [1])
            } catch {
                guard error.code == .mateNotHot else { throw error }
                result = nil  // not hot yet: try again below
            }
            if result?.isReplicated == true { return }
            sleepMilliseconds(10)
        }
        throw BenchError("the mate's replica did not acknowledge a sync write within 30 s")
    }

    /// Synchronous writes of `size` bytes: per-write latency.
    static func sync(size: Int, count: Int) throws -> String {
        let checkpoint = try open("bench-sync-\(size)")
        try waitReplicated(checkpoint)
        let keys = (0..<keysDistinct).map { SectionKey("s/\($0)") }
        let values = (0..<16).map { payload(size: size, index: $0) }
        var samples = LatencySamples(capacity: count)
        var unreplicated = 0
        for index in 0..<count {
            let start = nowNanoseconds()
            let result = try checkpoint.write(keys[index % keysDistinct], values[index % 16])
            samples.append(nowNanoseconds() - start)
            if result?.isReplicated != true { unreplicated += 1 }
        }
        try checkpoint.remove()  // the resync measures the fill alone
        samples.writeIfAsked()
        let transport = checkpoint.transport == .sharedMemory ? "shared-memory" : "socket"
        return "{\"kind\":\"duplex-sync\",\"size\":\(size),\"count\":\(count),\(samples.jsonFields()),\"unreplicated\":\(unreplicated),"
            + "\"transport\":\"\(transport)\"}"
    }

    /// Asynchronous writes on one connection, then a flush; the mate's lag sampled on the way.
    static func async(size: Int, count: Int, control: String) throws -> String {
        let checkpoint = try open("bench-async-\(size)")
        try waitReplicated(checkpoint)
        let client = DuplexClient(socketPath: control)
        let keys = (0..<keysDistinct).map { SectionKey("a/\($0)") }
        let values = (0..<16).map { payload(size: size, index: $0) }
        let sampleEvery = max(1, count / 20)
        var lagMax: UInt64 = 0
        var lagSamples = 0
        var sampling: UInt64 = 0
        let start = nowNanoseconds()
        for index in 0..<count {
            try checkpoint.write(keys[index % keysDistinct], values[index % 16], mode: .async)
            if index % sampleEvery == sampleEvery - 1 {
                let before = nowNanoseconds()
                if let lag = try mateLag(client) { lagMax = max(lagMax, lag); lagSamples += 1 }
                sampling += nowNanoseconds() - before
            }
        }
        let written = nowNanoseconds()
        let flushed = try checkpoint.flush()
        let end = nowNanoseconds()
        try checkpoint.remove()  // the resync measures the fill alone
        let seconds = Double(end - start - sampling) / 1e9
        return "{\"kind\":\"duplex-async\",\"size\":\(size),\"count\":\(count),\"writes_per_s\":\(format(Double(count) / seconds)),"
            + "\"flush_ms\":\(format(Double(end - written) / 1e6)),\"lag_max\":\(lagMax),\"lag_samples\":\(lagSamples),"
            + "\"replicated\":\(flushed.isReplicated)}"
    }

    /// The mate's lag in updates, as `duplexctl checkpoints` reports it.
    static func mateLag(_ client: DuplexClient) throws -> UInt64? {
        guard case .checkpoints(let report) = try client.send(.checkpoints) else {
            throw BenchError("unexpected answer to a checkpoint report request")
        }
        return report.sync.mateLag
    }

    /// `count` sections of `size` bytes in checkpoint `fill` (async, then a flush).
    static func fill(size: Int, count: Int) throws -> String {
        let checkpoint = try open("fill")
        try waitReplicated(checkpoint)
        let start = nowNanoseconds()
        for index in 0..<count {
            try checkpoint.write(SectionKey("f/\(index)"), payload(size: size, index: index), mode: .async)
        }
        let flushed = try checkpoint.flush()
        let seconds = Double(nowNanoseconds() - start) / 1e9
        return "{\"kind\":\"duplex-fill\",\"size\":\(size),\"count\":\(count),\"ms\":\(format(seconds * 1000)),"
            + "\"replicated\":\(flushed.isReplicated)}"
    }
}
