import Glibc

/// Answers every probe with its nonce, sequence number and this responder's name.
struct ProbeResponder {
    let options: RespondOptions

    /// Runs until `options.lifetime` has passed (checked at least once a second).
    /// - Throws: `ProbeError.system` if the socket cannot be opened or bound, or a receive fails.
    func run() throws(ProbeError) {
        let socket = try openSocket()
        try socket.setReceiveTimeout(nanoseconds: 1_000_000_000)
        let end = MonotonicClock.now() + options.lifetime
        let name = String(decoding: options.name, as: UTF8.self)
        StandardStream.writeOutput("duplex-probe: responder \(name) listening on port \(options.port)\n")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 8)
        defer { buffer.deallocate() }
        var source = SocketAddress()
        while MonotonicClock.now() < end {
            guard let size = try socket.receive(into: buffer, from: &source, wait: true) else { continue }
            guard let probe = ProbeWire.decodeProbe(UnsafeRawBufferPointer(rebasing: buffer[..<size])) else {
                continue  // Not a probe: ignore it, as a real service would.
            }
            let answerSize = ProbeWire.encodeAnswer(
                nonce: probe.nonce, sequence: probe.sequence, name: options.name, into: buffer)
            // A refused send (no route while the address moves) is a lost answer; the client counts it.
            _ = socket.send(UnsafeRawBufferPointer(rebasing: buffer[..<answerSize]), to: source)
        }
    }

    /// Opens the listening socket: `--bind` if given, else IPv6 dual-stack, else IPv4.
    private func openSocket() throws(ProbeError) -> UDPSocket {
        if let bind = options.bind {
            let socket = try UDPSocket(family: bind.family)
            try socket.bind(to: bind)
            return socket
        }
        do {
            let socket = try UDPSocket(family: AF_INET6)
            try socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 0, label: "IPV6_V6ONLY")
            try socket.bind(to: .wildcard(family: AF_INET6, port: options.port))
            return socket
        } catch {
            // No IPv6 in this namespace or kernel: serve IPv4 alone.
            let socket = try UDPSocket(family: AF_INET)
            try socket.bind(to: .wildcard(family: AF_INET, port: options.port))
            return socket
        }
    }
}
