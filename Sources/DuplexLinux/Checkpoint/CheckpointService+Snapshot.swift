import DuplexCore
import Logging

extension CheckpointService {
    /// Stores with at least this many sections are released on a thread of their own.
    static let retireOnThreadMin = 4_096

    /// Releases the replica that an installed snapshot replaced. A large one goes to a
    /// short-lived thread: freeing 100,000 sections took about 50 ms of this thread, between
    /// the install and the acknowledgement that makes the active see this board hot (and
    /// before any live update could be applied). A small one is released here.
    func retireReplacedReplica() {
        guard let retired = core.takeRetiredReplica(), retired.sectionCount >= Self.retireOnThreadMin else { return }
        do {
            // The thread's closure holds the last reference: the store is freed there, when it ends.
            _ = try PosixThread.start(name: "duplex-retire", stackSize: 128 * 1024) { _ = retired }
        } catch {
            // No thread to be had (EAGAIN): the closure, and the store with it, is released here.
        }
    }

    /// Replicas below this many bytes take the heap as it comes.
    static let replicaReserveMin = 8 << 20
    /// What a section costs beyond its key and value bytes (`CheckpointStore.size` counts
    /// those): the value array's header, the allocator's header and rounding, the table's
    /// entry with its share of empty buckets.
    static let replicaOverheadPerSection = 160

    /// Makes room for the replica a snapshot is about to build (see `Allocator.reserve`): a
    /// standby that builds 100 MB of sections then faults about 50 huge pages instead of
    /// 25,000 small ones. Only with `replicaInHugePages`, and for large replicas; a refusal is
    /// logged and changes nothing else.
    func prepareReplica(sections: UInt64, bytes: UInt64) {
        guard replicaInHugePages else { return }
        let (perSection, overflow) = sections.multipliedReportingOverflow(by: UInt64(Self.replicaOverheadPerSection))
        let total = overflow ? UInt64.max : bytes &+ perSection
        guard total >= UInt64(Self.replicaReserveMin) else { return }
        let size = Int(min(total, UInt64((1 << 30) - (2 << 20))))
        do {
            try Allocator.reserve(bytes: size)
            logger.debug("memory reserved for the replica", metadata: ["duplex.bytes": "\(size)", "duplex.sections": "\(sections)"])
        } catch {
            logger.notice("no memory reserved for the replica", metadata: ["duplex.bytes": "\(size)", "duplex.error": "\(error)"])
        }
    }
}
