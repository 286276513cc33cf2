/// A fact delivered to `PairCore.handle(_:now:)`.
public enum PairEvent: Sendable, Hashable {
    /// The daemon started; the core begins its discovery window and cleans up stale addresses.
    case started
    /// A timer expired (the adapter arms it at `PairCore.nextDeadline`).
    case tick
    /// A decoded frame arrived on a path.
    case frameReceived(PairFrame, path: Int)
    /// A decoder rejected bytes that arrived on a path (counted, never trusted).
    case frameMalformed(path: Int)
    /// A well-formed frame without the tag of this board's key (`PairAuthentication`): dropped
    /// and counted, never trusted.
    case frameUnauthenticated(path: Int)
    /// The carrier of a path's interface changed (netlink RTNLGRP_LINK).
    case carrierChanged(path: Int, up: Bool)
    /// The isolation check changed (for example: the service LAN interface lost its carrier).
    case isolationChanged(ok: Bool)
    /// The checkpoint replica became hot (caught up) or stopped being hot.
    case readinessChanged(hot: Bool)
    /// An operator asked for a graceful switchover. `request` identifies the reply.
    case switchoverRequested(force: Bool, request: UInt32)
    /// An operator locked the board (it must not be active).
    case lockRequested(force: Bool, request: UInt32)
    /// An operator unlocked the board.
    case unlockRequested(request: UInt32)
    /// This board knows it is failing (a critical component died): hand over at once.
    case failureReported
    /// Orderly stop (SIGTERM): hand over if active, say goodbye, then `.stop`.
    case shutdownRequested
    /// The actuator finished adding the logical addresses.
    case addressesClaimed(ok: Bool)
    /// The actuator finished removing the logical addresses.
    case addressesReleased(ok: Bool)
}

/// An order returned by `PairCore.handle(_:now:)`.
public enum PairAction: Sendable, Hashable {
    /// Send this frame on this path now.
    case send(PairFrame, path: Int)
    /// Add the logical addresses and announce them (GARP / unsolicited NA burst).
    case claimAddresses(epoch: UInt64)
    /// Remove the logical addresses.
    case releaseAddresses
    /// Announce the logical addresses again (after winning a dual-active resolution).
    case announceAddresses
    /// Answer an operator request.
    case reply(request: UInt32, CommandOutcome)
    /// Record something that happened (the core never logs).
    case trace(PairTrace)
    /// The orderly stop is complete: the daemon may exit.
    case stop
}

/// The answer to an operator request.
public enum CommandOutcome: Sendable, Hashable {
    case done
    case refused(Refusal)

    public enum Refusal: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case notActive = 1
        case mateUnreachable
        case mateNotStandby
        case mateNotHot
        case busy
        case notBlocked
        case handoverTimedOut
        case releaseFailed

        public var description: String {
            switch self {
            case .notActive: "this board is not active"
            case .mateUnreachable: "the mate is unreachable"
            case .mateNotStandby: "the mate is not a standby"
            case .mateNotHot: "the mate is not hot (use --force to switch over anyway)"
            case .busy: "a switchover is already in progress"
            case .notBlocked: "this board is not locked"
            case .handoverTimedOut: "the mate did not take over in time; this board took the role back"
            case .releaseFailed: "the logical addresses could not be removed; this board stays active"
            }
        }
    }
}
