import Duplex

/// The `--json` forms of `status` and `events`. Durations are integer nanoseconds (`*_ns`).
enum StatusJSON {
    static func render(_ report: StatusReport) -> String {
        JSONValue.object([
            ("cluster_id", .integer(UInt64(report.clusterID))),
            ("board", .object([("id", .integer(UInt64(report.boardID))), ("name", .string(report.name)),
                               ("priority", .integer(UInt64(report.priority)))])),
            ("role", .string(report.role.description)),
            ("unit_state", .string(report.unitState.description)),
            ("epoch", .integer(report.epoch)),
            ("uptime_ns", .integer(report.uptime.nanoseconds)),
            ("mate", .optional(report.mate, mate)),
            ("paths", .array(report.paths.map(path))),
            ("addresses", .array(report.addresses.map(address))),
            ("last_role_change", .optional(report.lastRoleChange, roleChange)),
            ("counters", .object([("malformed_frames", .integer(report.counters.malformedFrames)),
                                  ("foreign_frames", .integer(report.counters.foreignFrames)),
                                  ("unauthenticated_frames", .integer(report.counters.unauthenticatedFrames)),
                                  ("heartbeat_gaps", .integer(report.counters.heartbeatGaps))])),
            ("heartbeats_rotating", .bool(report.counters.rotating)),
            ("heartbeats_quiet", .bool(report.counters.quiet)),
            ("checkpoints", .optional(report.checkpoints, CheckpointsView.syncJSON)),
        ]).render() + "\n"
    }

    static func render(_ records: [EventRecord]) -> String {
        JSONValue.array(records.map { record in
            .object([
                ("time", .string(WallClockText.iso8601(nanosecondsSinceEpoch: record.time))),
                ("time_ns", .integer(record.time)),
                ("kind", .string(record.kind)),
                ("epoch", .integer(record.epoch)),
                ("message", .string(record.message)),
            ])
        }).render() + "\n"
    }

    private static func mate(_ mate: MateReport) -> JSONValue {
        .object([
            ("id", .integer(UInt64(mate.boardID))),
            ("name", .optional(mate.name, JSONValue.string)),
            ("role", .string(mate.role.description)),
            ("unit_state", .string(mate.unitState.description)),
            ("epoch", .integer(mate.epoch)),
            ("priority", .integer(UInt64(mate.priority))),
            ("last_heard_ago_ns", .integer(mate.lastHeardAgo.nanoseconds)),
        ])
    }

    private static func path(_ path: PathReport) -> JSONValue {
        .object([
            ("name", .string(path.name)),
            ("kind", .string(path.kind.description)),
            ("interface", .string(path.interface)),
            ("up", .bool(path.isUp)),
            ("carrier", .bool(path.hasCarrier)),
            ("rtt_ns", .optional(path.roundTripTime) { .integer($0.nanoseconds) }),
            ("last_heard_ago_ns", .optional(path.lastHeardAgo) { .integer($0.nanoseconds) }),
            ("frames_sent", .integer(path.framesSent)),
            ("frames_received", .integer(path.framesReceived)),
            ("frames_rejected", .integer(path.framesRejected)),
        ])
    }

    private static func address(_ address: AddressReport) -> JSONValue {
        .object([
            ("name", .string(address.name)),
            ("address", .string(address.address.description)),
            ("interface", .string(address.interface)),
            ("held", .bool(address.isHeld)),
        ])
    }

    private static func roleChange(_ change: RoleChangeReport) -> JSONValue {
        .object([
            ("ago_ns", .integer(change.ago.nanoseconds)),
            ("from", .string(change.from.description)),
            ("to", .string(change.to.description)),
            ("reason", .string(change.reason)),
        ])
    }
}
