public import DuplexCore

/// Orders from the control thread to the pair thread.
public enum PairCommand: Sendable {
    /// An operator request or an orderly stop, delivered to the core as is.
    case event(PairEvent)
    /// Asks the pair thread for a `PairStatus` snapshot.
    case status(request: UInt32)
}

/// What the pair thread reports to the control thread.
public enum PairNotice: Sendable {
    case trace(PairTrace, at: Instant)
    case reply(request: UInt32, CommandOutcome)
    case status(request: UInt32, PairStatus)
    /// The core finished its orderly stop.
    case stopped
    /// How late the timer ticks ran over the last report period (every 10 s).
    case lateness(LatenessHistogram, period: DuplexCore.Duration)
    /// The dedicated links' heartbeat receive rings, set up off the start-up path, are in use
    /// (`ready` of `links`; a link without one is read with `recvmmsg`), `after` the loop began.
    case heartbeatRings(ready: Int, links: Int, after: DuplexCore.Duration)
}

/// Orders from the pair thread to the actuator thread.
public enum ActuatorRequest: Sendable, Hashable {
    case claim(epoch: UInt64)
    case release
    case announce
}

/// Results from the actuator thread to the pair thread.
public enum ActuatorResult: Sendable, Hashable {
    case claimed(ok: Bool)
    case released(ok: Bool)
}
