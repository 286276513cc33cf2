/// Every bound of the system, named once. Loops and queues are bounded by one of these.
public enum Limits {
    /// Heartbeat paths per board: dedicated links plus the service LAN.
    public static let linksMax = 4
    /// Logical addresses per pair.
    public static let addressesMax = 8
    /// Actions one call to `handle` may return.
    public static let pendingActionsMax = 32
    /// Frames drained from one socket per epoll wake-up.
    public static let receiveBatchMax = 32
    /// Largest pair frame on the wire (header, payload, CRC; before Ethernet padding).
    public static let frameSizeMax = 128
    /// Ethernet payload minimum; shorter frames are padded.
    public static let ethernetPayloadMin = 46
    /// Trace records buffered between the pair thread and the log drain.
    public static let traceRingMax = 1024
    /// Requests queued for the actuator thread.
    public static let actuatorQueueMax = 64
    /// Role and path events kept for `duplexctl events`.
    public static let eventHistoryMax = 256
    /// Largest control-socket message.
    public static let controlMessageSizeMax = 64 * 1024
    /// Concurrent control-socket clients.
    public static let controlClientsMax = 16
    /// Checkpoint replication chunk (bulk resync).
    public static let checkpointChunkSizeMax = 8 * 1024
    /// Lines in one configuration file.
    public static let configurationLinesMax = 4096
    /// Supervised components (`[component NAME]` sections) per board.
    public static let componentsMax = 32
    /// `argument` lines of one component.
    public static let componentArgumentsMax = 64
    /// `environment` lines of one component.
    public static let componentEnvironmentMax = 64
    /// Bytes of one logged line of a component's output; longer lines are cut into pieces.
    public static let componentOutputLineMax = 1024
    /// Bytes read from one component's output pipe per wake-up, so that a chatty component
    /// cannot starve the others.
    public static let componentOutputReadMax = 4096
    /// Restarts remembered per component for its restart intensity (`N in T`: N is at most this).
    public static let componentRestartsMax = 100
}
