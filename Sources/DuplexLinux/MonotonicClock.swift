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

/// `CLOCK_REALTIME`, the clock of the kernel's packet receive timestamps (`SO_TIMESTAMPNS`).
/// Only for converting such a stamp to `MonotonicClock`: it can step.
enum RealtimeClock {
    /// The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
    static func nanoseconds() -> UInt64 { CDuplexShims_realtime_ns() }
}
