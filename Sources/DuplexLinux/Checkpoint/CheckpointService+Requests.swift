import DuplexCore
import Logging

/// The core's request number of a client's request: what to answer, to whom, under which id.
///
/// `kind` (3 bits) · client serial (29 bits) · the client's request id (32 bits).
struct RequestTag: Hashable {
    enum Kind: UInt64 {
        case asyncWrite = 0, syncWrite, open, remove, flush
    }

    static let serialMax: UInt32 = (1 << 29) - 1

    var kind: Kind
    var serial: UInt32
    var request: UInt32

    init(_ kind: Kind, serial: UInt32, request: UInt32) {
        precondition(serial <= Self.serialMax, "a serial within 29 bits")
        self.kind = kind
        self.serial = serial
        self.request = request
    }

    init?(_ value: UInt64) {
        guard let kind = Kind(rawValue: value >> 61) else { return nil }
        self.init(kind, serial: UInt32(truncatingIfNeeded: (value >> 32) & UInt64(Self.serialMax)),
                  request: UInt32(truncatingIfNeeded: value))
    }

    var value: UInt64 { kind.rawValue << 61 | UInt64(serial) << 32 | UInt64(request) }
}

extension CheckpointService {
    /// Serves one request of a client.
    func handle(_ request: SessionRequest, id: UInt32, from serial: UInt32) {
        switch request {
        case .open(let name, let limits, let create):
            open(name, limits: limits, create: create, id: id, from: serial)
        case .write(let name, let operations, let sync):
            let kind: RequestTag.Kind = sync ? .syncWrite : .asyncWrite
            submit(RequestTag(kind, serial: serial, request: id), CheckpointUpdate(checkpoint: name, operations: operations), sync: sync)
        case .read(let name, let key):
            do throws(CheckpointError) {
                respond(serial, id, .section(try core.store.read(name, key)))
            } catch {
                respond(serial, id, .failed(SessionError(.invalid, checkpointError: error)))
            }
        case .sections(let name, let after, let countMax):
            respond(serial, id, sections(of: name, after: after, countMax: countMax))
        case .flush:
            step(.flushRequested(request: RequestTag(.flush, serial: serial, request: id).value))
        case .remove(let name):
            submit(RequestTag(.remove, serial: serial, request: id), CheckpointUpdate(checkpoint: name, operations: [.remove]),
                   sync: core.mateIsHot)
        case .sharedRings(let capacity):
            attachRings(serial, id: id, capacity: capacity)
        }
    }

    private func open(_ name: String, limits: CheckpointLimits, create: Bool, id: UInt32, from serial: UInt32) {
        if core.store.checkpoint(name) != nil {
            return respond(serial, id, .opened(info(name)!))
        }
        guard create else {
            return respond(serial, id, .failed(SessionError(.invalid, checkpointError: CheckpointError(.noSuchCheckpoint, checkpoint: name))))
        }
        // Created synchronously when the mate is hot, so that it exists on the replica before
        // any later write is confirmed; otherwise locally, whatever the sync policy. A
        // synchronous creation completes in a later wake-up: its name waits in `opening`.
        let tag = RequestTag(.open, serial: serial, request: id)
        opening[tag.value] = name
        submit(tag, CheckpointUpdate(checkpoint: name, operations: [.create(limits)]), sync: core.mateIsHot)
    }

    /// Hands an update to the core; a write the window refuses waits in `stalled`.
    func submit(_ tag: RequestTag, _ update: CheckpointUpdate, sync: Bool) {
        submitting = (tag.value, update, sync)
        step(.writeRequested(request: tag.value, update: update, sync: sync))
        submitting = nil
    }

    /// Takes the stalled write again once the window has room.
    func resumeStalled() {
        guard let write = stalled else { return }
        stalled = nil
        submitting = (write.request, write.update, write.sync)
        step(.writeRequested(request: write.request, update: write.update, sync: write.sync))
        submitting = nil
        if stalled == nil {
            // Serve what the clients sent meanwhile.
            resumeLater.formUnion(clients.keys)
        }
    }

    /// Answers a request the core completed.
    func complete(_ value: UInt64, _ outcome: WriteOutcome) {
        guard let tag = RequestTag(value) else { return }
        if case .refused(.windowFull) = outcome, let submitting, submitting.request == value {
            stalled = StalledWrite(request: value, update: submitting.update, sync: submitting.sync)
            return
        }
        let opened = tag.kind == .open ? opening.removeValue(forKey: value) : nil
        let response: SessionResponse?
        switch (tag.kind, outcome) {
        case (.asyncWrite, .local), (.asyncWrite, .replicated):
            response = nil  // an asynchronous write is answered only when it fails
        case (.syncWrite, .replicated(let sequence)):
            response = .written(sequence: sequence, replicated: true)
        case (.syncWrite, .local(let sequence)):
            response = .written(sequence: sequence, replicated: false)
        case (.open, .replicated), (.open, .local):
            response = info(opened ?? submittedName(value)).map { .opened($0) }
        case (.remove, .replicated(let sequence)), (.remove, .local(let sequence)):
            response = .removed(sequence: sequence)
        case (.flush, .replicated(let sequence)):
            response = .flushed(sequence: sequence, replicated: true)
        case (.flush, .unconfirmed(let sequence)), (.flush, .local(let sequence)):
            response = .flushed(sequence: sequence, replicated: false)
        case (_, .unconfirmed(let sequence)):
            response = .failed(SessionError(.unconfirmed, sequence: sequence))
        case (_, .refused(let refusal)):
            response = .failed(Self.error(for: refusal))
        case (.asyncWrite, _), (.syncWrite, _), (.open, _), (.remove, _):
            response = nil
        }
        if let response { respond(tag.serial, tag.request, response) }
    }

