/// One entry of the board's event history (`duplexctl events`).
public struct EventRecord: Sendable, Hashable {
    /// Wall-clock time (CLOCK_REALTIME) in nanoseconds since 1970-01-01 UTC.
    public var time: UInt64
    /// `role`, `path`, `mate`, `alarm`, ...
    public var kind: String
    public var message: String
    /// The board's epoch when the event happened.
    public var epoch: UInt64

    public init(time: UInt64, kind: String, message: String, epoch: UInt64) {
        self.time = time
        self.kind = kind
        self.message = message
        self.epoch = epoch
    }
}
