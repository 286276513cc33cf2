import Glibc
import Synchronization

/// A supervised component's session with `duplexd`: register once, send health heartbeats,
/// learn the board's role (`active`, `standby`, `quiescing`, `quiesced`, as in SA Forum AMF),
/// confirm a quiesce, report an error with a recommended recovery.
///
/// `duplexd` gives its components `DUPLEX_COMPONENT` (the name) and `DUPLEX_COMPONENT_SOCKET`.
/// Heartbeats are the component's own: call ``heartbeat()`` from the loop that does the work,
/// more often than the configured `health-timeout` (``heartbeatInterval`` is a third of it),
/// so that a hung loop is seen. Role changes arrive on a thread of the library, through the
/// `onRole` callback and the ``roles`` sequence; on `quiescing`, finish the work in flight and
/// call ``confirmQuiesced()``: a graceful switchover waits for it (or the `quiesce-timeout`).
///
/// ```swift
/// let component = try DuplexComponent()
/// Task {
///     for await role in component.roles {
///         if role == .quiescing { drain(); try component.confirmQuiesced() }
///     }
/// }
/// while running { work(); try component.heartbeat() }
/// ```
public final class DuplexComponent: @unchecked Sendable {
    // @unchecked Sendable: `connection` is used for reads only by the reader thread and for
    // writes only under `writeLock`; `currentRole` is a Mutex; the rest is immutable.

    /// The component's name, as configured in `[component NAME]`.
    public let name: String
    /// The component socket.
    public let socketPath: String
    /// The configured health timeout; nil when the component is watched by exit only.
    public let healthTimeout: Duration?
    /// Role changes, the role at registration first. Buffers the newest 16.
    public let roles: AsyncStream<Role>
    private let continuation: AsyncStream<Role>.Continuation
    private let onRole: (@Sendable (Role) -> Void)?
    private let connection: UnixStreamConnection
    private let writeLock = Mutex(())
    private let currentRole: Mutex<Role>
    private let closed = Atomic<Bool>(false)
    private var reader: pthread_t?

    /// How often to call ``heartbeat()``: a third of the health timeout (nil without one).
    public var heartbeatInterval: Duration? { healthTimeout.map { Duration(nanoseconds: $0.nanoseconds / 3) } }

    /// The role last assigned.
    public var role: Role { currentRole.withLock { $0 } }

    /// Connects and registers.
    /// - Parameters:
    ///   - name: default `$DUPLEX_COMPONENT`.
    ///   - socketPath: default `$DUPLEX_COMPONENT_SOCKET`.
    ///   - timeout: for connecting and for the registration's answer.
    ///   - onRole: called on the library's reader thread with each role, the first one included.
    /// - Throws: `daemonUnreachable` without a socket, `daemonError` when duplexd refused the
    ///   registration (an unknown name, or a process that is not the component's),
    ///   `protocolError`, `timeout`.
    public init(
        name: String? = nil, socketPath: String? = nil, timeout: Duration = .seconds(2),
        onRole: (@Sendable (Role) -> Void)? = nil
    ) throws(DuplexClientError) {
        let path = socketPath ?? Self.environment("DUPLEX_COMPONENT_SOCKET") ?? ""
        guard let name = name ?? Self.environment("DUPLEX_COMPONENT") else {
            throw DuplexClientError(code: .systemError, socketPath: path,
                                    message: "no component name: DUPLEX_COMPONENT is not set (not started by duplexd?)")
        }
        self.name = name
        self.socketPath = path
        self.onRole = onRole
        connection = try UnixStreamConnection.connect(path: path, timeout: timeout)
        try connection.sendAll(ComponentMessage.register(name: name, pid: getpid()).encode())
        let (role, healthTimeout) = try Self.awaitRegistration(connection, timeout: timeout, path: path)
        self.healthTimeout = healthTimeout
        currentRole = Mutex(role)
        (roles, continuation) = AsyncStream<Role>.makeStream(bufferingPolicy: .bufferingNewest(16))
        try connection.clearReceiveTimeout()
        try startReader(initialRole: role)
    }

    deinit {
        close()
    }

    /// Tells duplexd the component is alive. Cheap: one small `send`, no answer.
    public func heartbeat() throws(DuplexClientError) {
        try send(.heartbeat)
    }

    /// Confirms that the work in flight is done after a `quiescing` role.
    public func confirmQuiesced() throws(DuplexClientError) {
        try send(.quiesced)
    }

