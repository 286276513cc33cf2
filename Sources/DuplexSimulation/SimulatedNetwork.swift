import DuplexCore

/// The paths between the two boards and every fault active on them.
struct SimulatedNetwork {
    struct Path {
        /// Link-down episodes active; the carrier is up when zero.
        var downCount = 0
        /// Bumped when the carrier goes down: frames in flight across it are lost.
        var generation: UInt64 = 0
        /// Impairments by sending board index: (episode id, impairment, end time).
        var impairments: [[(id: Int, impairment: Impairment, until: UInt64)]] = [[], []]
        /// FIFO delivery per sending board index: the last scheduled arrival.
        var lastArrival: [UInt64] = [0, 0]
        /// Global time of the last change of any fault on this path.
        var lastFaultAt: UInt64 = 0

        var carrierUp: Bool { downCount == 0 }
    }

    var paths: [Path]
    /// Partition episodes: (episode id, sending board index or nil for both directions).
    var partitions: [(id: Int, from: Int?)] = []
    /// Boards that lost the service LAN (isolation episodes active per board index).
    var isolated: [Int] = [0, 0]
    let serviceLANPath: Int

    init(pathCount: Int) {
        paths = Array(repeating: Path(), count: pathCount)
        serviceLANPath = pathCount - 1
    }

    /// Whether a frame from board `from` on `path` is dropped by a partition or isolation.
    func blocked(path: Int, from: Int) -> Bool {
        if partitions.contains(where: { $0.from == nil || $0.from == from }) { return true }
        return path == serviceLANPath && (isolated[0] > 0 || isolated[1] > 0)
    }

    /// The combined impairment of a path direction, and when its last clog ends.
    func impairment(path: Int, from: Int) -> (impairment: Impairment, clogUntil: UInt64)? {
        let active = paths[path].impairments[from]
        guard var combined = active.first?.impairment else { return nil }
        var clogUntil: UInt64 = 0
        for entry in active {
            combined = combined.combined(with: entry.impairment)
            if entry.impairment.clog { clogUntil = max(clogUntil, entry.until) }
        }
        return (combined, clogUntil)
    }

    /// A path with no fault active now and none for `quiet` before `now`.
    func isClean(path: Int, now: UInt64, quiet: Duration) -> Bool {
        let state = paths[path]
        guard state.carrierUp, state.impairments[0].isEmpty, state.impairments[1].isEmpty,
            !blocked(path: path, from: 0), !blocked(path: path, from: 1)
        else { return false }
        return now >= state.lastFaultAt + quiet.nanoseconds
    }

    mutating func markFault(path: Int, now: UInt64) {
        paths[path].lastFaultAt = now
    }

    mutating func markFaultOnAll(now: UInt64) {
        for index in paths.indices { paths[index].lastFaultAt = now }
    }
}