    /// The name of the update being submitted (an open completes within its own step).
    private func submittedName(_ value: UInt64) -> String {
        guard let submitting, submitting.request == value else { return "" }
        return submitting.update.checkpoint
    }

    static func error(for refusal: WriteRefusal) -> SessionError {
        switch refusal {
        case .invalid(let error): SessionError(.invalid, checkpointError: error)
        case .notActive: SessionError(.notActive, message: "this board is not active")
        case .mateNotHot: SessionError(.mateNotHot, message: "the mate's replica is not hot and the sync policy is fail")
        case .windowFull, .busy: SessionError(.busy, message: "too many writes wait for the mate")
        }
    }

    /// The description of a checkpoint as this board holds it.
    func info(_ name: String) -> CheckpointInfo? {
        guard let checkpoint = core.store.checkpoint(name) else { return nil }
        let active = core.role == .active
        return CheckpointInfo(
            checkpoint, role: core.role, isWritable: active, isReplicaHot: active ? core.mateIsHot : core.isHot)
    }

    /// A page of sections in key order, within one frame.
    func sections(of name: String, after: SectionKey?, countMax: Int) -> SessionResponse {
        guard let checkpoint = core.store.checkpoint(name) else {
            return .failed(SessionError(.invalid, checkpointError: CheckpointError(.noSuchCheckpoint, checkpoint: name)))
        }
        var page: [SessionSection] = []
        var size = 0
        let keys = keys(of: checkpoint)
        var index = 0
        if let after {
            index = Self.firstIndex(after: after, in: keys)
        }
        while index < keys.count, page.count < min(max(countMax, 1), Int(UInt16.max)) {
            let bytes: [UInt8]
            do throws(CheckpointError) {
                bytes = try checkpoint.read(keys[index]) ?? []
            } catch {
                return .failed(SessionError(.invalid, checkpointError: error))
            }
            let section = SessionSection(key: keys[index], bytes: bytes)
            guard size + section.encodedSize <= SessionResponse.sectionListPayloadMax else { break }
            size += section.encodedSize
            page.append(section)
            index += 1
        }
        return .sections(page, more: index < keys.count)
    }

    /// A checkpoint's keys in order: from `keyOrder` while the key set is the one it was
    /// sorted from (same checkpoint, no key added or removed since, no replica installed).
    func keys(of checkpoint: DuplexCore.Checkpoint) -> [SectionKey] {
        let installs = core.counters.snapshotsInstalled
        if let cached = keyOrder, cached.name == checkpoint.name, cached.keysChangedAt == checkpoint.keysChangedAt,
            cached.installs == installs
        {
            return cached.keys
        }
        let keys = checkpoint.keys
        keyOrder = KeyOrder(name: checkpoint.name, keysChangedAt: checkpoint.keysChangedAt, installs: installs, keys: keys)
        return keys
    }

    /// The index of the first key greater than `after` in sorted `keys` (binary search).
    static func firstIndex(after: SectionKey, in keys: [SectionKey]) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] <= after { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Logs what the replication core reports.
    func log(_ trace: ReplicationTrace) {
        // Without a replication path this board keeps no replica, by configuration: the core's
        // account of one (resyncs, "state lost" at a takeover) would only mislead.
        guard transport != nil else {
            logger.debug("checkpoint replication (not replicated)", metadata: ["duplex.trace": "\(trace)"])
            return
        }
        switch trace {
        case .stateLost(let sequence, let missing, let incomplete):
            logger.warning("took over from a replica that was not hot: checkpoint state lost", metadata: [
                "duplex.sequence": "\(sequence)", "duplex.missing": "\(missing)", "duplex.snapshotIncomplete": "\(incomplete)",
            ])
            remember(trace)
        case .inFlightLost(let sequence, let missing):
            logger.warning("took over with updates in flight lost (none acknowledged)", metadata: [
                "duplex.sequence": "\(sequence)", "duplex.missing": "\(missing)",
            ])
            remember(trace)
        case .unconfirmedWritesDiscarded(let count, let written, let sequence):
            logger.warning("lost the active role: writes the mate never applied are discarded by the resync", metadata: [
                "duplex.discarded": "\(count)", "duplex.writesSinceTakeover": "\(written)", "duplex.sequence": "\(sequence)",
            ])
            remember(trace)
        case .resyncStarted(let reason, let sequence, let written):
            logger.notice("checkpoint replica resynchronising", metadata: [
                "duplex.reason": "\(reason)", "duplex.sequence": "\(sequence)", "duplex.discarded": "\(written)",
            ])
        case .replicaDiverged(let error):
            logger.error("checkpoint replica diverged", metadata: ["duplex.error": "\(error)"])
        case .messageRejected, .unexpectedMessage, .bogusAck:
            logger.debug("replication message dropped", metadata: ["duplex.trace": "\(trace)"])
        default:
            logger.info("checkpoint replication", metadata: ["duplex.trace": "\(trace)"])
        }
    }
}

/// A checkpoint's sorted keys and what they are valid for.
struct KeyOrder {
    var name: String
    var keysChangedAt: UInt64
    var installs: UInt64
    var keys: [SectionKey]
}
