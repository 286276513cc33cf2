extension PairCore {
    mutating func receive(
        _ frame: PairFrame, path: Int, now: Instant, into actions: inout PairActions
    ) {
        guard paths.indices.contains(path) else {
            counters.framesForeign += 1
            actions.append(.trace(.frameRejected(path: path, reason: .unknownPath)))
            return
        }
        guard frame.cluster == configuration.cluster else {
            return reject(path: path, reason: .foreignCluster, into: &actions)
        }
        guard frame.sender != configuration.board else {
            // Another incarnation with this board's id is another board, misconfigured (this
            // board's own frames, reflected by a loop, carry its own incarnation).
            if frame.incarnation != configuration.incarnation {
                boardIDConflict(frame, path: path, now: now, into: &actions)
            }
            return reject(path: path, reason: .ownBoard, into: &actions)
        }
        // A duplicate or a reordered old frame proves nothing about the path now, and neither
        // does a frame still in flight from a mate that has said goodbye.
        let departed = mate.departed && mate.incarnation == frame.incarnation
        let superseded = mate.known && Self.isNewer(mate.incarnation, than: frame.incarnation)
        if departed || superseded
            || (paths[path].mateIncarnation == frame.incarnation && frame.sequence <= paths[path].mateSequence)
        {
            counters.framesStale += 1
            paths[path].framesRejected += 1
            return
        }
        counters.framesReceived += 1
        paths[path].framesReceived += 1
        paths[path].mateIncarnation = frame.incarnation
        paths[path].mateSequence = frame.sequence
        paths[path].mateSentAt = frame.sentAt
        paths[path].mateReceivedAt = now
        paths[path].lastHeardAt = now
        // A saturated hold (the mate kept our frame for seconds: we were frozen) measures nothing;
        // nor does a round trip longer than the path's timeout: that frame waited in a queue
        // (this board was frozen or late, and handles it at the step after its arrival).
        if frame.echoSentAt != .zero, frame.echoHold < PairFrame.echoHoldMax {
            let rtt = now.since(frame.echoSentAt) - frame.echoHold
            if rtt <= configuration.paths[path].timeout { paths[path].rtt = rtt }
        }
        if !paths[path].up, paths[path].carrierUp {
            setPath(path, up: true, reason: .heartbeatReceived, into: &actions)
        }
        updateMate(from: frame, now: now, into: &actions)
        checkTiming(of: frame, path: path, now: now, into: &actions)
        if frame.kind == .goodbye {
            mate.departed = true
            for index in paths.indices where paths[index].up {
                paths[index].lastHeardAt = nil
                setPath(index, up: false, reason: .mateSaidGoodbye, into: &actions)
            }
        }
    }

    /// Two boards share an id: neither can tell the other's frames from its own mate's, so
    /// each would take the role alone and both would hold the addresses. A starting board
    /// gives up (failed: the configuration must be fixed and the board restarted); a board
    /// that already has a role keeps it, and both say so loudly.
    private mutating func boardIDConflict(_ frame: PairFrame, path: Int, now: Instant, into actions: inout PairActions) {
        if boardIDConflictReportedAt.map({ $0 + Self.boardIDConflictReportInterval <= now }) ?? true {
            boardIDConflictReportedAt = now
            actions.append(.trace(.boardIDConflict(path: path, incarnation: frame.incarnation)))
        }
        if role == .starting {
            changeRole(to: .failed, reason: .boardIDConflict, now: now, into: &actions)
        }
    }

    /// An interval as the wire carries it (whole microseconds, saturated).
    static func wireInterval(_ interval: Duration) -> Duration {
        .microseconds(min(interval.nanoseconds / 1_000, UInt64(UInt32.max)))
    }

    /// Tells (paced) when the mate's frames on `path` say other heartbeat timing than this
    /// board's: the two would judge each other by different timeouts (one spurious takeover
    /// at start, alarms). A frame that says none (interval 0) is not checked.
    private mutating func checkTiming(of frame: PairFrame, path: Int, now: Instant, into actions: inout PairActions) {
        let own = paths[path].configuration
        guard frame.interval != .zero,
            frame.interval != Self.wireInterval(own.interval)
                || frame.missedHeartbeatsMax != UInt8(clamping: own.missedHeartbeatsMax),
            paths[path].timingMismatchReportedAt.map({ $0 + Self.boardIDConflictReportInterval <= now }) ?? true
        else { return }
        paths[path].timingMismatchReportedAt = now
        actions.append(
            .trace(.timingMismatch(path: path, mateInterval: frame.interval, mateMissedHeartbeatsMax: frame.missedHeartbeatsMax)))
    }

    private mutating func reject(path: Int, reason: FrameRejection, into actions: inout PairActions) {
        counters.framesForeign += 1
        paths[path].framesRejected += 1
        actions.append(.trace(.frameRejected(path: path, reason: reason)))
    }

    private mutating func updateMate(from frame: PairFrame, now: Instant, into actions: inout PairActions) {
        let restarted = mate.known && mate.incarnation != frame.incarnation
        guard !mate.known || restarted || frame.sequence > mate.sequence else {
            mate.lastHeardAt = now  // older news from a slower path: liveness only
            return
        }
        if restarted { actions.append(.trace(.mateRestarted(board: frame.sender))) }
        mate.departed = false
        mate.known = true
        mate.board = frame.sender
        mate.incarnation = frame.incarnation
        mate.sequence = frame.sequence
        mate.role = frame.role
        mate.epoch = frame.epoch
        mate.priority = frame.priority
        mate.flags = frame.flags
        mate.persistedSequence = frame.persistedSequence
        if !mate.capabilitiesTold || frame.capabilities != mate.capabilities {
            mate.capabilities = frame.capabilities
            mate.capabilitiesTold = true
            actions.append(.trace(.mateCapabilities(frame.capabilities)))
        }
        mate.offeredTo = frame.mateIncarnation
        mate.pathsUp = frame.pathsUp
        if frame.flags.contains(.rotating) { mate.rotatingHeardAt = now }
        // A mate that stopped sending quietly (it became active, or was asked for every path)
        // sends every interval from this frame on: judge it so at once.
        mate.quietHeardAt = frame.flags.contains(.quiet) ? now : nil
        mate.lastHeardAt = now
        if frame.role == .active, frame.epoch > epoch, role != .active {
            epoch = frame.epoch  // a standby follows the active's epoch; it never goes back
        }
    }

    mutating func carrierChanged(path: Int, up: Bool, now: Instant, into actions: inout PairActions) {
        guard paths.indices.contains(path), paths[path].carrierUp != up else { return }
        paths[path].carrierUp = up
        if !up, paths[path].up {
            paths[path].lastHeardAt = nil
            setPath(path, up: false, reason: .carrierLost, into: &actions)
        }
        // Carrier back is not enough: the path comes up with the next heartbeat on it.
    }

    /// Declares paths down after `missedHeartbeatsMax` intervals of silence (rounds of the
    /// rotation while the mate rotates its heartbeats; see `PairCore+Rotation`).
    mutating func expirePaths(now: Instant, into actions: inout PairActions) {
        expireRotatingMate(now: now, into: &actions)
        for index in paths.indices where paths[index].up {
            let silence = now.since(paths[index].lastHeardAt ?? .zero)
            if silence > timeout(of: index, now: now) {
                setPath(index, up: false, reason: .heartbeatsMissed, into: &actions)
            }
        }
    }

    mutating func setPath(_ index: Int, up: Bool, reason: PathChangeReason, into actions: inout PairActions) {
        precondition(paths[index].up != up, "path state change without a change")
        paths[index].up = up
        if !up { paths[index].rtt = nil }
        if !up, configuration.rotationGroup.contains(index) { groupChanged() }
        actions.append(.trace(.pathChanged(path: index, up: up, reason: reason)))
        var upCount = 0  // counted in place: a filter would allocate on the pair thread
        for path in paths where path.up { upCount += 1 }
        if !up, upCount > 0 {
            // An alarm when a path is lost while others remain, not while paths come up.
            degraded = true
            actions.append(.trace(.pathsDegraded(pathsUp: upCount, pathsTotal: paths.count)))
        } else if upCount == paths.count, degraded {
            degraded = false
            actions.append(.trace(.pathsRestored))
        }
    }

    /// Sends the heartbeats that are due: on every path at its interval, or, while the
    /// heartbeats rotate, one per interval on the rotation's paths in turn (and the paths
    /// outside the rotation at their own interval). A quiet standby sends one per standby
    /// interval, or earlier, from half of it on, when its timer woke it anyway (`woken`), so
    /// that its own heartbeats ride on the wake-ups for its deadlines.
    mutating func sendDueHeartbeats(now: Instant, woken: Bool, into actions: inout PairActions) {
        let rotation = rotationSet(now: now)
        everyPathNext = false
        let rotating = rotation != 0
        let quiet = sendsQuietly(rotation: rotation)
        if sentQuietly, !quiet {
            // Back to the interval at once (the mate asked for every path, or the roles changed).
            for index in paths.indices { paths[index].nextSendAt = min(paths[index].nextSendAt, now) }
        }
        if rotating, let interval = rotationInterval {
            let period = quiet ? configuration.standbyInterval ?? interval : interval
            var beat = Instant(nanoseconds: .max)
            for index in paths.indices where rotation & (UInt8(1) << UInt8(index)) != 0 {
                beat = min(beat, paths[index].nextSendAt)
            }
            let early = quiet && woken && now.since(lastBeatAt) >= period / 2
            if beat <= now || early {
                let index = nextRotationPath(in: rotation)
                actions.append(.send(makeFrame(.heartbeat, path: index, now: now, rotating: true, quiet: quiet), path: index))
                sentQuietly = quiet
                lastBeatAt = now
                let next = (beat <= now ? beat : now) + period
                for member in paths.indices where rotation & (UInt8(1) << UInt8(member)) != 0 {
                    paths[member].nextSendAt = next > now ? next : now + period
                }
            }
        } else {
            sentQuietly = false
        }
        for index in paths.indices where rotation & (UInt8(1) << UInt8(index)) == 0 && paths[index].nextSendAt <= now {
            actions.append(.send(makeFrame(.heartbeat, path: index, now: now, rotating: rotating), path: index))
            let interval = paths[index].configuration.interval
            // Keep the cadence, but never schedule in the past after a stall.
            let next = paths[index].nextSendAt + interval
            paths[index].nextSendAt = next > now ? next : now + interval
        }
    }

    /// Sends one frame of `kind` on every path now.
    mutating func sendToAll(_ kind: PairFrame.Kind, now: Instant, into actions: inout PairActions) {
        for index in paths.indices {
            actions.append(.send(makeFrame(kind, path: index, now: now), path: index))
            paths[index].nextSendAt = now + paths[index].configuration.interval
        }
    }

    mutating func makeFrame(
        _ kind: PairFrame.Kind, path: Int, now: Instant, rotating: Bool = false, quiet: Bool = false
    ) -> PairFrame {
        sequence += 1
        counters.framesSent += 1
        paths[path].framesSent += 1
        var flags: PairFrame.Flags = []
        if hot { flags.insert(.hot) }
        if isolationOK { flags.insert(.isolationOK) }
        var frameEpoch = epoch
        if role == .quiesced, let quiesce, quiesce.offeredEpoch > 0 {
            flags.insert(.handoverOffered)
            frameEpoch = quiesce.offeredEpoch
        }
        if wantsPreemption { flags.insert(.preemptRequested) }
        if rotating { flags.insert(.rotating) }
        if quiet { flags.insert(.quiet) }
        if now < everyPathUntil { flags.insert(.everyPathRequested) }
        if configuration.persistedStateDamaged, role == .starting { flags.insert(.stateDamaged) }
        let state = paths[path]
        let hold = state.mateSentAt == .zero ? Duration.zero : now.since(state.mateReceivedAt)
        let frame = PairFrame(
            kind: kind, cluster: configuration.cluster, sender: configuration.board, flags: flags,
            epoch: frameEpoch, sequence: sequence, incarnation: configuration.incarnation, role: role,
            priority: configuration.priority, path: UInt8(path), sentAt: now,
            echoSentAt: state.mateSentAt, echoHold: hold, mateIncarnation: mate.known ? mate.incarnation : 0,
            pathsUp: pathsUpBits, persistedSequence: role == .starting ? configuration.persistedSequence : 0,
            interval: Self.wireInterval(state.configuration.interval),
            missedHeartbeatsMax: UInt8(clamping: state.configuration.missedHeartbeatsMax),
            capabilities: configuration.capabilities)
        assert(frame.sender != 0 && frame.sequence > 0)
        return frame
    }

    /// Serial-number order of incarnations (RFC 1982 style, so that wrapping is harmless): a
    /// frame of an incarnation older than the mate's current one is old news, not a restart.
    static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        Int32(bitPattern: a &- b) > 0
    }

    /// A preferred standby configured to preempt asks the active mate for the role once it is hot.
    var wantsPreemption: Bool {
        configuration.preempt && role == .standby && hot && mateReachable && mate.role == .active
            && preferredOverMate
    }
}
