import Glibc

/// Reads and sleeps on `CLOCK_MONOTONIC`, in nanoseconds.
enum MonotonicClock {
    /// The current monotonic time. The corresponding C function is `clock_gettime`.
    static func now() -> UInt64 {
        var ts = timespec()
        let rc = clock_gettime(CLOCK_MONOTONIC, &ts)
        precondition(rc == 0, "clock_gettime(CLOCK_MONOTONIC) failed")
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Sleeps until the absolute monotonic `deadline`; returns at once if it has passed.
    /// The corresponding C call is `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ...)`.
    static func sleep(until deadline: UInt64) {
        var ts = timespec(
            tv_sec: Int(deadline / 1_000_000_000),
            tv_nsec: Int(deadline % 1_000_000_000)
        )
        // EINTR retries are bounded: each signal interrupts at most once.
        for _ in 0..<1_000 {
            let rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil)
            if rc != EINTR {
                precondition(rc == 0, "clock_nanosleep failed with \(rc)")
                return
            }
        }
    }
}
