public import DuplexCore
import Glibc

/// Reads a key file of `[cluster] key-file` (`PairFrameKey(hex:)`): a regular file that only
/// its owner may read or write (a key others can read authenticates nothing), at most 4 KiB.
public enum PairKeyFile {
    static let sizeMax = 4096

    /// What is wrong with a key file, in words for an operator.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The key in the file at `path`, or what is wrong with it.
    public static func load(_ path: String) -> Result<PairFrameKey, Problem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return .failure(Problem("\(path): \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Problem("\(path): \(String(cString: strerror(errno)))")) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(Problem("\(path) is not a regular file")) }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            return .failure(Problem("\(path) can be read or written by others (mode \(String(mode, radix: 8))); chmod 600 it"))
        }
        guard info.st_size <= sizeMax else { return .failure(Problem("\(path) is larger than \(sizeMax) bytes: not a key file")) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var count = 0
        for _ in 0..<64 where count < bytes.count {  // a regular file of at most 4 KiB: a few reads at most
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            count += got
        }
        guard count == bytes.count else { return .failure(Problem("\(path): short read")) }
        do {
            return .success(try PairFrameKey(hex: String(decoding: bytes, as: UTF8.self)))
        } catch {
            return .failure(Problem("\(path): \(error)"))
        }
    }

    /// The pair's authentication from the configuration's key files, or the configuration
    /// error (file, line, key) of the first one that cannot be used.
    public static func authentication(
        _ settings: Configuration.Authentication?, file: String
    ) -> Result<PairAuthentication?, ConfigurationError> {
        guard let settings else { return .success(nil) }
        let key: PairFrameKey
        switch load(settings.keyFile) {
        case .success(let value): key = value
        case .failure(let problem): return .failure(settings.error(file: file, key: "key-file", problem.description))
        }
        var previous: PairFrameKey?
        if let path = settings.previousKeyFile {
            switch load(path) {
            case .success(let value): previous = value
            case .failure(let problem): return .failure(settings.error(file: file, key: "previous-key-file", problem.description))
            }
        }
        return .success(PairAuthentication(key: key, previousKey: previous))
    }
}
