public import DuplexCore
import CDuplexShims

/// The Linux source of the core's `Instant`: `CLOCK_MONOTONIC`, which never steps back and
/// is the clock `TimerFD` deadlines are measured on.
public enum MonotonicClock: Sendable {
    /// The current time on `CLOCK_MONOTONIC`.
    ///
    /// The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    @inlinable
    public static func now() -> Instant {
        Instant(nanoseconds: nowNanoseconds())
    }

    @usableFromInline
    static func nowNanoseconds() -> UInt64 { CDuplexShims_monotonic_ns() }
}
