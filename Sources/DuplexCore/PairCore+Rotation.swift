/// Rotating heartbeats (`PairConfiguration.Heartbeats.rotate`).
///
/// While the pair is healthy a board sends one heartbeat per interval, on the paths of its
/// rotation group in turn, instead of one on every path: a third of the frames with two
/// dedicated links and the LAN. The mate is still lost after the same silence: a rotating
/// mate sends a heartbeat every interval on some path, so silence on every path for a path
/// timeout means the mate is gone, and every path of the group goes down at once. (Both boards
/// must configure the same paths and timing: the group is computed from the own configuration.) A single
/// path is declared down only after `relaxedTimeout` (its turn comes once per round).
///
/// What keeps it as safe as a heartbeat on every path:
/// - a path is in the rotation only while it has carrier and is up both ways (this board
///   hears the mate on it, and the mate's frames say it hears this board on it);
/// - a heartbeat of the rotating mate that is half an interval late puts this board on every
///   path and makes its frames ask the mate to do the same (`everyPathRequested`), for
///   `everyPathHoldIntervals`: a lost frame, a path that died silently or one-way loss turn
///   the pair back to a heartbeat on every path before a second one can go missing;
/// - role changes, hand-overs and goodbyes go on every path, and the rotation only runs
///   between a working active and a standby, never during start-up or a quiesce.
extension PairCore {
    /// How long a missing heartbeat keeps both boards on every path, in intervals (1 s at 4 ms).
    static let everyPathHoldIntervals: UInt64 = 250

    /// The latest frame from the mate on a path of the rotation group that is up; nil when
    /// none is up.
    var lastHeardOnGroup: Instant? {
        var latest: Instant?
        for index in configuration.rotationGroup where paths[index].up {
            if let heard = paths[index].lastHeardAt { latest = max(latest ?? heard, heard) }
        }
        return latest
    }

    /// The latest frame on the group for the rotating mate's silence: never before a path of
    /// the group went down (`groupPathLostAt`); nil when no path of the group is up.
    var groupSilenceSince: Instant? {
        lastHeardOnGroup.map { max($0, groupPathLostAt) }
    }

    /// A path of the rotation group went down (in the current step): the mate may still be
    /// sending a turn of its rotation on it, so its silence on the group counts from now, and
    /// both boards send on every path for a while.
    mutating func groupChanged() {
        groupPathLostAt = lastEventAt
        guard let interval = rotationInterval, mateRotates(now: lastEventAt) || rotationSet(now: lastEventAt) != 0
        else { return }
        everyPathUntil = max(everyPathUntil, lastEventAt + interval * Self.everyPathHoldIntervals)
        for index in paths.indices { paths[index].nextSendAt = min(paths[index].nextSendAt, lastEventAt) }
    }

    /// When the rotating mate counts as silent on the whole group (see `expireRotatingMate`):
    /// one path timeout after the latest frame on it (`quietTimeout` while the mate is a quiet
    /// standby), if the mate's rotation still lasts then; nil when no path of the group is up
    /// (so never a deadline in the past).
    var rotatingMateDeadline: Instant? {
        guard let heard = groupSilenceSince, let first = configuration.rotationGroup.first else { return nil }
        var earliest = Instant.zero  // the group rule that applies from then on
        if let quietAt = mate.quietHeardAt, let quietTimeout = configuration.quietTimeout {
            let quietEnds = quietAt + configuration.quietRelaxedTimeout(of: first)
            let deadline = heard + quietTimeout + .nanoseconds(1)
            if deadline <= quietEnds { return deadline }
            earliest = quietEnds + .nanoseconds(1)
        }
        guard let at = mate.rotatingHeardAt else { return nil }
        let deadline = max(heard + paths[first].configuration.timeout + .nanoseconds(1), earliest)
        return deadline <= at + configuration.relaxedTimeout(of: first) ? deadline : nil
    }

    /// Whether the mate's frames said recently enough that it is a quiet standby for its paths
    /// to be silent a whole quiet round.
    func mateQuiet(now: Instant) -> Bool {
        guard let at = mate.quietHeardAt, let first = configuration.rotationGroup.first else { return false }
        return now.since(at) <= configuration.quietRelaxedTimeout(of: first)
    }

    /// Whether this board's heartbeats go out as a quiet standby's: a standby whose mate is a
    /// working active, while the heartbeats rotate over `set`.
    func sendsQuietly(rotation set: UInt8) -> Bool {
        configuration.standbyInterval != nil && set != 0 && role == .standby && mate.role == .active
    }

    /// The interval of the rotation group, nil when there is none.
    var rotationInterval: Duration? {
        configuration.rotationGroup.first.map { paths[$0].configuration.interval }
    }

