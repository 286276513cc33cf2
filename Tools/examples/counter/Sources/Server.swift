import Duplex
import Glibc

/// The service: one UDP socket on the logical address, one checkpoint section per client
/// (`client/IP`: the count and the id of the last request, 8 bytes each).
final class Server {
    let options: Options
    let fd: Int32
    var checkpoint: Checkpoint?
    /// The standby's warm copy of the replica (client → count).
    var cache: [String: UInt64] = [:]
    var lastWarmed = 0

    static let limits = CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 4096, sectionSizeMax: 16)

    init(_ options: Options) {
        self.options = options
        fd = udpSocket(timeoutMilliseconds: 200)
        var on: Int32 = 1
        // The logical address is on this board only while it is active: bind it anyway.
        setsockopt(fd, Int32(IPPROTO_IP), IP_FREEBIND, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = socketAddress(options.address, options.port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { fail("bind \(options.address):\(options.port): errno \(errno)") }
        say("duplex-counter: serving \(options.address):\(options.port), checkpoint socket \(options.socket)")
    }

    /// Serves until the process is stopped (SIGTERM from the supervisor or the lab).
    func run() -> Never {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
                }
            }
            guard count >= 8 else {
                warmCache()
                continue
            }
            guard let reply = answer(client: Self.name(of: peer), request: bigEndianUInt64(buffer[0..<8])) else { continue }
            // The request id first: a client that retried tells a late answer from the current one.
            let text = Array(buffer[0..<8]) + Array(String(reply).utf8)
            _ = text.withUnsafeBytes { raw in
                withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, raw.baseAddress, raw.count, 0, $0, length) }
                }
            }
        }
    }

    /// The client's count after this request, written to the mate before it is returned;
    /// nil when it cannot be stored (no reply: the client asks again).
    func answer(client: String, request: UInt64) -> UInt64? {
        guard let checkpoint = writableCheckpoint() else { return nil }
        let key = SectionKey("client/\(client)")
        do throws(CheckpointClientError) {
            let stored = try checkpoint.read(key) ?? []
            let count = stored.count == 16 ? bigEndianUInt64(stored[0..<8]) : 0
            if stored.count == 16, bigEndianUInt64(stored[8..<16]) == request { return count }  // a repeat
            try checkpoint.write(key, bytes(of: count + 1) + bytes(of: request), mode: .sync)
            return count + 1
        } catch {
            say("duplex-counter: \(error); the client will ask again")
            self.checkpoint = nil
            return nil
        }
    }

    /// The checkpoint, opened writable (again after a takeover); nil on a standby or without a daemon.
    func writableCheckpoint() -> Checkpoint? {
        if let checkpoint, checkpoint.isWritable { return checkpoint }
        checkpoint = nil
        do throws(CheckpointClientError) {
            let opened = try Checkpoint.open(name: "counter", limits: Self.limits, socketPath: options.socket)
            checkpoint = opened
            return opened.isWritable ? opened : nil
        } catch {
            say("duplex-counter: cannot open the checkpoint: \(error)")
            return nil
        }
    }

    /// On the standby, about once a second: reads the replica into the cache.
    func warmCache() {
        let now = Int(time(nil))
        guard now != lastWarmed else { return }
        lastWarmed = now
        if checkpoint?.isWritable == true { return }
        do throws(CheckpointClientError) {
            let replica: Checkpoint
            if let checkpoint {
                replica = checkpoint
            } else {
                replica = try Checkpoint.open(name: "counter", creating: false, socketPath: options.socket)
            }
            checkpoint = replica
            var counts: [String: UInt64] = [:]
            try replica.forEachSection { key, bytes in
                if bytes.count == 16 { counts[key.description] = bigEndianUInt64(bytes[0..<8]) }
            }
            if counts != cache { say("duplex-counter: replica holds \(counts.count) clients, \(counts.values.reduce(0, +)) requests") }
            cache = counts
        } catch {
            checkpoint = nil  // not there yet (nothing written on the active), or no daemon: try again later
        }
    }

    /// The client's IPv4 address in text. The corresponding C function is `inet_ntop`.
    static func name(of peer: sockaddr_in) -> String {
        var address = peer.sin_addr
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil else { return "unknown" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
