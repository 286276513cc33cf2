import Glibc

/// duplex-ckbench: the measuring client of Tools/bench/checkpoint. Each command prints one JSON
/// line on standard output. Duplex commands use DUPLEX_CHECKPOINT_SOCKET.
let usage = """
    usage: duplex-ckbench COMMAND [--size BYTES] [--count N] [options]
      duplex-sync   --size 64 --count 20000           sync write latency
      duplex-async  --size 64 --count N --control SOCK async writes/s (flush included), mate lag
      duplex-fill   --size 1024 --count 100000        sections in checkpoint "fill"
      duplex-hot    --control SOCK [--timeout 120]    ms from start until the replica is hot
      duplex-resync --control SOCK [--timeout 120]    ms from `duplexctl resync` until hot again
      redis-sync    --host H --port P --size --count  SET + WAIT 1 0 latency
      redis-async   --host H --port P --size --count  pipelined SET writes/s (then WAIT 1 0)
      redis-fill    --host H --port P --size --count  pipelined SET of distinct keys
      redis-resync  --host H --port P --primary H2 --primary-port P2 [--timeout 120]
    """

/// `--name value` pairs after the command.
func options(_ arguments: ArraySlice<String>) throws -> [String: String] {
    var result: [String: String] = [:]
    var index = arguments.startIndex
    while index < arguments.endIndex {
        let name = arguments[index]
        guard name.hasPrefix("--"), index + 1 < arguments.endIndex else { throw BenchError("bad argument \(name)\n\(usage)") }
        result[String(name.dropFirst(2))] = arguments[index + 1]
        index += 2
    }
    return result
}

func run(_ command: String, _ values: [String: String]) throws -> String {
    func integer(_ name: String, _ fallback: Int? = nil) throws -> Int {
        guard let text = values[name] ?? fallback.map(String.init), let value = Int(text), value > 0 else {
            throw BenchError("--\(name) needs a positive integer")
        }
        return value
    }
    func text(_ name: String) throws -> String {
        guard let value = values[name] else { throw BenchError("--\(name) is required") }
        return value
    }
    func port(_ name: String) throws -> UInt16 {
        guard let value = UInt16(try text(name)) else { throw BenchError("--\(name) needs a port") }
        return value
    }
    switch command {
    case "duplex-sync": return try CheckpointRuns.sync(size: integer("size"), count: integer("count"))
    case "duplex-async": return try CheckpointRuns.async(size: integer("size"), count: integer("count"), control: text("control"))
    case "duplex-fill": return try CheckpointRuns.fill(size: integer("size"), count: integer("count"))
    case "duplex-hot": return try HotWait.run(control: text("control"), timeoutSeconds: integer("timeout", 120))
    case "duplex-resync": return try HotWait.command(control: text("control"), timeoutSeconds: integer("timeout", 120))
    case "redis-sync": return try RedisRuns.sync(host: text("host"), port: port("port"), size: integer("size"), count: integer("count"))
    case "redis-async": return try RedisRuns.async(host: text("host"), port: port("port"), size: integer("size"), count: integer("count"))
    case "redis-fill": return try RedisRuns.fill(host: text("host"), port: port("port"), size: integer("size"), count: integer("count"))
    case "redis-resync":
        return try RedisRuns.resync(
            host: text("host"), port: port("port"), primary: text("primary"), primaryPort: port("primary-port"),
            timeoutSeconds: integer("timeout", 120))
    default: throw BenchError("unknown command \(command)\n\(usage)")
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    note(usage)
    exit(2)
}
do {
    print(try run(arguments[1], try options(arguments[2...])))
} catch {
    note("\(arguments[1]): \(error)")
    exit(1)
}
