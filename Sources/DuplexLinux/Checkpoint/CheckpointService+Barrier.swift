import DuplexCore

extension CheckpointService {
    /// Receive rounds (of `receiveBatchMax` datagrams) at most per drain.
    static let drainRoundsMax = 64

    /// The takeover barrier's work: everything the mate sent is applied in order, then this
    /// board's replica becomes the store of `epoch` (the pair's role trace, which follows
    /// through the control thread, then changes nothing).
    func takeOverBeforeClaim(epoch: UInt64) {
        drainFromMate()
        barrierEpoch = max(barrierEpoch, epoch)
        step(.roleChanged(.active, epoch: epoch))
    }

    /// Reads and applies what the replication sockets hold (bounded).
    func drainFromMate() {
        for _ in 0..<Self.drainRoundsMax {
            guard receiveFromMate() >= Self.receiveBatchMax else { return }
        }
    }
}
