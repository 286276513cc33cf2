public import DuplexCore
public import SystemPackage
import Glibc

extension CheckpointJournal {
    /// Something found while loading the journals, for the log and the event history.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// The journal's file name.
        public var file: String
        /// What was wrong and what was done about it.
        public var message: String
        /// The file was not loaded (its checkpoint starts empty); false for a torn last record
        /// that was cut off, with the records before it loaded.
        public var refused: Bool

        public var description: String { "\(file): \(message)" }
    }

    /// What `load()` found.
    public struct Loaded: Sendable {
        /// The persistent checkpoints that loaded, as a store to start from.
        public var store = CheckpointStore()
        /// Checkpoints loaded, and records replayed in all.
        public var checkpoints = 0
        public var records = 0
        public var findings: [Finding] = []
    }

    /// The largest journal file loaded (a journal stays far below it: compaction).
    public static let fileSizeMax = 1 << 30

    /// Loads every journal of the directory (at start, before the checkpoint thread serves).
    /// A torn last record is reported and cut off; a file with any other damage is reported
    /// by name, record and offset, renamed to `NAME.journal.corrupt` and not loaded. Journals
    /// that loaded stay open for appending. Leftover temporary files are removed.
    /// - Throws: `Errno` when the directory cannot be read (files that cannot be read are
    ///   findings).
    public func load() throws(Errno) -> Loaded {
        var loaded = Loaded()
        for file in try fileNames() {
            if file.hasSuffix(".journal.tmp") {
                unlink(directory + "/" + file)  // best effort: a rewrite that never finished
                continue
            }
            guard file.hasSuffix(CheckpointJournalFormat.fileSuffix) else { continue }
            guard let name = CheckpointJournalFormat.checkpointName(fileName: file) else {
                loaded.findings.append(Finding(file: file, message: "not a journal file name; ignored", refused: true))
                continue
            }
            load(file: file, name: name, into: &loaded)
        }
        return loaded
    }

    private func load(file: String, name: String, into loaded: inout Loaded) {
        let path = directory + "/" + file
        let content: CheckpointJournalContent
        let fd: CInt
        do {
            (fd, content) = try Self.read(path, name: name)
        } catch let error as CheckpointJournalError {
            rename(path, path + ".corrupt")  // best effort: kept for inspection, not loaded again
            loaded.findings.append(
                Finding(file: file, message: "\(error); not loaded, kept as \(file).corrupt", refused: true))
            return
        } catch {
            loaded.findings.append(Finding(file: file, message: "cannot read: \(error); not loaded", refused: true))
            return
        }
        if let torn = content.tornTail {
            let cut = Syscall.retryingResult { ftruncate(fd, off_t(content.validSize)) } && Syscall.retryingResult { fsync(fd) }
            loaded.findings.append(
                Finding(file: file, message: "\(torn); " + (cut ? "cut off" : "could not be cut off"), refused: false))
        }
        guard let checkpoint = content.checkpoint else {
            close(fd)
            unlink(path)  // best effort: a creation that never finished holds nothing
            return
        }
        do {
            try loaded.store.restore(checkpoint)
        } catch {
            close(fd)
            loaded.findings.append(Finding(file: file, message: "\(error); not loaded", refused: true))
            return
        }
        _ = lseek(fd, 0, SEEK_END)
        journals[name] = OpenJournal(
            fd: fd, size: content.validSize, records: UInt64(content.records), rewrittenSize: content.validSize)
        loaded.checkpoints += 1
        loaded.records += content.records
    }

    /// Opens a journal for appending and replays its bytes.
    private static func read(
        _ path: String, name: String
    ) throws(any Error) -> (CInt, CheckpointJournalContent) {
        let fd = try Syscall.retrying { open(path, O_RDWR | O_APPEND | O_CLOEXEC) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size <= fileSizeMax else {
            close(fd)
            throw Errno.fileTooLarge
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + offset, buffer.count - offset, off_t(offset))
            }
            guard count > 0 else {
                close(fd)
                throw count == 0 ? Errno.ioError : Errno(rawValue: errno)
            }
            offset += count
        }
        do {
            let content = try bytes.withUnsafeBytes { buffer throws(CheckpointJournalError) in
                try CheckpointJournalFormat.replay(buffer, checkpoint: name)
            }
            return (fd, content)
        } catch {
            close(fd)
            throw error
        }
    }

    /// The names in the directory (`opendir`, `readdir`), in order.
    func fileNames() throws(Errno) -> [String] {
        guard let stream = opendir(directory) else { throw Errno(rawValue: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        for _ in 0..<(4 * Limits.checkpointsMax + 64) {
            guard let entry = readdir(stream) else { break }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

extension Syscall {
    /// Runs a call that returns `-1` on failure, retrying `EINTR`.
    /// - Returns: whether it succeeded.
    static func retryingResult(_ body: () -> CInt) -> Bool {
        (try? retrying(body)) != nil  // the caller reports only success or failure
    }
}
