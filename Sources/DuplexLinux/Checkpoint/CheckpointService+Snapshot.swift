import DuplexCore

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
}
