public import SystemPackage
import CDuplexShims
import Glibc
import Synchronization

/// A named pthread running one closure: the pair thread and the actuator thread.
///
/// Not called `Thread`, so that it never clashes with Foundation's in a file that imports both.
/// `Sendable`: the handle is immutable and `join` is guarded by an atomic flag.
public final class PosixThread: Sendable {
    /// The name given at start (the kernel keeps its first 15 bytes).
    public let name: String
    private let handle: pthread_t
    private let joined = Atomic<Bool>(false)

    private init(name: String, handle: pthread_t) {
        self.name = name
        self.handle = handle
    }

    /// Starts a thread named `name` that runs `body`, then ends.
    ///
    /// The corresponding C functions are `pthread_create` and, on the new thread,
    /// `pthread_setname_np`. The closure is `sending`: values it captures (a `LinkMonitor`, an
    /// `AddressActuator`) move to the new thread and must not be used by the caller after.
    /// - Parameters:
    ///   - name: the thread name seen in `ps -T` and `/proc/PID/task/TID/comm`.
    ///   - stackSize: the stack size in bytes, or `nil` for the default (8 MiB, all of it
    ///     locked under `mlockall(MCL_FUTURE)` without `MCL_ONFAULT`: give real-time threads
    ///     a smaller one).
    ///   - body: what the thread runs.
    /// - Returns: the running thread; `join` it, or drop it to detach.
    /// - Throws: `Errno` from `pthread_create` (`EAGAIN`) or `pthread_attr_setstacksize`.
    public static func start(
        name: String, stackSize: Int? = nil, _ body: sending @escaping () -> Void
    ) throws(Errno) -> PosixThread {
        var attributes = pthread_attr_t()
        var result = pthread_attr_init(&attributes)
        precondition(result == 0, "pthread_attr_init")
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize {
            result = pthread_attr_setstacksize(&attributes, stackSize)
            guard result == 0 else { throw Errno(rawValue: result) }
        }
        let context = Unmanaged.passRetained(ThreadContext(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        result = pthread_create(&handle, &attributes, threadEntry, context)
        guard result == 0 else {
            Unmanaged<ThreadContext>.fromOpaque(context).release()
            throw Errno(rawValue: result)
        }
        return PosixThread(name: name, handle: handle)
    }

    /// Waits for the thread to end.
    ///
    /// The corresponding C function is `pthread_join`.
    /// - Important: traps when called twice, or from the thread itself.
    public func join() {
        let (exchanged, _) = joined.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
        precondition(exchanged, "a thread is joined once")
        let result = pthread_join(handle, nil)
        precondition(result == 0, "pthread_join: \(result)")
    }

    deinit {
        if !joined.load(ordering: .acquiring) {
            // Nobody will join: let the thread release its resources when it ends.
            pthread_detach(handle)
        }
    }
}

/// What the new thread runs, passed through `pthread_create`'s `void *` argument.
private final class ThreadContext {
    let name: String
    let body: () -> Void

    init(name: String, body: @escaping () -> Void) {
        self.name = name
        self.body = body
    }
}

private func threadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let context = Unmanaged<ThreadContext>.fromOpaque(argument!).takeRetainedValue()
    // Naming is cosmetic: a failure (a name the kernel rejects) is not worth stopping for.
    _ = CDuplexShims_set_thread_name(context.name)
    context.body()
    return nil
}
