public import DuplexCore
public import SystemPackage
import Glibc

/// The crash-safe files of a board's persistent checkpoints: one journal per checkpoint in
/// `directory`, in the format of `CheckpointJournalFormat`.
///
/// Write-ahead: the checkpoint thread appends each applied update of a persistent checkpoint
/// (`record(_:in:)`) before it answers the write or acknowledges it to the mate, and
/// `sync()` (once per wake-up, before any answer leaves) makes the appended records durable.
/// A new file, a snapshot and a compaction rewrite a file whole and atomically: temporary
/// file, `fsync`, `rename`, `fsync` of the directory. A file that could not be written is
/// removed rather than left behind incomplete, and rewritten whole at the checkpoint's next
/// update: a journal on disk is never missing an update it claims to follow.
///
/// Not thread-safe: the checkpoint thread owns it.
public final class CheckpointJournal {
    /// The directory of the journals (`[checkpoint] directory`).
    public let directory: String
    /// A journal is compacted (rewritten from the checkpoint's content) once it is larger
    /// than this and than twice its size after the last rewrite.
    public let compactionSizeMin: Int

    struct OpenJournal {
        var fd: CInt
        var size: Int
        var records: UInt64
        /// The file's size right after its last rewrite.
        var rewrittenSize: Int
    }

    var journals: [String: OpenJournal] = [:]
    /// Journals appended to since the last `sync()`.
    var dirty: Set<String> = []

    /// - Parameters:
    ///   - directory: where the journals live; created (mode 0700) when missing.
    ///   - compactionSizeMin: see `compactionSizeMin`.
    /// - Throws: `Errno` from `mkdir`.
    public init(directory: String, compactionSizeMin: Int = 4 * 1024 * 1024) throws(Errno) {
        precondition(compactionSizeMin > 0 && directory.hasPrefix("/"), "an absolute directory and a positive compaction bound")
        self.directory = directory
        self.compactionSizeMin = compactionSizeMin
        try Self.makeDirectories(directory)
    }

    deinit {
        for journal in journals.values { close(journal.fd) }
    }

    /// The names of the checkpoints that have a journal open, in order.
    public var names: [String] { journals.keys.sorted() }

    /// The path of a checkpoint's journal.
    public func path(of checkpoint: String) -> String {
        directory + "/" + CheckpointJournalFormat.fileName(for: checkpoint)
    }

    /// Keeps an update the store applied: appends it to the checkpoint's journal (compacting
    /// a journal grown past its bound), starts the journal of a new persistent checkpoint (or
    /// of one whose journal failed), or removes the journal of a removed checkpoint.
    /// Updates of checkpoints that are not persistent are ignored.
    /// - Parameter store: the store after the update.
    /// - Throws: `Errno`; the checkpoint's journal is then removed and rewritten whole at its
    ///   next update.
    public func record(_ update: CheckpointUpdate, in store: CheckpointStore) throws(Errno) {
        let name = update.checkpoint
        guard let checkpoint = store.checkpoint(name), checkpoint.limits.persistent else {
            if journals[name] != nil { try remove(name) }
            return
        }
        guard var journal = journals[name] else {
            try rewrite(checkpoint)
            return
        }
        let bytes = CheckpointJournalFormat.record(update, number: journal.records + 1)
        do {
            try Self.writeAll(journal.fd, bytes)
        } catch {
            drop(name)
            throw error
        }
        journal.size += bytes.count
        journal.records += 1
        journals[name] = journal
        dirty.insert(name)
        if journal.size > max(compactionSizeMin, 2 * journal.rewrittenSize) {
            try rewrite(checkpoint)
        }
    }

    /// Makes every record appended since the last call durable (`fsync` of each such file).
    /// - Throws: `Errno` of the first file that failed; that journal is removed (and
    ///   rewritten at its checkpoint's next update), the others are still synced.
    public func sync() throws(Errno) {
        guard !dirty.isEmpty else { return }
        var failure: Errno?
        for name in dirty {
            guard let journal = journals[name] else { continue }
            do {
                _ = try Syscall.retrying { fsync(journal.fd) }
            } catch {
                drop(name)
                failure = failure ?? error
            }
        }
        dirty.removeAll(keepingCapacity: true)
        if let failure { throw failure }
    }

