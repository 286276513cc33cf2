import Glibc

/// Unbuffered writes to the standard streams (the C `stdout`/`stderr` globals are not
/// concurrency-safe in Swift 6, and unbuffered output is what a log reader wants).
enum StandardStream {
    static func writeOutput(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func writeError(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Writes all of `text`. The corresponding C function is `write`.
    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            // Bounded: every pass writes at least one byte or gives up.
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // A closed stream: nothing left to tell.
                offset += written
            }
        }
    }
}
