/// The Redis side: SET + WAIT 1 0 latency, pipelined SET throughput, fill and a fresh REPLICAOF.
enum RedisRuns {
    static let keysDistinct = 1000
    static let batch = 1000

    /// One `SET key value` and `WAIT 1 0` per write, sent together; latency to the WAIT reply.
    static func sync(host: String, port: UInt16, size: Int, count: Int) throws -> String {
        let connection = try RedisConnection(host: host, port: port)
        let wait = [Array("WAIT".utf8), Array("1".utf8), Array("0".utf8)]
        let requests: [[UInt8]] = (0..<keysDistinct).map { index in
            var bytes: [UInt8] = []
            RedisConnection.encode([Array("SET".utf8), Array("s:\(index)".utf8), payload(size: size, index: index)], into: &bytes)
            RedisConnection.encode(wait, into: &bytes)
            return bytes
        }
        var samples = LatencySamples(capacity: count)
        var unreplicated = 0
        for index in 0..<count {
            let start = nowNanoseconds()
            try connection.send(requests[index % keysDistinct])
            let set = try connection.reply()
            let acknowledged = try connection.reply()
            samples.append(nowNanoseconds() - start)
            guard set == .simple("OK") else { throw BenchError("SET answered \(set)") }
            if acknowledged != .integer(1) { unreplicated += 1 }
        }
        samples.writeIfAsked()
        return "{\"kind\":\"redis-sync\",\"size\":\(size),\"count\":\(count),\(samples.jsonFields()),\"unreplicated\":\(unreplicated)}"
    }

    /// Pipelined SETs on one connection, `batch` per write with one batch ahead, then
    /// `WAIT 1 0`: writes/s with and without the wait for the replica.
    static func pipelined(host: String, port: UInt16, size: Int, count: Int, prefix: String, distinct: Int) throws -> (setMs: Double, totalMs: Double, replicas: RedisReply) {
        let connection = try RedisConnection(host: host, port: port)
        let batches = (count + batch - 1) / batch
        func encodeBatch(_ number: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch * (size + 48))
            for index in (number * batch)..<min(count, (number + 1) * batch) {
                RedisConnection.encode(
                    [Array("SET".utf8), Array("\(prefix):\(index % distinct)".utf8), payload(size: size, index: index)], into: &bytes)
            }
            return bytes
        }
        let start = nowNanoseconds()
        try connection.send(encodeBatch(0))
        for number in 0..<batches {
            if number + 1 < batches { try connection.send(encodeBatch(number + 1)) }
            for _ in (number * batch)..<min(count, (number + 1) * batch) {
                let reply = try connection.reply()
                guard reply == .simple("OK") else { throw BenchError("SET answered \(reply)") }
            }
        }
        let sets = nowNanoseconds()
        let replicas = try connection.command("WAIT", "1", "0")
        let end = nowNanoseconds()
        return (Double(sets - start) / 1e6, Double(end - start) / 1e6, replicas)
    }

    static func async(host: String, port: UInt16, size: Int, count: Int) throws -> String {
        let result = try pipelined(host: host, port: port, size: size, count: count, prefix: "a", distinct: keysDistinct)
        return "{\"kind\":\"redis-async\",\"size\":\(size),\"count\":\(count),"
            + "\"writes_per_s\":\(format(Double(count) / result.totalMs * 1000)),"
            + "\"writes_per_s_no_wait\":\(format(Double(count) / result.setMs * 1000)),"
            + "\"wait_ms\":\(format(result.totalMs - result.setMs)),\"replicated\":\(result.replicas == .integer(1))}"
    }

    static func fill(host: String, port: UInt16, size: Int, count: Int) throws -> String {
        let result = try pipelined(host: host, port: port, size: size, count: count, prefix: "f", distinct: count)
        return "{\"kind\":\"redis-fill\",\"size\":\(size),\"count\":\(count),\"ms\":\(format(result.totalMs)),"
            + "\"replicated\":\(result.replicas == .integer(1))}"
    }

    /// On the replica: `REPLICAOF primary port`, then `INFO replication` every 2 ms until the
    /// link is up and no sync is in progress (at most `timeoutSeconds`).
    static func resync(host: String, port: UInt16, primary: String, primaryPort: UInt16, timeoutSeconds: Int) throws -> String {
        let connection = try RedisConnection(host: host, port: port)
        let start = nowNanoseconds()
        let answer = try connection.command("REPLICAOF", primary, "\(primaryPort)")
        guard answer == .simple("OK") || answer == .simple("OK Already connected to specified master") else {
            throw BenchError("REPLICAOF answered \(answer)")
        }
        let deadline = start + UInt64(timeoutSeconds) * 1_000_000_000
        var transferStarted: UInt64?
        while nowNanoseconds() < deadline {
            guard case .bulk(let info) = try connection.command("INFO", "replication") else { throw BenchError("INFO failed") }
            let now = nowNanoseconds()
            if transferStarted == nil, info.contains("master_sync_total_bytes:") && !info.contains("master_sync_total_bytes:-1") {
                transferStarted = now
            }
            if info.contains("master_link_status:up") && info.contains("master_sync_in_progress:0") {
                let started = transferStarted.map { format(Double($0 - start) / 1e6) } ?? "null"
                return "{\"kind\":\"redis-resync\",\"up_ms\":\(format(Double(now - start) / 1e6)),\"transfer_seen_ms\":\(started)}"
            }
            sleepMilliseconds(2)
        }
        throw BenchError("the Redis replica was not in sync within \(timeoutSeconds) s")
    }
}
