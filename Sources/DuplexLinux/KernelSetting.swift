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

    /// The first line of `path`, or nil.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first.map(String.init)
    }
}
