public import SystemPackage
import Glibc

/// A listening Unix stream socket for the control plane, reachable by root only (mode 0600).
/// Creates the parent directory when missing and replaces a stale socket file.
public final class UnixListener {
    public let path: String
    public let fileDescriptor: CInt

    /// The corresponding C calls are `socket(AF_UNIX)`, `bind`, `chmod` and `listen`.
    /// - Throws: `Errno`; `ENAMETOOLONG` for a path longer than `sun_path`.
    public init(path: String) throws(Errno) {
        self.path = path
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty { _ = mkdir(directory, 0o755) }  // EEXIST is fine; bind reports the rest
        _ = unlink(path)  // a stale socket of a previous run; ENOENT is fine
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw .fileNameTooLong }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let fd = try Syscall.retrying { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) }
        fileDescriptor = fd
        do throws(Errno) {
            _ = try Syscall.retrying {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
            _ = try Syscall.retrying { chmod(path, 0o600) }
            _ = try Syscall.retrying { listen(fd, 16) }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        close(fileDescriptor)
        _ = unlink(path)  // best effort: the next start replaces it anyway
    }

    /// Accepts one pending connection as a blocking socket with send and receive timeouts.
    /// - Returns: nil when nothing is pending.
    public func accept() throws(Errno) -> CInt? {
        let fd = try Syscall.nonBlocking { Glibc.accept(fileDescriptor, nil, nil) }
        guard let fd else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // supervised children must not inherit it
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }
}