    /// Whether any record waits for `sync()`.
    public var needsSync: Bool { !dirty.isEmpty }

    /// Rewrites every journal from a store that replaced the replica (a snapshot): one file
    /// per persistent checkpoint of the store, and none for any other.
    /// - Throws: the first `Errno`; the other files are still rewritten or removed.
    public func replaceAll(from store: CheckpointStore) throws(Errno) {
        var failure: Errno?
        let persistent = store.persistentNames
        for name in names where !persistent.contains(name) {
            do { try remove(name) } catch { failure = failure ?? error }
        }
        for name in persistent {
            do { try rewrite(store.checkpoint(name)!) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// Rewrites a checkpoint's journal from its content, atomically, and keeps it open for
    /// appending.
    /// The corresponding C calls are `open(O_CREAT | O_TRUNC)`, `write`, `fsync`, `rename`
    /// and `fsync` of the directory.
    /// - Throws: `Errno`; the checkpoint then has no journal.
    public func rewrite(_ checkpoint: Checkpoint) throws(Errno) {
        let name = checkpoint.name
        drop(name, unlinking: false)
        let target = path(of: name)
        let temporary = target + ".tmp"
        var bytes = CheckpointJournalFormat.fileHeader
        let image = CheckpointJournalFormat.image(of: checkpoint)
        for (index, update) in image.enumerated() {
            bytes += CheckpointJournalFormat.record(update, number: UInt64(index + 1))
        }
        let fd = try Syscall.retrying { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600) }
        do {
            try Self.writeAll(fd, bytes)
            _ = try Syscall.retrying { fsync(fd) }
            _ = try Syscall.retrying { rename(temporary, target) }
            try syncDirectory()
        } catch {
            close(fd)
            unlink(temporary)  // best effort: a leftover temporary file is removed at the next load
            unlink(target)  // best effort: never leave an older journal that misses updates
            throw error
        }
        journals[name] = OpenJournal(fd: fd, size: bytes.count, records: UInt64(image.count), rewrittenSize: bytes.count)
        dirty.remove(name)
    }

    /// Removes a checkpoint's journal (`unlink`, then `fsync` of the directory).
    /// - Throws: `Errno` other than `ENOENT`.
    public func remove(_ name: String) throws(Errno) {
        drop(name, unlinking: false)
        _ = try Syscall.retrying { () -> CInt in
            let result = unlink(path(of: name))
            return result == -1 && errno == ENOENT ? 0 : result
        }
        try syncDirectory()
    }

    /// Closes a journal and forgets it; with `unlinking`, removes its file too (best effort,
    /// after a failure: the caller reports the failure itself).
    func drop(_ name: String, unlinking: Bool = true) {
        guard let journal = journals.removeValue(forKey: name) else { return }
        close(journal.fd)
        dirty.remove(name)
        if unlinking { unlink(path(of: name)) }  // best effort, see above
    }

    /// `fsync` of the directory, so that a `rename` or `unlink` survives a crash.
    func syncDirectory() throws(Errno) {
        let fd = try Syscall.retrying { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        _ = try Syscall.retrying { fsync(fd) }
    }

    /// Writes every byte (`write` until done).
    static func writeAll(_ fd: CInt, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Result { () throws(Errno) in
                    try Syscall.retrying { write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
                }
            }
            let written = try result.get()
            guard written > 0 else { throw Errno.ioError }
            offset += written
        }
    }

    /// `mkdir -p` with mode 0700.
    static func makeDirectories(_ path: String) throws(Errno) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            _ = try Syscall.retrying { () -> CInt in
                let result = mkdir(prefix, 0o700)
                return result == -1 && errno == EEXIST ? 0 : result
            }
        }
    }
}