    /// Whether the mate rotated its heartbeats recently enough for its paths to be silent a
    /// whole round: until the longest relaxed timeout after its last rotating frame.
    /// A quiet standby rotates too, for as long as it counts as quiet.
    func mateRotates(now: Instant) -> Bool {
        if mateQuiet(now: now) { return true }
        guard let at = mate.rotatingHeardAt, let first = configuration.rotationGroup.first else { return false }
        return now.since(at) <= configuration.relaxedTimeout(of: first)
    }

    /// The silence after which path `index` is down at `now`.
    func timeout(of index: Int, now: Instant) -> Duration {
        if mateQuiet(now: now) { return configuration.quietRelaxedTimeout(of: index) }
        return mateRotates(now: now) ? configuration.relaxedTimeout(of: index) : paths[index].configuration.timeout
    }

    /// The first instant at which path `index`, last heard at `heard`, is down: its relaxed
    /// timeout while the mate's rotation lasts, its own timeout once the rotation ended.
    /// (Before that, while the mate is a quiet standby, its quiet relaxed timeout.)
    func expiry(of index: Int, heardAt heard: Instant) -> Instant {
        let strict = heard + paths[index].configuration.timeout + .nanoseconds(1)
        guard let at = mate.rotatingHeardAt, let first = configuration.rotationGroup.first else { return strict }
        let rotationEnds = at + configuration.relaxedTimeout(of: first) + .nanoseconds(1)
        let relaxed = heard + configuration.relaxedTimeout(of: index) + .nanoseconds(1)
        let rotating = min(relaxed, max(strict, rotationEnds))
        guard let quietAt = mate.quietHeardAt, configuration.standbyInterval != nil else { return rotating }
        let quietEnds = quietAt + configuration.quietRelaxedTimeout(of: first) + .nanoseconds(1)
        let quiet = heard + configuration.quietRelaxedTimeout(of: index) + .nanoseconds(1)
        return min(quiet, max(rotating, quietEnds))
    }

    /// The paths this board's heartbeats rotate over now (bit i: path i), 0 for every path.
    func rotationSet(now: Instant) -> UInt8 {
        guard !configuration.rotationGroup.isEmpty, role == .active || role == .standby, quiesce == nil,
            !everyPathNext, now >= everyPathUntil, mate.known, !mate.departed,
            !mate.flags.contains(.everyPathRequested)
        else { return 0 }
        var set: UInt8 = 0
        var count = 0
        for index in configuration.rotationGroup {
            let path = paths[index]
            let bit = UInt8(1) << UInt8(index)
            guard path.up, path.carrierUp, mate.pathsUp & bit != 0 else { continue }
            set |= bit
            count += 1
        }
        return count >= 2 ? set : 0
    }

    /// The paths this board hears the mate on (bit i: path i), as its frames report them.
    var pathsUpBits: UInt8 {
        var bits: UInt8 = 0
        for index in paths.indices where paths[index].up { bits |= UInt8(1) << UInt8(index) }
        return bits
    }

    /// A heartbeat of the rotating mate more than half an interval late: every path for a while,
    /// on both boards, starting now.
    /// (A quiet standby's heartbeats: half a standby interval late.)
    mutating func watchForGaps(now: Instant, into actions: inout PairActions) {
        guard now >= everyPathUntil, mateRotates(now: now), let interval = rotationInterval,
            let heard = lastHeardOnGroup
        else { return }
        let expected = mateQuiet(now: now) ? (configuration.standbyInterval ?? interval) : interval
        guard now.since(heard) > expected + expected / 2 else { return }
        counters.heartbeatGaps += 1
        everyPathUntil = now + interval * Self.everyPathHoldIntervals
        for index in paths.indices { paths[index].nextSendAt = now }
    }

    /// Every path of the rotation group down when the rotating mate was silent on all of them
    /// for a path timeout: it sends every interval on one of them, so it is gone.
    /// A quiet standby sends within its standby interval: silent for `quietTimeout`, it is gone.
    mutating func expireRotatingMate(now: Instant, into actions: inout PairActions) {
        guard let first = configuration.rotationGroup.first, let heard = groupSilenceSince else { return }
        let timeout: Duration
        if mateQuiet(now: now), let quietTimeout = configuration.quietTimeout {
            timeout = quietTimeout
        } else if mateRotates(now: now) {
            timeout = paths[first].configuration.timeout
        } else {
            return
        }
        guard now.since(heard) > timeout else { return }
        for index in configuration.rotationGroup where paths[index].up {
            setPath(index, up: false, reason: .heartbeatsMissed, into: &actions)
        }
    }

    /// The next path of `set` after the last one used.
    mutating func nextRotationPath(in set: UInt8) -> Int {
        for step in 1...paths.count {
            let index = (rotationCursor + step) % paths.count
            if set & (UInt8(1) << UInt8(index)) != 0 {
                rotationCursor = index
                return index
            }
        }
        preconditionFailure("an empty rotation set")
    }
}
