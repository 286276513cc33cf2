import Synchronization

/// Whether every critical component is healthy: written by the supervisor thread, read by the
/// pair thread before it feeds the hardware watchdog. Lock-free (an `Atomic<Bool>`), so the
/// pair thread's read costs one load.
public final class CriticalHealth: Sendable {
    private let healthy = Atomic<Bool>(true)

    public init() {}

    /// Whether no critical component is failed (true until the supervisor says otherwise).
    public var isHealthy: Bool { healthy.load(ordering: .acquiring) }

    /// Called by the supervisor thread after each step.
    public func set(healthy value: Bool) { healthy.store(value, ordering: .releasing) }
}
