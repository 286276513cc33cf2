// duplex-counter: an example line-card process. It serves UDP on the logical IP: each request
// is answered with the number of requests that client (its IP address) has made, kept in the
// checkpoint "counter" (one section per client, written synchronously before the reply), so
// that the process on the standby continues the counts after a failover.
//
//   duplex-counter serve --address 198.51.100.10 [--port 7501] [--socket PATH]
//   duplex-counter query --address 198.51.100.10 [--port 7501] [--count N] [--attempts N]
// (port 7501 by default: duplex-probe, which may run next to it, answers on 7500)
//
// A request is an 8-byte request id (big-endian); the reply is the same 8 bytes, then the count
// in decimal. A request repeated with the same id (a lost reply) gets the same count again, not
// a new one, and `query` skips replies to earlier requests.
// `serve` binds with IP_FREEBIND, so it runs on both boards: only the board that holds the
// logical address receives requests. On the standby it reads the replica once a second (a
// warm cache of the counts). `query` sends --count requests one after the other, each retried
// up to --attempts times 200 ms apart, and prints each count on a line.
import Duplex
import Glibc

struct Options {
    var mode = ""
    var address = ""
    var port: UInt16 = 7501
    var socket = Checkpoint.environmentSocketPath
    var count = 1
    var attempts = 50
}

func fail(_ message: String) -> Never {
    say("duplex-counter: \(message)")
    exit(2)
}

func say(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments.dropFirst()
    guard let mode = rest.popFirst(), mode == "serve" || mode == "query" else { fail("usage: duplex-counter serve|query --address IP ...") }
    options.mode = mode
    while let flag = rest.popFirst() {
        guard let value = rest.popFirst() else { fail("\(flag) needs a value") }
        switch flag {
        case "--address": options.address = value
        case "--port": options.port = UInt16(value) ?? { fail("bad --port \(value)") }()
        case "--socket": options.socket = value
        case "--count": options.count = Int(value) ?? { fail("bad --count \(value)") }()
        case "--attempts": options.attempts = Int(value) ?? { fail("bad --attempts \(value)") }()
        default: fail("unknown option \(flag)")
        }
    }
    guard !options.address.isEmpty else { fail("--address is required") }
    return options
}

/// An IPv4 socket address. The corresponding C function is `inet_pton`.
func socketAddress(_ address: String, _ port: UInt16) -> sockaddr_in {
    var result = sockaddr_in()
    result.sin_family = sa_family_t(AF_INET)
    result.sin_port = port.bigEndian
    guard inet_pton(AF_INET, address, &result.sin_addr) == 1 else { fail("not an IPv4 address: \(address)") }
    return result
}

/// A UDP socket with a receive timeout. The corresponding C functions are `socket` and `setsockopt`.
func udpSocket(timeoutMilliseconds: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { fail("socket: errno \(errno)") }
    var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

func bigEndianUInt64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
}

func bytes(of value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
}

let options = parse(CommandLine.arguments)
if options.mode == "serve" {
    Server(options).run()
} else {
    query(options)
}
