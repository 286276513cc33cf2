import Glibc

/// A named checkpoint of the board: sections (key → bytes) that `duplexd` replicates to the
/// mate, so that the process taking over on the standby continues where this one stopped.
///
/// Open it once and keep it: each `Checkpoint` holds one persistent connection to the board's
/// checkpoint service and a reader thread for the answers. Every call is thread-safe.
///
/// ```swift
/// let calls = try Checkpoint.open(
///     name: "calls", limits: CheckpointLimits(sizeMax: 1 << 20, sectionsMax: 1024, sectionSizeMax: 512))
/// try calls.write("call/17", record)                  // returns once the mate holds it
/// try calls.write("stats", counters, mode: .async)    // returns at once
/// try calls.flush()                                   // every earlier write is on the mate
/// let record = try calls.read("call/17")
/// ```
///
/// On the standby, a checkpoint opens read-only (``isWritable`` is false): its process can
/// read the replica to warm its caches; once the board is active, writes are taken.
///
/// Blocking calls wait at most ``timeout``. Each has an `async` variant of the same name that
/// suspends instead of blocking (the reader thread resumes it).
public final class Checkpoint: Sendable {
    /// The default checkpoint socket (`[checkpoint] socket`).
    public static let defaultSocketPath = "/run/duplex/checkpoint.sock"
    /// Environment variable naming the socket for supervised components.
    public static let socketEnvironmentVariable = "DUPLEX_CHECKPOINT_SOCKET"
    public static let defaultTimeout = Duration.seconds(5)

    public let name: String
    /// How long a blocking call waits for the daemon's answer.
    public let timeout: Duration
    /// The checkpoint as it was when opened (limits, size, role of the board).
    public let openedInfo: CheckpointInfo
    let connection: CheckpointConnection

    private init(name: String, timeout: Duration, info: CheckpointInfo, connection: CheckpointConnection) {
        self.name = name
        self.timeout = timeout
        self.openedInfo = info
        self.connection = connection
    }

    deinit {
        connection.close()
    }

    /// The limits the checkpoint was created with.
    public var limits: CheckpointLimits { openedInfo.limits }

    /// How this checkpoint's session reaches `duplexd`.
    public enum SessionTransport: Sendable, Hashable {
        /// Two byte rings in memory shared with the daemon, an eventfd doorbell each way (the
        /// default where the daemon allows it: `[checkpoint] shared-memory`).
        case sharedMemory
        /// The Unix stream socket (a daemon that refuses shared memory, or
        /// `DUPLEX_CHECKPOINT_TRANSPORT=socket` in the environment).
        case socket
    }

    /// How this checkpoint's session reaches `duplexd`.
    public var transport: SessionTransport { connection.rings == nil ? .socket : .sharedMemory }
    /// Whether the board was active when the checkpoint was opened.
    public var isWritable: Bool { openedInfo.isWritable }

    /// The socket path: `DUPLEX_CHECKPOINT_SOCKET` when set, otherwise ``defaultSocketPath``.
    public static var environmentSocketPath: String {
        guard let value = getenv(socketEnvironmentVariable) else { return defaultSocketPath }
        let path = String(cString: value)
        return path.isEmpty ? defaultSocketPath : path
    }

    /// Opens a checkpoint, creating it when `creating` and it does not exist (only on the
    /// active board; an existing checkpoint keeps the limits it was created with).
    /// - Parameters:
    ///   - limits: total size, section count and section size; each is an error to go over.
    ///     With `persistent: true`, each board also keeps the checkpoint in a crash-safe file
    ///     (`[checkpoint] directory`) so that it survives a restart of both boards.
    ///   - creating: create the checkpoint if missing; otherwise a missing one is `invalid`.
    ///   - socketPath: the board's checkpoint socket.
    /// - Throws: `daemonUnreachable`, `invalid` (no such checkpoint, bad limits or name),
    ///   `overLimit` (too many checkpoints, store full), `notActive` (creating on a standby),
    ///   `timeout`, `connectionLost`.
    public static func open(
        name: String, limits: CheckpointLimits = .maximal, creating: Bool = true,
        socketPath: String = Checkpoint.environmentSocketPath, timeout: Duration = Checkpoint.defaultTimeout
    ) throws(CheckpointClientError) -> Checkpoint {
        precondition(timeout > .zero, "a positive timeout")
        let connection = try CheckpointConnection.connect(path: socketPath, timeout: timeout, checkpoint: name)
        do {
            let id = try connection.enqueue(immediately: true, waiter: .blocked, checkpoint: name) { id, bytes throws(ReplicationDecodeError) in
                try SessionRequest.open(name: name, limits: limits, create: creating).encode(request: id, into: &bytes)
            }
            let info = try opened(connection.wait(for: id, timeout: timeout, checkpoint: name), name: name)
            return Checkpoint(name: name, timeout: timeout, info: info, connection: connection)
        } catch {
            connection.close()
            throw error
        }
    }

    /// ``open(name:limits:creating:socketPath:timeout:)`` without blocking a thread of the pool.
    public static func open(
        name: String, limits: CheckpointLimits = .maximal, creating: Bool = true,
        socketPath: String = Checkpoint.environmentSocketPath, timeout: Duration = Checkpoint.defaultTimeout
    ) async throws(CheckpointClientError) -> Checkpoint {
        precondition(timeout > .zero, "a positive timeout")
        // Connecting to a local Unix socket does not wait for the daemon's loop.
        let connection = try CheckpointConnection.connect(path: socketPath, timeout: timeout, checkpoint: name)
        do {
            let request = SessionRequest.open(name: name, limits: limits, create: creating)
            let completion = await connection.exchange(checkpoint: name) { id, bytes throws(ReplicationDecodeError) in
                try request.encode(request: id, into: &bytes)
            }
            let info = try opened(completion, name: name)
            return Checkpoint(name: name, timeout: timeout, info: info, connection: connection)
        } catch {
            connection.close()
            throw error
        }
    }

    private static func opened(_ completion: CheckpointConnection.Completion, name: String) throws(CheckpointClientError) -> CheckpointInfo {
        switch completion {
        case .success(.opened(let info)): return info
        case .success(.failed(let error)): throw CheckpointClientError(error, checkpoint: name)
        case .success(let other): throw unexpected(other, name: name)
        case .failure(let error): throw error
        }
    }

    static func unexpected(_ response: SessionResponse, name: String) -> CheckpointClientError {
        CheckpointClientError(.protocolError, checkpoint: name, message: "unexpected answer \(response.type) from duplexd")
    }
}
