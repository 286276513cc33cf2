import Glibc

/// One TCP connection speaking RESP (the Redis protocol) with blocking sockets.
final class RedisConnection {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    /// The receive area, allocated once so that a read costs no allocation.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    /// Connects to `host:port` (IPv4) with TCP_NODELAY.
    /// The corresponding C functions are `socket`, `connect` and `setsockopt(TCP_NODELAY)`.
    init(host: String, port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw BenchError("bad IPv4 address \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw BenchError("connect \(host):\(port): errno \(code)")
        }
        var one: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))  // latency only
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(descriptor) }

    /// Appends one command as a RESP array of bulk strings.
    static func encode(_ arguments: [[UInt8]], into bytes: inout [UInt8]) {
        bytes.append(contentsOf: Array("*\(arguments.count)\r\n".utf8))
        for argument in arguments {
            bytes.append(contentsOf: Array("$\(argument.count)\r\n".utf8))
            bytes.append(contentsOf: argument)
            bytes.append(13)
            bytes.append(10)
        }
    }

    /// Sends every byte. The corresponding C function is `send`.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw BenchError("send: errno \(errno)")
            }
            offset += sent
        }
    }

    /// Sends one command and reads its reply.
    func command(_ words: String...) throws -> RedisReply {
        var bytes: [UInt8] = []
        Self.encode(words.map { Array($0.utf8) }, into: &bytes)
        try send(bytes)
        return try reply()
    }

    /// Reads one reply. An error reply is returned, not thrown.
    func reply() throws -> RedisReply {
        let line = try readLine()
        guard let first = line.first else { throw BenchError("empty reply line") }
        let text = String(decoding: line.dropFirst(), as: UTF8.self)
        switch first {
        case UInt8(ascii: "+"): return .simple(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: ":"): return .integer(Int(text) ?? 0)
        case UInt8(ascii: "$"):
            guard let length = Int(text) else { throw BenchError("bad bulk length \(text)") }
            if length < 0 { return .null }
            let body = try readBytes(length + 2)
            return .bulk(String(decoding: body.prefix(length), as: UTF8.self))
        default:
            throw BenchError("unexpected reply type \(first)")
        }
    }

    private func readLine() throws -> ArraySlice<UInt8> {
        for _ in 0..<1_000_000 {
            if let end = buffer[position...].firstIndex(of: 10), end > position, buffer[end - 1] == 13 {
                let line = buffer[position..<(end - 1)]
                position = end + 1
                return line
            }
            try fill()
        }
        throw BenchError("reply line too long")
    }

    private func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        for _ in 0..<1_000_000 where buffer.count - position < count { try fill() }
        guard buffer.count - position >= count else { throw BenchError("short bulk reply") }
        defer { position += count }
        return buffer[position..<(position + count)]
    }

    /// Reads more bytes from the socket. The corresponding C function is `recv`.
    private func fill() throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 1 << 19 {
            buffer.removeFirst(position)
            position = 0
        }
        let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if received < 0 {
            if errno == EINTR { return }
            throw BenchError("recv: errno \(errno)")
        }
        guard received > 0 else { throw BenchError("connection closed by redis") }
        buffer.append(contentsOf: chunk[0..<received])
    }
}

/// A RESP reply.
enum RedisReply: Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk(String)
    case null
}
