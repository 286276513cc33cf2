public import DuplexCore
import Synchronization
import Glibc

extension CheckpointService {
    /// Takes the operator events recorded since the last call (control thread).
    /// - Returns: the events, oldest first.
    public func takeRecords() -> [EventRecord] {
        records.withLock { records in
            defer { records.removeAll(keepingCapacity: true) }
            return records
        }
    }

    /// Keeps a trace that the operator must see in `duplexctl events`: a takeover that lost
    /// state, writes discarded by a lost role. Other traces are only logged.
    func remember(_ trace: ReplicationTrace) {
        guard let message = Self.eventMessage(trace) else { return }
        record(message, epoch: core.epoch)
    }

    /// Appends an operator event of kind `checkpoint` (any thread).
    func record(_ message: String, epoch: UInt64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let record = EventRecord(
            time: UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec), kind: "checkpoint", message: message,
            epoch: epoch)
        records.withLock { records in
            if records.count >= Limits.eventHistoryMax { records.removeFirst(records.count - Limits.eventHistoryMax + 1) }
            records.append(record)
        }
    }

    /// The event history's words for a trace; nil for traces that only go to the log.
    public static func eventMessage(_ trace: ReplicationTrace) -> String? {
        switch trace {
        case .stateLost(let sequence, let missing, let incomplete):
            return "LOSS OF STATE: took over from a replica that was not hot, at sequence \(sequence); "
                + "\(missing) known updates missing" + (incomplete ? ", snapshot incomplete" : "")
        case .inFlightLost(let sequence, let missing) where missing > 0:
            return "took over at sequence \(sequence) with \(missing) updates in flight lost (none acknowledged)"
        case .unconfirmedWritesDiscarded(let count, let written, let sequence):
            return "lost the active role: \(count) of \(written) writes made while active (to sequence \(sequence)) "
                + "never reached the mate; the resync from the new active discards them"
        default:
            return nil
        }
    }
}
