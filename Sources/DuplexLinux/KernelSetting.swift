import Glibc

/// Writes a kernel setting under /proc/sys (of this thread's network namespace for net.*).
public enum KernelSetting {
    /// Writes `value` to `path`; false with `errno` set when it cannot.
    public static func write(_ path: String, _ value: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let text = value + "\n"
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        return written == text.utf8.count
    }
}
