import DuplexCore
import Logging
import SystemPackage

extension CheckpointService {
    /// Loads the journals of the persistent checkpoints into the store the core starts from
    /// (in `init`, before the thread serves anything). A damaged journal is logged as an
    /// error and recorded in the event history with its file, record and offset; its
    /// checkpoint starts empty and the mate's snapshot refills it (`journalRefused`).
    func loadJournal() {
        guard let journal else { return }
        let loaded: CheckpointJournal.Loaded
        do {
            loaded = try journal.load()
        } catch {
            logger.error(
                "cannot read the checkpoint journal directory; persistent checkpoints start empty",
                metadata: ["duplex.directory": "\(journal.directory)", "duplex.error": "\(error)"])
            record("cannot read the checkpoint journal directory \(journal.directory): \(error)", epoch: 0)
            journalRefused = true
            return
        }
        for finding in loaded.findings {
            let metadata: Logger.Metadata = [
                "duplex.file": "\(journal.directory)/\(finding.file)", "duplex.finding": "\(finding.message)",
            ]
            if finding.refused {
                journalRefused = true
                logger.error("checkpoint journal damaged; not loaded", metadata: metadata)
                record("checkpoint journal \(finding.file) not loaded: \(finding.message)", epoch: 0)
            } else {
                logger.warning("checkpoint journal ended in a torn record; cut off", metadata: metadata)
                record("checkpoint journal \(finding.file): \(finding.message)", epoch: 0)
            }
        }
        core = ReplicationCore(configuration: core.configuration, store: loaded.store)
        journalSequence = loaded.store.sequence
        logger.notice(
            "persistent checkpoints loaded",
            metadata: [
                "duplex.directory": "\(journal.directory)", "duplex.checkpoints": "\(loaded.checkpoints)",
                "duplex.records": "\(loaded.records)", "duplex.sequence": "\(loaded.store.sequence)",
            ])
    }

    /// Keeps the journals in step with the core's store: an update applied (appended to its
    /// checkpoint's journal before the write is answered), or a replica replaced by a snapshot
    /// (every journal rewritten).
    func keepJournal(_ action: ReplicationAction) {
        if case .replaceReplica = action { retireReplacedReplica() }
        guard let journal else { return }
        do {
            switch action {
            case .apply(let update):
                // The checkpoint found not persistent (and its journal gone) at its last update
                // stays so until it is created or removed again: no lookups per update.
                switch update.operations.first {
                case .create?, .remove?: transientCheckpoint = nil
                default: if update.checkpoint == transientCheckpoint { return }
                }
                transientCheckpoint = nil
                try journal.record(update, in: core.store)
                if core.store.checkpoint(update.checkpoint)?.limits.persistent == false {
                    transientCheckpoint = update.checkpoint
                }
            case .replaceReplica:
                transientCheckpoint = nil
                try journal.replaceAll(from: core.store)
            default:
                return
            }
        } catch {
            journalFailed(error)
        }
    }

    /// Makes the records appended in this wake-up durable (`fsync`), before any answer to a
    /// process or acknowledgement to the mate leaves: one `fsync` per journal and wake-up
    /// however many writes it took.
    func syncJournal() {
        guard let journal, journal.needsSync else { return }
        do {
            try journal.sync()
        } catch {
            journalFailed(error)
        }
    }

    /// Records a first active role taken without the mate by a board whose mate may be ahead
    /// of its persisted state (`startedBehindMate`).
    func noteRole(_ role: Role) {
        guard let marker = startedBehindMate, role == .active || role == .standby else { return }
        if role == .active, !core.mateReachable {
            let held = marker == .standby ? "as a standby" : "as the active while its mate could take over"
            record(
                "took the active role alone with the persistent state it held \(held) (sequence "
                    + "\(core.store.sequence)): writes its mate made after it left are not here", epoch: core.epoch)
            logger.warning("took the active role alone with persistent state its mate may be ahead of", metadata: [
                "duplex.sequence": "\(core.store.sequence)", "duplex.lastRole": "\(marker.rawValue)",
            ])
        }
        startedBehindMate = nil
    }

    private func journalFailed(_ error: Errno) {
        logger.error(
            "checkpoint journal write failed; the journal is removed and rewritten whole at the next update",
            metadata: ["duplex.directory": "\(journal?.directory ?? "")", "duplex.error": "\(error)"])
        record("checkpoint journal write failed (\(error)); rewritten at the next update", epoch: core.epoch)
    }
}
