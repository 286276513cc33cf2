import CDuplexShims
import Glibc

/// A connected Unix stream socket, closed when it goes out of scope.
struct UnixStreamConnection: ~Copyable {
    let descriptor: Int32
    let path: String

    /// Connects to `path`, with `timeout` as SO_SNDTIMEO (bounding `connect` on a full backlog).
    /// The corresponding C functions are `socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)` and `connect`.
    static func connect(path: String, timeout: Duration) throws(DuplexClientError) -> UnixStreamConnection {
        var address = sockaddr_un()
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity, !pathBytes.contains(0) else {
            throw DuplexClientError(code: .systemError, socketPath: path,
                                    message: "socket path \"\(path)\" is empty, has a NUL or exceeds \(capacity - 1) bytes")
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw failure(call: "socket", errno: Glibc.errno, path: path)
        }
        let connection = UnixStreamConnection(descriptor: descriptor, path: path)
        try connection.setTimeout(SO_SNDTIMEO, timeout)
        let size = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = retryingInterrupts {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Int(Glibc.connect(descriptor, $0, size)) }
            }
        }
        if case .failure(let errno) = result {
            throw failure(call: "connect", errno: errno, path: path)
        }
        return connection
    }

    deinit {
        // Nothing useful can be done if close fails on a client socket; the descriptor is gone.
        _ = close(descriptor)
    }

    /// Sets SO_RCVTIMEO or SO_SNDTIMEO. A zero timeval would mean "no timeout", so at least 1 µs.
    /// The corresponding C function is `setsockopt`.
    func setTimeout(_ option: Int32, _ timeout: Duration) throws(DuplexClientError) {
        let nanoseconds = max(timeout.nanoseconds, 1_000)
        var value = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1_000))
        guard setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw Self.failure(call: "setsockopt", errno: Glibc.errno, path: path)
        }
    }

    /// Removes the receive timeout (a zero timeval): reads block until data or end of stream.
    /// The corresponding C function is `setsockopt(SO_RCVTIMEO)`.
    func clearReceiveTimeout() throws(DuplexClientError) {
        var value = timeval(tv_sec: 0, tv_usec: 0)
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw Self.failure(call: "setsockopt", errno: Glibc.errno, path: path)
        }
    }

    /// Writes all of `bytes`. The corresponding C function is `send` with MSG_NOSIGNAL, so a
    /// daemon that closed the socket yields EPIPE rather than killing the process with SIGPIPE.
    func sendAll(_ bytes: [UInt8]) throws(DuplexClientError) {
        var offset = 0
        while offset < bytes.count {
            let result = retryingInterrupts {
                bytes.withUnsafeBytes { raw in
                    send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
            switch result {
            case .success(let sent):
                precondition(sent > 0 && sent <= bytes.count - offset, "send wrote \(sent) bytes")
                offset += sent
            case .failure(let errno):
                throw Self.failure(call: "send", errno: errno, path: path)
            }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means the daemon closed the connection.
    /// The corresponding C function is `read`.
    func receive(into buffer: inout [UInt8]) throws(DuplexClientError) -> Int {
        let result = retryingInterrupts {
            buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        }
        switch result {
        case .success(let count): return count
        case .failure(let errno): throw Self.failure(call: "read", errno: errno, path: path)
        }
    }

    /// Maps an errno to the client's error codes.
    static func failure(call: String, errno: Int32, path: String) -> DuplexClientError {
        switch errno {
        case ENOENT where call == "connect", ENOTDIR where call == "connect":
            return DuplexClientError(code: .daemonUnreachable, socketPath: path,
                                     message: "duplexd is not running (no socket at \(path))", errno: errno)
        case ECONNREFUSED:
            return DuplexClientError(code: .daemonUnreachable, socketPath: path,
                                     message: "duplexd is not running (nothing listening at \(path))", errno: errno)
        case EAGAIN, EWOULDBLOCK, ETIMEDOUT:
            return DuplexClientError(code: .timeout, socketPath: path,
                                     message: "duplexd did not answer in time (\(call) on \(path))", errno: errno)
        default:
            return DuplexClientError(code: .systemError, socketPath: path,
                                     message: "\(call) on \(path): \(errorText(errno))", errno: errno)
        }
    }

    /// The corresponding C function is `strerror`.
    static func errorText(_ errno: Int32) -> String {
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }
}

/// The outcome of one system call: its non-negative result, or the errno it failed with.
enum SystemCallResult {
    case success(Int)
    case failure(Int32)
}

/// Runs a system call again while it fails with EINTR (at most 1,000 times); turns -1 into the
/// errno.
func retryingInterrupts(_ call: () -> Int) -> SystemCallResult {
    for _ in 0..<1_000 {
        let result = call()
        if result >= 0 { return .success(result) }
        let error = errno
        if error != EINTR { return .failure(error) }
    }
    return .failure(EINTR)
}
