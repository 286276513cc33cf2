/// What `duplexctl watchdog` shows: the hardware watchdog as `duplexd` drives it.
public struct WatchdogReport: Sendable, Hashable {
    /// The device (`[pair] watchdog-device`); nil when none is configured.
    public var device: String?
    /// The device's timeout (what the driver accepted).
    public var timeout: Duration
    /// How often the pair thread feeds it.
    public var feedInterval: Duration
    /// Whether the device took the timeout ioctls (false for a stand-in that is not a watchdog).
    public var setsTimeout: Bool
    /// Keepalives written since duplexd started, and writes that failed.
    public var feeds: UInt64
    public var feedErrors: UInt64
    /// How long ago the last keepalive was written; nil before the first.
    public var lastFeedAgo: Duration?
    /// Why the watchdog would stop being fed, or is no longer fed; empty when all is well.
    public var stopReasons: [String]

    public init(
        device: String?, timeout: Duration = .zero, feedInterval: Duration = .zero, setsTimeout: Bool = false,
        feeds: UInt64 = 0, feedErrors: UInt64 = 0, lastFeedAgo: Duration? = nil, stopReasons: [String] = []
    ) {
        self.device = device
        self.timeout = timeout
        self.feedInterval = feedInterval
        self.setsTimeout = setsTimeout
        self.feeds = feeds
        self.feedErrors = feedErrors
        self.lastFeedAgo = lastFeedAgo
        self.stopReasons = stopReasons
    }

    /// At most this many reasons are sent.
    public static let stopReasonsMax = 64

    public func encode(into writer: inout ControlPayloadWriter) throws(ControlProtocolError) {
        writer.writePresence(device != nil)
        if let device { try writer.write(device) }
        writer.write(timeout)
        writer.write(feedInterval)
        writer.write(setsTimeout)
        writer.write(feeds)
        writer.write(feedErrors)
        writer.writePresence(lastFeedAgo != nil)
        if let lastFeedAgo { writer.write(lastFeedAgo) }
        try writer.writeCount(stopReasons.count, max: Self.stopReasonsMax, of: "watchdog reasons")
        for reason in stopReasons { try writer.write(reason) }
    }

    public init(from reader: inout ControlPayloadReader) throws(ControlProtocolError) {
        device = try reader.readPresence() ? try reader.read(String.self) : nil
        timeout = try reader.read(Duration.self)
        feedInterval = try reader.read(Duration.self)
        setsTimeout = try reader.read(Bool.self)
        feeds = try reader.read(UInt64.self)
        feedErrors = try reader.read(UInt64.self)
        lastFeedAgo = try reader.readPresence() ? try reader.read(Duration.self) : nil
        var reasons: [String] = []
        for _ in 0..<(try reader.readCount(max: Self.stopReasonsMax, of: "watchdog reasons")) {
            reasons.append(try reader.read(String.self))
        }
        stopReasons = reasons
    }
}
