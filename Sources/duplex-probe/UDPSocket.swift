import Glibc

/// A UDP socket that owns its file descriptor.
struct UDPSocket: ~Copyable {
    let fd: Int32

    /// Opens a datagram socket. The corresponding C function is `socket`.
    init(family: Int32) throws(ProbeError) {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw .system("socket: \(Self.describeErrno())") }
        self.fd = fd
    }

    deinit {
        // Nothing useful can be done if close fails on exit.
        _ = close(fd)
    }

    /// Sets an integer socket option. The corresponding C function is `setsockopt`.
    func setOption(level: Int32, name: Int32, value: Int32, label: String) throws(ProbeError) {
        var value = value
        let rc = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        guard rc == 0 else { throw .system("setsockopt(\(label)): \(Self.describeErrno())") }
    }

    /// Sets the receive timeout. The corresponding C call is `setsockopt(SO_RCVTIMEO)`.
    func setReceiveTimeout(nanoseconds: UInt64) throws(ProbeError) {
        var tv = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1_000))
        let rc = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard rc == 0 else { throw .system("setsockopt(SO_RCVTIMEO): \(Self.describeErrno())") }
    }

    /// Binds to `address`. The corresponding C function is `bind`.
    func bind(to address: SocketAddress) throws(ProbeError) {
        let rc = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        guard rc == 0 else { throw .system("bind: \(Self.describeErrno())") }
    }

    /// Sends one datagram; returns false if the kernel refused it (the caller counts it).
    /// The corresponding C function is `sendto`.
    func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> Bool {
        let sent = address.withSockaddr { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, $1) }
        return sent == bytes.count
    }

    /// Receives one datagram into `buffer`.
    /// - Parameter wait: false for a non-blocking receive (`MSG_DONTWAIT`).
    /// - Returns: the datagram's size, or nil if none arrived (`EAGAIN`, timeout, `EINTR`).
    /// - Throws: `ProbeError.system` on any other error.
    /// The corresponding C function is `recvfrom`.
    func receive(
        into buffer: UnsafeMutableRawBufferPointer, from source: inout SocketAddress, wait: Bool
    ) throws(ProbeError) -> Int? {
        let flags: Int32 = wait ? 0 : Int32(MSG_DONTWAIT)
        let count = source.withMutableSockaddr { recvfrom(fd, buffer.baseAddress, buffer.count, flags, $0, $1) }
        if count >= 0 { return count }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return nil }
        // A refused or unreachable reply path is a lost probe, not a reason to stop.
        if code == ECONNREFUSED || code == EHOSTUNREACH || code == ENETUNREACH { return nil }
        throw .system("recvfrom: \(Self.describeErrno(code))")
    }

    static func describeErrno(_ code: Int32 = errno) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text)) (errno \(code))"
    }
}