    /// Reports a failure and the recovery the component recommends; `message` is logged by duplexd.
    public func reportError(_ message: String, recovery: RecommendedRecovery) throws(DuplexClientError) {
        try send(.errorReport(recovery, message: message))
    }

    /// Ends the session (duplexd then stops expecting quiesce confirmations from it) and
    /// waits for the reader thread. Idempotent; called by `deinit`.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = shutdown(connection.descriptor, CInt(SHUT_RDWR))  // wakes the reader thread
        if let reader, pthread_equal(reader, pthread_self()) != 0 {
            pthread_detach(reader)  // closed from a role callback: the thread ends by itself
        } else if let reader {
            pthread_join(reader, nil)
        }
        continuation.finish()
    }

    private func send(_ message: ComponentMessage) throws(DuplexClientError) {
        let bytes = message.encode()
        try writeLock.withLock { _ throws(DuplexClientError) in try connection.sendAll(bytes) }
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    private static func awaitRegistration(
        _ connection: borrowing UnixStreamConnection, timeout: Duration, path: String
    ) throws(DuplexClientError) -> (Role, Duration?) {
        try connection.setTimeout(SO_RCVTIMEO, timeout)
        var decoder = ControlFrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 1024)
        for _ in 0...Limits.controlMessageSizeMax {  // every read brings at least one byte
            let message: ComponentMessage?
            do throws(ControlProtocolError) {
                message = try decoder.nextFrame().map { frame throws(ControlProtocolError) in try ComponentMessage.decode(frame) }
            } catch {
                throw DuplexClientError(code: .protocolError, socketPath: path, message: "bad answer from duplexd: \(error)", protocolError: error)
            }
            switch message {
            case .registered(let role, let healthTimeout)?:
                return (role, healthTimeout)
            case .refused(let reason)?:
                throw DuplexClientError(code: .daemonError, socketPath: path, message: "duplexd refused the registration: \(reason)")
            case let other?:
                throw DuplexClientError(code: .protocolError, socketPath: path, message: "unexpected \(other.type) before registration")
            case nil:
                break
            }
            let count = try connection.receive(into: &buffer)
            guard count > 0 else {
                throw DuplexClientError(code: .protocolError, socketPath: path, message: "duplexd closed the component session")
            }
            decoder.append(buffer[..<count])
        }
        throw DuplexClientError(code: .timeout, socketPath: path, message: "no registration answer from duplexd")
    }

    // MARK: - Reader thread

    private func startReader(initialRole: Role) throws(DuplexClientError) {
        let context = Unmanaged.passRetained(ReaderContext(component: self, initialRole: initialRole)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, componentReaderEntry, context)
        guard result == 0 else {
            Unmanaged<ReaderContext>.fromOpaque(context).release()
            throw DuplexClientError(code: .systemError, socketPath: socketPath, message: "pthread_create: \(result)", errno: result)
        }
        reader = handle
    }

    /// Runs on the reader thread until the session ends.
    fileprivate func readRoles(initialRole: Role) {
        deliver(initialRole)
        var decoder = ControlFrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 1024)
        // Bounded by the session: each pass reads at least one byte or ends.
        while !closed.load(ordering: .acquiring) {
            let count: Int
            do throws(DuplexClientError) {
                count = try connection.receive(into: &buffer)
            } catch {
                break
            }
            guard count > 0 else { break }
            decoder.append(buffer[..<count])
            do throws(ControlProtocolError) {
                while let frame = try decoder.nextFrame() {
                    if case .roleAssigned(let role) = try ComponentMessage.decode(frame) { deliver(role) }
                }
            } catch {
                break  // a bad frame from duplexd: the session is unusable; the stream ends
            }
        }
        continuation.finish()
    }

    private func deliver(_ role: Role) {
        currentRole.withLock { $0 = role }
        continuation.yield(role)
        onRole?(role)
    }
}

/// What the reader thread gets through `pthread_create`'s `void *` argument.
private final class ReaderContext {
    let component: DuplexComponent
    let initialRole: Role

    init(component: DuplexComponent, initialRole: Role) {
        self.component = component
        self.initialRole = initialRole
    }
}

private func componentReaderEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let context = Unmanaged<ReaderContext>.fromOpaque(argument!).takeRetainedValue()
    context.component.readRoles(initialRole: context.initialRole)
    return nil
}
