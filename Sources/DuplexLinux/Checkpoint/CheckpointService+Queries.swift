public import DuplexCore
public import SystemPackage
import Synchronization
import Glibc

/// A question of the control thread to the checkpoint thread (`duplexctl checkpoints`).
public enum CheckpointQuery: Sendable, Hashable {
    /// Every checkpoint.
    case list
    /// One checkpoint and its sections (as many as fit one control message).
    case show(String)
    /// Drop the standby's replica stream and resynchronise in full (`duplexctl resync`).
    case resync
}

/// The answer to a `CheckpointQuery`.
public enum CheckpointAnswer: Sendable, Hashable {
    case list([CheckpointInfo])
    /// nil when the checkpoint does not exist; `more` when sections were left out.
    case show(CheckpointInfo?, [SessionSection], more: Bool)
    /// To `resync`: nil when the resynchronisation started, else why it did not.
    case resync(refusal: String?)
}

/// Where the checkpoint thread leaves an answer for a thread that waits for it.
public final class CheckpointReply: Sendable {
    private let answer = Mutex<CheckpointAnswer?>(nil)
    private let ready: EventFD

    public init() throws(Errno) {
        ready = try EventFD()
    }

    func deliver(_ value: CheckpointAnswer) {
        answer.withLock { $0 = value }
        _ = try? ready.signal()  // an eventfd write never blocks
    }

    /// Waits up to `timeout` for the answer.
    /// The corresponding C function is `poll`.
    /// - Returns: nil when none came in time.
    public func wait(timeout: DuplexCore.Duration) -> CheckpointAnswer? {
        let deadline = MonotonicClock.now() + timeout
        for _ in 0..<100 {
            if let value = answer.withLock({ $0 }) { return value }
            let remaining = deadline.since(MonotonicClock.now())
            guard remaining > .zero else { return nil }
            var descriptor = pollfd(fd: ready.fileDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(clamping: remaining.nanoseconds / 1_000_000 + 1))
            _ = try? ready.drain()  // only a wake-up; the answer is in the mutex
        }
        return answer.withLock { $0 }
    }
}

extension CheckpointService {
    /// Asks the checkpoint thread and waits up to `timeout` (from another thread).
    /// - Returns: nil when the thread did not answer in time or the queue was full.
    public func ask(_ query: CheckpointQuery, timeout: DuplexCore.Duration = .milliseconds(500)) -> CheckpointAnswer? {
        guard let reply = try? CheckpointReply() else { return nil }  // out of descriptors: no answer
        guard post(.query(query, reply)) else { return nil }
        return reply.wait(timeout: timeout)
    }

    func answer(_ query: CheckpointQuery) -> CheckpointAnswer {
        switch query {
        case .list:
            return .list(core.store.names.compactMap { info($0) })
        case .show(let name):
            guard let info = info(name) else { return .show(nil, [], more: false) }
            // Leave room in a control message for the description around the sections.
            guard case .sections(let page, let more) = sections(of: name, after: nil, countMax: Int(UInt16.max)) else {
                return .show(info, [], more: info.sectionCount > 0)
            }
            return .show(info, page, more: more)
        case .resync:
            return .resync(refusal: resync())
        }
    }

    /// Starts an operator's full resynchronisation of this standby's replica: the replica stays
    /// readable, and the board is not hot, until a new snapshot is installed and caught up.
    /// - Returns: nil when started, else why not.
    private func resync() -> String? {
        guard transport != nil else { return "this board has no replication paths to a mate" }
        guard core.role == .standby || core.role == .blocked else {
            return "this board is \(core.role), not a standby: only a standby's replica resynchronises"
        }
        step(.resyncRequested)
        return nil
    }
}
