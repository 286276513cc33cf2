import Glibc

/// Writes `contents` to a new executable file at `path` (mode 0755), replacing any file there.
///
/// The descriptor is close-on-exec and closed before this returns: a process spawned by another
/// thread meanwhile cannot keep the file open for writing, which would make every later
/// `execve` of it fail with ETXTBSY ("text file busy"). The corresponding C functions are
/// `open` with `O_CLOEXEC`, `write` and `close`.
/// - Throws: `SpawnError` naming the path and the failing step.
public func writeExecutable(_ path: String, _ contents: String) throws {
    _ = unlink(path)  // absent is fine; a file still executing keeps its own inode
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw SpawnError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let bytes = Array(contents.utf8)
    var written = 0
    while written < bytes.count {  // bounded: each pass writes at least one byte or throws
        let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if result < 0, errno == EINTR { continue }
        guard result > 0 else { throw SpawnError("cannot write \(path): \(String(cString: strerror(errno)))") }
        written += result
    }
    guard fchmod(fd, 0o755) == 0 else { throw SpawnError("cannot chmod \(path): \(String(cString: strerror(errno)))") }
}
