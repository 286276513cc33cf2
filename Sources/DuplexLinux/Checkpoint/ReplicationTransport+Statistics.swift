import DuplexCore
import Synchronization

extension ReplicationTransport {
    /// The counters and states of every path, written by the owner's thread and readable from
    /// any other (the control plane, for `duplexctl`).
    public final class Statistics: Sendable {
        public let paths: [Path]
        let counters: [PathCounters]
        let current = Atomic<Int>(0)
        /// Segmented messages the reassembler completed, and those it gave up (a segment lost).
        let reassembled = Atomic<UInt64>(0)
        let reassemblyDiscarded = Atomic<UInt64>(0)

        init(paths: [Path]) {
            self.paths = paths
            counters = paths.map { _ in PathCounters() }
        }

        func setCurrent(_ path: Int) { current.store(path, ordering: .relaxed) }

        /// Trains sent on every path (sends with UDP segmentation offload, see
        /// `ReplicationTransport`), and times the kernel refused one (then trains stop).
        public var trains: (sent: UInt64, refusals: UInt64) {
            counters.reduce((sent: 0, refusals: 0)) { total, path in
                (total.sent + path.trainsSent.load(ordering: .relaxed),
                 total.refusals + path.segmentationRefusals.load(ordering: .relaxed))
            }
        }

        /// Receives on every path that brought a train (or datagrams the kernel merged) whole,
        /// cut back into its datagrams here instead of by the kernel (`UDP_GRO`).
        public var coalescedReceives: UInt64 {
            counters.reduce(0) { $0 + $1.coalescedReceived.load(ordering: .relaxed) }
        }

        /// Segments sent and received on every path (see `ReplicationTransport`), the messages
        /// put back together from them, and the messages given up because a segment of theirs
        /// never came (or did not fit the others).
        public var segments: (sent: UInt64, received: UInt64, reassembled: UInt64, discarded: UInt64) {
            let (sent, received) = counters.reduce((UInt64(0), UInt64(0))) { total, path in
                (total.0 + path.segmentsSent.load(ordering: .relaxed),
                 total.1 + path.segmentsReceived.load(ordering: .relaxed))
            }
            return (sent, received, reassembled.load(ordering: .relaxed), reassemblyDiscarded.load(ordering: .relaxed))
        }

        /// A copy of every path's counters, in path order.
        public func snapshot() -> [PathStatistics] {
            let current = current.load(ordering: .relaxed)
            return paths.indices.map { index in
                let counters = counters[index]
                return PathStatistics(
                    path: paths[index], isCurrent: index == current,
                    down: DownReason(rawValue: counters.state.load(ordering: .relaxed)),
                    sent: counters.sent.load(ordering: .relaxed),
                    datagramsSent: counters.datagramsSent.load(ordering: .relaxed),
                    bytesSent: counters.bytesSent.load(ordering: .relaxed),
                    received: counters.received.load(ordering: .relaxed),
                    datagramsReceived: counters.datagramsReceived.load(ordering: .relaxed),
                    bytesReceived: counters.bytesReceived.load(ordering: .relaxed),
                    malformed: counters.malformed.load(ordering: .relaxed),
                    sendErrors: counters.sendErrors.load(ordering: .relaxed),
                    sendDrops: counters.sendDrops.load(ordering: .relaxed),
                    receiveErrors: counters.receiveErrors.load(ordering: .relaxed),
                    refusals: counters.refusals.load(ordering: .relaxed),
                    selected: counters.selected.load(ordering: .relaxed))
            }
        }
    }

    /// One path's counters; each has one writer, the owner's thread.
    final class PathCounters: Sendable {
        let sent = Atomic<UInt64>(0)
        let datagramsSent = Atomic<UInt64>(0)
        let bytesSent = Atomic<UInt64>(0)
        let received = Atomic<UInt64>(0)
        let datagramsReceived = Atomic<UInt64>(0)
        let bytesReceived = Atomic<UInt64>(0)
        let malformed = Atomic<UInt64>(0)
        let sendErrors = Atomic<UInt64>(0)
        let sendDrops = Atomic<UInt64>(0)
        let receiveErrors = Atomic<UInt64>(0)
        let refusals = Atomic<UInt64>(0)
        let selected = Atomic<UInt64>(0)
        let trainsSent = Atomic<UInt64>(0)
        let segmentationRefusals = Atomic<UInt64>(0)
        let segmentsSent = Atomic<UInt64>(0)
        let segmentsReceived = Atomic<UInt64>(0)
        /// Receives that brought several datagrams at once (`UDP_GRO`: a train left whole).
        let coalescedReceived = Atomic<UInt64>(0)
        /// 0 while up, else a `DownReason` raw value.
        let state = Atomic<UInt8>(0)
    }

    /// One path's counters at one moment, for `duplexctl`.
    public struct PathStatistics: Sendable, Hashable {
        public var path: Path
        /// Sends go to this path.
        public var isCurrent: Bool
        /// Why the owner took it out of use; nil while it is up.
        public var down: DownReason?
        /// Messages handed to the kernel, the datagrams that carried them, and their bytes.
        public var sent: UInt64
        public var datagramsSent: UInt64
        public var bytesSent: UInt64
        /// Messages received that decoded, the datagrams that carried them (malformed ones
        /// included), and the decoded messages' bytes.
        public var received: UInt64
        public var datagramsReceived: UInt64
        public var bytesReceived: UInt64
        /// Received bytes that did not decode (a datagram, or the rest of one after the
        /// messages that did; or a datagram longer than a message): counted once and dropped.
        public var malformed: UInt64
        /// Sends that failed with an error other than a full buffer (`ENETUNREACH`, `ENETDOWN`...).
        public var sendErrors: UInt64
        /// Messages dropped because the socket buffer was full (`EAGAIN`, `ENOBUFS`); the core
        /// retransmits them.
        public var sendDrops: UInt64
        /// Receives that failed with an error other than `EAGAIN` and `ECONNREFUSED`.
        public var receiveErrors: UInt64
        /// ICMP port-unreachable reports consumed (`ECONNREFUSED`: nothing listened on the mate).
        public var refusals: UInt64
        /// Times sends moved to this path.
        public var selected: UInt64
    }
}
