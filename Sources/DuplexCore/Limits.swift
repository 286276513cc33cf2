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
    /// Checkpoint replication chunk (bulk resync), at most. The daemon sizes its chunks to
    /// one datagram of the dedicated link's MTU (`ReplicationConfiguration.chunkSizeMax`):
    /// IP fragments of larger ones, lost, filled the standby's reassembly memory and stalled
    /// snapshots for good under loss.
    public static let checkpointChunkSizeMax = 32 * 1024
    /// Checkpoint replication chunk, at least: room for a section record with the longest
    /// key and `SnapshotChunk.partMin` bytes of its value after a begin and a checkpoint record.
    public static let checkpointChunkSizeMin = 1024
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
    /// Checkpoints on one board.
    public static let checkpointsMax = 256
    /// Bytes of a checkpoint name (UTF-8).
    public static let checkpointNameSizeMax = 64
    /// Bytes of one checkpoint: every section's key and value.
    public static let checkpointSizeMax = 128 * 1024 * 1024
    /// Bytes of every checkpoint of a board together.
    public static let checkpointStoreSizeMax = 256 * 1024 * 1024
    /// Sections in one checkpoint.
    public static let sectionsMax = 256 * 1024
    /// Bytes of one section's value.
    public static let sectionSizeMax = 32 * 1024
    /// Bytes of one section key.
    public static let sectionKeySizeMax = 256
    /// Operations in one checkpoint update (an atomic batch).
    public static let checkpointOperationsMax = 64
    /// Largest encoded checkpoint update (one record of the replication stream).
    public static let checkpointUpdateSizeMax = 48 * 1024
    /// Largest encoded replication message (an update or a snapshot chunk in its envelope).
    public static let replicationMessageSizeMax = 48 * 1024 + 64
    /// Checkpoint updates sent to the mate and not yet acknowledged.
    public static let replicationWindowMax = 1024
    /// Encoded bytes of those updates.
    public static let replicationWindowSizeMax = 8 * 1024 * 1024
    /// Updates a standby holds that it cannot apply yet (beyond a gap, or during a snapshot).
    public static let replicationBacklogMax = 4096
    /// Encoded bytes of those updates.
    public static let replicationBacklogSizeMax = 32 * 1024 * 1024
    /// Requests (synchronous writes and flushes) waiting for the mate's acknowledgement.
    public static let replicationPendingMax = 1024
    /// Updates in one replication message of kind `updates` (a batch).
    public static let replicationBatchUpdatesMax = 512
    /// Updates retransmitted in one step.
    public static let replicationResendBatchMax = 64
    /// Snapshot chunks sent and not yet acknowledged (and held out of order by the standby).
    public static let snapshotChunksInFlightMax = 512
    /// Bytes of those chunks: 64 chunks of the largest size, 234 of a 9,000-byte MTU's (the
    /// window stays open while the standby acknowledges; 512 KiB held the sender back).
    public static let snapshotBytesInFlightMax = 2048 * 1024
    /// Actions one call to `ReplicationCore.handle` may return.
    public static let replicationActionsMax = 8192
}
